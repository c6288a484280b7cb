"""Saved views: a named filter, mode, time range, sort and columns, one TOML file each.

A view file is meant to be read and edited by hand::

    schema = 1
    name = "payments warnings"
    mode = "history"            # "live" | "history"
    query = "reason~BackOff"    # the filter language (ktui.model.query)
    types = ["Warning"]         # empty = all
    namespaces = ["payments"]   # empty = all
    sort = "newest"             # "newest" | "oldest"
    columns = []                # empty = the default columns
    context = "prod"            # optional kube context

    [range]                     # optional; used in history mode
    since = "6h"                # or: from = "2024-05-01T00:00:00Z" and to = "..."

Decisions, so that callers can rely on them:

* The true name is the ``name`` inside the file; the file name is only a safe,
  readable label (:func:`ktui.views.files.file_stem`), disambiguated with a hash
  when two names share it. Names are compared exactly after NFC normalisation, so
  "Prod" and "prod" are two views.
* A file that cannot be loaded (bad TOML, wrong types, an unknown ``schema``, a bad
  query, a context not in ``known_contexts``) becomes a :class:`ViewProblem` and is never
  rewritten or deleted by ktui on its own. Saving never overwrites such a file: if a
  new view's file name is taken by a file whose owner cannot be read, the save is
  refused with a :class:`ViewError` naming that file, because it is most likely the same
  view, broken by a hand edit.
* Unknown keys are kept: a re-save edits the existing document in place (tomlkit),
  changing only values that differ in meaning, so comments, key order, spelling
  (``1.5h`` vs ``90m``) and unknown keys survive. Each unknown key is reported as a
  non-fatal problem (``skipped=False``), with a warning if its name looks like a secret:
  a view file is plain text and has no place for one.
* A missing ``schema`` is read as 1 (people write these by hand); saving adds it.
* :meth:`ViewStore.load_all` sorts by name (case-folded, then exact), so "the first
  nine" are well defined. Duplicate names: the first file in file-name order wins, the
  others are reported.
* Every change happens under a lock on ``views/.lock`` and ends in an atomic replace,
  so concurrent ktui instances never lose a save and a crash never leaves a half file.
"""

from __future__ import annotations

import contextlib
import os
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import replace
from pathlib import Path

from ktui.model.contexts import split_contexts
from ktui.model.query import QueryError
from ktui.views.files import atomic_write, candidate_names, is_view_file, locked
from ktui.views.model import (
    MODES,
    SCHEMA,
    SORTS,
    Mode,
    SavedView,
    Sort,
    ViewError,
    ViewExists,
    ViewNotFound,
    ViewProblem,
    show_name,
)
from ktui.views.toml import Entry, editable, read_entry, render

__all__ = [
    "MODES",
    "SCHEMA",
    "SORTS",
    "Mode",
    "SavedView",
    "Sort",
    "ViewError",
    "ViewExists",
    "ViewNotFound",
    "ViewProblem",
    "ViewStore",
    "show_name",
]


# -- the store --------------------------------------------------------------------------


class ViewStore:
    """The saved views in one directory (normally :func:`ktui.paths.views_dir`)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def load_all(
        self, known_contexts: Collection[str] | None = None
    ) -> tuple[list[SavedView], list[ViewProblem]]:
        """Every loadable view, sorted by name, and the problems met on the way.

        With ``known_contexts``, a view naming another context is reported and left out.
        """
        views: list[SavedView] = []
        problems: list[ViewProblem] = []
        seen: dict[str, Path] = {}
        for entry in self._scan():
            problems.extend(entry.problems)
            view = entry.view
            if view is None:
                continue
            if view.name in seen:
                problems.append(ViewProblem(
                    entry.path, f"another file, {seen[view.name].name}, already holds view "
                    f"{show_name(view.name)}; this one is ignored"))
                continue
            seen[view.name] = entry.path
            unknown = [context for context in split_contexts(view.context)
                       if known_contexts is not None and context not in known_contexts]
            if unknown:  # a view may name a set of contexts: a,b
                problems.append(ViewProblem(
                    entry.path, f"view {show_name(view.name)} is for context "
                    f"{show_name(unknown[0])}, which is not in your kubeconfig"))
                continue
            views.append(view)
        views.sort(key=lambda v: (v.name.casefold(), v.name))
        return views, problems

    def get(self, name: str) -> SavedView:
        """View ``name``; :class:`ViewNotFound` lists the known names."""
        return self._loadable(self._find(name, self._scan()))

    def path_of(self, name: str) -> Path:
        """The file holding view ``name`` (to show it as stored, or open an editor)."""
        entry = self._find(name, self._scan())
        self._loadable(entry)
        return entry.path

    def save(self, view: SavedView, *, overwrite: bool = False) -> Path:
        """Write ``view``; returns its file. Raises :class:`ViewExists` if a view of that
        name exists and ``overwrite`` is false, :class:`ViewError` on any refusal."""
        try:
            view.to_query()
        except QueryError as error:
            raise ViewError(f"view {show_name(view.name)}: {error}") from None
        with self._locked():
            entries = self._scan()
            existing = self._find_entry(view.name, entries)
            if existing is not None:
                self._loadable(existing)
                if not overwrite:
                    raise ViewExists(f"a view named {show_name(view.name)} already exists")
                path, document = existing.path, editable(existing.path)
            else:
                path, document = self._free_path(view.name), None
            self._write(path, render(view, document))
        return path

    def rename(self, old: str, new: str) -> Path:
        """Give view ``old`` the name ``new`` (its file follows the new name); comments
        and unknown keys move with it. Returns the new file."""
        with self._locked():
            entries = self._scan()
            source = self._find(old, entries)
            view = self._loadable(source)
            renamed = replace(view, name=new)
            if renamed.name == view.name:
                return source.path
            if self._find_entry(renamed.name, entries) is not None:
                raise ViewExists(f"a view named {show_name(renamed.name)} already exists")
            path = self._free_path(renamed.name, replacing=source.path)
            # New file first, old one second: a crash in between leaves two views, never
            # none.
            self._write(path, render(renamed, editable(source.path)))
            if path != source.path:
                self._unlink(source.path)
        return path

    def delete(self, name: str) -> None:
        """Remove view ``name``'s file (also when it no longer loads, if its name can
        still be read: deleting by name is an explicit request)."""
        with self._locked():
            entry = self._find(name, self._scan())
            self._unlink(entry.path)

    # -- internals ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(locked(self.directory))
        except OSError as error:
            raise ViewError(f"cannot use {self.directory}: {error.strerror or error}") from None
        with stack:
            yield

    def _scan(self) -> list[Entry]:
        try:
            paths = sorted(p for p in self.directory.iterdir() if is_view_file(p))
        except FileNotFoundError:
            return []
        except OSError as error:
            raise ViewError(f"cannot read {self.directory}: {error.strerror or error}") from None
        return [read_entry(path) for path in paths]

    @staticmethod
    def _find_entry(name: str, entries: list[Entry]) -> Entry | None:
        """The file holding ``name``: the first loadable one, else the first whose name
        can at least be read (so a broken view is reported, not shadowed)."""
        name = unicodedata.normalize("NFC", name)
        matches = [e for e in entries if e.name == name]
        return next((e for e in matches if e.view is not None), matches[0] if matches else None)

    def _find(self, name: str, entries: list[Entry]) -> Entry:
        entry = self._find_entry(name, entries)
        if entry is not None:
            return entry
        known = sorted({e.view.name for e in entries if e.view}, key=lambda n: (n.casefold(), n))
        if not known:
            raise ViewNotFound(f"no saved view named {show_name(name)} (there are none)")
        listed = ", ".join(show_name(n) for n in known[:8]) + (", …" if len(known) > 8 else "")
        raise ViewNotFound(f"no saved view named {show_name(name)} (known: {listed})")

    @staticmethod
    def _loadable(entry: Entry) -> SavedView:
        if entry.view is None:
            raise ViewError(f"saved view {show_name(entry.name or '')} ({entry.path.name}) "
                            f"cannot be loaded: {entry.error()}; fix or delete that file")
        return entry.view

    def _free_path(self, name: str, replacing: Path | None = None) -> Path:
        """The file a view called ``name`` should go to (under the lock).

        Skips names held by other views; refuses if one is held by a file whose owner
        cannot be read (see the module notes); ``replacing`` counts as free.
        """
        for candidate in candidate_names(name):
            path = self.directory / candidate
            if not os.path.lexists(path):
                return path
            if replacing is not None and path.exists() and os.path.samefile(path, replacing):
                return replacing  # same file, maybe spelt differently (case-insensitive fs)
            if not is_view_file(path):
                continue  # a directory or device someone named *.toml: not ours
            entry = read_entry(path)
            if entry.name is None:
                raise ViewError(f"cannot save view {show_name(name)}: {path} is in the way "
                                f"and cannot be read ({entry.error()}); fix, move or delete it")
        raise ViewError(f"cannot find a free file name for view {show_name(name)}")

    def _write(self, path: Path, data: bytes) -> None:
        try:
            atomic_write(path, data)
        except OSError as error:
            raise ViewError(f"cannot write {path}: {error.strerror or error}") from None

    def _unlink(self, path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as error:
            raise ViewError(f"cannot delete {path}: {error.strerror or error}") from None
