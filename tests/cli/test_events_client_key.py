"""A client key from the kubeconfig (``client-key-data``) never stays on disk: ``ktui
events -w`` against a simulator that authenticates it by its certificate, killed by a
signal it cannot clean up after, leaves no copy of the key anywhere under its TMPDIR."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ktui.sim import Grant, SimCluster, write_kubeconfig
from ktui.sim.apiserver.tls import CLIENT_CERT_USER
from tests.fixtures.client_cert import files_holding_the_key


@pytest.mark.parametrize("how", ["SIGHUP", "SIGKILL"])
def test_a_killed_watch_leaves_no_key_under_tmpdir(tmp_path: Path, how: str) -> None:
    """Before: the key stayed in $TMPDIR/ktui-kube-*/, byte for byte (cleanup ran only on
    SIGTERM, SIGINT and at a clean exit)."""
    cluster = SimCluster(name="certs", scenario="empty", seed=2, tokens={},
                         client_certs={CLIENT_CERT_USER: Grant.all(CLIENT_CERT_USER)})
    cluster.load(30, namespaces=["test"])
    temp = tmp_path / "tmp"
    temp.mkdir()
    with cluster:
        kubeconfig = write_kubeconfig(tmp_path / "kc", [cluster], client_cert=True)
        proc = subprocess.Popen(
            [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(kubeconfig), "-A",
             "-o", "jsonl", "--watch"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TMPDIR": str(temp), "KUBECONFIG": "/nonexistent"},
        )  # fmt: skip
        assert proc.stdout is not None
        try:
            # the certificate got it in: every event is listed, and the watch is on
            listed = [proc.stdout.readline() for _ in range(30)]
            assert all(line.startswith('{"uid":') for line in listed), listed
            proc.send_signal(getattr(signal, how))
            assert proc.wait(10) == -getattr(signal, how)
        finally:
            proc.kill()
            proc.wait()
    assert files_holding_the_key(temp) == []
