"""Paged lists fetched one page ahead of the parser.

A 20,000-event list is 40 pages; fetching them strictly in turn leaves the API server idle
while ktui parses a page and ktui idle while the server builds the next. The continue
token sits in the list's ``metadata``, which the API server writes before ``items``, so it
can be read from the head of the body without parsing the whole page, and the next request
can go out at once. If the token cannot be found that way the parser finds it and the
pager starts again from there (correct, only slower).
"""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Callable, Iterator

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
