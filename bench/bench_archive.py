"""The local archive: the background writer's throughput, what a storm costs its
producer, and history's first view from the archive.

    python -m bench.bench_archive
    KTUI_BENCH_ARCHIVE_EVENTS=50000 KTUI_BENCH_ARCHIVE_STORM_SECONDS=5 python -m bench.bench_archive

Events are the simulator's generated mix (10% repeats, 10% deletions), built as the live
source builds them (raw JSON kept compressed 32 to a block by the stream's RawPacker, as
``ktui.kube.listing`` does), in one process with no network: what is measured is the
archive alone.

- throughput: EVENTS changes submitted in watch-sized batches (100) as fast as possible,
  then ``flush()``; the rate is changes over the time until the last commit. Run twice:
  into a new file, and the same changes again (a second recorder of the same cluster, all
  of them duplicates the upserts must ignore).
- storm: a producer submits 5,000 changes/s in 10 ms batches for SECONDS while the writer
  writes; reported are the producer's time per ``submit`` (what a watch thread pays) and
  the largest backlog seen, as seconds of the storm (a SIGKILL loses at most that much
  beyond the commit interval).
- the UI thread's share: the same storm paced by a producer thread while the main thread
  (standing for the TUI's UI thread) does pure-Python work in 1 ms slices, with the TUI's
  writer (a child process), an in-process writer thread, and archiving off, interleaved
  twice: how much less of that work gets done, and its slices' p99, tell what the writer
  takes from the UI's interpreter lock (and from the machine's cores).
- history: ``ArchiveHistory.search`` (first page + sparkline + namespace counts + total)
  over everything, unfiltered and with a filter that needs Python (a free word), and
  ``iter_all`` of everything.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ktui.archive import ArchiveHistory, ArchiveWriter
from ktui.archive.process import ProcessWriter
from ktui.model.event import Event
from ktui.model.query import Query, parse_query
from ktui.model.timerange import TimeRange

SERVER = "https://bench.example:6443"
BATCH = 100


def metric(
    value: Any, unit: str = "", bar: str = "", ok: bool | None = None, note: str = ""
) -> dict[str, Any]:
    return {"value": value, "unit": unit, "bar": bar, "pass": ok, "note": note}


def changes(n: int, seed: int = 5) -> list[tuple[str, Event]]:
    """``n`` changes as a watch delivers them: ADDED, some MODIFIED, some DELETED."""
    from dataclasses import replace

    from ktui.kube.decode import build
    from ktui.model.rawblock import RawPacker
    from ktui.sim import SimCluster

    sim = SimCluster(scenario="empty", seed=seed)
    sim.load(n, span_s=6 * 3600)
    rng = random.Random(seed)
    out: list[tuple[str, Event]] = []
    live: list[Event] = []
    rv = 10_000_000
    packer = RawPacker()  # the raw JSON in shared blocks, as a watch stream keeps it
    for obj in sim.events():
        raw = json.dumps(obj, separators=(",", ":")).encode()
        event = build(obj, "v1", "bench", True, raw, packer)
        out.append(("upsert", event))
        live.append(event)
        roll = rng.random()
        if roll < 0.1 and live:
            old = live[rng.randrange(len(live))]
            rv += 1
            out.append(("upsert", replace(old, resource_version=str(rv), count=old.count + 1,
                                          time=old.time + 1)))  # fmt: skip
        elif roll < 0.2 and live:
            gone = live.pop(rng.randrange(len(live)))
            rv += 1
            out.append(("delete", replace(gone, resource_version=str(rv)).as_expired()))
        if len(out) >= n:
            break
    return out[:n]


def submit_all(writer: ArchiveWriter, stream: list[tuple[str, Event]]) -> float:
    """Submit in watch-sized batches, flush; seconds until the last commit."""
    recorder = writer.recorder(SERVER, "bench")
    started = time.perf_counter()
    for start in range(0, len(stream), BATCH):
        chunk = stream[start : start + BATCH]
        upserts = [e for op, e in chunk if op == "upsert"]
        deleted = [e for op, e in chunk if op == "delete"]
        recorder.changes(upserts, deleted)
    assert writer.flush(600)
    return time.perf_counter() - started


def throughput(path: Path, stream: list[tuple[str, Event]]) -> tuple[float, float, float]:
    """(changes/s into a new file, the same per CPU second of this process, changes/s of
    the same changes again). The CPU rate says what an idle core would do: on a shared
    machine the wall-clock rate moves with the load."""
    writer = ArchiveWriter(path, capacity=len(stream) + 1, retention=None, max_size=None)
    writer.start()
    cpu = time.process_time()
    first = submit_all(writer, stream)
    cpu = time.process_time() - cpu
    again = ArchiveWriter(path, capacity=len(stream) + 1, retention=None, max_size=None)
    again.start()
    second = submit_all(again, stream)
    assert writer.close() and again.close()
    return len(stream) / first, len(stream) / cpu, len(stream) / second


def storm(
    path: Path, stream: list[tuple[str, Event]], rate: float, seconds: float
) -> dict[str, float]:
    writer = ArchiveWriter(path, retention=None, max_size=None).start()
    recorder = writer.recorder(SERVER, "storm")
    per_tick = max(1, int(rate / 100))
    costs: list[float] = []
    backlog = [0]
    done = threading.Event()

    def watch_backlog() -> None:
        while not done.wait(0.01):
            backlog.append(writer.status.pending)

    watcher = threading.Thread(target=watch_backlog, daemon=True)
    watcher.start()
    started = time.perf_counter()
    sent = 0
    tick = 0
    while time.perf_counter() - started < seconds and sent < len(stream):
        chunk = stream[sent : sent + per_tick]
        upserts = [e for op, e in chunk if op == "upsert"]
        deleted = [e for op, e in chunk if op == "delete"]
        before = time.perf_counter()
        recorder.changes(upserts, deleted)
        costs.append(time.perf_counter() - before)
        sent += len(chunk)
        tick += 1
        pause = started + tick * 0.01 - time.perf_counter()
        if pause > 0:
            time.sleep(pause)  # the pace of a 5,000/s storm: 10 ms batches
    elapsed = time.perf_counter() - started
    assert writer.flush(600)
    done.set()
    watcher.join()
    assert writer.close()
    costs.sort()
    return {
        "sent_per_s": sent / elapsed,
        "submit_p50_us": statistics.median(costs) * 1e6,
        "submit_p99_us": costs[int(len(costs) * 0.99)] * 1e6,
        "submit_max_us": costs[-1] * 1e6,
        "per_event_us": sum(costs) / max(sent, 1) * 1e6,
        "max_backlog_s": max(backlog) / rate,
    }


def _slice(work: int) -> None:
    """Pure-Python work standing for the UI thread's (a dict and a list per step)."""
    rows: dict[int, list[int]] = {}
    for i in range(work):
        rows[i & 63] = [i, i + 1]


def share(
    path: Path, stream: list[tuple[str, Event]], rate: float, seconds: float, mode: str
) -> dict[str, float]:
    """Slices of Python work the main thread gets done while a producer thread submits
    ``rate`` changes/s to the TUI's writer (``mode`` "process", a child process), an
    in-process writer thread ("thread", as ``ktui record`` has) or none ("off")."""
    writer: ArchiveWriter | ProcessWriter
    if mode == "process":
        writer = ProcessWriter(path, retention=None, max_size=None).start()
    else:
        writer = ArchiveWriter(path, enabled=mode == "thread", retention=None,
                               max_size=None).start()  # fmt: skip
    recorder = writer.recorder(SERVER, "share")
    per_tick = max(1, int(rate / 100))
    done = threading.Event()

    produced = [0.0, 0]  # the producer thread's CPU seconds, changes sent

    def produce() -> None:
        cpu = time.thread_time()
        started = time.perf_counter()
        sent = tick = 0
        while not done.is_set() and sent < len(stream):
            chunk = stream[sent : sent + per_tick]
            recorder.changes([e for op, e in chunk if op == "upsert"],
                             [e for op, e in chunk if op == "delete"])  # fmt: skip
            sent += len(chunk)
            tick += 1
            pause = started + tick * 0.01 - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        produced[:] = [time.thread_time() - cpu, sent]

    work = 1
    while True:  # the size of a ~1 ms slice on this machine, now
        started = time.perf_counter()
        _slice(work)
        if time.perf_counter() - started >= 0.001:
            break
        work *= 2
    producer = threading.Thread(target=produce, daemon=True)
    cpu = time.process_time()
    children = _children_cpu()
    main_cpu = time.thread_time()
    producer.start()
    slices: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        before = time.perf_counter()
        _slice(work)
        slices.append(time.perf_counter() - before)
    elapsed = time.perf_counter() - started
    main_cpu = time.thread_time() - main_cpu
    done.set()
    producer.join()
    writer.flush(600)
    writer.close()
    cpu = time.process_time() - cpu
    slices.sort()
    sent = max(int(produced[1]), 1)
    return {
        "work_per_s": len(slices) / elapsed,
        "slice_p99_ms": slices[int(len(slices) * 0.99)] * 1000,
        "cpu_s": cpu,
        # this process's CPU besides the probe and the producer: the writer's threads,
        # all of it until the last commit (what shares the UI's GIL, or a part of it)
        "writer_us": (cpu - main_cpu - produced[0]) / sent * 1e6,
        "child_us": (_children_cpu() - children) / sent * 1e6,  # the writer process's
    }


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def history(path: Path, span: TimeRange) -> dict[str, float]:
    source = ArchiveHistory(path, SERVER, context_label="bench")
    out: dict[str, float] = {}
    for label, query in (("all", Query()), ("word", parse_query("type:Warning back"))):
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            page = source.search(query, span, page_size=500, buckets=60)
            samples.append((time.perf_counter() - started) * 1000)
        out[f"{label}_ms"] = statistics.median(samples)
        out[f"{label}_total"] = page.total
    started = time.perf_counter()
    out["iter_all_events"] = sum(len(b) for b in source.iter_all(Query(), span, page_size=2000))
    out["iter_all_s"] = time.perf_counter() - started
    source.close()
    return out


def run() -> dict[str, object]:
    n = int(os.environ.get("KTUI_BENCH_ARCHIVE_EVENTS", "100000"))
    rate = float(os.environ.get("KTUI_BENCH_ARCHIVE_STORM_RATE", "5000"))
    seconds = float(os.environ.get("KTUI_BENCH_ARCHIVE_STORM_SECONDS", "10"))
    workdir = Path(tempfile.mkdtemp(prefix="ktui-bench-archive-"))
    try:
        stream = changes(max(n, int(rate * seconds)))
        fresh, per_cpu, duplicate = throughput(workdir / "a.sqlite3", stream[:n])
        size = (workdir / "a.sqlite3").stat().st_size
        stormed = storm(workdir / "b.sqlite3", stream, rate, seconds)
        shares: dict[str, list[dict[str, float]]] = {"off": [], "thread": [], "process": []}
        for turn, mode in enumerate(("off", "thread", "process") * 2):
            shares[mode].append(share(workdir / f"s{turn}.sqlite3", stream, rate, seconds, mode))
        times = [e.time for _, e in stream[:n]]
        read = history(workdir / "a.sqlite3", TimeRange.between(min(times), max(times) + 1))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    one, five, _ = os.getloadavg()
    note = f"load {one:.1f}/{five:.1f}"

    def mean(mode: str, key: str) -> float:
        return statistics.fmean(run[key] for run in shares[mode])

    def lost(mode: str) -> float:
        return round((1 - mean(mode, "work_per_s") / mean("off", "work_per_s")) * 100, 1)
    return {
        "archive_write_per_s": metric(
            round(fresh), "events/s", ">= 20000", fresh >= 20000,
            f"{n:,} changes (10% repeats, 10% deletions) into a new file; {note}",
        ),
        "archive_write_per_cpu_s": metric(
            round(per_cpu), "events/s", note="the same run per CPU second (what an idle core does)"
        ),
        "archive_write_duplicates_per_s": metric(
            round(duplicate), "events/s", note="the same changes again (a second recorder)"
        ),
        "archive_bytes_per_event": metric(round(size / n), "bytes", note="file size / changes"),
        "archive_storm_submit_p99_us": metric(
            round(stormed["submit_p99_us"], 1), "µs",
            note=f"per submit of {int(rate / 100)} changes at {stormed['sent_per_s']:,.0f}/s; "
            f"p50 {stormed['submit_p50_us']:.1f} µs, max {stormed['submit_max_us']:.0f} µs",
        ),
        "archive_storm_cost_per_event_us": metric(
            round(stormed["per_event_us"], 3), "µs", note="the producer's share of one change"
        ),
        "archive_storm_max_backlog_s": metric(
            round(stormed["max_backlog_s"], 2), "s", "< 1", stormed["max_backlog_s"] < 1,
            "queued, not yet committed, as seconds of the storm",
        ),
        "archive_storm_ui_process_cpu_per_event_us": metric(
            round(mean("process", "writer_us"), 2), "µs", "", None,
            f"CPU the archive costs the UI's process per change with the TUI's writer (the "
            f"sender and status threads; the child process's {mean('process', 'child_us'):.1f}"
            f" µs elsewhere); with the writer as a thread of the process "
            f"{mean('thread', 'writer_us'):.1f} µs; archiving off "
            f"{mean('off', 'writer_us'):.2f} µs (the same measurement with no writer)",
        ),
        "archive_storm_ui_work_lost": metric(
            lost("process"), "%", "", None,
            f"Python work the main thread (the UI's) did not get done during a "
            f"{rate:,.0f}/s storm of {seconds:g} s with the TUI's writer (a child process) "
            f"vs archiving off (two runs each, interleaved): "
            f"{mean('process', 'work_per_s'):,.0f} vs {mean('off', 'work_per_s'):,.0f} 1 ms "
            f"slices/s; this process's CPU {mean('process', 'cpu_s'):.1f} vs "
            f"{mean('off', 'cpu_s'):.1f} s; {note} (2 cores, shared)",
        ),
        "archive_storm_ui_work_lost_in_process": metric(
            lost("thread"), "%", "", None,
            f"the same with the writer as a thread of this process (ktui record's): "
            f"{mean('thread', 'work_per_s'):,.0f} slices/s, CPU {mean('thread', 'cpu_s'):.1f} s",
        ),
        "archive_storm_ui_slice_p99_ms": metric(
            round(mean("process", "slice_p99_ms"), 2), "ms", "", None,
            f"p99 of those 1 ms slices with the child process; in process "
            f"{mean('thread', 'slice_p99_ms'):.2f} ms, off {mean('off', 'slice_p99_ms'):.2f} ms",
        ),
        "archive_first_view_ms": metric(
            round(read["all_ms"], 1), "ms",
            note=f"page + sparkline + namespace counts over {read['all_total']:,} events",
        ),
        "archive_first_view_filtered_ms": metric(
            round(read["word_ms"], 1), "ms",
            note=f"'type:Warning back' (a free word: Python per row), {read['word_total']:,} match",
        ),
        "archive_iter_all_s": metric(
            round(read["iter_all_s"], 2), "s", note=f"{read['iter_all_events']:,} events read back"
        ),
    }  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
