"""A million events in the real TUI: five contexts of 200,000 events shown together.

``bench_million`` measures the stores alone; this runs the app itself headless
(``run_test``, as ``bench_ui`` does) on five simulated API servers at once, each its own
child process (another seed: other uids, names and times), watched as ``ktui --context
a,b,c,d,e`` watches them: one ``ContextSet``, one store for the five, one table.

Measured, each app in a fresh child process (so the RSS is that app's alone):

- the first rows of each context: from the sources' start (right after the first paint)
  to the first frame handed to the driver whose table rows show an event of that
  context, against that context's listing floor (fetch + ``json.loads`` of every page of
  its list, alone, in this process; before and after the apps ran, median); the bar is
  2x the floor (issue 13);
- once every context is listed: the whole process's RSS (bar 1.2 GB) and each filter
  change from the key press (or ``apply_query``) to the frame handed to the driver (bar
  150 ms), with the main thread's CPU time over the same span (on a shared machine the
  wall time also counts the time other processes held the cores).

    python -m bench.bench_million_ui
    KTUI_BENCH_MILLION_EVENTS=20000 python -m bench.bench_million_ui     # a smoke test

Sizes from the environment:

    KTUI_BENCH_MILLION_EVENTS      events per context                   200000
    KTUI_BENCH_MILLION_CONTEXTS    contexts                             5
    KTUI_BENCH_MILLION_RUNS        repetitions of each filter change    5
    KTUI_BENCH_MILLION_ROWS_RUNS   apps started for the first rows      3
    KTUI_BENCH_PROFILE             a directory: a cProfile of each filter change there
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.bench_million import SimChild, _load, _rss_mb, _setting, metric
from bench.bench_ui import Frames

ROOT = Path(__file__).resolve().parent.parent
BAR_RSS_MB = 1200.0
BAR_FILTER_MS = 150.0
BAR_ROWS_RATIO = 2.0
CHILD_TIMEOUT = 1800.0


class _Served:
    """What ``kubeconfig_text`` needs of a cluster: its name, URL, and TLS."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url, self.tls = name, url, url.startswith("https")


def _kubeconfig(sims: list[SimChild]) -> str:
    from ktui.sim import write_kubeconfig

    path = Path(tempfile.mkdtemp(prefix="ktui-bench-million-ui-")) / "kubeconfig"
    write_kubeconfig(path, [_Served(sim.name, sim.url) for sim in sims], token="admin-token")
    return str(path)


# -- the app, in a child process ------------------------------------------------------


class FrameWatch(Frames):
    """bench_ui's frames, and which contexts the table's rows show in each."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.first_shown: dict[str, float] = {}
        timed = app._display
        table = app.explorer.table

        def display(screen: Any, renderable: Any) -> None:
            timed(screen, renderable)
            if renderable is None or table.store is None or not table.row_count:
                return
            now = self.times[-1]
            top = int(table.scroll_y)
            for row in range(top, top + max(table.size.height - 1, 1)):
                event = table.event_at(row)
                if event is None:
                    break
                self.first_shown.setdefault(event.context, now)

        app._display = display


async def _wait(pilot: Any, condition: Callable[[], bool], timeout: float,
                step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(step)
    return condition()


def _app(kubeconfig: str, contexts: list[str], per_context: int) -> Any:
    from ktui.config import Settings, UiSettings
    from ktui.kube.catalog import KubeCatalog
    from ktui.ui.app import KtuiApp

    return KtuiApp(KubeCatalog(kubeconfig),
                   settings=Settings(ui=UiSettings(max_events=per_context)),
                   context=",".join(contexts))


def child(kubeconfig: str, contexts: list[str], per_context: int, filters: bool) -> dict[str, Any]:
    """One app: the first rows of each context; with ``filters``, then the RSS and the
    filter changes once everything is listed."""
    app = _app(kubeconfig, contexts, per_context)
    out: dict[str, Any] = {}
    original_start = app.explorer.start
    started: list[float] = []

    def start() -> None:
        gc.collect()
        out["rss_mounted"] = _rss_mb()
        started.append(time.perf_counter())
        original_start()

    app.explorer.start = start  # on_mount runs it after the first frame

    async def scenario() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            watch = FrameWatch(app)
            if not await _wait(pilot, lambda: len(watch.first_shown) == len(contexts), 300,
                               0.01):
                raise RuntimeError(f"rows of {sorted(watch.first_shown)} only")
            out["first_rows"] = {c: watch.first_shown[c] - started[0] for c in contexts}
            if filters:
                explorer = app.explorer
                total = per_context * len(contexts)

                def listed() -> bool:
                    store = explorer.live.store
                    return (store is not None and len(store) == total
                            and explorer.live.listed)

                if not await _wait(pilot, listed, 1200):
                    raise RuntimeError("the store never held every event")
                out["listed_s"] = time.perf_counter() - started[0]
                await pilot.pause(1.0)
                gc.collect()
                out["rss"] = _rss_mb()
                out["filters"] = await _filters(app, pilot, watch, contexts)
            await pilot.press("q")

    asyncio.run(scenario())
    return out


async def _filters(app: Any, pilot: Any, watch: FrameWatch,
                   contexts: list[str]) -> dict[str, Any]:
    """Each change from the same starting filter: key press (or apply_query) to the frame
    handed to the driver after the store took the new query; wall and main-thread CPU."""
    from textual import events

    from ktui.model.query import Query

    runs = _setting("KTUI_BENCH_MILLION_RUNS", 5)
    explorer = app.explorer
    store = explorer.live.store
    applied: list[float] = []
    original_set_query = store.set_query

    def set_query(query: Any) -> None:
        original_set_query(query)
        applied.append(time.perf_counter())

    store.set_query = set_query
    busiest = max(store.namespaces, key=lambda ns: store.namespaces[ns].total)
    base = Query()
    warnings = base.with_types({"Warning"})

    def press(key: str) -> Callable[[], None]:
        return lambda: app._driver.send_message(events.Key(key, key))

    def query(target: Query) -> Callable[[], None]:
        return lambda: explorer.apply_query(target)

    changes: list[tuple[str, Query, Callable[[], None]]] = [
        ("key w (warnings)", base, press("w")),
        ("key n (normal)", base, press("n")),
        ("key a (all types, from warnings)", warnings, press("a")),
        (f"namespace {busiest}", base, query(base.with_namespaces({busiest}))),
        ("key 0 (all namespaces, from one)", base.with_namespaces({busiest}), press("0")),
        ("text: BackOff", base, query(base.with_text("BackOff"))),
        ("text: web", base, query(base.with_text("web"))),
        ("text: connection refused", base, query(base.with_text("connection refused"))),
        ("text: no-such-word", base, query(base.with_text("zzqx"))),
        (f"text: ctx:{contexts[0]}", base, query(base.with_text(f"ctx:{contexts[0]}"))),
        ("text: BackOff, then BackOff web", base.with_text("BackOff"),
         query(base.with_text("BackOff web"))),
        ("key esc (clear, from text: web)", base.with_text("web"), press("escape")),
    ]
    results: dict[str, Any] = {}
    profiles = os.environ.get("KTUI_BENCH_PROFILE")  # a directory: cProfile per change
    for number, (label, before, do) in enumerate(changes):
        profile = None
        if profiles:
            import cProfile

            profile = cProfile.Profile()
        samples: list[float] = []
        cpu: list[float] = []
        for _ in range(runs):
            explorer.apply_query(before)
            await pilot.pause(0.3)
            gc.collect()
            applied.clear()
            if profile is not None:
                profile.enable()
            started, started_cpu = time.perf_counter(), time.thread_time()
            do()
            deadline = time.monotonic() + 10
            while not applied and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
            frame = await watch.next_after(applied[-1]) if applied else None
            if profile is not None:
                profile.disable()
            if frame is None:
                continue
            samples.append((frame - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            await pilot.pause(0.2)
        if profile is not None and profiles:
            profile.dump_stats(str(Path(profiles) / f"{number:02d}.pstats"))
        results[label] = {"samples": samples, "cpu": cpu, "shown": len(store.visible),
                          "total": len(store), "load": _load()}
    explorer.apply_query(base)
    return results


def _run_child(kubeconfig: str, contexts: list[str], per_context: int,
               filters: bool) -> dict[str, Any]:
    out = tempfile.mktemp(prefix="ktui-bench-million-ui-", suffix=".json")
    command = [sys.executable, "-m", "bench.bench_million_ui", "_app", "--kubeconfig",
               kubeconfig, "--contexts", ",".join(contexts), "--events", str(per_context),
               "--out", out] + (["--filters"] if filters else [])
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          timeout=CHILD_TIMEOUT)
    if proc.returncode != 0 or not Path(out).exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
        raise RuntimeError("the app's process failed: " + " | ".join(tail))
    data: dict[str, Any] = json.loads(Path(out).read_text())
    os.unlink(out)
    return data


# -- the run --------------------------------------------------------------------------


def run() -> dict[str, object]:
    from bench.bench_ui import _floor_seconds

    n = _setting("KTUI_BENCH_MILLION_EVENTS", 200_000)
    count = _setting("KTUI_BENCH_MILLION_CONTEXTS", 5)
    rows_runs = _setting("KTUI_BENCH_MILLION_ROWS_RUNS", 3)
    results: dict[str, object] = {"_load_before": _load()}
    sims = [SimChild(101 + k, n, wait=False) for k in range(count)]
    try:
        for sim in sims:
            sim.ready()
        contexts = [sim.name for sim in sims]
        kubeconfig = _kubeconfig(sims)
        floors: dict[str, list[float]] = {c: [] for c in contexts}
        for sim in sims:
            floors[sim.name].append(_floor_seconds(sim.url))
        first = _run_child(kubeconfig, contexts, n, filters=True)
        rows = [first["first_rows"]]
        for _ in range(rows_runs - 1):
            rows.append(_run_child(kubeconfig, contexts, n, filters=False)["first_rows"])
        for sim in sims:
            floors[sim.name].append(_floor_seconds(sim.url))
    finally:
        for sim in sims:
            sim.close()
    full = n * count >= 1_000_000
    total = n * count
    rss = first["rss"]
    results["million_ui_rss"] = metric(
        round(rss), "MB", "≤ 1.2 GB" if full else "", rss <= BAR_RSS_MB if full else None,
        f"VmRSS of the whole app process, table mounted, {count} contexts of {n:,} events "
        f"({total:,}) in one store ({first['rss_mounted']:.0f} MB at the first frame)")
    results["million_ui_listed_s"] = metric(
        round(first["listed_s"], 1), "s", "", None,
        f"sources' start to all {total:,} events in the store, every context watching "
        "(information)")
    worst = 0.0
    for context in contexts:
        floor = statistics.median(floors[context])
        seen = statistics.median(r[context] for r in rows)
        ratio = seen / floor
        worst = max(worst, ratio)
        results[f"million_ui first rows: {context}"] = metric(
            round(ratio, 2), "x", "≤ 2", ratio <= BAR_ROWS_RATIO,
            f"{seen:.2f} s from the sources' start to the first frame showing its rows, "
            f"median of {len(rows)} apps ({', '.join(f'{r[context]:.2f}' for r in rows)}); "
            f"its floor {floor:.2f} s (fetch + json.loads of its {n:,} events' pages, alone); "
            f"load {results['_load_before']} before")
    for label, timed in first["filters"].items():
        samples = timed["samples"]
        value = statistics.median(samples) if samples else float("nan")
        cpu = statistics.median(timed["cpu"]) if timed["cpu"] else float("nan")
        results[f"million_ui filter: {label}"] = metric(
            round(value, 1), "ms", "≤ 150 ms" if full else "",
            value <= BAR_FILTER_MS if full else None,
            f"key to frame; CPU {cpu:.0f} ms; {timed['shown']:,} of {timed['total']:,} shown; "
            f"median of {len(samples)}, max {max(samples, default=float('nan')):.0f} ms; "
            f"load {timed['load']}")
    results["_load_after"] = _load()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_million_ui")
    parser.add_argument("command", nargs="?", default="run", choices=("run", "_app"))
    parser.add_argument("--kubeconfig")
    parser.add_argument("--contexts")
    parser.add_argument("--events", type=int)
    parser.add_argument("--out")
    parser.add_argument("--filters", action="store_true")
    args = parser.parse_args()
    if args.command == "_app":
        data = child(args.kubeconfig, args.contexts.split(","), args.events, args.filters)
        Path(args.out).write_text(json.dumps(data))
        return
    for key, value in run().items():
        if isinstance(value, dict):
            verdict = {True: "PASS", False: "FAIL", None: ""}[value["pass"]]
            print(f"{key:52} {value['value']!s:>8} {value['unit']:3} {value['bar']:>9} "
                  f"{verdict:4}  {value['note']}")
        else:
            print(f"{key:52} {value}")


if __name__ == "__main__":
    main()
