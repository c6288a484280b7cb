"""``ktui events -o raw`` / ``-o raw-jsonl``: the Event objects exactly as the server sent
them (issue 14.8), checked against the simulator's own objects and against real kubectl;
and the exit status 3 of a listing RBAC left partial."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ktui.sim import Grant, SimCluster, write_kubeconfig

TOKENS = {"admin-token": Grant.all(), "ns-token": Grant(namespaces={"test"}, groups={""})}
KUBECTL = shutil.which("kubectl")


@pytest.fixture(scope="module")
def cluster() -> Iterator[SimCluster]:
    # TLS: kubectl sends a token only over HTTPS. Hostile text, so "exactly" means it.
    sim = SimCluster(name="raw", scenario="scenario-a+scenario-c+lifecycle+hostile",
                     seed=7, tokens=TOKENS, tls=True)
    sim.load(300, namespaces=["test", "payments"])
    with sim:
        yield sim


@pytest.fixture(scope="module")
def home(cluster: SimCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("raw-home")
    write_kubeconfig(home / "kubeconfig", [cluster])
    write_kubeconfig(home / "limited", [cluster], token="ns-token", namespace="test")
    return home


def ktui(home: Path, *args: str, config: str = "kubeconfig") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(home / config), "HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "ktui.cli", "events", *args],
                          capture_output=True, text=True, timeout=60, env=env)


def as_sent(obj: dict[str, Any]) -> dict[str, Any]:
    """An object of a list as kubectl prints it: with the apiVersion and kind that list
    items leave out."""
    return {"apiVersion": "v1", "kind": "Event", **obj}


def by_uid(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["metadata"]["uid"]: item for item in items}


def test_raw_is_one_event_list_of_the_objects_as_the_server_sent_them(
    cluster: SimCluster, home: Path
) -> None:
    done = ktui(home, "-A", "-o", "raw")
    assert done.returncode == 0, done.stderr
    assert done.stdout.isascii()  # every control and non-ASCII character escaped
    document = json.loads(done.stdout)
    assert list(document) == ["apiVersion", "items", "kind", "metadata"]
    assert (document["apiVersion"], document["kind"]) == ("v1", "EventList")
    items = document["items"]
    assert by_uid(items) == {uid: as_sent(obj) for uid, obj in by_uid(cluster.events()).items()}
    assert len(items) == len(cluster.events()) > 300


def test_raw_jsonl_is_one_object_per_line(cluster: SimCluster, home: Path) -> None:
    done = ktui(home, "-n", "test", "-o", "raw-jsonl")
    assert done.returncode == 0, done.stderr
    items = [json.loads(line) for line in done.stdout.splitlines()]
    truth = {u: as_sent(o) for u, o in by_uid(cluster.events()).items()
             if o["metadata"]["namespace"] == "test"}
    assert by_uid(items) == truth and len(items) == len(truth)


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_raw_holds_the_items_kubectl_prints(home: Path) -> None:
    env = {**os.environ, "KUBECONFIG": str(home / "kubeconfig"), "HOME": str(home)}
    kubectl = subprocess.run([KUBECTL or "kubectl", "get", "events", "-A", "-o", "json",
                              "--request-timeout=10s"], env=env, capture_output=True,
                             text=True, timeout=60)
    assert kubectl.returncode == 0, kubectl.stderr
    ours = ktui(home, "-A", "-o", "raw")
    # kubectl wraps any listing in a v1 List; the items are the same objects
    assert by_uid(json.loads(ours.stdout)["items"]) == by_uid(json.loads(kubectl.stdout)["items"])


def test_raw_jsonl_follows_changes_with_watch(cluster: SimCluster, home: Path) -> None:
    env = {**os.environ, "KUBECONFIG": str(home / "kubeconfig"), "HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui.cli", "events", "-n", "payments", "-o", "raw-jsonl",
         "--watch", "--timeout", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    try:
        listed = [o for o in cluster.events() if o["metadata"]["namespace"] == "payments"]
        first = [json.loads(proc.stdout.readline()) for _ in listed]
        assert by_uid(first) == {u: as_sent(o) for u, o in by_uid(listed).items()}
        new = cluster.emit(namespace="payments", reason="Raw", message="during the watch")
        seen = json.loads(proc.stdout.readline())
        assert seen == cluster.get(new["metadata"]["uid"])  # a watch object has its kind
        assert seen["kind"] == "Event" and seen["apiVersion"] == "v1"
        assert proc.wait(15) == 0
    finally:
        proc.kill()
        proc.wait()


def test_a_listing_rbac_left_partial_exits_3(cluster: SimCluster, home: Path) -> None:
    """`ktui events -A` under RBAC printed what it could and exited 0: scripts could not
    tell. The data is still printed; one line says what is missing; the status is 3."""
    done = ktui(home, "-A", "-o", "raw-jsonl", config="limited")
    assert done.returncode == 3
    assert done.stderr == "ktui: partial: forbidden cluster-wide: watching namespace test\n"
    uids = {json.loads(line)["metadata"]["uid"] for line in done.stdout.splitlines()}
    assert uids == {o["metadata"]["uid"] for o in cluster.events()
                    if o["metadata"]["namespace"] == "test"}
    done = ktui(home, "-n", "test", "-n", "payments", config="limited")
    assert done.returncode == 3 and "Started" in done.stdout
    assert done.stderr == ("ktui: partial: watching namespace test; forbidden in payments\n")
    done = ktui(home, "-n", "test", "-o", "jsonl", config="limited")  # all it asked for
    assert done.returncode == 0 and done.stderr == ""


def test_the_readme_documents_every_key_of_the_record() -> None:
    """Issue 14.8: ktui's own `-o json/jsonl` record was undocumented."""
    from ktui.model.record import FIELDS

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("ktui's record of each event"):readme.index("- `raw`:")]
    for field in FIELDS:
        top, _, inner = field.key.partition(".")
        assert f"`{top}`" in table, field.key
        assert not inner or inner in table, field.key
    for fmt in ("`table`", "`json`", "`jsonl`", "`raw`", "`raw-jsonl`"):
        assert fmt in readme


def test_raw_and_group_do_not_go_together(home: Path) -> None:
    """--group prints rows of groups; raw prints objects: asking both is a usage error."""
    for fmt in ("raw", "raw-jsonl"):
        for extra in ((), ("--history", "--archive")):
            done = ktui(home, "-A", *extra, "--group", "owner", "-o", fmt)
            assert done.returncode == 2 and done.stdout == ""
            assert done.stderr == (f"ktui: --group owner prints rows, not the objects of -o "
                                   f"{fmt}: choose one\n")


def test_raw_from_the_archive_is_what_the_server_sent(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--history --archive -o raw-jsonl: the objects ktui archived, as the server sent them."""
    from ktui import paths
    from ktui.archive import ArchiveWriter
    from ktui.cli import main
    from ktui.kube.decode import build
    from ktui.model.event import format_time

    now = 1_790_000_000.0
    with SimCluster(name="shop", scenario="owners", now=lambda: now) as sim:
        kubeconfig = str(write_kubeconfig(tmp_path / "kc", [sim]))
        writer = ArchiveWriter(paths.archive_file(), clock=lambda: now).start()
        writer.recorder(sim.url).changes([build(o, "v1", "shop", True) for o in sim.events()])
        assert writer.close()
        code = main(["events", "--history", "--archive", "--kubeconfig", kubeconfig, "-A",
                     "--from", format_time(now - 7200), "--to", format_time(now + 60),
                     "-o", "raw-jsonl"])
        out, err = capsys.readouterr()
        assert (code, err) == (0, "")
        got = [json.loads(line) for line in out.splitlines()]
        assert by_uid(got) == {u: as_sent(o) for u, o in by_uid(sim.events()).items()}
