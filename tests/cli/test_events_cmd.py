"""``ktui events`` run as a user runs it (``python -m ktui.cli events``) against a simulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ktui.model.event import from_core_v1
from ktui.model.record import to_record
from ktui.sim import Grant, SimCluster, write_kubeconfig

# Every scenario of demo but its background trickle: the ground truth must hold still.
STATIC = "scenario-a+scenario-b+scenario-c+lifecycle+rolling-update+node-pressure+hostile+malformed"
TOKENS = {"admin-token": Grant.all(), "ns-token": Grant(namespaces={"test"}, groups={""})}


@pytest.fixture(scope="module")
def cluster() -> Iterator[SimCluster]:
    sim = SimCluster(name="demo", scenario=STATIC, seed=5, tokens=TOKENS)
    sim.load(1100, namespaces=["test", "payments", "kube-system"])
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def kubeconfig(cluster: SimCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_kubeconfig(tmp_path_factory.mktemp("kc") / "config", [cluster])


def ktui(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": "/nonexistent", "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "ktui.cli", "events", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def expected(cluster: SimCluster, namespaces: set[str] | None = None) -> list[dict[str, Any]]:
    """The ground truth as records, in kubectl-events order."""
    events = [from_core_v1(o, context=cluster.name, keep_raw=False) for o in cluster.events()]
    events = [e for e in events if namespaces is None or e.namespace in namespaces]
    events.sort(key=lambda e: (e.time, e.first_seen, e.name))
    return [to_record(e) for e in events]


def test_all_namespaces_jsonl_is_every_event_in_time_order(
    cluster: SimCluster, kubeconfig: Path
) -> None:
    done = ktui("--kubeconfig", str(kubeconfig), "-A", "-o", "jsonl")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records == expected(cluster)
    assert len(records) > 1100
    assert done.stdout.isascii()  # every control and non-ASCII character escaped


def test_a_reader_that_leaves_early_is_not_an_error(kubeconfig: Path) -> None:
    """`ktui events | head -1`: the rest of the output has nowhere to go, and ktui (which
    exits without the interpreter's teardown after a listing) ends quietly with 0."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(kubeconfig),
         "-A", "-o", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "KUBECONFIG": "/nonexistent"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    code = proc.wait(60)
    stderr = proc.stderr.read().decode()
    assert json.loads(first)["uid"]
    assert code == 0, stderr
    assert stderr == ""


def test_expired_continue_token_during_the_listing(cluster: SimCluster, kubeconfig: Path) -> None:
    cluster.faults.expire_next_continue(1)
    done = ktui("--kubeconfig", str(kubeconfig), "-A", "-o", "jsonl")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == expected(cluster)
    assert cluster.faults.fired["expired_continue"] >= 1


def test_json_is_an_array_of_the_same_records(cluster: SimCluster, kubeconfig: Path) -> None:
    done = ktui("--kubeconfig", str(kubeconfig), "-n", "test", "-o", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected(cluster, {"test"})


def test_context_namespace_type_and_query(cluster: SimCluster, tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "kc", [cluster], namespace="payments")
    done = ktui("--kubeconfig", str(path), "-o", "jsonl", "--type", "warning")
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records == [r for r in expected(cluster, {"payments"}) if r["type"] == "Warning"]
    assert records
    done = ktui(
        "--kubeconfig", str(path), "-A", "-o", "jsonl", "--query", "reason:BackOff -ns:test"
    )
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records == [
        r for r in expected(cluster) if r["reason"] == "BackOff" and r["namespace"] != "test"
    ]
    assert records


def test_table_is_kubectl_like_and_inert(cluster: SimCluster, kubeconfig: Path) -> None:
    done = ktui("--kubeconfig", str(kubeconfig), "-n", "test")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.match(r"LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$", lines[0])
    assert len(lines) == 1 + len(expected(cluster, {"test"}))
    # no control character reaches the terminal, but each one is shown escaped
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", done.stdout)
    assert r"\x1b]52;c;aGVsbG8=\x07" in done.stdout
    assert "[/]" in done.stdout  # markup is text
    assert any(re.match(r"\d+m(\d+s)? +Warning +Hostile", line) for line in lines)
    wide = ktui("--kubeconfig", str(kubeconfig), "-A").stdout.splitlines()
    assert wide[0].startswith("NAMESPACE ")


def test_watch_follows_changes_through_a_restart(cluster: SimCluster, kubeconfig: Path) -> None:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ktui.cli",
            "events",
            "-n",
            "test",
            "-o",
            "jsonl",
            "--watch",
            "--timeout",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    try:
        initial = len(expected(cluster, {"test"}))
        for _ in range(initial):
            json.loads(proc.stdout.readline())
        first = cluster.emit(namespace="test", reason="First", message="before the restart")
        record = json.loads(proc.stdout.readline())
        assert record["uid"] == first["metadata"]["uid"]
        cluster.restart()
        second = cluster.emit(namespace="test", reason="Second", message="after the restart")
        cluster.repeat(first["metadata"]["uid"], n=2)
        seen = [json.loads(proc.stdout.readline()) for _ in range(2)]
        assert {r["uid"] for r in seen} == {first["metadata"]["uid"], second["metadata"]["uid"]}
        assert next(r for r in seen if r["reason"] == "First")["count"] == 3
        assert proc.wait(15) == 0  # --timeout 5 ends the watch (15: a hang guard)
    finally:
        proc.kill()
        proc.wait()


def one_error_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert done.stdout == ""
    return lines[0]


def test_unreachable_cluster(tmp_path: Path) -> None:
    sim = SimCluster(name="gone", scenario="empty").start()
    path = write_kubeconfig(tmp_path / "kc", [sim])
    url = sim.url
    sim.stop()
    line = one_error_line(ktui("--kubeconfig", str(path), "-A"), 1)
    assert line == f"ktui: cannot reach {url}: connection refused"


def test_unauthorized_and_forbidden(cluster: SimCluster, tmp_path: Path) -> None:
    bad = write_kubeconfig(tmp_path / "bad", [cluster], token="nope")
    line = one_error_line(ktui("--kubeconfig", str(bad), "-A"), 1)
    assert line.startswith(f"ktui: unauthorized: {cluster.url}: 401 Unauthorized")
    limited = write_kubeconfig(tmp_path / "limited", [cluster], token="ns-token")
    line = one_error_line(ktui("--kubeconfig", str(limited), "-A"), 1)
    assert line == "ktui: forbidden cluster-wide; pass -n NAMESPACE"
    line = one_error_line(ktui("--kubeconfig", str(limited), "-n", "kube-system"), 1)
    assert line.startswith("ktui: forbidden: events is forbidden: User")
    assert 'in the namespace "kube-system"' in line
    done = ktui("--kubeconfig", str(limited), "-n", "test", "-o", "jsonl")
    assert done.returncode == 0 and done.stdout
    narrowed = write_kubeconfig(tmp_path / "narrowed", [cluster], token="ns-token",
                                namespace="test")  # fmt: skip
    done = ktui("--kubeconfig", str(narrowed), "-A", "-o", "jsonl")
    assert done.returncode == 3  # partial: scripts can tell (tests/cli/test_events_raw.py)
    assert done.stderr == "ktui: partial: forbidden cluster-wide: watching namespace test\n"
    assert [json.loads(line) for line in done.stdout.splitlines()] == expected(cluster, {"test"})


def test_configuration_errors_exit_2(kubeconfig: Path, tmp_path: Path) -> None:
    line = one_error_line(ktui("--kubeconfig", str(kubeconfig), "--context", "foo"), 2)
    assert line == f"ktui: kubeconfig {kubeconfig}: context 'foo' not found"
    broken = tmp_path / "broken"
    broken.write_text("apiVersion: v1\nkind: Config\n\tclusters: []\n")
    line = one_error_line(ktui("--kubeconfig", str(broken)), 2)
    assert line == (
        f"ktui: kubeconfig {broken} is not valid YAML: line 3: "
        "found a tab character that violates indentation"
    )
    line = one_error_line(ktui(), 2)
    # KUBECONFIG=/nonexistent (the environment of these runs) is named, not "set KUBECONFIG"
    assert line == "ktui: no kubeconfig found: /nonexistent (from KUBECONFIG) does not exist"
    line = one_error_line(ktui("--kubeconfig", str(kubeconfig), "--query", "reason~("), 2)
    assert line.startswith("ktui: invalid --query:")


def test_a_briefly_failing_server_is_ridden_out(cluster: SimCluster, kubeconfig: Path) -> None:
    cluster.faults.fail_next(1, status=429, retry_after=1, verb="list")
    cluster.faults.fail_next(1, status=500, verb="list")
    done = ktui("--kubeconfig", str(kubeconfig), "-A", "-o", "jsonl")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == expected(cluster)
    cluster.faults.fail_next(10, status=503, retry_after=0, verb="list")
    try:
        line = one_error_line(ktui("--kubeconfig", str(kubeconfig), "-A"), 1)
    finally:
        cluster.faults.clear()
    assert line.startswith(f"ktui: {cluster.url}: HTTP 503")


def test_listed_lines_sorted_by_time_first_seen_name_ties_in_listed_order() -> None:
    """``Lines.write`` sorts in three stable passes: the order of one sort by the key."""
    import io
    import random
    from operator import itemgetter

    from ktui.cli.events_lines import Lines as _Lines

    rng = random.Random(7)
    lines = _Lines()
    lines.CHUNK = 64  # several writes, the last one short
    rows = [
        (float(rng.randint(0, 5)), float(rng.randint(0, 3)), rng.choice("abc"), f"line {i}")
        for i in range(400)
    ]
    lines.scopes = {"a": rows[:250], "b": rows[250:]}
    out = io.StringIO()
    lines.write(out)
    expected = sorted(rows, key=itemgetter(0, 1, 2))
    assert out.getvalue() == "".join(row[3] + "\n" for row in expected)
    empty = io.StringIO()
    _Lines().write(empty)
    assert empty.getvalue() == ""
