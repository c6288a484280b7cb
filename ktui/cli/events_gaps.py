"""``ktui events --watch`` on stderr: when the watch goes down, when it is back, and what
the server sent that was skipped. The status texts may quote the server: escaped, on one
line."""

from __future__ import annotations

import sys
import time

from ktui.feeds.status import SourceStatus, State
from ktui.model.safe_text import one_line


class Gaps:
    """Says on stderr when the watch, once the listing is printed, goes down (and why)
    and when it is back: a consumer of ``ktui events -w`` would otherwise take silence
    for a quiet cluster. Also what the server sent that was skipped."""

    def __init__(self, context: str = "") -> None:
        # With several contexts each has its own Gaps, and every line names its context.
        self._prefix = f"ktui: context {one_line(context, 120)}: " if context else "ktui: "
        self.down = False
        self._shown = ""  # the state of the last line printed
        self._since = 0.0
        self._skipped = 0

    def skipped(self, total: int) -> None:
        """Say how many things the server sent were skipped as not events, when more were."""
        if total > self._skipped:
            print(f"{self._prefix}note: skipped {total - self._skipped} item(s) from the "
                  "server that are not event objects (null, a list, a string...)", file=sys.stderr,
                  flush=True)
            self._skipped = total

    def see(self, status: SourceStatus | None) -> None:
        if status is None:
            return
        state = status.state
        if state == State.WATCHING:
            if self.down:
                took = time.monotonic() - self._since
                print(f"{self._prefix}watching again (down {took:.0f} s)", file=sys.stderr,
                      flush=True)
            self.down, self._shown = False, ""
        elif state in (State.RECONNECTING, State.LISTING, State.ERROR):
            if not self.down:
                self._since = time.monotonic()
            self.down = True
            if state != self._shown:  # not each retry: each kind of trouble
                text = one_line(status.text, 300)
                print(f"{self._prefix}watch down: {text}", file=sys.stderr, flush=True)
                self._shown = state
