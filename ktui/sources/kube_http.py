"""HTTP to one API server: raw JSON over urllib3, errors mapped to one-line SourceErrors.

Responses are never deserialised into client models (10x slower than ``json.loads``).
Every request carries a fresh Authorization header; a 401 triggers one re-authentication
(an exec plugin re-run, a token file re-read) and one retry.
"""

from __future__ import annotations

import errno
import json
import socket
import ssl
import threading
import warnings
from typing import Any
from urllib.parse import urlencode

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError as _ConnectTimeout,
)
from urllib3.exceptions import (
    HTTPError,
    InsecureRequestWarning,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from ktui.sources.base import Forbidden, SourceError, Unauthorized, Unreachable
from ktui.sources.kube_auth import Credentials
from ktui.sources.kubeconfig import ResolvedContext

USER_AGENT = "ktui/0.1"


class HTTPStatusError(SourceError):
    """A non-2xx answer that is not 401/403 (those are Unauthorized/Forbidden)."""

    def __init__(
        self, message: str, *, code: int, reason: str = "", retry_after: float = 0
    ) -> None:
        super().__init__(message, retryable=code in (429, 500, 502, 503, 504))
        self.code = code
        self.reason = reason
        self.retry_after = retry_after


def _root_cause(exc: BaseException) -> BaseException:
    seen = exc
    while True:
        nxt = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
        if not isinstance(nxt, BaseException) or nxt is seen:
            return seen
        seen = nxt


def describe_network_error(exc: BaseException) -> str:
    """A few words for a transport failure: 'connection refused', 'TLS: ...', 'timed out'."""
    cause = _root_cause(exc)
    if isinstance(exc, SSLError) or isinstance(cause, ssl.SSLError):
        verify = getattr(cause, "verify_message", None)
        if verify:
            return f"TLS error: certificate verify failed ({verify})"
        return f"TLS error: {getattr(cause, 'reason', None) or cause}"
    if (
        isinstance(cause, ConnectionRefusedError)
        or getattr(cause, "errno", None) == errno.ECONNREFUSED
    ):
        return "connection refused"
    if isinstance(cause, socket.gaierror):
        return "host name not found"
    if isinstance(exc, _ConnectTimeout | ReadTimeoutError) or isinstance(cause, TimeoutError):
        return "timed out"
    if isinstance(cause, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, ProtocolError | ValueError) or isinstance(cause, ValueError):
        # http.client reports a chunked body cut mid-way as a bad chunk length
        return "stream interrupted"
    if isinstance(exc, ProxyError):
        return f"proxy error: {cause}"
    text = str(cause).strip() or type(cause).__name__
    return text.splitlines()[0][:200]


def status_message(body: bytes) -> tuple[str, str]:
    """(message, reason) of a ``kind: Status`` body; raw text otherwise."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace").strip(), ""
    if isinstance(data, dict):
        return str(data.get("message") or ""), str(data.get("reason") or "")
    return "", ""


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0


class Connection:
    """One context's API server: a urllib3 pool carrying the kubeconfig's TLS settings."""

    def __init__(
        self,
        ctx: ResolvedContext,
        creds: Credentials,
        *,
        connect_timeout: float = 10.0,
        maxsize: int = 16,
    ) -> None:
        self.ctx = ctx
        self.creds = creds
        self.server = ctx.server
        self.connect_timeout = connect_timeout
        self._maxsize = maxsize
        self._lock = threading.Lock()
        self._pool = self._make_pool()
        self._inflight: set[urllib3.BaseHTTPResponse] = set()
        self.interrupted = False

    def _make_pool(self) -> urllib3.PoolManager:
        kwargs = self.creds.pool_kwargs()
        if not self.creds.verify:
            # The kubeconfig asked for it and the UI shows a standing warning instead.
            warnings.simplefilter("ignore", InsecureRequestWarning)
        if self.creds.proxy:
            return urllib3.ProxyManager(
                self.creds.proxy, maxsize=self._maxsize, block=False, **kwargs
            )
        return urllib3.PoolManager(maxsize=self._maxsize, block=False, **kwargs)

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        auth = self.creds.authorization()
        if self.creds.client_cert_changed:  # an exec plugin handed out a new certificate
            with self._lock:
                self._pool = self._make_pool()
        if auth:
            headers["Authorization"] = auth
        if extra:
            headers.update(extra)
        return headers

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        query = urlencode({k: v for k, v in (params or {}).items() if v not in (None, "")})
        return f"{self.server}{path}{'?' + query if query else ''}"

    def open(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        read_timeout: float | None,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """Send a request; return the unread response (any status). Network errors raise
        :class:`Unreachable`; a 401 is retried once after re-authenticating."""
        url = self.url(path, params)
        for attempt in (0, 1):
            try:
                response = self._pool.request(
                    method,
                    url,
                    body=body,
                    headers=self._headers(headers),
                    preload_content=False,
                    redirect=False,
                    retries=False,
                    timeout=urllib3.Timeout(connect=self.connect_timeout, read=read_timeout),
                )
            except (HTTPError, OSError) as exc:
                raise Unreachable(
                    f"cannot reach {self.server}: {describe_network_error(exc)}", retryable=True
                ) from None
            if response.status == 401 and attempt == 0:
                response.drain_conn()
                response.release_conn()
                if self.creds.on_unauthorized():
                    continue
            return response
        raise AssertionError("unreachable")

    def track(self, response: urllib3.BaseHTTPResponse) -> None:
        with self._lock:
            self._inflight.add(response)
            interrupted = self.interrupted
        if interrupted:
            self._shutdown(response)

    def untrack(self, response: urllib3.BaseHTTPResponse) -> None:
        with self._lock:
            self._inflight.discard(response)

    @staticmethod
    def _shutdown(response: urllib3.BaseHTTPResponse) -> None:
        try:
            response.shutdown()
        except Exception:  # already released or closed: nothing is blocked on it
            pass

    def interrupt(self) -> None:
        """Wake every read blocked on this server (another thread is stopping us)."""
        with self._lock:
            self.interrupted = True
            inflight = list(self._inflight)
        for response in inflight:
            self._shutdown(response)

    def read_body(self, response: urllib3.BaseHTTPResponse) -> bytes:
        self.track(response)
        try:
            data = response.read()
        except (HTTPError, OSError) as exc:
            response.close()
            raise Unreachable(
                f"cannot reach {self.server}: {describe_network_error(exc)}", retryable=True
            ) from None
        finally:
            self.untrack(response)
        response.release_conn()
        return data

    def raise_for_status(self, response: urllib3.BaseHTTPResponse, body: bytes) -> None:
        """Turn a failure status into the matching SourceError."""
        code = response.status
        if code < 300:
            return
        message, reason = status_message(body)
        if code == 401:
            raise Unauthorized(
                f"{self.server}: 401 Unauthorized ({message or 'credentials rejected'})",
                hint=f"check the credentials of context '{self.ctx.name}'",
            )
        if code == 403:
            raise Forbidden(message or f"{self.server}: 403 Forbidden")
        raise HTTPStatusError(
            f"{self.server}: HTTP {code}{' ' + message if message else ''}",
            code=code,
            reason=reason,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )

    def get_json(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        read_timeout: float = 60.0,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        """GET and return the (decoded) body of a 2xx answer (raises on any failure)."""
        response = self.open(path, params, read_timeout=read_timeout, headers=headers)
        body = self.read_body(response)
        self.raise_for_status(response, body)
        return body

    def post_json(self, path: str, payload: dict[str, Any], *, read_timeout: float = 30.0) -> Any:
        response = self.open(
            path,
            None,
            read_timeout=read_timeout,
            method="POST",
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        body = self.read_body(response)
        self.raise_for_status(response, body)
        return json.loads(body)


def is_stream_error(exc: BaseException) -> bool:
    """Errors that end a watch stream (reset, stall, interrupted read)."""
    return isinstance(exc, HTTPError | OSError | ProtocolError | ValueError)
