"""The layering holds at run time too, not only in import-linter's static graph."""

from __future__ import annotations

import json
import subprocess
import sys


def modules_after(statement: str) -> set[str]:
    """Every module a fresh interpreter holds after ``statement``."""
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    return set(json.loads(out))


def imported_after(statement: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after ``statement``."""
    return {name.split(".")[0] for name in modules_after(statement)}


def test_the_model_imports_no_ui_and_no_clients() -> None:
    modules = imported_after(
        "import ktui.model.event, ktui.model.query, ktui.model.store, ktui.views.store, "
        "ktui.model.timerange, ktui.model.safe_text"
    )
    assert not modules & {"textual", "rich", "kubernetes", "opensearchpy", "urllib3"}


def test_the_ui_starts_without_the_clients() -> None:
    """The Kubernetes and OpenSearch clients cost ~0.5 s to import: the app and its launch
    path must not load them before the first paint (sources import them in a thread)."""
    modules = imported_after("import ktui.cli, ktui.cli.ui_cmd, ktui.ui.app, ktui.kube.catalog")
    assert "textual" in modules
    assert not modules & {"kubernetes", "opensearchpy"}


def test_the_first_paint_waits_for_no_view_writer_and_no_highlighter() -> None:
    """tomlkit (writing views), pygments (the JSON detail) and the saved-view modules
    load when first used."""
    modules = imported_after("import ktui.cli, ktui.cli.ui_cmd, ktui.ui.app")
    assert not modules & {"tomlkit", "pygments"}
    code = ("import sys, json\nimport ktui.cli, ktui.cli.ui_cmd, ktui.ui.app\n"
            "print(json.dumps(sorted(m for m in sys.modules if 'views' in m)))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert json.loads(out) == []


def test_the_first_paint_waits_for_no_lens_no_history_and_no_dialog() -> None:
    """The incident lens (grouping, owners, reports), history's feeds and the dialogs are
    built after the first frame: their modules are not loaded by the app's import."""
    loaded = modules_after("import ktui.cli, ktui.cli.ui_cmd, ktui.ui.app")
    later = {"ktui.ui.lens_actions", "ktui.explorer.grouping", "ktui.model.grouping",
             "ktui.model.owners", "ktui.model.report", "ktui.ui.widgets.group_table",
             "ktui.explorer.timeline_feed", "ktui.explorer.history_feed",
             "ktui.ui.screens.pickers", "ktui.ui.clipboard", "ktui.model.reasons"}
    assert "ktui.ui.screens.explorer" in loaded
    assert not loaded & later


def test_the_first_paint_waits_for_no_source_machinery() -> None:
    """The channel, the thread runner and the source contract load when the first source
    starts, the history contract with the first search: both after the first frame."""
    loaded = modules_after("import ktui.cli, ktui.cli.ui_cmd, ktui.ui.app, ktui.kube.catalog, "
                           "ktui.cli.demo")
    later = {"ktui.feeds.channel", "ktui.feeds.runner", "ktui.feeds.contract",
             "ktui.feeds.history"}
    assert "ktui.explorer.live" in loaded
    assert not loaded & later


def test_history_made_at_start_up_makes_no_store_yet() -> None:
    """The launcher makes the history session before the first frame; its store (and
    ctypes, which the first store loads to untrack its lists) waits for history."""
    loaded = imported_after("from ktui.explorer.history import HistorySession\n"
                            "session = HistorySession(None, 'no history')")
    assert "ctypes" not in loaded
    assert "ctypes" in imported_after("from ktui.explorer.history import HistorySession\n"
                                      "HistorySession(None, 'no history').store")


def test_the_archive_options_load_without_sqlite() -> None:
    """``ktui`` reads the archive's options before its first frame; the writer, history
    and sqlite3 load after it (the package's names load their modules when first used)."""
    loaded = imported_after("import ktui.cli.ui_cmd, ktui.cli.tui_archive\n"
                            "from ktui.archive import ArchiveOptions, WriterState")
    assert "sqlite3" not in loaded
    assert "sqlite3" in imported_after("from ktui.archive import ArchiveHistory")


def test_the_demo_is_prepared_without_the_simulator() -> None:
    """``ktui --demo`` starts its clusters after the first paint: preparing it loads none
    of ktui.sim (about 0.1 s of imports and start-up)."""
    code = ("import sys, json\nimport ktui.cli.demo\ndemo = ktui.cli.demo.prepare_demo()\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('ktui.sim'))))\n"
            "demo.stop()")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert json.loads(out) == []
