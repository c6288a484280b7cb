"""How many events per second the live source takes in: ``KubeSource`` -> BatchChannel.

    python -m bench.bench_ingest
    KTUI_BENCH_INGEST_BACKLOG=20000 KTUI_BENCH_INGEST_STORM_SECONDS=5 python -m bench.bench_ingest

Two measurements, with the simulated API server in its own process (so it does not share
this process's GIL) and a consumer thread draining the channel into a dict, as a UI does:

- backlog: while the source watches, the server stores BACKLOG events in one go and
  streams them as fast as it can write; the rate is events over the time from the first to
  the last one the consumer holds. This is the source's ceiling (parse, build, hand over),
  with the raw object kept compressed (as the TUI keeps it) and without.
- storm: the server emits RATE events/s (10% of them repeats, i.e. MODIFIED) for SECONDS;
  reported are what it managed to emit, what the consumer received, and how long after the
  storm's end the consumer held the last event (the lag).
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from typing import Any

from bench.common import SimChild, metric, print_results, serve_sim


def _serve() -> None:
    from ktui.sim import SimCluster

    cluster = SimCluster(name="ingest", scenario="empty", seed=3, history_window=1_000_000)

    def load(args: list[str]) -> dict[str, Any]:
        cluster.load(int(args[0]))
        cluster.events()  # serialise every version once: the stream then sends cached bytes
        return {"count": len(cluster.store.current)}

    serve_sim(cluster, "ktui-bench-ingest-", {"load": load})


class Consumer:
    """Drains the channel into a dict by uid; notes when each size was first reached."""

    def __init__(self, kubeconfig: str, keep_raw: bool) -> None:
        from ktui.feeds.channel import BatchChannel
        from ktui.feeds.status import State
        from ktui.kube.source import KubeSource

        self.channel = BatchChannel()
        self.held: dict[str, Any] = {}
        self.first_change = 0.0
        self.last_change = 0.0
        self.changes = 0
        self.coalesced = 0
        self.watching = threading.Event()
        self._state = State
        self._stop = threading.Event()
        self.feed = KubeSource(kubeconfig=kubeconfig, keep_raw=keep_raw).start(self.channel)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self.channel.drain(timeout=0.05)
            if batch.status is not None and batch.status.state == self._state.WATCHING:
                self.watching.set()
            n = len(batch.upserts) + len(batch.deleted)
            if n:
                now = time.perf_counter()
                self.first_change = self.first_change or now
                self.last_change = now
                self.changes += n
                self.coalesced += batch.coalesced
                for event in batch.upserts:
                    self.held[event.uid] = event

    def reset_clock(self) -> None:
        self.first_change = self.last_change = 0.0
        self.changes = self.coalesced = 0

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.held) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return len(self.held) >= count

    def close(self) -> None:
        self.feed.stop()
        self._stop.set()
        self.thread.join(2)


def backlog(sim: SimChild, n: int, keep_raw: bool) -> float:
    """The source resumes after a disconnection during which N events were stored: the
    server streams them from cached bytes, so the source's own speed is what is measured."""
    consumer = Consumer(sim.kubeconfig, keep_raw)
    try:
        if not consumer.watching.wait(30):
            raise RuntimeError("the source did not start watching")
        before = len(consumer.held)
        sim.call("stop")
        sim.call("load", n)
        consumer.reset_clock()
        sim.call("start")
        if not consumer.wait_for(before + n, 120):
            raise RuntimeError(f"received {len(consumer.held) - before} of {n}")
        return n / max(1e-9, consumer.last_change - consumer.first_change)
    finally:
        consumer.close()


def parse_only(n: int, keep_raw: bool) -> float:
    """Watch lines through the worker's line handler, no network: the parsing ceiling."""
    from ktui.kube.watch import WatchSettings, Worker
    from ktui.model.event import Event
    from ktui.sim import SimCluster

    cluster = SimCluster(name="parse", scenario="empty", seed=5)
    cluster.load(n)
    # compact, as the API server writes them (the raw object is then sliced, not re-dumped)
    lines = [
        json.dumps({"type": "ADDED", "object": o}, separators=(",", ":")).encode()
        for o in cluster.events()
    ]
    held: dict[str, Event] = {}

    def apply(worker: Worker, upserts: list[Event], deleted: list[Event], reset: bool) -> None:
        for event in upserts:
            held[event.uid] = event

    worker = Worker(
        None,  # type: ignore[arg-type]  # _handle never touches the connection
        namespace=None,
        apis=["v1"],
        context="parse",
        field_selector="",
        keep_raw=keep_raw,
        settings=WatchSettings(),
        stop=threading.Event(),
        apply=apply,
        report=lambda *a: None,
        rng=random.Random(1),
    )
    started = time.perf_counter()
    for i in range(0, len(lines), 64):  # what one 64 KB read holds
        worker._handle(lines[i : i + 64])
    return len(held) / (time.perf_counter() - started)


def storm(sim: SimChild, rate: float, seconds: float) -> dict[str, float]:
    consumer = Consumer(sim.kubeconfig, keep_raw=True)
    try:
        if not consumer.watching.wait(30):
            raise RuntimeError("the source did not start watching")
        start_count = len(consumer.held)
        consumer.reset_clock()
        started = time.perf_counter()
        sim.call("storm", rate, seconds)
        done = sim.call("wait")
        ended = time.perf_counter()
        expected = done["count"]
        consumer.wait_for(expected, 60)
        time.sleep(0.2)  # let trailing MODIFIED land before reading the totals
        return {
            "emitted_per_s": (done["emitted"] + done["repeated"]) / (ended - started),
            "received": len(consumer.held) - start_count,
            "added": done["emitted"],
            "lag_s": max(0.0, consumer.last_change - ended),
            "coalesced": consumer.coalesced,
            "complete": float(len(consumer.held) >= expected),
        }
    finally:
        consumer.close()


def run() -> dict[str, object]:
    n = int(os.environ.get("KTUI_BENCH_INGEST_BACKLOG", "50000"))
    rate = float(os.environ.get("KTUI_BENCH_INGEST_STORM_RATE", "5000"))
    seconds = float(os.environ.get("KTUI_BENCH_INGEST_STORM_SECONDS", "10"))
    sim = SimChild("bench.bench_ingest")
    try:
        raw_rate = backlog(sim, n, keep_raw=True)
        bare_rate = backlog(sim, n, keep_raw=False)
        sustained = storm(sim, rate, seconds)
    finally:
        sim.close()
    parse_raw = parse_only(min(n, 20000), keep_raw=True)
    parse_bare = parse_only(min(n, 20000), keep_raw=False)
    one, five, _ = os.getloadavg()
    note = f"load {one:.1f}/{five:.1f}"
    return {
        "ingest_backlog_per_s": metric(
            round(raw_rate),
            "events/s",
            ">= 20000",
            raw_rate >= 20000,
            f"{n} events resumed at once, raw kept; {note}",
        ),
        "ingest_backlog_no_raw_per_s": metric(
            round(bare_rate), "events/s", "", note="keep_raw=False (ktui events)"
        ),
        "ingest_parse_per_s": metric(
            round(parse_raw), "events/s", note="watch lines, no network, raw kept"
        ),
        "ingest_parse_no_raw_per_s": metric(
            round(parse_bare), "events/s", note="watch lines, no network"
        ),
        "ingest_storm_emitted_per_s": metric(
            round(sustained["emitted_per_s"]),
            "events/s",
            note=f"asked {rate:.0f}/s for {seconds:.0f} s",
        ),
        "ingest_storm_complete": metric(
            bool(sustained["complete"]),
            "",
            "all received",
            bool(sustained["complete"]),
            f"{sustained['added']:.0f} added, {sustained['coalesced']:.0f} updates coalesced",
        ),
        "ingest_storm_lag_s": metric(
            round(sustained["lag_s"], 3), "s", note="last event held after the storm ended"
        ),
    }


def main() -> None:
    if sys.argv[1:] == ["_sim"]:
        _serve()
        return
    print_results(run())


if __name__ == "__main__":
    main()
