"""The one Event type every source yields.

Events arrive in three shapes: core/v1 ``Event`` objects, ``events.k8s.io/v1`` objects
and kubernetes-event-exporter documents (a core/v1 event plus ``clusterName`` and an
enriched ``involvedObject``). :func:`from_core_v1`, :func:`from_events_v1` and
:func:`from_exporter` normalise them into :class:`Event`. Nothing missing or null raises:
every field has a neutral default, and the time of an event follows the chain that
``kubectl events`` uses (see ``time_of``).

Times are kept as POSIX seconds (floats): they sort and bucket without allocation and
weigh a fraction of a ``datetime``. The raw object is kept compressed in a block shared
with its neighbours (:mod:`ktui.model.rawblock`), because five stores of 200,000 events
must fit in 1.2 GB and the raw object is only needed when one event is opened.
"""

from __future__ import annotations

import builtins
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from ktui.model.lenient import as_mapping, as_text
from ktui.model.rawblock import RawBlock

# References to objects live in refs.py; imported from here too, as they always were.
from ktui.model.refs import EMPTY_REF as EMPTY_REF
from ktui.model.refs import ObjectRef as ObjectRef
from ktui.model.refs import OwnerRef as OwnerRef
from ktui.model.refs import object_ref as object_ref
from ktui.model.refs import owner_refs as owner_refs

NORMAL = "Normal"
WARNING = "Warning"

API_CORE = "v1"
API_EVENTS = "events.k8s.io/v1"
API_EXPORTER = "exporter"

_intern = sys.intern


class ApiShape(NamedTuple):
    """Where one API's Event object keeps what the model reads: core/v1 and
    events.k8s.io/v1 name the same things differently. (The fast decoders of
    :mod:`ktui.kube.decode` take their plain path only for objects of this shape.)"""

    ref_key: str
    source_key: str
    message_key: str
    controller_key: str
    last_key: str
    first_key: str
    count_key: str
    foreign_keys: tuple[str, str, str]
    """The other API's time and count keys, which the model reads whatever the API (a
    real server never sends them)."""


CORE_SHAPE = ApiShape("involvedObject", "source", "message", "reportingComponent",
                      "lastTimestamp", "firstTimestamp", "count",
                      ("deprecatedLastTimestamp", "deprecatedFirstTimestamp", "deprecatedCount"))
EVENTS_SHAPE = ApiShape("regarding", "deprecatedSource", "note", "reportingController",
                        "deprecatedLastTimestamp", "deprecatedFirstTimestamp", "deprecatedCount",
                        ("lastTimestamp", "firstTimestamp", "count"))


def shape_of(api: str) -> ApiShape:
    """core/v1's shape for ``"v1"``, else events.k8s.io/v1's."""
    return CORE_SHAPE if api == API_CORE else EVENTS_SHAPE


@dataclass(frozen=True, slots=True, eq=False)
class Event:
    """A normalised Kubernetes event.

    Identity is the uid (``metadata.uid``); two Events with the same uid are versions of
    one event. ``time`` is the event time used for ordering (the time chain), ``first_seen``
    the first occurrence. ``count_is_lower_bound`` is set for exporter documents, whose
    count is frozen at export time.
    """

    uid: str
    namespace: str = ""
    type: str = ""
    reason: str = ""
    message: str = ""
    object: ObjectRef = EMPTY_REF
    name: str = ""
    context: str = ""
    cluster: str = ""
    source_component: str = ""
    source_host: str = ""
    reporting_controller: str = ""
    reporting_instance: str = ""
    action: str = ""
    count: int = 1
    first_seen: float = 0.0
    time: float = 0.0
    resource_version: str = ""
    api: str = API_CORE
    expired: bool = False
    count_is_lower_bound: bool = False
    # Where the object as the source sent it is kept (None: it was not): a block shared
    # with the events that arrived with this one, and this event's index in it.
    raw_block: RawBlock | None = field(default=None, repr=False)
    raw_index: int = field(default=0, repr=False)

    @property
    def raw(self) -> dict[str, Any]:
        """The whole object as the source sent it (decompressed on demand)."""
        block = self.raw_block
        if block is None:
            return {}
        loaded = json.loads(block.get(self.raw_index))
        return loaded if isinstance(loaded, dict) else {}

    @property
    def raw_compressed(self) -> bytes:
        """The object's JSON as received, zlib-compressed on its own (b"": not kept), as
        the archive stores it: already so for an event read from the archive, compressed
        now for one whose block it shares with others."""
        block = self.raw_block
        return b"" if block is None else block.zlib(self.raw_index)

    @property
    def is_warning(self) -> bool:
        return self.type == WARNING

    @property
    def source(self) -> str:
        """Who reported it: the reporting controller, else the legacy source component."""
        return self.reporting_controller or self.source_component

    def as_expired(self) -> Event:
        return replace(self, expired=True)

    def with_context(self, context: str) -> Event:
        return replace(self, context=context)

    def __eq__(self, other: builtins.object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (
            self.uid == other.uid
            and self.resource_version == other.resource_version
            and self.context == other.context
            and self.expired == other.expired
            and self.count == other.count
            and self.time == other.time
        )

    def __hash__(self) -> int:
        return hash((self.uid, self.resource_version, self.context))


class _Fresh:
    """An Event's slots behind a plain ``__init__``: :func:`make_event` fills one and turns
    it into an Event by assigning ``__class__`` (the layouts are the same: the same slots in
    the same order). A frozen dataclass writes each of its 23 fields with
    ``object.__setattr__`` (~3 us an event, a fifth of a listed event's CPU); this is
    ~0.6 us, and the result is an ordinary, frozen Event."""

    __slots__ = Event.__slots__

    def __init__(self, uid: str, namespace: str, type: str, reason: str, message: str,
                 object: ObjectRef, name: str, context: str, cluster: str,
                 source_component: str, source_host: str, reporting_controller: str,
                 reporting_instance: str, action: str, count: int, first_seen: float,
                 time: float, resource_version: str, api: str, expired: bool,
                 count_is_lower_bound: bool, raw_block: RawBlock | None,
                 raw_index: int) -> None:
        self.uid = uid
        self.namespace = namespace
        self.type = type
        self.reason = reason
        self.message = message
        self.object = object
        self.name = name
        self.context = context
        self.cluster = cluster
        self.source_component = source_component
        self.source_host = source_host
        self.reporting_controller = reporting_controller
        self.reporting_instance = reporting_instance
        self.action = action
        self.count = count
        self.first_seen = first_seen
        self.time = time
        self.resource_version = resource_version
        self.api = api
        self.expired = expired
        self.count_is_lower_bound = count_is_lower_bound
        self.raw_block = raw_block
        self.raw_index = raw_index


def make_event(*fields: Any) -> Event:
    """``Event(*fields)`` (all 23, in the order of the fields) for the hot path of a list:
    the same Event at a fifth of the cost (see :class:`_Fresh`)."""
    fresh = _Fresh(*fields)
    fresh.__class__ = Event  # type: ignore[assignment]
    return cast(Event, fresh)


# -- time -----------------------------------------------------------------------------


def parse_time(value: Any) -> float | None:
    """Parse an RFC 3339 timestamp (seconds or micro/nanoseconds, ``Z`` or offset).

    Returns POSIX seconds, or None for null, empty, zero-valued or unparseable input.
    """
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Go may send nanoseconds; fromisoformat takes at most microseconds.
    dot = text.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        digits = text[dot + 1 : end][:6]
        text = text[: dot + 1] + (digits or "0") + text[end:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed.year <= 1:
        # Go's zero time ("0001-01-01T00:00:00Z") means "unset".
        return None
    return parsed.timestamp()


def format_time(seconds: float) -> str:
    """RFC 3339 in UTC with a ``Z``; microseconds only when there are any."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def time_of(obj: Mapping[str, Any]) -> float:
    """The time of an event: series.lastObservedTime, lastTimestamp, eventTime,
    firstTimestamp, metadata.creationTimestamp; 0.0 when none is set.

    Accepts both API shapes (``deprecatedLastTimestamp`` for events.k8s.io/v1).
    """
    series = as_mapping(obj.get("series"))
    for candidate in (
        series.get("lastObservedTime"),
        obj.get("lastTimestamp"),
        obj.get("deprecatedLastTimestamp"),
        obj.get("eventTime"),
        obj.get("firstTimestamp"),
        obj.get("deprecatedFirstTimestamp"),
        as_mapping(obj.get("metadata")).get("creationTimestamp"),
    ):
        parsed = parse_time(candidate)
        if parsed is not None:
            return parsed
    return 0.0


def first_seen_of(obj: Mapping[str, Any]) -> float:
    """First occurrence: firstTimestamp, eventTime, creationTimestamp."""
    for candidate in (
        obj.get("firstTimestamp"),
        obj.get("deprecatedFirstTimestamp"),
        obj.get("eventTime"),
        as_mapping(obj.get("metadata")).get("creationTimestamp"),
    ):
        parsed = parse_time(candidate)
        if parsed is not None:
            return parsed
    return time_of(obj)


def count_of(obj: Mapping[str, Any]) -> int:
    """Repeat count: series.count, count (deprecatedCount), else 1."""
    for candidate in (
        as_mapping(obj.get("series")).get("count"),
        obj.get("count"),
        obj.get("deprecatedCount"),
    ):
        number = _int(candidate)
        if number is not None and number > 0:
            return number
    return 1


# -- normalisation --------------------------------------------------------------------


def raw_json(obj: Mapping[str, Any]) -> bytes:
    """An object as compact JSON, for a raw block."""
    return json.dumps(obj, separators=(",", ":")).encode()


def pack_raw(obj: Mapping[str, Any]) -> RawBlock:
    """A block of this object alone (where events arrive one by one)."""
    return RawBlock.single(raw_json(obj))


def _ref(value: Any, default_namespace: str, context: str) -> ObjectRef:
    ref = as_mapping(value)
    if not ref:
        return EMPTY_REF
    owners = ref.get("ownerReferences")  # only exporter documents carry them
    return object_ref(
        _intern(as_text(ref.get("kind"))),
        as_text(ref.get("name")),
        _intern(as_text(ref.get("namespace")) or default_namespace),
        as_text(ref.get("uid")),
        _intern(as_text(ref.get("apiVersion"))),
        as_text(ref.get("fieldPath")),
        None if owners is None else owner_refs(owners),
        context,
    )


def _common(obj: Mapping[str, Any], context: str, keep_raw: bool) -> dict[str, Any]:
    meta = as_mapping(obj.get("metadata"))
    namespace = as_text(meta.get("namespace"))
    name = as_text(meta.get("name"))
    uid = as_text(meta.get("uid")) or f"{namespace}/{name}"
    return {
        "uid": uid,
        "name": name,
        "namespace": _intern(namespace),
        "type": _intern(as_text(obj.get("type"))),
        "reason": _intern(as_text(obj.get("reason"))),
        "action": _intern(as_text(obj.get("action"))),
        "reporting_instance": _intern(as_text(obj.get("reportingInstance"))),
        "count": count_of(obj),
        "first_seen": first_seen_of(obj),
        "time": time_of(obj),
        "resource_version": as_text(meta.get("resourceVersion")),
        "context": _intern(context),
        "raw_block": pack_raw(obj) if keep_raw else None,
    }


def from_core_v1(obj: Mapping[str, Any], *, context: str = "", keep_raw: bool = True) -> Event:
    """Normalise a core/v1 Event (``kind: Event``, ``apiVersion: v1``)."""
    return _from_api(obj, CORE_SHAPE, API_CORE, context, keep_raw)


def from_events_v1(obj: Mapping[str, Any], *, context: str = "", keep_raw: bool = True) -> Event:
    """Normalise an events.k8s.io/v1 Event (``regarding``, ``note``, ``deprecated*``)."""
    return _from_api(obj, EVENTS_SHAPE, API_EVENTS, context, keep_raw)


def _from_api(obj: Mapping[str, Any], shape: ApiShape, api: str, context: str,
              keep_raw: bool) -> Event:
    fields = _common(obj, context, keep_raw)
    source = as_mapping(obj.get(shape.source_key))
    return Event(
        message=as_text(obj.get(shape.message_key)),
        object=_ref(obj.get(shape.ref_key), fields["namespace"], fields["context"]),
        source_component=_intern(as_text(source.get("component"))),
        source_host=_intern(as_text(source.get("host"))),
        reporting_controller=_intern(as_text(obj.get(shape.controller_key))),
        api=api,
        **fields,
    )


def from_exporter(doc: Mapping[str, Any], *, context: str = "", keep_raw: bool = True) -> Event:
    """Normalise a kubernetes-event-exporter document (an inlined core/v1 event).

    The exporter sends each event once, so its count is a lower bound. A ``layout``
    template renders leaves as strings; the helpers above accept those.
    """
    event = from_core_v1(doc, context=context, keep_raw=keep_raw)
    return replace(
        event,
        api=API_EXPORTER,
        cluster=_intern(as_text(doc.get("clusterName"))),
        count_is_lower_bound=True,
    )


def from_object(obj: Mapping[str, Any], *, context: str = "", keep_raw: bool = True) -> Event:
    """Normalise any of the shapes, told apart by apiVersion and fields."""
    if as_text(obj.get("apiVersion")).startswith("events.k8s.io/") or (
        "regarding" in obj or "note" in obj
    ):
        return from_events_v1(obj, context=context, keep_raw=keep_raw)
    if "clusterName" in obj and "apiVersion" not in obj:
        return from_exporter(obj, context=context, keep_raw=keep_raw)
    return from_core_v1(obj, context=context, keep_raw=keep_raw)
