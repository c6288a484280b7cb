"""The Markdown report: escaping rules, and what a GFM renderer makes of hostile text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from ktui.model.event import Event, format_time, from_core_v1
from ktui.model.grouping import OWNER, REASON, group_events
from ktui.model.report import (
    CELL_LIMIT,
    Heading,
    cell,
    events_markdown,
    group_summary,
    groups_markdown,
    report_file_name,
)
from ktui.sim.events.hostile import C0, C1, HOSTILE_TEXT

T0 = 1_794_873_600.0
HOSTILE = {**HOSTILE_TEXT, "link": "see [docs](https://evil.example) and ![x](https://e/i.png)",
           "html": "<img src=x onerror=alert(1)> <script>x</script> <!-- eats the rest",
           "entity": "&#x202e;reversed &amp; &lt;b&gt;", "code": "`unclosed | code",
           "pipes": "a | b || c \\| d \\", "emphasis": "*v1.Pod* and ~~gone~~ and __init__"}
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def ev(i: int, name: str, reason: str, message: str, *, type: str = "Warning",
       kind: str = "Pod", ns: str = "test") -> Event:
    return from_core_v1({
        "metadata": {"namespace": ns, "name": f"e{i}", "uid": f"u{i}"},
        "involvedObject": {"kind": kind, "name": name, "namespace": ns},
        "reason": reason, "message": message, "type": type, "count": i + 1,
        "lastTimestamp": format_time(T0 + i * 60),
    }, context="demo")


def hostile_events() -> list[Event]:
    events = [ev(i, f"pod-{key}", f"Hostile{i}", text)
              for i, (key, text) in enumerate(HOSTILE.items())]
    events.append(ev(90, "name\x9b31m\x07|x", "[bold red]x[/]", "reason with markup",
                     kind="Pod\x1b]0;pwned\x07", ns="ns|\x1b[2J"))
    events.append(ev(91, "web-5f8b9c7d6-x2x9k", "BackOff", "A" * 300_000))
    return events


class _Cells(HTMLParser):
    """The text of every table cell of rendered HTML, <br> as a newline; every tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def rendered(markdown: str) -> _Cells:
    parser = _Cells()
    parser.feed(MarkdownIt("gfm-like", {"html": True}).render(markdown))
    return parser


def shown(text: str) -> str:
    """What a reader must see of a value: line ends as line breaks, tabs as spaces,
    other controls as visible escapes, cut at the limit."""
    out = re.sub(r"\r\n|\r|\n", "\n", text[:CELL_LIMIT]).replace("\t", " ")
    out = _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) <= 0xFF
                      else f"\\u{ord(m.group()):04x}", out)
    return out + ("…" if len(text) > CELL_LIMIT else "")


def assert_inert(markdown: str) -> None:
    # no control character but the line ends; no DEL, no C1
    assert not [c for c in markdown if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    assert not re.search("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", markdown)


def test_cell_escaping_rules() -> None:
    assert cell("a|b") == "a\\|b"
    assert cell("back\\slash") == "back\\\\slash"
    assert cell("one\ntwo\r\nthree\rfour") == "one<br>two<br>three<br>four"
    assert cell("tab\there") == "tab here"
    assert cell("esc\x1b[2J") == "esc\\\\x1b\\[2J"
    assert cell("c1\x9b and del\x7f") == "c1\\\\x9b and del\\\\x7f"
    assert cell("rlo\u202eexe") == "rlo\\\\u202eexe"
    assert cell("[x](http://e) <b> `c` *e* ~s~ &amp;") == (
        "\\[x\\](http://e) \\<b\\> \\`c\\` \\*e\\* \\~s\\~ \\&amp;")
    assert cell("x" * 10, limit=4) == "xxxx…"
    assert cell("plain: 0/3 nodes are available.") == "plain: 0/3 nodes are available."


def test_events_report_renders_hostile_text_as_text() -> None:
    events = hostile_events()
    report = events_markdown(events, Heading("demo|\x1b]52;c;aGk=\x07", "type:Warning",
                                             T0, T0 + 3600, written=T0 + 3600))
    assert_inert(report)
    assert report.startswith("## Kubernetes events: demo\\|\\\\x1b\\]52;c;aGk=\\\\x07\n")
    assert "- **Filter:** type:Warning\n" in report
    assert f"- **Time range:** {format_time(T0)} – {format_time(T0 + 3600)}\n" in report
    assert f"- **Events:** {len(events)} ({len(events)} Warning, 0 Normal)" in report
    page = rendered(report)
    header, *rows = page.rows
    assert header == ["Last seen", "Namespace", "Type", "Reason", "Object", "Count", "Message"]
    assert len(rows) == len(events)
    for row, event in zip(rows, events, strict=True):
        assert len(row) == 7  # no pipe, newline or code span broke the row
        assert row[3] == shown(event.reason)
        assert row[4] == shown(event.object.display)
        assert row[6] == shown(event.message)
    # nothing became a link (but GFM's own autolinks, whose text is their target), an
    # image, a script or any other tag
    allowed = {"h2", "ul", "li", "strong", "p", "table", "thead", "tbody", "tr", "th", "td",
               "br", "a"}
    assert {tag for tag, _ in page.tags} <= allowed
    assert all(attrs.get("href", "").startswith("https://evil.example")
               or attrs.get("href", "").startswith("https://e/")
               for tag, attrs in page.tags if tag == "a")


def test_groups_report() -> None:
    events = hostile_events()
    groups = group_events(events, OWNER)
    report = groups_markdown(groups, Heading("demo", "all events"), OWNER)
    assert_inert(report)
    assert f"- **Grouped by:** owner, {len(groups)} groups\n" in report
    assert "(the events' own span)" in report
    page = rendered(report)
    header, *rows = page.rows
    assert header[:4] == ["Last seen", "Owner", "Namespace", "Resolved by"]
    assert len(rows) == len(groups)
    for row, group in zip(rows, groups, strict=True):
        assert len(row) == 11
        assert row[1] == shown(group.display)
        assert row[10] == shown(group.message)
    web = rows[[g.display for g in groups].index("deployment/web")]
    assert web[3] == "name" and web[4:7] == ["1", "0", "92"]
    assert web[7] == "BackOff ×1" and web[8] == "1: pod/web-5f8b9c7d6-x2x9k"
    by_reason = groups_markdown(group_events(events, REASON), Heading("demo"), REASON)
    assert rendered(by_reason).rows[0] == ["Last seen", "Reason", "Warnings", "Normals",
                                           "Occurrences", "Objects", "First seen", "Message"]
    assert all(len(row) == 8 for row in rendered(by_reason).rows)


def test_empty_reports() -> None:
    assert events_markdown([], Heading("")).endswith("- **Events:** 0 (0 Warning, 0 Normal), "
                                                     "0 occurrences\n\nNo events.\n")
    assert groups_markdown([], Heading("x"), OWNER).endswith("No events.\n")


@pytest.mark.parametrize("text", [*C0, *C1, "\x7f", "\u202e"])
def test_no_control_character_survives_in_a_cell(text: str) -> None:
    assert_inert(cell(f"a{text}b"))


def test_group_summary_is_one_safe_paragraph() -> None:
    events = hostile_events()
    for group in group_events(events, OWNER):
        summary = group_summary(group)
        assert "\n" not in summary and "\r" not in summary
        assert not _UNSAFE.search(summary)
    [web] = [g for g in group_events(events, OWNER) if g.display == "deployment/web"]
    assert group_summary(web).startswith(
        "deployment/web in test (grouped by name): 1 warnings and 0 normal events "
        "(92 occurrences)")


@pytest.mark.parametrize(("context", "name"), [
    ("demo", "demo-20261117T000000Z.md"),
    ("arn:aws:eks:eu-west-1:123456789012:cluster/prod",
     "arn_aws_eks_eu-west-1_123456789012_cluster_prod-20261117T000000Z.md"),
    ("../../etc/passwd", "etc_passwd-20261117T000000Z.md"),
    ("", "events-20261117T000000Z.md"),
    ("\x1b]52;c;aGk=\x07", "52_c_aGk-20261117T000000Z.md"),
    (".hidden", "hidden-20261117T000000Z.md"),
])
def test_report_file_name(context: str, name: str) -> None:
    assert report_file_name(context, T0) == name
