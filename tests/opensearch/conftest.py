"""One OpenSearch for the whole directory, loaded once with realistic exporter documents.

By default an in-memory osmem-server (started here, stopped at the end of the session).
With ``KTUI_TEST_OPENSEARCH_URL`` (and ``KTUI_TEST_OPENSEARCH_USER``/``_PASSWORD``) the same
tests run against that cluster, under a unique index prefix that is deleted afterwards.

Data: the same generated documents in both naming schemes the exporter is configured
with: one ``eks-kubernetes-events`` index with ``useEventID`` (dynamic mapping: text +
``.keyword``) and daily ``kube-events-YYYY-MM-DD`` indices without it (strings mapped as
keyword by a template), plus tiny indices for odd documents and a custom layout.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from opensearchpy import OpenSearch, helpers

from ktui.opensearch.source import HistorySource, OpenSearchConfig
from ktui.sim.exporter import generate, index_documents

from .oracle import Prepared, prepare, stored_documents

START = 1794873600.0  # 2026-11-17T00:00:00Z
DAYS = 3
N_DOCS = 15_200


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The first test here also pays for loading the data (tens of seconds on a busy
    # 2-core machine); pytest-timeout counts fixture setup in the test's time.
    for item in items:
        if "tests/opensearch/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.timeout(400))


LAYOUT_FIELDS = {
    "last_timestamp": "ts",
    "namespace": "ns",
    "kind": "object_kind",
    "name": "object",
    "message": "text",
    "reason": "why",
    "type": "severity",
    "uid": "id",
    "cluster": "cluster",
}


@dataclass
class Backend:
    url: str
    user: str
    password: str
    prefix: str
    client: OpenSearch
    created: list[str] = field(default_factory=list)

    def config(self, index: str, **overrides: Any) -> OpenSearchConfig:
        config = OpenSearchConfig(
            url=self.url,
            index=self.prefix + index,
            user=self.user,
            password=self.password,
            request_timeout=60,  # a shared 2-core machine under load is slow, not broken
            verify_certs=not os.environ.get("KTUI_TEST_OPENSEARCH_INSECURE"),
        )
        return dataclasses.replace(config, **overrides)

    def source(self, index: str, **overrides: Any) -> HistorySource:
        return HistorySource(self.config(index, **overrides))


@pytest.fixture(scope="session")
def backend() -> Iterator[Backend]:
    url = os.environ.get("KTUI_TEST_OPENSEARCH_URL")
    if url:
        user = os.environ.get("KTUI_TEST_OPENSEARCH_USER", "")
        password = os.environ.get("KTUI_TEST_OPENSEARCH_PASSWORD", "")
        insecure = bool(os.environ.get("KTUI_TEST_OPENSEARCH_INSECURE"))
        client = OpenSearch(
            hosts=[url],
            http_auth=(user, password) if user else None,
            verify_certs=not insecure,
            ssl_show_warn=False,
            timeout=120,
        )
        prefix = f"ktui-test-{uuid.uuid4().hex[:8]}-"
        backend = Backend(url, user, password, prefix, client)
        try:
            yield backend
        finally:
            # Explicit names: clusters may refuse wildcard deletes.
            names = list(client.indices.get(index=prefix + "*", expand_wildcards="all"))
            for name in names:
                client.indices.delete(index=name, ignore_unavailable=True)
        return
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    try:
        client = OpenSearch(hosts=[server.url], timeout=120)
        yield Backend(server.url, "", "", "", client)
    finally:
        server.close()


@dataclass
class Dataset:
    docs: list[dict[str, Any]]
    single_docs: list[Mapping[str, Any]]  # what eks-kubernetes-events holds (useEventID)
    single: Prepared
    daily: Prepared  # what kube-events-* hold (every send)
    start: float
    end: float


@pytest.fixture(scope="session")
def dataset(backend: Backend) -> Dataset:
    docs = generate(N_DOCS, days=DAYS, seed=7, start=START)
    errors: list[BaseException] = []

    def load(naming: str, keyword: bool) -> None:
        try:
            index_documents(
                backend.client, docs, naming, prefix=backend.prefix, keyword_template=keyword
            )
        except BaseException as error:  # surfaced below, in the test thread
            errors.append(error)

    # The two schemes go to different indices: load them side by side.
    daily = threading.Thread(target=load, args=("daily", True))
    daily.start()
    load("single", False)
    daily.join()
    if errors:
        raise errors[0]
    _load_small(backend)
    single = stored_documents(docs, True)
    return Dataset(
        docs=docs,
        single_docs=single,
        single=prepare(single),
        daily=prepare(docs),
        start=START,
        end=START + DAYS * 86400,
    )


ODD_DOCS: list[dict[str, Any]] = [
    # A layout that renders every leaf as a string.
    {
        "metadata": {"uid": "odd-1", "namespace": "odd", "name": "a.1"},
        "count": "3",
        "type": "Warning",
        "reason": "BackOff",
        "message": "Back-off [/] \x1b[2J restarting",
        "lastTimestamp": "2026-11-18T10:00:00Z",
        "eventTime": None,
        "action": "",
        "involvedObject": {"kind": "Pod", "name": "web-1"},
        "clusterName": "",
    },
    # Missing nearly everything, no uid.
    {"metadata": {"namespace": "odd"}, "lastTimestamp": "2026-11-18T10:01:00Z"},
    # Nulls everywhere but one time.
    {
        "metadata": None,
        "type": None,
        "message": None,
        "reason": None,
        "count": None,
        "eventTime": "2026-11-18T10:02:00.123456Z",
        "involvedObject": None,
        "source": None,
    },
    # Only the creation time; an empty series.
    {
        "metadata": {
            "uid": "odd-4",
            "namespace": "odd",
            "creationTimestamp": "2026-11-18T10:03:00Z",
        },
        "series": {},
        "lastTimestamp": None,
        "firstTimestamp": None,
        "eventTime": None,
        "type": "Normal",
        "reason": "Odd",
        "count": 0,
    },
    # Nanoseconds, and an absurd count.
    {
        "metadata": {"uid": "odd-5", "namespace": "odd"},
        "type": "Normal",
        "series": {"count": "many", "lastObservedTime": "2026-11-18T10:04:00.123456789Z"},
        "reason": "Series",
        "count": 10**30,
    },
]
ODD_DOCS_OTHER_INDEX: list[dict[str, Any]] = [
    # involvedObject as a string: a different mapping, so its own index.
    {
        "metadata": {"uid": "odd-6", "namespace": "odd"},
        "type": "Warning",
        "reason": "Flat",
        "involvedObject": "Pod/web-2",
        "lastTimestamp": "2026-11-18T10:05:00Z",
    },
]
LAYOUT_DOCS: list[dict[str, Any]] = [
    {
        "ts": f"2026-11-18T11:0{i}:00Z",
        "ns": "payments" if i % 2 else "orders",
        "object_kind": "Pod",
        "object": f"web-{i}",
        "text": f"layout message {i}",
        "why": "BackOff" if i % 2 else "Pulled",
        "severity": "Warning" if i % 2 else "Normal",
        "id": f"layout-{i}",
        "cluster": "prod-eu",
    }
    for i in range(6)
]


def _load_small(backend: Backend) -> None:
    p = backend.prefix
    for name, docs in (
        (f"{p}odd-events-1", ODD_DOCS),
        (f"{p}odd-events-2", ODD_DOCS_OTHER_INDEX),
        (f"{p}layout-events", LAYOUT_DOCS),
    ):
        # The first document fixes the dynamic mapping: string counts map as text.
        helpers.bulk(backend.client, ({"_index": name, "_source": d} for d in docs), refresh=True)


@pytest.fixture(scope="session")
def single_source(backend: Backend, dataset: Dataset) -> Iterator[HistorySource]:
    source = backend.source("eks-kubernetes-events*")
    yield source
    source.close()


@pytest.fixture(scope="session")
def daily_source(backend: Backend, dataset: Dataset) -> Iterator[HistorySource]:
    source = backend.source("kube-events-*")
    yield source
    source.close()
