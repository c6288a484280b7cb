"""Answers of the wrong shape and busy clusters (issue 10, item 7; item 9's OpenSearch line).

Every answer starts as osmem-server's real one; :class:`FrontProxy` rewrites it into a
shape OpenSearch never sends (a number, ``hits`` that is not a list, garbage ``sort``),
or answers 429/5xx for chosen requests. What must hold: one ``SourceError`` line, never
another exception or an endless loop; the history view ends in an error status, not a
spinner; a busy cluster is waited for (``Retry-After`` when it says so) instead of the
export being aborted; a pattern on a text-only field is refused, not answered with 0.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import helpers

from ktui.cli import main
from ktui.explorer.history import HistorySession
from ktui.explorer.history_feed import HistoryFeed
from ktui.feeds.errors import SourceError
from ktui.feeds.status import State
from ktui.model.query import Query, parse_query
from ktui.model.timerange import TimeRange
from ktui.opensearch.client import parse_retry_after
from ktui.opensearch.errors import Overloaded, RetryPolicy
from ktui.opensearch.regex import UnsupportedRegex
from ktui.opensearch.shape import MalformedAnswer
from ktui.opensearch.source import HistorySource

from .conftest import Backend, Dataset
from .proxy import Failure, FrontProxy, Rewrite

SINGLE = "eks-kubernetes-events*"
WHOLE_DATASET = ("--from", "2026-11-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z")


def everything(dataset: Dataset) -> TimeRange:
    return TimeRange.between(dataset.start - 86400, dataset.end + 86400)


class Sleeps:
    """The injectable sleep: records each pause instead of taking it."""

    def __init__(self) -> None:
        self.taken: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def via(proxy: FrontProxy, backend: Backend, sleeps: Sleeps, index: str = SINGLE,
        **overrides: Any) -> HistorySource:
    return HistorySource(backend.config(index, url=proxy.url, **overrides), sleep=sleeps)


# -- rewrites: each takes the server's JSON and returns what to send instead -------------


def on_msearch(change: Callable[[Any], Any]) -> Rewrite:
    def rewrite(method: str, path: str, answer: Any, request: bytes | None) -> Any:
        return change(copy.deepcopy(answer)) if "_msearch" in path else answer

    return rewrite


def on_searches(change: Callable[[dict[str, Any]], Any]) -> Rewrite:
    """Change each search answer (with hits) of an _msearch."""
    def each(answer: Any) -> Any:
        answer["responses"] = [change(item) if "hits" in item and item["hits"]["hits"]
                               else item for item in answer["responses"]]
        return answer

    return on_msearch(each)


def on_hits(change: Callable[[dict[str, Any]], None]) -> Rewrite:
    def each(item: dict[str, Any]) -> dict[str, Any]:
        for hit in item["hits"]["hits"]:
            change(hit)
        return item

    return on_searches(each)


def setting(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda hit: hit.__setitem__(key, value)


def item_setting(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], Any]:
    def change(item: dict[str, Any]) -> dict[str, Any]:
        node = item
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        return item

    return change


def summary_setting(path: tuple[str, ...], value: Any) -> Rewrite:
    """Change the first view's aggregation answer (the one with aggregations)."""
    def each(answer: Any) -> Any:
        for item in answer["responses"]:
            if "aggregations" in item:
                item_setting(path, value)(item)
        return answer

    return on_msearch(each)


MALFORMED = {
    "a number": on_msearch(lambda answer: 42),
    "responses a string": on_msearch(lambda answer: {"responses": "nope"}),
    "a response a number": on_msearch(
        lambda answer: {"responses": [7 for _ in answer["responses"]]}),
    "hits a number": on_searches(item_setting(("hits",), 5)),
    "hits.hits an object": on_searches(item_setting(("hits", "hits"), {"x": 1})),
    "a hit a string": on_searches(item_setting(("hits", "hits"), ["x"])),
    "sort a string": on_hits(setting("sort", "garbage")),
    "sort too short": on_hits(setting("sort", [])),
    "sort of objects": on_hits(lambda hit: hit.__setitem__("sort", [{} for _ in hit["sort"]])),
    "sort time a word": on_hits(lambda hit: hit["sort"].__setitem__(0, "yesterday")),
    "hits.total a word": on_searches(item_setting(("hits", "total"), "lots")),
    "aggregations a list": summary_setting(("aggregations",), []),
    "a bucket key a word": summary_setting(
        ("aggregations", "matched", "lane0", "h", "buckets"), [{"key": "x", "doc_count": 1}]),
    "a negative count": summary_setting(("aggregations", "matched", "doc_count"), -3),
    "namespace buckets a number": summary_setting(
        ("aggregations", "namespaces", "buckets"), 3),
}


@pytest.mark.parametrize("shape", sorted(MALFORMED))
def test_a_malformed_first_view_is_one_error_line(
    backend: Backend, dataset: Dataset, sleeps: Sleeps, shape: str
) -> None:
    with FrontProxy(backend.url, rewrite=MALFORMED[shape]) as proxy:
        source = via(proxy, backend, sleeps)
        try:
            with pytest.raises(SourceError) as caught:
                source.search(Query(), everything(dataset), page_size=100, buckets=60)
        finally:
            source.close()
    text = str(caught.value)
    assert "\n" not in text and len(text) < 300, text
    assert isinstance(caught.value, MalformedAnswer) or "incompletely" in text, text
    assert sleeps.taken == []  # a malformed answer is not retried


@pytest.mark.parametrize("shape", ["sort a string", "sort too short", "hits.hits an object",
                                   "a number"])
def test_a_malformed_page_ends_the_export_instead_of_looping(
    backend: Backend, dataset: Dataset, sleeps: Sleeps, shape: str
) -> None:
    """Paging used to skip hits without usable sort values and ask for the same page
    again, forever; now the page is refused."""
    with FrontProxy(backend.url) as proxy:
        source = via(proxy, backend, sleeps)
        pages = source.iter_all(Query(), everything(dataset), page_size=500, keep_raw=False)
        try:
            assert len(next(pages)) == 500
            proxy.rewrite = MALFORMED[shape]
            with pytest.raises(SourceError) as caught:
                for _ in pages:
                    pass
        finally:
            source.close()
    assert isinstance(caught.value, MalformedAnswer) or "incompletely" in str(caught.value)


def test_a_page_that_does_not_continue_is_refused(
    backend: Backend, dataset: Dataset, sleeps: Sleeps
) -> None:
    """A server (or proxy) that ignores search_after hands out each lane's first page
    again."""
    first: dict[str, Any] = {}  # a lane's search without its search_after -> first answer

    def replay(method: str, path: str, answer: Any, request: bytes | None) -> Any:
        if "_msearch" not in path or request is None:
            return answer
        searches = [json.loads(line) for line in request.decode().splitlines() if line][1::2]
        for position, search in enumerate(searches):
            search.pop("search_after", None)
            key = json.dumps(search, sort_keys=True)
            first.setdefault(key, answer["responses"][position])
            answer["responses"][position] = first[key]
        return answer

    with FrontProxy(backend.url, rewrite=replay) as proxy:
        source = via(proxy, backend, sleeps, use_pit=False)
        try:
            with pytest.raises(MalformedAnswer, match="did not continue"):
                for _ in source.iter_all(Query(), everything(dataset), page_size=500):
                    pass
        finally:
            source.close()


def test_a_malformed_mapping_or_pit_is_one_error_line(
    backend: Backend, dataset: Dataset, sleeps: Sleeps
) -> None:
    def mapping(method: str, path: str, answer: Any, request: bytes | None) -> Any:
        return [1, 2] if "_mapping" in path else answer

    def pit(method: str, path: str, answer: Any, request: bytes | None) -> Any:
        return {"pit_id": 12} if "point_in_time" in path else answer

    with FrontProxy(backend.url, rewrite=mapping) as proxy:
        source = via(proxy, backend, sleeps)
        with pytest.raises(MalformedAnswer, match="the mapping is"):
            source.search(Query(), everything(dataset))
        source.close()
    with FrontProxy(backend.url, rewrite=pit) as proxy:
        source = via(proxy, backend, sleeps)
        with pytest.raises(MalformedAnswer, match="point in time's id"):
            list(source.iter_all(Query(), everything(dataset), page_size=500))
        source.close()


def test_the_cli_prints_one_line_not_a_traceback(
    backend: Backend, dataset: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path))
    for shape in ("a number", "hits.hits an object", "sort a string"):
        with FrontProxy(backend.url, rewrite=MALFORMED[shape]) as proxy:
            code = main(["events", "--history", "--opensearch-url", proxy.url,
                         "--index", backend.prefix + SINGLE, *WHOLE_DATASET, "-A"])
        out, err = capsys.readouterr()
        assert code == 1 and out == "" and "Traceback" not in err, err
        assert err.startswith("ktui: OpenSearch sent an answer ktui cannot read: ")
        assert err.count("\n") == 1, err


def test_the_history_view_shows_the_error_instead_of_querying_forever(
    backend: Backend, dataset: Dataset, sleeps: Sleeps
) -> None:
    """What the explorer's history feed runs in its thread, run here directly: the answer
    is an error status (which the header and the empty table show), not a spinner."""
    with FrontProxy(backend.url, rewrite=MALFORMED["hits a number"]) as proxy:
        session = HistorySession(lambda: via(proxy, backend, sleeps))
        try:
            generation = session.begin(Query(), everything(dataset))
            assert session.status.state is State.LISTING
            assert session.take(session.search(generation, Query(), everything(dataset), 60))
        finally:
            session.close()
    assert session.loading_since is None
    assert session.status.state is State.ERROR
    assert isinstance(session.status.error, MalformedAnswer)
    assert "hits is 5, not an object" in session.status.text
    assert HistoryFeed(session).summary().state_is_error


# -- a busy cluster ----------------------------------------------------------------------


def test_retry_after_is_honoured_while_paging(
    backend: Backend, dataset: Dataset, sleeps: Sleeps
) -> None:
    everything_range = everything(dataset)
    with FrontProxy(backend.url) as proxy:
        source = via(proxy, backend, sleeps)
        try:
            pages = source.iter_all(Query(), everything_range, page_size=2000, keep_raw=False)
            events = list(next(pages))
            proxy.failures += [Failure(503, retry_after="7"), Failure(429)]
            for page in pages:
                events.extend(page)
        finally:
            source.close()
    assert proxy.failures == [] and len(proxy.failed) == 2
    assert sleeps.taken == [7.0, 1.0]  # Retry-After, then the backoff's second step
    assert len({event.uid for event in events}) == len(events) == len(dataset.single_docs)


def test_an_overloaded_search_inside_a_multi_search_is_retried(
    backend: Backend, dataset: Dataset, sleeps: Sleeps
) -> None:
    """OpenSearch rejects one search of an _msearch with a 429 item, not the request."""
    rejected: list[bool] = []

    def reject_once(method: str, path: str, answer: Any, request: bytes | None) -> Any:
        if "_msearch" in path and not rejected:
            rejected.append(True)
            answer["responses"][0] = {"error": {"type": "es_rejected_execution_exception",
                                                "reason": "queue full"}, "status": 429}
        return answer

    with FrontProxy(backend.url, rewrite=reject_once) as proxy:
        source = via(proxy, backend, sleeps)
        try:
            page = source.search(Query(), everything(dataset), page_size=100)
        finally:
            source.close()
    assert rejected and sleeps.taken == [0.5]
    assert page.total == len(dataset.single_docs) and len(page.events) == 100


def test_a_cluster_that_stays_down_fails_after_bounded_attempts(
    backend: Backend, dataset: Dataset, sleeps: Sleeps
) -> None:
    policy = RetryPolicy()
    failures = [Failure(500) for _ in range(policy.attempts + 2)]
    with FrontProxy(backend.url) as proxy:
        source = via(proxy, backend, sleeps)
        try:
            pages = source.iter_all(Query(), everything(dataset), page_size=2000)
            next(pages)
            proxy.failures += failures
            with pytest.raises(Overloaded, match=r"OpenSearch failed \(500\)"):
                next(pages)
        finally:
            source.close()
    assert len(proxy.failed) == policy.attempts
    assert sleeps.taken == [0.5, 1.0, 2.0]


def test_the_cli_export_survives_a_busy_cluster(
    backend: Backend, dataset: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A 503 in the middle of a listing used to abort it with nothing printed."""
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path))
    with FrontProxy(backend.url) as proxy:
        proxy.failures = [Failure(503, retry_after="0", skip=2), Failure(429, retry_after="0")]
        code = main(["events", "--history", "--opensearch-url", proxy.url,
                     "--index", backend.prefix + SINGLE, *WHOLE_DATASET, "-A", "-o", "jsonl"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert len(proxy.failed) == 2
    assert len([json.loads(line) for line in out.splitlines()]) == len(dataset.single_docs)


def test_retry_after_values() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    policy = RetryPolicy()
    assert policy.delay(0, Overloaded("x", retry_after=600.0)) == policy.max_wait
    assert [policy.delay(n, Overloaded("x")) for n in range(6)] == [0.5, 1, 2, 4, 8, 8]


# -- a pattern on a text-only field ------------------------------------------------------


@pytest.fixture(scope="module")
def text_only(backend: Backend) -> Iterator[str]:
    """An index whose reason (and message) are analyzed text without a keyword."""
    name = f"{backend.prefix}text-only-events"
    backend.client.indices.create(index=name, body={"mappings": {"properties": {
        "reason": {"type": "text"}, "message": {"type": "text"},
        "type": {"type": "keyword"}, "lastTimestamp": {"type": "date"},
        "metadata": {"properties": {"uid": {"type": "keyword"},
                                    "namespace": {"type": "keyword"}}},
    }}})
    docs = [{"reason": reason, "message": f"{reason} happened", "type": "Warning",
             "lastTimestamp": f"2026-11-18T10:0{i}:00Z",
             "metadata": {"uid": f"t-{i}", "namespace": "text"}}
            for i, reason in enumerate(["BackOff", "Pulled", "BackOff"])]
    helpers.bulk(backend.client, ({"_index": name, "_source": d} for d in docs), refresh=True)
    yield name
    backend.client.indices.delete(index=name, ignore_unavailable=True)


def test_a_pattern_on_a_text_only_field_is_refused(backend: Backend, text_only: str) -> None:
    source = HistorySource(backend.config(text_only.removeprefix(backend.prefix)))
    day = TimeRange.between(1794960000.0, 1795046400.0)  # 2026-11-18
    try:
        with pytest.raises(UnsupportedRegex) as caught:
            source.search(parse_query("reason~Back"), day)
        assert str(caught.value) == (
            "reason~Back cannot be searched: reason is mapped as text only (no keyword) in "
            "this index pattern, and a pattern cannot match analyzed text "
            "(use reason:WORD for whole words)")
        # Whole words still work on text, and a pattern on a keyword field too.
        assert source.search(parse_query("reason:BackOff"), day).total == 2
        assert source.search(parse_query("type~warn"), day).total == 3
    finally:
        source.close()
