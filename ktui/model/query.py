"""The filter language shared by live mode, history mode, saved views and the CLI.

    type:Warning ns:payments,orders reason~BackOff -reason:Pulled kind:Pod name:web-1 oom

A query is a list of terms separated by spaces. ``field:value`` is an exact match (case
does not matter), ``field~value`` a case-insensitive regular expression, a leading ``-``
negates the term, a comma inside a value means "any of these". Anything without a field
is free text, looked for in the message, reason and object name (every word must be
found). Double quotes keep spaces: ``msg~"no space left"``.

The type toggles (w/n/a) and the namespace sidebar set :attr:`Query.types` and
:attr:`Query.namespaces` directly, and the expired toggle :attr:`Query.hide_expired`; they
combine with the text by AND.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from ktui.model.event import Event

# Canonical field name -> aliases accepted in the text.
FIELDS: dict[str, tuple[str, ...]] = {
    "type": ("type",),
    "namespace": ("ns", "namespace"),
    "reason": ("reason",),
    "kind": ("kind",),
    "name": ("name", "object", "obj"),
    "message": ("msg", "message"),
    "source": ("source", "component", "from"),
    "host": ("host", "node"),
    "uid": ("uid",),
    "object_uid": ("objuid", "object-uid"),
    "context": ("ctx", "context"),
    "action": ("action",),
}
_ALIASES = {alias: canonical for canonical, names in FIELDS.items() for alias in names}

_GETTERS: dict[str, Callable[[Event], str]] = {
    "type": lambda e: e.type,
    "namespace": lambda e: e.namespace,
    "reason": lambda e: e.reason,
    "kind": lambda e: e.object.kind,
    "name": lambda e: e.object.name,
    "message": lambda e: e.message,
    "source": lambda e: e.source,
    "host": lambda e: e.source_host,
    "uid": lambda e: e.uid,
    "object_uid": lambda e: e.object.uid,
    "context": lambda e: e.context,
    "action": lambda e: e.action,
}

# Field selectors the API server understands for events (kubernetes-events.md).
_FIELD_SELECTORS = {
    "type": "type",
    "namespace": "metadata.namespace",
    "reason": "reason",
    "kind": "involvedObject.kind",
    "name": "involvedObject.name",
    "uid": "metadata.uid",
    "object_uid": "involvedObject.uid",
}


class QueryError(ValueError):
    """A query that cannot be parsed; ``position`` is the offending character offset."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True, slots=True)
class Term:
    """One ``[-]field(:|~)value[,value...]`` term."""

    field: str
    op: str  # ":" exact, "~" regex
    values: tuple[str, ...]
    negated: bool = False

    def __str__(self) -> str:
        values = ",".join(_quote(v) for v in self.values)
        return f"{'-' if self.negated else ''}{self.field}{self.op}{values}"


def _quote(value: str) -> str:
    if value and not any(ch.isspace() or ch in "\"'," for ch in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Query:
    """A parsed filter. Empty sets mean "all"."""

    text: str = ""
    terms: tuple[Term, ...] = ()
    words: tuple[str, ...] = ()
    types: frozenset[str] = field(default_factory=frozenset)
    namespaces: frozenset[str] = field(default_factory=frozenset)
    # Events the API server no longer has (past their TTL, kept and struck through): hidden
    # when set, so the list matches what kubectl shows.
    hide_expired: bool = False

    # -- building ----------------------------------------------------------------------

    def with_types(self, types: Iterable[str]) -> Query:
        return replace(self, types=frozenset(types))

    def with_namespaces(self, namespaces: Iterable[str]) -> Query:
        return replace(self, namespaces=frozenset(namespaces))

    def with_hide_expired(self, hide: bool) -> Query:
        return replace(self, hide_expired=hide)

    def with_text(self, text: str) -> Query:
        parsed = parse_query(text)
        return replace(self, text=parsed.text, terms=parsed.terms, words=parsed.words)

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.words or self.types or self.namespaces
                    or self.hide_expired)

    def describe(self) -> str:
        """A short human summary for headers and view lists."""
        parts = []
        if self.types:
            parts.append("type:" + ",".join(sorted(self.types)))
        if self.namespaces:
            parts.append("ns:" + ",".join(sorted(self.namespaces)))
        if self.text:
            parts.append(self.text)
        if self.hide_expired:
            parts.append("live only")
        return " ".join(parts) or "all events"

    # -- evaluation --------------------------------------------------------------------

    def narrows(self, other: Query) -> bool:
        """True when everything this query matches, ``other`` matches too (it only adds
        conditions or narrows a set), so filtering ``other``'s result gives ours."""
        if other.types and not (self.types and self.types <= other.types):
            return False
        if other.namespaces and not (self.namespaces and self.namespaces <= other.namespaces):
            return False
        if other.hide_expired and not self.hide_expired:
            return False
        return set(other.terms) <= set(self.terms) and all(
            any(_holds(word, mine) for mine in self.words) for word in other.words)

    def beyond(self, other: Query) -> Query:
        """The conditions of this query that ``other`` lacks: for a query that
        :meth:`narrows` ``other``, what ``other``'s matches must still pass."""
        terms, words = set(other.terms), set(other.words)
        return Query(
            terms=tuple(term for term in self.terms if term not in terms),
            words=tuple(word for word in self.words if word not in words),
            types=self.types if self.types != other.types else frozenset(),
            namespaces=self.namespaces if self.namespaces != other.namespaces else frozenset(),
            hide_expired=self.hide_expired and not other.hide_expired,
        )

    @cached_property
    def _predicate(self) -> Callable[[Event], bool]:
        return _compile(self)

    def matches(self, event: Event) -> bool:
        return self._predicate(event)

    def filter(self, events: Iterable[Event]) -> list[Event]:
        predicate = self._predicate
        return [event for event in events if predicate(event)]

    def field_selector(self) -> str:
        """The part of the query the API server can evaluate, as a fieldSelector.

        Only single-valued exact terms map, and a positive term only where the server's
        case-sensitive match cannot lose what ours (case-insensitive) keeps: the type
        (canonical capitalisation) and the namespace (always lower case). Negations are
        always safe, since the server then returns a superset. The caller still runs
        :meth:`matches` on what comes back.
        """
        selectors: list[str] = []
        if len(self.types) == 1:
            selectors.append(f"type={next(iter(self.types))}")
        for term in self.terms:
            key = _FIELD_SELECTORS.get(term.field)
            if key is None or term.op != ":" or len(term.values) != 1:
                continue
            if term.field == "type" and self.types:
                continue
            if not term.negated and term.field not in ("type", "namespace"):
                continue
            value = term.values[0]
            if term.field == "type":
                value = value.capitalize()
            if any(ch in value for ch in ",=!\\ "):
                continue
            selectors.append(f"{key}{'!=' if term.negated else '='}{value}")
        return ",".join(selectors)


def _holds(word: str, mine: str) -> bool:
    """Whether text that holds ``mine`` holds ``word`` too (typing "Back" after "Bac"):
    for ASCII, case-insensitive containment; otherwise only the same word."""
    if word == mine:
        return True
    return word.isascii() and mine.isascii() and word.lower() in mine.lower()


def type_check(types: frozenset[str]) -> Callable[[str], bool]:
    """Whether an event type passes a type filter (case does not matter)."""
    exact = frozenset(types) | {t.capitalize() for t in types}
    lowered = frozenset(t.lower() for t in types)
    return lambda value: value in exact or value.lower() in lowered


def _compile(query: Query) -> Callable[[Event], bool]:
    checks: list[Callable[[Event], bool]] = []
    if query.hide_expired:
        checks.append(lambda e: not e.expired)
    if query.types:
        type_ok = type_check(query.types)
        checks.append(lambda e: type_ok(e.type))
    if query.namespaces:
        namespaces = query.namespaces
        checks.append(lambda e: e.namespace in namespaces)
    for term in query.terms:
        checks.append(_term_check(term))
    for word in query.words:
        checks.append(_word_check(word))
    if not checks:
        return lambda e: True
    # Chain with `and` rather than all(...): no generator per event, and the cheap set
    # lookups (types, namespaces) come first so they short-circuit the regexes.
    predicate = checks[-1]
    for check in reversed(checks[:-1]):
        predicate = _both(check, predicate)
    return predicate


def _both(
    first: Callable[[Event], bool], second: Callable[[Event], bool]
) -> Callable[[Event], bool]:
    return lambda e: first(e) and second(e)


def _word_check(word: str) -> Callable[[Event], bool]:
    search = re.compile(re.escape(word), re.IGNORECASE).search
    if not word.isascii():

        def found(e: Event) -> bool:
            return (
                search(e.message) is not None
                or search(e.reason) is not None
                or search(e.object.name) is not None
            )

        return found

    # An ASCII word in ASCII text: case-insensitive equality is lower() equality, and
    # `in` on lowered text runs 3-4x faster than an IGNORECASE regex (which cannot use
    # its literal fast path). Text with any other character keeps the regex, whose case
    # folding also matches e.g. the Kelvin sign to "k".
    lowered = word.lower()

    def found_ascii(e: Event) -> bool:
        text = e.message
        if (lowered in text.lower()) if text.isascii() else (search(text) is not None):
            return True
        text = e.reason
        if (lowered in text.lower()) if text.isascii() else (search(text) is not None):
            return True
        text = e.object.name
        return (lowered in text.lower()) if text.isascii() else (search(text) is not None)

    return found_ascii


def _term_check(term: Term) -> Callable[[Event], bool]:
    getter = _GETTERS[term.field]
    if term.op == ":":
        wanted = frozenset(v.lower() for v in term.values)

        def exact(e: Event) -> bool:
            return getter(e).lower() in wanted

        check: Callable[[Event], bool] = exact
    else:
        pattern = re.compile("|".join(f"(?:{v})" for v in term.values), re.IGNORECASE)
        search = pattern.search

        def regex(e: Event) -> bool:
            return search(getter(e)) is not None

        check = regex
    if term.negated:

        def negated(e: Event) -> bool:
            return not check(e)

        return negated
    return check


_TERM = re.compile(r"^(?P<neg>-?)(?P<field>[A-Za-z][A-Za-z_-]*)(?P<op>[:~])(?P<value>.*)$", re.S)


def _tokens(text: str) -> list[tuple[str, int]]:
    """Split on spaces, honouring double quotes and backslash escapes inside them;
    keep each token's offset for error messages."""
    tokens: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start, chars, quoted_at = i, [], -1
        while i < n and (quoted_at >= 0 or not text[i].isspace()):
            ch = text[i]
            if quoted_at >= 0:
                if ch == "\\" and i + 1 < n:
                    chars.append(text[i + 1])
                    i += 2
                    continue
                if ch == '"':
                    quoted_at = -1
                else:
                    chars.append(ch)
            elif ch == '"':
                quoted_at = i
            else:
                chars.append(ch)
            i += 1
        if quoted_at >= 0:
            raise QueryError("unclosed quote in query", quoted_at)
        tokens.append(("".join(chars), start))
    return tokens


def _split_values(raw: str, position: int) -> tuple[str, ...]:
    values = tuple(v for v in raw.split(",") if v != "")
    if not values:
        raise QueryError("a term needs a value after ':' or '~'", position)
    return values


def parse_query(text: str) -> Query:
    """Parse the filter language; raises :class:`QueryError` with a position."""
    terms: list[Term] = []
    words: list[str] = []
    for token, position in _tokens(text):
        match = _TERM.match(token)
        if match is None:
            if token.startswith("-") and len(token) > 1:
                raise QueryError(f"'{token}': negate a field term, like -reason:Pulled", position)
            words.append(token)
            continue
        name = match["field"].lower()
        canonical = _ALIASES.get(name)
        if canonical is None:
            known = ", ".join(sorted(_ALIASES))
            raise QueryError(f"unknown field '{name}' (known: {known})", position)
        values = _split_values(match["value"], position)
        if match["op"] == "~":
            for value in values:
                try:
                    re.compile(value)
                except re.error as error:
                    raise QueryError(f"bad pattern '{value}': {error}", position) from None
        terms.append(Term(canonical, match["op"], values, negated=bool(match["neg"])))
    return Query(text=text.strip(), terms=tuple(terms), words=tuple(words))
