"""History benchmark: first view (page + sparkline + namespace counts) over 15,000+
exporter documents, and ktui's overhead over the bare opensearch-py request.

    python -m bench.bench_history            # osmem-server, in memory
    KTUI_BENCH_OPENSEARCH_URL=https://... python -m bench.bench_history

Numbers are printed as JSON, not asserted: the machine is shared and noisy, compare
ratios within one run. "bare" is the very same ``_msearch`` body sent with opensearch-py
and nothing done with the answer; "ktui" adds building the query, reading the
aggregations, making Events (compressed raw kept) and merging the lanes.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from ktui.model.query import Query, parse_query
from ktui.model.timerange import TimeRange
from ktui.opensearch.paging import lane_body
from ktui.opensearch.source import HistorySource, OpenSearchConfig
from ktui.sim.exporter import generate, index_documents

N_DOCS = 15_200
START = 1794873600.0  # 2026-11-17T00:00:00Z
DAYS = 3
REPEAT = 7


def _median_ms(action: Callable[[], object], repeat: int = REPEAT) -> float:
    action()  # warm caches (mapping, connections) first
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 1)


def _compare(ktui: Callable[[], object], bare: Callable[[], object]) -> dict[str, float]:
    """Interleaved runs (the server's speed drifts on a shared machine). Wall time is
    mostly the server's; client CPU time (this process) is what ktui adds or saves."""
    ktui(), bare()
    walls: dict[str, list[float]] = {"ktui": [], "bare": []}
    cpus: dict[str, list[float]] = {"ktui": [], "bare": []}
    for _ in range(REPEAT):
        for name, action in (("ktui", ktui), ("bare", bare)):
            wall, cpu = time.perf_counter(), time.process_time()
            action()
            walls[name].append((time.perf_counter() - wall) * 1000)
            cpus[name].append((time.process_time() - cpu) * 1000)
    out: dict[str, float] = {}
    for name in ("ktui", "bare"):
        out[f"{name}_wall_min_ms"] = round(min(walls[name]), 1)
        out[f"{name}_wall_median_ms"] = round(statistics.median(walls[name]), 1)
        out[f"{name}_client_cpu_ms"] = round(statistics.median(cpus[name]), 1)
    out["overhead_client_cpu_ms"] = round(out["ktui_client_cpu_ms"] - out["bare_client_cpu_ms"], 1)
    return out


def _bare_first_view(
    source: HistorySource, query: Query, time_range: TimeRange, page_size: int
) -> Callable[[], object]:
    """The same msearch ktui sends for its first view, sent with opensearch-py alone."""
    fields = source.fields()
    cursor, summary = source._start(query, time_range, page_size, 60, fields, None)
    assert summary is not None
    bodies = [summary.body] + [
        lane_body(s, cursor.base, cursor.sort_tail, page_size, 8000) for s in cursor.lanes
    ]
    lines: list[dict[str, Any]] = []
    for body in bodies:
        lines += [{"index": source.config.index}, body]
    client = source.client
    return lambda: client.msearch(body=lines)


def _naive_dashboard(
    source: HistorySource, time_range: TimeRange, page_size: int
) -> Callable[[], object]:
    """What the workshop's dashboard asks: lastTimestamp only (misses eventTime-only
    events), one histogram, one terms aggregation. A floor, not a like-for-like."""
    start, end = time_range.bounds()
    body = {
        "size": page_size,
        "sort": [{"lastTimestamp": "desc"}],
        "query": {
            "range": {
                "lastTimestamp": {
                    "gte": int(start * 1000),
                    "lte": int(end * 1000),
                    "format": "epoch_millis",
                }
            }
        },
        "aggs": {
            "h": {
                "date_histogram": {"field": "lastTimestamp", "fixed_interval": "72m"},
                "aggs": {"t": {"terms": {"field": "type.keyword"}}},
            },
            "ns": {"terms": {"field": "metadata.namespace.keyword", "size": 1000}},
        },
    }
    client = source.client
    return lambda: client.search(index=source.config.index, body=body)


def run() -> dict[str, object]:
    url = os.environ.get("KTUI_BENCH_OPENSEARCH_URL")
    server: Any = None
    prefix = ""
    if url is None:
        from osmem_server import OsmemServer

        server = OsmemServer.start(japanese=False)
        url = server.url
    else:
        prefix = f"ktui-bench-{os.getpid()}-"
    from opensearchpy import OpenSearch

    user = os.environ.get("KTUI_BENCH_OPENSEARCH_USER", "")
    password = os.environ.get("KTUI_BENCH_OPENSEARCH_PASSWORD", "")
    client = OpenSearch(hosts=[url], http_auth=(user, password) if user else None, timeout=300)
    results: dict[str, object] = {"documents": N_DOCS, "server": "osmem" if server else url}
    try:
        docs = generate(N_DOCS, days=DAYS, seed=11, start=START)
        started = time.perf_counter()
        index_documents(client, docs, "single", prefix=prefix)
        results["load_s"] = round(time.perf_counter() - started, 1)
        config = OpenSearchConfig(
            url=url,
            index=prefix + "eks-kubernetes-events*",
            user=user,
            password=password,
            request_timeout=60,
        )
        source = HistorySource(config)
        everything = TimeRange.between(START, START + DAYS * 86400)
        for label, query in (
            ("all", Query()),
            ("filtered", parse_query("type:Warning -ns:kube-system back")),
        ):
            page = source.search(query, everything)
            results[f"{label}_matches"] = page.total

            def first_view_of(q: Query = query) -> object:
                return source.search(q, everything, page_size=500)

            compared = _compare(first_view_of, _bare_first_view(source, query, everything, 500))
            results.update({f"{label}_{key}": value for key, value in compared.items()})
        results["naive_dashboard_query_ms"] = _median_ms(_naive_dashboard(source, everything, 500))
        started = time.perf_counter()
        total = sum(len(batch) for batch in source.iter_all(Query(), everything, page_size=2000))
        results["iter_all_events"] = total
        results["iter_all_s"] = round(time.perf_counter() - started, 2)
        source.close()
    finally:
        if server is not None:
            server.close()
        elif prefix:
            for name in list(client.indices.get(index=prefix + "*")):
                client.indices.delete(index=name)
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
