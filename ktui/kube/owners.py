"""The ownerReferences of the objects events are about, read from the API server: the
live evidence behind grouping events by owner (:mod:`ktui.model.owners`).

Pods, ReplicaSets and Jobs are read (their owners are what grouping needs: Pod ->
ReplicaSet -> Deployment, Pod -> Job -> CronJob, Pod -> StatefulSet or DaemonSet). A
namespace where several are wanted is listed once (metadata only, where the server
offers it: ``as=PartialObjectMetadataList``); a few are read one by one.

:meth:`OwnerReader.lookup` never does I/O: it answers from the cache, so it can serve a
resolver on the UI thread. :meth:`OwnerReader.fetch` does the requests: call it where
blocking is fine (a worker thread, the CLI). Nothing here fails the caller: a 403 marks
that resource in that namespace as not readable (once, quietly; the naming rules take
over), a 404 marks the object as gone, and any other failure ends the fetch early, to be
tried again by the next one.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from ktui.feeds.errors import Forbidden, SourceError
from ktui.kube.transport import Connection, HTTPStatusError
from ktui.model.event import OwnerRef, owner_refs
from ktui.model.owners import controller_of

Key = tuple[str, str, str]  # (kind, namespace, name)

READABLE = {  # kind -> (API path prefix, resource)
    "Pod": ("/api/v1", "pods"),
    "ReplicaSet": ("/apis/apps/v1", "replicasets"),
    "Job": ("/apis/batch/v1", "jobs"),
}
META_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
META_ONE = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
LIST_AT = 3  # wanted objects in one namespace from which listing it beats reading each
PAGE = 500
MAX_GETS = 64  # objects read one by one per fetch, at most
MAX_KNOWN = 100_000  # cached objects; the cache starts over beyond this
# Only names an API server accepts are asked for (event text is untrusted: no "../").
_NAME = re.compile(r"[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?")


class OwnerReader:
    """A cache of ownerReferences filled from one API server (thread-safe)."""

    def __init__(
        self,
        conn: Connection,
        *,
        list_at: int = LIST_AT,
        relist_after: float = 30.0,
        read_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.conn = conn
        self.list_at = list_at
        self.relist_after = relist_after
        self.read_timeout = read_timeout
        self.clock = clock
        self.requests = 0  # sent, for tests and the status line
        self._lock = threading.Lock()
        # None: looked for and not found (gone); absent: never looked for
        self._refs: dict[Key, tuple[OwnerRef, ...] | None] = {}
        self._listed: dict[tuple[str, str], float] = {}
        self.forbidden: set[tuple[str, str]] = set()  # (resource, namespace)

    # -- reading the cache (no I/O) ----------------------------------------------------

    def lookup(self, kind: str, namespace: str, name: str) -> tuple[OwnerRef, ...] | None:
        """The object's ownerReferences if they were read; None otherwise (a
        :data:`ktui.model.owners.Lookup`)."""
        return self._refs.get((kind, namespace, name))

    def wanted(self, keys: Iterable[Key]) -> list[Key]:
        """The keys a fetch would read: readable kinds, never looked for, allowed."""
        out: dict[Key, None] = {}
        with self._lock:
            for key in keys:
                kind, namespace, _ = key
                where = READABLE.get(kind)
                if (where is None or key in self._refs
                        or not _NAME.fullmatch(namespace) or not _NAME.fullmatch(key[2])
                        or (where[1], namespace) in self.forbidden):
                    continue
                out[key] = None
        return list(out)

    # -- fetching (blocking) -----------------------------------------------------------

    def fetch(self, keys: Iterable[Key], depth: int = 3) -> set[Key]:
        """Read the ownerReferences of ``keys``, then of the owners they name that are
        readable too (a Pod's ReplicaSet, a Job), ``depth`` levels at most. Returns the
        keys read (give them to ``OwnerResolver.forget``); never raises."""
        learned: set[Key] = set()
        wanted = self.wanted(keys)
        for _ in range(depth):
            if not wanted:
                break
            read = self._fetch_level(wanted)
            learned.update(read)
            parents = []
            for (_, namespace, _), refs in read.items():
                owner = controller_of(refs)
                if owner is not None:
                    parents.append((owner.kind, namespace, owner.name))
            wanted = self.wanted(parents)
        return learned

    def _fetch_level(self, keys: list[Key]) -> dict[Key, tuple[OwnerRef, ...]]:
        by_place: dict[tuple[str, str], list[Key]] = {}
        for key in keys:
            by_place.setdefault((key[0], key[1]), []).append(key)
        read: dict[Key, tuple[OwnerRef, ...]] = {}
        gets: list[Key] = []
        try:
            for (kind, namespace), group in by_place.items():
                resource = READABLE[kind][1]
                listed_at = self._listed.get((resource, namespace))
                fresh = listed_at is not None and self.clock() - listed_at < self.relist_after
                if len(group) >= self.list_at and not fresh:
                    found = self._list(kind, namespace)
                    if found is None:
                        continue  # forbidden there
                    read.update(found)
                    # listed but absent: created since, or gone; read those one by one
                    gets += [key for key in group if key not in found]
                else:
                    gets += group
            for key in gets[:MAX_GETS]:
                refs = self._get(key)
                if refs is not None:
                    read[key] = refs
        except SourceError:
            pass  # unreachable, a timeout, a 5xx: leave the rest for the next fetch
        return read

    def _remember(self, found: dict[Key, tuple[OwnerRef, ...] | None]) -> None:
        with self._lock:
            if len(self._refs) + len(found) > MAX_KNOWN:
                self._refs.clear()
            self._refs.update(found)

    def _request(self, path: str, params: dict[str, Any] | None, accept: str) -> Any:
        with self._lock:
            self.requests += 1
        body = self.conn.get_json(path, params, read_timeout=self.read_timeout,
                                  headers={"Accept": accept})
        try:
            return json.loads(body)
        except ValueError:
            raise SourceError(f"{path}: the answer is not JSON") from None

    def _list(self, kind: str, namespace: str) -> dict[Key, tuple[OwnerRef, ...]] | None:
        prefix, resource = READABLE[kind]
        path = f"{prefix}/namespaces/{quote(namespace, safe='')}/{resource}"
        found: dict[Key, tuple[OwnerRef, ...]] = {}
        token = ""
        while True:
            try:
                page = self._request(path, {"limit": PAGE, "continue": token}, META_ONLY)
            except Forbidden:
                with self._lock:
                    self.forbidden.add((resource, namespace))
                return None
            except HTTPStatusError as exc:
                if exc.code == 410 and token:  # continue token expired: start over
                    found.clear()
                    token = ""
                    continue
                raise
            items = page.get("items") if isinstance(page, dict) else None
            for item in items if isinstance(items, list) else ():
                name, refs = _meta(item)
                if name:
                    found[(kind, namespace, name)] = refs
            meta = page.get("metadata") if isinstance(page, dict) else None
            token = str(meta.get("continue") or "") if isinstance(meta, dict) else ""
            if not token:
                break
        self._remember(dict(found))
        with self._lock:
            self._listed[(resource, namespace)] = self.clock()
        return found

    def _get(self, key: Key) -> tuple[OwnerRef, ...] | None:
        kind, namespace, name = key
        prefix, resource = READABLE[kind]
        try:
            path = f"{prefix}/namespaces/{quote(namespace, safe='')}/{resource}/"
            obj = self._request(path + quote(name, safe=""), None, META_ONE)
        except Forbidden:
            with self._lock:
                self.forbidden.add((resource, namespace))
            return None
        except HTTPStatusError as exc:
            if exc.code != 404:
                raise
            self._remember({key: None})  # gone: the naming rules answer for it
            return None
        _, refs = _meta(obj)
        self._remember({key: refs})
        return refs


def _meta(obj: Any) -> tuple[str, tuple[OwnerRef, ...]]:
    """(name, ownerReferences) of an object or a PartialObjectMetadata."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(meta, dict):
        return "", ()
    name = meta.get("name")
    return (name if isinstance(name, str) else "",
            owner_refs(meta.get("ownerReferences")) or ())
