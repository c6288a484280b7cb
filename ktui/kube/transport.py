"""HTTP to one API server: raw JSON over urllib3, errors mapped to one-line SourceErrors.

Responses are never deserialised into client models (10x slower than ``json.loads``).
Every request carries a fresh Authorization header; a 401 triggers one re-authentication
(an exec plugin re-run, a token file re-read) and one retry.
"""

from __future__ import annotations

import errno
import json
import socket
import threading
import warnings
from http.client import HTTPException
from typing import Any, Protocol, cast
from urllib.parse import urlencode

import urllib3
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import (
    HTTPError,
    InsecureRequestWarning,
    ProtocolError,
)
from urllib3.util import parse_url

from ktui.feeds.errors import Forbidden, SourceError, Unauthorized, Unreachable
from ktui.kube.auth import Credentials
from ktui.kube.kubeconfig import ResolvedContext
from ktui.kube.neterrors import Interrupted, describe_network_error

__all__ = ["Connection", "HTTPStatusError", "Interrupted", "Pending", "describe_network_error",
           "is_stream_error", "status_message"]

USER_AGENT = "ktui/0.1"


def _send_ahead_supported() -> bool:
    """urllib3 2.x, whose pools have the ``_get_conn``/``_put_conn`` that :meth:`send`
    borrows (checked against the version as well as the attributes: a future urllib3 may
    keep the names and change what they do). Else ktui pages with the thread pager."""
    major = urllib3.__version__.split(".", 1)[0]
    pool = urllib3.HTTPConnectionPool
    return (major == "2" and callable(getattr(pool, "_get_conn", None))
            and callable(getattr(pool, "_put_conn", None)))


SEND_AHEAD_SUPPORTED = _send_ahead_supported()


class HTTPStatusError(SourceError):
    """A non-2xx answer that is not 401/403 (those are Unauthorized/Forbidden)."""

    def __init__(
        self, message: str, *, code: int, reason: str = "", retry_after: float = 0
    ) -> None:
        super().__init__(message, retryable=code in (429, 500, 502, 503, 504))
        self.code = code
        self.reason = reason
        self.retry_after = retry_after


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


class _Blocking(Protocol):
    def shutdown(self) -> None: ...


class Pending:
    """A GET already sent on a connection of its own, its answer not read yet: the API
    server builds it while the caller does something else (see :meth:`Connection.send`).

    :meth:`response` reads the status and headers (the body is left to
    :meth:`Connection.read_body`, which hands the connection back to the pool);
    :meth:`discard` closes the connection when the answer is no longer wanted. A
    keep-alive connection found closed before any answer (the server restarted, a load
    balancer dropped it) is tried once more on a fresh one: the request is an idempotent GET.
    """

    def __init__(
        self,
        owner: Connection,
        pool: HTTPConnectionPool,
        conn: HTTPConnection,
        request: tuple[str, dict[str, str] | None, float | None],
        *,
        reused: bool,
        reauthenticated: bool,
    ) -> None:
        self._owner = owner
        self._pool = pool
        self._conn: HTTPConnection | None = conn
        self._request = request
        self._reused = reused
        self._reauthenticated = reauthenticated

    def shutdown(self) -> None:
        """Wake a read blocked on this request's socket (another thread is stopping us)."""
        sock = self._conn.sock if self._conn is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            self._pool._put_conn(None)  # the slot, as urllib3 does for a broken connection

    def response(self) -> urllib3.BaseHTTPResponse:
        conn = self._conn
        if conn is None:
            raise AssertionError("response() of a discarded request")
        url, headers, read_timeout = self._request
        owner = self._owner
        owner.track(self)
        try:
            if conn.sock is None:  # the send found the connection gone
                raise ConnectionResetError(errno.ECONNRESET, "connection reset")
            conn.timeout = read_timeout
            response = conn.getresponse()
        except (HTTPError, OSError, HTTPException) as exc:
            self.discard()
            stale = isinstance(exc, ConnectionError | HTTPException) and not isinstance(
                exc, TimeoutError
            )
            if self._reused and stale and not owner.interrupted:
                return owner.send(
                    url, None, read_timeout=read_timeout, headers=headers, fresh=True
                ).response()
            raise Unreachable(
                f"cannot reach {owner.server}: {describe_network_error(exc)}", retryable=True
            ) from None
        finally:
            owner.untrack(self)
        self._conn = None
        # what urllib3's pool sets: release_conn() hands the connection back, close() closes it
        response._pool = self._pool
        response._connection = conn
        if response.status == 401 and not self._reauthenticated:
            response.drain_conn()
            response.release_conn()
            if owner.creds.on_unauthorized():
                return owner.send(
                    url, None, read_timeout=read_timeout, headers=headers, reauthenticated=True
                ).response()
        return response


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
        self._inflight: set[_Blocking] = set()
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

    @property
    def can_send_ahead(self) -> bool:
        """Whether :meth:`send` works here (not through a proxy, whose tunnel urllib3 sets
        up inside its own request path), and with this urllib3: :meth:`send` borrows a
        connection through the pool's ``_get_conn``/``_put_conn``, which are not public
        API, so a urllib3 without them falls back to the thread pager."""
        return not self.creds.proxy and SEND_AHEAD_SUPPORTED

    def send(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        read_timeout: float | None,
        headers: dict[str, str] | None = None,
        fresh: bool = False,
        reauthenticated: bool = False,
    ) -> Pending:
        """Send a GET now and return at once; read its answer later with
        ``.response()``. The server works on it meanwhile, which a blocking request (or a
        helper thread, which fights the reader for the GIL on every 16 KB read) does not
        give. Same pool, TLS settings and headers as :meth:`open`; ``path`` may carry its
        query already. Network errors raise :class:`Unreachable`, here or in ``response``."""
        url = self.url(path, params)
        sent_headers = self._headers(headers)
        with self._lock:
            manager = self._pool
        pool = manager.connection_from_url(url)
        conn = cast(HTTPConnection, pool._get_conn())
        try:
            if fresh and conn.sock is not None:
                conn.close()
            reused = conn.sock is not None
            conn.timeout = self.connect_timeout
            try:
                conn.request(
                    "GET",
                    parse_url(url).request_uri,
                    headers=sent_headers,
                    preload_content=False,
                    decode_content=True,
                    enforce_content_length=True,
                )
            except (BrokenPipeError, ConnectionResetError):
                pass  # as urllib3: the server may have answered already; the read will say
        except (HTTPError, OSError, ValueError) as exc:
            conn.close()
            pool._put_conn(None)
            raise Unreachable(
                f"cannot reach {self.server}: {describe_network_error(exc)}", retryable=True
            ) from None
        query_path = url[len(self.server) :]
        return Pending(
            self,
            pool,
            conn,
            (query_path, headers, read_timeout),
            reused=reused and not fresh,
            reauthenticated=reauthenticated,
        )

    def track(self, response: _Blocking) -> None:
        with self._lock:
            self._inflight.add(response)
            interrupted = self.interrupted
        if interrupted:
            self._shutdown(response)

    def untrack(self, response: _Blocking) -> None:
        with self._lock:
            self._inflight.discard(response)

    @staticmethod
    def _shutdown(response: _Blocking) -> None:
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
            raise Interrupted(
                f"answer from {self.server} interrupted: {describe_network_error(exc)}",
                retryable=True,
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
