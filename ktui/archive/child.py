"""The TUI's archive writer process: ``python -m ktui.archive.child``, started by
:class:`ktui.archive.process.ProcessWriter` (see there for why), never by hand.

It reads :mod:`ktui.archive.wire` frames on stdin and hands them to an ordinary
:class:`~ktui.archive.writer.ArchiveWriter` (batched transactions, retries, pruning, all as
in ``ktui record``), and reports on stdout: its status when it changes (at most every
``STATUS_S``), each problem once, each flush done. The end of stdin, whether the TUI closed
it or died, means: write what was received, close the file, exit. It ignores SIGINT and
runs in its own session, so a Ctrl-C or a closed terminal does not cut that short.
"""

from __future__ import annotations

import signal
import sys
import threading
from dataclasses import asdict
from typing import IO, Any

from ktui.archive import wire
from ktui.archive.recorder import DELETE, RESET, UPSERT, Recorder
from ktui.archive.schema import ArchiveError
from ktui.archive.writer import ArchiveWriter

STATUS_S = 0.2
CLOSE_TIMEOUT = 30.0  # s to write what was received once stdin ends


class _Reporter:
    """Frames to the parent, from any thread of this process."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.lock = threading.Lock()
        self.broken = False

    def send(self, message: Any) -> None:
        if self.broken:
            return
        try:
            with self.lock:
                self.out.write(wire.encode(message))
                self.out.flush()
        except (OSError, ValueError):
            self.broken = True  # the parent is gone: keep writing what was received


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    report = _Reporter(stdout)
    first = wire.read(stdin)
    if first is None or first[0] != "open":
        return 2
    _, path, options = first

    writer: ArchiveWriter | None = None

    def problem(error: ArchiveError) -> None:
        state = writer.status.state.value if writer is not None else "retrying"
        report.send(("problem", type(error).__name__, str(error), state))

    writer = ArchiveWriter(path, overflow="block", on_problem=problem, **options)
    writer.start()  # after the name is bound: a problem at once reports the right state
    done = threading.Event()

    def statuses() -> None:
        last = None
        while not done.wait(STATUS_S):
            status = asdict(writer.status)
            if status != last:
                report.send(("status", status))
                last = status

    reporter = threading.Thread(target=statuses, name="ktui-archive-status", daemon=True)
    reporter.start()
    recorders: dict[int, Recorder] = {}
    stashed: dict[int, list[Any]] = {}  # a large call's events, sent a frame at a time
    while (message := wire.read(stdin)) is not None:
        kind = message[0]
        if kind == "items":
            for op, rid, payload, at, count in message[1]:
                writer.submit(op, recorders[rid], _unstash(op, payload, stashed), count, at=at)
        elif kind == "stash":
            stashed.setdefault(message[1], []).extend(wire.unpack_events(message[2]))
        elif kind == "recorder":
            _, rid, server, context, started_at = message
            recorders[rid] = Recorder(writer, server, context, started_at)
        elif kind == "lost":
            recorders[message[1]].lost = True
        elif kind == "flush":
            writer.flush()
            report.send(("status", asdict(writer.status)))
            report.send(("flushed", message[1]))
    closed = writer.close(CLOSE_TIMEOUT)
    done.set()
    reporter.join()
    report.send(("status", asdict(writer.status)))
    return 0 if closed else 1


def _unstash(op: str, payload: Any, stashed: dict[int, list[Any]]) -> Any:
    """The Events of a recorder call as sent (packed tuples, or a stash gathered from
    several frames); other calls' payloads as they are."""
    if op not in (UPSERT, DELETE, RESET):
        return payload
    packed = payload[0] if op == RESET else payload
    if isinstance(packed, tuple) and packed[:1] == ("stash",):
        events = stashed.pop(packed[1])
    else:
        events = wire.unpack_events(packed)
    return (events, payload[1]) if op == RESET else events


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent says when to stop
    sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer))


if __name__ == "__main__":
    main()
