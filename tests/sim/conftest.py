"""Fixtures for the simulator tests: real clusters on loopback and a small HTTP client."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ktui.sim import Grant, SimCluster
from tests.conftest import wait_until

TOKENS = {
    "admin-token": Grant.all(),
    "ns-token": Grant(namespaces={"test"}, groups={""},
                      user="system:serviceaccount:test:viewer"),
    "new-api-token": Grant(groups={"events.k8s.io"}, user="new-api-only"),
}


class FakeClock:
    """A settable clock for deterministic times."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """A minimal Kubernetes HTTP client over http.client (no retries, no magic)."""

    def __init__(self, cluster: SimCluster, token: str | None = "admin-token") -> None:
        self.cluster = cluster
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(extra or {})
        return h

    def conn(self, timeout: float = 10) -> http.client.HTTPConnection:
        if self.cluster.tls:
            from ktui.sim.apiserver.tls import client_context

            return http.client.HTTPSConnection("127.0.0.1", self.cluster.port, timeout=timeout,
                                               context=client_context())
        return http.client.HTTPConnection("127.0.0.1", self.cluster.port, timeout=timeout)

    def request(self, path: str, method: str = "GET", body: Any = None,
                headers: dict[str, str] | None = None) -> Response:
        c = self.conn()
        try:
            data = json.dumps(body).encode() if body is not None else None
            h = self.headers(headers)
            if data is not None:
                h["Content-Type"] = "application/json"
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            c.close()

    def get(self, path: str, **kw: Any) -> Response:
        return self.request(path, **kw)

    def list_all(self, path: str, limit: int = 500,
                 between: Callable[[], None] | None = None) -> tuple[list[dict[str, Any]], str]:
        """Page through a list; ``between`` runs between pages. Returns (items, rv)."""
        items: list[dict[str, Any]] = []
        cont = ""
        rvs = set()
        sep = "&" if "?" in path else "?"
        while True:
            r = self.get(f"{path}{sep}limit={limit}" + (f"&continue={cont}" if cont else ""))
            assert r.status == 200, r.body[:500]
            d = r.json()
            items += d["items"]
            rvs.add(d["metadata"]["resourceVersion"])
            cont = d["metadata"].get("continue", "")
            if not cont:
                break
            if between:
                between()
        assert len(rvs) == 1, f"pages from different snapshots: {rvs}"
        return items, rvs.pop()


class WatchReader:
    """Reads a watch stream as raw lines; survives cuts mid-line (``broken`` is set)."""

    def __init__(self, client: Client, path: str, timeout: float = 10,
                 headers: dict[str, str] | None = None) -> None:
        self.conn = client.conn(timeout)
        self.conn.request("GET", path, headers=client.headers(headers))
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.broken = False
        self.partial = b""

    def lines(self) -> Iterator[dict[str, Any]]:
        if self.status != 200:
            return
        buf = b""
        while True:
            try:
                chunk = self.resp.read1(65536)
            except (http.client.IncompleteRead, ConnectionError, OSError) as exc:
                self.broken = True
                if isinstance(exc, http.client.IncompleteRead):
                    buf += exc.partial
                break
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                yield json.loads(line)
        self.partial = buf

    def take(self, n: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if n <= 0:
            return out
        for ev in self.lines():
            out.append(ev)
            if len(out) >= n:
                break
        return out

    def body(self) -> Any:
        return json.loads(self.resp.read())

    def close(self) -> None:
        try:
            self.conn.sock and self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    c = SimCluster(name="t", scenario="scenario-a,scenario-b,scenario-c", tokens=TOKENS,
                   bookmark_interval=0.2)
    with c:
        yield c


@pytest.fixture
def empty() -> Iterator[SimCluster]:
    c = SimCluster(name="e", scenario="empty", tokens=TOKENS, bookmark_interval=0.2)
    with c:
        yield c


@pytest.fixture
def client(cluster: SimCluster) -> Client:
    return Client(cluster)


def wait_for(pred: Callable[[], bool], timeout: float = 5.0) -> None:
    wait_until(pred, timeout)
