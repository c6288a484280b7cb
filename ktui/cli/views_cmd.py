"""``ktui views``: list, show, save, rename and delete saved views from a shell.

Exit codes (the same for every subcommand):

* 0 — done. ``list`` also exits 0 when some files only had warnings (unknown keys).
* 1 — the operation failed: unknown name, name taken (without ``--force``), a file in the
  way, an I/O error. ``list`` exits 1 when some file could not be loaded; the views that
  did load are still listed on stdout, and each problem is one line on stderr.
* 2 — bad input: an unparsable ``--query``, a bad duration or time (argparse's own usage
  errors are also 2).

Views live in :func:`ktui.paths.views_dir` (``$KTUI_CONFIG_DIR/views``). ``list`` has
no kubeconfig at hand, so it does not check contexts; the UI does.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Sequence

from ktui.model.query import QueryError, parse_query
from ktui.model.safe_text import escape_controls, one_line
from ktui.model.timerange import TimeRange
from ktui.paths import views_dir
from ktui.views.store import SavedView, ViewError, ViewExists, ViewStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Usage(Exception):
    """Bad input discovered after argparse (exit 2)."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "views", help="list, show, save, rename or delete saved views",
        description="Saved views, one TOML file each in the views directory "
        "($KTUI_CONFIG_DIR/views). Without a subcommand: list.")
    commands = parser.add_subparsers(dest="views_command", metavar="COMMAND")
    commands.add_parser("list", help="name, mode, range and query of every saved view")
    show = commands.add_parser("show", help="print a view's file as stored")
    show.add_argument("name")
    save = commands.add_parser("save", help="save a view (refuses to replace one without --force)")
    save.add_argument("name")
    save.add_argument("--query", "-q", default="", help="filter, e.g. 'reason~BackOff -kind:Job'")
    save.add_argument("--type", "-t", action="append", default=[], dest="types",
                      metavar="TYPE", help="event type, e.g. Warning (repeatable, or a,b)")
    save.add_argument("--namespace", "-n", action="append", default=[], dest="namespaces",
                      metavar="NS", help="namespace (repeatable, or a,b)")
    save.add_argument("--history", action="store_true",
                      help="a history (OpenSearch) view; implied by --since/--from")
    when = save.add_mutually_exclusive_group()
    when.add_argument("--since", metavar="DURATION", help="relative range, e.g. 6h or 7d")
    when.add_argument("--from", dest="start", metavar="TIME", help="RFC 3339 start (with --to)")
    save.add_argument("--to", dest="end", metavar="TIME", help="RFC 3339 end (with --from)")
    save.add_argument("--sort", choices=("newest", "oldest"), default="newest")
    save.add_argument("--column", "-c", action="append", default=[], dest="columns",
                      metavar="ID", help="visible column id, in order (repeatable, or a,b)")
    save.add_argument("--context", help="kube context the view belongs to")
    save.add_argument("--force", "-f", action="store_true", help="replace a view of that name")
    delete = commands.add_parser("delete", help="delete a saved view")
    delete.add_argument("name")
    rename = commands.add_parser("rename", help="rename a saved view")
    rename.add_argument("old")
    rename.add_argument("new")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store = ViewStore(views_dir())
    command = getattr(args, "views_command", None) or "list"
    try:
        if command == "list":
            return _list(store)
        if command == "show":
            _write_stored(store.path_of(args.name).read_text(encoding="utf-8"))
        elif command == "save":
            try:
                path = store.save(_view_from_args(args), overwrite=args.force)
            except ViewExists as error:
                raise ViewExists(f"{error} (--force replaces it)") from None
            print(f"saved view {one_line(args.name)} to {one_line(str(path))}")
        elif command == "delete":
            store.delete(args.name)
            print(f"deleted view {one_line(args.name)}")
        elif command == "rename":
            path = store.rename(args.old, args.new)
            print(f"renamed view {one_line(args.old)} to {one_line(args.new)}"
                  f" ({one_line(str(path))})")
        else:  # pragma: no cover - argparse only lets the commands above through
            return _fail(f"unknown views command {command!r}", EXIT_USAGE)
    except (_Usage, QueryError) as error:
        return _fail(str(error), EXIT_USAGE)
    except ViewError as error:
        return _fail(str(error), EXIT_FAILED)
    except (OSError, UnicodeDecodeError) as error:
        return _fail(f"{type(error).__name__}: {error}", EXIT_FAILED)
    return EXIT_OK


def _fail(message: str, code: int) -> int:
    print(f"ktui: {one_line(message)}", file=sys.stderr)
    return code


def _split(values: Sequence[str]) -> tuple[str, ...]:
    """``-t Warning -t Normal`` and ``-t Warning,Normal`` both work; order kept, no dups."""
    items = (v.strip() for value in values for v in value.split(","))
    return tuple(dict.fromkeys(v for v in items if v))


def _view_from_args(args: argparse.Namespace) -> SavedView:
    parse_query(args.query)  # a QueryError here is exit 2 with the parser's own message
    time_range: TimeRange | None = None
    if args.end and not args.start:
        raise _Usage("--to needs --from")
    if args.start and not args.end:
        raise _Usage("--from needs --to (a saved view keeps a fixed window)")
    if args.since or args.start:
        try:
            time_range = TimeRange.parse(since=args.since, start=args.start, end=args.end)
        except ValueError as error:
            raise _Usage(str(error)) from None
    try:
        return SavedView(
            name=args.name,
            mode="history" if (args.history or time_range is not None) else "live",
            query=args.query,
            types=_split(args.types),
            namespaces=_split(args.namespaces),
            time_range=time_range,
            sort=args.sort,
            columns=_split(args.columns),
            context=args.context,
        )
    except ViewError as error:
        raise _Usage(str(error)) from None


def _list(store: ViewStore) -> int:
    views, problems = store.load_all()
    for problem in problems:
        prefix = "" if problem.skipped else "warning: "
        print(f"ktui: {prefix}{one_line(str(problem))}", file=sys.stderr)
    if views:
        rows = [("NAME", "MODE", "RANGE", "CONTEXT", "QUERY")]
        rows += [(one_line(v.name), v.mode, _range(v), one_line(v.context or "-"),
                  one_line(v.to_query().describe())) for v in views]
        widths = [max(_width(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row[:4])]
            print("  ".join([*cells, row[4]]).rstrip())
    elif not problems:
        print(f"no saved views in {one_line(str(store.directory))}", file=sys.stderr)
    return EXIT_FAILED if any(p.skipped for p in problems) else EXIT_OK


def _range(view: SavedView) -> str:
    if view.time_range is None:
        return "-" if view.mode == "live" else "default"
    spec = view.time_range.to_spec()
    return spec.get("since") or f"{spec['from']}..{spec['to']}"


def _width(text: str) -> int:
    """Terminal cells, so that Korean or CJK names (two cells each) keep columns aligned."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _write_stored(text: str) -> None:
    """Exactly as stored when piped (``show x > backup.toml``); on a terminal, control and
    bidi characters are shown as escapes so a shared file cannot drive the terminal."""
    if sys.stdout.isatty():
        text = escape_controls(text, keep_newlines=True)
    sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")


def load_view(name: str) -> SavedView:
    """The saved view ``name`` for ``ktui --view`` and ``ktui events --view``, checked:
    a CliError with one line and exit 2 when it cannot be used.

    The line is the store's own ("no saved view named 'x' (known: …)"), except that a
    file which would hold this name but cannot be read is most likely this very view,
    broken by a hand edit: then the line says what is wrong with that file. Other broken
    files are counted, since one of them may hold the name too."""
    from ktui.cli.errors import CliError
    from ktui.views.files import candidate_names
    from ktui.views.store import ViewNotFound, show_name

    store = ViewStore(views_dir())
    try:
        view = store.get(name)
    except ViewNotFound as error:
        message = str(error)
        try:
            skipped = [problem for problem in store.load_all()[1] if problem.skipped]
        except (ViewError, OSError):
            skipped = []
        files = set(candidate_names(name))
        mine = [problem for problem in skipped if problem.path.name in files]
        if mine:
            message = f"saved view {show_name(name)}: {mine[0]}"
        elif skipped:
            message += (f"; {len(skipped)} view file(s) could not be loaded "
                        "(ktui views list says why)")
        raise CliError(one_line(message, 400), EXIT_USAGE) from None
    except (ViewError, OSError) as error:
        raise CliError(one_line(str(error), 400), EXIT_USAGE) from None
    try:
        view.to_query()
    except QueryError as error:
        raise CliError(
            one_line(f"saved view {show_name(view.name)}: invalid query: {error}", 400), EXIT_USAGE
        ) from None
    return view
