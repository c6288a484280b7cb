"""A million events: five contexts of 200,000 events each, in one process's memory, and
filter changes over them. Each context is its own simulated API server (another seed, so
other uids, names and times) in a child process, listed as the TUI lists it: a
``KubeSource`` (paged list over HTTP, the live decode path, raw objects kept) into a
``BatchChannel`` drained into one ``EventStore`` per context 4 times a second. Textual and
the app are imported first, so the RSS is the whole process a TUI holding them would be
(without a mounted screen: ``bench_ui`` measures that, about 37 MB).

    python -m bench.bench_million
    KTUI_BENCH_MILLION_EVENTS=20000 python -m bench.bench_million      # a smoke test

Measured, each after a full collection:

- RSS with the five stores full, against the bar (1.2 GB), and per event;
- where one event's bytes go (deep sizes, each object counted once);
- each filter change of ``bench_ui`` as ``set_query`` on all five stores (what a table of
  the five contexts would run), and on one store holding all 1,000,000 events (the same
  Event objects, the five stores' events merged into one store of ``max_events`` 1M),
  median of repetitions, each from the unfiltered list. The repaint itself (the table's
  visible lines, the sidebar, the sparkline's binary searches) does not grow with the
  store: ``bench_ui`` times it at 200,000.

Sizes from the environment:

    KTUI_BENCH_MILLION_EVENTS     events per context           200000
    KTUI_BENCH_MILLION_CONTEXTS   contexts                     5
    KTUI_BENCH_MILLION_RUNS       repetitions of each filter   5
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import load as _load
from bench.common import rss_mb as _rss_mb

ROOT = Path(__file__).resolve().parent.parent
BAR_RSS_MB = 1200.0
BAR_FILTER_MS = 150.0
PUMP_SECONDS = 0.25  # the TUI pumps its feed 4 times a second


def metric(value: Any, unit: str = "", bar: str = "", ok: bool | None = None,
           note: str = "") -> dict[str, Any]:
    return {"value": value, "unit": unit, "bar": bar, "pass": ok, "note": note}


def _setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# -- the simulated clusters, one child process each -----------------------------------


class SimChild:
    """A SimCluster holding N events, in a child process: its kubeconfig, then ``quit``."""

    def __init__(self, seed: int, events: int, *, wait: bool = True) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_million", "_sim", str(seed), str(events)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        self.kubeconfig = self.url = self.name = ""
        if wait:
            self.ready()

    def ready(self) -> SimChild:
        """Wait until it serves (several can load their events meanwhile)."""
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the simulator process ended")
        info = json.loads(line)
        self.kubeconfig, self.url, self.name = info["kubeconfig"], info["url"], info["name"]
        return self

    def close(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(10)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def _serve(seed: int, events: int) -> None:
    import tempfile

    from ktui.sim import SimCluster, write_kubeconfig

    cluster = SimCluster(name=f"ctx-{seed}", scenario="empty", seed=seed, history_window=1000)
    cluster.load(events)
    cluster.start()
    path = Path(tempfile.mkdtemp(prefix="ktui-bench-million-")) / "kubeconfig"
    write_kubeconfig(path, [cluster], token="admin-token")
    print(json.dumps({"kubeconfig": str(path), "url": cluster.url, "name": cluster.name}),
          flush=True)
    sys.stdin.readline()
    cluster.stop()


def fill(store: Any, seed: int, events: int) -> float:
    """List one simulated cluster into ``store`` as the TUI does: a KubeSource (paged list
    over HTTP, the live decode path, the raw objects kept in its worker's blocks) into a
    BatchChannel, drained into the store 4 times a second until the source watches;
    seconds taken."""
    from ktui.feeds.channel import BatchChannel
    from ktui.feeds.status import State
    from ktui.kube.source import KubeSource

    sim = SimChild(seed, events)
    started = time.perf_counter()
    channel = BatchChannel()
    feed = KubeSource(kubeconfig=sim.kubeconfig, keep_raw=True).start(channel)
    try:
        deadline = time.monotonic() + 1800
        state = None
        while time.monotonic() < deadline:
            batch = channel.drain(timeout=PUMP_SECONDS)
            if batch.upserts or batch.deleted or batch.reset:
                store.apply(batch.upserts, batch.deleted, reset=batch.reset,
                            reset_scope=batch.reset_scope)
            if batch.status is not None:
                state = batch.status.state
                if state == State.ERROR:
                    raise RuntimeError(f"the source failed: {batch.status.text}")
            if len(store) >= events and state == State.WATCHING:
                break
            time.sleep(PUMP_SECONDS)
        else:
            raise RuntimeError(f"listed {len(store):,} of {events:,} events")
        return time.perf_counter() - started
    finally:
        feed.stop()
        sim.close()


# -- where an event's bytes go --------------------------------------------------------


def deep_bytes(events: list[Any]) -> dict[str, float]:
    """Average bytes per event by part, each object counted once (shared strings and refs
    count where first met, so they spread over the events); a raw block shared by N events
    counts 1/N of itself for each (the sample need not hold all N)."""
    seen: set[int] = set()

    def size(obj: Any) -> int:
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        return sys.getsizeof(obj)

    parts: dict[str, float] = {}

    def add(part: str, value: float) -> None:
        parts[part] = parts.get(part, 0) + value

    fields = [name for name in type(events[0]).__slots__ if name not in ("object",)]
    for event in events:
        add("Event", size(event))
        ref = event.object
        add("ObjectRef", size(ref))
        for name in ("kind", "name", "namespace", "uid", "api_version", "field_path"):
            add("str object." + name, size(getattr(ref, name)))
        for name in fields:
            value = getattr(event, name)
            if isinstance(value, str):
                add("str " + name, size(value))
            elif isinstance(value, bytes):
                add("raw", size(value))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                add("numbers", size(value))
            elif value is not None and not isinstance(value, bool):
                add("raw", _shared_size(value))
    return {key: value / max(len(events), 1) for key, value in parts.items() if value}


def _shared_size(holder: Any) -> float:
    """A share of a raw holder other than bytes (a block of N events): 1/N of the holder
    and of what it alone refers to."""
    total = sys.getsizeof(holder)
    for name in getattr(type(holder), "__slots__", ()):
        inner = getattr(holder, name, None)
        if isinstance(inner, list):
            total += sys.getsizeof(inner) + sum(map(sys.getsizeof, inner))
        elif inner is not None:
            total += sys.getsizeof(inner)
    return total / max(len(holder), 1) if hasattr(holder, "__len__") else total


def store_bytes(store: Any) -> dict[str, float]:
    """The store's own structures per event: the uid dict, the ordered lists, the text
    index (its arrays, uid lists and joined text)."""
    n = max(len(store), 1)
    lists = [store._all.items, store._visible.items, store._visible_warnings.items]
    lists += [s.items for s in store._by_type.values()]
    lists += [s.items for s in store._by_namespace.values()]
    lists += [s.items for s in store._by_context.values()] + [store._expired_events.items]
    lists = list({id(items): items for items in lists}.values())  # visible may be all
    text = 0
    for chunk in store.text._chunks:
        for name in chunk.__slots__:
            value = getattr(chunk, name)
            if value is not None:
                text += sys.getsizeof(value)
            if name == "keys" and value is not None:  # the open chunk's own strings
                text += sum(map(sys.getsizeof, value))
    return {
        "uid dict": sys.getsizeof(store._by_uid) / n,
        "time-ordered lists": sum(sys.getsizeof(items) for items in lists) / n,
        "text index": text / n,
    }


# -- filter changes -------------------------------------------------------------------


def filter_changes(stores: list[Any], runs: int) -> dict[str, tuple[float, float, float, int]]:
    """label -> (median ms, max ms, median CPU ms, events shown) of set_query over
    ``stores``. The CPU time is this thread's: on a shared machine the wall time also
    counts the time other processes held the cores."""
    from ktui.model.query import Query

    base = Query()
    busiest: dict[str, int] = {}
    for store in stores:
        for name, count in store.namespaces.items():
            busiest[name] = busiest.get(name, 0) + count.total
    namespace = max(busiest, key=lambda name: busiest[name])
    warnings = base.with_types({"Warning"})
    # (label, from, to): each change starts from the same list every time
    changes: list[tuple[str, Query, Query]] = [
        ("warnings", base, warnings),
        ("normal", base, base.with_types({"Normal"})),
        ("all types (from warnings)", warnings, base),
        (f"namespace {namespace}", base, base.with_namespaces({namespace})),
        ("text: BackOff", base, base.with_text("BackOff")),
        ("text: web", base, base.with_text("web")),
        ("text: connection refused", base, base.with_text("connection refused")),
        ("text: no-such-word", base, base.with_text("zzqx")),
        ("text: reason~Back type:Warning", base, base.with_text("reason~Back type:Warning")),
        ("clear (from text: web)", base.with_text("web"), base),
    ]
    results: dict[str, tuple[float, float, float, int]] = {}
    for label, before, query in changes:
        samples: list[float] = []
        cpu: list[float] = []
        for _ in range(runs):
            for store in stores:
                store.set_query(before)
            gc.collect()
            started = time.perf_counter()
            started_cpu = time.thread_time()
            for store in stores:
                store.set_query(query)
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
        shown = sum(len(store.visible) for store in stores)
        results[label] = (statistics.median(samples), max(samples), statistics.median(cpu),
                          shown)
    return results


# -- the run --------------------------------------------------------------------------


def run() -> dict[str, object]:
    n = _setting("KTUI_BENCH_MILLION_EVENTS", 200_000)
    contexts = _setting("KTUI_BENCH_MILLION_CONTEXTS", 5)
    runs = _setting("KTUI_BENCH_MILLION_RUNS", 5)
    results: dict[str, object] = {"_load_before": _load()}

    import ktui.ui.app  # noqa: F401  # Textual and the whole app, as the TUI process holds
    from ktui.model.store import EventStore

    gc.collect()
    rss_start = _rss_mb()
    stores = [EventStore(max_events=n) for _ in range(contexts)]
    seconds = [fill(store, 101 + k, n) for k, store in enumerate(stores)]
    total = sum(len(store) for store in stores)
    gc.collect()
    rss = _rss_mb()
    per_event = (rss - rss_start) * 1024 * 1024 / total
    sample = [e for store in stores for e in store.all_events[:: max(n // 2000, 1)]]
    parts = deep_bytes(sample)
    structures = store_bytes(stores[0])
    full = n * contexts >= 1_000_000
    results["million_rss"] = metric(
        round(rss), "MB", "≤ 1.2 GB" if full else "", rss <= BAR_RSS_MB if full else None,
        f"VmRSS of the whole process (Textual and the app imported, {rss_start:.0f} MB "
        f"before any event) with {contexts} stores of {n:,} events ({total:,})",
    )
    results["million_rss_per_event"] = metric(
        round(per_event), "B", "≤ 1.2 KB" if full else "",
        per_event <= 1200 if full else None, "RSS growth / events held")
    results["million_event_deep"] = metric(
        round(sum(parts.values())), "B", "", None,
        "deep size of one event, each object counted once: "
        + ", ".join(f"{k} {v:.0f}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1])
                    if v >= 0.5))
    results["million_store_structures"] = metric(
        round(sum(structures.values())), "B", "", None,
        "per event, one store's own structures: "
        + ", ".join(f"{k} {v:.0f}" for k, v in structures.items()))
    results["million_list_s"] = metric(
        round(statistics.median(seconds), 1), "s", "", None,
        f"median per context: list over HTTP, decode with the raw kept, store ({n:,} "
        "events; information)")

    def report(prefix: str, timed: dict[str, tuple[float, float, float, int]],
               held: int) -> None:
        for label, (median, worst, cpu, shown) in timed.items():
            results[f"{prefix}: {label}"] = metric(
                round(median, 1), "ms", "≤ 150 ms" if full else "",
                median <= BAR_FILTER_MS if full else None,
                f"CPU {cpu:.0f} ms; {shown:,} of {held:,} shown; median of {runs}, max "
                f"{worst:.0f} ms; load {_load()}")

    report("filter, five stores", filter_changes(stores, runs), total)
    merged = EventStore(max_events=total)
    for store in stores:
        merged.apply(store.all_events)
    for store in stores:
        store.set_query(store.query.__class__())
    gc.collect()
    results["_rss_with_merged_store_mb"] = round(_rss_mb())
    report("filter, one store", filter_changes([merged], runs), len(merged))
    results["_load_after"] = _load()
    return results


def main() -> None:
    if sys.argv[1:2] == ["_sim"]:
        _serve(int(sys.argv[2]), int(sys.argv[3]))
        return
    results = run()
    for key, value in results.items():
        if isinstance(value, dict):
            verdict = {True: "PASS", False: "FAIL", None: ""}[value["pass"]]
            print(f"{key:44} {value['value']!s:>10} {value['unit']:4} {value['bar']:>9} "
                  f"{verdict:4}  {value['note']}")
        else:
            print(f"{key:44} {value}")


if __name__ == "__main__":
    main()
