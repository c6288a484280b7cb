"""Transport failures in a few words: what the status line and the CLI say about a
connection that failed, or an answer that stopped before its end."""

from __future__ import annotations

import errno
import http.client
import socket
import ssl

from urllib3.exceptions import ConnectTimeoutError as _ConnectTimeout
from urllib3.exceptions import (
    IncompleteRead,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from ktui.feeds.errors import Unreachable
from ktui.model.safe_text import one_line

_INCOMPLETE = (IncompleteRead, http.client.IncompleteRead)  # urllib3's pool, or http.client


class Interrupted(Unreachable):
    """The answer started, then stopped before its end (not 'cannot reach': it did)."""


def _root_cause(exc: BaseException) -> BaseException:
    seen = exc
    while True:
        nxt = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
        if not isinstance(nxt, BaseException) or nxt is seen:
            return seen
        seen = nxt


def describe_network_error(exc: BaseException) -> str:
    """A few words for a transport failure: 'connection refused', 'TLS: ...', 'timed out'.
    What the server sent can be among them (a bad status line): made inert here."""
    return one_line(_describe(exc), 300)


def _describe(exc: BaseException) -> str:
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
    cut = next((a for a in getattr(exc, "args", ()) if isinstance(a, _INCOMPLETE)), None)
    if cut is not None and isinstance(cut.expected, int):  # shorter than announced
        got = cut.partial if isinstance(cut.partial, int) else len(cut.partial)
        return f"cut short after {got:,} of {got + cut.expected:,} bytes"
    if isinstance(exc, ProtocolError | ValueError) or isinstance(cause, ValueError):
        # http.client reports a chunked body cut mid-way as a bad chunk length
        return "stream interrupted"
    if isinstance(exc, ProxyError):
        return f"proxy error: {cause}"
    text = str(cause).strip() or type(cause).__name__
    return text.splitlines()[0][:200]
