"""The built-in demo: nothing runs until start() (ktui --demo calls it after the first
paint), then both clusters answer over TLS and the kubeconfig names them."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.request
from pathlib import Path

import yaml

from ktui.cli.demo import DEMO_CONTEXTS, DEMO_HISTORY_CLUSTER, prepare_demo
from ktui.sim import demo_clusters
from ktui.sim.exporter import CLUSTER


def test_the_contexts_named_before_start_are_the_clusters_it_starts() -> None:
    assert tuple(cluster.name for cluster in demo_clusters(1)) == DEMO_CONTEXTS


def test_the_demo_history_is_the_demo_contexts() -> None:
    """Its documents' clusterName, mapped to the demo context ([clusters]): history over
    several contexts filters by cluster name."""
    assert DEMO_HISTORY_CLUSTER == CLUSTER


def test_prepare_starts_nothing_and_start_serves_both_contexts() -> None:
    demo = prepare_demo(history=False)
    try:
        assert demo.clusters == [] and not Path(demo.kubeconfig).exists()
        demo.start()
        config = yaml.safe_load(Path(demo.kubeconfig).read_text())
        assert [c["name"] for c in config["contexts"]] == list(DEMO_CONTEXTS)
        assert config["current-context"] == "demo"
        for cluster, entry in zip(demo.clusters, config["clusters"], strict=True):
            ca = Path(demo.directory) / "ca.pem"
            ca.write_text(base64.b64decode(
                entry["cluster"]["certificate-authority-data"]).decode())
            tls = ssl.create_default_context(cafile=str(ca))  # verification on
            request = urllib.request.Request(
                entry["cluster"]["server"] + "/api/v1/events?limit=1",
                headers={"Authorization": "Bearer admin-token"})
            with urllib.request.urlopen(request, context=tls, timeout=10) as response:
                body = json.load(response)
            assert body["kind"] == "EventList" and body["items"], cluster.name
    finally:
        demo.stop()
    assert not Path(demo.directory).exists()
