"""Helpers for the archive tests: events as the live source builds them, a settable
clock, reading the file as another program would."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ktui.archive import ArchiveError, ArchiveWriter
from ktui.kube.decode import build
from ktui.model.event import Event, format_time

SERVER = "https://cluster.example:6443"
NOW = 1_790_000_000.0


class Clock:
    """A settable wall clock for the writer (seen_at, retention)."""

    def __init__(self, start: float = NOW) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def obj(
    uid: str,
    rv: int,
    t: float,
    *,
    ns: str = "test",
    type: str = "Normal",
    reason: str = "Pulled",
    count: int = 1,
    message: str | None = None,
    kind: str = "Pod",
    name: str | None = None,
    host: str = "node-1",
    component: str = "kubelet",
) -> dict[str, Any]:
    """A core/v1 event object as an API server sends it."""
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {"uid": uid, "name": f"{name or uid}.{rv:x}", "namespace": ns,
                     "resourceVersion": str(rv), "creationTimestamp": format_time(t - 60)},
        "involvedObject": {"kind": kind, "name": name or f"web-{uid}", "namespace": ns,
                           "uid": f"obj-{uid}"},
        "reason": reason,
        "message": message if message is not None else f"message of {uid}",
        "source": {"component": component, "host": host},
        "firstTimestamp": format_time(t - 60),
        "lastTimestamp": format_time(t),
        "count": count,
        "type": type,
    }  # fmt: skip


def event_of(o: dict[str, Any], context: str = "ctx") -> Event:
    """The Event the live source builds (raw kept as the bytes received)."""
    raw = json.dumps(o, separators=(",", ":")).encode()
    return build(o, "v1", context, True, raw)


def ev(uid: str, rv: int, t: float, **kw: Any) -> Event:
    return event_of(obj(uid, rv, t, **kw))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "archive.sqlite3"


@pytest.fixture
def problems() -> list[ArchiveError]:
    return []


@pytest.fixture
def writer(path: Path, problems: list[ArchiveError]) -> Iterator[ArchiveWriter]:
    w = ArchiveWriter(path, clock=Clock(), on_problem=problems.append, commit_interval=0.05)
    w.start()
    yield w
    w.close()


def rows(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the file as any other program would."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
