"""From parsed arguments to a running app: settings, the catalog (or the demo), the
archive the TUI writes (``ktui.cli.tui_archive``), history (OpenSearch, else the archive),
the app."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ktui.cli.errors import CliError
from ktui.config import Flags, OpenSearchSettings, Problem, Settings, load_settings
from ktui.explorer.history import HistorySession
from ktui.feeds.errors import SourceError
from ktui.model.contexts import split_contexts
from ktui.model.query import QueryError, parse_query
from ktui.model.safe_text import one_line

if TYPE_CHECKING:
    from ktui.cli.tui_archive import TuiArchive
    from ktui.feeds.history import HistoryBackend
    from ktui.opensearch.source import HistorySource
    from ktui.ui.app import KtuiApp

MAX_PROBLEM_LINES = 8  # in the start-up notification; `ktui events` prints them all
PROBLEMS_SHOWN_FOR = 30.0  # s: long enough to read eight lines


def demo_hint(explicit: str | None) -> str:
    """'' when there is a kubeconfig to use. Else why not, naming the files looked for,
    and how to point ktui at a cluster: ktui starts the demo instead, whose realistic
    events must not be taken for a cluster's (the header shows this under a DEMO badge)."""
    from ktui.kube.kubeconfig import missing_kubeconfig

    reason = "" if explicit else missing_kubeconfig(None)
    if not reason:
        return ""
    return (f"No kubeconfig ({reason}): these events are simulated. For a cluster: "
            "ktui --kubeconfig PATH, or set KUBECONFIG")


def make_history(section: OpenSearchSettings, flags: Flags | None = None, *,
                 archive: Callable[[str], HistoryBackend] | None = None) -> HistorySession:
    """History from the typed [opensearch] settings (file, environment and flags already
    merged by ktui.config); when no URL is configured, the ``archive`` of the live
    context's cluster, else a session that says why (the live view works regardless)."""
    from ktui.opensearch.config import config_from_settings

    if archive is not None and not section.url:
        return HistorySession(None, store="archive", for_context=archive)
    try:
        config = config_from_settings(section, os.environ, flags)
    except SourceError as error:
        return HistorySession(None, f"history mode: {error}")
    session: HistorySession

    def make_source() -> HistorySource:
        from ktui.opensearch.source import HistorySource

        if config.user and not config.password and config.password_callback is None:
            asking = dataclasses.replace(config, password_callback=session.ask_password)
            return HistorySource(asking)
        return HistorySource(config)

    session = HistorySession(make_source)
    return session


def archive_history(kubeconfig: str | None) -> Callable[[str], HistoryBackend]:
    """History from the local archive for a context, or for each of several (``a,b``: one
    archive per cluster, read together): a context's cluster is the kubeconfig's server for
    it. Runs in history's worker thread."""

    def make(context: str) -> HistoryBackend:
        from ktui import paths
        from ktui.archive import ArchiveHistory
        from ktui.explorer.history_multi import ContextHistories
        from ktui.kube.kubeconfig import load, resolve

        names: list[str | None] = list(split_contexts(context)) or [None]
        config = load(kubeconfig)
        resolved = []
        for name in names:
            try:
                resolved.append(resolve(config, name))
            except SourceError:
                if len(names) == 1:
                    raise
                # a context missing from the kubeconfig: its live side says so; the
                # others' history is still read
        if not resolved:
            raise SourceError(f"none of the contexts {context} is in the kubeconfig")
        path = paths.archive_file()
        if not path.exists():
            raise SourceError(f"no archive at {path} yet: ktui archives what it watches "
                              "(and `ktui record` in the background)")
        if len(names) == 1:
            return ArchiveHistory(path, resolved[0].server, context_label=resolved[0].name)
        return ContextHistories({one.name: ArchiveHistory(path, one.server, context_label=one.name)
                                 for one in resolved})

    return make


def tui_archive(settings: Settings, kubeconfig: str | None) -> TuiArchive | None:
    """The archive the TUI writes, unless ``[archive] enabled = false``."""
    if not settings.archive.enabled:
        return None
    from ktui import paths
    from ktui.archive.options import ArchiveOptions
    from ktui.cli.tui_archive import TuiArchive

    return TuiArchive(paths.archive_file(), kubeconfig,
                      ArchiveOptions.from_settings(settings.archive))


def problem_lines(problems: Sequence[Problem]) -> list[str]:
    """The settings problems as the start-up notification shows them: one escaped line
    each (file:line: what), at most MAX_PROBLEM_LINES and a count of the rest."""
    lines = [one_line(str(problem), 300) for problem in problems[:MAX_PROBLEM_LINES]]
    if len(problems) > MAX_PROBLEM_LINES:
        lines.append(f"… and {len(problems) - MAX_PROBLEM_LINES} more "
                     "(`ktui events --history` prints them all)")
    return lines


def show_problems(app: KtuiApp, problems: Sequence[Problem]) -> None:
    """Tell the user at start-up what in their settings was ignored (the rest applies).

    Until the explorer takes ``problems`` itself, this goes through the app's generic
    notification; it must run on the app's thread (``explorer.prepare`` does)."""
    if problems:
        app.notify("\n".join(problem_lines(problems)), title="settings: ignored",
                   severity="warning", timeout=PROBLEMS_SHOWN_FOR, markup=False)


def read_settings(args: argparse.Namespace) -> tuple[Settings, Flags]:
    """Settings for the TUI; a bad flag is refused (exit 2), a bad setting is shown."""
    from ktui import paths

    flags = Flags(opensearch_url=getattr(args, "opensearch_url", None),
                  index=getattr(args, "index", None))
    settings = load_settings(paths.settings_file(), os.environ, flags)
    for problem in settings.problems:
        if problem.from_flag:
            raise CliError(one_line(str(problem), 300), 2)
    return settings, flags


def build(args: argparse.Namespace) -> tuple[KtuiApp, Callable[[], None]]:
    """The app for ``args`` and what to call once it has stopped."""
    settings, flags = read_settings(args)
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
    hint = "" if args.demo else demo_hint(args.kubeconfig)
    if args.demo or hint:
        from ktui.cli.demo import DEMO_CONTEXT, DEMO_CONTEXTS, DEMO_HISTORY_CLUSTER, prepare_demo

        demo = prepare_demo()  # started after the first paint (prepare= below)
        settings = dataclasses.replace(settings, clusters={
            DEMO_CONTEXT: DEMO_HISTORY_CLUSTER, **settings.clusters})
        kubeconfig = demo.kubeconfig
        note = hint or "demo cluster"
        contexts = list(DEMO_CONTEXTS)

    from ktui.kube.catalog import KubeCatalog

    catalog = KubeCatalog(kubeconfig)
    if demo is None:
        try:
            contexts, _current = catalog.contexts()
        except SourceError as error:
            raise CliError(str(error), 2) from None
    requested = contexts if args.all_contexts else split_contexts(args.context)
    for name in requested:
        if name not in contexts:
            raise CliError(f"context '{name}' not found (known: {', '.join(contexts)})", 2)
    if view is not None and view.context and not requested:
        missing = [name for name in split_contexts(view.context) if name not in contexts]
        if missing:
            raise CliError(f"view {one_line(view.name, 60)} is for context "
                           f"'{one_line(missing[0], 60)}', which is not in the kubeconfig", 2)

    from ktui.ui.app import KtuiApp

    # The demo's clusters listen on random ports: nothing of theirs is archived, and their
    # history is the demo's own OpenSearch.
    archive = tui_archive(settings, kubeconfig) if demo is None else None
    history = make_history(settings.opensearch, flags,
                           archive=archive_history(kubeconfig) if demo is None else None)
    app = KtuiApp(catalog, settings=settings, context=",".join(requested) or None,
                  namespaces=args.namespaces, query=query, note=note, history=history,
                  start_in_history=args.history, view=view, archive=archive)
    history.ask_password = app.ask_password

    def prepare() -> None:  # on the app's thread, after the first paint
        show_problems(app, settings.problems)
        if demo is None:
            return
        demo.start()
        if demo.opensearch_url and flags.opensearch_url is None:
            section = dataclasses.replace(settings.opensearch, url=demo.opensearch_url,
                                          url_from="demo")
            app.use_history(make_history(section, flags))

    app.explorer.prepare = prepare

    def stop() -> None:
        app.explorer.live.stop_all(wait=0.5)
        if archive is not None:
            archive.close()
        if demo is not None:
            demo.stop()

    return app, stop


def run(app: KtuiApp, stop: Callable[[], None], *, headless: bool = False) -> int:
    """Run ``app`` to the end; its exit status. Textual prints the traceback of a crash
    and sets the app's return code; ktui exits with it (it used to exit 0 regardless)."""
    try:
        app.run(headless=headless)
    finally:
        stop()
    return app.return_code or 0


def launch(args: argparse.Namespace) -> int:
    app, stop = build(args)
    # What is alive now (every module, Textual's classes, the app) lives as long as the
    # process: out of the cycle collector's generations, the full collection that start-up
    # sets off before the first frame walks only what the app builds from here (~15 ms of
    # a ~0.28 s first paint was that walk over ~37,000 objects).
    gc.freeze()
    return run(app, stop)
