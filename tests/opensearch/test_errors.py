"""Every failure is one clear line of the right SourceError; odd documents never raise."""

from __future__ import annotations

import dataclasses
import socket
import threading

import pytest

from ktui.feeds.errors import Forbidden, SourceError, Unauthorized, Unreachable
from ktui.model.query import Query, parse_query
from ktui.model.timerange import TimeRange
from ktui.opensearch.config import OpenSearchConfig
from ktui.opensearch.source import HistorySource, Superseded
from tests.conftest import wait_until

from .conftest import LAYOUT_FIELDS, Backend, Dataset
from .proxy import FrontProxy

DAY = TimeRange.between(1795046400.0, 1795132800.0)  # 2026-11-19


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fails(config: OpenSearchConfig, kind: type[SourceError]) -> SourceError:
    source = HistorySource(config)
    try:
        with pytest.raises(kind) as caught:
            source.search(Query(), DAY)
    finally:
        source.close()
    text = str(caught.value)
    assert "\n" not in text and len(text) < 300, text
    return caught.value


def test_server_down() -> None:
    port = _free_port()  # nobody listens there any more
    error = _fails(OpenSearchConfig(url=f"http://127.0.0.1:{port}"), Unreachable)
    assert str(error) == f"cannot reach OpenSearch at http://127.0.0.1:{port}: connection refused"
    assert error.retryable


def test_tls_to_a_plain_http_port(backend: Backend) -> None:
    with FrontProxy(backend.url) as proxy:
        url = proxy.url.replace("http://", "https://")
        error = _fails(OpenSearchConfig(url=url), Unreachable)
    assert str(error).startswith(f"TLS with {url} failed")


@pytest.mark.parametrize(
    ("status", "kind", "start"),
    [
        (401, Unauthorized, "OpenSearch at {url} rejected the credentials (401)"),
        (
            403,
            Forbidden,
            "OpenSearch denied access to eks-kubernetes-events* (403): no permissions",
        ),
    ],
)
def test_security_plugin_answers(
    backend: Backend, status: int, kind: type[SourceError], start: str
) -> None:
    with FrontProxy(backend.url, status=status) as proxy:
        error = _fails(OpenSearchConfig(url=proxy.url, user="reader", password="wrong"), kind)
    assert str(error).startswith(start.format(url=proxy.url))
    assert "wrong" not in str(error)


@pytest.mark.parametrize("pattern", ["nothing-here-*", "nothing-here"])
def test_missing_index(backend: Backend, dataset: Dataset, pattern: str) -> None:
    error = _fails(backend.config(pattern), SourceError)
    assert str(error) == f"no index matches {backend.prefix}{pattern} (check the index pattern)"


def test_timeout_is_retryable(backend: Backend, dataset: Dataset) -> None:
    with FrontProxy(backend.url, delay=1.5) as proxy:
        config = backend.config("eks-kubernetes-events*", request_timeout=0.3)
        config = dataclasses.replace(config, url=proxy.url)
        error = _fails(config, SourceError)
    assert str(error).startswith(f"OpenSearch at {proxy.url} did not answer within 0.3 s")
    assert error.retryable


def test_unsupported_regex_is_a_clear_error(single_source: HistorySource) -> None:
    with pytest.raises(SourceError, match="look-around"):
        single_source.search(parse_query("reason~Back(?=Off)"), DAY)


def test_cancel_drops_a_running_query(backend: Backend, dataset: Dataset) -> None:
    with FrontProxy(backend.url, delay=0.6) as proxy:
        config = backend.config("eks-kubernetes-events*")
        config = dataclasses.replace(config, url=proxy.url)
        source = HistorySource(config)
        outcome: list[object] = []

        def run() -> None:
            try:
                outcome.append(source.search(Query(), DAY))
            except Superseded as signal:
                outcome.append(signal)

        worker = threading.Thread(target=run)
        worker.start()
        wait_until(lambda: bool(proxy.requests))  # the query is running (held 0.6 s)
        source.cancel()
        worker.join(30)
        source.close()
    assert len(outcome) == 1 and isinstance(outcome[0], Superseded)


def test_odd_documents_never_raise(backend: Backend, dataset: Dataset) -> None:
    source = backend.source("odd-events-*")
    try:
        page = source.search(Query(), DAY.shifted(-1.0))
        assert page.total == 6 and len(page.events) == 6
        by_uid = {e.uid: e for e in page.events}
        assert by_uid["odd-1"].count == 3 and by_uid["odd-1"].reason == "BackOff"
        assert by_uid["odd-1"].message == "Back-off [/] \x1b[2J restarting"  # escaped by the UI
        assert by_uid["odd-6"].object.kind == ""  # involvedObject was a string
        assert by_uid["odd-4"].time == 1794996180.0  # only the creation time
        no_uid = [e for e in page.events if e.uid.startswith(backend.prefix + "odd-events-1/")]
        assert len(no_uid) == 2  # no metadata.uid: identified by index and _id
        assert page.namespace_counts[""] == (1, 0)  # metadata: null
        warnings = source.search(parse_query("type:warning kind:pod"), DAY.shifted(-1.0))
        assert [e.uid for e in warnings.events] == ["odd-1"]
    finally:
        source.close()


def test_custom_layout_with_field_overrides(backend: Backend, dataset: Dataset) -> None:
    source = backend.source("layout-events", fields=dict(LAYOUT_FIELDS))
    try:
        page = source.search(parse_query("type:Warning kind:pod"), DAY.shifted(-1.0))
        assert [e.uid for e in page.events] == ["layout-5", "layout-3", "layout-1"]
        assert {e.namespace for e in page.events} == {"payments"}
        assert page.events[0].raw["object"] == "web-5"  # the document as stored
        assert page.namespace_counts == {"payments": (3, 3)}
        everything = source.search(Query(), DAY.shifted(-1.0))
        assert everything.namespace_counts == {"orders": (3, 0), "payments": (3, 3)}
    finally:
        source.close()


def test_password_asked_once_and_never_shown() -> None:
    asked: list[int] = []

    def ask() -> str:
        asked.append(1)
        return "s3cret"

    port = _free_port()
    config = OpenSearchConfig(url=f"http://127.0.0.1:{port}", user="admin", password_callback=ask)
    source = HistorySource(config)
    for _ in range(2):
        with pytest.raises(Unreachable) as caught:
            source.search(Query(), DAY)
        assert "s3cret" not in str(caught.value)
    source.close()
    assert asked == [1]
    assert "s3cret" not in repr(config)
