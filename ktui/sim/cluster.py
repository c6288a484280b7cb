"""SimCluster: one simulated Kubernetes API server for events, on loopback."""

from __future__ import annotations

import json
import random
import threading
import time as _time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from ktui.sim.apiserver.auth import Grant, TokenTable
from ktui.sim.apiserver.backend import Backend
from ktui.sim.apiserver.convert import CORE, parse_time
from ktui.sim.apiserver.faults import Faults
from ktui.sim.apiserver.server import SimHTTPServer
from ktui.sim.apiserver.store import ADDED, Store
from ktui.sim.apiserver.workloads import Workloads
from ktui.sim.events.build import ObjectRegistry, build_event, bump, uid4
from ktui.sim.events.generate import DEFAULT_NAMESPACES, Generator, Spec, StormThread
from ktui.sim.events.scenarios import apply_scenario

_UNSET: Any = object()
Background = Callable[["SimCluster", threading.Event], None]


def event_time(obj: Mapping[str, Any]) -> float | None:
    """The time chain: series.lastObservedTime, lastTimestamp, eventTime, first, creation."""
    series = obj.get("series")
    candidates = [series.get("lastObservedTime") if isinstance(series, dict) else None,
                  obj.get("lastTimestamp"), obj.get("eventTime"), obj.get("firstTimestamp"),
                  (obj.get("metadata") or {}).get("creationTimestamp")]
    for value in candidates:
        ts = parse_time(value)
        if ts is not None:
            return ts
    return None


class SimCluster:
    """A real HTTP Kubernetes API server serving events from an in-memory store.

    ``event_ttl`` (seconds) expires events older than that while serving, like the
    apiserver's ``--event-ttl`` (1h there; off here by default so scenarios stay put).
    It serves HTTPS with the test CA of :mod:`ktui.sim.apiserver.tls` (``write_kubeconfig``
    embeds it); ``tls=False`` serves plain HTTP, to which kubectl and ktui send no
    credentials (so ``require_auth=False`` for them).
    ``client_certs`` (with TLS) maps the CN of a client certificate signed by the test
    client CA to a Grant: ``write_kubeconfig(..., client_cert=True)`` authenticates so.

    ``history_window``: how many resourceVersions back a watch may resume from (the watch
    cache's window: a small one under a storm makes a list's resourceVersion too old to
    watch from before the list is read). ``streaming_list``: "on" serves watches with
    ``sendInitialEvents`` (the streaming list, WatchList), "off" refuses them with 422 as a
    server with the feature gate off does, "ignored" treats them as plain watches as a
    server before 1.27 does.

    Thread-safe. ``scenario`` names one or more entries of ``SCENARIOS`` (joined with
    ``,`` or ``+``); they are applied at construction, with times relative to ``now()``.
    """

    def __init__(self, name: str = "demo", scenario: str = "demo", port: int = 0,
                 host: str = "127.0.0.1", history_window: int = 5000,
                 tokens: Mapping[str, Grant] | None = None, require_auth: bool = True,
                 seed: int = 1, now: Callable[[], float] | None = None,
                 bookmark_interval: float = 5.0, continue_ttl: float = 300.0,
                 default_watch_timeout: float = 1800.0, tls: bool = True,
                 event_ttl: float | None = None, gzip: bool = False,
                 streaming_list: str = "on",
                 client_certs: Mapping[str, Grant] | None = None) -> None:
        if streaming_list not in ("on", "off", "ignored"):
            raise ValueError(f"streaming_list must be on, off or ignored, not {streaming_list!r}")
        if client_certs and not tls:
            raise ValueError("client certificates need tls=True")
        self.name = name
        self.streaming_list = streaming_list
        self.client_certs = dict(client_certs or {})
        self.gzip = gzip
        self.counters: dict[str, int] = {}  # kept across restarts: gzipped responses, watches
        # answered (watches) and ended at their timeoutSeconds (watch_timeouts)
        self.tls = tls
        self.host = host
        self._port = port
        self.now: Callable[[], float] = now or _time.time
        self.rng = random.Random(seed)
        self.store = Store(history_window=history_window, continue_ttl=continue_ttl)
        self.faults = Faults()
        self.faults._compact = self.store.compact
        self.faults._restart = self.restart
        self.tokens = TokenTable(dict(tokens) if tokens is not None
                                 else {"admin-token": Grant.all()}, require_auth,
                                 self.client_certs)
        self.bookmark_interval = bookmark_interval
        self.default_watch_timeout = default_watch_timeout
        self.objects = ObjectRegistry(self.rng)
        # the objects events are about, with their ownerReferences (same uids as events)
        self.workloads = Workloads(lambda kind, ns, name: str(self.objects.ref(
            kind, ns or None, name)["uid"]), self.now)
        self._lock = threading.RLock()  # event writes
        self._last_nanos: dict[tuple[str, str], int] = {}
        self._life = threading.RLock()  # start / stop / restart
        self._server: SimHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._backend: Backend | None = None
        self._background: list[Background] = []
        self._bg_stop = threading.Event()
        self._bg_threads: list[threading.Thread] = []
        self._storms: list[StormThread] = []
        apply_scenario(self, scenario)
        self.event_ttl = event_ttl
        if event_ttl:
            self.add_background(_reaper)

    # -- lifecycle --------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> SimCluster:
        """Listen (on ``port``, or a free port the first time) and start the background
        generators of the scenario. Starting a running cluster does nothing."""
        with self._life:
            self._start_server()
            if not self._bg_threads:
                self._bg_stop = threading.Event()
                for fn in self._background:
                    self._spawn(fn)
        return self

    def stop(self) -> None:
        """Stop serving: the port is closed, every open connection (watches) is cut, and
        storms and background trickles end."""
        with self._life:
            self._bg_stop.set()
            for storm in self._storms:
                storm.stop()
            self._stop_server()
            threads, self._bg_threads = self._bg_threads, []
        for t in threads:
            t.join(2)

    def restart(self) -> None:
        """Like an apiserver restart: stop listening and cut every connection, then listen
        again on the same port. The store, storms and trickles carry on."""
        with self._life:
            self._stop_server()
            self.faults.record("restart")
            self._start_server()

    def _start_server(self) -> None:
        if self._server is not None:
            return
        backend = Backend(self.store, self.tokens, self.faults, self.now,
                          self.bookmark_interval, self.default_watch_timeout, gzip=self.gzip,
                          streaming_list=self.streaming_list, counters=self.counters,
                          workloads=self.workloads)
        ctx = None
        if self.tls:
            from ktui.sim.apiserver.tls import server_context

            ctx = server_context(client_ca=bool(self.client_certs))
        server = SimHTTPServer((self.host, self._port), backend, ctx)
        self._port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name=f"ktui-sim-{self.name}", daemon=True)
        self._server, self._thread, self._backend = server, thread, backend
        thread.start()

    def _stop_server(self) -> None:
        server, thread, backend = self._server, self._thread, self._backend
        self._server = self._thread = self._backend = None
        if server is None or backend is None:
            return
        backend.stopping.set()
        with self.store.cond:
            self.store.cond.notify_all()
        server.shutdown()
        server.cut_connections()
        server.server_close()
        if thread is not None:
            thread.join(5)

    def _spawn(self, fn: Background) -> None:
        t = threading.Thread(target=fn, args=(self, self._bg_stop), daemon=True,
                             name=f"ktui-sim-bg-{self.name}")
        t.start()
        self._bg_threads.append(t)

    def __enter__(self) -> SimCluster:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def add_background(self, fn: Background) -> None:
        """Run ``fn(cluster, stop_event)`` in a thread while the server runs."""
        with self._life:
            self._background.append(fn)
            if self._bg_threads or self.running:
                self._spawn(fn)

    # -- writing events -----------------------------------------------------------------
    def emit(self, namespace: str, reason: str, message: str, type: str = "Normal",
             kind: str = "Pod", name: str = "", api: str = CORE, component: str = "kubelet",
             host: str | None = None, time: float | None = None, *, count: int = 1,
             first_time: float | None = None, field_path: str | None = None,
             object_api_version: str | None = None, object_namespace: str | None = _UNSET,
             reporting_instance: str | None = None, action: str | None = None,
             related: dict[str, Any] | None = None) -> dict[str, Any]:
        """ADDED: create one event and return it as stored (a core/v1 dict copy).

        ``api`` is the recorder's API: ``"v1"`` or ``"events.k8s.io/v1"`` (eventTime and
        series only). ``count``/``first_time`` create an event already repeated
        (``x3 over 24m``) without a MODIFIED per repeat.
        """
        if api not in (CORE, "events.k8s.io/v1"):
            raise ValueError(f"unknown api {api!r}")
        t = self.now() if time is None else time
        with self._lock:
            if object_namespace is _UNSET:
                object_namespace = None if kind == "Node" else namespace
            ref = self.objects.ref(kind, object_namespace, name or "unknown",
                                   object_api_version, field_path)
            ev_name = self._event_name(namespace, name, first_time or t)
            obj = build_event(uid=uid4(self.rng), name=ev_name, namespace=namespace,
                              involved=ref, reason=reason, message=message, type=type,
                              api=api, component=component, host=host, time=t,
                              first_time=first_time, count=count,
                              reporting_instance=reporting_instance, action=action,
                              related=related)
            (v,) = self.store.apply([(ADDED, obj)], fresh=True)
        return _copy(v.core_bytes())

    def emit_raw(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """ADDED: store ``obj`` as is (hostile input). metadata.uid/name/namespace are
        filled in when missing; everything else, nulls included, is kept."""
        meta = dict(obj.get("metadata") or {})
        with self._lock:
            meta.setdefault("uid", uid4(self.rng))
            meta.setdefault("namespace", "default")
            meta.setdefault("name", self._event_name(meta["namespace"], "raw", self.now()))
            full = {"kind": "Event", "apiVersion": "v1", **obj, "metadata": meta}
            (v,) = self.store.apply([(ADDED, full)])
        return _copy(v.core_bytes())

    def repeat(self, uid: str, n: int = 1, time: float | None = None) -> dict[str, Any]:
        """MODIFIED: ``n`` more occurrences (count/lastTimestamp or series)."""
        t = self.now() if time is None else time
        v = self.store.update(uid, lambda obj: bump(obj, n, t))
        return _copy(v.core_bytes())

    def expire(self, uid: str) -> bool:
        """DELETED (TTL expiry). False if there was no such event."""
        return bool(self.store.delete([uid]))

    def expire_older_than(self, seconds: float) -> int:
        """Expire every event whose time is older than ``seconds`` ago; returns how many."""
        cutoff = self.now() - seconds
        with self.store.cond:
            old = [v.uid for v in self.store.current.values()
                   if (event_time(v.obj) or 0.0) < cutoff]
        return len(self.store.delete(old))

    def _event_name(self, namespace: str, obj_name: str, t: float) -> str:
        nanos = int(t * 1e9)
        base = obj_name or "event"
        while self.store.has_name(namespace, f"{base}.{nanos:x}"):
            nanos += 1
        return f"{base}.{nanos:x}"

    def _emit_specs(self, specs: Sequence[Spec], times: Sequence[float] | None = None
                    ) -> list[str]:
        """Bulk ADDED in one store transaction; returns the uids."""
        now = self.now()
        objs: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            by_key = self.store.by_key  # read without the store lock: we only add here
            last = self._last_nanos
            if len(last) > 100_000:
                last.clear()
            for i, s in enumerate(specs):
                t = times[i] if times is not None else now
                nanos = int(t * 1e9)
                # names are object.<hex nanoseconds>: many events about one object in the
                # same instant take the next free nanosecond, without probing
                key = (s.namespace, s.name)
                prev = last.get(key)
                if prev is not None and nanos <= prev:
                    nanos = prev + 1
                name = f"{s.name}.{nanos:x}"
                while (s.namespace, name) in by_key:
                    nanos += 1
                    name = f"{s.name}.{nanos:x}"
                last[key] = nanos
                ref = self.objects.ref(s.kind, s.namespace, s.name)
                objs.append((ADDED, build_event(
                    uid=uid4(self.rng), name=name, namespace=s.namespace, involved=ref,
                    reason=s.reason, message=s.message, type=s.type, api=s.api,
                    component=s.component, host=s.host, time=t, first_time=None, count=1)))
            versions = self.store.apply(objs, fresh=True)
        return [v.uid for v in versions]

    def _repeat_many(self, uids: Iterable[str]) -> int:
        t = self.now()
        n = 0
        for uid in uids:
            try:
                self.store.update(uid, lambda obj: bump(obj, 1, t))
                n += 1
            except KeyError:
                pass
        return n

    def load(self, n: int, namespaces: Sequence[str] = DEFAULT_NAMESPACES,
             span_s: float = 3600.0, warning_ratio: float = 0.2) -> None:
        """Bulk-create ``n`` events spread over the last ``span_s`` seconds."""
        gen = Generator(self.rng, namespaces, warning_ratio)
        now = self.now()
        times = sorted(now - self.rng.random() * span_s for _ in range(n))
        self._emit_specs([gen.next() for _ in range(n)], times)

    def storm(self, rate_per_s: float, duration_s: float,
              namespaces: Sequence[str] = DEFAULT_NAMESPACES, warning_ratio: float = 0.2,
              repeat_ratio: float = 0.1,
              clock: Callable[[], float] = _time.monotonic) -> StormThread:
        """Start a thread emitting ADDED (and ``repeat_ratio`` MODIFIED) at that rate,
        paced by ``clock``."""
        gen = Generator(random.Random(self.rng.getrandbits(32)), namespaces, warning_ratio)
        storm = StormThread(self, rate_per_s, duration_s, gen, repeat_ratio, clock=clock)
        self._storms.append(storm)
        storm.start()
        return storm

    # -- reading ----------------------------------------------------------------------
    def events(self) -> list[dict[str, Any]]:
        """Ground truth: the current events (core/v1 dicts, copies) in list order."""
        with self.store.cond:
            versions = self.store.sorted_current()
        return [_copy(v.core_bytes()) for v in versions]

    def get(self, uid: str) -> dict[str, Any] | None:
        v = self.store.get_uid(uid)
        return _copy(v.core_bytes()) if v is not None else None

    @property
    def resource_version(self) -> str:
        return str(self.store.rv)

    def __repr__(self) -> str:
        return f"SimCluster(name={self.name!r}, url={self.url!r}, rv={self.store.rv})"


def demo_clusters(seed: int = 1, **kwargs: Any) -> list[SimCluster]:
    """The demo pair (not started): ``demo`` (scenario demo) and ``prod-eu-west-1``
    (scenario prod: other namespaces, other failures). ``kwargs`` go to both."""
    return [SimCluster(name="demo", scenario="demo", seed=seed, **kwargs),
            SimCluster(name="prod-eu-west-1", scenario="prod", seed=seed + 1, **kwargs)]


def _reaper(c: SimCluster, stop: threading.Event) -> None:
    """The apiserver's --event-ttl: expire (DELETED) events older than ``event_ttl``."""
    ttl = c.event_ttl or 3600.0
    while not stop.wait(min(5.0, max(0.05, ttl / 20))):
        c.expire_older_than(ttl)


def _copy(data: bytes) -> dict[str, Any]:
    out = json.loads(data)
    assert isinstance(out, dict)
    return out
