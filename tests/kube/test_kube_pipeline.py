"""The paged list with the next page's request sent before a page is handed over
(kube_pager.Pipeline), over real HTTP: a 410 on page N+1 while page N is processed, a stop
while a request is out, a connection that drops between pages. Nothing of ours is patched;
where the simulator has no such fault, a small HTTP server in the test plays the API server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ktui.feeds.channel import BatchChannel
from ktui.kube.source import KubeSource, WatchSettings
from ktui.sim import Grant, SimCluster, write_kubeconfig
from ktui.sim.apiserver.tls import CA_PEM
from tests.conftest import wait_until
from tests.kube.test_kube_watch import FAST, truth

SMALL_PAGES = WatchSettings(**{**FAST.__dict__, "page_size": 100})


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    sim = SimCluster(name="sim", scenario="empty", seed=11, tokens={"admin-token": Grant.all()})
    sim.load(1000, namespaces=["test", "other"])
    sim.start()
    yield sim
    sim.stop()


class Pages:
    """A page hook that records what it is handed (``restart`` voids what came before)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, bool]] = []
        self.rows: dict[str, tuple[str, int]] = {}
        self.on_page: list[Any] = []  # callables run inside the hook, one per page

    def __call__(self, scope: str, api: str, items: list[Any], restart: bool) -> None:
        if restart:
            self.rows.clear()
        self.calls.append((len(items), restart))
        for obj in items:
            meta = obj["metadata"]
            assert meta["uid"] not in self.rows, "an event handed over twice"
            count = (obj.get("series") or {}).get("count") or obj.get("count") or 1
            self.rows[meta["uid"]] = (meta["resourceVersion"], count)
        if len(self.on_page) >= len(self.calls):
            self.on_page[len(self.calls) - 1]()


def list_with(kubeconfig: Path, pages: Pages, settings: WatchSettings = SMALL_PAGES) -> None:
    source = KubeSource(
        kubeconfig=str(kubeconfig),
        watch=False,
        fail_fast=True,
        keep_raw=False,
        settings=settings,
        page_hook=pages,
    )
    source.run(BatchChannel(), threading.Event())


def test_410_on_the_next_page_while_this_one_is_processed_restarts_the_list(
    cluster: SimCluster, tmp_path: Path
) -> None:
    pages = Pages()
    # armed inside page 1's hook, when page 2's request is already sent: the server answers
    # 410 to page 2 (if it had not read the request yet) or to page 3, while page 1 or 2 is
    # being handed over
    pages.on_page = [lambda: cluster.faults.expire_next_continue(1)]
    list_with(write_kubeconfig(tmp_path / "kc", [cluster]), pages)
    assert cluster.faults.fired["expired_continue"] == 1
    restarts = [i for i, (_n, restart) in enumerate(pages.calls) if restart]
    assert restarts in ([0, 1], [0, 2])  # the relist voids what came before it
    assert all(n == 100 for n, _restart in pages.calls)
    assert len(pages.calls) == restarts[1] + 10  # then the whole list again
    assert pages.rows == truth(cluster)


def test_a_server_restart_between_pages_is_ridden_out(cluster: SimCluster, tmp_path: Path) -> None:
    pages = Pages()
    # page 2's request is out (maybe answered, maybe cut) when the server restarts
    pages.on_page = [cluster.restart, lambda: None, cluster.restart]
    list_with(write_kubeconfig(tmp_path / "kc", [cluster]), pages)
    assert cluster.faults.fired["restart"] == 2
    assert [restart for _n, restart in pages.calls] == [True] + [False] * 9
    assert pages.rows == truth(cluster)


def test_the_thread_pager_lists_the_same(cluster: SimCluster, tmp_path: Path) -> None:
    pages = Pages()
    settings = WatchSettings(**{**SMALL_PAGES.__dict__, "list_ahead": "thread"})
    list_with(write_kubeconfig(tmp_path / "kc", [cluster]), pages, settings)
    assert pages.rows == truth(cluster) and len(pages.calls) == 10


def test_gzipped_pages_list_the_same(tmp_path: Path) -> None:
    """kube-apiserver gzips list pages of 128 KiB or more for a client that asks, as ktui
    does: the continue token is then read from the decoded head, by both pagers."""
    import urllib3

    sim = SimCluster(name="gz", scenario="empty", seed=12, gzip=True,
                     tokens={"admin-token": Grant.all()})
    sim.load(1500, namespaces=["test", "other"])
    with sim:
        raw = urllib3.PoolManager(ca_cert_data=CA_PEM).request(
            "GET", f"{sim.url}/api/v1/events?limit=500", preload_content=False,
            headers={"Authorization": "Bearer admin-token", "Accept-Encoding": "gzip"},
        )
        assert raw.headers.get("Content-Encoding") == "gzip"
        assert raw.read(decode_content=False)[:2] == b"\x1f\x8b"  # gzip's magic
        kubeconfig = write_kubeconfig(tmp_path / "kc", [sim])
        for ahead in ("send", "thread"):
            pages = Pages()
            settings = WatchSettings(**{**FAST.__dict__, "page_size": 500, "list_ahead": ahead})
            list_with(kubeconfig, pages, settings)
            assert pages.rows == truth(sim), ahead
            assert [n for n, _restart in pages.calls] == [500, 500, 500], ahead
    assert sim.counters["gzipped"] >= 1 + 2 * 3


class FakeServer:
    """An API server of three 2-event pages whose continue requests misbehave on cue:
    ``drop``: that many of them get the connection closed with no answer; ``hang``: they
    get no answer until the server closes (30 s at most)."""

    def __init__(self) -> None:
        self.drop = 0
        self.hang = False
        self.closing = threading.Event()
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                owner.requests.append(self.path)
                offset = int(self.path.split("continue=")[1]) if "continue=" in self.path else 0
                if offset and owner.drop:
                    owner.drop -= 1
                    self.close_connection = True
                    return
                if offset and owner.hang:
                    owner.closing.wait(30)
                    return
                items = [
                    {
                        "metadata": {
                            "uid": f"u{i}",
                            "name": f"e{i}",
                            "namespace": "ns",
                            "resourceVersion": str(i),
                        },
                        "reason": "Fake",
                    }
                    for i in range(offset, offset + 2)
                ]
                meta: dict[str, str] = {"resourceVersion": "42"}
                if offset + 2 < 6:
                    meta["continue"] = str(offset + 2)
                body = json.dumps({"kind": "EventList", "metadata": meta, "items": items})
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def kubeconfig(self, path: Path) -> Path:
        port = self.server.server_address[1]
        path.write_text(
            f"clusters: [{{name: c, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
            "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n"
        )
        return path

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.close()


def test_a_connection_closed_before_the_next_page_answers_is_tried_again(
    fake: FakeServer, tmp_path: Path
) -> None:
    fake.drop = 1
    pages = Pages()
    list_with(fake.kubeconfig(tmp_path / "kc"), pages, FAST)
    assert sorted(pages.rows) == [f"u{i}" for i in range(6)]
    assert [restart for _n, restart in pages.calls] == [True, False, False]  # no relist
    continued = [p for p in fake.requests if "continue=" in p]
    assert len(continued) == 3  # page 2 twice (the dropped one, then on a fresh connection)
    assert continued[0] == continued[1]


def test_a_connection_that_keeps_dropping_is_an_error(fake: FakeServer, tmp_path: Path) -> None:
    from ktui.feeds.errors import Unreachable

    fake.drop = 10
    with pytest.raises(Unreachable, match="cannot reach"):
        list_with(fake.kubeconfig(tmp_path / "kc"), Pages(), FAST)


def test_stop_while_the_next_page_is_awaited_is_prompt(fake: FakeServer, tmp_path: Path) -> None:
    fake.hang = True
    pages = Pages()
    source = KubeSource(
        kubeconfig=str(fake.kubeconfig(tmp_path / "kc")),
        watch=False,
        keep_raw=False,
        settings=FAST,
        page_hook=pages,
    )
    feed = source.start(BatchChannel())
    wait_until(lambda: bool(pages.calls), timeout=5)
    assert pages.calls == [(2, True)]
    # blocked on page 2's answer: the server holds that request
    wait_until(lambda: any("continue=" in path for path in fake.requests), timeout=5)
    assert feed.stop(timeout=5.0)  # stopped while the server still holds page 2
    assert pages.calls == [(2, True)]
