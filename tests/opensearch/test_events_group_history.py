"""``ktui events --history --group owner``: history groups by the ownerReferences that
kubernetes-event-exporter stored in ``involvedObject``, with no cluster to ask."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ktui.cli import main
from ktui.model.event import format_time
from ktui.sim import SimCluster
from ktui.sim.events.owners import DAEMONSET, NAKED, STATEFULSET, exporter_documents
from ktui.sim.exporter import index_documents

from .conftest import Backend

NOW = 1_794_880_000.0  # 2026-11-17T01:46:40Z
OS_VARIABLES = ("KTUI_OPENSEARCH_URL", "KTUI_OPENSEARCH_INDEX", "OPENSEARCH_HOST",
                "OPENSEARCH_USER", "OPENSEARCH_PASSWORD")


@pytest.fixture(scope="module")
def owners_index(backend: Backend) -> Iterator[str]:
    """The exporter's documents of scenario ``owners`` in an index of their own; the
    cluster itself is gone (never started): history is all there is."""
    cluster = SimCluster(name="shop", scenario="owners", now=lambda: NOW)
    # the exporter reads an object when it sends its event; this one was deleted first
    cluster.workloads.remove("Pod", "shop", "web-7d4b9c5c8f-9wzlr")
    docs = exporter_documents(cluster, "eks-shop")
    prefix = f"{backend.prefix}owners-"
    index_documents(backend.client, docs, "single", prefix=prefix)
    yield f"{prefix}eks-kubernetes-events*"


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    for name in OS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if backend.user:
        monkeypatch.setenv("OPENSEARCH_USER", backend.user)
        monkeypatch.setenv("OPENSEARCH_PASSWORD", backend.password)


def history(capsys: pytest.CaptureFixture[str], backend: Backend, index: str,
            *argv: str) -> tuple[int, str, str]:
    code = main(["events", "--history", "--opensearch-url", backend.url, "--index", index,
                 "--from", format_time(NOW - 7200), "--to", format_time(NOW + 60), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("clean_environment")
def test_history_groups_by_the_exporters_owner_references(
    capsys: pytest.CaptureFixture[str], backend: Backend, owners_index: str
) -> None:
    code, out, err = history(capsys, backend, owners_index, "--group", "owner", "-o", "json")
    assert (code, err) == (0, "")
    got = {(r["group"]["kind"], r["group"]["namespace"], r["group"]["name"]): r
           for r in json.loads(out)}
    statefulset = got[("StatefulSet", "shop", STATEFULSET[0])]
    assert statefulset["resolved_by"] == "ownerReferences"
    assert sorted(statefulset["objects"]) == ["pod/db-0", "pod/db-1"]
    daemonset = got[("DaemonSet", "kube-system", DAEMONSET[0])]
    assert daemonset["resolved_by"] == "ownerReferences" and len(daemonset["objects"]) == 3
    assert got[("CronJob", "shop", "report")]["resolved_by"] == "ownerReferences"
    # a Pod gone before its events were exported has no references: named, and said so
    web = got[("Deployment", "shop", "web")]
    assert "pod/web-7d4b9c5c8f-9wzlr" in web["objects"] and web["resolved_by"] == "name"
    assert got[("Deployment", "shop", "api")]["resolved_by"] == "ownerReferences"
    assert got[("Pod", "shop", NAKED)]["resolved_by"] == "self"
    assert {key[0] for key in got} == {"Deployment", "StatefulSet", "DaemonSet", "CronJob",
                                       "Pod", "Node"}


@pytest.mark.usefixtures("clean_environment")
def test_history_markdown_report_names_its_time_range(
    capsys: pytest.CaptureFixture[str], backend: Backend, owners_index: str
) -> None:
    code, out, err = history(capsys, backend, owners_index, "-n", "shop", "--group", "owner",
                             "-o", "markdown")
    assert (code, err) == (0, "")
    assert out.startswith("## Kubernetes events: eks-shop\n")
    assert f"- **Time range:** {format_time(NOW - 7200)} – {format_time(NOW + 60)}\n" in out
    assert "- **Filter:** ns:shop\n" in out
    assert "| statefulset/db | shop | ownerReferences |" in out


@pytest.fixture(scope="module")
def two_clusters_index(backend: Backend) -> Iterator[str]:
    """Two clusters' documents in one index: the same names, other objects."""
    docs = []
    for seed, name in enumerate(("eks-shop", "eks-other")):  # other seeds: other uids
        cluster = SimCluster(name=name, scenario="owners", now=lambda: NOW, seed=seed)
        if name == "eks-other":  # there, db-0 is a Pod nobody owns
            cluster.workloads.add("Pod", "shop", "db-0")
        docs += exporter_documents(cluster, name)
    prefix = f"{backend.prefix}two-"
    index_documents(backend.client, docs, "single", prefix=prefix)
    yield f"{prefix}eks-kubernetes-events*"


@pytest.mark.usefixtures("clean_environment")
def test_history_of_several_clusters_keeps_them_apart(
    capsys: pytest.CaptureFixture[str], backend: Backend, two_clusters_index: str
) -> None:
    code, out, err = history(capsys, backend, two_clusters_index, "-n", "shop", "--group",
                             "owner", "-o", "json")
    assert (code, err) == (0, "")
    got = {(r["group"]["context"], r["group"]["kind"], r["group"]["name"]): r
           for r in json.loads(out)}
    assert sorted(got[("eks-shop", "StatefulSet", "db")]["objects"]) == ["pod/db-0", "pod/db-1"]
    assert got[("eks-other", "StatefulSet", "db")]["objects"] == ["pod/db-1"]
    assert got[("eks-other", "Pod", "db-0")]["resolved_by"] == "self"
    assert ("eks-shop", "Deployment", "web") in got and ("eks-other", "Deployment", "web") in got
    code, out, _ = history(capsys, backend, two_clusters_index, "-n", "shop", "--group",
                           "owner")
    assert out.splitlines()[0].split()[:4] == ["LAST", "SEEN", "CONTEXT", "OWNER"]
