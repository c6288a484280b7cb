"""Who owns the object an event is about: the Deployment behind a Pod, the CronJob behind
a Job. On-call engineers think in workloads; Pods come and go.

Best evidence first, and every answer says which it used (``resolved_by``):

``ownerReferences``
    The object's ``metadata.ownerReferences``: from an injectable lookup (live, the kube
    side reads Pods, ReplicaSets and Jobs), from what :meth:`OwnerResolver.learn` saw
    (kubernetes-event-exporter documents carry ``involvedObject.ownerReferences``), or
    from the event's own :attr:`ObjectRef.owners`.
``name``
    Kubernetes' naming rules, where nothing is known of the references:

    - a Deployment's ReplicaSet is ``<deployment>-<pod-template-hash>``; the hash is
      ``rand.SafeEncodeString`` of the decimal FNV-32a sum of the Pod template
      (``pkg/controller/controller_utils.go``), so only the ten letters that encode the
      digits 0-9 occur in it: ``456789bcdf``, and 6 to 10 of them in practice;
    - a generated name (``metadata.generateName``) is the base plus five characters of
      ``bcdfghjklmnpqrstvwxz2456789`` (``k8s.io/apimachinery/pkg/util/rand``), the base
      cut to 58 characters so the name fits in 63; a ReplicaSet's Pod is
      ``<replicaset>-<5>``;
    - a CronJob's Job is ``<cronjob>-<scheduled time in minutes since the epoch>``
      (controller v2, 8 digits today; v1 used seconds, 10 digits);
    - a DaemonSet's or a Job's Pod is ``<name>-<5>``. Nothing in such a name tells the
      two apart, nor from a Pod a person named ``db-pgsql``: this rule is applied only
      when that DaemonSet or Job is known (an event about it was seen, or ownerReferences
      named it);
    - a StatefulSet's Pod ``<name>-<ordinal>`` is grouped only when ownerReferences say
      so: ``web-1`` is as often a hand-made Pod.
``self``
    The object is its own group: nothing owns it, or nothing can be told.

Cluster-scoped objects (Nodes, PersistentVolumes...) have the namespace ``""``, whatever
the event's namespace (kubelet reports Node events in ``default``). Pure: no I/O here; a
lookup that does I/O must answer from its own cache (see ``ktui.sources.kube_owners``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ktui.model.event import Event, ObjectRef, OwnerRef

BY_OWNER_REFERENCES = "ownerReferences"
BY_NAME = "name"
BY_SELF = "self"

# k8s.io/apimachinery/pkg/util/rand: no vowels (no words), no 0, 1, 3 (no look-alikes).
ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# SafeEncodeString maps the ASCII digits '0'-'9' (48-57) to ALPHABET[code % 27].
HASH_ALPHABET = "".join(sorted(ALPHABET[ord(digit) % len(ALPHABET)] for digit in "0123456789"))
MAX_NAME = 63  # a generated name's length: the base is cut to 58, then 5 characters

CLUSTER_SCOPED = frozenset({
    "Node", "Namespace", "PersistentVolume", "StorageClass", "CSINode", "CSIDriver",
    "VolumeAttachment", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "PriorityClass", "RuntimeClass", "IngressClass", "APIService",
    "CertificateSigningRequest", "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "FlowSchema",
    "PriorityLevelConfiguration",
})
# Kinds a Pod's generated name may come from, in the order a name rule prefers them.
_GENERATING = ("DaemonSet", "Job", "ReplicaSet")
# Kinds worth remembering as existing: they own Pods or Jobs.
CONTROLLERS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job",
                         "CronJob"})

_NAME = r"[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?"
_HASH = f"[{HASH_ALPHABET}]"
_RANDOM = f"[{ALPHABET}]{{5}}"
_POD_OF_REPLICASET = re.compile(rf"(?P<parent>(?P<top>{_NAME})-{_HASH}{{6,10}})-{_RANDOM}")
_POD_OF_CRON_JOB = re.compile(rf"(?P<parent>(?P<top>{_NAME})-(?P<time>\d{{8}}|\d{{10}}))-{_RANDOM}")
_POD_GENERATED = re.compile(rf"(?P<parent>{_NAME})-{_RANDOM}")
# A Pod of a ReplicaSet whose generated name was cut: <deployment>-<part of the hash><5>.
_POD_CUT = re.compile(rf"(?P<top>{_NAME})-{_HASH}{{1,10}}{_RANDOM}")
_REPLICASET = re.compile(rf"(?P<top>{_NAME})-{_HASH}{{6,10}}")
_CRON_JOB = re.compile(rf"(?P<top>{_NAME})-(?P<time>\d{{8}}|\d{{10}})")

# Scheduled times a CronJob's Job name is taken to hold: 2015-01-01 .. 2045-01-01. A date
# such as backup-20240501 is not one (the year 2008 in minutes); nor is a pod-template
# hash made only of digits (they are all 4-9: 44444444 minutes is the year 2054, and ten
# such digits are beyond 2100 in seconds), so the two patterns never overlap.
_EARLIEST, _LATEST = 1_420_070_400, 2_366_841_600
REF_CACHE_MAX = 65_536  # references kept alive by the identity cache, at most
CACHE_MAX = 200_000  # objects whose owner is cached; beyond, the cache starts over
_MAX_HOPS = 8  # Pod -> ReplicaSet -> Deployment is 2; a cycle in hostile data stops here

Key = tuple[str, str, str]  # (kind, namespace, name)
Lookup = Callable[[str, str, str], Sequence[OwnerRef] | None]
"""``(kind, namespace, name) -> ownerReferences``; None when unknown (not read, gone,
forbidden), an empty sequence when the object is known to have no owner."""


@dataclass(frozen=True, slots=True)
class Owner:
    """Where an object's events are grouped: its top owner, or itself."""

    kind: str
    namespace: str
    name: str
    resolved_by: str = BY_SELF

    @property
    def key(self) -> Key:
        return (self.kind, self.namespace, self.name)

    @property
    def display(self) -> str:
        """``deployment/payments-api``, kubectl's style."""
        return f"{self.kind.lower()}/{self.name}" if self.kind else self.name


def scoped_namespace(kind: str, namespace: str) -> str:
    """``""`` for cluster-scoped kinds, else ``namespace``."""
    return "" if kind in CLUSTER_SCOPED else namespace


def _plausible_schedule(digits: str) -> bool:
    value = int(digits)
    seconds = value * 60 if len(digits) == 8 else value
    return _EARLIEST <= seconds <= _LATEST


def _key_of(obj: ObjectRef) -> Key:
    return (obj.kind, scoped_namespace(obj.kind, obj.namespace), obj.name)


def controller_of(refs: Sequence[OwnerRef]) -> OwnerRef | None:
    """The managing owner: the reference marked ``controller``, else the first one."""
    for ref in refs:
        if ref.controller:
            return ref
    return refs[0] if refs else None


class OwnerResolver:
    """Resolves objects to owners, with a cache per object (kind, namespace, name).

    ``lookup`` answers from what the caller knows (it must not block: the live reader
    answers from its cache and fetches in the background). What :meth:`learn` saw is
    used before it: ownerReferences carried by events, and which controllers exist.
    When the lookup learns about some objects, call :meth:`forget` with their keys
    (``learn`` does it itself): the answers that consulted them, and only those, are
    worked out again.
    """

    def __init__(self, lookup: Lookup | None = None) -> None:
        self.lookup = lookup
        self._cache: dict[Key, Owner] = {}
        # by the identity of a (shared) ObjectRef, kept alive here so its id cannot be
        # reused by another object: an int-keyed lookup instead of a tuple hash
        self._by_ref: dict[int, tuple[ObjectRef, Key, str]] = {}
        self._refs: dict[Key, tuple[OwnerRef, ...]] = {}
        self._known: dict[tuple[str, str], set[str]] = {}  # (namespace, name) -> kinds
        # key consulted (its references, or whether it exists) -> answers that did
        self._deps: dict[Key, set[Key]] = {}
        self._consulted: list[Key] = []
        self.invalidated = 0  # cached answers dropped by forget(keys), for grouping

    def forget(self, keys: Iterable[Key] | None = None) -> int:
        """Drop the cached answers that consulted ``keys`` (every answer when None; what
        was learned stays). Returns how many were dropped."""
        if keys is None:
            dropped = len(self._cache)
            self._cache.clear()
            self._by_ref.clear()
            self._deps.clear()
            self.invalidated += dropped
            return dropped
        stale: set[Key] = set()
        for key in keys:
            stale |= self._deps.pop(key, set())
        stale = {key for key in stale if self._cache.pop(key, None) is not None}
        if stale:
            self._by_ref = {ref_id: entry for ref_id, entry in self._by_ref.items()
                            if _key_of(entry[0]) not in stale}
            self.invalidated += len(stale)
        return len(stale)

    # -- evidence ----------------------------------------------------------------------

    def learn(self, events: Iterable[Event]) -> bool:
        """Take in the ownerReferences events carry and the controllers they are about.
        True (and the cache dropped) when anything new was learned. One pass in Python:
        feed it each batch as it arrives, not the whole store on every change."""
        return self.learn_objects(event.object for event in events)

    def learn_objects(self, objects: Iterable[ObjectRef]) -> bool:
        touched: list[Key] = []  # what is new: answers that consulted it are dropped
        refs, known = self._refs, self._known
        for obj in objects:
            kind = obj.kind
            namespace = scoped_namespace(kind, obj.namespace)
            if kind in CONTROLLERS:
                kinds = known.setdefault((namespace, obj.name), set())
                if kind not in kinds:
                    kinds.add(kind)
                    touched.append((kind, namespace, obj.name))
            owners = obj.owners
            if owners is not None:
                key = (kind, namespace, obj.name)
                if refs.get(key) != owners:
                    refs[key] = owners
                    touched.append(key)
                for owner in owners:
                    where = scoped_namespace(owner.kind, namespace)
                    kinds = known.setdefault((where, owner.name), set())
                    if owner.kind not in kinds:
                        kinds.add(owner.kind)
                        touched.append((owner.kind, where, owner.name))
        if touched:
            self.forget(touched)
        return bool(touched)

    def references(self, kind: str, namespace: str, name: str) -> Sequence[OwnerRef] | None:
        """The ownerReferences of an object, if known: learned ones first, then the lookup."""
        learned = self._refs.get((kind, namespace, name))
        if learned is not None:
            return learned
        if self.lookup is None:
            return None
        return self.lookup(kind, namespace, name)

    def _is_known(self, kind: str, namespace: str, name: str) -> bool:
        self._consulted.append((kind, namespace, name))
        return kind in self._known.get((namespace, name), ())

    # -- resolving ---------------------------------------------------------------------

    def resolve_ref(self, obj: ObjectRef) -> Owner:
        """The owner of an event's object (its own ``owners`` are learned first)."""
        if obj.owners is not None:
            self.learn_objects((obj,))
        return self.resolve(obj.kind, obj.namespace, obj.name)

    def resolve_event(self, event: Event) -> Owner:
        return self.resolve_ref(event.object)

    def knows(self, obj: ObjectRef) -> bool:
        """Whether this very reference was resolved since the last :meth:`forget`."""
        entry = self._by_ref.get(id(obj))
        return entry is not None and entry[0] is obj

    def owner_key(self, obj: ObjectRef) -> tuple[Key, str]:
        """(the owner's (kind, namespace, name), resolved_by) of an object, cached by the
        reference's identity (grouping asks once per reference and call). Does not learn
        ``obj.owners``: learn them first (:meth:`learn_objects`)."""
        entry = self._by_ref.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1], entry[2]
        owner = self.resolve(obj.kind, obj.namespace, obj.name)
        key = (owner.kind, owner.namespace, owner.name)
        if len(self._by_ref) >= REF_CACHE_MAX:
            self._by_ref.clear()
        self._by_ref[id(obj)] = (obj, key, owner.resolved_by)
        return key, owner.resolved_by

    def resolve(self, kind: str, namespace: str, name: str) -> Owner:
        namespace = scoped_namespace(kind, namespace)
        key = (kind, namespace, name)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= CACHE_MAX:
                self.forget()
            self._consulted = []
            found = self._cache[key] = self._walk(kind, namespace, name)
            deps = self._deps
            for consulted in self._consulted:
                deps.setdefault(consulted, set()).add(key)
        return found

    def _walk(self, kind: str, namespace: str, name: str) -> Owner:
        """Up the chain of owners; ``resolved_by`` is the evidence of the first step (the
        one that ties this object to a group); later steps use the best evidence there is."""
        how = BY_SELF
        seen = {(kind, name)}
        for _ in range(_MAX_HOPS):
            step = self._parent(kind, namespace, name)
            if step is None:
                break
            parent, evidence = step
            if (parent.kind, parent.name) in seen:
                break  # a cycle: only hostile or broken data has one
            seen.add((parent.kind, parent.name))
            if how == BY_SELF:
                how = evidence
            namespace = scoped_namespace(parent.kind, namespace)
            kind, name = parent.kind, parent.name
        return Owner(kind, namespace, name, how)

    def _parent(self, kind: str, namespace: str, name: str) -> tuple[OwnerRef, str] | None:
        self._consulted.append((kind, namespace, name))
        refs = self.references(kind, namespace, name)
        if refs is not None:
            owner = controller_of(refs)
            return None if owner is None else (owner, BY_OWNER_REFERENCES)
        parent = self.by_name(kind, namespace, name)
        return None if parent is None else (parent, BY_NAME)

    def by_name(self, kind: str, namespace: str, name: str) -> OwnerRef | None:
        """The parent Kubernetes' naming rules give (one step), or None."""
        if kind == "Pod":
            return self._pod_parent(namespace, name)
        if kind == "ReplicaSet":
            match = _REPLICASET.fullmatch(name)
            return OwnerRef("Deployment", match["top"], "apps/v1") if match else None
        if kind == "Job":
            match = _CRON_JOB.fullmatch(name)
            if match and _plausible_schedule(match["time"]):
                return OwnerRef("CronJob", match["top"], "batch/v1")
        return None

    def _pod_parent(self, namespace: str, name: str) -> OwnerRef | None:
        match = _POD_OF_CRON_JOB.fullmatch(name)
        if match and _plausible_schedule(match["time"]):
            return OwnerRef("Job", match["parent"], "batch/v1")
        match = _POD_GENERATED.fullmatch(name)
        if match:
            parent = match["parent"]
            for kind in _GENERATING:  # a controller seen in events wins over a pattern
                if self._is_known(kind, namespace, parent):
                    return OwnerRef(kind, parent, "batch/v1" if kind == "Job" else "apps/v1")
        match = _POD_OF_REPLICASET.fullmatch(name)
        if match:
            return OwnerRef("ReplicaSet", match["parent"], "apps/v1")
        if len(name) == MAX_NAME:
            # The ReplicaSet's name was cut with its hash: <deployment>-<hash part><5>. Its
            # full name is lost, the Deployment's is not.
            match = _POD_CUT.fullmatch(name)
            if match:
                return OwnerRef("Deployment", match["top"], "apps/v1")
        return None


def owner_of(event: Event, resolver: OwnerResolver | None = None) -> Owner:
    """One event's owner (a fresh resolver when none is given: naming rules and the
    event's own ownerReferences only)."""
    return (resolver if resolver is not None else OwnerResolver()).resolve_event(event)
