"""The saved-view value type and its errors (see :mod:`ktui.views.store` for the store)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ktui.model.event import format_time, parse_time
from ktui.model.query import Query, parse_query
from ktui.model.timerange import TimeRange

SCHEMA = 1
Mode = Literal["live", "history"]
Sort = Literal["newest", "oldest"]
MODES: tuple[Mode, ...] = ("live", "history")
SORTS: tuple[Sort, ...] = ("newest", "oldest")


class ViewError(ValueError):
    """A saved-view operation failed; ``str()`` is one line fit for the user."""


class ViewNotFound(ViewError):
    pass


class ViewExists(ViewError):
    pass


def show_name(name: str) -> str:
    """Quote a name for a one-line message; escapes what would break the line."""
    return f"'{name}'" if name.isprintable() else repr(name)


def _check_text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ViewError(f"{what} must be text, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ViewError(f"{what} is not valid Unicode text") from None
    return value


def _as_stored(seconds: float) -> float:
    stored = parse_time(format_time(seconds))
    assert stored is not None  # format_time always writes what parse_time reads
    return stored


def _texts(values: Iterable[str], what: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise ViewError(f"{what} must be a list of text, not a single string")
    return tuple(_check_text(v, f"each of {what}") for v in values)


@dataclass(frozen=True)
class SavedView:
    """One saved view. Construction validates; lists are stored as tuples."""

    name: str
    mode: Mode = "live"
    query: str = ""
    types: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    time_range: TimeRange | None = None
    sort: Sort = "newest"
    columns: tuple[str, ...] = ()
    context: str | None = None

    def __post_init__(self) -> None:
        # NFC so that the same name typed on two systems is the same view.
        name = unicodedata.normalize("NFC", _check_text(self.name, "a view name"))
        if not name.strip():
            raise ViewError("a view needs a non-blank name")
        if self.mode not in MODES:
            raise ViewError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.sort not in SORTS:
            raise ViewError(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")
        _check_text(self.query, "the query")
        time_range = self.time_range
        if time_range is not None and not isinstance(time_range, TimeRange):
            raise ViewError("time_range must be a TimeRange")
        if time_range is not None and time_range.relative is None:
            # Bounds as the file will hold them (RFC 3339, microseconds), so a saved view
            # equals the loaded one even after TimeRange.shifted() left float noise.
            start, end = (_as_stored(t) for t in time_range.bounds())
            if end <= start:
                raise ViewError("the end of a time range must come after its start")
            object.__setattr__(self, "time_range", TimeRange.between(start, end))
        context = self.context
        if context is not None:
            context = _check_text(context, "the context") or None
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "context", context)
        for attr in ("types", "namespaces", "columns"):
            object.__setattr__(self, attr, _texts(getattr(self, attr), attr))

    @classmethod
    def from_state(
        cls,
        name: str,
        query: Query,
        *,
        mode: Mode = "live",
        time_range: TimeRange | None = None,
        sort: Sort = "newest",
        columns: Iterable[str] = (),
        context: str | None = None,
    ) -> SavedView:
        """Capture what the UI shows now (the query carries its type/namespace toggles)."""
        return cls(
            name=name,
            mode=mode,
            query=query.text,
            types=tuple(sorted(query.types)),
            namespaces=tuple(sorted(query.namespaces)),
            time_range=time_range,
            sort=sort,
            columns=tuple(columns),
            context=context,
        )

    def to_query(self) -> Query:
        """The filter this view applies; raises QueryError if the text does not parse."""
        return parse_query(self.query).with_types(self.types).with_namespaces(self.namespaces)


@dataclass(frozen=True)
class ViewProblem:
    """A view file that could not be loaded (``skipped``) or loaded with a warning."""

    path: Path
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"
