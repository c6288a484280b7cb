"""The TUI in a real terminal (tmux), authenticated by a client certificate from the
kubeconfig, closed the way a dropped SSH session closes it (SIGHUP) or killed outright
(SIGKILL): no copy of the client key is left anywhere under its TMPDIR."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ktui.sim import Grant, SimCluster, write_kubeconfig
from ktui.sim.apiserver.tls import CLIENT_CERT_USER
from tests.fixtures.client_cert import files_holding_the_key
from tests.ui.test_tmux_e2e import Tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.parametrize("how", ["SIGHUP", "SIGKILL"])
def test_a_killed_tui_leaves_no_key_under_tmpdir(tmp_path: Path, how: str) -> None:
    """Before: SIGHUP (the terminal gone) and SIGKILL left the key in $TMPDIR/ktui-kube-*/."""
    cluster = SimCluster(name="certs", scenario="scenario-a", seed=2, tokens={},
                         client_certs={CLIENT_CERT_USER: Grant.all(CLIENT_CERT_USER)})
    temp = tmp_path / "tmp"
    temp.mkdir()
    with cluster:
        kubeconfig = write_kubeconfig(tmp_path / "kc", [cluster], client_cert=True)
        env = {**os.environ, "HOME": str(tmp_path), "KTUI_CONFIG_DIR": str(tmp_path / "config"),
               "KTUI_DATA_DIR": str(tmp_path / "data"), "TERM": "xterm-256color", "TMUX": "",
               "TMUX_TMPDIR": str(tmp_path), "TMPDIR": str(temp)}
        session = f"ktui-key-{uuid.uuid4().hex[:8]}"
        mux = Tmux(session, env)
        mux.run("new-session", "-d", "-s", session, "-x", "120", "-y", "30",
                f"{sys.executable} -m ktui --kubeconfig {kubeconfig}")
        try:
            mux.wait_for("certs", "watching", "Scheduled")  # in, by its certificate
            pid = int(mux.run("display-message", "-p", "-t", session, "#{pane_pid}"))
            if how == "SIGHUP":
                mux.run("kill-session", "-t", session)  # the terminal goes away
            else:
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while not _gone(pid):
                assert time.monotonic() < deadline, "ktui did not end"
                time.sleep(0.05)
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], env=env,
                           capture_output=True, check=False)
    assert files_holding_the_key(temp) == []
