"""Paged lists with the next page's request already out while the parser works.

A 20,000-event list is 40 pages; fetching them strictly in turn leaves the API server idle
while ktui parses a page and ktui idle while the server builds the next. The continue
token sits in the list's ``metadata``, which the API server writes before ``items``, so it
can be read from the head of the body without parsing the whole page, and the next request
can go out at once. If the token cannot be found that way the parser finds it and the
caller starts again from there (correct, only slower).

:class:`Pipeline` does it in the caller's thread: read page N, send the request for N+1,
hand N over, then read N+1 (which the server built meanwhile). :class:`Pager` runs the
fetches in a helper thread instead; kept for connections that cannot send ahead (through
a proxy). The thread and the parser fight for the GIL after every 16 KB read, which makes
the thread slower than the pipeline (bench/bench_list.py measures both).
"""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

_CONTINUE = re.compile(rb'"continue"\s*:\s*"((?:[^"\\]|\\.)*)"')
_HEAD = 4096

Fetch = Callable[[str | None], bytes]


def peek_continue(body: bytes) -> str | None:
    """The continue token of a list body, read from its metadata (before ``items``)."""
    end = body.find(b'"items"', 0, _HEAD)
    match = _CONTINUE.search(body, 0, end if end >= 0 else _HEAD)
    if match is None:
        return None
    token = json.loads(b'"' + match.group(1) + b'"')
    return token if isinstance(token, str) and token else None


class _End:
    pass


_END = _End()


class Pager:
    """Iterate over ``(token, body)`` of every page, fetched in a helper thread that runs
    ``depth`` pages ahead. Errors of the fetch are raised by the iteration, in order."""

    def __init__(
        self, fetch: Fetch, stop: threading.Event, *, token: str | None = None, depth: int = 2
    ) -> None:
        self._fetch = fetch
        self._stop = stop
        self._token = token
        self._queue: queue.Queue[tuple[str | None, bytes] | BaseException | _End] = queue.Queue(
            depth
        )
        self._done = threading.Event()  # the consumer left: the fetcher must end too
        self._thread = threading.Thread(target=self._run, daemon=True, name="ktui-pager")

    def _put(self, item: tuple[str | None, bytes] | BaseException | _End) -> bool:
        while not (self._stop.is_set() or self._done.is_set()):
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        token = self._token
        while True:
            try:
                body = self._fetch(token)
            except BaseException as exc:  # handed to the consumer, which raises it
                self._put(exc)
                return
            if not self._put((token, body)):
                return
            token = peek_continue(body)
            if token is None:
                self._put(_END)
                return

    def __iter__(self) -> Iterator[tuple[str | None, bytes]]:
        self._thread.start()
        try:
            while not self._stop.is_set():
                try:
                    item = self._queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                if isinstance(item, _End):
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._done.set()


class Sent(Protocol):
    """A page's request on its way: ``body()`` waits for the answer (raising what the
    fetch would raise), ``discard()`` drops it unread."""

    def body(self) -> bytes: ...

    def discard(self) -> None: ...


class _Failed:
    """A send that failed: its error is raised where its answer would be read."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def body(self) -> bytes:
        raise self.error

    def discard(self) -> None:
        pass


class Pipeline:
    """Iterate over ``(token, body)`` of every page in the caller's thread, the request
    for the next page sent before the current one is handed over. Errors come in page
    order; a stop ends the iteration quietly (as the :class:`Pager` does)."""

    def __init__(
        self, send: Callable[[str | None], Sent], stop: threading.Event, *, token: str | None = None
    ) -> None:
        self._send = send
        self._stop = stop
        self._token = token

    def _start(self, token: str | None) -> Sent:
        try:
            return self._send(token)
        except Exception as exc:  # raised when its page is due, after the one before
            return _Failed(exc)

    def __iter__(self) -> Iterator[tuple[str | None, bytes]]:
        token = self._token
        pending: Sent | None = self._start(token)
        try:
            while pending is not None and not self._stop.is_set():
                current, pending = pending, None
                try:
                    body = current.body()
                except Exception:
                    if self._stop.is_set():
                        return
                    raise
                following = peek_continue(body)
                if following is not None and not self._stop.is_set():
                    pending = self._start(following)
                yield token, body
                token = following
        finally:
            if pending is not None:
                pending.discard()
