"""Reading the archive as history mode does: the same filters as Query.matches, the
sparkline, namespace counts, totals, paging, cancellation; and HistorySession driving it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.archive import ArchiveHistory, ArchiveWriter
from ktui.explorer.history import HistorySession
from ktui.feeds.errors import SourceError
from ktui.feeds.history import Superseded, choose_interval
from ktui.model.event import Event
from ktui.model.query import Query, parse_query
from ktui.model.timerange import TimeRange
from ktui.sim import SimCluster

from .conftest import NOW, SERVER, Clock, ev, event_of

SPAN = TimeRange.between(NOW - 7200, NOW + 60)


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Event]]:
    """Every scenario's events (hostile and malformed ones included), 2,000 generated
    ones, and a few whose text only Python's case folding matches (the Kelvin sign)."""
    sim = SimCluster(scenario="demo+hostile+malformed", now=lambda: NOW)
    sim.load(2000, namespaces=["test", "payments", "kube-system", "Üml"], span_s=7000)
    events = [event_of(o) for o in sim.events()]
    events += [
        ev("kelvin-1", 1, NOW - 5, reason="\u212aill", type="Warning", ns="payments"),
        ev("kelvin-2", 2, NOW - 6, reason="Kill", ns="payments", kind="\u212anative"),
        ev("case-1", 3, NOW - 7, reason="BACKOFF", type="warning", ns="test"),
        ev("old", 4, NOW - 9000, ns="test"),  # outside the range
    ]
    path = tmp_path_factory.mktemp("archive") / "archive.sqlite3"
    writer = ArchiveWriter(path, clock=Clock()).start()
    writer.recorder(SERVER).changes(events)
    assert writer.close()
    return path, events


@pytest.fixture
def source(archived: tuple[Path, list[Event]]) -> Iterator[ArchiveHistory]:
    history = ArchiveHistory(archived[0], SERVER, context_label="ctx")
    yield history
    history.close()


def in_span(events: list[Event], span: TimeRange = SPAN) -> list[Event]:
    start, end = span.bounds()
    return [e for e in events if start <= e.time <= end]


def newest_first(events: list[Event]) -> list[str]:
    return [e.uid for e in sorted(events, key=lambda e: (e.time, e.uid), reverse=True)]


QUERIES = [
    "",
    "type:Warning",
    "type:warning,normal",
    "-type:Normal",
    "ns:test",
    "-ns:kube-system",
    "reason:BackOff",
    "reason:kill",  # the Kelvin sign folds to k: only Python can tell
    "reason~back|fail",
    "kind:pod name~web",
    "kind:knative",
    "back off",
    "msg~\"no space\"",
    "source:kubelet",
    "host:node-1",
    "uid:kelvin-1,case-1",
    "ctx:ctx",
    "ctx:other",
    "-ctx:other reason:Üml",
    "ns:Üml",
    "action:Binding",
]


@pytest.mark.parametrize("text", QUERIES)
def test_filters_match_query_matches(
    source: ArchiveHistory, archived: tuple[Path, list[Event]], text: str
) -> None:
    query = parse_query(text)
    expected = [e for e in in_span(archived[1]) if query.matches(e.with_context("ctx"))]
    got = [e for batch in source.iter_all(query, SPAN, page_size=700) for e in batch]
    assert [e.uid for e in got] == newest_first(expected)
    if text in ("", "type:Warning", "ns:test", "reason:kill", "back off"):
        assert expected, text  # the dataset exercises these


def test_types_and_namespaces_of_the_sidebar(
    source: ArchiveHistory, archived: tuple[Path, list[Event]]
) -> None:
    query = Query().with_types({"warning"}).with_namespaces({"test", "payments"})
    expected = [e for e in in_span(archived[1]) if query.matches(e)]
    page = source.search(query, SPAN, page_size=10_000)
    assert [e.uid for e in page.events] == newest_first(expected) and expected


def test_the_first_view_counts_like_the_events_it_pages(
    source: ArchiveHistory, archived: tuple[Path, list[Event]]
) -> None:
    query = parse_query("-reason:Pulled back").with_namespaces({"test"})
    page = source.search(query, SPAN, page_size=50, buckets=60)
    matching = [e for e in in_span(archived[1]) if query.matches(e.with_context("ctx"))]
    assert page.total == len(matching) and not page.total_is_lower_bound
    assert len(page.events) == min(50, len(matching))
    histogram = page.histogram
    assert histogram is not None
    start, end = SPAN.bounds()
    assert histogram.interval == choose_interval(end - start, 60)
    assert histogram.bucket_starts[0] <= start < histogram.bucket_starts[0] + histogram.interval
    normal = [0] * len(histogram.normal)
    warning = [0] * len(histogram.warning)
    for e in matching:
        slot = int((e.time - histogram.bucket_starts[0]) // histogram.interval)
        (warning if e.type == "Warning" else normal)[slot] += 1
    assert (histogram.normal, histogram.warning) == (normal, warning)
    # Namespace counts ignore the namespace selection (the sidebar lists the others).
    facet = query.with_namespaces(())
    counts: dict[str, tuple[int, int]] = {}
    for e in in_span(archived[1]):
        if facet.matches(e.with_context("ctx")):
            total, warned = counts.get(e.namespace, (0, 0))
            counts[e.namespace] = (total + 1, warned + (e.type == "Warning"))
    assert page.namespace_counts == counts and len(counts) > 1


def test_paging_reaches_every_event_once_while_new_ones_arrive(
    archived: tuple[Path, list[Event]], tmp_path: Path
) -> None:
    path = tmp_path / "archive.sqlite3"
    writer = ArchiveWriter(path, clock=Clock(), commit_interval=0.05).start()
    recorder = writer.recorder(SERVER)
    recorder.changes(archived[1])
    assert writer.flush(10)
    source = ArchiveHistory(path, SERVER, context_label="ctx")
    page = source.search(Query(), SPAN, page_size=300)
    seen = [e.uid for e in page.events]
    recorder.changes([ev("late", 99, NOW + 30)])  # newer than the first page: not in later ones
    assert writer.flush(10)
    first = page
    while page.cursor is not None:
        page = source.next_page(page)
        seen += [e.uid for e in page.events]
        assert page.total == first.total
    assert seen == newest_first(in_span(archived[1]))
    with pytest.raises(SourceError, match="already followed"):
        source.next_page(first)
    source.close()
    writer.close()


def test_a_newer_search_or_cancel_supersedes_the_pages_of_the_older(
    source: ArchiveHistory,
) -> None:
    page = source.search(Query(), SPAN, page_size=100)
    source.search(Query().with_types({"Warning"}), SPAN, page_size=100)
    with pytest.raises(Superseded):
        source.next_page(page)
    page = source.search(Query(), SPAN, page_size=100)
    source.cancel()
    with pytest.raises(Superseded):
        source.next_page(page)


def test_cancel_stops_a_running_search(source: ArchiveHistory) -> None:
    """A search cancelled from another thread ends with Superseded, whether the interrupt
    lands inside a statement or after it."""
    outcome: list[BaseException] = []

    def search() -> None:
        try:
            source.search(parse_query("msg~(a|b|c)+z"), SPAN, page_size=10_000)
        except BaseException as error:  # the test looks at what it was
            outcome.append(error)

    started = threading.Event()

    def run() -> None:
        started.set()
        search()

    thread = threading.Thread(target=run)
    thread.start()
    started.wait()
    source.cancel()
    thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], Superseded)
    assert source.search(Query(), SPAN, page_size=5).total > 0  # usable afterwards


def test_a_cluster_the_archive_never_saw_is_empty(archived: tuple[Path, list[Event]]) -> None:
    source = ArchiveHistory(archived[0], "https://elsewhere:6443")
    assert not source.known()
    page = source.search(Query(), SPAN)
    assert (page.events, page.total, page.cursor) == ([], 0, None)
    assert page.histogram is not None and sum(page.histogram.normal) == 0
    source.close()


def test_history_session_drives_the_archive_like_opensearch(
    archived: tuple[Path, list[Event]],
) -> None:
    session = HistorySession(lambda: ArchiveHistory(archived[0], SERVER, context_label="ctx"))
    generation = session.begin(Query().with_types({"Warning"}), SPAN)
    answer = session.search(generation, session.query, session.time_range, buckets=60)
    assert answer.error is None and session.take(answer)
    warnings = [e for e in in_span(archived[1]) if e.type.lower() == "warning"]
    assert session.total == len(warnings)
    assert session.histogram is not None
    assert sum(session.histogram.warning) == sum(1 for e in warnings if e.type == "Warning")
    assert len(session.store) == min(500, len(warnings))
    session.close()


def test_a_cluster_recorded_after_the_reader_opened_shows_up(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite3"
    writer = ArchiveWriter(path, clock=Clock(), commit_interval=0.05).start()
    writer.recorder("https://other:6443").changes([ev("elsewhere", 1, NOW)])
    assert writer.flush(10)
    source = ArchiveHistory(path, SERVER)
    assert source.search(Query(), SPAN).total == 0
    writer.tap(SERVER, "ctx").put([ev("here", 2, NOW)])
    assert writer.flush(10)
    assert [e.uid for e in source.search(Query(), SPAN).events] == ["here"]
    source.close()
    assert writer.close()
