"""From parsed arguments to a running app: settings, the catalog (or the demo), the app."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ktui.cli.errors import CliError
from ktui.explorer.history import HistorySession
from ktui.feeds.errors import SourceError
from ktui.model.query import QueryError, parse_query
from ktui.model.safe_text import one_line
from ktui.settings import load_settings

if TYPE_CHECKING:
    from ktui.opensearch.source import HistorySource


def _has_kubeconfig(explicit: str | None) -> bool:
    if explicit:
        return True
    env = os.environ.get("KUBECONFIG", "")
    if any(part and Path(part).exists() for part in env.split(os.pathsep)):
        return True
    return (Path.home() / ".kube" / "config").exists()


def make_history(table: dict[str, object], overrides: dict[str, object]) -> HistorySession:
    """History from the [opensearch] settings, the environment and the flags; when that
    is not configured, a session that says why (the live view works regardless)."""
    from ktui.opensearch.config import OpenSearchConfig

    try:
        config = OpenSearchConfig.from_sources(table, os.environ, overrides)
    except SourceError as error:
        return HistorySession(None, f"history mode: {error}")
    session: HistorySession

    def make_source() -> HistorySource:
        from ktui.opensearch.source import HistorySource

        if config.user and not config.password and config.password_callback is None:
            config.password_callback = session.ask_password
        return HistorySource(config)

    session = HistorySession(make_source)
    return session


def launch(args: argparse.Namespace) -> int:
    from ktui import paths

    settings = load_settings(paths.settings_file())
    view = None
    if getattr(args, "view", None):
        from ktui.cli.views_cmd import load_view

        view = load_view(args.view)
    if view is not None and args.query:
        raise CliError("use either --view or --query, not both", 2)
    try:
        query = parse_query(args.query)
    except QueryError as error:
        raise CliError(f"--query: {error}", 2) from None
    if args.namespaces:
        query = query.with_namespaces(args.namespaces)

    kubeconfig, note, demo = args.kubeconfig, "", None
    if args.demo or not _has_kubeconfig(args.kubeconfig):
        from ktui.cli.demo import DEMO_CONTEXTS, prepare_demo

        demo = prepare_demo()  # started after the first paint (prepare= below)
        kubeconfig = demo.kubeconfig
        note = "demo cluster" if args.demo else "no kubeconfig found: demo cluster"
        contexts = list(DEMO_CONTEXTS)

    from ktui.kube.catalog import KubeCatalog

    catalog = KubeCatalog(kubeconfig)
    if demo is None:
        try:
            contexts, _current = catalog.contexts()
        except SourceError as error:
            raise CliError(str(error), 2) from None
    if args.context and args.context not in contexts:
        raise CliError(f"context '{args.context}' not found (known: {', '.join(contexts)})", 2)
    if view is not None and view.context and not args.context and view.context not in contexts:
        raise CliError(f"view {one_line(view.name, 60)} is for context "
                       f"'{one_line(view.context, 60)}', which is not in the kubeconfig", 2)

    from ktui.ui.app import KtuiApp

    overrides: dict[str, object] = {}
    if getattr(args, "opensearch_url", None):
        overrides["url"] = args.opensearch_url
    if getattr(args, "index", None):
        overrides["index"] = args.index
    history = make_history(settings.opensearch, overrides)
    app = KtuiApp(catalog, settings=settings, context=args.context, namespaces=args.namespaces,
                  query=query, note=note, history=history, start_in_history=args.history,
                  view=view)
    history.ask_password = app.ask_password

    if demo is not None:
        def start_demo() -> None:
            demo.start()
            if demo.opensearch_url and "url" not in overrides:
                app.use_history(make_history(settings.opensearch,
                                             {**overrides, "url": demo.opensearch_url}))

        app.explorer.prepare = start_demo
    try:
        app.run()
    finally:
        app.explorer.live.stop_all(wait=0.5)
        if demo is not None:
            demo.stop()
    return 0
