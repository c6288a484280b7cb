"""The filter language (:class:`~ktui.model.query.Query`) → an OpenSearch bool query.

Semantics follow ``Query.matches`` (case-insensitive exact terms, regex search, substring
free text) as closely as the index allows:

- exact terms are ``term`` queries with ``case_insensitive`` on the keyword path;
- a keyword subfield with ``ignore_above`` misses long values (scenario-b's 330-character
  image-pull message): for documents without the keyword value the text field answers,
  with ``match_phrase`` (token based, so approximate);
- free words are ``wildcard *word*`` (case-insensitive) on message, reason and object name,
  plus the same text fallback.

Time: the displayed time is the first set field of the time chain, so a document belongs
to exactly one *lane*: it has that field and none of the earlier ones. The range filter is
a ``should`` over the lanes, each testing its own field, which neither loses
eventTime-only documents (``lastTimestamp: null``) nor counts a document under a field
that is not its time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ktui.feeds.history import choose_interval as choose_interval  # shared with the archive
from ktui.model.query import Query, Term
from ktui.opensearch.mapping import FieldInfo, FieldMap
from ktui.opensearch.regex import UnsupportedRegex, literal_of, split_alternatives, to_lucene

Clause = dict[str, Any]
MATCH_ALL: Clause = {"match_all": {}}
MATCH_NONE: Clause = {"match_none": {}}

# Query.terms fields → canonical mapping names (source and context are special below).
_TERM_FIELDS = {
    "type": "type",
    "namespace": "namespace",
    "reason": "reason",
    "kind": "kind",
    "name": "name",
    "message": "message",
    "host": "host",
    "uid": "uid",
    "object_uid": "object_uid",
    "action": "action",
}
_WORD_FIELDS = ("message", "reason", "name")


def _bool(
    *,
    filter: list[Clause] | None = None,
    should: list[Clause] | None = None,
    must_not: list[Clause] | None = None,
) -> Clause:
    body: dict[str, Any] = {}
    if filter:
        body["filter"] = filter
    if should:
        body["should"] = should
        body["minimum_should_match"] = 1
    if must_not:
        body["must_not"] = must_not
    return {"bool": body} if body else MATCH_ALL


def _any(clauses: list[Clause]) -> Clause:
    if not clauses:
        return MATCH_NONE
    return clauses[0] if len(clauses) == 1 else _bool(should=clauses)


def _exists(path: str) -> Clause:
    return {"exists": {"field": path}}


# Kubernetes names, kinds, reasons and components are at most 253 characters; only free
# text (the message) can pass a keyword's ignore_above (dynamic mapping: 256).
_NAME_LIMIT = 253


def _long_values(info: FieldInfo, approximate: Clause) -> Clause | None:
    """Where the keyword path cannot answer (value over ignore_above, or no keyword), use
    the text path for the documents the keyword path does not hold."""
    if info.text is None:
        return None
    if not info.keywords:
        return approximate
    if info.ignore_above is None or (info.name != "message" and info.ignore_above >= _NAME_LIMIT):
        return None  # the keyword holds every value: a text clause would only cost
    return _bool(filter=[approximate], must_not=[_exists(k) for k in info.keywords])


def exact(info: FieldInfo, values: tuple[str, ...] | list[str]) -> Clause:
    """Any of ``values``, whole value, case-insensitive."""
    clauses: list[Clause] = []
    for value in values:
        for path in info.keywords:
            clauses.append({"term": {path: {"value": value, "case_insensitive": True}}})
        if info.text and (
            not info.keywords or (info.ignore_above is not None and len(value) > info.ignore_above)
        ):
            fallback = _long_values(info, {"match_phrase": {info.text: value}})
            if fallback is not None:
                clauses.append(fallback)
    return _any(clauses)


def _wildcard_of(alternative: str) -> str | None:
    """A regex alternative that is plain text (maybe anchored) as a wildcard pattern.

    Both become automata over the terms, but a ``regexp`` starting with ``.*`` must be
    determinised first: on the test server it was 30-50× slower than the same wildcard
    over 15,000 distinct messages. For plain text they mean the same.
    """
    head = alternative.startswith("^")
    body = alternative[1:] if head else alternative
    tail = body.endswith("$") and not body.endswith("\\$")
    literal = literal_of(body[:-1] if tail else body)
    if literal is None:
        return None
    escaped = re.sub(r"([\\*?])", r"\\\1", literal)
    return ("" if head else "*") + escaped + ("" if tail else "*")


def regex(info: FieldInfo, patterns: tuple[str, ...]) -> Clause:
    """Any of ``patterns`` found in the value (``re.search``, case-insensitive)."""
    wildcards: list[str] = []
    regexes: list[str] = []
    for pattern in patterns:
        alternatives = split_alternatives(pattern)
        converted = [_wildcard_of(alt) for alt in alternatives]
        if all(w is not None for w in converted):
            wildcards.extend(w for w in converted if w is not None)
        else:
            regexes.append(pattern)
    clauses: list[Clause] = []
    for path in info.keywords:
        clauses.extend(
            {"wildcard": {path: {"value": w, "case_insensitive": True}}} for w in wildcards
        )
        if regexes:
            clauses.append(
                {"regexp": {path: {"value": to_lucene(regexes), "case_insensitive": True}}}
            )
    if info.text:
        approx: list[Clause] = []
        for pattern in patterns:
            for alternative in split_alternatives(pattern):
                literal = literal_of(alternative.removeprefix("^").removesuffix("$"))
                if literal is not None:
                    approx.append({"match_phrase": {info.text: literal}})
                else:
                    # Token level: right for one-word patterns, the best text can do.
                    lucene = to_lucene((alternative,))
                    approx.append(
                        {"regexp": {info.text: {"value": lucene, "case_insensitive": True}}}
                    )
        fallback = _long_values(info, _any(approx))
        if fallback is not None:
            clauses.append(fallback)
    return _any(clauses)


def substring(info: FieldInfo, word: str) -> Clause:
    """``word`` anywhere in the value, case-insensitive (the free-text semantics)."""
    escaped = re.sub(r"([\\*?])", r"\\\1", word)
    clauses: list[Clause] = [
        {"wildcard": {path: {"value": f"*{escaped}*", "case_insensitive": True}}}
        for path in info.keywords
    ]
    if info.text:
        fallback = _long_values(info, {"match_phrase": {info.text: word}})
        if fallback is not None:
            clauses.append(fallback)
    return _any(clauses)


def is_empty(info: FieldInfo) -> Clause:
    """The field is missing or ""."""
    if info.keywords:
        return _any(
            [
                _bool(must_not=[_exists(k) for k in info.keywords]),
                *({"term": {k: ""}} for k in info.keywords),
            ]
        )
    return _bool(must_not=[_exists(info.text or info.path)])


def _coalesced(first: FieldInfo, second: FieldInfo, clause_of: Any) -> Clause:
    """Match on ``first``, or on ``second`` where ``first`` is empty (Event.source is the
    reporting controller, else the legacy source component)."""
    return _any([clause_of(first), _bool(filter=[is_empty(first), clause_of(second)])])


def term_clause(term: Term, fields: FieldMap, context_label: str) -> Clause:
    def clause_of(info: FieldInfo) -> Clause:
        if term.op == ":":
            return exact(info, term.values)
        if info.text and not info.keywords:
            # Analyzed text holds words, not the value: a pattern would silently match
            # nothing ("BackOff" is the token "backoff"; "Back" is no token of it).
            raise UnsupportedRegex(
                f"{term} cannot be searched: {info.path} is mapped as text only (no "
                "keyword) in this index pattern, and a pattern cannot match analyzed text",
                hint=f"use {term.field}:WORD for whole words",
            )
        return regex(info, term.values)

    if term.field == "source":
        return _coalesced(fields["reporting_component"], fields["source_component"], clause_of)
    if term.field == "context":
        # An event's context is its clusterName, else the label the user gave the source.
        options = [clause_of(fields["cluster"])]
        if context_label and _label_matches(term, context_label):
            options.append(is_empty(fields["cluster"]))
        return _any(options)
    return clause_of(fields[_TERM_FIELDS[term.field]])


def _label_matches(term: Term, label: str) -> bool:
    if term.op == ":":
        return label.lower() in {v.lower() for v in term.values}
    return any(re.search(v, label, re.IGNORECASE) for v in term.values)


def query_clauses(
    query: Query, fields: FieldMap, *, context_label: str = "", namespaces: bool = True
) -> Clause:
    """The whole filter (no time); ``namespaces=False`` leaves out the sidebar selection."""
    must: list[Clause] = []
    must_not: list[Clause] = []
    if query.types:
        must.append(exact(fields["type"], sorted(query.types)))
    if namespaces and query.namespaces:
        must.append(namespace_clause(fields, sorted(query.namespaces)))
    for term in query.terms:
        (must_not if term.negated else must).append(term_clause(term, fields, context_label))
    for word in query.words:
        must.append(_any([substring(fields[name], word) for name in _WORD_FIELDS]))
    return _bool(filter=must, must_not=must_not)


def namespace_clause(fields: FieldMap, namespaces: list[str]) -> Clause:
    info = fields["namespace"]
    if info.keywords:  # the sidebar's names are exact (case matters, as in Query.matches)
        return _any([{"terms": {path: namespaces}} for path in info.keywords])
    return _any([{"match_phrase": {info.text or info.path: ns}} for ns in namespaces])


# -- time ---------------------------------------------------------------------------------


def iso_millis(ms: int) -> str:
    moment = datetime.fromtimestamp(ms // 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def to_millis(seconds: float) -> int:
    """Dates are kept in milliseconds (truncated); round to microseconds first so that
    ``.123000`` stays 123 despite binary floating point."""
    return math.floor(round(seconds * 1_000_000) / 1000)


@dataclass(frozen=True, slots=True)
class Lane:
    """The documents whose time is ``field``: it is set, every earlier chain field is not."""

    field: FieldInfo
    member: Clause
    in_range: Clause


def lanes(fields: FieldMap, start_ms: int | None, end_ms: int | None) -> list[Lane]:
    result: list[Lane] = []
    dates = fields.dates
    for index, info in enumerate(dates):
        member = _bool(
            filter=[_exists(info.path)], must_not=[_exists(d.path) for d in dates[:index]]
        )
        bounds: dict[str, Any] = {"format": "strict_date_optional_time"}
        if start_ms is not None:
            bounds["gte"] = iso_millis(start_ms)
        if end_ms is not None:
            bounds["lte"] = iso_millis(end_ms)
        in_range = _bool(filter=[member, {"range": {info.path: bounds}}])
        result.append(Lane(info, member, in_range))
    return result


def time_clause(all_lanes: list[Lane]) -> Clause:
    """The time range over the whole chain: a should of one range per lane."""
    return _any([lane.in_range for lane in all_lanes])


def histogram_agg(lane: Lane, first_ms: int, last_ms: int, step_ms: int, warning: Clause) -> Clause:
    """A date histogram of one lane's field over fixed bounds (stable bucket count)."""
    return {
        "date_histogram": {
            "field": lane.field.path,
            "fixed_interval": f"{step_ms}ms",
            "min_doc_count": 0,
            "extended_bounds": {"min": first_ms, "max": last_ms},
            "hard_bounds": {"min": first_ms, "max": last_ms + step_ms},
        },
        "aggs": {"warning": {"filter": warning}},
    }


def warning_clause(fields: FieldMap) -> Clause:
    """Event.is_warning: type is exactly ``Warning``."""
    info = fields["type"]
    if info.keywords:
        return _any([{"term": {path: "Warning"}} for path in info.keywords])
    return {"match": {info.text or info.path: "Warning"}}
