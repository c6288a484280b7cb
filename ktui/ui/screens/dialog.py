"""The base of every ktui modal: once it is dismissing, further input does nothing.

A terminal delivers a double Enter (or a paste ending in newlines) as keys queued back
to back, so a dialog can receive its Submitted/Selected message twice. Textual's
``dismiss`` pops whatever screen is on top: a second call pops the screen underneath
(the views list under a rename prompt), or raises ``ScreenStackError`` when only the
explorer is left, which ends the session. It also runs the result callback again (a view
saved twice, a replace question for the view just saved).
"""

from __future__ import annotations

from typing import TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class Dialog(ModalScreen[ResultType]):
    """A modal that dismisses at most once; handlers check :attr:`dismissing` first."""

    _dismissing = False

    @property
    def dismissing(self) -> bool:
        """True from the first dismiss on: input that is still queued is ignored."""
        return self._dismissing

    def dismiss(self, result: ResultType | None = None) -> AwaitComplete:
        # Only the topmost screen may pop itself: Textual would pop the one above it.
        if self._dismissing or not self.is_attached or self.app.screen is not self:
            return AwaitComplete.nothing()
        self._dismissing = True
        return super().dismiss(result)
