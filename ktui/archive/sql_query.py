"""The filter language (:class:`~ktui.model.query.Query`) as an SQL condition on ``events``.

What SQL evaluates exactly is pushed down, so indexes and aggregates do the work:

- the namespace selection (exact, as ``Query.matches``);
- the type toggles and ``field:value`` terms on stored columns, compared with SQLite's
  ``NOCASE`` when every value is ASCII. Python's ``lower()`` and ``NOCASE`` then agree on
  every stored text, with one exception: the Kelvin sign (U+212A) lowers to an ASCII
  ``k``. So values with a ``k`` are left to Python.

Everything else (``field~regex``, free words, ``ctx:``, the Kelvin case) becomes one call
per row of a Python function, ``ktui_match(...)``, which rebuilds a light Event from the
row's columns and runs ``Query.matches`` on a query holding only those terms. Counts,
sparkline and pages then all stay in SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ktui.model.event import EMPTY_REF, Event, ObjectRef
from ktui.model.query import Query, Term

# Query fields → the column (or expression) of ``events e`` holding the same text.
COLUMNS = {
    "type": "e.type",
    "namespace": "e.namespace",
    "reason": "e.reason",
    "kind": "e.kind",
    "name": "e.obj_name",
    "message": "e.message",
    "host": "e.source_host",
    "uid": "e.uid",
    "object_uid": "e.obj_uid",
    "action": "e.action",
    "source": "(CASE WHEN e.reporting_controller != '' THEN e.reporting_controller "
    "ELSE e.source_component END)",
}
# The columns ktui_match receives, in this order.
MATCH_ARGS = (
    "e.uid, e.namespace, e.type, e.reason, e.message, e.kind, e.obj_name, e.obj_uid, "
    "e.source_component, e.source_host, e.reporting_controller, e.action"
)
FUNCTION = "ktui_match"


def pushable(values: tuple[str, ...] | frozenset[str]) -> bool:
    """SQL's NOCASE equality is Python's ``lower()`` equality for these values."""
    return all(value.isascii() and "k" not in value.lower() for value in values)


@dataclass(frozen=True)
class Condition:
    """``sql`` (with ``params``) for ``events e``; ``facet_*`` is the same without the
    namespace selection (namespace counts); ``residual`` is what Python still checks."""

    sql: str
    params: tuple[Any, ...]
    facet_sql: str
    facet_params: tuple[Any, ...]
    residual: Query | None = None
    namespaces: frozenset[str] = field(default_factory=frozenset)


def _in(column: str, values: tuple[str, ...] | frozenset[str], nocase: bool) -> str:
    marks = ", ".join("?" * len(values))
    return f"{column}{' COLLATE NOCASE' if nocase else ''} IN ({marks})"


def compile_query(query: Query, context_label: str) -> Condition:
    """Split ``query`` into SQL and a Python residual."""
    clauses: list[str] = []
    params: list[Any] = []
    residual_terms: list[Term] = []
    residual_types: frozenset[str] = frozenset()
    if query.types:
        if pushable(query.types):
            types = sorted(query.types)
            clauses.append(_in("e.type", tuple(types), True))
            params.extend(types)
        else:
            residual_types = query.types
    for term in query.terms:
        column = COLUMNS.get(term.field)
        if term.field == "context":
            # Every row is shown under one label: the term holds for all rows or none.
            if not Query(terms=(term,)).matches(Event(uid="", context=context_label)):
                clauses.append("0")
            continue
        if column is None or term.op != ":" or not pushable(term.values):
            residual_terms.append(term)
            continue
        condition = _in(column, term.values, True)
        clauses.append(f"NOT ({condition})" if term.negated else condition)
        params.extend(term.values)
    residual = None
    if residual_terms or query.words or residual_types:
        residual = Query(terms=tuple(residual_terms), words=query.words, types=residual_types)
        clauses.append(f"{FUNCTION}({MATCH_ARGS})")
    facet_sql = " AND ".join(clauses) or "1"
    facet_params = tuple(params)
    if query.namespaces:
        spaces = sorted(query.namespaces)
        clauses.insert(0, _in("e.namespace", tuple(spaces), False))
        params[:0] = spaces
    return Condition(
        sql=" AND ".join(clauses) or "1",
        params=tuple(params),
        facet_sql=facet_sql,
        facet_params=facet_params,
        residual=residual,
        namespaces=query.namespaces,
    )


def matcher(residual: Query, context_label: str) -> Callable[..., int]:
    """The ``ktui_match`` function of a residual query (one call per row)."""
    matches = residual.matches
    intern_ref = ObjectRef

    def match(
        uid: str, namespace: str, type_: str, reason: str, message: str, kind: str,
        obj_name: str, obj_uid: str, component: str, host: str, controller: str, action: str,
    ) -> int:  # fmt: skip
        ref = intern_ref(kind=kind, name=obj_name, uid=obj_uid) if (
            kind or obj_name or obj_uid
        ) else EMPTY_REF
        event = Event(
            uid=uid, namespace=namespace, type=type_, reason=reason, message=message,
            object=ref, context=context_label, source_component=component, source_host=host,
            reporting_controller=controller, action=action,
        )  # fmt: skip
        return 1 if matches(event) else 0

    return match


def install(conn: sqlite3.Connection, condition: Condition, context_label: str) -> None:
    """Register ``ktui_match`` for ``condition`` on ``conn`` (when it has a residual)."""
    if condition.residual is not None:
        conn.create_function(
            FUNCTION, 12, matcher(condition.residual, context_label), deterministic=True
        )


def without_namespaces(query: Query) -> Query:
    return replace(query, namespaces=frozenset())
