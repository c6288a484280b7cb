"""How soon the live source is watching again after its API server comes back.

    python -m bench.bench_recovery
    KTUI_BENCH_RECOVERY_OUTAGES=5,30 python -m bench.bench_recovery

The simulated API server runs in its own process. A ``KubeSource`` lists and watches it
with the default settings and a consumer thread drains its channel, noting when each
status arrives. Then the server goes away for N seconds (its port closed, every
connection cut) and comes back; reported is the time from the server listening again to
the source's status being ``watching``, for each N in ``KTUI_BENCH_RECOVERY_OUTAGES``
(default 10, 30, 90). Also: the server throttles every request (429 with Retry-After 1)
for ``KTUI_BENCH_RECOVERY_THROTTLE`` seconds (default 14), then serves; reported is the
time from the last 429 to ``watching``. The bar for both is 10 s.

And a storm with a short watch window: the server holds ``KTUI_BENCH_STORM_BACKLOG``
events (default 40,000) and keeps ``KTUI_BENCH_STORM_WINDOW`` resourceVersions for
watches (default 5,000: one second of the storm), then emits ``KTUI_BENCH_STORM_RATE``
events/s (default 5,000) for ``KTUI_BENCH_STORM_SECONDS`` (default 30). A source starts
one second into the storm (its list outlives the window) and the server restarts halfway
(every watch cut). Reported: the relists (lists after the first; the bar is 1), the states
taken by watching instead, when the source was first watching, and whether it held every
event at the end.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

from bench.common import SimChild, metric, print_results, serve_sim

BAR_S = 10.0


def _serve(options: list[str]) -> None:
    """The child: ``serve_sim``'s commands, and ``throttle`` (429 with Retry-After 1 to
    every request until ``clear``) and ``restart`` (every connection cut)."""
    from ktui.sim import SimCluster

    settings = dict(option.split("=", 1) for option in options)
    cluster = SimCluster(name="recovery", scenario="empty", seed=3,
                         history_window=int(settings.get("history_window", 5000)))
    cluster.load(int(settings.get("load", 2000)))

    def throttle(args: list[str]) -> dict[str, Any]:
        cluster.faults.fail_next(1_000_000, status=429, retry_after=1)
        return {"throttling": True}

    def clear(args: list[str]) -> dict[str, Any]:
        cluster.faults.clear()
        return {"cleared": True}

    def restart(args: list[str]) -> dict[str, Any]:
        cluster.restart()
        return {"restarted": True}

    serve_sim(cluster, "ktui-bench-rec-",
              {"throttle": throttle, "clear": clear, "restart": restart})


class Watcher:
    """A KubeSource with a consumer thread that notes the time of every status and counts
    relists (resets of the channel)."""

    def __init__(self, kubeconfig: str) -> None:
        from ktui.feeds.channel import BatchChannel
        from ktui.kube.source import KubeSource

        self.channel = BatchChannel()
        self.states: list[tuple[float, str, str]] = []
        self.resets = 0
        self.held: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.source = KubeSource(kubeconfig=kubeconfig, keep_raw=True)
        self.feed = self.source.start(self.channel)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self.channel.drain(timeout=0.01)
            now = time.monotonic()
            with self._lock:
                if batch.status is not None:
                    self.states.append((now, batch.status.state.value, batch.status.text))
                if batch.reset:
                    self.resets += 1
                    self.held = {}
                for event in batch.upserts:
                    self.held[event.uid] = event

    def state(self) -> str:
        with self._lock:
            return self.states[-1][1] if self.states else ""

    def watching_after(self, since: float, timeout: float) -> float | None:
        """Seconds from ``since`` to the first ``watching`` status after it (waiting up
        to ``timeout`` for one)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                for at, state, _text in self.states:
                    if at >= since and state == "watching":
                        return at - since
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.01)

    def wait_state(self, state: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.state() != state:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        self.feed.stop()
        self._stop.set()
        self.thread.join(2)


def outage(sim: SimChild, seconds: float) -> float | None:
    """Seconds from the server listening again to ``watching``, after ``seconds`` away."""
    watcher = Watcher(sim.kubeconfig)
    try:
        if not watcher.wait_state("watching", 60):
            raise RuntimeError("the source did not start watching")
        sim.call("stop")
        time.sleep(seconds)
        sim.call("start")
        back = time.monotonic()
        return watcher.watching_after(back, 120)
    finally:
        watcher.close()


def throttled(sim: SimChild, seconds: float) -> float | None:
    watcher = Watcher(sim.kubeconfig)
    try:
        if not watcher.wait_state("watching", 60):
            raise RuntimeError("the source did not start watching")
        sim.call("throttle")
        sim.call("stop")  # the watch is cut; every retry meets a 429
        sim.call("start")
        time.sleep(seconds)
        sim.call("clear")
        back = time.monotonic()
        return watcher.watching_after(back, 120)
    finally:
        watcher.close()


def storm(rate: float, seconds: float, backlog: int, window: int) -> dict[str, Any]:
    sim = SimChild("bench.bench_recovery", f"history_window={window}", f"load={backlog}")
    watcher: Watcher | None = None
    try:
        sim.call("storm", rate, seconds)
        time.sleep(1.0)
        started = time.monotonic()
        watcher = Watcher(sim.kubeconfig)
        time.sleep(max(0.0, seconds / 2 - 1.0))
        sim.call("restart")
        done = sim.call("wait")
        watching = watcher.watching_after(started, 0)
        held = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with watcher._lock:
                held = len(watcher.held) >= done["count"]
            if held:
                break
            time.sleep(0.1)
        source = watcher.source
        return {
            "relists": getattr(source, "relists", None),
            "resyncs": getattr(source, "resyncs", None),
            "resets": watcher.resets,
            "watching_s": watching,
            "complete": held,
            "emitted_per_s": done["emitted"] / seconds,
        }
    finally:
        if watcher is not None:
            watcher.close()
        sim.close()


def _recovery_metric(value: float | None, note: str) -> dict[str, Any]:
    if value is None:
        return metric(None, "s", f"<= {BAR_S:.0f}", False, note + "; not watching after 120 s")
    return metric(round(value, 2), "s", f"<= {BAR_S:.0f}", value <= BAR_S, note)


def run() -> dict[str, object]:
    outages = [float(x) for x in os.environ.get("KTUI_BENCH_RECOVERY_OUTAGES",
                                                "10,30,90").split(",") if x]
    throttle_s = float(os.environ.get("KTUI_BENCH_RECOVERY_THROTTLE", "14"))
    results: dict[str, object] = {}
    sim = SimChild("bench.bench_recovery")
    try:
        for seconds in outages:
            took = outage(sim, seconds)
            results[f"recovery_after_{seconds:g}s_outage_s"] = _recovery_metric(
                took, f"server away {seconds:g} s, then listening again: time to watching"
            )
        took = throttled(sim, throttle_s)
        results[f"recovery_after_{throttle_s:g}s_throttled_s"] = _recovery_metric(
            took, f"429 with Retry-After 1 to every request for {throttle_s:g} s"
        )
    finally:
        sim.close()
    rate = float(os.environ.get("KTUI_BENCH_STORM_RATE", "5000"))
    seconds = float(os.environ.get("KTUI_BENCH_STORM_SECONDS", "30"))
    backlog = int(os.environ.get("KTUI_BENCH_STORM_BACKLOG", "40000"))
    window = int(os.environ.get("KTUI_BENCH_STORM_WINDOW", "5000"))
    got = storm(rate, seconds, backlog, window)
    what = (f"{rate:.0f}/s for {seconds:g} s over {backlog} events, watch window {window} "
            f"rvs; the source starts 1 s in, the server restarts halfway")
    relists = got["relists"]
    results["storm_relists"] = metric(
        relists, "", "<= 1", relists is not None and relists <= 1,
        f"{what}; {got['resets']} resets reached the consumer")
    results["storm_resyncs"] = metric(got["resyncs"], "", note="states taken by watching")
    watching = got["watching_s"]
    results["storm_first_watching_s"] = metric(
        None if watching is None else round(watching, 2), "s",
        note="from the source's start (never, if empty)")
    results["storm_complete"] = metric(
        got["complete"], "", "all held", got["complete"],
        f"the server managed {got['emitted_per_s']:.0f} events/s")
    one, five, _ = os.getloadavg()
    results["_load"] = f"{one:.1f}/{five:.1f}"
    return results


def main() -> None:
    if sys.argv[1:2] == ["_sim"]:
        _serve(sys.argv[2:])
        return
    print_results(run())


if __name__ == "__main__":
    main()
