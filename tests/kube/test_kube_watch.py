"""The live source against the simulator: after every fault, what the consumer holds equals
the simulator's ground truth (same uids, same resourceVersions and counts).

Real HTTP on loopback; nothing of the client is patched. Timeouts are shrunk so the file
runs in well under a minute.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ktui.feeds.channel import BatchChannel
from ktui.feeds.errors import Unauthorized
from ktui.feeds.mirror import Mirror
from ktui.feeds.runner import FeedRunner
from ktui.feeds.status import State
from ktui.kube.source import KubeSource, WatchSettings
from ktui.sim import Grant, SimCluster, write_kubeconfig
from tests.conftest import wait_until

FAST = WatchSettings(
    page_size=500,
    watch_timeout=(30.0, 30.0),
    stall_timeout=1.0,
    backoff_initial=0.05,
    backoff_cap=0.3,
    list_timeout=10.0,
)


class Consumer:
    """Drains a feed's channel in a thread into a Mirror, as a UI would."""

    def __init__(self, source: KubeSource) -> None:
        self.source = source
        self.channel = BatchChannel()
        self.mirror = Mirror()
        self.batches = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.feed: FeedRunner = source.start(self.channel)
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            batch = self.channel.drain(timeout=0.02)
            if batch:
                with self._lock:
                    self.mirror.apply(batch)
                    self.batches += 1

    def live(self) -> dict[str, tuple[str, int]]:
        with self._lock:
            return {uid: (e.resource_version, e.count) for uid, e in self.mirror.live().items()}

    def texts(self) -> list[str]:
        with self._lock:
            return [s.text for s in self.mirror.statuses]

    @property
    def state(self) -> State | None:
        with self._lock:
            return self.mirror.statuses[-1].state if self.mirror.statuses else None

    def close(self) -> None:
        self.feed.stop()
        self._stop.set()
        self._thread.join(2)


def truth(cluster: SimCluster, namespaces: set[str] | None = None) -> dict[str, tuple[str, int]]:
    out = {}
    for obj in cluster.events():
        meta = obj["metadata"]
        if namespaces is None or meta["namespace"] in namespaces:
            series = obj.get("series") or {}
            out[meta["uid"]] = (
                meta["resourceVersion"],
                series.get("count") or obj.get("count") or 1,
            )
    return out


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    wait_until(predicate, timeout, interval=0.02)


def settle(
    consumer: Consumer,
    cluster: SimCluster,
    namespaces: set[str] | None = None,
    timeout: float = 10.0,
) -> None:
    """Wait until the consumer equals the ground truth, then say how they differ if not."""
    try:
        wait_for(lambda: consumer.live() == truth(cluster, namespaces), timeout)
    except AssertionError:
        mine, theirs = consumer.live(), truth(cluster, namespaces)
        missing = set(theirs) - set(mine)
        extra = set(mine) - set(theirs)
        stale = {u for u in set(mine) & set(theirs) if mine[u] != theirs[u]}
        example = next(iter(stale), None)
        raise AssertionError(
            f"missing {len(missing)}, extra {len(extra)}, stale {len(stale)} "
            f"(e.g. {mine.get(example or '')} vs {theirs.get(example or '')}); "
            f"statuses {consumer.texts()[-8:]}"
        ) from None


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    sim = SimCluster(
        name="sim",
        scenario="empty",
        seed=7,
        bookmark_interval=0.3,
        tokens={"admin-token": Grant.all()},
    )
    sim.load(1200, namespaces=["test", "other", "kube-system"])
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def kubeconfig(cluster: SimCluster, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", [cluster])


@pytest.fixture
def consumer(kubeconfig: Path) -> Iterator[Callable[..., Consumer]]:
    made: list[Consumer] = []

    def make(**options: object) -> Consumer:
        options.setdefault("settings", FAST)
        made.append(Consumer(KubeSource(kubeconfig=str(kubeconfig), seed=1, **options)))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for c in made:
        c.close()


def churn(cluster: SimCluster, n: int = 20) -> list[str]:
    """New events, repeats (MODIFIED) and expiries (DELETED)."""
    uids = [
        cluster.emit(namespace="test", reason="Churn", message=f"event {i}", name=f"pod-{i}")[
            "metadata"
        ]["uid"]
        for i in range(n)
    ]
    for uid in uids[: n // 2]:
        cluster.repeat(uid, n=2)
    for uid in uids[-3:]:
        cluster.expire(uid)
    return uids


def test_list_then_watch_adds_modifies_and_expires(
    cluster: SimCluster, consumer: Callable[..., Consumer]
) -> None:
    c = consumer()
    settle(c, cluster)
    assert len(c.live()) == 1200  # three pages
    uids = churn(cluster)
    settle(c, cluster)
    with c._lock:
        events = c.mirror.events
        assert all(events[u].expired for u in uids[-3:])  # DELETED marks, not drops
        assert events[uids[0]].count == 3  # a repeat is an update of the row
    assert c.mirror.resets == 0
    assert c.state == State.WATCHING


def test_dropped_stream_resumes_from_the_last_rv(
    cluster: SimCluster, consumer: Callable[..., Consumer]
) -> None:
    cluster.faults.drop_watch_after(3, mid_line=True, times=2)
    c = consumer()
    settle(c, cluster)
    churn(cluster)
    settle(c, cluster)
    assert cluster.faults.fired["drop_watch"] == 2
    assert c.mirror.resets == 0  # resumed, never relisted


def test_stalled_stream_is_noticed_by_the_read_timeout(
    cluster: SimCluster, consumer: Callable[..., Consumer]
) -> None:
    cluster.faults.stall_watch(30.0, after=0)
    c = consumer()
    settle(c, cluster)
    churn(cluster, 5)
    settle(c, cluster, timeout=10.0)  # fails long before the 30 s stall would end
    assert cluster.faults.fired["stall_watch"] == 1
    assert "reconnecting (stream stalled)" in c.texts()


@pytest.mark.parametrize("how", ["event", "http"])
def test_410_on_resume_relists_and_replaces(
    cluster: SimCluster, consumer: Callable[..., Consumer], how: str
) -> None:
    c = consumer()
    settle(c, cluster)
    churn(cluster)  # the watch delivers: its resourceVersion moves on from the list's
    settle(c, cluster)
    cluster.faults.gone_next_watch(how)
    cluster.restart()  # the watch resumes from its last rv, refused as too old
    wait_for(lambda: c.mirror.resets == 1)
    settle(c, cluster)
    assert cluster.faults.fired[f"watch_410_{how}"] == 1
    assert "relisting (resource version too old)" in c.texts()
    assert c.source.relists == 1 and c.source.resyncs == 0
    churn(cluster)
    settle(c, cluster)


def test_compacted_history_while_disconnected(
    cluster: SimCluster, consumer: Callable[..., Consumer]
) -> None:
    c = consumer()
    settle(c, cluster)
    seen = next(iter(c.live()))
    cluster.stop()
    wait_for(lambda: c.state == State.RECONNECTING)
    gone = churn(cluster)  # missed while away: includes DELETED the watch never sees
    cluster.expire(seen)  # and one it had listed
    cluster.faults.compact()
    cluster.start()
    wait_for(lambda: c.mirror.resets == 1)
    settle(c, cluster)
    with c._lock:
        assert not set(gone[-3:]) & set(c.mirror.events)  # the relist replaced the store
        assert c.mirror.events[seen].expired  # what vanished is marked, as a DELETED would


@pytest.mark.parametrize("status", [500, 502])
def test_server_errors_back_off_and_recover(
    cluster: SimCluster, consumer: Callable[..., Consumer], status: int
) -> None:
    cluster.faults.fail_next(2, status=status, verb="list")
    cluster.faults.fail_next(3, status=status, verb="watch")
    c = consumer()
    settle(c, cluster)
    churn(cluster)
    settle(c, cluster)
    assert cluster.faults.fired[f"http_{status}"] == 5


def test_expired_continue_token_restarts_the_list(
    cluster: SimCluster, consumer: Callable[..., Consumer]
) -> None:
    cluster.faults.expire_next_continue(1)
    c = consumer()
    wait_for(lambda: c.mirror.resets == 1)  # the pages already handed over are replaced
    settle(c, cluster)
    assert cluster.faults.fired["expired_continue"] == 1
    churn(cluster)
    settle(c, cluster)


def test_restart_on_the_same_port_resumes(
    cluster: SimCluster, consumer: Callable[..., Consumer]
) -> None:
    c = consumer()
    settle(c, cluster)
    cluster.restart()
    churn(cluster)
    settle(c, cluster)
    cluster.stop()
    wait_for(lambda: "reconnecting (connection refused)" in c.texts())
    churn(cluster)
    cluster.start()
    settle(c, cluster)
    assert c.mirror.resets == 0  # history kept: resumed from the last RV each time


def test_storm_is_ingested_exactly(cluster: SimCluster, consumer: Callable[..., Consumer]) -> None:
    c = consumer()
    settle(c, cluster)
    storm = cluster.storm(rate_per_s=3000, duration_s=1.0, namespaces=["test", "other"])
    storm.join(10)
    settle(c, cluster)


def test_stop_is_prompt_on_a_stalled_stream_and_in_backoff(
    cluster: SimCluster, consumer: Callable[..., Consumer]
) -> None:
    cluster.faults.stall_watch(30.0, after=0)
    slow = WatchSettings(stall_timeout=60.0, backoff_initial=20.0, backoff_cap=30.0)
    c = consumer(settings=slow)
    wait_for(lambda: c.state == State.WATCHING)
    wait_for(lambda: cluster.faults.fired["stall_watch"] == 1)  # inside the silent stream
    assert c.feed.stop(timeout=5.0)  # stopped: not the 60 s stall timeout
    cluster.stop()
    d = consumer(settings=slow)
    wait_for(lambda: d.state == State.RECONNECTING)  # now sleeping 20 s before retrying
    assert d.feed.stop(timeout=5.0)  # stopped: not the 20 s backoff


def test_bad_token_is_an_error_status(cluster: SimCluster, tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "bad", [cluster], token="wrong-token")
    c = Consumer(KubeSource(kubeconfig=str(path), settings=FAST))
    try:
        wait_for(lambda: c.state == State.ERROR)
        with c._lock:
            assert isinstance(c.mirror.statuses[-1].error, Unauthorized)
    finally:
        c.close()
    source = KubeSource(kubeconfig=str(path), settings=FAST, fail_fast=True, watch=False)
    with pytest.raises(Unauthorized, match="401"):
        source.run(BatchChannel(), threading.Event())


def test_watch_lines_error_events_and_garbage() -> None:
    import random

    from ktui.kube.watch import Gone, StreamFailed, Worker
    from ktui.model.event import Event

    got: list[tuple[list[Event], list[Event]]] = []
    worker = Worker(
        None,  # type: ignore[arg-type]  # _handle never touches the connection
        namespace=None, apis=["v1"], context="c", field_selector="", keep_raw=True,
        settings=FAST, stop=threading.Event(),
        apply=lambda w, up, down, reset: got.append((up, down)),
        report=lambda *a: None, rng=random.Random(1),
    )  # fmt: skip
    obj = '{"metadata":{"uid":"u1","name":"n","namespace":"ns","resourceVersion":"5"},"count":2}'
    lines = [
        b"", b"not json", b'{"type":"ADDED"}',  # skipped, the stream goes on
        f'{{"type":"ADDED","object":{obj}}}'.encode(),
        b'{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}',
    ]  # fmt: skip
    assert worker._handle(lines) == 2  # one event, one bookmark
    assert worker.rv == "9" and got[0][0][0].count == 2 and got[0][0][0].raw["count"] == 2
    newer = obj.replace('"5"', '"10"')
    deleted = f'{{"type":"DELETED","object":{newer}}}'.encode()
    error = b'{"type":"ERROR","object":{"kind":"Status","code":500,"message":"etcd is sad"}}'
    with pytest.raises(StreamFailed, match="watch error 500: etcd is sad"):
        worker._handle([deleted, error])
    assert got[1][1][0].expired and worker.rv == "10"  # what came before the error counts
    with pytest.raises(Gone):
        worker._handle([b'{"type":"ERROR","object":{"kind":"Status","code":410}}'])


def test_a_stopped_source_can_run_again(cluster: SimCluster, kubeconfig: Path) -> None:
    source = KubeSource(kubeconfig=str(kubeconfig), settings=FAST)
    first = Consumer(source)
    settle(first, cluster)
    first.close()
    again = Consumer(source)  # the same source, a new channel and stop event
    try:
        churn(cluster, 4)
        settle(again, cluster)
    finally:
        again.close()


def test_a_source_stopped_without_waiting_runs_again_at_once(
    cluster: SimCluster, kubeconfig: Path
) -> None:
    """Before: the next run could start while the stopped one was still ending; that
    run's late interrupt then left the shared connection interrupted for good, and the
    new run failed every request ('connection reset') from then on (4 in 30 rounds on
    a loaded machine). A context shown again right after it was left does this."""
    source = KubeSource(kubeconfig=str(kubeconfig), settings=FAST)
    consumers: list[Consumer] = []
    try:
        for _ in range(5):
            consumers.append(Consumer(source))
            settle(consumers[-1], cluster)
            consumers[-1].feed.stop(timeout=0)  # still ending when the next run starts
        consumers.append(Consumer(source))
        churn(cluster, 4)
        settle(consumers[-1], cluster)
    finally:
        for consumer in consumers:
            consumer.close()


def test_server_timeout_ends_watches_that_resume_without_relisting(
    cluster: SimCluster, consumer: Callable[..., Consumer]
) -> None:
    rotating = WatchSettings(watch_timeout=(2.0, 2.0), stall_timeout=1.0, backoff_initial=0.05)
    c = consumer(settings=rotating)
    settle(c, cluster)
    def timeouts() -> int:  # watches the server ended at their timeoutSeconds
        return cluster.counters.get("watch_timeouts", 0)

    for _ in range(2):  # changes before and after each of two server-side timeouts
        ended = timeouts()
        churn(cluster, 4)
        wait_for(lambda ended=ended: timeouts() > ended)
        churn(cluster, 4)
    settle(c, cluster)
    assert c.mirror.resets == 0
    assert not any(t.startswith("reconnecting") for t in c.texts())  # a timeout is no failure


def test_a_gzip_list_is_decoded(tmp_path: Path) -> None:
    import gzip
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    items = [
        {
            "metadata": {
                "uid": f"u{i}",
                "name": f"e{i}",
                "namespace": "ns",
                "resourceVersion": str(i),
            },
            "reason": "Zipped",
        }
        for i in range(3)
    ]
    body = json.dumps(
        {"kind": "EventList", "metadata": {"resourceVersion": "3"}, "items": items}
    ).encode()
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.headers.get("Accept-Encoding", ""))
            data = gzip.compress(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        path = tmp_path / "kc"
        port = server.server_address[1]
        path.write_text(
            f"clusters: [{{name: c, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
            "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n"
        )
        source = KubeSource(kubeconfig=str(path), watch=False, fail_fast=True, settings=FAST)
        channel = BatchChannel()
        source.run(channel, threading.Event())
        assert sorted(e.uid for e in channel.drain().upserts) == ["u0", "u1", "u2"]
        assert asked == ["gzip"]
    finally:
        server.shutdown()
        server.server_close()


def test_a_bounded_store_fed_by_the_source_loses_no_update_and_a_relist_expires_what_vanished(
    cluster: SimCluster, kubeconfig: Path
) -> None:
    """The source keeps nothing per event: the store (fewer events than the cluster has)
    finds what a relist dropped among what it retains, and every retained event is the
    cluster's latest version."""
    from ktui.explorer.live import LiveSession
    from ktui.model.store import EventStore

    session = LiveSession("sim", EventStore(max_events=500))
    session.start(lambda: KubeSource(kubeconfig=str(kubeconfig), seed=1, settings=FAST))
    store = session.store

    def pumped(predicate: Callable[[], bool]) -> Callable[[], bool]:
        def check() -> bool:
            session.pump()
            return predicate()
        return check

    def retained_match_truth() -> bool:
        now = truth(cluster)
        return all(
            now.get(e.uid) == (e.resource_version, e.count)
            for e in store.all_events
            if not e.expired
        )

    try:
        wait_for(pumped(lambda: store.evicted_total >= 700 and len(store) <= 500))
        uids = churn(cluster, 40)  # the newest events: retained
        wait_for(pumped(lambda: all(u in store for u in uids) and retained_match_truth()))
        cluster.stop()
        wait_for(pumped(lambda: session.status.state == State.RECONNECTING))
        vanished = uids[:5]
        for uid in vanished:
            cluster.expire(uid)  # while away: a DELETED the watch never sees
        cluster.faults.compact()
        cluster.start()
        wait_for(pumped(lambda: all(
            (event := store.get(uid)) is None or event.expired for uid in vanished
        )), timeout=15)
        assert all(store.get(uid) is not None for uid in vanished)  # marked, not dropped
        assert len(store) <= 500
        wait_for(pumped(retained_match_truth))
        churn(cluster, 20)
        wait_for(pumped(retained_match_truth))
        assert not any(store.get(uid).expired for uid in uids[5:-3])  # type: ignore[union-attr]
    finally:
        session.stop(wait=2.0)
