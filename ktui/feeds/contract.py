"""The contract every event source keeps.

A source is synchronous and blocking (the kubernetes client and opensearch-py both
are); whoever runs it puts it in a thread (:mod:`ktui.feeds.runner`). It never imports
textual: the UI and the CLI are its consumers, and both read from a
:class:`~ktui.feeds.channel.BatchChannel`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod

from ktui.feeds.channel import BatchChannel


class EventSource(ABC):
    """One place events come from: a kube context, an OpenSearch index pattern.

    ``run`` blocks until ``stop`` is set, feeding ``channel``; for a one-shot source it
    returns after the first complete result. It never raises for a failure it can retry;
    it reports those through ``channel.set_status``. It raises :class:`SourceError` only
    when it cannot start at all (bad config) and ``fail_fast`` is set.
    """

    @property
    @abstractmethod
    def name(self) -> str:
        """A short label for the header, e.g. the context name or the index pattern."""

    @abstractmethod
    def run(self, channel: BatchChannel, stop: threading.Event) -> None:
        """Produce batches into ``channel`` until ``stop`` is set."""

    @property
    def namespace_scoped(self) -> bool:
        """Whether it reads a set of namespaces rather than the whole cluster (given
        namespaces, or an RBAC fallback): naming other namespaces means watching them."""
        return False

    def retry_now(self) -> None:  # noqa: B027 (optional: a source that waits to retry)
        """End any wait before a retry (the user pressed r)."""

    def interrupt(self) -> None:  # noqa: B027 (optional: most sources need nothing)
        """Wake any blocked read; called by whoever set the stop event."""
