"""Frozen dataclasses that cost little to define: what ktui builds before its first frame.

``@dataclass(frozen=True)`` writes the source of six methods for each class (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``) and compiles it
when the class is created: ~0.2-0.3 ms a class, and start-up created ~30 such classes of
ktui's before the first frame. ``@record`` is the same frozen dataclass (``fields()``,
``replace()``, ``asdict()``, equality, hashing, ``repr``, pickling; mypy reads it as one
through ``dataclass_transform``) with those methods written once, here: they read the
class's fields when called. An instance costs a few microseconds more to build, so
``record`` is for classes made a few times a second at most (settings, statuses, what
the header shows); hot ones (``Event``, ``Query``) stay plain dataclasses.

Imports nothing of ktui: every layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")

# Per class: its __init__'s parameters, (name, default, default_factory), in order.
_PARAMETERS = "__record_parameters__"


def _parameters(cls: type) -> tuple[tuple[str, Any, Any], ...]:
    found = cls.__dict__.get(_PARAMETERS)
    if found is None:
        found = tuple((f.name, f.default, f.default_factory)
                      for f in fields(cls) if f.init)
        setattr(cls, _PARAMETERS, found)
    return found


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    parameters = _parameters(cls)
    if len(args) > len(parameters):
        raise TypeError(f"{cls.__qualname__}.__init__() takes {len(parameters) + 1} "
                        f"positional arguments but {len(args) + 1} were given")
    set_field = object.__setattr__
    for index, (name, default, factory) in enumerate(parameters):
        if index < len(args):
            if name in kwargs:
                raise TypeError(f"{cls.__qualname__}.__init__() got multiple values for "
                                f"argument '{name}'")
            value = args[index]
        elif name in kwargs:
            value = kwargs.pop(name)
        elif default is not MISSING:
            value = default
        elif factory is not MISSING:
            value = factory()
        else:
            raise TypeError(f"{cls.__qualname__}.__init__() missing required argument: "
                            f"'{name}'")
        set_field(self, name, value)
    if kwargs:
        raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword "
                        f"argument '{next(iter(kwargs))}'")
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


def _compared(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, f.name) for f in fields(self) if f.compare)


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is self.__class__:
        return _compared(self) == _compared(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_compared(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
    return f"{type(self).__qualname__}({shown})"


def _setattr(self: Any, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:  # slots: pickle and copy go through these two
    return [getattr(self, f.name) for f in fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(fields(self), state, strict=True):
        object.__setattr__(self, f.name, value)


_METHODS: dict[str, Callable[..., Any]] = {
    "__init__": _init, "__repr__": _repr, "__eq__": _eq, "__hash__": _hash,
    "__setattr__": _setattr, "__delattr__": _delattr,
}


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, slots: bool = False, frozen: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T] | None = None, /, *, slots: bool = False,
           frozen: bool = True) -> type[T] | Callable[[type[T]], type[T]]:
    """``@dataclass(frozen=True)`` (or ``slots=True``), cheaper to define; with
    ``frozen=False``, ``@dataclass`` (its instances unhashable, as a dataclass's)."""

    def wrap(cls: type[T]) -> type[T]:
        for name, method in _METHODS.items():
            if not frozen and name in ("__setattr__", "__delattr__", "__hash__"):
                continue
            if name not in cls.__dict__:  # as dataclass: what the class defines stays
                setattr(cls, name, method)
        if not frozen and "__hash__" not in cls.__dict__:
            cls.__hash__ = None  # type: ignore[assignment]  # eq without frozen: unhashable
        if not cls.__doc__:  # else dataclass writes one from inspect.signature: slow
            cls.__doc__ = cls.__name__
        if slots and frozen:
            setattr(cls, "__getstate__", _getstate)  # noqa: B010 - a method of cls
            setattr(cls, "__setstate__", _setstate)  # noqa: B010
        # The methods above are the class's own now: dataclass adds none of its own.
        return dataclass(init=False, repr=False, eq=False, slots=slots)(cls)

    return wrap if cls is None else wrap(cls)
