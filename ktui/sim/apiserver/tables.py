"""How objects are rendered for one request: the representation negotiated from the
Accept header (:class:`Output`), kubectl's server-side Table (the apiserver's
``printEvent`` columns and cells, head and rows) and PartialObjectMetadata. Shared by
list/get (server.py) and watch (watch.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ktui.model.timefmt import human_duration
from ktui.sim.apiserver.convert import _d, _s, parse_time
from ktui.sim.apiserver.store import Version

JSON = "application/json"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass
class Output:
    """How to render objects for one request (from the Accept header)."""

    table: str | None = None  # "v1" or "v1beta1" when a Table was asked for
    include: str = "Metadata"  # Table rows' object: None / Metadata / Object
    meta_only: bool = False  # PartialObjectMetadata(List)


def negotiate(accept: str | None, include: str | None) -> Output | None:
    """Pick the representation; None when nothing acceptable (406)."""
    if not accept:
        return Output()
    json_ok = False
    for part in accept.split(","):
        bits = [b.strip() for b in part.split(";")]
        mime = bits[0].lower()
        params = dict(b.split("=", 1) for b in bits[1:] if "=" in b)
        if mime not in (JSON, "*/*", "application/*"):
            continue
        as_ = params.get("as")
        if as_ == "Table" and params.get("g") == "meta.k8s.io":
            if params.get("v") in ("v1", "v1beta1"):
                return Output(table=params["v"], include=include or "Metadata")
        elif as_ in ("PartialObjectMetadataList", "PartialObjectMetadata"):
            return Output(meta_only=True)
        elif as_ is None:
            json_ok = True
    return Output() if json_ok else None


def partial_meta(v: Version) -> bytes:
    return (b'{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":'
            + v.meta_bytes() + b"}")


def table_row(v: Version, api: str, out: Output, now: float) -> bytes:
    row = b'{"cells":' + _dumps(table_cells(v.obj, now)).encode()
    if out.include == "Object":
        row += b',"object":' + v.bytes_for(api)
    elif out.include != "None":
        row += b',"object":' + partial_meta(v)
    return row + b"}"


def table_head(version: str, meta: dict[str, Any], columns: bool) -> bytes:
    cols = _dumps(COLUMN_DEFINITIONS) if columns else "null"
    return (f'{{"kind":"Table","apiVersion":"meta.k8s.io/{version}","metadata":'
            f'{_dumps(meta)},"columnDefinitions":{cols},"rows":[').encode()


# -- the columns and cells of kubectl get's Table -----------------------------------

_COLUMNS: list[tuple[str, int, str, str]] = [
    ("Last Seen", 0, "", "Time of the last occurrence."),
    ("Type", 0, "", "Type of this event (Normal, Warning)."),
    ("Reason", 0, "", "Short, machine understandable reason for the transition."),
    ("Object", 0, "", "The object that this event is about."),
    ("Subobject", 1, "", "The field of the object the event is about."),
    ("Source", 1, "", "The component reporting this event."),
    ("Message", 0, "", "A human-readable description of the status of this operation."),
    ("First Seen", 1, "", "The time at which the event was first recorded."),
    ("Count", 1, "", "The number of times this event has occurred."),
    ("Name", 1, "name", "Name must be unique within a namespace."),
]

COLUMN_DEFINITIONS: list[dict[str, Any]] = [
    {"name": n, "type": "string", "format": f, "description": d, "priority": p}
    for n, p, f, d in _COLUMNS
]

def _since(value: Any, now: float) -> str | None:
    ts = parse_time(value)
    if ts is None:
        return None
    return human_duration(now - ts)


def table_cells(core: dict[str, Any], now: float) -> list[Any]:
    """Cells of the apiserver's ``printEvent`` (wide form; kubectl hides priority 1)."""
    first = _since(core.get("firstTimestamp"), now)
    if first is None:
        first = _since(core.get("eventTime"), now) or "<unknown>"
    last = _since(core.get("lastTimestamp"), now) or first
    count = core.get("count") if isinstance(core.get("count"), int) else 0
    series = core.get("series")
    if isinstance(series, dict):
        last = _since(series.get("lastObservedTime"), now) or "<unknown>"
        count = series.get("count") if isinstance(series.get("count"), int) else 0
    elif not count:
        count = 1
    inv = _d(core.get("involvedObject"))
    kind = _s(inv.get("kind")).lower()
    name = _s(inv.get("name"))
    target = f"{kind}/{name}" if name else kind
    src = _d(core.get("source"))
    component = _s(src.get("component")) or _s(core.get("reportingComponent"))
    host = _s(src.get("host")) or _s(core.get("reportingInstance"))
    source = f"{component}, {host}" if host else component
    return [
        last,
        _s(core.get("type")),
        _s(core.get("reason")),
        target,
        _s(inv.get("fieldPath")),
        source,
        _s(core.get("message")).strip(),
        first,
        count,
        _s(_d(core.get("metadata")).get("name")),
    ]
