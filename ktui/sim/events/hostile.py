"""The ``hostile`` and ``malformed`` scenarios: event content that must never be trusted.

``hostile``: Rich markup, ANSI CSI and OSC sequences (clipboard write, window title),
every C0/C1 control, a 200 KB message, bidi overrides, emoji ZWJ sequences, and the nulls
listed for ktui (null count, null involvedObject.namespace, no times but
creationTimestamp, an unknown type). kubectl still copes with all of it.
``malformed``: objects no apiserver would send (null involvedObject, unparseable times),
which break typed clients (``kubectl events``, the official Python client).
"""

from __future__ import annotations

from typing import Any

from ktui.sim.apiserver.convert import fmt_time
from ktui.sim.events.protocol import Cluster

NS = "test"
C0 = "".join(chr(i) for i in range(0x20))
C1 = "".join(chr(i) for i in range(0x80, 0xA0))

HOSTILE_TEXT: dict[str, str] = {
    "markup-close": "closing tag [/] out of nowhere",
    "markup-style": "[bold red]x[/] looks important",
    "markup-link": "[link=https://evil.example]click[/link] to fix your cluster",
    "csi-clear": "\x1b[2Jscreen cleared \x1b[31mred text\x1b[0m \x1b[1;1H\x1b[?25l",
    "osc-clipboard": "clipboard \x1b]52;c;aGVsbG8=\x07 written",
    "osc-title": "title \x1b]0;pwned\x07 changed \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "c0-c1": f"controls:{C0}\x7f{C1}\x9b31m:end",
    "rtl": "فشل سحب الصورة \u202eexe.gnp\u202c שגיאה בהרצה \u2067isolate\u2069",
    "emoji": "👩‍👩‍👧‍👦 family 🏳️‍🌈 flag 🇰🇷 🧑🏽‍💻 dev e\u0301\u0301\u0301 zalgo",
    "long-line": "tab\tand\r\ncarriage return and newline\nsecond line",
}


def hostile(c: Cluster) -> None:
    now = c.now()
    for i, (key, text) in enumerate(HOSTILE_TEXT.items()):
        c.emit(NS, f"Hostile{i}", text, "Warning", "Pod", f"hostile-{key}",
               time=now - 60 * (i + 1), host="node-1")
    c.emit(NS, "[bold red]x[/]", "reason with markup", "Warning", "Pod", "pod-[/]",
           time=now - 30, host="node-1")
    c.emit(NS, "Bad\x1b[2J\x00Reason", "reason with controls", "Warning",
           "Pod\x1b]0;pwned\x07", "name\x9b31m\x07", time=now - 31, host="node-\x1b[31m1")
    big = ("A" * 1000 + "[/]\x1b[2J" + "0123456789" * 10) * 200
    c.emit(NS, "HugeMessage", big[:200_000], "Warning", "Pod", "hostile-200k",
           time=now - 40, host="node-1")
    c.emit(NS, "UnknownType", "an event of a type that is neither Normal nor Warning",
           "Critical", "Pod", "hostile-critical", time=now - 50, host="node-1")
    created = fmt_time(now - 70)
    raws: list[dict[str, Any]] = [
        {"metadata": {"namespace": NS, "name": "hostile-null-count.1",
                      "creationTimestamp": created},
         "involvedObject": {"kind": "Pod", "namespace": NS, "name": "hostile-null-count"},
         "reason": "NullCount", "message": "count is null", "source": {"component": "kubelet"},
         "firstTimestamp": created, "lastTimestamp": created, "count": None,
         "type": "Warning", "eventTime": None, "reportingComponent": "kubelet",
         "reportingInstance": ""},
        {"metadata": {"namespace": NS, "name": "hostile-null-ns.1", "creationTimestamp": created},
         "involvedObject": {"kind": "Pod", "namespace": None, "name": "hostile-null-ns"},
         "reason": "NullNamespace", "message": "involvedObject.namespace is null",
         "source": {"component": "kubelet"}, "firstTimestamp": created,
         "lastTimestamp": created, "count": 1, "type": "Normal", "eventTime": None,
         "reportingComponent": "kubelet", "reportingInstance": ""},
        {"metadata": {"namespace": NS, "name": "hostile-no-times.1",
                      "creationTimestamp": created},
         "involvedObject": {"kind": "Pod", "namespace": NS, "name": "hostile-no-times"},
         "reason": "NoTimes", "message": "every timestamp is null but creationTimestamp",
         "source": {}, "firstTimestamp": None, "lastTimestamp": None, "eventTime": None,
         "series": None, "type": "Normal", "reportingComponent": "", "reportingInstance": ""},
    ]
    for obj in raws:
        c.emit_raw(obj)


def malformed(c: Cluster) -> None:
    """Objects no apiserver sends (they break typed clients such as ``kubectl events``):
    null involvedObject/reason/message, unparseable timestamps, a string series count."""
    created = fmt_time(c.now() - 70)
    raws: list[dict[str, Any]] = [
        {"metadata": {"namespace": NS, "name": "hostile-bare.1", "creationTimestamp": created},
         "involvedObject": None, "reason": None, "message": None, "source": None,
         "type": None, "count": None, "firstTimestamp": None, "lastTimestamp": None,
         "eventTime": None},
        {"metadata": {"namespace": NS, "name": "hostile-bad-times.1",
                      "creationTimestamp": created},
         "involvedObject": {"kind": "Pod", "namespace": NS, "name": "hostile-bad-times"},
         "reason": "BadTimes", "message": "timestamps that do not parse", "type": "Warning",
         "firstTimestamp": "yesterday", "lastTimestamp": "0001-01-01T00:00:00Z",
         "eventTime": "not-a-time", "series": {"count": "three", "lastObservedTime": 12},
         "count": -5, "source": {"component": "kubelet"}},
    ]
    for obj in raws:
        c.emit_raw(obj)
