"""History of several contexts at once, for history mode over a context set.

:class:`ContextHistories` is one :class:`~ktui.feeds.history.HistoryBackend` over one
backend per context (the local archive is kept per cluster): a search asks each and sums
their totals, histograms and namespace counts; a page holds each one's page (newest first
within each), and the next page continues every context that has more. Each backend labels
its events with its context. No Textual here.

(OpenSearch holds every cluster in one index: the timeline feed filters it by the
contexts' cluster names and labels each document with its context instead.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ktui.feeds.history import Histogram, HistoryBackend, HistoryPage
from ktui.model.event import Event
from ktui.model.query import Query
from ktui.model.timerange import TimeRange


@dataclass(frozen=True, slots=True)
class _Cursor:
    pages: dict[str, HistoryPage]  # context -> its page that has a following one


class ContextHistories:
    """Several contexts' history backends as one (``name`` is the first one's)."""

    def __init__(self, backends: Mapping[str, HistoryBackend]) -> None:
        if not backends:
            raise ValueError("no context to read history for")
        self.backends = dict(backends)
        self.name = next(iter(self.backends.values())).name

    @property
    def warning(self) -> str:
        return " · ".join(dict.fromkeys(w for b in self.backends.values() if (w := b.warning)))

    def search(self, query: Query, time_range: TimeRange, *, page_size: int = 500,
               buckets: int = 60) -> HistoryPage:
        pages = {context: backend.search(query, time_range, page_size=page_size,
                                         buckets=buckets)
                 for context, backend in self.backends.items()}
        page = _joined(pages)
        page.total = sum(p.total for p in pages.values())
        page.total_is_lower_bound = any(p.total_is_lower_bound for p in pages.values())
        page.counts_approximate = any(p.counts_approximate for p in pages.values())
        page.histogram = _summed([p.histogram for p in pages.values()])
        counts: dict[str, tuple[int, int]] = {}
        for one in pages.values():
            for namespace, (total, warnings) in one.namespace_counts.items():
                known = counts.get(namespace, (0, 0))
                counts[namespace] = (known[0] + total, known[1] + warnings)
        page.namespace_counts = counts
        return page

    def next_page(self, page: HistoryPage) -> HistoryPage:
        cursor = page.cursor
        if not isinstance(cursor, _Cursor):
            raise ValueError("this page has no following page")
        pages = {context: self.backends[context].next_page(one)
                 for context, one in cursor.pages.items()}
        following = _joined(pages)
        following.total, following.total_is_lower_bound = page.total, page.total_is_lower_bound
        return following

    def iter_all(self, query: Query, time_range: TimeRange, *, page_size: int = 1000,
                 keep_raw: bool = True) -> Iterator[list[Event]]:
        for backend in self.backends.values():
            yield from backend.iter_all(query, time_range, page_size=page_size,
                                        keep_raw=keep_raw)

    def cancel(self) -> None:
        for backend in self.backends.values():
            backend.cancel()

    def close(self) -> None:
        for backend in self.backends.values():
            backend.close()


def _joined(pages: dict[str, HistoryPage]) -> HistoryPage:
    """The contexts' pages as one (their events, each context's cursor kept)."""
    events = [event for page in pages.values() for event in page.events]
    more = {context: page for context, page in pages.items() if page.cursor is not None}
    return HistoryPage(
        events=events, total=0, total_is_lower_bound=False,
        cursor=_Cursor(more) if more else None,
        took_ms=max((page.took_ms for page in pages.values()), default=0.0),
        warning=" · ".join(dict.fromkeys(p.warning for p in pages.values() if p.warning)),
    )


def _summed(histograms: list[Histogram | None]) -> Histogram | None:
    """Bucket-wise sums (the backends align buckets alike for one range and width)."""
    present = [h for h in histograms if h is not None and h.bucket_starts]
    if not present:
        return None
    first = present[0]
    slot = {start: i for i, start in enumerate(first.bucket_starts)}
    normal, warning = list(first.normal), list(first.warning)
    for other in present[1:]:
        for start, n, w in zip(other.bucket_starts, other.normal, other.warning, strict=True):
            i = slot.get(start)
            if i is not None:
                normal[i] += n
                warning[i] += w
    return Histogram(list(first.bucket_starts), first.interval, normal, warning)
