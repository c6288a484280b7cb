"""Values of untrusted JSON read leniently: a value of the wrong type reads as empty (or,
for text, as its ``str``), never as an exception. Events and the references in them are
read this way, whatever a cluster or a document sends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def as_text(value: Any) -> str:
    """``value`` if it is a string, "" for None, else its ``str``."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
