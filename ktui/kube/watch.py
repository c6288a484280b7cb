"""List and watch one scope (all namespaces, or one) of one events API, by the rules.

The rules (see docs/reference kubernetes-events.md): upsert by uid; track the
resourceVersion of every event and BOOKMARK; paged initial list, restarted when its
continue token expires; watch from the list's RV; on HTTP 410 or an ERROR 410 event,
relist and replace the store, or, when the watch right after a list met the 410, take
the state by watching (see Worker); a random server timeout of 5-10 minutes plus a client read
timeout that notices a stalled stream; a watch that ends within 1 s with nothing counts as
a failure; back off 0.8 s doubling to 10 s with jitter, reset by a watch that delivered
for a few seconds; a 429 or 5xx with Retry-After waits that long (kube.backoff); a
refused connection re-watches from the last RV.
"""

from __future__ import annotations

from typing import Any

from ktui.feeds.errors import Forbidden, SourceError, Unauthorized, Unreachable
from ktui.feeds.status import State
from ktui.kube.backoff import Backoff
from ktui.kube.lines import Lines, read_lines
from ktui.kube.listing import (
    API_PATHS,
    Apply,
    ContinueExpired,
    Lister,
    PageHook,
    Report,
    WatchSettings,
    events_path,
)
from ktui.kube.transport import HTTPStatusError, Interrupted, describe_network_error
from ktui.model.event import Event

__all__ = ["API_PATHS", "Apply", "ContinueExpired", "Gone", "PageHook", "Report",
           "StreamFailed", "WatchSettings", "Worker", "events_path", "server_delay"]

MAX_LINE = 64 << 20


def server_delay(exc: SourceError) -> float:
    """The Retry-After of a 429 or 5xx answer (0 when there is none)."""
    return exc.retry_after if isinstance(exc, HTTPStatusError) and exc.retryable else 0.0


class Gone(Exception):
    """The resourceVersion is too old (HTTP 410 or an ERROR 410 event): relist."""


class StreamFailed(Exception):
    """The stream ended badly; ``text`` is what the status line says."""

    def __init__(self, text: str, *, error: SourceError | None = None, delay: float = 0.0) -> None:
        super().__init__(text)
        self.text = text
        self.error = error
        self.delay = delay


class Worker(Lister):
    """One scope: ``initial_list()`` once (raises), then ``follow()`` until stopped.

    After a 410 on the watch that follows a list (the list took longer to read than the
    server keeps resourceVersions for watches, as under a storm), listing again would
    only meet the same 410. The state is then taken by watching instead: a streaming list
    (``sendInitialEvents``) where the server has one, else a watch without
    resourceVersion, whose first events are the current state. It is complete at the
    first bookmark (the one annotated ``k8s.io/initial-events-end`` for a streaming list)
    and replaces the consumer's then, as a relist's does; the same stream goes on.
    """

    _relist_reason = ""
    _by_watch = False  # take the state by watching (see the class)
    _after_list = True  # no watch has delivered since the last list
    _resync: dict[str, Event] | None = None  # the state, while it streams in

    # -- following ---------------------------------------------------------------------

    def follow(self) -> None:
        """Watch (relisting when needed) until stopped. Never raises: what nothing here
        foresaw (a bug, input of a shape no server sends) is reported, and a relist
        follows after a backoff, as after a failed watch."""
        backoff = Backoff(self.s.backoff_initial, self.s.backoff_cap, self.rng, self.clock)
        while not self.stop.is_set():
            try:
                self._step(backoff)
            except Exception as exc:  # the feed must not die of it
                if self.stop.is_set():
                    return
                self._relist_reason = "relisting (after an unexpected error)"
                self._by_watch = False
                what = f"{type(exc).__name__}: {exc}"[:200]
                self._fail(backoff, f"reconnecting (unexpected error: {what})", None)

    def _step(self, backoff: Backoff) -> None:
        """One list (when needed) and one watch, with what their failures call for."""
        if not self._by_watch and (self.rv is None or self._relist_reason):
            self._report(self, State.LISTING, self._relist_reason or "listing", None, None)
            try:
                self._list(initial=False)
            except SourceError as exc:
                self._fail(backoff, self._describe(exc), exc, server_delay(exc))
                return
            self._relist_reason, self._after_list = "", True
        started = self.clock.now()
        try:
            received = self._watch_once(initial=self._by_watch)
        except Gone:
            if self._by_watch or (self._after_list and not self.delivered):
                self._by_watch = True  # listing again would meet the same 410
            else:
                self._relist_reason = "relisting (resource version too old)"
            return
        except StreamFailed as exc:
            self._healthy(backoff, started)
            self._fail(backoff, exc.text, exc.error, exc.delay)
            return
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
        if isinstance(exc, Interrupted):
            return f"reconnecting (answer interrupted: {exc.message.rsplit(': ', 1)[-1]})"
        if isinstance(exc, Unreachable):
            return f"reconnecting ({exc.message.rsplit(': ', 1)[-1]})"
        if isinstance(exc, Unauthorized | Forbidden):
            return str(exc)
        return f"reconnecting ({exc.message})"

    def _open_watch(self, initial: bool) -> Any:
        """The watch request: from ``self.rv``, or (``initial``) for the current state."""
        params = {
            "watch": "true",
            "allowWatchBookmarks": "true",
            "resourceVersion": None if initial else self.rv,
            "timeoutSeconds": int(self.rng.uniform(*self.s.watch_timeout)),
            "fieldSelector": self.field_selector,
        }
        streaming = initial and self.streaming is not False
        if streaming:
            params.update(sendInitialEvents="true", resourceVersionMatch="NotOlderThan")
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
                if streaming and exc.code in (400, 422):
                    # no streaming list here (the WatchList feature is off): a plain watch
                    self.streaming = False
                    return self._open_watch(initial)
                delay = server_delay(exc)
                raise StreamFailed(self._describe(exc), error=exc, delay=delay) from None
            except SourceError as exc:
                raise StreamFailed(self._describe(exc), error=exc) from None
        return response

    def _watch_once(self, initial: bool = False) -> int:
        """One watch request; returns the number of events received when it ends cleanly.
        ``initial``: it begins with the current state (see the class)."""
        response = self._open_watch(initial)
        self.conn.track(response)
        if initial:
            self._resync = {}
            self._report(self, State.LISTING, "relisting by watching (the list was older "
                         "than the server's watch window)", None, None)
        else:
            self._resync = None
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
                if received and self._resync is None:
                    self._after_list = False  # this watch is past the list's rv
            return received
        finally:
            self.conn.untrack(response)
            response.close()

    def _handle(self, lines: list[bytes]) -> int:
        """Apply a chunk of watch lines as one batch; return how many events (bookmarks
        included, as client-go counts them for its short-watch rule) it held."""
        count = 0
        state = self._resync
        if state is not None:  # the current state, streaming in: collected
            got = read_lines(lines, self._build, self._raw, until_bookmark=True)
            self.skipped += got.skipped
            count += got.events
            for event in got.upserts:
                state[event.uid] = event
            for event in got.deleted:
                state.pop(event.uid, None)
            self._raise_for(got)
            if not got.bookmarks:
                return count
            # complete: it replaces the consumer's, as a relist does; the stream goes on
            self._resync = None
            self._by_watch = self._after_list = False
            self.rv = got.bookmark_rv or None
            self.resyncs += 1
            self._apply(self, list(state.values()), [], True)
            self._report(self, State.WATCHING, "watching", None, None)
            lines = lines[got.read :]
        got = read_lines(lines, self._build, self._raw)
        self.skipped += got.skipped
        if got.upserts or got.deleted:
            self._apply(self, got.upserts, got.deleted, False)
        self.rv = got.rv or self.rv
        self._raise_for(got)
        return count + got.events

    @staticmethod
    def _raise_for(got: Lines) -> None:
        if got.gone:
            raise Gone()
        if got.error is not None:
            raise StreamFailed(got.error.strip())
