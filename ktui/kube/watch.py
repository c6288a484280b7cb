"""List and watch one scope (all namespaces, or one) of one events API, by the rules.

The rules (see docs/reference kubernetes-events.md): upsert by uid; track the
resourceVersion of every event and BOOKMARK; paged initial list, restarted when its
continue token expires; watch from the list's RV; on HTTP 410 or an ERROR 410 event,
relist and replace the store; a random server timeout of 5-10 minutes plus a client read
timeout that notices a stalled stream; a watch that ends within 1 s with nothing counts as
a failure; back off 0.8 s doubling to 10 s with jitter, reset by a watch that delivered
for a few seconds; a 429 or 5xx with Retry-After waits that long (kube_backoff); a
refused connection re-watches from the last RV.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ktui.feeds.errors import Forbidden, SourceError, Unauthorized, Unreachable
from ktui.feeds.status import State
from ktui.kube.backoff import Backoff, Clock, Pause
from ktui.kube.decode import build, split_list
from ktui.kube.pager import Pager, Pipeline, peek_continue
from ktui.kube.transport import Connection, HTTPStatusError, Pending, describe_network_error
from ktui.model.event import API_CORE, Event

API_PATHS = {API_CORE: "/api/v1", "events.k8s.io/v1": "/apis/events.k8s.io/v1"}

_loads = json.loads
MAX_LINE = 64 << 20
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
    backoff_cap: float = 10.0  # see kube_backoff: back within 10 s of the server
    healthy_after: float = 5.0  # a watch that delivered for this long resets the backoff
    short_watch: float = 1.0  # a watch that ends sooner than this with no event failed
    list_timeout: float = 60.0
    # "send": the next page's request goes out before this page is parsed, in the list's
    # own thread (kube_pager.Pipeline); "thread": a helper thread fetches ahead (Pager),
    # which is also what a connection through a proxy uses.
    list_ahead: str = "send"


def server_delay(exc: SourceError) -> float:
    """The Retry-After of a 429 or 5xx answer (0 when there is none)."""
    return exc.retry_after if isinstance(exc, HTTPStatusError) and exc.retryable else 0.0


class Gone(Exception):
    """The resourceVersion is too old (HTTP 410 or an ERROR 410 event): relist."""


class ContinueExpired(Exception):
    """A list's continue token expired (410 on a paged request): list from the start."""


class StreamFailed(Exception):
    """The stream ended badly; ``text`` is what the status line says."""

    def __init__(self, text: str, *, error: SourceError | None = None, delay: float = 0.0) -> None:
        super().__init__(text)
        self.text = text
        self.error = error
        self.delay = delay


# A one-shot list's consumer of raw pages: (namespace or "", api, items, restart) where
# restart means the pages handed over so far for this namespace are void.
PageHook = Callable[[str, str, list[Any], bool], None]
# Callbacks into the owning source: apply changes atomically, report state.
Apply = Callable[["Worker", list[Event], list[Event], bool], None]
Report = Callable[["Worker", State, str, "float | None", "SourceError | None"], None]


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


class Worker:
    """One scope: ``initial_list()`` once (raises), then ``follow()`` until stopped."""

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
        self.rv: str | None = None
        self.skipped_apis: list[str] = []  # forbidden APIs we fell back from
        self.page_hook: PageHook | None = None

    # -- building events ---------------------------------------------------------------

    def _build(self, obj: Mapping[str, Any], raw: bytes | None = None) -> Event:
        return build(obj, self.api, self.context, self.keep_raw, raw)

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
        listed: dict[str, Event] = {}
        streamed = initial
        restarted = True  # a page hook drops what an earlier, failed attempt handed over
        rv = ""
        start: str | None = None
        while not self.stop.is_set():
            try:
                for _token, body in self._pages(start):
                    pairs = None
                    if self.keep_raw and self.page_hook is None:
                        try:  # each item with its own bytes: compressed as they came
                            data, pairs = split_list(body)
                        except ValueError:
                            pass
                    if pairs is None:
                        data = _loads(body)
                    items = data.get("items") or []
                    if self.page_hook is not None:  # one-shot list: the hook builds
                        self.page_hook(self.namespace or "", self.api, items, restarted)
                        restarted = False
                    else:
                        page = ([self._build(item, raw) for item, raw in pairs]
                                if pairs is not None else [self._build(item) for item in items])
                        if streamed:
                            self._apply(self, page, [], False)
                        else:
                            for event in page:
                                listed[event.uid] = event
                    meta = data.get("metadata") or {}
                    rv = str(meta.get("resourceVersion") or "")
                    start = meta.get("continue") or None
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

    # -- following ---------------------------------------------------------------------

    def follow(self) -> None:
        """Watch (relisting when needed) until stopped; never raises for what it can retry."""
        backoff = Backoff(self.s.backoff_initial, self.s.backoff_cap, self.rng, self.clock)
        relist_reason = ""
        while not self.stop.is_set():
            if self.rv is None or relist_reason:
                self._report(self, State.LISTING, relist_reason or "listing", None, None)
                try:
                    self._list(initial=False)
                    relist_reason = ""
                except SourceError as exc:
                    self._fail(backoff, self._describe(exc), exc, server_delay(exc))
                    continue
            started = self.clock.now()
            try:
                received = self._watch_once()
            except Gone:
                relist_reason = "relisting (resource version too old)"
                continue
            except StreamFailed as exc:
                self._healthy(backoff, started)
                self._fail(backoff, exc.text, exc.error, exc.delay)
                continue
            if self.stop.is_set():
                return
            self._healthy(backoff, started)
            if received == 0 and self.clock.now() - started < self.s.short_watch:
                self._fail(backoff, "reconnecting (watch closed at once)", None)

    def _healthy(self, backoff: Backoff, started: float) -> None:
        """A watch that delivered for a few seconds: the server is well, back off afresh."""
        if self.delivered and self.clock.now() - started >= self.s.healthy_after:
            backoff.reset()

    def _fail(
        self, backoff: Backoff, text: str, error: SourceError | None, retry_after: float = 0.0
    ) -> None:
        wait = backoff.failure(retry_after)
        state = State.ERROR if isinstance(error, Unauthorized | Forbidden) else State.RECONNECTING
        self._report(self, state, text, self.clock.now() + wait, error)
        self.pause.sleep(wait, self.stop)

    def _describe(self, exc: SourceError) -> str:
        if isinstance(exc, HTTPStatusError) and exc.code == 429:
            return "throttled by the server (429)"
        if isinstance(exc, Unreachable):
            return f"reconnecting ({exc.message.rsplit(': ', 1)[-1]})"
        if isinstance(exc, Unauthorized | Forbidden):
            return str(exc)
        return f"reconnecting ({exc.message})"

    def _open_watch(self) -> Any:
        params = {
            "watch": "true",
            "allowWatchBookmarks": "true",
            "resourceVersion": self.rv,
            "timeoutSeconds": int(self.rng.uniform(*self.s.watch_timeout)),
            "fieldSelector": self.field_selector,
        }
        try:
            response = self.conn.open(
                events_path(self.api, self.namespace), params, read_timeout=self.s.stall_timeout
            )
        except SourceError as exc:
            raise StreamFailed(self._describe(exc), error=exc) from None
        if response.status != 200:
            try:
                body = self.conn.read_body(response)
                self.conn.raise_for_status(response, body)
            except HTTPStatusError as exc:
                if exc.code == 410:
                    raise Gone() from None
                delay = server_delay(exc)
                raise StreamFailed(self._describe(exc), error=exc, delay=delay) from None
            except SourceError as exc:
                raise StreamFailed(self._describe(exc), error=exc) from None
        return response

    def _watch_once(self) -> int:
        """One watch request; returns the number of events received when it ends cleanly."""
        response = self._open_watch()
        self.conn.track(response)
        self._report(self, State.WATCHING, "watching", None, None)
        received = self.delivered = 0
        pending = b""
        try:
            while not self.stop.is_set():
                try:
                    data = response.read1(1 << 16)
                except Exception as exc:  # urllib3/http.client/ssl raise many kinds
                    if self.stop.is_set():
                        return received
                    what = describe_network_error(exc)
                    text = "stream stalled" if what == "timed out" else what
                    raise StreamFailed(f"reconnecting ({text})") from None
                if not data:
                    return received
                lines = (pending + data).split(b"\n")
                pending = lines.pop()
                if len(pending) > MAX_LINE:  # no event is that big: a broken stream
                    raise StreamFailed("reconnecting (a watch line over 64 MB)")
                received += self._handle(lines)
                self.delivered = received
            return received
        finally:
            self.conn.untrack(response)
            response.close()

    def _handle(self, lines: list[bytes]) -> int:
        """Apply a chunk of watch lines as one batch; return how many events (bookmarks
        included, as client-go counts them for its short-watch rule) it held."""
        upserts: list[Event] = []
        deleted: list[Event] = []
        error: StreamFailed | None = None
        gone = False
        bookmarks = 0
        for line in lines:
            if not line.strip():
                continue
            try:
                message = _loads(line)
                kind = message["type"]
                obj = message["object"]
            except (ValueError, KeyError, TypeError):
                continue  # one odd line must not kill the stream
            if kind == "ADDED" or kind == "MODIFIED":
                event = self._build(obj, self._raw(line, kind))
                upserts.append(event)
                self.rv = event.resource_version or self.rv
            elif kind == "DELETED":
                event = self._build(obj, self._raw(line, kind)).as_expired()
                deleted.append(event)
                self.rv = event.resource_version or self.rv
            elif kind == "BOOKMARK":
                rv = (obj.get("metadata") or {}).get("resourceVersion")
                self.rv = str(rv) if rv else self.rv
                bookmarks += 1
            elif kind == "ERROR":
                code = obj.get("code") if isinstance(obj, dict) else None
                if code == 410:
                    gone = True
                else:
                    message_text = obj.get("message", "") if isinstance(obj, dict) else ""
                    error = StreamFailed(f"watch error {code}: {message_text}".strip())
                break
        if upserts or deleted:
            self._apply(self, upserts, deleted, False)
        if gone:
            raise Gone()
        if error is not None:
            raise error
        return len(upserts) + len(deleted) + bookmarks
