"""Pacing of a live source's retries: the clock, the backoff and the wait between tries.

Every wait of the live source goes through a :class:`Clock` (tests pass one whose time
they move) and a :class:`Pause` (which ``retry_now()`` and a stop cut short).

The backoff is client-go's reflector backoff (0.8 s doubling, with jitter) made for one
interactive client that must be watching again soon after its API server is: the cap is
10 s, so a retry comes at most 10 s after the server is back; the jitter is downward, so
it stays at the cap (at 30 s, client-go's and formerly ours, every retry was exactly
30.0 s); a server that says when to come back (429, or a 5xx with ``Retry-After``) is
believed and does not step the backoff, as client-go's rest client retries those itself;
and a watch that delivered events for a few seconds resets it (not two minutes after the
last failure), so an outage that follows a healthy stretch starts from 0.8 s again.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Protocol

JITTER = 0.25  # each wait is 75-100% of its step
RETRY_AFTER_CAP = 60.0  # a server's Retry-After is believed up to this


class Clock(Protocol):
    """Monotonic seconds, and waiting on a condition for a while by that time."""

    def now(self) -> float: ...

    def wait(self, cond: threading.Condition, done: Callable[[], bool], seconds: float) -> None:
        """With ``cond`` held: return when ``done()`` or after ``seconds`` on this clock."""


class SystemClock:
    """The real one: ``time.monotonic`` and ``Condition.wait_for``."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, cond: threading.Condition, done: Callable[[], bool], seconds: float) -> None:
        cond.wait_for(done, max(0.0, seconds))


SYSTEM_CLOCK = SystemClock()


class Pause:
    """The wait between attempts, shared by a source's watches; :meth:`wake` (retry now,
    or stop) ends every wait in progress at once."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self._cond = threading.Condition()
        self._wakes = 0

    def wake(self) -> None:
        with self._cond:
            self._wakes += 1
            self._cond.notify_all()

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Wait ``seconds`` unless woken or stopped first; True when cut short."""
        with self._cond:
            seen = self._wakes

            def done() -> bool:
                return self._wakes != seen or stop.is_set()

            if not done():
                self.clock.wait(self._cond, done, seconds)
            return done()


class Backoff:
    """The wait before the next attempt after a failure (see the module's docstring)."""

    def __init__(
        self, initial: float, cap: float, rng: random.Random, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.initial = initial
        self.cap = cap
        self.rng = rng
        self.clock = clock
        self.failures = 0

    def failure(self, retry_after: float = 0.0) -> float:
        """The wait after one more failure: ``retry_after`` when the server gave one (the
        count stays), else the next step (0.8 s doubling to the cap) less up to 25%."""
        if retry_after > 0:
            return min(retry_after, RETRY_AFTER_CAP)
        step = min(self.cap, self.initial * (2 ** min(self.failures, 32)))
        self.failures += 1
        return step * (1.0 - JITTER * self.rng.random())

    def reset(self) -> None:
        """Back to the first step (the server has been healthy)."""
        self.failures = 0
