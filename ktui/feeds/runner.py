"""The one way a source runs: in a daemon thread, feeding a channel, stoppable at once.

The TUI's live sessions and ``ktui events`` both run their source through a
:class:`FeedRunner`. A source reports the failures it can retry as statuses and raises
:class:`~ktui.feeds.errors.SourceError` only when it cannot start; anything else it raises
is a bug in a feed. A watching feed must not die of one: the runner reports it and starts
a fresh source after a backoff, as a watch does after a dropped connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ktui.feeds.channel import BatchChannel
from ktui.feeds.contract import EventSource
from ktui.feeds.errors import SourceError
from ktui.feeds.status import SourceStatus, State

RESTART_INITIAL = 1.0  # s: the first wait after a feed failed unexpectedly
RESTART_CAP = 10.0  # s: as the watch's own backoff cap
RESTART_RESET_AFTER = 30.0  # s: a run that lasted this long starts the backoff over


class FeedRunner:
    """Runs the source ``make_source`` builds in a daemon thread until :meth:`stop`.

    Building happens in the thread too, so a slow client import or kubeconfig read never
    blocks the caller. ``restart``: after an unexpected exception, report it and run a new
    source after a backoff (for watching feeds); otherwise end with an ERROR status.
    ``clock`` is injectable for tests; waits are on the stop event, so ``stop()`` is prompt.
    """

    def __init__(
        self,
        make_source: Callable[[], EventSource],
        channel: BatchChannel,
        *,
        name: str = "feed",
        restart: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.make_source = make_source
        self.channel = channel
        self.restart = restart
        self.clock = clock
        self.source: EventSource | None = None
        self.error: BaseException | None = None  # what ended the feed, if anything did
        self.restarts = 0
        self.stop_event = threading.Event()
        self._wake = threading.Event()  # ends a restart's wait: stop() or retry_now()
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"ktui-{name}")

    def start(self) -> FeedRunner:
        self.thread.start()
        return self

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def _run(self) -> None:
        delay = RESTART_INITIAL
        while not self.stop_event.is_set():
            started = self.clock()
            try:
                self.source = self.make_source()
                self.source.run(self.channel, self.stop_event)
                return
            except SourceError as exc:  # cannot start at all: already a status, or now one
                self.error = exc
                self.channel.set_status(SourceStatus(State.ERROR, str(exc), error=exc))
                return
            except Exception as exc:  # a bug in a feed: say so, and (watching) start over
                what = f"internal error: {type(exc).__name__}: {exc}"
                if not self.restart:
                    self.error = exc
                    self.channel.set_status(SourceStatus(State.ERROR, what))
                    return
            if self.clock() - started >= RESTART_RESET_AFTER:
                delay = RESTART_INITIAL
            self.restarts += 1
            retry_at = time.monotonic() + delay
            self.channel.set_status(
                SourceStatus(State.RECONNECTING, f"{what}; restarting", retry_at)
            )
            self._wake.wait(delay)
            self._wake.clear()
            delay = min(delay * 2, RESTART_CAP)

    def retry_now(self) -> None:
        """Retry at once: end the source's backoff wait, or the runner's own."""
        self._wake.set()
        source = self.source
        if source is not None:
            source.retry_now()

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop the source; True if its thread ended within ``timeout`` seconds."""
        self.stop_event.set()
        self._wake.set()
        source = self.source
        if source is not None:
            source.interrupt()
        self.channel.close()  # a producer blocked on a full channel must not wait for us
        if timeout and self.thread.ident is not None:
            self.thread.join(timeout)
        return not self.thread.is_alive()
