"""Listing one scope (all namespaces, or one) of one events API: the paged list a watch
starts from, restarted when its continue token expires, pages checked for shape
(:mod:`ktui.kube.lines`). :class:`Lister` is the part of a :class:`ktui.kube.watch.Worker`
that lists; the module also holds what listing and watching share (settings, callbacks).
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ktui.feeds.errors import Forbidden, SourceError
from ktui.feeds.status import State
from ktui.kube.backoff import Clock, Pause
from ktui.kube.decode import build
from ktui.kube.lines import MalformedAnswer, Page, read_page
from ktui.kube.pager import Pager, Pipeline, peek_continue
from ktui.kube.transport import Connection, HTTPStatusError, Pending
from ktui.model.event import API_CORE, Event
from ktui.model.rawblock import RawPacker
from ktui.model.untrack import collection_paused, untrack

API_PATHS = {API_CORE: "/api/v1", "events.k8s.io/v1": "/apis/events.k8s.io/v1"}

_GZIP = {"Accept-Encoding": "gzip"}


def events_path(api: str, namespace: str | None) -> str:
    prefix = API_PATHS[api]
    return f"{prefix}/namespaces/{namespace}/events" if namespace else f"{prefix}/events"


@dataclass
class WatchSettings:
    """Timeouts and pacing; the defaults are client-go's, tests shrink them."""

    page_size: int = 500
    watch_timeout: tuple[float, float] = (300.0, 600.0)  # server timeoutSeconds range
    stall_timeout: float = 90.0  # no byte for this long = a dead stream (bookmarks come ~1/min)
    backoff_initial: float = 0.8
    backoff_cap: float = 10.0  # see kube.backoff: back within 10 s of the server
    healthy_after: float = 5.0  # a watch that delivered for this long resets the backoff
    short_watch: float = 1.0  # a watch that ends sooner than this with no event failed
    list_timeout: float = 60.0
    # "send": the next page's request goes out before this page is parsed, in the list's
    # own thread (kube_pager.Pipeline); "thread": a helper thread fetches ahead (Pager),
    # which is also what a connection through a proxy uses.
    list_ahead: str = "send"


class ContinueExpired(Exception):
    """A list's continue token expired (410 on a paged request): list from the start."""


# A one-shot list's consumer of raw pages: (namespace or "", api, items, restart) where
# restart means the pages handed over so far for this namespace are void.
PageHook = Callable[[str, str, list[Any], bool], None]
# Callbacks into the owning source: apply changes atomically, report state.
Apply = Callable[["Lister", list[Event], list[Event], bool], None]
Report = Callable[["Lister", State, str, "float | None", "SourceError | None"], None]


@contextlib.contextmanager
def _continue_expiry(token: str | None) -> Iterator[None]:
    """A 410 on a page asked with a continue token: the token expired (list again)."""
    try:
        yield
    except HTTPStatusError as exc:
        if exc.code == 410 and token:
            raise ContinueExpired() from None
        raise


class _PageRequest:
    """One page's request, sent: its body when asked for, or the error of a failed list
    page (410 on a continue token: :class:`ContinueExpired`)."""

    def __init__(self, conn: Connection, pending: Pending, token: str | None) -> None:
        self.conn = conn
        self.pending = pending
        self.token = token

    def body(self) -> bytes:
        response = self.pending.response()
        body = self.conn.read_body(response)
        with _continue_expiry(self.token):
            self.conn.raise_for_status(response, body)
        return body

    def discard(self) -> None:
        self.pending.discard()


class Lister:
    """One scope's list: ``initial_list()`` once (raises), then relists as the watch
    needs them. ``skipped`` counts what the server sent that was not an event."""

    def __init__(
        self,
        conn: Connection,
        *,
        namespace: str | None,
        apis: list[str],
        context: str,
        field_selector: str,
        keep_raw: bool,
        settings: WatchSettings,
        stop: threading.Event,
        apply: Apply,
        report: Report,
        rng: random.Random,
        pause: Pause | None = None,
    ) -> None:
        self.conn = conn
        self.namespace = namespace
        self.apis = apis
        self.api = apis[0]
        self.context = context
        self.field_selector = field_selector
        self.keep_raw = keep_raw
        self.s = settings
        self.stop = stop
        self._apply = apply
        self._report = report
        self.rng = rng
        self.pause = pause or Pause()
        self.clock: Clock = self.pause.clock
        self.delivered = 0  # watch lines handled by the current (or last) watch
        self.skipped = 0  # list items and watch lines that were not events
        self.relists = 0  # lists after the first
        self.resyncs = 0  # states taken by watching instead (see watch.Worker)
        self.streaming: bool | None = None  # the server's streaming list: False if refused
        self.rv: str | None = None
        self.skipped_apis: list[str] = []  # forbidden APIs we fell back from
        self.page_hook: PageHook | None = None
        # this scope's thread alone builds its events: one packer keeps their raw objects
        # in blocks, in arrival order
        self.packer = RawPacker()

    # -- building events ---------------------------------------------------------------

    def _build(self, obj: Mapping[str, Any], raw: bytes | None = None) -> Event:
        return build(obj, self.api, self.context, self.keep_raw, raw, self.packer)

    def _raw(self, line: bytes, kind: str) -> bytes | None:
        """The object's bytes in a watch line ``{"type":"X","object":{...}}``, if that is
        its exact layout (the API server's); None makes the model re-serialise it."""
        if not self.keep_raw:
            return None
        prefix = b'{"type":"' + kind.encode() + b'","object":'
        line = line.rstrip()
        if line.startswith(prefix) and line.endswith(b"}"):
            return line[len(prefix) : -1]
        return None

    # -- listing -----------------------------------------------------------------------

    def initial_list(self) -> None:
        """List with API fallback (403 on one API → the other); raises Forbidden if none."""
        forbidden: Forbidden | None = None
        for api in self.apis:
            self.api = api
            try:
                self._list(initial=True)
            except Forbidden as exc:
                forbidden = forbidden or exc
                self.skipped_apis.append(api)
                continue
            return
        assert forbidden is not None
        raise forbidden

    def _page_request(self, token: str | None) -> tuple[str, dict[str, Any]]:
        params = {
            "limit": self.s.page_size,
            "continue": token,
            "fieldSelector": self.field_selector,
        }
        return events_path(self.api, self.namespace), params

    def _fetch_page(self, token: str | None) -> bytes:
        path, params = self._page_request(token)
        with _continue_expiry(token):
            # gzip as client-go asks: a 20,000-event list is 23 MB of JSON on the wire
            return self.conn.get_json(path, params, read_timeout=self.s.list_timeout, headers=_GZIP)

    def _send_page(self, token: str | None) -> _PageRequest:
        path, params = self._page_request(token)
        pending = self.conn.send(path, params, read_timeout=self.s.list_timeout, headers=_GZIP)
        return _PageRequest(self.conn, pending, token)

    def _pages(self, start: str | None) -> Pipeline | Pager:
        if self.s.list_ahead == "send" and self.conn.can_send_ahead:
            return Pipeline(self._send_page, self.stop, token=start)
        return Pager(self._fetch_page, self.stop, token=start)

    def _list(self, *, initial: bool) -> None:
        """Paged list; the initial one hands over page by page (first rows sooner) and
        keeps nothing, a relist collects its events and replaces the consumer's (for this
        scope) in one reset."""
        # The raw objects are compressed once the list is handed over (RawPacker.hold):
        # a relist's at its end, the initial list's when the source has every scope's.
        self.packer.hold()
        try:
            self._list_pages(initial=initial)
        except BaseException:
            self.packer.release()
            raise
        if not initial:
            self.relists += 1  # before the compression: the consumer has its events already
            self.packer.release()

    def _list_pages(self, *, initial: bool) -> None:
        listed: dict[str, Event] = {}
        streamed = initial
        restarted = True  # a page hook drops what an earlier, failed attempt handed over
        rv = ""
        start: str | None = None
        while not self.stop.is_set():
            try:
                for _token, body in self._pages(start):
                    # A page's objects live until its Events are built: no collection
                    # meanwhile (see collection_paused); the hand-over, which may wait
                    # for room, comes after.
                    with collection_paused():
                        page = self._read_page(body)
                        events = self._build_page(page) if self.page_hook is None else []
                    if self.page_hook is not None:  # one-shot list: the hook builds
                        self.page_hook(self.namespace or "", self.api, page.items, restarted)
                        restarted = False
                    else:
                        if streamed:
                            self._apply(self, events, [], False)
                        else:
                            for event in events:
                                listed[event.uid] = event
                    rv = page.rv
                    start = page.continue_token
                    if start is not None and peek_continue(body) != start:
                        break  # the pager could not see this token: start one from it
                else:
                    break  # every page was read
            except ContinueExpired:
                # The continue token expired: list again from the start; the result
                # replaces the pages already handed over.
                start, listed, streamed, restarted = None, {}, False, True
                self._report(
                    self, State.LISTING, "relisting (list continue token expired)", None, None
                )
        if self.stop.is_set():
            return
        self.rv = rv or None
        if not streamed and self.page_hook is None:
            events, listed = list(listed.values()), {}
            self._apply(self, events, [], True)

    def _build_page(self, page: Page) -> list[Event]:
        raws = page.raws
        events = ([self._build(item, raw) for item, raw in zip(page.items, raws, strict=True)]
                  if raws is not None else [self._build(item) for item in page.items])
        # Kept by the consumer, and never part of a cycle: out of the collector's sight
        # from the start (the store would do it, after they waited in the channel through
        # the young collections that promote them).
        untrack(events)
        return events

    def _read_page(self, body: bytes) -> Page:
        try:
            page = read_page(body, self.keep_raw and self.page_hook is None)
        except MalformedAnswer as exc:
            raise SourceError(
                f"{self.conn.server}: the list answer is {exc}", retryable=True
            ) from None
        self.skipped += page.skipped
        return page
