"""Saved views to and from TOML: lenient, precise reading and edit-in-place writing.

Reading uses :mod:`tomllib` (strict, stdlib); writing uses tomlkit so that a re-save
changes only the values that changed in meaning and keeps everything else the user wrote.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ktui.model.event import parse_time
from ktui.model.query import QueryError
from ktui.model.timerange import TimeRange
from ktui.views.model import SCHEMA, Mode, SavedView, Sort, ViewError, ViewProblem

if TYPE_CHECKING:  # tomlkit is imported when a view is written, not when ktui starts
    import tomlkit
    from tomlkit.items import Table

_MAX_FILE_BYTES = 1 << 20  # a view is a few hundred bytes; anything huge is not one
_KNOWN_KEYS = frozenset(
    ["schema", "name", "mode", "query", "types", "namespaces", "range", "sort", "columns",
     "context"]
)
_SECRETISH = re.compile(r"pass|secret|token|credential|api.?key|auth|bearer|cookie", re.I)
_HEADER = """\
A saved ktui view. Edit freely: ktui keeps comments and unknown keys when it re-saves.
mode = "live" | "history"; sort = "newest" | "oldest"; empty types/namespaces = all,
empty columns = the default columns. [range] holds since = "6h", or from = "..." and
to = "..." (RFC 3339); it is used in history mode."""


class Invalid(Exception):
    """Internal: why a file's content is not a view."""


@dataclass
class Entry:
    path: Path
    name: str | None = None  # the name inside the file, when it can be read at all
    view: SavedView | None = None
    problems: list[ViewProblem] = field(default_factory=list)

    def error(self) -> str:
        return next((p.message for p in self.problems if p.skipped), "cannot be loaded")


# -- reading ----------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _instant(value: Any, key: str) -> float:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.timestamp()
    if isinstance(value, str) and (seconds := parse_time(value)) is not None:
        return seconds
    if isinstance(value, date):
        raise Invalid(f"range.{key} needs a time of day, not just a date")
    raise Invalid(f"range.{key} must be an RFC 3339 time like 2024-05-01T00:00:00Z")


def _parse_range(value: Any, warnings: list[str]) -> TimeRange:
    if not isinstance(value, dict):
        raise Invalid("'range' must be a table with since, or from and to")
    warnings.extend(f"unknown key 'range.{k}' ignored" for k in value if k not in
                    ("since", "from", "to"))
    since, start, end = value.get("since"), value.get("from"), value.get("to")
    try:
        if since is not None:
            if start is not None or end is not None:
                raise Invalid("range: use either since, or from and to, not both")
            if not isinstance(since, str):
                raise Invalid("range.since must be a duration like \"6h\"")
            return TimeRange.last(since)
        if start is None or end is None:
            raise Invalid("range needs since, or both from and to")
        return TimeRange.between(_instant(start, "from"), _instant(end, "to"))
    except ValueError as error:
        raise Invalid(f"range: {error}") from None


def _list(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"'{key}' must be a list of strings")
    return value


def _str(data: dict[str, Any], key: str, default: str | None) -> str | None:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise Invalid(f"'{key}' must be a string")
    return value


def _view_from_data(data: dict[str, Any]) -> tuple[SavedView, list[str]]:
    schema = data.get("schema", SCHEMA)
    if isinstance(schema, bool) or not isinstance(schema, int):
        raise Invalid(f"'schema' must be the integer {SCHEMA}")
    if schema != SCHEMA:
        raise Invalid(f"unknown schema version {schema} (this ktui reads version {SCHEMA};"
                       " written by a newer ktui?)")
    name = _str(data, "name", None)
    if name is None:
        raise Invalid("no 'name' key")
    warnings: list[str] = []
    time_range = _parse_range(data["range"], warnings) if "range" in data else None
    try:
        view = SavedView(
            name=name,
            mode=cast(Mode, _str(data, "mode", "live")),
            query=_str(data, "query", "") or "",
            types=tuple(_list(data, "types")),
            namespaces=tuple(_list(data, "namespaces")),
            time_range=time_range,
            sort=cast(Sort, _str(data, "sort", "newest")),
            columns=tuple(_list(data, "columns")),
            context=_str(data, "context", None),
        )
        view.to_query()
    except (ViewError, QueryError) as error:
        raise Invalid(str(error)) from None
    for key in data:
        if key not in _KNOWN_KEYS:
            hint = " (looks like a secret: views are plain files, remove it)" if (
                _SECRETISH.search(key)) else ""
            warnings.append(f"unknown key '{key}' ignored{hint}")
    return view, warnings


def read_entry(path: Path) -> Entry:
    entry = Entry(path)
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            entry.problems.append(ViewProblem(path, "too large to be a view file"))
            return entry
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as error:
        entry.problems.append(ViewProblem(path, f"cannot read: {error.strerror or error}"))
        return entry
    except UnicodeDecodeError:
        entry.problems.append(ViewProblem(path, "not UTF-8 text"))
        return entry
    except tomllib.TOMLDecodeError as error:
        entry.problems.append(ViewProblem(path, f"not valid TOML: {_one_line(str(error))}"))
        return entry
    if isinstance(data.get("name"), str):
        entry.name = unicodedata.normalize("NFC", data["name"])
    try:
        entry.view, warnings = _view_from_data(data)
    except Invalid as error:
        entry.problems.append(ViewProblem(path, _one_line(str(error))))
        return entry
    entry.problems.extend(ViewProblem(path, w, skipped=False) for w in warnings)
    return entry


# -- writing ----------------------------------------------------------------------------


def _range_table(time_range: TimeRange) -> Table:
    import tomlkit

    table = tomlkit.table()
    for key, value in time_range.to_spec().items():
        table[key] = value
    return table


def render(view: SavedView, document: tomlkit.TOMLDocument | None) -> bytes:
    """The file content for ``view``: ``document`` (the current file) with only the values
    that changed in meaning replaced, or a fresh document.

    The result is read back before it is returned: should an in-place edit of an exotic
    hand-written file not read back as ``view``, a fresh document is used instead, and
    if even that fails we refuse rather than write a file that would not load.
    """
    if document is not None:
        data = _apply(view, document)
        if _reads_back(data, view):
            return data
    import tomlkit

    fresh = tomlkit.document()
    for line in _HEADER.splitlines():
        fresh.add(tomlkit.comment(line))
    data = _apply(view, fresh)
    if not _reads_back(data, view):
        raise ViewError(f"view {view.name!r} cannot be written as TOML that reads back the same")
    return data


def _reads_back(data: bytes, view: SavedView) -> bool:
    try:
        return _view_from_data(tomllib.loads(data.decode("utf-8")))[0] == view
    except (tomllib.TOMLDecodeError, Invalid, UnicodeDecodeError):
        return False


def _apply(view: SavedView, document: tomlkit.TOMLDocument) -> bytes:
    import tomlkit

    current = document.unwrap()
    wanted: dict[str, Any] = {
        "schema": SCHEMA,
        "name": view.name,
        "mode": view.mode,
        "query": view.query,
        "types": list(view.types),
        "namespaces": list(view.namespaces),
        "sort": view.sort,
        "columns": list(view.columns),
        "context": view.context,
    }
    for key, value in wanted.items():
        if value is None:
            document.pop(key, None)
        elif key not in current or _normal(current[key]) != value:
            document[key] = value
    if view.time_range is None:
        document.pop("range", None)
    elif "range" not in current or _range_or_none(current["range"]) != view.time_range:
        document["range"] = _range_table(view.time_range)
    return tomlkit.dumps(document).encode("utf-8")


def _normal(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _range_or_none(value: Any) -> TimeRange | None:
    try:
        return _parse_range(value, [])
    except Invalid:
        return None


def editable(path: Path) -> tomlkit.TOMLDocument | None:
    """The current file as an editable document, or None to start afresh (tomllib
    accepted it but tomlkit may still disagree on an exotic corner)."""
    import tomlkit

    try:
        return tomlkit.parse(path.read_bytes().decode("utf-8"))
    except Exception:
        return None
