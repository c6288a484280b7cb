"""Mapping detection, and the regex translation checked against the server itself."""

from __future__ import annotations

import re

import pytest
from opensearchpy import helpers

from ktui.opensearch.mapping import field_map
from ktui.opensearch.regex import UnsupportedRegex, to_lucene
from ktui.opensearch.source import HistorySource

from .conftest import Backend, Dataset

CHAIN = (
    "series.lastObservedTime",
    "lastTimestamp",
    "eventTime",
    "firstTimestamp",
    "metadata.creationTimestamp",
)


def test_dynamic_mapping_text_with_keyword(single_source: HistorySource) -> None:
    fields = single_source.fields()
    reason = fields["reason"]
    assert (reason.keywords, reason.text, reason.ignore_above) == (
        ("reason.keyword",),
        "reason",
        256,
    )
    assert fields["namespace"].keyword == "metadata.namespace.keyword"
    assert fields["uid"].sortable == "metadata.uid.keyword"
    assert fields["count"].sortable == "count"
    assert tuple(f.path for f in fields.dates) == CHAIN


def test_keyword_template_mapping(daily_source: HistorySource) -> None:
    fields = daily_source.fields()
    reason = fields["reason"]
    assert (reason.keywords, reason.text, reason.ignore_above) == (("reason",), None, None)
    assert fields["message"].keyword == "message"
    assert len(fields.indices) >= 3  # daily indices
    assert tuple(f.path for f in fields.dates) == CHAIN


def test_mixed_mappings_across_indices() -> None:
    text = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
    fields = field_map(
        {
            "a": {
                "mappings": {
                    "properties": {
                        "reason": text,
                        "lastTimestamp": {"type": "date"},
                        "metadata": {"properties": {"uid": text}},
                    }
                }
            },
            "b": {
                "mappings": {
                    "properties": {
                        "reason": {"type": "keyword"},
                        "eventTime": {"type": "date"},
                        "metadata": {"properties": {"uid": {"type": "keyword"}}},
                    }
                }
            },
        }
    )
    assert fields["reason"].keywords == ("reason.keyword", "reason")
    assert fields["uid"].sortable is None  # not sortable the same way everywhere
    assert [f.path for f in fields.dates] == ["lastTimestamp", "eventTime"]
    assert not fields["series_last_observed"].mapped


@pytest.mark.parametrize(
    ("pattern", "lucene"),
    [
        ("back", ".*(back).*"),
        ("^Back|Off$", "(Back).*|.*(Off)"),
        (r"\d+\s\w", ".*([0-9]+[ \\t\\n\\r\\f\\v][A-Za-z0-9_]).*"),
        ("(?:a|b)c{,2}", ".*((a|b)c{0,2}).*"),
        ('say "hi" @ <x>', '.*(say \\"hi\\" \\@ \\<x\\>).*'),
        ("[^a-z@]x*?", ".*([^a-z\\@A-Z]x*).*"),
        ("[]k-]", ".*([\\]k\\-K]).*"),
    ],
)
def test_regex_translation(pattern: str, lucene: str) -> None:
    assert to_lucene([pattern]) == lucene


@pytest.mark.parametrize("pattern", ["a(?=b)", r"\bword", r"(a)\1", "a^b"])
def test_regex_refused(pattern: str) -> None:
    with pytest.raises(UnsupportedRegex):
        to_lucene([pattern])


VALUES = [
    "BackOff",
    "Back-off restarting",
    "FailedMount",
    "0/3 nodes are available",
    'say "hi" @ <home>',
    "OOMKilling",
    "a.b",
    "ab",
    "Pulled",
    "x{2}",
]
PATTERNS = [
    "back",
    "^back",
    "off$",
    r"\d/\d\s",
    "ed$|^oom",
    "a.b",
    r"a\.b",
    "f.*mount",
    '"hi" @',
    "[^a-z]ulled",
    "[a-z]ulled",
    "[P]ULLED",
    "[^p]ulled",
    "[-k]",
    "o{2}",
    r"x\{2\}",
    "(?:pull|kill)",
    "^$",
]


def test_regex_semantics_match_python(backend: Backend, dataset: Dataset) -> None:
    """The translated regexp on a keyword field matches what re.search matches."""
    index = f"{backend.prefix}regex-probe"
    helpers.bulk(
        backend.client,
        ({"_index": index, "_id": str(i), "_source": {"v": v}} for i, v in enumerate(VALUES)),
        refresh=True,
    )
    backend.client.indices.refresh(index=index)
    for pattern in PATTERNS:
        body = {
            "size": 50,
            "query": {
                "regexp": {"v.keyword": {"value": to_lucene([pattern]), "case_insensitive": True}}
            },
        }
        hits = backend.client.search(index=index, body=body)["hits"]["hits"]
        got = sorted(VALUES[int(h["_id"])] for h in hits)
        want = sorted(v for v in VALUES if re.search(pattern, v, re.IGNORECASE))
        assert got == want, pattern
