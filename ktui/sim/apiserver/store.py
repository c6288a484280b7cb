"""The event store: immutable versions, one resourceVersion counter, a change log.

Every change (ADDED, MODIFIED, DELETED) takes the next integer resourceVersion and
appends one entry to the log, so the log is indexed by ``rv - log_base``. A version is
never mutated once stored; its JSON bytes (per API) are produced once, lazily, and shared
by every list page and watch stream that sends it. List snapshots are plain lists of
versions, which makes paged lists consistent for free.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ktui.sim.apiserver.convert import selectable_fields, to_events_v1

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Version:
    """One version of one event (a core/v1 dict that must not be mutated)."""

    __slots__ = ("_core", "_fields", "_meta", "_new", "key", "name", "namespace", "obj", "rv",
                 "uid")

    def __init__(self, obj: dict[str, Any], rv: int) -> None:
        meta = obj["metadata"]
        self.obj = obj
        self.rv = rv
        self.uid: str = meta["uid"]
        self.namespace: str = meta.get("namespace") or ""
        self.name: str = meta.get("name") or ""
        self.key = (self.namespace, self.name)
        self._core: bytes | None = None
        self._new: bytes | None = None
        self._meta: bytes | None = None
        self._fields: tuple[str, ...] | None = None

    def core_bytes(self) -> bytes:
        b = self._core
        if b is None:
            b = self._core = _dumps(self.obj).encode()
        return b

    def new_bytes(self) -> bytes:
        b = self._new
        if b is None:
            b = self._new = _dumps(to_events_v1(self.obj)).encode()
        return b

    def bytes_for(self, api: str) -> bytes:
        return self.core_bytes() if api == "v1" else self.new_bytes()

    def meta_bytes(self) -> bytes:
        b = self._meta
        if b is None:
            b = self._meta = _dumps(self.obj["metadata"]).encode()
        return b

    def fields(self) -> tuple[str, ...]:
        f = self._fields
        if f is None:
            f = self._fields = selectable_fields(self.obj)
        return f


@dataclass(slots=True)
class Snapshot:
    """The items of one paged list, frozen at its first page."""

    rv: int
    items: list[Version]
    created: float


class TooOld(Exception):
    """A watch asked for changes the log no longer holds."""

    def __init__(self, asked: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {asked} ({oldest})")
        self.asked = asked
        self.oldest = oldest


Change = tuple[int, str, Version]


class Store:
    """Thread-safe event store. ``cond`` is notified after every batch of changes."""

    def __init__(self, history_window: int = 5000, live_buffer: int = 200_000,
                 first_rv: int = 1000, continue_ttl: float = 300.0,
                 max_snapshots: int = 512) -> None:
        self.cond = threading.Condition(threading.Lock())
        self.history_window = history_window
        self.live_buffer = max(live_buffer, history_window)
        self.rv = first_rv
        self.current: dict[str, Version] = {}
        self.by_key: dict[tuple[str, str], str] = {}
        self.log: list[Change] = []
        self.log_base = first_rv + 1  # rv of log[0]
        self.min_resume = 0  # watches from an rv below this are too old (compaction)
        self.continue_ttl = continue_ttl
        self._sorted: list[str] | None = None
        self._snapshots: OrderedDict[str, Snapshot] = OrderedDict()
        self._max_snapshots = max_snapshots
        self._sid = 0

    # -- writes (callers hold no lock) ----------------------------------------------
    def apply(self, changes: Iterable[tuple[str, dict[str, Any]]],
              fresh: bool = False) -> list[Version]:
        """Apply (type, core dict) changes atomically; each takes the next rv.

        ``fresh`` says the dicts (and their metadata) belong to the store from now on and
        may be completed in place, which saves a copy per event in bulk loads.
        """
        out: list[Version] = []
        with self.cond:
            for kind, obj in changes:
                out.append(self._apply_locked(kind, obj, fresh))
            self._trim_locked()
            self.cond.notify_all()
        return out

    def update(self, uid: str, fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Version:
        """MODIFIED: ``fn`` gets a copy-safe view of the current dict, returns the new one."""
        with self.cond:
            cur = self.current.get(uid)
            if cur is None:
                raise KeyError(uid)
            v = self._apply_locked(MODIFIED, fn(cur.obj))
            self._trim_locked()
            self.cond.notify_all()
            return v

    def _apply_locked(self, kind: str, obj: dict[str, Any], fresh: bool = False) -> Version:
        self.rv += 1
        rv = self.rv
        if fresh:
            obj["metadata"]["resourceVersion"] = str(rv)
        else:
            meta = dict(obj["metadata"])
            meta["resourceVersion"] = str(rv)
            obj = {**obj, "metadata": meta}
        v = Version(obj, rv)
        if kind == DELETED:
            if self.current.pop(v.uid, None) is not None:
                self.by_key.pop(v.key, None)
                self._sorted = None
        else:
            if kind == ADDED or v.uid not in self.current:
                self._sorted = None
            self.current[v.uid] = v
            self.by_key[v.key] = v.uid
        self.log.append((rv, kind, v))
        return v

    def _trim_locked(self) -> None:
        excess = len(self.log) - self.live_buffer
        if excess > self.live_buffer // 4:
            del self.log[:excess]
            self.log_base += excess

    def delete(self, uids: Iterable[str]) -> list[Version]:
        """DELETED for each uid still present (the object carries the deletion rv)."""
        out: list[Version] = []
        with self.cond:
            for uid in uids:
                cur = self.current.get(uid)
                if cur is not None:
                    out.append(self._apply_locked(DELETED, cur.obj))
            self._trim_locked()
            self.cond.notify_all()
        return out

    def compact(self) -> None:
        """Forget history: any watch resuming from an rv before now is too old. The current
        rv stays resumable, as etcd's compaction at a revision keeps that revision: a list
        made now can be followed by a watch from its resourceVersion."""
        with self.cond:
            self.min_resume = self.rv

    # -- reads ----------------------------------------------------------------------
    def oldest_resumable(self) -> int:
        """The smallest rv a watch may resume from (lock held or not; a hint)."""
        return max(self.rv - self.history_window, self.log_base - 1, self.min_resume)

    def check_resume(self, rv: int) -> None:
        oldest = self.oldest_resumable()
        if rv < oldest:
            raise TooOld(rv, oldest)

    def changes_since(self, rv: int) -> list[Change]:
        """Changes after ``rv`` (lock must be held). Raises TooOld if trimmed away."""
        start = rv + 1 - self.log_base
        if start < 0:
            raise TooOld(rv, self.log_base - 1)
        return self.log[start:]

    def sorted_current(self) -> list[Version]:
        """Current versions in etcd key order (namespace, name). Lock must be held."""
        if self._sorted is None:
            cur = self.current
            self._sorted = sorted(cur, key=lambda u: cur[u].key)
        cur = self.current
        return [cur[u] for u in self._sorted]

    def snapshot(self, keep: Callable[[Version], bool] | None) -> Snapshot:
        with self.cond:
            items = self.sorted_current()
            rv = self.rv
        if keep is not None:
            items = [v for v in items if keep(v)]
        return Snapshot(rv, items, time.monotonic())

    def save_snapshot(self, snap: Snapshot) -> str:
        with self.cond:
            self._sid += 1
            sid = str(self._sid)
            self._snapshots[sid] = snap
            while len(self._snapshots) > self._max_snapshots:
                self._snapshots.popitem(last=False)
            return sid

    def load_snapshot(self, sid: str) -> Snapshot | None:
        with self.cond:
            snap = self._snapshots.get(sid)
            if snap is None:
                return None
            if time.monotonic() - snap.created > self.continue_ttl:
                del self._snapshots[sid]
                return None
            return snap

    def expire_snapshots(self) -> None:
        with self.cond:
            self._snapshots.clear()

    def get(self, namespace: str, name: str) -> Version | None:
        with self.cond:
            uid = self.by_key.get((namespace, name))
            return self.current.get(uid) if uid else None

    def get_uid(self, uid: str) -> Version | None:
        with self.cond:
            return self.current.get(uid)

    def has_name(self, namespace: str, name: str) -> bool:
        with self.cond:
            return (namespace, name) in self.by_key

    def namespaces(self) -> list[str]:
        with self.cond:
            return sorted({v.namespace for v in self.current.values()})
