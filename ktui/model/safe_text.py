"""Make untrusted strings from a cluster or OpenSearch safe to put on a terminal.

Event text is data. It must never reach the terminal as a control sequence (``ESC]52``
writes the clipboard, ``ESC[2J`` clears the screen, C1 ``\\x9b`` is a CSI on some
terminals) and never reorder what follows it (bidi overrides). Each such character is
replaced by a visible escape, so the user sees that it was there. Rich markup is a
separate concern: the UI builds ``rich.text.Text`` objects, which never parse markup.
"""

from __future__ import annotations

import re

# C0 (but not tab, handled below), DEL, C1, and the bidi embedding/override/isolate marks.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


_UNSAFE_KEEP_LINES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def escape_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Replace control and bidi-override characters with visible escapes; tabs become a
    space (a tab's width depends on the terminal and breaks column alignment)."""
    if text.isprintable():
        return text
    pattern = _UNSAFE_KEEP_LINES if keep_newlines else _UNSAFE
    return pattern.sub(_escape, text).replace("\t", " ")


def one_line(text: str, limit: int = 4096) -> str:
    """Escape and clip for a table cell: no newline survives, and a 200 KB message costs
    only ``limit`` characters of work."""
    clipped = text[:limit]
    safe = escape_controls(clipped)
    return safe + "…" if len(text) > limit else safe


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def json_safe(document: str) -> str:
    """Escape what ``json.dumps(..., ensure_ascii=False)`` leaves raw (DEL, C1, bidi
    controls) as ``\\uXXXX``: still valid JSON, and inert on a terminal."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)
