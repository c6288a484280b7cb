"""``@record`` behaves as ``@dataclass(frozen=True)`` (and ``slots=True``) does."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import field
from typing import Any

import pytest

from ktui.records import record


def _post_init(self: Any) -> None:
    object.__setattr__(self, "seen", (self.name,))


@record
class Rec:
    name: str
    count: int = 0
    tags: list[str] = field(default_factory=list)
    note: str = field(default="", repr=False, compare=False)
    seen: tuple[str, ...] = field(default=(), init=False)
    __post_init__ = _post_init


@dataclasses.dataclass(frozen=True)
class Data:
    name: str
    count: int = 0
    tags: list[str] = field(default_factory=list)
    note: str = field(default="", repr=False, compare=False)
    seen: tuple[str, ...] = field(default=(), init=False)
    __post_init__ = _post_init


@record(slots=True)
class SlotRec:
    name: str
    count: int = 0
    tags: list[str] = field(default_factory=list)
    note: str = field(default="", repr=False, compare=False)
    seen: tuple[str, ...] = field(default=(), init=False)
    __post_init__ = _post_init


@dataclasses.dataclass(frozen=True, slots=True)
class SlotData:
    name: str
    count: int = 0
    tags: list[str] = field(default_factory=list)
    note: str = field(default="", repr=False, compare=False)
    seen: tuple[str, ...] = field(default=(), init=False)
    __post_init__ = _post_init


def _twins(slots: bool) -> tuple[Any, Any]:
    """The same class as a record and as a frozen dataclass."""
    return (SlotRec, SlotData) if slots else (Rec, Data)


@pytest.mark.parametrize("slots", [False, True])
def test_a_record_is_a_frozen_dataclass(slots: bool) -> None:
    rec, data = _twins(slots)
    for cls in (rec, data):
        one = cls("a", 2, ["x"], "noted")
        assert [f.name for f in dataclasses.fields(cls)] == [
            "name", "count", "tags", "note", "seen"]
        assert cls.__match_args__ == ("name", "count", "tags", "note")
        assert one.seen == ("a",)  # __post_init__ ran
        assert one == cls("a", 2, ["x"], "other note")  # note is not compared
        assert one != cls("a", 3, ["x"])
        assert cls("a", tags=[]) == cls("a")  # default and default_factory
        assert hash(cls("a", 1, ())) == hash(cls("a", 1, ()))  # type: ignore[arg-type]
        assert dataclasses.replace(one, count=5) == cls("a", 5, ["x"])
        assert dataclasses.asdict(one) == {"name": "a", "count": 2, "tags": ["x"],
                                           "note": "noted", "seen": ("a",)}
        assert pickle.loads(pickle.dumps(one)) == one
        assert copy.deepcopy(one) == one and copy.copy(one) == one
        with pytest.raises(dataclasses.FrozenInstanceError):
            one.count = 3
        with pytest.raises(dataclasses.FrozenInstanceError):
            del one.count
        for args, kwargs in (((), {}), (("a",), {"name": "b"}), (("a",), {"nope": 1}),
                             (("a", 1, [], "", "too many"), {})):
            with pytest.raises(TypeError):
                cls(*args, **kwargs)
    assert repr(rec("a", 2, ["x"], "noted")) == repr(data("a", 2, ["x"], "noted")).replace(
        data.__name__, rec.__name__)
    assert rec("a") != data("a")  # another class: never equal, as dataclasses
    assert hasattr(rec("a"), "__dict__") is not slots


def test_what_the_class_defines_stays_and_subclasses_add_fields() -> None:
    @record
    class Base:
        text: str = ""

        def __str__(self) -> str:
            return f"<{self.text}>"

        def __repr__(self) -> str:
            return "mine"

    @record
    class Child(Base):
        extra: int = 1

    assert repr(Base("t")) == "mine"
    assert str(Child("t")) == "<t>"
    assert repr(Child("t")).endswith("Child(text='t', extra=1)")  # as a dataclass's
    assert Child("t", 2) == Child(text="t", extra=2) != Child("t")
    assert [f.name for f in dataclasses.fields(Child)] == ["text", "extra"]


def test_a_mutable_record_is_a_dataclass() -> None:
    @record(frozen=False)
    class Mutable:
        name: str
        items: list[str] = field(default_factory=list)

    @dataclasses.dataclass
    class Plain:
        name: str
        items: list[str] = field(default_factory=list)

    for cls in (Mutable, Plain):
        one = cls("a")
        one.name = "b"
        one.items.append("x")
        assert one == cls("b", ["x"]) and one.items is not cls("c").items
        assert cls.__hash__ is None
        assert dataclasses.replace(one, name="c") == cls("c", ["x"])
    assert repr(Mutable("a")).endswith("Mutable(name='a', items=[])")
