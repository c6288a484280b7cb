"""Make the README's screenshots from the demo: SVG (exact) and PNG (for viewers without
SVG). Deterministic: the demo's scenarios without their live trickle, and a fixed clock.

    python -m scripts.screenshots          # writes screenshots/*.svg and *.png

PNG conversion needs cairosvg (`pip install cairosvg`); without it only SVGs are written.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ktui.config import Settings
from ktui.explorer.history import HistorySession
from ktui.kube.catalog import KubeCatalog
from ktui.model.timerange import TimeRange
from ktui.opensearch.source import HistorySource, OpenSearchConfig
from ktui.sim import SimCluster, write_kubeconfig
from ktui.sim.events.owners import demo_workloads
from ktui.ui.app import KtuiApp

OUT = Path(__file__).resolve().parent.parent / "screenshots"
NOW = 1_763_800_000.0
STILL_DEMO = "scenario-a,scenario-b,scenario-c,lifecycle,rolling-update,node-pressure"

# name, terminal size, keys pressed once the events are loaded
SHOTS: list[tuple[str, tuple[int, int], Sequence[str]]] = [
    ("explorer", (160, 45), ()),
    ("warnings-in-test", (160, 45), ("w", "colon", *"ns test", "enter", "enter")),
    ("detail", (120, 36), ("j", "j", "enter")),
    ("context-switcher", (120, 36), ("c",)),
    ("prod-context", (120, 36), ("c", "down", "enter")),
    ("narrow-80x24", (80, 24), ("w",)),
    ("grouped-by-owner", (80, 24), ("w", "o")),  # the incident lens at 80 columns
    ("history-warnings", (160, 45), ("w", "h")),  # the demo's OpenSearch, 6 h in the past
    ("timeline", (160, 45), ("h",)),  # a window reaching now: history and live merged
    ("several-contexts", (160, 45), ()),  # both clusters in one table
]
# the shots that start on several contexts (ktui --context a,b)
CONTEXTS = {"several-contexts": "demo,prod-eu-west-1"}
HISTORY_DOCS = 1500
# The history shots' windows: six hours that ended a quarter of an hour ago (history
# alone), and the last two hours (the live events merged in).
WINDOWS = {
    "history-warnings": TimeRange.between(NOW - 6 * 3600 - 900, NOW - 900),
    "timeline": TimeRange.between(NOW - 2 * 3600, NOW),
}


def clock() -> float:
    return NOW


def history_session(url: str, time_range: TimeRange) -> HistorySession:
    config = OpenSearchConfig(url=url, index="eks-kubernetes-events*")
    session = HistorySession(lambda: HistorySource(config))
    session.time_range = time_range
    return session


def watching(app: KtuiApp) -> bool:
    """Every context shown is watching (its list is in)."""
    active = app.explorer.live.sessions.active_set
    return active is not None and all(session.status.state.value == "watching"
                                      for session in active.sessions.values())


async def shoot(kubeconfig: str, name: str, size: tuple[int, int], keys: Sequence[str],
                history_url: str) -> Path:
    window = WINDOWS.get(name)
    history = history_session(history_url, window) if history_url and window else None
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=clock, history=history,
                  context=CONTEXTS.get(name))
    async with app.run_test(size=size) as pilot:
        for _ in range(200):
            if watching(app):
                break
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.05)
        for _ in range(100):  # after a context switch, wait for the new one to load
            if watching(app):
                break
            await pilot.pause(0.05)
        for _ in range(100):  # and for the owners read from the cluster
            lens = app.explorer.lens.lens
            if lens.by is None or lens.fetcher is None or lens.fetcher.pending == 0:
                break
            await pilot.pause(0.05)
        for _ in range(400):  # and for a history search to answer
            if app.explorer.mode != "history" or app.explorer.history.session.loading_since is None:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.4)
        path = OUT / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(OUT))
    return path


def to_png(svg: Path) -> Path | None:
    try:
        import cairosvg  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return None
    # Textual's SVG names a web font; point it at a monospace face every machine has.
    text = re.sub(r"font-family:[^;\"]*", "font-family: DejaVu Sans Mono, monospace",
                  svg.read_text(encoding="utf-8"))
    png = svg.with_suffix(".png")
    cairosvg.svg2png(bytestring=text.encode(), write_to=str(png), output_width=1600)
    return png


def start_history(stack: contextlib.ExitStack, live: SimCluster) -> str:
    """An in-memory OpenSearch with two days of exporter documents ending at NOW (the
    same seed every time), and what the exporter sent of ``live``'s events when they
    first happened (one occurrence each: the cluster has counted more since); its URL, or
    "" without osmem-server."""
    try:
        from osmem_server import OsmemServer
    except ImportError:
        return ""
    from opensearchpy import OpenSearch

    from ktui.sim.exporter import generate, index_documents

    server = OsmemServer.start()
    stack.callback(server.close)
    client = OpenSearch(hosts=[server.url], timeout=120)
    docs = generate(HISTORY_DOCS, days=2, seed=11, start=NOW - 2 * 86400)
    for obj in live.events():
        doc = {key: value for key, value in obj.items() if key not in ("kind", "apiVersion")}
        docs.append({**doc, "count": 1, "lastTimestamp": doc.get("firstTimestamp"),
                     "clusterName": live.name})
    index_documents(client, docs, "single")
    client.indices.refresh(index="eks-kubernetes-events")
    return str(server.url)


def main() -> int:
    OUT.mkdir(exist_ok=True)
    clusters = [
        SimCluster(name="demo", scenario=STILL_DEMO, seed=1, now=clock),
        SimCluster(name="prod-eu-west-1", scenario="lifecycle", seed=2, now=clock),
    ]
    # the objects behind the events, with their ownerReferences, as the demo serves them
    demo_workloads(clusters[0])
    stack = contextlib.ExitStack()
    with tempfile.TemporaryDirectory() as directory:
        for cluster in clusters:
            cluster.start()
        try:
            kubeconfig = str(Path(directory) / "kubeconfig")
            write_kubeconfig(kubeconfig, clusters, token="admin-token", current="demo")
            history_url = start_history(stack, clusters[0])
            for name, size, keys in SHOTS:
                if "h" in keys and not history_url:
                    print(f"{name}: skipped (osmem-server is not installed)")
                    continue
                svg = asyncio.run(shoot(kubeconfig, name, size, keys, history_url))
                png = to_png(svg)
                print(svg.relative_to(OUT.parent), png.relative_to(OUT.parent) if png else "")
        finally:
            for cluster in clusters:
                cluster.stop()
            stack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
