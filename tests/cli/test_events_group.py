"""``ktui events --group owner|object|reason`` and ``-o markdown`` against the simulator:
the groups are what the cluster's ownerReferences say, or the naming rules when Pods
may not be read."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ktui.cli import main
from ktui.sim import Grant, SimCluster, write_kubeconfig
from ktui.sim.apiserver.workloads import KINDS
from ktui.sim.events.owners import DAEMONSET, NAKED, NODES, STATEFULSET

TOKENS = {"admin-token": Grant.all(), "no-pods": Grant(forbidden={"pods"})}
KEYS = ["group", "resolved_by", "events", "warnings", "normals", "occurrences", "reasons",
        "objects", "first_seen", "last_seen", "message"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[SimCluster]:
    with SimCluster(name="shop", scenario="owners+hostile", tokens=TOKENS, seed=3) as sim:
        yield sim


@pytest.fixture(scope="module")
def kubeconfigs(cluster: SimCluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("kc")
    return {token: str(write_kubeconfig(folder / token, [cluster], token=token))
            for token in TOKENS}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["events", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def top_owner(cluster: SimCluster, kind: str, namespace: str, name: str) -> tuple[str, str, str]:
    """The truth: follow the served objects' ownerReferences to the top."""
    namespace = "" if kind == "Node" else namespace
    while kind in KINDS:
        found = cluster.workloads.get(KINDS[kind][2], namespace, name)
        refs = (found or {}).get("metadata", {}).get("ownerReferences")
        if not refs:
            break
        kind, name = refs[0]["kind"], refs[0]["name"]
    return kind, namespace, name


def expected_groups(cluster: SimCluster, namespaces: set[str]) -> dict[tuple[str, str, str],
                                                                      Counter[str]]:
    """Owner -> events per object (kind/name), from the cluster's events and objects."""
    out: dict[tuple[str, str, str], Counter[str]] = {}
    for event in cluster.events():
        if event["metadata"]["namespace"] not in namespaces:
            continue
        involved = event["involvedObject"]
        kind, name = involved["kind"], involved["name"]
        owner = top_owner(cluster, kind, event["metadata"]["namespace"], name)
        out.setdefault(owner, Counter())[f"{kind.lower()}/{name}"] += 1
    return out


def groups_of(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["group"]["kind"], r["group"]["namespace"], r["group"]["name"]): r
            for r in records}


def test_groups_by_owner_are_what_owner_references_say(
    capsys: pytest.CaptureFixture[str], cluster: SimCluster, kubeconfigs: dict[str, str]
) -> None:
    code, out, err = run(capsys, "--kubeconfig", kubeconfigs["admin-token"], "-n", "shop",
                         "-n", "kube-system", "-n", "default", "--group", "owner", "-o", "json")
    assert (code, err) == (0, "")
    records = json.loads(out)
    assert all(list(r) == KEYS for r in records)
    expected = expected_groups(cluster, {"shop", "kube-system", "default"})
    got = groups_of(records)
    assert set(got) == set(expected)
    for key, record in got.items():
        assert sorted(record["objects"]) == sorted(expected[key]), key
        assert record["events"] == sum(expected[key].values())
        assert record["warnings"] + record["normals"] == record["events"]
        assert sum(record["reasons"].values()) == record["events"]
        assert record["first_seen"].endswith("Z") and record["last_seen"].endswith("Z")
        assert record["first_seen"] <= record["last_seen"]
    assert got[("StatefulSet", "shop", STATEFULSET[0])]["resolved_by"] == "ownerReferences"
    assert got[("DaemonSet", "kube-system", DAEMONSET[0])]["resolved_by"] == "ownerReferences"
    assert got[("Deployment", "shop", "web")]["resolved_by"] == "ownerReferences"
    assert got[("Pod", "shop", NAKED)]["resolved_by"] == "self"
    node = got[("Node", "", NODES[2])]  # a cluster-scoped owner: no namespace
    assert node["resolved_by"] == "self" and node["objects"] == [f"node/{NODES[2]}"]
    cron = got[("CronJob", "shop", "report")]
    assert cron["message"] == "Job has reached the specified backoff limit"  # latest warning
    assert cron["warnings"] == 2 and cron["occurrences"] >= cron["events"]
    # ordered by last seen
    assert [r["last_seen"] for r in records] == sorted(r["last_seen"] for r in records)


def test_forbidden_pods_fall_back_to_the_naming_rules(
    capsys: pytest.CaptureFixture[str], cluster: SimCluster, kubeconfigs: dict[str, str]
) -> None:
    code, out, err = run(capsys, "--kubeconfig", kubeconfigs["no-pods"], "-n", "shop", "-n",
                         "kube-system", "--group", "owner", "-o", "jsonl")
    assert (code, err) == (0, "")  # quietly
    got = groups_of([json.loads(line) for line in out.splitlines()])
    # Deployments and CronJobs by their Pods' names (the ReplicaSets and Jobs themselves
    # are still read), each Pod of the StatefulSet and the DaemonSet on its own
    assert got[("Deployment", "shop", "web")]["resolved_by"] == "name"
    assert len(got[("Deployment", "shop", "web")]["objects"]) == 7
    assert got[("CronJob", "shop", "report")]["resolved_by"] == "name"
    for pod in STATEFULSET[1]:
        assert got[("Pod", "shop", pod)]["resolved_by"] == "self"
    for pod in DAEMONSET[1]:
        assert ("Pod", "kube-system", pod) in got
    assert ("StatefulSet", "shop", STATEFULSET[0]) not in got


def test_by_object_and_by_reason(
    capsys: pytest.CaptureFixture[str], cluster: SimCluster, kubeconfigs: dict[str, str]
) -> None:
    code, out, _ = run(capsys, "--kubeconfig", kubeconfigs["admin-token"], "-n", "shop",
                       "--group", "object", "-o", "json")
    objects = json.loads(out)
    assert code == 0
    assert {r["group"]["name"] for r in objects} == {
        e["involvedObject"]["name"] for e in cluster.events()
        if e["metadata"]["namespace"] == "shop"}
    assert {r["resolved_by"] for r in objects} == {"self"}
    code, out, _ = run(capsys, "--kubeconfig", kubeconfigs["admin-token"], "-n", "shop",
                       "--group", "reason", "-o", "jsonl")
    reasons = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    counted = Counter(e["reason"] for e in cluster.events()
                      if e["metadata"]["namespace"] == "shop")
    assert {r["group"]["name"]: r["events"] for r in reasons} == dict(counted)
    assert {(r["group"]["kind"], r["group"]["namespace"], r["resolved_by"])
            for r in reasons} == {("", "", None)}


def test_group_table_is_inert_with_hostile_text(
    capsys: pytest.CaptureFixture[str], kubeconfigs: dict[str, str]
) -> None:
    code, out, err = run(capsys, "--kubeconfig", kubeconfigs["admin-token"], "-n", "test",
                         "--group", "object")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "OBJECT", "BY", "WARNINGS", "NORMALS", "COUNT",
                                "OBJECTS", "REASONS", "MESSAGE"]
    assert not [c for c in out if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    assert any("pod/pod-[/]" in line for line in lines)  # markup is text
    code, out, _ = run(capsys, "--kubeconfig", kubeconfigs["admin-token"], "-A",
                       "--group", "owner")
    assert out.splitlines()[0].split()[:4] == ["LAST", "SEEN", "NAMESPACE", "OWNER"]


def test_markdown_report(
    capsys: pytest.CaptureFixture[str], cluster: SimCluster, kubeconfigs: dict[str, str]
) -> None:
    code, out, err = run(capsys, "--kubeconfig", kubeconfigs["admin-token"], "-n", "test",
                         "--type", "Warning", "-o", "markdown")
    assert (code, err) == (0, "")
    warnings = [e for e in cluster.events()
                if e["metadata"]["namespace"] == "test" and e["type"] == "Warning"]
    assert out.startswith("## Kubernetes events: shop\n")
    assert "- **Filter:** type:Warning ns:test\n" in out
    assert f"- **Events:** {len(warnings)} ({len(warnings)} Warning, 0 Normal)" in out
    rows = [line for line in out.splitlines() if line.startswith("| 20")]
    assert len(rows) == len(warnings)
    assert not [c for c in out if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    code, out, _ = run(capsys, "--kubeconfig", kubeconfigs["admin-token"], "-n", "shop",
                       "--group", "owner", "-o", "markdown")
    assert code == 0 and "- **Grouped by:** owner, " in out
    assert "| deployment/web | shop | ownerReferences |" in out


def test_a_group_cannot_be_followed(
    capsys: pytest.CaptureFixture[str], kubeconfigs: dict[str, str]
) -> None:
    code, out, err = run(capsys, "--kubeconfig", kubeconfigs["admin-token"], "--group", "owner",
                         "--watch")
    assert (code, out) == (2, "")
    assert err == "ktui: --group owner cannot follow changes (--watch): run it without\n"
    code, _, err = run(capsys, "--kubeconfig", kubeconfigs["admin-token"], "-o", "markdown",
                       "-w")
    assert code == 2 and err.count("\n") == 1 and "-o markdown" in err


def test_an_unknown_grouping_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["events", "--group", "namespace"])
    assert exit_.value.code == 2
    assert "invalid choice: 'namespace'" in capsys.readouterr().err


def test_the_archives_history_is_grouped_too(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    """``--history --archive --group owner``: what ktui archived, grouped by the naming
    rules (the archive keeps no ownerReferences, and no cluster is asked)."""
    from ktui import paths
    from ktui.archive import ArchiveWriter
    from ktui.kube.decode import build
    from ktui.model.event import format_time

    now = 1_790_000_000.0
    with SimCluster(name="shop", scenario="owners", now=lambda: now) as sim:
        kubeconfig = str(write_kubeconfig(tmp_path / "kc", [sim]))
        events = [build(o, "v1", "shop", False) for o in sim.events()]
        writer = ArchiveWriter(paths.archive_file(), clock=lambda: now).start()  # retention
        writer.recorder(sim.url).changes(events)
        assert writer.close()
        code, out, err = run(capsys, "--history", "--archive", "--kubeconfig", kubeconfig,
                             "-n", "shop", "--from", format_time(now - 7200), "--to",
                             format_time(now + 60), "--group", "owner", "-o", "json")
    assert (code, err) == (0, "")
    got = groups_of(json.loads(out))
    assert got[("Deployment", "shop", "web")]["resolved_by"] == "name"
    assert len(got[("Deployment", "shop", "web")]["objects"]) == 7
    assert got[("CronJob", "shop", "report")]["resolved_by"] == "name"
    assert got[("Pod", "shop", "db-0")]["resolved_by"] == "self"
