"""Field and label selectors as the apiserver parses them for events."""

from __future__ import annotations

from collections.abc import Callable

from ktui.sim.apiserver.convert import FIELD_INDEX, FIELD_LABELS
from ktui.sim.apiserver.store import Version

Matcher = Callable[[Version], bool]


class SelectorError(ValueError):
    """A selector the apiserver would answer with 400 BadRequest."""


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` not escaped with a backslash (``fields.ParseSelector``)."""
    parts: list[str] = []
    cur: list[str] = []
    escaped = False
    for ch in text:
        if escaped:
            cur.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _unescape(value: str) -> str:
    out: list[str] = []
    escaped = False
    for ch in value:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch)
    return "".join(out)


def parse_field_selector(text: str) -> list[tuple[str, bool, str]]:
    """``[(label, equal, value)]``; raises SelectorError like the apiserver."""
    terms: list[tuple[str, bool, str]] = []
    if not text.strip():
        return terms
    for raw in _split(text, ","):
        term = raw.strip()
        if not term:
            continue
        found = None
        for op, is_equal in (("!=", False), ("==", True), ("=", True)):
            idx = _find_unescaped(term, op)
            if idx >= 0:
                found = (term[:idx].strip(), is_equal, term[idx + len(op):])
                break
        if found is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        label, equal, value = found
        if label not in FIELD_LABELS:
            raise SelectorError(f"field label not supported: {label}")
        terms.append((label, equal, _unescape(value)))
    return terms


def _find_unescaped(term: str, op: str) -> int:
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        if term.startswith(op, i):
            return i
        i += 1
    return -1


def field_matcher(text: str) -> Matcher | None:
    parsed = parse_field_selector(text)
    if not parsed:
        return None
    terms = [(FIELD_INDEX[label], equal, value) for label, equal, value in parsed]

    def match(v: Version) -> bool:
        f = v.fields()
        return all((f[i] == value) == equal for i, equal, value in terms)

    return match


def label_selector_matches_nothing(text: str) -> bool:
    """Events carry no labels: a selector requiring one matches nothing.

    ``!key``, ``key!=v`` and ``key notin (...)`` hold for an unlabelled object; any
    other requirement does not. Syntax is checked loosely: it must not break clients.
    """
    depth = 0
    cur: list[str] = []
    terms: list[str] = []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    for raw in terms:
        term = raw.strip()
        if not term or term.startswith("!") or "!=" in term or " notin " in f" {term} ":
            continue
        return True
    return False


def build_filter(ns: str | None, query: dict[str, str]) -> Callable[[Version], bool] | None:
    """Namespace scope + fieldSelector + labelSelector as one predicate (None: all)."""
    fm = field_matcher(query.get("fieldSelector", ""))
    if label_selector_matches_nothing(query.get("labelSelector", "")):
        return lambda v: False
    if ns is None:
        return fm
    if fm is None:
        return lambda v: v.namespace == ns
    return lambda v: v.namespace == ns and fm(v)
