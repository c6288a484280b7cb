"""kubeconfig reading, credentials, exec plugins and the private certificate directory.

No network here: these check what happens before the first request.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ktui.feeds.errors import ConfigError, Unauthorized
from ktui.kube.auth import INSECURE_WARNING, WITHHELD_WARNING, Credentials
from ktui.kube.kubeconfig import list_contexts, load, missing_kubeconfig, resolve
from tests.fixtures.client_cert import (
    CLIENT_CA_PEM,
    CLIENT_CERT_PEM,
    CLIENT_KEY_PEM,
    files_holding_the_key,
)

CA_PEM = b"-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


ENCRYPTED_KEY_PEM = """\
-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjUuvMIUPlU8AICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEECSIeUO4pIioaTORx9SGIyIEgZDJ
k6QM0NFOX5E2FIzcvVxqQ6T+vRMejjXvUU8iH2UjtBzcWPXoa711imdN1tSmySmI
70E95NxPS7Dc0btcK5En/fQwL3e02yPzheUnFn0VdqLW1KK3SBwD5viEKrsJbK2V
1TnIUtdgh/PQwolw3IcQyXRfcRCbywY8EAvf5fMY0k3L5fOSbDiQpxOj1s/qvRM=
-----END ENCRYPTED PRIVATE KEY-----
"""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write_config(
    path: Path,
    *,
    contexts: dict[str, dict[str, str]],
    current: str | None = None,
    clusters: dict[str, dict[str, object]] | None = None,
    users: dict[str, dict[str, object]] | None = None,
) -> Path:
    doc: dict[str, object] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": c} for n, c in (clusters or {}).items()],
        "contexts": [{"name": n, "context": c} for n, c in contexts.items()],
        "users": [{"name": n, "user": u} for n, u in (users or {}).items()],
    }
    if current is not None:
        doc["current-context"] = current
    path.write_text(json.dumps(doc))  # JSON is YAML
    return path


@pytest.fixture(autouse=True)
def _no_env_kubeconfig(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_several_kubeconfig_files_merge_first_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = write_config(
        tmp_path / "a.yaml",
        current="one",
        contexts={"one": {"cluster": "c", "user": "u", "namespace": "team-a"}},
        clusters={"c": {"server": "https://a.example:6443"}},
        users={"u": {"token": "from-a"}},
    )
    b = write_config(
        tmp_path / "b.yaml",
        current="two",
        contexts={
            "one": {"cluster": "c", "user": "u", "namespace": "ignored"},
            "two": {"cluster": "d", "user": "u"},
        },
        clusters={"c": {"server": "https://b.example"}, "d": {"server": "https://d.example"}},
        users={"u": {"token": "from-b"}},
    )
    missing = tmp_path / "missing.yaml"
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(a), str(missing), str(b)]))
    infos, current = list_contexts(None)
    assert current == "one"  # the first file to set current-context wins
    assert [(i.name, i.namespace, i.server) for i in infos] == [
        ("one", "team-a", "https://a.example:6443"),
        ("two", "", "https://d.example"),
    ]
    ctx = resolve(load(None), "two")
    assert ctx.server == "https://d.example" and ctx.user == {"token": "from-a"}
    # --kubeconfig replaces KUBECONFIG entirely
    infos, current = list_contexts(str(b))
    assert current == "two" and infos[0].namespace == "ignored"


def test_context_namespace_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_bytes(CA_PEM)
    path = write_config(
        tmp_path / "config",
        current="dev",
        contexts={"dev": {"cluster": "c", "user": "u", "namespace": "payments"}},
        clusters={"c": {"server": "https://x.example/", "certificate-authority": "certs/ca.pem"}},
        users={"u": {"tokenFile": "token"}},
    )
    (tmp_path / "token").write_text("secret\n")
    ctx = resolve(load(str(path)))
    assert ctx.namespace == "payments"
    assert ctx.server == "https://x.example"
    assert ctx.cluster["certificate-authority"] == str(tmp_path / "certs" / "ca.pem")
    creds = Credentials(ctx)
    assert creds.authorization() == "Bearer secret"
    assert creds.pool_kwargs()["ca_certs"] == str(tmp_path / "certs" / "ca.pem")
    assert creds.pool_kwargs()["cert_reqs"] == "CERT_REQUIRED"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("apiVersion: v1\nclusters: [\n  - name: x\n", "is not valid YAML: line"),
        ("- just\n- a list\n", "is not a kubeconfig"),
        ("clusters: 3\n", "'clusters' must be a list"),
    ],
)
def test_malformed_kubeconfig_is_one_line(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        resolve(load(str(path)))
    assert expected in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_context_cluster_user_and_files(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "config",
        current="gone",
        contexts={
            "nocluster": {"cluster": "zz", "user": "u"},
            "nouser": {"cluster": "c", "user": "nobody"},
        },
        clusters={"c": {"server": "https://x"}},
        users={"u": {}},
    )
    config = load(str(path))
    with pytest.raises(ConfigError, match=f"kubeconfig {path}: context 'foo' not found"):
        resolve(config, "foo")
    with pytest.raises(ConfigError, match="context 'gone' not found"):
        resolve(config)
    with pytest.raises(ConfigError, match="cluster 'zz', which is not defined"):
        resolve(config, "nocluster")
    with pytest.raises(ConfigError, match="user 'nobody', which is not defined"):
        resolve(config, "nouser")
    with pytest.raises(ConfigError, match="no such file"):
        load(str(tmp_path / "nope"))
    home_config = str(tmp_path / "home" / ".kube" / "config")
    with pytest.raises(ConfigError) as raised:
        load(None)
    assert str(raised.value) == (f"no kubeconfig found: {home_config} does not exist; "
                                 "set KUBECONFIG or use --kubeconfig")


def test_a_kubeconfig_variable_naming_no_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14.8: `KUBECONFIG=/nonexistent ktui events` said "set KUBECONFIG" although
    it was set: the message names the files KUBECONFIG names."""
    monkeypatch.setenv("KUBECONFIG", "/nonexistent")
    with pytest.raises(ConfigError) as raised:
        load(None)
    assert str(raised.value) == "no kubeconfig found: /nonexistent (from KUBECONFIG) does not exist"
    assert missing_kubeconfig(None) == "/nonexistent (from KUBECONFIG) does not exist"
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(["/a", "/b"]))
    assert missing_kubeconfig(None) == "none of /a, /b (from KUBECONFIG) exists"
    real = write_config(tmp_path / "real", contexts={}, clusters={})
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(["/a", str(real)]))
    assert missing_kubeconfig(None) == ""  # one file is enough
    assert missing_kubeconfig(str(tmp_path / "nope")) == f"{tmp_path / 'nope'} does not exist"


def test_list_contexts_imports_no_client(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "c",
        current="a",
        contexts={"a": {"cluster": "c"}},
        clusters={"c": {"server": "https://x"}},
    )
    code = (
        "import sys; from ktui.kube.kubeconfig import list_contexts;"
        f"print(list_contexts({str(path)!r})[1]);"
        "print(any(m.startswith('kubernetes') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["a", "False"]


def test_insecure_skip_tls_verify_is_a_standing_warning(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "c",
        current="a",
        contexts={"a": {"cluster": "c", "user": "u"}},
        clusters={"c": {"server": "https://x", "insecure-skip-tls-verify": True}},
        users={"u": {"token": "t"}},
    )
    creds = Credentials(resolve(load(str(path))))
    assert creds.warning == INSECURE_WARNING
    assert creds.pool_kwargs()["cert_reqs"] == "CERT_NONE"
    path = write_config(
        tmp_path / "d",
        current="a",
        contexts={"a": {"cluster": "c"}},
        clusters={"c": {"server": "https://x", "certificate-authority-data": _b64(CA_PEM)}},
    )
    creds = Credentials(resolve(load(str(path))))
    assert creds.warning == ""
    assert creds.pool_kwargs()["ca_cert_data"] == CA_PEM.decode()


@pytest.mark.parametrize(
    "user",
    [{"token": "t"}, {"username": "u", "password": "p"}, {"tokenFile": "/nonexistent"},
     {"exec": {"command": "/nonexistent/plugin"}}],
    ids=["token", "basic", "tokenFile", "exec"],
)
def test_credentials_are_withheld_from_a_plain_http_server(
    tmp_path: Path, user: dict[str, object]
) -> None:
    """Before: sent in clear without a word. Like kubectl (client-go's clientcmd takes a
    user's credentials only for https), none is read or run, and a warning says why."""
    def creds_for(server: str) -> Credentials:
        path = write_config(tmp_path / "c", current="a", users={"u": user},
                            contexts={"a": {"cluster": "c", "user": "u"}},
                            clusters={"c": {"server": server}})  # fmt: skip
        return Credentials(resolve(load(str(path))))

    plain = creds_for("http://api.example:8080")
    assert plain.authorization() == "" and plain.warning == WITHHELD_WARNING
    if "token" in user or "username" in user:  # https: sent (the others fail to load here)
        secure = creds_for("https://api.example")
        assert secure.authorization() and secure.warning == ""


# -- exec credential plugins -----------------------------------------------------------


def exec_plugin(tmp_path: Path, body: str, name: str = "plugin.sh") -> Path:
    script = tmp_path / name
    script.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    script.chmod(0o755)
    return script


def exec_config(tmp_path: Path, command: str, args: list[str] | None = None) -> Path:
    return write_config(
        tmp_path / "config",
        current="eks",
        contexts={"eks": {"cluster": "c", "user": "u"}},
        clusters={"c": {"server": "https://eks.example"}},
        users={
            "u": {
                "exec": {
                    "apiVersion": "client.authentication.k8s.io/v1beta1",
                    "command": command,
                    "args": args or [],
                    "env": [{"name": "PLUGIN_MARK", "value": "set"}],
                }
            }
        },
    )


def test_exec_plugin_token_with_stdin_closed_and_output_captured(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    counter = tmp_path / "runs"
    exec_plugin(
        tmp_path,
        f"""\
        echo run >> {counter}
        echo "prompting on stderr" >&2
        # stdin must not be the terminal: reading it ends at once
        read -r line && echo "read stdin: $line" >&2
        case "$KUBERNETES_EXEC_INFO" in *'"interactive": false'*) ;; *) exit 9;; esac
        [ "$PLUGIN_MARK" = set ] || exit 8
        cat <<EOF
        {{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
         "status": {{"token": "tok-$(wc -l < {counter} | tr -d ' ')",
                    "expirationTimestamp": "2000-01-01T00:00:00Z"}}}}
        EOF
    """,
    )
    # a relative command with a slash resolves against the kubeconfig's directory
    creds = Credentials(resolve(load(str(exec_config(tmp_path, "./plugin.sh")))))
    assert creds.authorization() == "Bearer tok-2"  # already expired: refreshed on use
    assert creds.on_unauthorized() is True
    assert creds.authorization().startswith("Bearer tok-")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_exec_plugin_failure_reports_last_stderr_line(tmp_path: Path) -> None:
    exec_plugin(
        tmp_path,
        """\
        echo "some noise" >&2
        echo "error: SSO session expired, run aws sso login" >&2
        exit 255
    """,
    )
    with pytest.raises(Unauthorized) as info:
        Credentials(resolve(load(str(exec_config(tmp_path, str(tmp_path / "plugin.sh"))))))
    assert str(info.value) == (
        "credential plugin 'plugin.sh' failed: error: SSO session expired, run aws sso login"
    )


def test_exec_plugin_missing_or_garbage(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="credential plugin 'no-such-plugin-xyz' not found"):
        Credentials(resolve(load(str(exec_config(tmp_path, "no-such-plugin-xyz")))))
    exec_plugin(tmp_path, "echo not json\n", name="garbage.sh")
    with pytest.raises(ConfigError, match="no valid ExecCredential"):
        Credentials(resolve(load(str(exec_config(tmp_path, str(tmp_path / "garbage.sh"))))))


def test_exec_plugin_client_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    status = {"clientCertificateData": CLIENT_CERT_PEM, "clientKeyData": CLIENT_KEY_PEM}
    credential = {"apiVersion": "client.authentication.k8s.io/v1beta1",
                  "kind": "ExecCredential", "status": status}  # fmt: skip
    (tmp_path / "credential.json").write_text(json.dumps(credential))
    exec_plugin(tmp_path, f"cat {tmp_path / 'credential.json'}\n")
    creds = Credentials(resolve(load(str(exec_config(tmp_path, str(tmp_path / "plugin.sh"))))))
    kwargs = creds.pool_kwargs()
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
    assert "cert_file" not in kwargs and "key_file" not in kwargs
    assert not creds.client_cert_changed
    assert creds.authorization() == ""
    assert files_holding_the_key(tmp_path) == [tmp_path / "credential.json"]


HANGING_PLUGIN = """\
    sleep 300 &
    echo $! > "$(dirname "$0")/helper.pid"
    sleep 300
"""


def process_gone(pid: int) -> bool:
    """No such process, or only its zombie (a killed orphan whose reaper has not run)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.timeout(30)  # a hang guard: unkilled, the plugin sleeps for 300 s
def test_a_hanging_exec_plugin_is_killed_with_its_helpers(tmp_path: Path) -> None:
    """Before: waited 120 s, then left the helper it started running."""
    exec_plugin(tmp_path, HANGING_PLUGIN)
    config = exec_config(tmp_path, str(tmp_path / "plugin.sh"))
    with pytest.raises(Unauthorized) as info:
        Credentials(resolve(load(str(config))), plugin_timeout=0.5)
    assert str(info.value) == "credential plugin 'plugin.sh' timed out after 0.5 s"
    helper = int((tmp_path / "helper.pid").read_text())
    assert wait_until(lambda: process_gone(helper)), "the plugin's helper outlived it"


def test_ktui_events_timeout_bounds_a_hanging_exec_plugin(tmp_path: Path) -> None:
    """Before: `--timeout 1` did not cover the plugin, which ran for 120 s."""
    exec_plugin(tmp_path, HANGING_PLUGIN)
    config = exec_config(tmp_path, str(tmp_path / "plugin.sh"))
    done = subprocess.run(  # timeout=20: a hang guard (the plugin sleeps for 300 s)
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(config),
         "--timeout", "1"],
        capture_output=True, text=True, timeout=20, env={**os.environ, "KUBECONFIG": ""},
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "ktui: unauthorized: credential plugin 'plugin.sh' timed out after 1 s\n"
    )
    helper = int((tmp_path / "helper.pid").read_text())
    assert wait_until(lambda: process_gone(helper)), "the plugin's helper outlived it"


# -- client certificate and key: loaded from memory, never left on disk -----------------


def cert_config(tmp_path: Path, cert: bytes, key: bytes) -> Path:
    return write_config(
        tmp_path / "config",
        current="a",
        contexts={"a": {"cluster": "c", "user": "u"}},
        clusters={"c": {"server": "https://x", "certificate-authority-data": _b64(CA_PEM)}},
        users={"u": {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)}},
    )


@pytest.mark.parametrize("memfd", [True, False], ids=["memfd", "short-lived-file"])
def test_client_key_is_loaded_without_a_file_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memfd: bool
) -> None:
    """Before: the key was written to $TMPDIR/ktui-kube-*/ for the life of the process."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    if not memfd:  # a platform without memfd_create: a file that lives while OpenSSL reads
        monkeypatch.delattr(os, "memfd_create", raising=False)
    config = cert_config(tmp_path, CLIENT_CERT_PEM.encode(), CLIENT_KEY_PEM.encode())
    creds = Credentials(resolve(load(str(config))))
    kwargs = creds.pool_kwargs()
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
    assert kwargs["ca_cert_data"].startswith("-----BEGIN CERTIFICATE-----")
    assert files_holding_the_key(temp) == []
    assert list(temp.iterdir()) == []


@pytest.mark.parametrize(
    ("cert", "key", "reason"),
    [
        (b"CERT PEM", b"KEY PEM", "not PEM data it can read"),
        (CLIENT_CERT_PEM.encode(), CLIENT_CA_PEM.encode(), "not PEM data it can read"),
        (CLIENT_CERT_PEM.encode(), ENCRYPTED_KEY_PEM.encode(),
         "the key is encrypted and ktui cannot ask for its passphrase"),
    ],
    ids=["garbage", "a certificate for a key", "encrypted"],
)
def test_a_client_key_that_cannot_be_loaded_is_a_config_error(
    tmp_path: Path, cert: bytes, key: bytes, reason: str
) -> None:
    creds = Credentials(resolve(load(str(cert_config(tmp_path, cert, key)))))
    with pytest.raises(ConfigError) as info:
        creds.pool_kwargs()
    assert str(info.value) == (
        f"kubeconfig {tmp_path / 'config'}: cannot load the client certificate and key "
        f"({reason})"
    )


_HOLDER = """
import sys, time
from ktui.kube.kubeconfig import load, resolve
from ktui.kube.auth import Credentials
from ktui.kube.transport import Connection
resolved = resolve(load(sys.argv[1]))
connection = Connection(resolved, Credentials(resolved))
print("ready", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("how", ["SIGHUP", "SIGKILL", "SIGTERM"])
def test_a_killed_process_leaves_no_key_under_its_tmpdir(tmp_path: Path, how: str) -> None:
    """Before: SIGHUP and SIGKILL left the key in $TMPDIR/ktui-kube-*/ (only SIGTERM,
    SIGINT and a clean exit removed it)."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    config = cert_config(tmp_path, CLIENT_CERT_PEM.encode(), CLIENT_KEY_PEM.encode())
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(getattr(signal, how))
        assert proc.wait(10) == -getattr(signal, how)
    finally:
        proc.kill()
        proc.wait()
    assert files_holding_the_key(temp) == []


def test_proxy_from_kubeconfig_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(
        tmp_path / "c",
        current="a",
        contexts={"a": {"cluster": "c"}, "b": {"cluster": "d"}},
        clusters={
            "c": {"server": "https://api.example:6443"},
            "d": {"server": "https://x", "proxy-url": "http://p:3128"},
        },
    )
    config = load(str(path))
    assert Credentials(resolve(config, "b")).proxy == "http://p:3128"
    assert Credentials(resolve(config, "a")).proxy is None
    monkeypatch.setenv("HTTPS_PROXY", "http://corp:8080")
    assert Credentials(resolve(config, "a")).proxy == "http://corp:8080"
    monkeypatch.setenv("NO_PROXY", ".example")
    assert Credentials(resolve(config, "a")).proxy is None
