"""The ``ktui`` command: the TUI by default, and subcommands for scripts.

Subcommands live in their own modules (``events_cmd``, ``views_cmd``, ``sim_cmd``,
``record_cmd``), each with ``add_parser(subparsers)`` and ``run(args) -> int``. They are
imported only when chosen, so ``ktui`` starts the UI without loading the Kubernetes or
OpenSearch clients.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Protocol

from ktui import __version__
from ktui.cli.errors import CliError
from ktui.model.safe_text import one_line

SUBCOMMANDS = {
    "events": "ktui.cli.events_cmd",
    "views": "ktui.cli.views_cmd",
    "sim": "ktui.cli.sim_cmd",
    "record": "ktui.cli.record_cmd",
}


class _Command(Protocol):
    def add_parser(self, subparsers: argparse._SubParsersAction) -> None: ...
    def run(self, args: argparse.Namespace) -> int: ...


def _ui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ktui",
        description="Kubernetes events in the terminal: live from the cluster, or from "
        "OpenSearch history. Subcommands: " + ", ".join(SUBCOMMANDS) + " (ktui CMD --help).",
    )
    parser.add_argument("--version", action="version", version=f"ktui {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="start on the built-in demo cluster (a local simulator)")
    parser.add_argument("--kubeconfig",
                        help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--context",
                        help="kube context to open (default: the current one); several, "
                        "comma-separated, share one table")
    parser.add_argument("--all-contexts", action="store_true",
                        help="watch every context of the kubeconfig at once")
    parser.add_argument("-n", "--namespace", action="append", dest="namespaces", default=None,
                        help="watch only this namespace (repeatable)")
    parser.add_argument("--query", default="", help="initial filter, e.g. 'type:Warning ns:test'")
    parser.add_argument("--view", help="start in this saved view")
    parser.add_argument("--history", action="store_true", help="start in OpenSearch history mode")
    parser.add_argument("--opensearch-url",
                        help="OpenSearch URL for history (default: $KTUI_OPENSEARCH_URL, "
                        "https://$OPENSEARCH_HOST, or [opensearch] url in settings.toml)")
    parser.add_argument("--index", help="index pattern (default eks-kubernetes-events*)")
    return parser


def _load(name: str) -> _Command:
    module: _Command = importlib.import_module(SUBCOMMANDS[name])
    return module


def _subcommand_parser(name: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ktui")
    subparsers = parser.add_subparsers(dest="command", required=True)
    _load(name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in SUBCOMMANDS:
            name = args_list[0]
            args = _subcommand_parser(name).parse_args(args_list)
            return _load(name).run(args)
        args = _ui_parser().parse_args(args_list)
        from ktui.cli.ui_cmd import launch  # imported late: textual only for the UI

        return launch(args)
    except CliError as error:
        # one line, inert: an error can carry what a server sent
        print(f"ktui: {one_line(str(error), 2000)}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `ktui events | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0


# Commands whose work is done once their output is written: the interpreter's teardown
# (every module, and a listing's objects, freed one by one) is skipped. It took ~25 ms of a
# 0.27 s `ktui events -A` over 20,000 events. They hold nothing that needs it: no temporary
# files, no atexit handlers of their own, and their output is flushed here.
_EXIT_AT_ONCE = frozenset({"events"})


def entry() -> None:
    code = main()
    if sys.argv[1:2] and sys.argv[1] in _EXIT_AT_ONCE:
        try:
            for stream in (sys.stdout, sys.stderr):
                if not stream.closed:  # main() closes stderr when the reader has left
                    stream.flush()
        except BrokenPipeError:
            pass  # `ktui events | head`: the reader left, which main() counts as success
        except OSError as error:  # a full disk under a redirect
            print(f"ktui: cannot write the output: {error}", file=sys.stderr)
            code = code or 1
        os._exit(code)
    sys.exit(code)
