"""Fault injection. Every switch is thread-safe and every firing is counted in ``fired``.

Typical use in a test::

    cluster.faults.drop_watch_after(3)          # next watch: cut after 3 events, mid-line
    cluster.faults.fail_next(2, status=429, retry_after=1, verb="list")
    ...
    assert cluster.faults.fired["drop_watch"] == 1
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Watch lines and list items that are not JSON objects where an object belongs. No API
# server sends them; a broken proxy or a server bug might, and a client must skip them.
ODD_WATCH_LINES: tuple[bytes, ...] = (
    b'{"type":"MODIFIED","object":null}',
    b'{"type":"ADDED","object":["a","list"]}',
    b'{"type":"DELETED","object":"a string"}',
    b'{"type":"BOOKMARK","object":null}',
    b'{"type":"BOOKMARK","object":{"metadata":"not an object"}}',
    b'{"type":"BOOKMARK","object":7}',
)
ODD_LIST_ITEMS: tuple[bytes, ...] = (b"null", b'["a","list"]', b'"a string"', b"7")


@dataclass
class _Failure:
    remaining: int
    status: int
    retry_after: int | None
    path: str | None
    verb: str | None


@dataclass
class _Drop:
    remaining: int
    after: int
    mid_line: bool


@dataclass
class _Stall:
    remaining: int
    seconds: float
    after: int


@dataclass
class _Inject:
    remaining: int
    data: tuple[bytes, ...]


class Faults:
    """Switches read by the server. ``fired`` counts each fault that actually happened.

    Counter keys: ``drop_watch``, ``stall_watch``, ``watch_410_event``, ``watch_410_http``,
    ``http_500``/``http_429`` (by status), ``expired_continue``, ``compact``, ``restart``,
    ``odd_watch_lines``, ``odd_list_items``, ``cut_list``, ``held_list_page``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fired: Counter[str] = Counter()
        #: When a watch asks for a too-old rv: False sends a watch ERROR event (what the
        #: apiserver does), True answers HTTP 410 before the stream starts.
        self.too_old_as_http = False
        self._failures: list[_Failure] = []
        self._drops: list[_Drop] = []
        self._stalls: list[_Stall] = []
        self._gone: list[str] = []
        self._expire_continue = 0
        self._odd_lines: list[_Inject] = []
        self._odd_items: list[_Inject] = []
        self._cuts: list[_Inject] = []
        self._held: threading.Event | None = None
        self._compact: Callable[[], None] | None = None
        self._restart: Callable[[], None] | None = None

    def record(self, name: str) -> None:
        with self._lock:
            self.fired[name] += 1

    # -- switches -------------------------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 500, retry_after: int | None = None,
                  path: str | None = None, verb: str | None = None) -> None:
        """The next ``n`` requests (whose path contains ``path``, whose Kubernetes verb
        or HTTP method is ``verb``) answer ``status`` (500, 429, 503...). For 429 and 503
        ``retry_after`` seconds go in a ``Retry-After`` header (default 1)."""
        if status in (429, 503) and retry_after is None:
            retry_after = 1
        with self._lock:
            self._failures.append(_Failure(n, status, retry_after, path, verb))

    def drop_watch_after(self, n: int, mid_line: bool = True, times: int = 1) -> None:
        """The next ``times`` watch streams are cut after ``n`` events; with ``mid_line``
        half of the next line is sent first. The connection is closed without the final
        chunk, as when a load balancer or the apiserver goes away."""
        with self._lock:
            self._drops.append(_Drop(times, n, mid_line))

    def stall_watch(self, seconds: float, after: int = 0, times: int = 1) -> None:
        """The next ``times`` watch streams go silent (no events, no bookmarks, connection
        open) for ``seconds`` after sending ``after`` events, then carry on."""
        with self._lock:
            self._stalls.append(_Stall(times, seconds, after))

    def gone_next_watch(self, how: str = "event") -> None:
        """The next watch that gives a resourceVersion is refused as too old:
        ``how="event"`` a watch ERROR event with a 410 Status, ``"http"`` an HTTP 410."""
        if how not in ("event", "http"):
            raise ValueError("how must be 'event' or 'http'")
        with self._lock:
            self._gone.append(how)

    def expire_next_continue(self, n: int = 1) -> None:
        """The next ``n`` list requests that carry a continue token answer 410 Expired."""
        with self._lock:
            self._expire_continue += n

    def odd_watch_lines(self, lines: Sequence[bytes] = ODD_WATCH_LINES, times: int = 1) -> None:
        """The next ``times`` watch streams send these lines (default: events and bookmarks
        whose object is null, a list, a string, a number) before their first change."""
        with self._lock:
            self._odd_lines.append(_Inject(times, tuple(lines)))

    def odd_list_items(self, items: Sequence[bytes] = ODD_LIST_ITEMS, times: int = 1) -> None:
        """The next ``times`` list pages carry these JSON values (default: null, a list, a
        string, a number) first among their items."""
        with self._lock:
            self._odd_items.append(_Inject(times, tuple(items)))

    def cut_next_list(self, after: int = 1000, times: int = 1) -> None:
        """The next ``times`` list responses stop after ``after`` bytes of their body and
        the connection closes (Content-Length promised more): an answer interrupted."""
        with self._lock:
            self._cuts.append(_Inject(times, (str(after).encode(),)))

    def hold_list_pages(self) -> threading.Event:
        """List requests with a continue token (every page after the first) wait until
        the returned event is set (a minute at most; ``clear`` sets it): a list that
        stops after its first page, as over a slow link, for as long as a test needs."""
        held = threading.Event()
        with self._lock:
            self._held = held
        return held

    def compact(self) -> None:
        """Compact the history now: any watch resuming from an rv before now gets 410 (the
        current rv, which a list made now returns, can still be watched from)."""
        if self._compact is not None:
            self._compact()
        self.record("compact")

    def restart(self) -> None:
        """Restart the server on the same port (store kept, open watches cut)."""
        if self._restart is not None:
            self._restart()

    def clear(self) -> None:
        """Cancel every pending switch (counters are kept)."""
        with self._lock:
            self._failures.clear()
            self._drops.clear()
            self._stalls.clear()
            self._gone.clear()
            self._expire_continue = 0
            self._odd_lines.clear()
            self._odd_items.clear()
            self._cuts.clear()
            held, self._held = self._held, None
            self.too_old_as_http = False
        if held is not None:
            held.set()

    # -- read by the server -----------------------------------------------------------
    def take_failure(self, path: str, verb: str, method: str) -> tuple[int, int | None] | None:
        with self._lock:
            for f in self._failures:
                if f.path is not None and f.path not in path:
                    continue
                if f.verb is not None and f.verb.lower() not in (verb, method.lower()):
                    continue
                f.remaining -= 1
                if f.remaining <= 0:
                    self._failures.remove(f)
                self.fired[f"http_{f.status}"] += 1
                return f.status, f.retry_after
        return None

    def take_drop(self) -> tuple[int, bool] | None:
        with self._lock:
            if not self._drops:
                return None
            d = self._drops[0]
            d.remaining -= 1
            if d.remaining <= 0:
                self._drops.pop(0)
            return d.after, d.mid_line

    def take_stall(self) -> tuple[float, int] | None:
        with self._lock:
            if not self._stalls:
                return None
            s = self._stalls[0]
            s.remaining -= 1
            if s.remaining <= 0:
                self._stalls.pop(0)
            return s.seconds, s.after

    def take_gone(self) -> str | None:
        with self._lock:
            return self._gone.pop(0) if self._gone else None

    def take_expired_continue(self) -> bool:
        with self._lock:
            if self._expire_continue <= 0:
                return False
            self._expire_continue -= 1
            self.fired["expired_continue"] += 1
            return True

    def _take(self, queue: list[_Inject], name: str) -> tuple[bytes, ...]:
        with self._lock:
            if not queue:
                return ()
            item = queue[0]
            item.remaining -= 1
            if item.remaining <= 0:
                queue.pop(0)
            self.fired[name] += 1
            return item.data

    def take_odd_watch_lines(self) -> tuple[bytes, ...]:
        return self._take(self._odd_lines, "odd_watch_lines")

    def take_odd_list_items(self) -> tuple[bytes, ...]:
        return self._take(self._odd_items, "odd_list_items")

    def wait_held_list_page(self) -> None:
        """Called before a continued list page is served: waits while pages are held."""
        with self._lock:
            held = self._held
        if held is not None and not held.is_set():
            self.record("held_list_page")
            held.wait(60)

    def take_list_cut(self) -> int | None:
        """Bytes of body to send before cutting this list response, or None."""
        data = self._take(self._cuts, "cut_list")
        return int(data[0]) if data else None
