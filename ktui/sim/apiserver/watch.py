"""Watch streams: chunked JSON lines, replay from the change log, bookmarks, faults."""

from __future__ import annotations

import json
import select
import socket
import ssl
import time
from collections.abc import Callable
from io import BufferedIOBase
from typing import Any, Protocol

from ktui.sim.apiserver.auth import status
from ktui.sim.apiserver.backend import Backend
from ktui.sim.apiserver.store import ADDED, Change, TooOld, Version
from ktui.sim.apiserver.tables import Output, table_head, table_row

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
FLUSH_AT = 256 * 1024


class Handler(Protocol):
    """What a watch needs of the request handler that serves it (server.Handler): the
    response writers, the socket, and the cluster's backend."""

    close_connection: bool
    connection: Any
    wfile: BufferedIOBase

    @property
    def backend(self) -> Backend: ...

    def send_response(self, code: int, message: str | None = None) -> None: ...

    def send_header(self, keyword: str, value: str) -> None: ...

    def end_headers(self) -> None: ...

    def send_status(self, body: dict[str, Any],
                    headers: dict[str, str] | None = None) -> None: ...


class _Cut(Exception):
    """Stop writing: the connection is gone or a fault cut it."""


class WatchStream:
    """Writes one watch response. Owns the chunk framing and the fault bookkeeping."""

    def __init__(self, handler: Handler, api: str, out: Output) -> None:
        self.h = handler
        self.api = api
        self.out = out
        self.sent = 0  # events (not bookmarks) written
        self.buf: list[bytes] = []
        self.size = 0
        self.table_columns_sent = False
        faults = handler.backend.faults
        self.drop = faults.take_drop()
        self.stall = faults.take_stall()

    # -- framing ----------------------------------------------------------------------
    def start(self) -> None:
        h = self.h
        h.send_response(200)
        ctype = "application/json"
        if self.out.table:
            ctype += f";as=Table;v={self.out.table};g=meta.k8s.io"
        h.send_header("Content-Type", ctype)
        h.send_header("Cache-Control", "no-cache, private")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        self.h.wfile.flush()

    def _write(self, data: bytes) -> None:
        try:
            self.h.wfile.write(data)
        except OSError as exc:
            raise _Cut() from exc

    def flush(self) -> None:
        if not self.buf:
            return
        data = b"".join(self.buf)
        self.buf.clear()
        self.size = 0
        self._write(b"%x\r\n" % len(data) + data + b"\r\n")

    def finish(self) -> None:
        """End the response properly (timeoutSeconds reached)."""
        self.flush()
        self._write(b"0\r\n\r\n")

    def cut(self, partial: bytes = b"") -> None:
        """Close the connection mid-stream, without the terminating chunk."""
        try:
            self.flush()
            if partial:
                self._write(b"%x\r\n" % len(partial) + partial)  # chunk never completed
        except _Cut:
            pass
        self.h.close_connection = True
        try:
            self.h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise _Cut()

    # -- content ------------------------------------------------------------------------
    def line(self, kind: str, v: Version) -> bytes:
        if self.out.table:
            cols = not self.table_columns_sent
            self.table_columns_sent = True
            obj = (table_head(self.out.table, {"resourceVersion": str(v.rv)}, cols)
                   + table_row(v, self.api, self.out, self.h.backend.now()) + b"]}")
        else:
            obj = v.bytes_for(self.api)
        return b'{"type":"' + kind.encode() + b'","object":' + obj + b"}\n"

    def event(self, kind: str, v: Version, after: list[Change] | None = None) -> None:
        """Queue one event, applying the drop and stall faults at their counts."""
        data = self.line(kind, v)
        if self.drop is not None and self.sent >= self.drop[0]:
            self.h.backend.faults.record("drop_watch")
            self.cut(data[: max(1, len(data) // 2)] if self.drop[1] else b"")
        self.maybe_stall()
        self.buf.append(data)
        self.size += len(data)
        self.sent += 1
        if self.size >= FLUSH_AT:
            self.flush()

    def client_gone(self) -> bool:
        """Has the client closed its end? (Checked while idle, so threads of abandoned
        watches end without waiting for the next event.)"""
        sock = self.h.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            if isinstance(sock, ssl.SSLSocket):
                sock.settimeout(0.05)
                try:
                    return sock.recv(1) == b""
                finally:
                    sock.settimeout(None)
            return sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def maybe_stall(self) -> None:
        """Go silent (connection open, nothing sent) once ``after`` events are out."""
        if self.stall is None or self.sent < self.stall[1]:
            return
        seconds = self.stall[0]
        self.stall = None
        self.flush()
        self.h.backend.faults.record("stall_watch")
        if self.h.backend.stopping.wait(seconds):
            self.cut()

    def raw(self, data: bytes) -> None:
        self.buf.append(data)
        self.size += len(data)

    def bookmark(self, rv: int, initial_end: bool = False) -> None:
        meta: dict[str, object] = {"resourceVersion": str(rv), "creationTimestamp": None}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": "Event", "apiVersion": self.api, "metadata": meta}
        self.raw(b'{"type":"BOOKMARK","object":' + _dumps(obj).encode() + b"}\n")

    def error(self, body: dict[str, object]) -> None:
        self.raw(b'{"type":"ERROR","object":' + _dumps(body).encode() + b"}\n")


def _parse_float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def watch_list_problems(send_initial: str | None, match: str, bookmarks: bool,
                        enabled: bool) -> list[tuple[str, str]]:
    """kube-apiserver's checks of a watch's ``sendInitialEvents`` and
    ``resourceVersionMatch`` (the streaming list, WatchList): (field, message) pairs."""
    problems: list[tuple[str, str]] = []
    if send_initial is not None:
        if match != "NotOlderThan":
            problems.append(("resourceVersionMatch", "sendInitialEvents requires setting "
                             "resourceVersionMatch to NotOlderThan"))
        if not enabled:
            problems.append(("sendInitialEvents", "sendInitialEvents is forbidden for watch "
                             "unless the WatchList feature gate is enabled"))
        if send_initial.lower() in ("1", "true") and not bookmarks:
            problems.append(("allowWatchBookmarks", "sendInitialEvents requires setting "
                             "allowWatchBookmarks to true"))
    elif match:
        problems.append(("resourceVersionMatch", "resourceVersionMatch is forbidden for watch "
                         "unless sendInitialEvents is provided"))
    return problems


def invalid_options(problems: list[tuple[str, str]]) -> dict[str, object]:
    """The 422 Invalid Status of rejected list options."""
    text = ", ".join(f"{name}: Forbidden: {message}" for name, message in problems)
    causes = [{"reason": "FieldValueForbidden", "message": f"Forbidden: {message}",
               "field": name} for name, message in problems]
    return status(422, "Invalid", f'ListOptions.meta.k8s.io "" is invalid: {text}',
                  {"group": "meta.k8s.io", "kind": "ListOptions", "causes": causes})


def serve_watch(handler: Handler, api: str, keep: Callable[[Version], bool] | None,
                query: dict[str, str], out: Output) -> None:
    """Serve ``?watch=1`` until timeoutSeconds, a fault, a restart or the client leaves."""
    b = handler.backend
    store = b.store
    rv_param = query.get("resourceVersion", "")
    bookmarks = query.get("allowWatchBookmarks", "").lower() in ("1", "true")
    send_initial = query.get("sendInitialEvents")
    match = query.get("resourceVersionMatch", "")
    if b.streaming_list == "ignored":  # an API server before 1.27 knows neither
        send_initial, match = None, ""
    problems = watch_list_problems(send_initial, match, bookmarks, b.streaming_list == "on")
    if problems:
        handler.send_status(invalid_options(problems))
        return
    initial = (send_initial or "").lower() in ("1", "true")
    timeout = _parse_float(query.get("timeoutSeconds")) or b.default_watch_timeout
    deadline = time.monotonic() + timeout

    start_rv: int | None = None
    if rv_param not in ("", "0"):
        try:
            start_rv = int(rv_param)
        except ValueError:
            handler.send_status(status(400, "BadRequest",
                                       f'invalid resource version: "{rv_param}"'))
            return
    too_old: TooOld | None = None
    if start_rv is not None and not initial:
        how = b.faults.take_gone()
        if how is not None:
            b.faults.record(f"watch_410_{how}")
            too_old = TooOld(start_rv, store.rv)
            if how == "http":
                handler.send_status(status(410, "Expired", str(too_old)))
                return
        else:
            try:
                store.check_resume(start_rv)
            except TooOld as exc:
                too_old = exc
                if b.faults.too_old_as_http:
                    b.faults.record("watch_410_http")
                    handler.send_status(status(410, "Expired", str(exc)))
                    return
                b.faults.record("watch_410_event")

    stream = WatchStream(handler, api, out)
    stream.start()
    b.count("watches")  # answered: what follows its resourceVersion is on its way
    try:
        if too_old is not None:
            stream.error(status(410, "Expired", str(too_old)))
            stream.finish()
            return
        if start_rv is None or initial:
            snap = store.snapshot(keep)
            for v in snap.items:
                stream.event(ADDED, v)
            pos = snap.rv
            if initial and bookmarks:
                stream.bookmark(pos, initial_end=True)
        else:
            pos = start_rv
        for line in b.faults.take_odd_watch_lines():
            stream.raw(line + b"\n")
        stream.flush()
        _follow(stream, keep, pos, deadline, bookmarks)
    except _Cut:
        handler.close_connection = True


def _follow(stream: WatchStream, keep: Callable[[Version], bool] | None, pos: int,
            deadline: float, bookmarks: bool) -> None:
    b = stream.h.backend
    store = b.store
    cond = store.cond
    interval = b.bookmark_interval
    next_bookmark = time.monotonic() + interval
    next_gone_check = time.monotonic() + 1.0
    while True:
        if b.stopping.is_set():
            stream.cut()
        stream.maybe_stall()
        now = time.monotonic()
        if now >= deadline:
            stream.finish()
            b.count("watch_timeouts")
            return
        if bookmarks and now >= next_bookmark:
            stream.bookmark(pos)
            stream.flush()
            next_bookmark = now + interval
        wake = min(deadline, next_bookmark) if bookmarks else deadline
        too_old: TooOld | None = None
        with cond:
            if store.rv <= pos:
                cond.wait(min(max(0.0, wake - now), 0.5))
            try:
                changes = store.changes_since(pos) if store.rv > pos else []
            except TooOld as exc:  # this watcher fell behind the live buffer
                changes, too_old = [], exc
        if too_old is not None:
            stream.error(status(410, "Expired", str(too_old)))
            stream.finish()
            return
        if not changes:
            if now >= next_gone_check:
                next_gone_check = now + 1.0
                if stream.client_gone():
                    stream.cut()
            continue
        for _rv, kind, v in changes:
            if keep is None or keep(v):
                stream.event(kind, v)
        pos = changes[-1][0]
        stream.flush()
