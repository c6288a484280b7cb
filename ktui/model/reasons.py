"""What an event's reason means: two or three lines under the event in the detail pane.

The text lives in one data file, ``reasons.toml`` (package data): per reason, what it
usually means, what to check next, and the ``kubectl`` command to run, written with the
event's own names. Those names are untrusted: they are made visible (control and bidi
characters escaped, see :mod:`ktui.model.safe_text`) and shell-quoted, and the result is
plain strings, never markup.
"""

from __future__ import annotations

import re
import shlex
import string
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ktui.model.event import Event
from ktui.model.owners import CLUSTER_SCOPED
from ktui.model.safe_text import escape_controls

PLACEHOLDERS = frozenset({"namespace", "name", "kind", "resource", "node", "container_flag"})
_CONTAINER = re.compile(r"spec\.(?:init|ephemeral)?[cC]ontainers\{([^}]*)\}")


@dataclass(frozen=True, slots=True)
class Explanation:
    """One entry of ``reasons.toml``."""

    reason: str
    meaning: str
    check: str
    command: str
    message: re.Pattern[str] | None = None
    kind: str = ""

    def matches(self, event: Event) -> bool:
        return (
            event.reason == self.reason
            and (not self.kind or event.object.kind == self.kind)
            and (self.message is None or self.message.search(event.message) is not None)
        )


class ReasonsError(ValueError):
    """``reasons.toml`` is malformed (a packaging or editing mistake: tests load it)."""


def parse(text: str) -> tuple[Explanation, ...]:
    """The entries of a ``reasons.toml`` text, checked: every field present, regular
    expressions that compile, no placeholder outside :data:`PLACEHOLDERS`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ReasonsError(f"reasons.toml: {exc}") from None
    entries = []
    for index, raw in enumerate(data.get("reason", [])):
        entries.append(_entry(index, raw))
    return tuple(entries)


def _entry(index: int, raw: Any) -> Explanation:
    where = f"reasons.toml entry {index + 1}"
    if not isinstance(raw, dict):
        raise ReasonsError(f"{where}: not a table")
    fields = {}
    for name in ("reason", "meaning", "check", "command"):
        value = raw.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ReasonsError(f"{where}: '{name}' must be a non-empty string")
        fields[name] = value
    unknown = set(raw) - {"reason", "meaning", "check", "command", "message", "kind"}
    if unknown:
        raise ReasonsError(f"{where}: unknown keys {sorted(unknown)}")
    for _, field, _, _ in string.Formatter().parse(fields["command"]):
        if field is not None and field not in PLACEHOLDERS:
            raise ReasonsError(f"{where}: unknown placeholder {{{field}}}")
    pattern = raw.get("message")
    compiled = None
    if pattern is not None:
        try:
            compiled = re.compile(str(pattern), re.IGNORECASE)
        except re.error as exc:
            raise ReasonsError(f"{where}: bad message pattern: {exc}") from None
    return Explanation(
        reason=fields["reason"],
        meaning=fields["meaning"],
        check=fields["check"],
        command=fields["command"],
        message=compiled,
        kind=str(raw.get("kind") or ""),
    )


@cache
def explanations() -> tuple[Explanation, ...]:
    """The entries of the packaged ``reasons.toml``, loaded once."""
    text = resources.files("ktui.model").joinpath("reasons.toml").read_text(encoding="utf-8")
    return parse(text)


@cache
def known_reasons() -> frozenset[str]:
    return frozenset(entry.reason for entry in explanations())


def explanation_of(event: Event) -> Explanation | None:
    """The first entry that matches the event, or None."""
    if event.reason not in known_reasons():
        return None
    for entry in explanations():
        if entry.matches(event):
            return entry
    return None


def _word(value: str, placeholder: str) -> str:
    """One untrusted name as a shell word: controls made visible, then quoted."""
    if not value:
        return placeholder
    return shlex.quote(escape_controls(value))


def names_of(event: Event) -> dict[str, str]:
    """The placeholder values of an event, safe to print and to paste into a shell."""
    obj = event.object
    kind = obj.kind or "pod"
    node = obj.name if obj.kind == "Node" else event.source_host  # kubelet's host
    found = _CONTAINER.search(obj.field_path)
    namespace = "" if obj.kind in CLUSTER_SCOPED else (obj.namespace or event.namespace)
    return {
        "namespace": _word(namespace, "<namespace>"),
        "name": _word(obj.name, "<name>"),
        "kind": _word(kind, "<kind>"),
        "resource": _word(kind.lower(), "<kind>"),
        "node": _word(node, "<node>"),
        "container_flag": (f"-c {_word(found.group(1), '<container>')}" if found
                           else "--all-containers"),
    }


def explain(event: Event) -> list[str] | None:
    """Two or three plain lines about the event's reason: what it usually means, what to
    check next, and the command to run (``$ kubectl ...``); None for other reasons."""
    entry = explanation_of(event)
    if entry is None:
        return None
    command = entry.command.format_map(names_of(event))
    return [entry.meaning, entry.check, f"$ {command}"]
