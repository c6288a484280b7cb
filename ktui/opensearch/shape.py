"""Reading OpenSearch answers defensively: every shape ktui relies on is checked.

A 200 with JSON is not proof of an OpenSearch answer: a proxy, a gateway or another
service at the URL may send a number, ``hits`` that is not a list, or ``sort`` values of
the wrong kind. Each such answer becomes one :class:`MalformedAnswer` line, instead of a
traceback in the CLI or a history view that says "querying" forever. Garbage ``sort``
values matter most: paging continues from them (``search_after``), so a page of hits
without usable ones would be asked for again and again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ktui.feeds.errors import SourceError

_MAX_SHOWN = 60


class MalformedAnswer(SourceError):
    """OpenSearch (or whatever answers at its URL) sent JSON of an unexpected shape."""


def malformed(what: str) -> MalformedAnswer:
    return MalformedAnswer(
        f"OpenSearch sent an answer ktui cannot read: {what}",
        hint="is the URL an OpenSearch cluster, not a proxy or another service?",
    )


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise malformed(f"{what} is {_show(value)}, not an object")
    return value


def arr(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise malformed(f"{what} is {_show(value)}, not a list")
    return value


def count(value: Any, what: str) -> int:
    """A document count: a non-negative integer (JSON may carry it as 3.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise malformed(f"{what} is {_show(value)}, not a count")
    if value != int(value):
        raise malformed(f"{what} is {_show(value)}, not a whole number")
    return int(value)


def number(value: Any, what: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise malformed(f"{what} is {_show(value)}, not a number")
    return value


def text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise malformed(f"{what} is {_show(value)}, not a string")
    return value


def hits_of(answer: Any, what: str = "a search answer") -> list[Mapping[str, Any]]:
    """``answer.hits.hits``, each an object."""
    hits = obj(obj(answer, what).get("hits"), f"{what}: hits")
    found = arr(hits.get("hits"), f"{what}: hits.hits")
    for hit in found:
        obj(hit, f"{what}: a hit")
    return found


def sort_values(hit: Mapping[str, Any], kinds: list[str]) -> list[Any]:
    """A hit's ``sort``: one value per sort key, each of the kind its key sorts by
    ("number" or "text"; null where a key is missing). Paging continues from these."""
    values = hit.get("sort")
    if not isinstance(values, list) or len(values) != len(kinds):
        raise malformed(f"a hit's sort is {_show(values)}, not {len(kinds)} sort values")
    for value, kind in zip(values, kinds, strict=True):
        if value is None:
            continue
        if kind == "number":
            number(value, "a hit's sort value")
        else:
            text(value, "a hit's sort value")
    if values[0] is None:
        raise malformed("a hit's sort has no time")
    return values


def responses_of(answer: Any, expected: int) -> list[Mapping[str, Any]]:
    """The items of an ``_msearch`` answer, one object per search sent."""
    responses = arr(obj(answer, "the multi-search answer").get("responses"),
                    "the multi-search responses")
    if len(responses) != expected:
        raise SourceError("OpenSearch answered the multi-search incompletely", retryable=True)
    for item in responses:
        obj(item, "a multi-search response")
    return responses


def status_of(item: Mapping[str, Any]) -> int:
    """An msearch item's error status (500 when it gives none or nonsense)."""
    status = item.get("status", 500)
    return status if isinstance(status, int) and not isinstance(status, bool) else 500


def pit_id_of(answer: Any) -> str | None:
    """The id of a point in time just opened (None when the cluster gave none)."""
    pit_id = obj(answer, "the point in time").get("pit_id")
    if pit_id is not None and not isinstance(pit_id, str):
        raise malformed(f"the point in time's id is {_show(pit_id)}, not a string")
    return pit_id or None
