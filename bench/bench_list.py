"""Listing 20,000 events: ``ktui events -A -o jsonl`` against kubectl and the floor.

    python -m bench.bench_list
    KTUI_BENCH_LIST_EVENTS=5000 KTUI_BENCH_LIST_RUNS=3 python -m bench.bench_list
    KTUI_BENCH_LIST_BYTECODE=0 python -m bench.bench_list   # children as the environment says

The bar (docs/reference performance.md): ktui takes at most 0.25x ``kubectl get events -A
-o json`` and at most 2x the floor, "fetch every page and json.loads it, nothing more".

The simulator runs in its own process (``ktui sim``, over HTTPS so that kubectl sends the
token). Three floors are reported: in this process (the definition: no interpreter start,
urllib3 already imported, connection kept alive), and as a fresh ``python`` process, which
pays what every command pays (interpreter start, urllib3 import), so that it compares
like with like with the two commands it is set against. Each command runs RUNS times,
alternating, after one warm-up; medians are reported, with CPU seconds (user + system)
beside wall seconds because this machine's other tenants make wall time noisy.

The child processes cache bytecode (in a private ``PYTHONPYCACHEPREFIX``, filled by the
warm-up), as an installed ktui has its ``.pyc`` files: with ``PYTHONDONTWRITEBYTECODE``
set and an editable install, ktui alone would compile its ~40 modules from source on every
run (30-40 ms) while the floors' libraries load compiled bytecode from site-packages.
``KTUI_BENCH_LIST_BYTECODE=0`` runs them with the environment unchanged.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

_FLOOR = r"""
import json, sys, urllib3
server, token, ca = sys.argv[1:4]
pool = urllib3.PoolManager(ca_cert_data=ca)
token_ = None
n = 0
while True:
    url = f"{server}/api/v1/events?limit=500" + (f"&continue={token_}" if token_ else "")
    body = pool.request("GET", url, headers={"Authorization": f"Bearer {token}"}).data
    page = json.loads(body)
    n += len(page["items"])
    token_ = page["metadata"].get("continue")
    if not token_:
        break
print(n)
"""

# The same floor through the official client (its import, its kubeconfig loader and its
# configured pool; raw bodies, no models), as the reference's stack may have measured it.
_FLOOR_CLIENT = r"""
import json, sys
from kubernetes import client, config
api = config.new_client_from_config()
token_ = None
n = 0
while True:
    query = [("limit", 500)] + ([("continue", token_)] if token_ else [])
    method, url, headers, body, _ = api.param_serialize(
        "GET", "/api/v1/events", query_params=query, auth_settings=["BearerToken"])
    resp = api.call_api(method, url, header_params=headers)
    page = json.loads(resp.read())
    n += len(page["items"])
    token_ = page["metadata"].get("continue")
    if not token_:
        break
print(n)
"""


def metric(
    value: Any, unit: str = "", bar: str = "", ok: bool | None = None, note: str = ""
) -> dict[str, Any]:
    return {"value": value, "unit": unit, "bar": bar, "pass": ok, "note": note}


class Sim:
    """``ktui sim`` with N events in a child process, HTTPS, one context."""

    def __init__(self, events: int) -> None:
        self.dir = tempfile.mkdtemp(prefix="ktui-bench-list-")
        self.kubeconfig = str(Path(self.dir) / "kubeconfig")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ktui.cli",
                "sim",
                "--clusters",
                "bench",
                "--scenario",
                "empty",
                "--load",
                str(events),
                "--kubeconfig-out",
                self.kubeconfig,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("Serving"):
                break
        else:
            raise RuntimeError(
                f"ktui sim did not start: {self.proc.stderr.read() if self.proc.stderr else ''}"
            )
        import yaml

        config = yaml.safe_load(Path(self.kubeconfig).read_text())
        self.server = config["clusters"][0]["cluster"]["server"]
        import base64

        self.ca = base64.b64decode(
            config["clusters"][0]["cluster"]["certificate-authority-data"]
        ).decode()
        self.token = config["users"][0]["user"]["token"]

    def close(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """Wall and CPU seconds of a child command, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed: {done.stderr.decode()[-500:]}")
    return wall, cpu, done.stdout


def floor_in_process(sim: Sim) -> tuple[float, float, int]:
    import urllib3

    pool = urllib3.PoolManager(ca_cert_data=sim.ca)
    started, cpu0 = time.perf_counter(), time.process_time()
    token: str | None = None
    n = 0
    while True:
        url = f"{sim.server}/api/v1/events?limit=500" + (f"&continue={token}" if token else "")
        body = pool.request("GET", url, headers={"Authorization": f"Bearer {sim.token}"}).data
        page = json.loads(body)
        n += len(page["items"])
        token = page["metadata"].get("continue")
        if not token:
            break
    return time.perf_counter() - started, time.process_time() - cpu0, n


def run() -> dict[str, object]:
    events = int(os.environ.get("KTUI_BENCH_LIST_EVENTS", "20000"))
    runs = int(os.environ.get("KTUI_BENCH_LIST_RUNS", "5"))
    sim = Sim(events)
    env = {**os.environ, "KUBECONFIG": sim.kubeconfig}
    bytecode = os.environ.get("KTUI_BENCH_LIST_BYTECODE", "1") != "0"
    if bytecode:  # every child alike: compiled once in the warm-up, then loaded
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(sim.dir) / "pycache")
    commands: dict[str, Callable[[], tuple[float, float, Any]]] = {
        "kubectl": lambda: timed(["kubectl", "get", "events", "-A", "-o", "json"], env),
        "ktui": lambda: timed(
            [sys.executable, "-m", "ktui.cli", "events", "-A", "-o", "jsonl"], env
        ),
        "floor_process": lambda: timed(
            [sys.executable, "-c", _FLOOR, sim.server, sim.token, sim.ca], env
        ),
        "floor_client_process": lambda: timed([sys.executable, "-c", _FLOOR_CLIENT], env),
        "floor": lambda: floor_in_process(sim),
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    try:
        checks = {name: fn() for name, fn in commands.items()}  # warm-up, and correctness
        assert len(json.loads(checks["kubectl"][2])["items"]) == events
        assert checks["ktui"][2].count(b"\n") == events
        assert checks["floor"][2] == events
        assert int(checks["floor_client_process"][2]) == events
        for _ in range(runs):
            for name, fn in commands.items():
                seconds, cpu_seconds, _out = fn()
                samples[name].append((seconds, cpu_seconds))
    finally:
        sim.close()
    walls = {k: statistics.median(w for w, _ in v) for k, v in samples.items()}
    cpus = {k: statistics.median(c for _, c in v) for k, v in samples.items()}
    return _report(walls, cpus, events, runs, bytecode)


def _report(
    wall: dict[str, float], cpu: dict[str, float], events: int, runs: int, bytecode: bool
) -> dict[str, object]:
    vs_kubectl = wall["ktui"] / wall["kubectl"]
    vs_floor = wall["ktui"] / wall["floor"]
    vs_floor_process = wall["ktui"] / wall["floor_process"]
    one, five, _ = os.getloadavg()
    note = f"{events} events, median of {runs}, load {one:.1f}/{five:.1f}"
    if bytecode:
        note += ", bytecode cached as installed"
    return {
        "list_kubectl_s": metric(
            round(wall["kubectl"], 3), "s", note=f"CPU {cpu['kubectl']:.2f} s"
        ),
        "list_floor_s": metric(
            round(wall["floor"], 3), "s", note=f"in process; CPU {cpu['floor']:.2f} s"
        ),
        "list_floor_process_s": metric(
            round(wall["floor_process"], 3),
            "s",
            note=f"fresh python process; CPU {cpu['floor_process']:.2f} s",
        ),
        "list_floor_client_process_s": metric(
            round(wall["floor_client_process"], 3),
            "s",
            note=f"fresh process through the kubernetes client; CPU "
            f"{cpu['floor_client_process']:.2f} s",
        ),
        "list_ktui_s": metric(round(wall["ktui"], 3), "s", note=f"{note}; CPU {cpu['ktui']:.2f} s"),
        "list_ktui_vs_kubectl": metric(round(vs_kubectl, 3), "x", "<= 0.25", vs_kubectl <= 0.25),
        "list_ktui_vs_floor": metric(
            round(vs_floor, 2), "x", "<= 2", vs_floor <= 2, "floor in process (the definition)"
        ),
        "list_ktui_vs_floor_process": metric(
            round(vs_floor_process, 2),
            "x",
            "<= 2",
            vs_floor_process <= 2,
            "floor as a fresh process, like the commands",
        ),
        "list_ktui_vs_floor_client_process": metric(
            round(wall["ktui"] / wall["floor_client_process"], 2),
            "x",
            "<= 2",
            wall["ktui"] / wall["floor_client_process"] <= 2,
            "floor through the kubernetes client, as a process",
        ),
        "list_ktui_cpu_vs_floor_process_cpu": metric(
            round(cpu["ktui"] / cpu["floor_process"], 2), "x"
        ),
    }


def main() -> None:
    results = run()
    width = max(len(k) for k in results)
    for name, value in results.items():
        assert isinstance(value, dict)
        verdict = {True: "PASS", False: "FAIL", None: ""}[value["pass"]]
        bar = f"(bar {value['bar']})" if value["bar"] else ""
        head = f"{name:<{width}}  {value['value']!s:>8} {value['unit']:<2}"
        print(f"{head} {verdict:4} {bar} {value['note']}")


if __name__ == "__main__":
    main()
