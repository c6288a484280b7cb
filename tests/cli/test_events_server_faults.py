"""``ktui events`` against a server that sends what it should not: items that are not
events are skipped with a note, an answer cut short says so. As a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.sim import SimCluster, write_kubeconfig
from ktui.sim.apiserver.faults import ODD_LIST_ITEMS


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    sim = SimCluster(name="odd", scenario="empty", seed=4)
    sim.load(120, namespaces=["test"])
    sim.start()
    yield sim
    sim.stop()


def ktui(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(kubeconfig), *args],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "KUBECONFIG": "/nonexistent"},
    )  # fmt: skip


@pytest.mark.parametrize("output", ["jsonl", "table"])
def test_list_items_that_are_not_events_are_skipped_with_a_note(
    cluster: SimCluster, tmp_path: Path, output: str
) -> None:
    """Before: exit 1, "internal error: AttributeError: 'NoneType' object has no attribute
    'get'", nothing printed."""
    cluster.faults.odd_list_items()
    done = ktui(write_kubeconfig(tmp_path / "kc", [cluster]), "-A", "-o", output)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        f"ktui: note: skipped {len(ODD_LIST_ITEMS)} item(s) from the server that are not "
        "event objects (null, a list, a string...)\n"
    )
    if output == "jsonl":
        uids = [json.loads(line)["uid"] for line in done.stdout.splitlines()]
        assert sorted(uids) == sorted(e["metadata"]["uid"] for e in cluster.events())
    else:
        assert len(done.stdout.splitlines()) == 121  # the header and every event


def test_a_list_answer_cut_short_says_interrupted(cluster: SimCluster, tmp_path: Path) -> None:
    """Before: "cannot reach ...: stream interrupted", as if the server had not answered."""
    cluster.faults.cut_next_list(after=1000)
    done = ktui(write_kubeconfig(tmp_path / "kc", [cluster]), "-A", "-o", "jsonl")
    assert (done.returncode, done.stdout) == (1, "")
    (line,) = done.stderr.splitlines()
    head = f"ktui: answer from {cluster.url} interrupted: cut short after 1,000 of "
    assert line.startswith(head) and line.endswith(" bytes")


def test_a_token_is_not_sent_to_a_plain_http_server_and_ktui_says_why(tmp_path: Path) -> None:
    """Before: the token went in clear, and the list worked without a word."""
    sim = SimCluster(name="plain", scenario="empty", seed=4, tls=False)  # tokens required
    sim.load(10, namespaces=["test"])
    with sim:
        done = ktui(write_kubeconfig(tmp_path / "kc", [sim]), "-A", "-o", "jsonl")
    warning, error = done.stderr.splitlines()
    assert warning == (
        "ktui: warning: credentials not sent: the server is plain http:// (as kubectl does)"
    )
    assert error.startswith(f"ktui: unauthorized: {sim.url}: 401 Unauthorized")
    assert (done.returncode, done.stdout) == (1, "")


@pytest.fixture
def hostile_server() -> Iterator[int]:
    """Not an API server: whatever it is asked, it answers one line of terminal control
    sequences (a title change, a colour, a bell) instead of a status line, and closes."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:  # closed at the end of the test
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"\x1b]0;pwned\x07\x1b[31mHACK\x9b2J \r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()
    thread.join(5)


def test_a_server_answering_control_sequences_cannot_reach_the_terminal(
    hostile_server: int, tmp_path: Path
) -> None:
    """Before: the error line carried the server's bytes as they were (ESC ] 0 ; ... BEL
    retitles the user's terminal)."""
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: c, cluster: {{server: 'http://127.0.0.1:{hostile_server}'}}}}]\n"
        "users: [{name: u, user: {}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
    )
    done = ktui(kubeconfig, "-A", "-o", "jsonl")
    assert done.returncode == 1
    assert done.stderr.startswith("ktui: cannot reach http://127.0.0.1:")
    assert done.stderr.count("\n") == 1  # one line
    assert not set(done.stderr.rstrip("\n")) & {"\x1b", "\x07", "\x9b", "\r"}
    assert "HACK" in done.stderr  # said, made inert
