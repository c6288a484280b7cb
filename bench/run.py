"""Run every benchmark and write ``docs/benchmarks.md``.

    python -m bench.run             # the full run (tens of minutes)
    python -m bench.run --quick     # small sizes, short storms: a smoke test of the benches
    python -m bench.run --only bench_ui,bench_list --out /tmp/benchmarks.md

Each module under ``bench/`` named in ``MODULES`` exposes ``run() -> dict[str, object]``;
a missing one is skipped with a note. Each runs in its own Python process (a crash or a
leak in one does not touch the others, and RSS numbers stay per benchmark). A result is
either a plain value or ``{"value", "unit", "bar", "pass", "note"}``; ``pass`` is True or
False against the bar, or None for a number reported without one. Keys starting with
``_`` are bookkeeping and are not tabulated.

Benchmarks never run in the test suite: they take minutes and the machine is shared, so
their numbers are written down here, not asserted.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("bench_list", "bench_ingest", "bench_recovery", "bench_history", "bench_archive",
           "bench_ui", "bench_grouping", "bench_million", "bench_million_ui")
TITLES = {
    "bench_list": "Listing: `ktui events` against kubectl and the floor",
    "bench_ingest": "Live source throughput: KubeSource into a BatchChannel",
    "bench_recovery": "Live source recovery: back to watching after an outage",
    "bench_history": "History: OpenSearch first view and paging",
    "bench_archive": "The local archive: writer throughput, storm cost, history from it",
    "bench_ui": "The TUI: first paint, memory, filters, sustained ingest",
    "bench_grouping": "The incident lens: grouping events by owner, object, reason",
    "bench_million": "A million events: five contexts of 200,000",
    "bench_million_ui": "A million events in the TUI: five contexts of 200,000 in one table",
}
# --quick: sizes for a smoke test (an explicit environment variable still wins)
QUICK_ENV = {
    "KTUI_BENCH_QUICK": "1",
    "KTUI_BENCH_LIST_EVENTS": "5000",
    "KTUI_BENCH_LIST_RUNS": "2",
    "KTUI_BENCH_INGEST_BACKLOG": "10000",
    "KTUI_BENCH_INGEST_STORM_SECONDS": "3",
    "KTUI_BENCH_RECOVERY_OUTAGES": "3",
    "KTUI_BENCH_RECOVERY_THROTTLE": "3",
    "KTUI_BENCH_STORM_SECONDS": "6",
    "KTUI_BENCH_STORM_BACKLOG": "10000",
    "KTUI_BENCH_ARCHIVE_EVENTS": "20000",
    "KTUI_BENCH_ARCHIVE_STORM_SECONDS": "3",
    "KTUI_BENCH_MILLION_EVENTS": "20000",
    "KTUI_BENCH_MILLION_RUNS": "2",
    "KTUI_BENCH_MILLION_ROWS_RUNS": "2",
}
MODULE_TIMEOUT = 3600.0
BARS = """\
- Listing: `ktui events -A -o jsonl` ≤ 0.25× `kubectl get events -A -o json` and ≤ 2× the
  floor (fetch every page and `json.loads` it); the TUI's first rows likewise.
- First paint ≤ 0.4 s.
- Sustained ingest of 5,000 events/s for 60 s: no UI stall over 100 ms, key-to-repaint p99
  under 100 ms; bursts of 20,000/s without a crash, with a visible coalesced count.
- 200,000 retained events in ≤ 400 MB RSS for the whole process; a filter change over
  them repainted in ≤ 100 ms.
- Five contexts of 200,000 events (1,000,000) in ≤ 1.2 GB RSS for the whole process; a
  filter change over them repainted in ≤ 150 ms.
- History: first page + sparkline + namespace counts in one round trip; paging past
  10,000 works.
- Recovery: watching again within 10 s of the API server being back, whatever happened
  before (an outage, throttling); at most one relist during a 5,000/s storm with a short
  watch window.
- Archive: the background writer takes 20,000 events/s; a 5,000 events/s storm does not
  slow its producer, and a killed process loses at most the last second.
- Grouping 200,000 events (by owner, object or reason) ≤ 100 ms, like a filter change."""

_RUNNER = """
import importlib, json, sys
results = importlib.import_module(sys.argv[1]).run()
with open(sys.argv[2], "w") as out:
    json.dump(results, out, default=str)
"""


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def run_module(name: str, env: dict[str, str]) -> tuple[dict[str, Any], float, str]:
    """(results, seconds, error) of one benchmark module in its own process."""
    out = tempfile.mktemp(prefix=f"ktui-{name}-", suffix=".json")
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _RUNNER, f"bench.{name}", out],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=MODULE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {}, time.perf_counter() - started, f"timed out after {MODULE_TIMEOUT:.0f} s"
    seconds = time.perf_counter() - started
    if proc.returncode != 0 or not Path(out).exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
        return {}, seconds, f"exit {proc.returncode}: " + " | ".join(tail)
    results: dict[str, Any] = json.loads(Path(out).read_text())
    os.unlink(out)
    return results, seconds, ""


# -- the machine ---------------------------------------------------------------------


def _first_line(command: list[str]) -> str:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return (proc.stdout or proc.stderr).strip().splitlines()[0] if proc.returncode == 0 else (
        "not found")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    kubectl = "not found"
    try:
        proc = subprocess.run(["kubectl", "version", "--client", "-o", "json"],
                              capture_output=True, text=True, timeout=20)
        if proc.returncode == 0:
            kubectl = json.loads(proc.stdout)["clientVersion"]["gitVersion"]
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError):
        pass
    commit = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "ktui"],
                           capture_output=True, text=True).stdout.strip()
    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "Memory": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "textual": _version("textual"),
        "kubernetes": _version("kubernetes"),
        "opensearch-py": _version("opensearch-py"),
        "kubectl": kubectl,
        "ktui commit": commit + (" (with uncommitted changes under ktui/)" if dirty else ""),
    }


# -- the report ----------------------------------------------------------------------


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "—"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}"
    return str(value)


def _summary(name: str) -> str:
    """The first paragraph of a bench module's docstring (how it measures)."""
    try:
        tree = ast.parse((ROOT / "bench" / f"{name}.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return ""
    doc = ast.get_docstring(tree) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(results: dict[str, Any]) -> tuple[list[list[str]], list[str]]:
    """Table rows (metric, value, bar, result, note) and the plain extras."""
    rows: list[list[str]] = []
    extras: list[str] = []
    for key, value in results.items():
        if key.startswith("_"):
            if not key.startswith("_raw"):
                extras.append(f"{key.lstrip('_')}: {_number(value)}")
            continue
        if isinstance(value, dict) and "value" in value:
            ok = value.get("pass")
            verdict = "" if ok is None else "✅ pass" if ok else "❌ FAIL"
            shown = _number(value.get("value"))
            unit = value.get("unit") or ""
            rows.append([key, f"{shown} {unit}".strip(), value.get("bar") or "", verdict,
                         value.get("note") or ""])
        elif isinstance(value, dict):
            for sub, inner in value.items():
                rows.append([f"{key}.{sub}", _number(inner), "", "", ""])
        else:
            rows.append([key, _number(value), "", "", ""])
    return rows, extras


def report(runs: list[tuple[str, dict[str, Any], float, str]], info: dict[str, str],
           quick: bool, started: str, load_before: str, load_after: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python -m bench.run{' --quick' if quick else ''}` on {started} "
        "(UTC). Do not edit by hand: run it again.",
        "",
    ]
    if quick:
        lines += ["> **Quick run**: small sizes and short storms, a smoke test of the "
                  "benchmarks. Its numbers are not the ones the bar is about.", ""]
    verdicts = [row[3] for _, results, _, _ in runs for row in _rows(results)[0] if row[3]]
    passed = sum(1 for v in verdicts if "pass" in v)
    failed = sum(1 for v in verdicts if "FAIL" in v)
    lines += [
        f"**{passed} of {passed + failed} checks against a bar pass.** "
        "The machine is shared with other work: its load average (1 / 5 / 15 min) was "
        f"{load_before} before and {load_after} after the run, on {info['Cores']} cores, "
        "so times are noisier and higher than on an idle machine; each number is a median "
        "of repetitions where the benchmark repeats.",
        "",
        "## The bar",
        "",
        "From the project's performance reference:",
        "",
        BARS,
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {key} | {_cell(value)} |" for key, value in info.items()]
    lines.append("")
    for name, results, seconds, error in runs:
        lines += [f"## {TITLES.get(name, name)}", "", f"`bench/{name}.py`"]
        if error == "missing":
            lines += ["", f"Not run: `bench/{name}.py` does not exist yet.", ""]
            continue
        lines[-1] += f", {seconds:.0f} s. {_summary(name)}"
        if error:
            lines += ["", f"**Failed to run**: `{_cell(error)}`", ""]
        rows, extras = _rows(results)
        if rows:
            lines += ["", "| metric | value | bar | result | note |",
                      "|---|---:|---|---|---|"]
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
        if extras:
            lines += ["", "Run: " + "; ".join(extras) + "."]
        lines.append("")
    lines += [
        "## Reproduce",
        "",
        "```sh",
        ". .venv/bin/activate",
        "python -m bench.run            # everything, written here",
        "python -m bench.run --quick    # a smoke test",
        "python -m bench.bench_ui --part first_paint,memory,ingest   # one module, printed",
        "```",
        "",
        "Sizes come from the environment; see each module's docstring (for example "
        "`KTUI_BENCH_EVENTS`, `KTUI_BENCH_INGEST_SECONDS` for `bench_ui`, "
        "`KTUI_BENCH_LIST_EVENTS` for `bench_list`, `KTUI_BENCH_MILLION_EVENTS` for "
        "`bench_million`). The simulated Kubernetes API server "
        "(`ktui.sim`) runs in its own process and is reached over real HTTP(S); "
        "`bench_history` starts an in-memory OpenSearch (osmem-server) unless "
        "`KTUI_BENCH_OPENSEARCH_URL` names one.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--only", help="comma-separated module names, e.g. bench_ui")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    names = tuple(args.only.split(",")) if args.only else MODULES
    env = dict(os.environ)
    if args.quick:
        for key, value in QUICK_ENV.items():
            env.setdefault(key, value)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    load_before = _load()
    info = machine()
    runs: list[tuple[str, dict[str, Any], float, str]] = []
    for name in names:
        if not (ROOT / "bench" / f"{name}.py").exists():
            print(f"{name}: missing, skipped", file=sys.stderr)
            runs.append((name, {}, 0.0, "missing"))
            continue
        print(f"{name}: running…", file=sys.stderr, flush=True)
        results, seconds, error = run_module(name, env)
        print(f"{name}: {seconds:.0f} s{' — ' + error if error else ''}", file=sys.stderr,
              flush=True)
        runs.append((name, results, seconds, error))
    text = report(runs, info, args.quick, started, load_before, _load())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
