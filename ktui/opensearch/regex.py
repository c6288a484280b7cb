"""Python regular expressions (the filter language's ``field~pattern``) → Lucene regexp.

The filter language searches (``re.search``, case-insensitive); Lucene's ``regexp`` query
matches the whole value and has its own operators. So each top-level alternative becomes
``.*(alt).*`` unless it is anchored with ``^``/``$``; ``\\d \\w \\s`` become classes; Lucene's
extra operators (``@ & ~ < > # "``) are escaped when Python means them literally. What
Lucene cannot express (look-arounds, back-references, ``\\b``) is refused with a clear
message rather than silently matching something else.
"""

from __future__ import annotations

import re

from ktui.feeds.errors import SourceError

_LUCENE_SPECIAL = set('@&~<>#"')
_CLASSES = {"d": "0-9", "w": "A-Za-z0-9_", "s": " \\t\\n\\r\\f\\v"}
_SIMPLE_ESCAPES = {"t": "\\t", "n": "\\n", "r": "\\r", "f": "\\f", "v": "\\v"}


class UnsupportedRegex(SourceError):
    """A pattern that OpenSearch's regexp query cannot express."""


def _refuse(pattern: str, what: str) -> UnsupportedRegex:
    return UnsupportedRegex(f"pattern '{pattern}' uses {what}, which OpenSearch regexp lacks")


def split_alternatives(pattern: str) -> list[str]:
    """Split on ``|`` outside groups and classes."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":  # "[]...]": a leading ] is literal
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _escape_of(pattern: str, body: str, i: int, in_class: bool) -> tuple[str, int]:
    """Translate the escape at ``body[i]`` (a backslash); returns (text, next index)."""
    if i + 1 >= len(body):
        raise _refuse(pattern, "a trailing backslash")
    ch = body[i + 1]
    if ch.lower() in _CLASSES:
        inner = _CLASSES[ch.lower()]
        if ch.isupper():
            if in_class:
                raise _refuse(pattern, f"\\{ch} inside a class")
            return f"[^{inner}]", i + 2
        return (inner if in_class else f"[{inner}]"), i + 2
    if ch in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[ch], i + 2
    if ch.isalnum():
        raise _refuse(pattern, f"\\{ch}")
    return "\\" + ch, i + 2


def _class(pattern: str, body: str, i: int) -> tuple[str, int]:
    """Translate the character class opening at ``body[i]``; returns (text, next index).

    Lucene's ``case_insensitive`` folds literal characters but not class ranges, while
    Python's IGNORECASE folds both: letters and letter ranges get their other case added.
    """
    i += 1
    negated = body[i : i + 1] == "^"
    i += negated
    items: list[str] = []
    extra: list[str] = []
    first = True
    while i < len(body) and (body[i] != "]" or first):
        first = False
        if body[i] == "\\":
            text, i = _escape_of(pattern, body, i, True)
            items.append(text)
            continue
        if body[i + 1 : i + 2] == "-" and i + 2 < len(body) and body[i + 2] != "]":
            low, high = body[i], body[i + 2]
            items.append(_literal_in_class(low) + "-" + _literal_in_class(high))
            if low.isalpha() and high.isalpha() and low.islower() == high.islower():
                extra.append(low.swapcase() + "-" + high.swapcase())
            i += 3
            continue
        items.append(_literal_in_class(body[i]))
        if body[i].isalpha() and body[i].swapcase() != body[i]:
            extra.append(body[i].swapcase())
        i += 1
    if i >= len(body):
        raise _refuse(pattern, "an unclosed character class")
    return "[" + ("^" if negated else "") + "".join(items + extra) + "]", i + 1


def _literal_in_class(ch: str) -> str:
    # "-" too: the other-case letters are appended after it and must not form a range.
    return "\\" + ch if ch in _LUCENE_SPECIAL or ch in "[]-" else ch


def _translate_body(pattern: str, body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            text, i = _escape_of(pattern, body, i, False)
            out.append(text)
            continue
        if ch == "[":
            text, i = _class(pattern, body, i)
            out.append(text)
            continue
        if ch == "(":
            if body.startswith("(?:", i):
                out.append("(")
                i += 3
                continue
            if body.startswith("(?P<", i):
                close = body.find(">", i)
                if close == -1:
                    raise _refuse(pattern, "an unclosed group name")
                out.append("(")
                i = close + 1
                continue
            if body.startswith("(?i)", i):
                i += 4  # the filter language is case-insensitive anyway
                continue
            if body.startswith("(?", i):
                raise _refuse(pattern, "a look-around or inline flag group")
            out.append("(")
            i += 1
            continue
        if ch in "*+?" and body[i + 1 : i + 2] == "?":
            out.append(ch)  # a lazy quantifier matches the same set of strings
            i += 2
            continue
        if ch == "{":
            match = re.match(r"\{(\d*)(,?)(\d*)\}", body[i:])
            if match:
                low = match[1] or "0"
                out.append("{" + low + match[2] + match[3] + "}")
                i += match.end()
                if body[i : i + 1] == "?":
                    i += 1
                continue
            out.append("\\{")
            i += 1
            continue
        if ch in "^$":
            raise _refuse(pattern, f"'{ch}' inside the pattern")
        if ch in _LUCENE_SPECIAL or ch == "}":
            out.append("\\" + ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def to_lucene(patterns: tuple[str, ...] | list[str]) -> str:
    """One Lucene regexp matching a value wherever any of ``patterns`` is found in it."""
    alternatives: list[str] = []
    for pattern in patterns:
        for alt in split_alternatives(pattern):
            head = not alt.startswith("^")
            body = alt if head else alt[1:]
            tail = not (body.endswith("$") and not body.endswith("\\$"))
            body = body if tail else body[:-1]
            translated = _translate_body(pattern, body)
            alternatives.append(
                ("" if not head else ".*") + f"({translated})" + ("" if not tail else ".*")
            )
    return "|".join(alternatives)


def literal_of(pattern: str) -> str | None:
    """The plain text a pattern stands for, if it has no regex operators (else None)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            out.append(pattern[i + 1])
            i += 2
            continue
        if ch in ".^$*+?{}[]()|\\":
            return None
        out.append(ch)
        i += 1
    return "".join(out)
