"""Reading settings.toml leniently, for :mod:`ktui.config` (the loader).

- Only a regular file is read (``os.stat`` first, then a non-blocking open checked again
  with ``fstat``): a named pipe or a device named settings.toml would block ktui forever.
- A syntax error costs its line, not the file: the line is skipped (a broken table
  header becomes a table nobody reads, so its keys do not land in the table above) and
  the file is parsed again, so a typo in [opensearch] never switches off [ui].
- :class:`Located` remembers on which line each key and table header is, so a problem
  with a value can name its line; ``tomllib`` itself does not say.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from typing import Final

from ktui.records import record

MAX_BYTES = 1 << 20  # settings are a few lines; anything bigger is not a settings file
MAX_REPAIRS = 50  # syntax errors skipped before giving up on the file
_BROKEN = "__ktui_unreadable_line_"
# Patterns, compiled (and cached) by re when a settings file is first read.
_AT_LINE = r"\s*\(at line (\d+), column \d+\)\s*$"
_HEADER = r"^\s*\[\[?\s*([^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$"
_KEY = r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*="""


@record
class Problem:
    """One thing wrong with the settings: where (a file, a variable or a flag), the line
    in the file when known, and what (including what ktui uses instead)."""

    file: str
    line: int | None
    what: str

    @property
    def from_flag(self) -> bool:
        """From the command line: the CLI refuses to run rather than guess."""
        return self.file.startswith("--")

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}" if self.line else f"{self.file}: {self.what}"


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()
"""What :meth:`Located.get` returns for a key the file does not have."""

Sink = Callable[[Problem], None]


class Located:
    """One table of the file: its values, the lines of its keys, and where problems go."""

    def __init__(self, data: Mapping[str, object], file: str, sink: Sink,
                 lines: Mapping[tuple[str, str], int] | None = None, name: str = "") -> None:
        self.data, self.file, self.sink, self.name = data, file, sink, name
        self.lines: Mapping[tuple[str, str], int] = lines or {}

    def names(self) -> list[str]:
        return [key for key in self.data if not key.startswith(_BROKEN)]

    def get(self, key: str) -> object:
        return self.data.get(key, UNSET)

    def line(self, key: str) -> int | None:
        """The key's line, else its own table header's, else this table's header."""
        inner = f"{self.name}.{key}" if self.name else key
        return (self.lines.get((self.name, key)) or self.lines.get((inner, ""))
                or self.lines.get((self.name, "")))

    def problem(self, key: str, what: str) -> None:
        """Report ``what`` (a whole phrase) about ``key`` of this table."""
        self.sink(Problem(self.file, self.line(key), f"[{self.name}] {what}" if self.name
                          else what))

    def problem_at(self, key: str) -> Callable[[str], None]:
        """A reporter for phrases about ``key`` ("must be ..."): the key is prefixed."""
        return lambda what: self.problem(key, f"{key} {what}")

    def section(self, key: str) -> Located:
        """The sub-table ``key`` (empty when absent or when it is not a table)."""
        value = self.get(key)
        inner = f"{self.name}.{key}" if self.name else key
        if isinstance(value, Mapping):
            return Located(value, self.file, self.sink, self.lines, inner)
        if value is not UNSET:
            self.sink(Problem(self.file, self.line(key), f"[{inner}] must be a table; ignored"))
        return Located({}, self.file, self.sink, self.lines, inner)


def read_toml(path: os.PathLike[str] | str, sink: Sink) -> Located:
    """The file's top-level table; a missing file is an empty one, other trouble is a
    problem and as much of the file as could be read."""
    file = str(path)
    text = _read_text(file, sink)
    if text is None:
        return Located({}, file, sink)
    lines = text.split("\n")
    data = _parse(lines, file, sink)
    return Located(data, file, sink, _key_lines(lines))


def _read_text(file: str, sink: Sink) -> str | None:
    def fail(what: str, line: int | None = None) -> None:
        sink(Problem(file, line, f"{what}; using the defaults"))

    try:
        info = os.stat(file)
    except FileNotFoundError:
        if os.path.islink(file):
            fail("is a link to nothing")
        return None  # no settings file: the defaults, silently
    except OSError as error:
        fail(f"cannot be read ({error.strerror})")
        return None
    if not stat.S_ISREG(info.st_mode):
        fail("is not a regular file")
        return None
    try:
        # Non-blocking: if a pipe replaced the file since the stat, open does not wait.
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                fail("is not a regular file")
                return None
            raw = handle.read(MAX_BYTES + 1)
    except OSError as error:
        fail(f"cannot be read ({error.strerror})")
        return None
    if len(raw) > MAX_BYTES:
        fail(f"is larger than {MAX_BYTES // 1024} KiB")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        fail("is not UTF-8 text", raw[: error.start].count(b"\n") + 1)
        return None


def _parse(lines: list[str], file: str, sink: Sink) -> Mapping[str, object]:
    """Parse, skipping each line a syntax error is reported on (bounded)."""
    skipped: set[int] = set()
    for _ in range(MAX_REPAIRS + 1):
        try:
            return tomllib.loads("\n".join(lines))
        except tomllib.TOMLDecodeError as error:
            message = str(error)
            match = re.search(_AT_LINE, message)
            reason = re.sub(_AT_LINE, "", message) or "syntax error"
            number = int(match.group(1)) if match else 0
            if not 1 <= number <= len(lines) or number in skipped:
                sink(Problem(file, number or None,
                             f"not valid TOML ({reason}); using the defaults"))
                return {}
            skipped.add(number)
            sink(Problem(file, number, f"not valid TOML ({reason}); line ignored"))
            broken = lines[number - 1]
            # A header's keys go to a table nobody reads, not to the table above it.
            lines[number - 1] = f"[{_BROKEN}{number}]" if broken.lstrip().startswith("[") else ""
    sink(Problem(file, None, "too many TOML errors; using the defaults"))
    return {}


def _key_lines(lines: list[str]) -> dict[tuple[str, str], int]:
    """(table, key) -> line of its first occurrence; (table, "") -> its header's line.
    Plain ``key = value`` lines only: good enough to point at, never used to parse."""
    found: dict[tuple[str, str], int] = {}
    table = ""
    for number, line in enumerate(lines, 1):
        header = re.match(_HEADER, line)
        if header:
            table = ".".join(_unquote(part) for part in header.group(1).split("."))
            found.setdefault((table, ""), number)
            continue
        key = re.match(_KEY, line)
        if key:
            found.setdefault((table, _unquote(key.group(1))), number)
    return found


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        return part[1:-1]
    return part
