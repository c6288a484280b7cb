"""Pieces that need no server: bucket widths, milliseconds, merge keys, lanes, errors."""

from __future__ import annotations

import pytest

from ktui.feeds.errors import Forbidden, SourceError, Unauthorized
from ktui.opensearch.errors import PitMissing, from_status
from ktui.opensearch.mapping import field_map, to_exporter_shape
from ktui.opensearch.paging import key_of
from ktui.opensearch.query import choose_interval, iso_millis, lanes, to_millis


@pytest.mark.parametrize(
    ("span", "step"),
    [
        (900, 15),
        (3600, 60),
        (6 * 3600, 360),
        (86400, 1440),
        (7 * 86400, 10080),
        (90 * 86400, 36 * 3600),
        (30, 1),
    ],
)
def test_bucket_width(span: float, step: int) -> None:
    assert choose_interval(span, 60) == step
    assert span / step <= 60


def test_milliseconds() -> None:
    assert to_millis(1795168801.123) == 1795168801123  # not ...122 from binary floats
    assert iso_millis(1795168801123) == "2026-11-20T10:00:01.123Z"


def test_merge_key_orders_like_the_server() -> None:
    tail = [{"count": {"order": "desc"}}, {"metadata.uid.keyword": {"order": "asc"}}]
    newer = key_of([2000, 1, "b"], tail)
    older = key_of([1000, 9, "a"], tail)
    more = key_of([2000, 5, "z"], tail)
    no_uid = key_of([2000, 5, None], tail)
    assert sorted([older, newer, no_uid, more]) == [more, no_uid, newer, older]


def test_lanes_follow_the_time_chain() -> None:
    fields = field_map(
        {
            "i": {
                "mappings": {
                    "properties": {
                        "lastTimestamp": {"type": "date"},
                        "eventTime": {"type": "date"},
                        "series": {"properties": {"lastObservedTime": {"type": "date"}}},
                    }
                }
            }
        }
    )
    built = lanes(fields, 0, 1000)
    assert [lane.field.path for lane in built] == [
        "series.lastObservedTime",
        "lastTimestamp",
        "eventTime",
    ]
    # eventTime counts only where neither earlier field is set.
    assert built[2].member == {
        "bool": {
            "filter": [{"exists": {"field": "eventTime"}}],
            "must_not": [
                {"exists": {"field": "series.lastObservedTime"}},
                {"exists": {"field": "lastTimestamp"}},
            ],
        }
    }


def test_layout_documents_are_reshaped() -> None:
    doc = {"ts": "2026-11-18T11:00:00Z", "ns": "payments", "obj": {"k": "Pod"}}
    shaped = to_exporter_shape(doc, {"last_timestamp": "ts", "namespace": "ns", "kind": "obj.k"})
    assert shaped == {
        "lastTimestamp": "2026-11-18T11:00:00Z",
        "metadata": {"namespace": "payments"},
        "involvedObject": {"kind": "Pod"},
    }


@pytest.mark.parametrize(
    ("status", "body", "kind", "text"),
    [
        (401, {}, Unauthorized, "OpenSearch at https://h rejected the credentials (401)"),
        (
            403,
            {"error": {"root_cause": [{"type": "security_exception", "reason": "no\nway"}]}},
            Forbidden,
            "OpenSearch denied access to ev* (403): no way",
        ),
        (
            404,
            {"error": {"type": "index_not_found_exception", "reason": "no such index"}},
            SourceError,
            "no index matches ev*",
        ),
        (429, {}, SourceError, "OpenSearch is overloaded (429)"),
        (
            400,
            {"error": {"root_cause": [{"type": "parsing_exception", "reason": "bad"}]}},
            SourceError,
            "OpenSearch refused the query: bad",
        ),
    ],
)
def test_error_lines(status: int, body: dict, kind: type, text: str) -> None:
    error = from_status(status, body, url="https://h", index="ev*")
    assert isinstance(error, kind)
    assert str(error).startswith(text) and "\n" not in str(error)
    assert error.retryable == (status == 429)


def test_missing_pit_is_recognised() -> None:
    body = {
        "error": {
            "root_cause": [
                {
                    "type": "search_context_missing_exception",
                    "reason": "No search context found for id [2]",
                }
            ]
        }
    }
    assert isinstance(from_status(404, body, url="u", index="i"), PitMissing)
    deleted_index = {"error": {"type": "index_not_found_exception", "reason": "gone"}}
    assert isinstance(from_status(404, deleted_index, url="u", index="i", in_pit=True), PitMissing)
