"""Credentials and TLS settings for one kube context, without importing the client.

Tokens, token files, basic auth, client certificates and exec credential plugins are
handled here directly: it keeps ``ktui events`` from paying the kubernetes package's
0.2-0.3 s import, and the client's own exec support is unsafe for a full-screen app (it
hands the plugin the terminal's stdin and stderr when stdout is a tty, and it logs a
failing plugin and carries on unauthenticated). Only the legacy ``auth-provider`` users
(oidc, gcp) are delegated to ``kubernetes.config.kube_config.KubeConfigLoader``, which
knows how to refresh them.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import hashlib
import json
import os
import signal
import ssl
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ktui.feeds.errors import ConfigError, Unauthorized
from ktui.kube.kubeconfig import ResolvedContext
from ktui.kube.private import load_client_cert, private_dir
from ktui.model.event import parse_time

if TYPE_CHECKING:
    import subprocess

INSECURE_WARNING = (
    "TLS verification is off for this context (insecure-skip-tls-verify in kubeconfig)"
)
# kubectl (client-go's clientcmd) takes a user's credentials only for an https server:
# over plain http a token would cross the network in clear.
WITHHELD_WARNING = "credentials not sent: the server is plain http:// (as kubectl does)"
_USER_CREDENTIALS = ("token", "tokenFile", "username", "password", "exec", "auth-provider",
                     "client-certificate", "client-certificate-data", "client-key",
                     "client-key-data")
# Refresh exec tokens this long before they expire (EKS tokens last 14 minutes).
EXPIRY_SKEW_S = 60.0
# An exec plugin that has not answered by then is killed (``ktui events --timeout`` sets
# its own): kubectl waits for ever, client-go's exec authenticator has no bound either.
PLUGIN_TIMEOUT_S = 30.0
_CLIENT_CERT_KEYS = frozenset(
    {"client-certificate", "client-certificate-data", "client-key", "client-key-data"}
)


def _b64(value: Any, what: str, label: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=False)
    except (binascii.Error, ValueError):
        raise ConfigError(f"kubeconfig {label}: {what} is not valid base64") from None


def _read_file(path: Any, what: str, label: str) -> bytes:
    try:
        with open(str(path), "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise ConfigError(
            f"kubeconfig {label}: cannot read {what} {path}: {exc.strerror}"
        ) from None


def _env_proxy(server: str) -> str | None:
    """HTTPS_PROXY / HTTP_PROXY unless NO_PROXY covers the server, as kubectl (Go's
    ProxyFromEnvironment) does."""
    scheme = "https" if server.startswith("https://") else "http"
    if not any(os.environ.get(k) for k in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY")):
        return None
    from urllib.parse import urlsplit
    from urllib.request import getproxies_environment, proxy_bypass

    host = urlsplit(server).hostname or ""
    if proxy_bypass(host):  # NO_PROXY (the environment, on Linux)
        return None
    return getproxies_environment().get(scheme)


@dataclass(frozen=True, slots=True)
class ExecResult:
    token: str = ""
    cert_pem: bytes = b""
    key_pem: bytes = b""
    expires: float | None = None  # time.time()


def _kill_group(proc: subprocess.Popen[bytes], *, reap: bool = True) -> None:
    """SIGKILL the plugin's process group (it leads its own session), so no helper it
    started outlives it; then reap it. Its pipes are closed rather than drained: a
    process that left the group could hold them open for ever."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if reap:
        proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


# Plugins that have run: one still running at exit (in a thread the exit abandons) is
# killed then, with its process group.
_plugins: weakref.WeakSet[ExecPlugin] = weakref.WeakSet()


def _watch_at_exit(plugin: ExecPlugin) -> None:
    _plugins.add(plugin)


@atexit.register
def _kill_plugins() -> None:
    for plugin in list(_plugins):
        plugin.kill()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


class ExecPlugin:
    """Runs a client-go exec credential plugin with its input and output captured."""

    def __init__(self, spec: Mapping[str, Any], cluster: Mapping[str, Any], label: str) -> None:
        command = spec.get("command")
        if not isinstance(command, str) or not command:
            raise ConfigError(f"kubeconfig {label}: exec plugin has no command")
        self.command = command
        self.args = [str(arg) for arg in spec.get("args") or []]
        self.api_version = str(spec.get("apiVersion") or "client.authentication.k8s.io/v1")
        self.env = {
            str(item.get("name")): str(item.get("value", ""))
            for item in spec.get("env") or []
            if isinstance(item, Mapping) and item.get("name")
        }
        self.cwd = spec.get("_dir") or None
        self.install_hint = _last_line(str(spec.get("installHint") or ""))
        self.cluster = dict(cluster) if spec.get("provideClusterInfo") else None
        self.label = label
        self._lock = threading.Lock()
        self._running: subprocess.Popen[bytes] | None = None
        self._killed = False

    def run(self, timeout: float = PLUGIN_TIMEOUT_S) -> ExecResult:
        """Run the plugin; one that has not answered within ``timeout`` seconds is killed
        with every process it started (its process group) and is an Unauthorized."""
        import subprocess  # only exec plugins need it (2 ms of every start otherwise)

        info: dict[str, Any] = {
            "apiVersion": self.api_version,
            "kind": "ExecCredential",
            # Never interactive: the plugin must not prompt on the UI's terminal.
            "spec": {"interactive": False},
        }
        if self.cluster is not None:
            info["spec"]["cluster"] = {
                "server": self.cluster.get("server", ""),
                "certificate-authority-data": self.cluster.get("certificate-authority-data"),
                "insecure-skip-tls-verify": self.cluster.get("insecure-skip-tls-verify", False),
            }
        env = {**os.environ, **self.env, "KUBERNETES_EXEC_INFO": json.dumps(info)}
        name = os.path.basename(self.command)
        try:
            proc = subprocess.Popen(
                [self.command, *self.args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # No controlling terminal either: a plugin that opens /dev/tty to prompt
                # would draw over the full-screen UI; it fails instead, and says why. Its
                # own session is also its own process group, killed whole on a timeout.
                start_new_session=True,
                env=env,
                cwd=self.cwd,
            )
        except FileNotFoundError:
            hint = f" ({self.install_hint})" if self.install_hint else ""
            raise ConfigError(f"credential plugin '{self.command}' not found{hint}") from None
        except PermissionError:
            raise ConfigError(f"credential plugin '{self.command}' is not executable") from None
        with self._lock:
            self._running = proc
        _watch_at_exit(self)
        try:
            stdout, stderr_bytes = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise Unauthorized(
                f"credential plugin '{name}' timed out after {timeout:g} s"
            ) from None
        except BaseException:  # KeyboardInterrupt: leave no plugin behind either
            _kill_group(proc)
            raise
        finally:
            with self._lock:
                self._running = None
        if self._killed:
            self._killed = False
            raise Unauthorized(f"credential plugin '{name}' was stopped")
        stderr = stderr_bytes.decode("utf-8", "replace")
        if proc.returncode != 0:
            last = _last_line(stderr) or f"exit status {proc.returncode}"
            raise Unauthorized(f"credential plugin '{name}' failed: {last}")
        return self._parse(stdout, name)

    def kill(self) -> None:
        """Kill a run in progress (another thread is stopping the source)."""
        with self._lock:
            proc = self._running
            if proc is not None:
                self._killed = True
        if proc is not None:
            _kill_group(proc, reap=False)

    def _parse(self, stdout: bytes, name: str) -> ExecResult:
        try:
            data = json.loads(stdout)
        except ValueError:
            raise ConfigError(
                f"credential plugin '{name}' printed no valid ExecCredential"
            ) from None
        status = data.get("status") if isinstance(data, dict) else None
        if not isinstance(status, dict):
            raise ConfigError(
                f"credential plugin '{name}' printed an ExecCredential without status"
            )
        expires = parse_time(status.get("expirationTimestamp"))
        if status.get("token"):
            return ExecResult(token=str(status["token"]), expires=expires)
        cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
        if cert and key:
            return ExecResult(
                cert_pem=str(cert).encode(), key_pem=str(key).encode(), expires=expires
            )
        raise ConfigError(f"credential plugin '{name}' returned neither a token nor a certificate")


class Credentials:
    """What a connection to one context needs: TLS settings and an Authorization header.

    ``authorization()`` returns a fresh header (re-running an exec plugin whose token is
    about to expire); ``on_unauthorized()`` is called after a 401 and says whether trying
    again with new credentials is worthwhile.
    """

    def __init__(self, ctx: ResolvedContext, *, plugin_timeout: float = PLUGIN_TIMEOUT_S) -> None:
        self.ctx = ctx
        self.warning = INSECURE_WARNING if ctx.insecure else ""
        self.plugin_timeout = plugin_timeout
        self._lock = threading.Lock()
        self._token = ""
        self._expires: float | None = None
        self._exec: ExecPlugin | None = None
        self._loader_config: Any = None
        self._cert_pem = b""
        self._key_pem = b""
        self._loaded_cert = b""  # the digest of the certificate and key the pool has
        self._tls()
        if not ctx.server.lower().startswith("http://"):
            self._auth()
        elif any(self.ctx.user.get(key) for key in _USER_CREDENTIALS):
            self._cert_pem = self._key_pem = b""
            self.warning = WITHHELD_WARNING

    # -- TLS -----------------------------------------------------------------------------

    def _tls(self) -> None:
        cluster, user, label = self.ctx.cluster, self.ctx.user, self.ctx.label
        self.ca_data: bytes = b""
        self.ca_file = ""
        if cluster.get("certificate-authority-data"):
            self.ca_data = _b64(
                cluster["certificate-authority-data"], "certificate-authority-data", label
            )
        elif cluster.get("certificate-authority"):
            self.ca_file = str(cluster["certificate-authority"])
            if not os.path.isfile(self.ca_file):
                raise ConfigError(
                    f"kubeconfig {label}: certificate-authority {self.ca_file} not found"
                )
        if user.get("client-certificate-data"):
            self._cert_pem = _b64(user["client-certificate-data"], "client-certificate-data", label)
        elif user.get("client-certificate"):
            self._cert_pem = _read_file(user["client-certificate"], "client-certificate", label)
        if user.get("client-key-data"):
            self._key_pem = _b64(user["client-key-data"], "client-key-data", label)
        elif user.get("client-key"):
            self._key_pem = _read_file(user["client-key"], "client-key", label)
        self.verify = not self.ctx.insecure
        self.server_hostname = str(cluster.get("tls-server-name") or "") or None
        self.proxy = str(cluster.get("proxy-url") or "") or _env_proxy(self.ctx.server)

    def _cert_digest(self) -> bytes:
        if not (self._cert_pem and self._key_pem):
            return b""
        return hashlib.sha256(self._cert_pem + b"\0" + self._key_pem).digest()

    def _client_context(self) -> ssl.SSLContext:
        """An SSLContext holding the client certificate and key, loaded from memory: the
        key is never left in a file (see kube.private). urllib3 would otherwise re-read
        files on every connection, so they would have to stay on disk."""
        from urllib3.util.ssl_ import create_urllib3_context

        # What urllib3 builds for itself; it still sets verify_mode from cert_reqs, loads
        # the CA of pool_kwargs and matches the host name on every connection.
        context = create_urllib3_context(
            cert_reqs=ssl.CERT_REQUIRED if self.verify else ssl.CERT_NONE
        )
        context.hostname_checks_common_name = False
        if self.verify and not (self.ca_data or self.ca_file):
            context.load_default_certs()  # urllib3 does this only for a context of its own

        def no_passphrase() -> bytes:
            # OpenSSL would prompt on the terminal, under the full-screen UI
            raise ssl.SSLError("the key is encrypted and ktui cannot ask for its passphrase")

        try:
            load_client_cert(context, self._cert_pem, self._key_pem, no_passphrase)
        except ssl.SSLError as exc:
            if len(exc.args) == 1:  # ours, above
                reason = str(exc.args[0])
            elif exc.reason:  # e.g. KEY_VALUES_MISMATCH
                reason = exc.reason.replace("_", " ").lower()
            else:  # OpenSSL's "PEM lib"
                reason = "not PEM data it can read"
            raise ConfigError(
                f"kubeconfig {self.ctx.label}: cannot load the client certificate and key "
                f"({reason})"
            ) from None
        self._loaded_cert = self._cert_digest()
        return context

    def pool_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``urllib3.PoolManager`` (TLS on unless the kubeconfig says)."""
        kwargs: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED" if self.verify else "CERT_NONE"}
        if self.ca_data:
            kwargs["ca_cert_data"] = self.ca_data.decode("ascii", "replace")
        elif self.ca_file:
            kwargs["ca_certs"] = self.ca_file
        if self._cert_pem and self._key_pem:
            kwargs["ssl_context"] = self._client_context()
        if self.server_hostname:
            kwargs["server_hostname"] = self.server_hostname
        if not self.verify:
            kwargs["assert_hostname"] = False
        return kwargs

    @property
    def client_cert_changed(self) -> bool:
        """An exec plugin handed out another certificate than the pool holds."""
        return self._cert_digest() != self._loaded_cert

    # -- authentication ------------------------------------------------------------------

    def _auth(self) -> None:
        user, label = self.ctx.user, self.ctx.label
        if user.get("auth-provider"):
            self._loader_auth()
        elif user.get("token"):
            self._token = f"Bearer {user['token']}"
        elif user.get("tokenFile"):
            self._token = self._token_file()
        elif isinstance(user.get("exec"), Mapping):
            self._exec = ExecPlugin(user["exec"], self.ctx.cluster, label)
            self._run_exec()
        elif user.get("username") and user.get("password"):
            pair = f"{user['username']}:{user['password']}".encode()
            self._token = "Basic " + base64.b64encode(pair).decode()

    def _token_file(self) -> str:
        token = _read_file(self.ctx.user["tokenFile"], "tokenFile", self.ctx.label)
        return "Bearer " + token.decode("utf-8", "replace").strip()

    def _run_exec(self) -> None:
        assert self._exec is not None
        result = self._exec.run(self.plugin_timeout)
        self._expires = result.expires
        if result.token:
            self._token = f"Bearer {result.token}"
        else:
            self._token = ""
            self._cert_pem, self._key_pem = result.cert_pem, result.key_pem

    def _loader_auth(self) -> None:
        # The legacy auth providers need the client's refresh logic; pay its import here only.
        try:
            from kubernetes.client import Configuration
            from kubernetes.config.config_exception import ConfigException
            from kubernetes.config.kube_config import KubeConfigLoader

            # Without the client certificate and key: only the token is taken from the
            # loader, and it would write them to files (which ktui never does).
            user = {k: v for k, v in self.ctx.user.items() if k not in _CLIENT_CERT_KEYS}
            config = {
                "current-context": self.ctx.name,
                "contexts": [{"name": self.ctx.name, "context": {"cluster": "c", "user": "u"}}],
                "clusters": [{"name": "c", "cluster": self.ctx.cluster}],
                "users": [{"name": "u", "user": user}],
            }
            configuration = Configuration()
            KubeConfigLoader(config, temp_file_path=private_dir()).load_and_set(configuration)
        except ConfigException as exc:
            raise ConfigError(f"kubeconfig {self.ctx.label}: {exc}") from None
        except Exception as exc:  # the providers raise anything (oauthlib, google.auth)
            raise Unauthorized(
                f"auth-provider for context '{self.ctx.name}' failed: {exc}"
            ) from None
        self._loader_config = configuration
        self._token = configuration.get_api_key_with_prefix("BearerToken") or ""

    def interrupt(self) -> None:
        """Kill an exec plugin run in progress (the source is being stopped)."""
        if self._exec is not None:
            self._exec.kill()

    def authorization(self) -> str:
        """The Authorization header value ('' for none), refreshed when about to expire."""
        with self._lock:
            if self._exec is not None and self._expires is not None:
                if time.time() >= self._expires - EXPIRY_SKEW_S:
                    self._run_exec()
            elif self._loader_config is not None:
                self._token = self._loader_config.get_api_key_with_prefix("BearerToken") or ""
            return self._token

    def on_unauthorized(self) -> bool:
        """After a 401: fetch new credentials if there is a way to; True if worth retrying."""
        with self._lock:
            if self._exec is not None:
                self._run_exec()
                return True
            if self.ctx.user.get("tokenFile") and not self.ctx.user.get("token"):
                fresh = self._token_file()
                changed = fresh != self._token
                self._token = fresh
                return changed
            return False
