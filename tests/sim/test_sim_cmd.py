"""``ktui sim`` as a process: starts, writes a private kubeconfig, serves, exits 0 on a signal."""

from __future__ import annotations

import json
import os
import signal
import ssl
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ktui.sim.apiserver.tls import client_context

CMD = "from ktui.cli.sim_cmd import add_parser, run; import argparse, sys; " \
      "p = argparse.ArgumentParser(); s = p.add_subparsers(); add_parser(s); " \
      "sys.exit(run(p.parse_args(sys.argv[1:])))"


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen([sys.executable, "-c", CMD, "sim", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env={**os.environ, "HOME": str(tmp_path)})
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Serving"):
            break
    return proc, lines


def _get(url: str, token: str = "admin-token") -> object:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    req = urllib.request.Request(url, headers=headers)
    ctx: ssl.SSLContext | None = client_context() if url.startswith("https") else None
    with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
        return json.load(r)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sim_command_serves_until_signal(tmp_path: Path, sig: signal.Signals) -> None:
    kc = tmp_path / "out" / "kubeconfig"
    proc, lines = _start(tmp_path, "--clusters", "demo,prod-eu-west-1", "--storm", "50",
                         "--kubeconfig-out", str(kc))
    try:
        assert len(lines) == 3, lines
        assert lines[0].startswith("demo: https://127.0.0.1:")
        assert f"KUBECONFIG={kc} kubectl --context demo get events -A" in lines[0]
        assert lines[1].startswith("prod-eu-west-1: https://127.0.0.1:")
        assert stat.S_IMODE(kc.stat().st_mode) == 0o600
        text = kc.read_text()
        assert "certificate-authority-data" in text and 'current-context: "demo"' in text
        url = lines[1].split()[1]
        d = _get(f"{url}/api/v1/events")
        assert isinstance(d, dict) and len(d["items"]) > 400  # the prod scenario
    finally:
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def test_sim_command_plain_http_and_errors(tmp_path: Path) -> None:
    proc, lines = _start(tmp_path, "--clusters", "x=scenario-a+scenario-c", "--no-tls",
                         "--no-auth", "--kubeconfig-out", str(tmp_path / "k"))
    try:
        url = lines[0].split()[1]
        assert url.startswith("http://")
        d = _get(f"{url}/api/v1/namespaces/test/events", token="")
        assert isinstance(d, dict)
        reasons = {i["reason"] for i in d["items"]}
        assert {"FailedMount", "FailedScheduling"} <= reasons and "Failed" not in reasons
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert proc.returncode == 0
    r = subprocess.run([sys.executable, "-c", CMD, "sim", "--scenario", "nope",
                        "--kubeconfig-out", str(tmp_path / "k2")], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "unknown scenario 'nope'" in r.stderr
    r = subprocess.run([sys.executable, "-c", CMD, "sim", "--list"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and "scenario-b" in r.stdout and "hostile" in r.stdout


def test_sim_command_watch_window_and_streaming_list(tmp_path: Path) -> None:
    proc, lines = _start(tmp_path, "--scenario", "empty", "--load", "50", "--no-tls",
                         "--no-auth", "--watch-window", "10", "--streaming-list", "off",
                         "--kubeconfig-out", str(tmp_path / "k"))
    try:
        url = lines[0].split()[1]
        listed = _get(f"{url}/api/v1/events", token="")
        assert isinstance(listed, dict)
        rv = int(listed["metadata"]["resourceVersion"])
        with urllib.request.urlopen(f"{url}/api/v1/events?watch=1&timeoutSeconds=1"
                                    f"&resourceVersion={rv - 11}", timeout=10) as r:
            (line,) = r.read().splitlines()  # 11 back: out of the window of 10
        assert json.loads(line)["object"]["code"] == 410
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(f"{url}/api/v1/events?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
                 "&resourceVersionMatch=NotOlderThan", token="")
        assert refused.value.code == 422
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert proc.returncode == 0
