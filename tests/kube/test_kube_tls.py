"""TLS against the simulator's HTTPS: verified with the kubeconfig's CA, refused without
it, and only skipped when the kubeconfig says so (with a standing warning)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.feeds.channel import BatchChannel
from ktui.feeds.errors import Unreachable
from ktui.feeds.mirror import Mirror
from ktui.kube.auth import INSECURE_WARNING
from ktui.kube.source import KubeSource
from ktui.sim import SimCluster, write_kubeconfig
from tests.kube.test_kube_watch import FAST, truth


@pytest.fixture(scope="module")
def cluster() -> Iterator[SimCluster]:
    sim = SimCluster(name="tls", scenario="scenario-a+lifecycle", seed=3, tls=True)
    sim.start()
    yield sim
    sim.stop()


def list_once(path: Path) -> tuple[Mirror, KubeSource]:
    source = KubeSource(kubeconfig=str(path), watch=False, fail_fast=True, settings=FAST)
    channel = BatchChannel()
    source.run(channel, threading.Event())
    mirror = Mirror()
    mirror.apply(channel.drain())
    return mirror, source


def test_verified_with_the_kubeconfig_ca(cluster: SimCluster, tmp_path: Path) -> None:
    assert cluster.url.startswith("https://")
    mirror, source = list_once(write_kubeconfig(tmp_path / "kc", [cluster]))
    assert {u: (e.resource_version, e.count) for u, e in mirror.live().items()} == truth(cluster)
    assert source.warning == ""
    assert mirror.statuses[-1].warning == ""


def test_unknown_ca_is_refused(cluster: SimCluster, tmp_path: Path) -> None:
    text = write_kubeconfig(tmp_path / "kc", [cluster]).read_text()
    no_ca = tmp_path / "no-ca"
    no_ca.write_text("\n".join(x for x in text.splitlines() if "certificate-authority" not in x))
    refused = r"cannot reach https://\S+: TLS error: certificate verify failed \(unable to get"
    with pytest.raises(Unreachable, match=refused):
        list_once(no_ca)


def test_insecure_skip_tls_verify_works_with_a_warning(cluster: SimCluster, tmp_path: Path) -> None:
    text = write_kubeconfig(tmp_path / "kc", [cluster]).read_text()
    insecure = tmp_path / "insecure"
    insecure.write_text(
        "\n".join(
            "    insecure-skip-tls-verify: true" if "certificate-authority" in x else x
            for x in text.splitlines()
        )
    )
    mirror, source = list_once(insecure)
    assert len(mirror.live()) == len(truth(cluster))
    assert source.warning == INSECURE_WARNING
    assert mirror.statuses[-1].warning == INSECURE_WARNING
