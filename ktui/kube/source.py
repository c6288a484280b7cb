"""The live source: events of one kube context, listed and then watched.

``KubeSource.connect()`` reads the kubeconfig and resolves credentials (running exec
plugins with their output captured), so a UI can call it before going full-screen.
``run()`` then lists and watches in the calling thread; ``start()`` runs it in a daemon
thread (a :class:`~ktui.feeds.runner.FeedRunner`, whose ``stop()`` returns within a second).

Where RBAC forbids a cluster-wide list, the source falls back to per-namespace watches,
and from one events API to the other; the status line says so.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from ktui.feeds.channel import BatchChannel
from ktui.feeds.contract import EventSource
from ktui.feeds.errors import ConfigError, Forbidden, SourceError, Unauthorized
from ktui.feeds.runner import FeedRunner
from ktui.feeds.status import SourceStatus, State
from ktui.kube.backoff import Backoff, Clock, Pause
from ktui.kube.kubeconfig import ResolvedContext, load, resolve
from ktui.kube.listing import Lister
from ktui.kube.rbac import fallback_namespaces
from ktui.kube.transport import Connection, HTTPStatusError
from ktui.kube.watch import PageHook, WatchSettings, Worker, server_delay
from ktui.model.event import API_CORE, API_EVENTS, Event

__all__ = ["KubeSource", "WatchSettings"]

# Worst first: the composed status of several watches shows the worst one.
_SEVERITY = {
    State.ERROR: 0,
    State.RECONNECTING: 1,
    State.LISTING: 2,
    State.CONNECTING: 3,
    State.WATCHING: 4,
    State.STOPPED: 5,
}
POOL_SIZE = 64
ONE_SHOT_RETRIES = 3  # 429/5xx answers a fail-fast or one-shot list rides out


@dataclass
class _WorkerStatus:
    state: State
    text: str
    retry_at: float | None = None
    error: SourceError | None = None


class KubeSource(EventSource):
    """Events of one kube context: paged list, then watch, following every rule."""

    def __init__(
        self,
        *,
        kubeconfig: str | None = None,
        context: str | None = None,
        namespaces: Sequence[str] | None = None,
        field_selector: str = "",
        keep_raw: bool = True,
        watch: bool = True,
        api: str = API_CORE,
        candidate_namespaces: Sequence[str] = (),
        fail_fast: bool = False,
        settings: WatchSettings | None = None,
        connect_timeout: float = 10.0,
        seed: int | None = None,
        page_hook: PageHook | None = None,
        plugin_timeout: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``page_hook`` (one-shot lists only, ``watch=False``): listed pages go to it as
        raw objects instead of becoming Events in the channel; ``ktui events -o jsonl``
        uses it to print what it never needs to keep. ``plugin_timeout``: how long an
        exec credential plugin may take (default ``kube_auth.PLUGIN_TIMEOUT_S``).
        ``clock``: what every wait between retries is measured by (tests move it)."""
        if page_hook is not None and watch:
            raise ValueError("page_hook is for one-shot lists (watch=False)")
        self.kubeconfig = kubeconfig
        self.context = context
        self.namespaces = list(dict.fromkeys(namespaces)) if namespaces is not None else None
        self.field_selector = field_selector
        self.keep_raw = keep_raw
        self.watch = watch
        self.apis = [api] + [other for other in (API_CORE, API_EVENTS) if other != api]
        self.candidate_namespaces = list(candidate_namespaces)
        self.fail_fast = fail_fast
        self.settings = settings or WatchSettings()
        self.connect_timeout = connect_timeout
        self.rng = random.Random(seed)
        self.page_hook = page_hook
        self.plugin_timeout = plugin_timeout
        self.pause = Pause(clock) if clock is not None else Pause()
        self.resolved: ResolvedContext | None = None
        self.conn: Connection | None = None
        self._lock = threading.Lock()
        self._one_run = threading.Lock()  # held by the run in progress
        self._interrupting = threading.Lock()  # a run's end against its watcher's interrupt
        self._workers: list[Worker] = []
        self._status: dict[int, _WorkerStatus] = {}
        self._scope_note = ""
        self._partial = False
        self._last_status: SourceStatus | None = None
        self._channel: BatchChannel | None = None
        self.listed = threading.Event()  # set once every scope's initial list is handed over

    # -- setup -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        if self.resolved is not None:
            return self.resolved.name
        return self.context or "kube"

    @property
    def scope_note(self) -> str:
        """What the RBAC fallbacks settled on, when they had to ('' otherwise), e.g.
        "forbidden cluster-wide: watching 2 namespaces"."""
        return self._scope_note

    @property
    def partial(self) -> bool:
        """RBAC refused part of what was asked (the cluster-wide list, or some of the
        namespaces): the events listed are not all there are. :attr:`scope_note` says
        what was listed instead."""
        return self._partial

    @property
    def skipped(self) -> int:
        """What the server sent that was not an event (a watch line or list item that is
        not a JSON object where one belongs), skipped."""
        return sum(worker.skipped for worker in self._workers)

    @property
    def relists(self) -> int:
        """Lists after the first (a watch's resourceVersion too old, an error)."""
        return sum(worker.relists for worker in self._workers)

    @property
    def resyncs(self) -> int:
        """States taken by watching instead of relisting (see kube.watch.Worker)."""
        return sum(worker.resyncs for worker in self._workers)

    @property
    def namespace_scoped(self) -> bool:
        return self.namespaces is not None or any(w.namespace is not None for w in self._workers)

    @property
    def warning(self) -> str:
        return self.conn.creds.warning if self.conn is not None else ""

    @property
    def watched(self) -> frozenset[str] | None:
        """What the running watches cover, once listed: None for the whole cluster, else
        the namespaces (RBAC fallbacks included). The field selector narrows it further."""
        with self._lock:
            scopes = [worker.namespace for worker in self._workers]
        if scopes == [None]:
            return None
        return frozenset(namespace or "" for namespace in scopes)

    def connect(self) -> ResolvedContext:
        """Read the kubeconfig and resolve credentials; no request is sent. Raises
        :class:`SourceError` (ConfigError, Unauthorized for a failing exec plugin)."""
        if self.conn is None:
            from ktui.kube.auth import PLUGIN_TIMEOUT_S, Credentials

            resolved = resolve(load(self.kubeconfig), self.context)
            creds = Credentials(resolved, plugin_timeout=self.plugin_timeout or PLUGIN_TIMEOUT_S)
            self.conn = Connection(
                resolved,
                creds,
                connect_timeout=self.connect_timeout,
                # one connection per watched namespace (and its pager), reused; a pool
                # too small would open and discard a connection per request
                maxsize=max(POOL_SIZE, 2 * len(self.namespaces or ()) + 4),
            )
            self.resolved = resolved
        assert self.resolved is not None
        return self.resolved

    def start(self, channel: BatchChannel, *, restart: bool = False) -> FeedRunner:
        """Run in a daemon thread; stop with ``FeedRunner.stop()``."""
        return FeedRunner(lambda: self, channel, name=f"kube-{self.name}",
                          restart=restart).start()

    def retry_now(self) -> None:
        """End every wait before a retry now: the next attempt starts at once (the UI's
        ``r``). Harmless when nothing waits."""
        self.pause.wake()

    def interrupt(self) -> None:
        """Wake any blocked read or wait and kill a credential plugin run in progress
        (called by whoever set the stop event)."""
        self.pause.wake()
        if self.conn is not None:
            self.conn.interrupt()
            self.conn.creds.interrupt()

    # -- status ------------------------------------------------------------------------

    def _set(self, status: SourceStatus) -> None:
        if self._channel is not None and status != self._last_status:
            self._last_status = status
            self._channel.set_status(status)

    def _report(
        self,
        worker: Lister,
        state: State,
        text: str,
        retry_at: float | None,
        error: SourceError | None,
    ) -> None:
        with self._lock:
            self._status[id(worker)] = _WorkerStatus(state, text, retry_at, error)
            self._set(self._compose())

    def _compose(self) -> SourceStatus:
        statuses = [self._status[id(w)] for w in self._workers if id(w) in self._status]
        warning = self.warning
        if not statuses:
            return SourceStatus(State.CONNECTING, "connecting", warning=warning)
        worst = min(statuses, key=lambda s: _SEVERITY[s.state])
        many = len(self._workers) > 1
        if worst.state == State.WATCHING:
            text = self._scope_note or "watching"
        else:
            text = worst.text
            if many:
                worker = next(w for w in self._workers if self._status.get(id(w)) is worst)
                text = f"{worker.namespace}: {text}"
        return SourceStatus(worst.state, text, worst.retry_at, worst.error, warning)

    # -- changes -----------------------------------------------------------------------

    def _apply(
        self, worker: Lister, upserts: list[Event], deleted: list[Event], reset: bool
    ) -> None:
        """Hand one scope's changes to the channel. The source keeps nothing per event:
        the consumer holds them, so a relist (``reset``, ``upserts`` = the relisted
        events) tells it which namespaces it replaces and the consumer finds what
        vanished. (Keeping every event here too held every event the cluster has, beyond
        what the store retains, and lengthened every full collection.)"""
        channel = self._channel
        assert channel is not None
        if reset:
            many = len(self._workers) > 1
            channel.reset(upserts, [worker.namespace or ""] if many else None)
        else:
            channel.put(upserts, deleted)

    # -- running -----------------------------------------------------------------------

    def _worker(self, namespace: str | None, apis: list[str], stop: threading.Event) -> Worker:
        assert self.conn is not None and self.resolved is not None
        worker = Worker(
            self.conn,
            namespace=namespace,
            apis=apis,
            context=self.resolved.name,
            field_selector=self.field_selector,
            keep_raw=self.keep_raw,
            settings=self.settings,
            stop=stop,
            apply=self._apply,
            report=self._report,
            rng=random.Random(self.rng.random()),
            pause=self.pause,
        )
        worker.page_hook = self.page_hook
        return worker

    def run(self, channel: BatchChannel, stop: threading.Event) -> None:
        # A source may run again after a stop (a context shown again). The runs share the
        # connection, so one runs at a time: a stopped run still ending (its stop() gave
        # up waiting) would otherwise hand its changes to the new channel, and its late
        # interrupt would leave the new run's connection interrupted for good.
        while not self._one_run.acquire(timeout=0.1):
            if stop.is_set():
                return
        try:
            self._run_once(channel, stop)
        finally:
            self._one_run.release()

    def _run_once(self, channel: BatchChannel, stop: threading.Event) -> None:
        self._channel = channel
        self.listed.clear()
        if self.conn is not None:
            self.conn.interrupted = False
        done = threading.Event()
        watcher = threading.Thread(
            target=self._watch_stop, args=(stop, done), daemon=True, name="ktui-kube-stop"
        )
        watcher.start()
        try:
            self._run(stop)
        finally:
            with self._interrupting:
                done.set()  # from here on this run's watcher interrupts nothing
            last = self._last_status
            if last is None or last.state != State.ERROR or stop.is_set():
                text = "stopped" if self.watch else "listed"
                self._set(SourceStatus(State.STOPPED, text, warning=self.warning))

    def _watch_stop(self, stop: threading.Event, done: threading.Event) -> None:
        # A read blocked on a silent stream only wakes when its socket is shut down.
        while not done.is_set():
            if stop.wait(0.1):
                with self._interrupting:  # only while its run lasts: the connection is
                    if not done.is_set():  # the next run's after that
                        self.interrupt()
                return

    def _fatal(self, exc: SourceError) -> None:
        self._set(SourceStatus(State.ERROR, str(exc), error=exc, warning=self.warning))
        if self.fail_fast:
            raise exc

    def _run(self, stop: threading.Event) -> None:
        s = self.settings
        backoff = Backoff(s.backoff_initial, s.backoff_cap, self.rng, self.pause.clock)
        attempts = 0
        while not stop.is_set():
            attempts += 1
            try:
                self._set(SourceStatus(State.CONNECTING, "connecting", warning=self.warning))
                self.connect()
                self._set(SourceStatus(State.LISTING, "listing", warning=self.warning))
                workers = self._start_scopes(stop)
                self.listed.set()
                if self._channel is not None:
                    self._channel.set_listed()
                for worker in workers:  # after the hand-over: see RawPacker.hold
                    worker.packer.release()
                break
            except ConfigError as exc:
                self._fatal(exc)
                return
            except SourceError as exc:
                for worker in self._workers:  # what a failed attempt listed: RawPacker.hold
                    worker.packer.release()
                wait = backoff.failure(server_delay(exc))
                if self.fail_fast or not self.watch:
                    # A one-shot caller still rides out a throttled or briefly failing
                    # server (as kubectl does), but not an unreachable or refusing one.
                    if not (
                        isinstance(exc, HTTPStatusError)
                        and exc.retryable
                        and attempts <= ONE_SHOT_RETRIES
                    ):
                        self._fatal(exc)
                        return
                    wait = max(s.backoff_initial, exc.retry_after)
                # Nothing listed yet: keep trying (the cluster may come up, RBAC may change).
                state = (
                    State.ERROR if isinstance(exc, Unauthorized | Forbidden) else State.RECONNECTING
                )
                retry_at = self.pause.clock.now() + wait
                self._set(SourceStatus(state, str(exc), retry_at, exc, self.warning))
                self.pause.sleep(wait, stop)
        else:
            return
        if not self.watch or stop.is_set():
            return
        if len(workers) == 1:
            workers[0].follow()
            return
        threads = [
            threading.Thread(target=w.follow, daemon=True, name=f"ktui-watch-{w.namespace}")
            for w in workers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _start_scopes(self, stop: threading.Event) -> list[Worker]:
        """The initial list of every scope, with the RBAC fallbacks; raises if none works."""
        self._workers, self._status, self._scope_note = [], {}, ""
        self._partial = False
        if self.namespaces is None:
            worker = self._worker(None, self.apis, stop)
            self._workers = [worker]
            try:
                worker.initial_list()
                self._note_api(worker)
                return [worker]
            except Forbidden:
                pass
            assert self.conn is not None and self.resolved is not None
            namespaces = fallback_namespaces(
                self.conn, self.resolved.namespace, self.candidate_namespaces
            )
            if not namespaces:
                raise Forbidden("forbidden cluster-wide; pass -n NAMESPACE")
            self._scope_note = "forbidden cluster-wide: watching " + _plural(namespaces)
            self._partial = True
        else:
            namespaces = self.namespaces
        workers = [self._worker(ns, self.apis, stop) for ns in namespaces]
        self._workers = workers
        allowed: list[Worker] = []
        refused: list[str] = []
        first_error: Forbidden | None = None
        for worker in workers:
            try:
                worker.initial_list()
                allowed.append(worker)
            except Forbidden as exc:
                refused.append(str(worker.namespace))
                first_error = first_error or exc
        if not allowed:
            assert first_error is not None
            if len(refused) == 1:  # the server's own words name the namespace
                raise first_error
            raise Forbidden(f"forbidden in {', '.join(refused)}: {first_error.message}",
                            hint=first_error.hint)
        with self._lock:
            self._workers = allowed
        if refused:
            self._partial = True
            self._scope_note = (
                f"watching {_plural([w.namespace or '' for w in allowed])}; "
                f"forbidden in {', '.join(refused)}"
            )
        if len(allowed) == 1 and not self._scope_note:
            self._note_api(allowed[0])
        return allowed

    def _note_api(self, worker: Worker) -> None:
        if worker.skipped_apis:
            self._scope_note = (
                f"watching ({worker.api}; {', '.join(worker.skipped_apis)} forbidden)"
            )


def _plural(namespaces: Sequence[str]) -> str:
    if len(namespaces) == 1:
        return f"namespace {namespaces[0]}"
    return f"{len(namespaces)} namespaces"
