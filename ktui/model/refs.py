"""References to objects: what an event is about (:class:`ObjectRef`) and the owners an
object names (:class:`OwnerRef`), shared between the events of one object."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from ktui.model.lenient import as_mapping, as_text

_intern = sys.intern


@dataclass(frozen=True, slots=True)
class OwnerRef:
    """One entry of an object's ``metadata.ownerReferences`` (same namespace as the object,
    or cluster-scoped)."""

    kind: str
    name: str
    api_version: str = ""
    uid: str = ""
    controller: bool = False


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """The object an event is about (``involvedObject`` / ``regarding``).

    ``owners`` is the object's ownerReferences when the event carries them (documents of
    kubernetes-event-exporter do, in ``involvedObject.ownerReferences``); None when the
    event does not say. It takes no part in equality: it describes the object, not which
    object this is.
    """

    kind: str = ""
    name: str = ""
    namespace: str = ""
    uid: str = ""
    api_version: str = ""
    field_path: str = ""
    owners: tuple[OwnerRef, ...] | None = field(default=None, compare=False)

    @property
    def display(self) -> str:
        """``kind/name`` in kubectl's lower-case style (``pod/web-1``)."""
        if not self.kind:
            return self.name
        return f"{self.kind.lower()}/{self.name}"


EMPTY_REF = ObjectRef()

# Events about one object share one ObjectRef: a Pod has dozens of events (Scheduled,
# Pulling, Pulled, Created, Started, a BackOff repeated...), so 200,000 events hold a few
# thousand distinct references. Sharing saves their memory (~300 bytes each with the
# name, uid and fieldPath strings), and grouping by object can bucket events by the
# reference's identity, a C-level int hash, instead of hashing (kind, namespace, name)
# tuples (ktui.model.grouping). Bounded: when full the table starts over, and equal
# references that are not the same object are still equal (grouping merges them). Events
# of different contexts never share one: "default/nginx" is another Pod in another cluster.
_REFS: dict[tuple[Any, ...], ObjectRef] = {}
REFS_MAX = 32_768


def object_ref(
    kind: str,
    name: str,
    namespace: str,
    uid: str = "",
    api_version: str = "",
    field_path: str = "",
    owners: tuple[OwnerRef, ...] | None = None,
    context: str = "",
) -> ObjectRef:
    """The shared ObjectRef with these fields (a new one the first time) for events of
    ``context``."""
    key = (kind, name, namespace, uid, api_version, field_path, owners, context)
    ref = _REFS.get(key)
    if ref is None:
        if len(_REFS) >= REFS_MAX:
            _REFS.clear()  # a race with another parsing thread at worst makes a twin
        ref = _REFS[key] = ObjectRef(kind, name, namespace, uid, api_version, field_path, owners)
    return ref


def owner_refs(value: Any) -> tuple[OwnerRef, ...] | None:
    """``ownerReferences`` as OwnerRefs; None when absent or not a list. Entries without a
    kind or a name are left out (they cannot name an owner)."""
    if not isinstance(value, list):
        return None
    refs = []
    for item in value:
        entry = as_mapping(item)
        kind, name = as_text(entry.get("kind")), as_text(entry.get("name"))
        if kind and name:
            refs.append(OwnerRef(
                kind=_intern(kind),
                name=name,
                api_version=_intern(as_text(entry.get("apiVersion"))),
                uid=as_text(entry.get("uid")),
                controller=entry.get("controller") is True,
            ))
    return tuple(refs)
