"""What the indices actually map: keyword or text (+ ``.keyword``), which dates exist.

Dynamic mapping makes every string ``text`` with a ``.keyword`` subfield (``ignore_above:
256``); an index template may map strings as ``keyword`` directly; a ``layout`` may put
fields anywhere. Queries go to the right path only if we read the mapping, so this module
turns ``indices.get_mapping`` on the pattern into a :class:`FieldMap`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ktui.config.exporter_fields import FIELD_PATHS

# The time of an event, in order (kubernetes-events.md): the first one set wins.
TIME_CHAIN = (
    "series_last_observed",
    "last_timestamp",
    "event_time",
    "first_timestamp",
    "creation_timestamp",
)
_DATE_TYPES = ("date", "date_nanos")
_NUMERIC = (
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "unsigned_long",
)


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """How one canonical field is mapped across the matching indices."""

    name: str
    path: str
    keywords: tuple[str, ...] = ()
    """Paths usable for term/regexp/wildcard (``path`` or ``path.keyword``); usually one."""
    text: str | None = None
    """An analyzed path for match/match_phrase."""
    ignore_above: int | None = None
    """Values longer than this are missing from the keyword path (but not from text)."""
    types: frozenset[str] = frozenset()
    sortable: str | None = None
    """A keyword or numeric path mapped the same way in every index that has the field."""

    @property
    def keyword(self) -> str | None:
        """The path for aggregations and sorting (the first keyword path)."""
        return self.keywords[0] if self.keywords else None

    @property
    def is_date(self) -> bool:
        return bool(self.types) and self.types <= set(_DATE_TYPES)

    @property
    def mapped(self) -> bool:
        return bool(self.types)


@dataclass(frozen=True, slots=True)
class FieldMap:
    """The fields of an index pattern: one :class:`FieldInfo` per canonical name."""

    indices: tuple[str, ...]
    fields: Mapping[str, FieldInfo]

    def __getitem__(self, name: str) -> FieldInfo:
        return self.fields[name]

    @property
    def dates(self) -> tuple[FieldInfo, ...]:
        """The time-chain fields that some index maps as a date, in chain order."""
        return tuple(self.fields[n] for n in TIME_CHAIN if self.fields[n].is_date)

    @property
    def paths(self) -> dict[str, str]:
        return {name: info.path for name, info in self.fields.items()}


def _leaf(properties: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    node: Any = {"properties": properties}
    for part in path.split("."):
        children = node.get("properties") if isinstance(node, Mapping) else None
        if not isinstance(children, Mapping) or part not in children:
            return None
        node = children[part]
    return node if isinstance(node, Mapping) else None


def field_map(mappings: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> FieldMap:
    """Build a :class:`FieldMap` from a ``get_mapping`` answer (``{index: {mappings}}``)."""
    paths = {**FIELD_PATHS, **(overrides or {})}
    per_index: list[Mapping[str, Any]] = []
    for body in mappings.values():
        mapping = body.get("mappings", {}) if isinstance(body, Mapping) else {}
        if not isinstance(mapping, Mapping):
            mapping = {}  # not a mapping: this index contributes no field
        # Pre-7 style mappings nest under a type name; take the first one.
        if "properties" not in mapping and len(mapping) == 1:
            only = next(iter(mapping.values()))
            mapping = only if isinstance(only, Mapping) else {}
        properties = mapping.get("properties", {})
        per_index.append(properties if isinstance(properties, Mapping) else {})
    infos = {name: _info(name, path, per_index) for name, path in paths.items()}
    return FieldMap(indices=tuple(sorted(mappings)), fields=infos)


def _info(name: str, path: str, per_index: list[Mapping[str, Any]]) -> FieldInfo:
    keywords: list[str] = []
    text: str | None = None
    ignore_above: int | None = None
    types: set[str] = set()
    sort_paths: list[str | None] = []
    for properties in per_index:
        leaf = _leaf(properties, path)
        if leaf is None:
            continue
        kind = str(leaf.get("type", "object"))
        types.add(kind)
        sort_path: str | None = None
        if kind == "keyword":
            _add(keywords, path)
            sort_path = path
            ignore_above = _min(ignore_above, leaf.get("ignore_above"))
        elif kind in ("text", "match_only_text"):
            text = text or path
            subfields = leaf.get("fields")
            for sub, spec in (subfields if isinstance(subfields, Mapping) else {}).items():
                if isinstance(spec, Mapping) and spec.get("type") == "keyword":
                    _add(keywords, f"{path}.{sub}")
                    sort_path = sort_path or f"{path}.{sub}"
                    ignore_above = _min(ignore_above, spec.get("ignore_above"))
        elif kind in _DATE_TYPES or kind in _NUMERIC:
            sort_path = path
        sort_paths.append(sort_path)
    sortable = sort_paths[0] if sort_paths and len(set(sort_paths)) == 1 else None
    return FieldInfo(
        name=name,
        path=path,
        keywords=tuple(keywords),
        text=text,
        ignore_above=ignore_above,
        types=frozenset(types),
        sortable=sortable,
    )


def _add(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)


def _min(current: int | None, value: Any) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return current
    return value if current is None else min(current, value)


# -- documents written with a custom layout ----------------------------------------------


def get_path(doc: Mapping[str, Any], path: str) -> Any:
    """``a.b.c`` in a nested document; a literal dotted key is tried too."""
    if path in doc:
        return doc[path]
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def to_exporter_shape(doc: Mapping[str, Any], paths: Mapping[str, str]) -> Mapping[str, Any]:
    """Rebuild the EnhancedEvent shape from a layout document so the model can read it.

    Only called when the user mapped some fields elsewhere; unmapped canonical fields are
    looked up at their usual place.
    """
    shaped: dict[str, Any] = {}
    for name, default in FIELD_PATHS.items():
        value = get_path(doc, paths.get(name, default))
        if value is None:
            continue
        node = shaped
        parts = default.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return shaped
