"""``ktui events -A -o jsonl`` without keeping anything: list pages straight to the
record's lines (see :mod:`ktui.kube.jsonl`), sorted and written in chunks."""

from __future__ import annotations

from operator import itemgetter
from typing import IO, TYPE_CHECKING, Any

from ktui.model.record import line_of

if TYPE_CHECKING:
    from ktui.kube.decode import Fields


class Lines:
    """The JSON lines of a one-shot list, made from the raw objects as pages arrive.

    Building an Event only to print it costs more than fetching and parsing the list;
    :func:`ktui.kube.decode.extract` gives the same values (tested equal to the
    model's), and the model itself handles any object that is not plain JSON.
    """

    CHUNK = 128  # lines per write

    def __init__(self) -> None:
        self.context = ""
        self.scopes: dict[str, list[tuple[float, float, str, str]]] = {}

    def page(self, scope: str, api: str, items: list[Any], restart: bool) -> None:
        from ktui.kube.jsonl import jsonl_rows

        rows = self.scopes.setdefault(scope, [])
        if restart:
            rows.clear()
        context = self.context
        slow = self.slow_row
        rows.extend(jsonl_rows(items, api, context, lambda obj: slow(obj, api, context)))

    @staticmethod
    def slow_row(obj: Any, api: str, context: str) -> tuple[float, float, str, str]:
        """The row of an object :func:`ktui.kube.jsonl.jsonl_rows` leaves to the
        general path: extracted values, or the model's Event for what is not plain JSON."""
        from ktui.kube.decode import build, extract
        from ktui.model.record import record_line

        f = extract(obj, api)
        if f is None:
            event = build(obj, api, context, False)
            return (event.time, event.first_seen, event.name, record_line(event))
        return (f.time, f.first_seen, f.name, fields_line(f, context))

    def write(self, out: IO[str]) -> None:
        scopes = list(self.scopes.values())
        rows = scopes[0] if len(scopes) == 1 else [row for rows in scopes for row in rows]
        # ktui.cli.output.sort_key on the tuples: stable sorts by the last key, then the middle,
        # then the first give the same order as one sort by all three, with full ties in the
        # order listed, and each single-key pass takes the fast path for floats or strings
        # (a quarter of the time of comparing key tuples).
        rows.sort(key=itemgetter(2))
        rows.sort(key=itemgetter(1))
        rows.sort(key=itemgetter(0))
        # A few hundred lines per write: one join of the whole listing (and the encoding of
        # that) touches 2 x 17 MB of fresh memory for 20,000 events, which costs more than
        # the sort; chunks this size reuse the same few hundred KB.
        write, chunk = out.write, self.CHUNK
        for start in range(0, len(rows), chunk):
            write("\n".join([row[3] for row in rows[start : start + chunk]]))
            write("\n")


def fields_line(f: Fields, context: str) -> str:
    """The record's JSON line (:mod:`ktui.model.record`) for extracted values."""
    (uid, namespace, name, type_, reason, message, _action, _instance, controller, component,
     _host, kind, object_name, object_namespace, object_uid, _api_version, _field_path,
     has_object, count, first_seen, time_, rv, api) = f  # fmt: skip
    if not has_object:
        kind = object_name = object_namespace = object_uid = ""
    return line_of(
        uid, rv, context, namespace, name, type_, reason, message, kind, object_name,
        object_namespace, object_uid, count, False, first_seen, time_, controller or component,
        api, False,
    )  # fmt: skip
