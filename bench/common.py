"""What the benchmarks share: the result format, its printing, and a simulated cluster in
a child process (so the API server does not share the measured process's GIL).

A bench module runs ``SimChild("bench.bench_x", *options)``; that starts ``python -m
bench.bench_x _sim *options``, whose ``main`` builds its ``SimCluster`` and hands it to
:func:`serve_sim`. The parent then drives the cluster with one-line commands, one JSON
answer each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ktui.sim import SimCluster

ROOT = Path(__file__).resolve().parent.parent

Verb = Callable[[list[str]], dict[str, Any]]
"""A command of the child: its words after the verb -> its answer."""


def rss_mb() -> float:
    """This process's resident memory (VmRSS), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load() -> str:
    """The load average over one and five minutes, for a result's note."""
    one, five, _ = os.getloadavg()
    return f"{one:.2f} / {five:.2f}"


def metric(
    value: Any, unit: str = "", bar: str = "", ok: bool | None = None, note: str = ""
) -> dict[str, Any]:
    """One result as bench.run tabulates it (``pass``: against the bar, None without)."""
    return {"value": value, "unit": unit, "bar": bar, "pass": ok, "note": note}


def print_results(results: Mapping[str, object], unit_width: int = 8) -> None:
    """A bench's results, one line each, for a run by hand (plain values as they are)."""
    width = max(len(k) for k in results)
    for name, value in results.items():
        if not isinstance(value, dict):
            print(f"{name:<{width}}  {value}")
            continue
        verdict = {True: "PASS", False: "FAIL", None: ""}[value["pass"]]
        bar = f"(bar {value['bar']})" if value["bar"] else ""
        head = f"{name:<{width}}  {value['value']!s:>8} {value['unit']:<{unit_width}}"
        print(f"{head} {verdict:4} {bar} {value['note']}")


class SimChild:
    """A SimCluster in a child process (``python -m MODULE _sim *options``), driven by
    one-line commands (see :func:`serve_sim`), one JSON answer each."""

    def __init__(self, module: str, *options: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, "_sim", *options],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.kubeconfig: str = self._read()["kubeconfig"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return answer

    def call(self, *words: object) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(" ".join(map(str, words)) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            self.call("quit")
            self.proc.wait(10)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.proc.kill()


def serve_sim(cluster: SimCluster, prefix: str, verbs: Mapping[str, Verb] | None = None) -> None:
    """The child's side: start ``cluster``, answer with its kubeconfig, then serve commands
    from stdin until ``quit``: ``stop``, ``start``, ``load N``, ``storm RATE SECONDS``,
    ``wait`` (for the storms: what they emitted and how many events the cluster holds),
    and the bench's own ``verbs`` (which may replace these)."""
    from ktui.sim import write_kubeconfig

    cluster.start()
    path = write_kubeconfig(Path(tempfile.mkdtemp(prefix=prefix)) / "kc", [cluster])
    storms: list[Any] = []

    def stop(args: list[str]) -> dict[str, Any]:
        cluster.stop()
        return {"stopped": True}

    def start(args: list[str]) -> dict[str, Any]:
        cluster.start()
        return {"started": True}

    def load(args: list[str]) -> dict[str, Any]:
        cluster.load(int(args[0]))
        return {"count": len(cluster.store.current)}

    def storm(args: list[str]) -> dict[str, Any]:
        storms.append(cluster.storm(float(args[0]), float(args[1])))
        return {"started": True}

    def wait(args: list[str]) -> dict[str, Any]:
        for running in storms:
            running.join()
        return {"emitted": sum(s.emitted for s in storms),
                "repeated": sum(s.repeated for s in storms),
                "count": len(cluster.store.current)}

    table: dict[str, Verb] = {"stop": stop, "start": start, "load": load, "storm": storm,
                              "wait": wait, **(verbs or {})}

    def say(answer: Mapping[str, Any]) -> None:
        print(json.dumps(answer), flush=True)

    say({"kubeconfig": str(path)})
    for line in sys.stdin:
        verb, *args = line.split() or [""]
        if verb == "quit":
            say({"bye": True})
            break
        if verb in table:
            say(table[verb](args))
    cluster.stop()
