"""``ktui views``: output and exit codes, in-process and in a subprocess."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from ktui.cli import views_cmd
from ktui.model.timerange import TimeRange
from ktui.views.store import SavedView, ViewStore


@pytest.fixture
def views(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ViewStore:
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path))
    return ViewStore(tmp_path / "views")


def ktui_views(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="ktui")
    views_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
    return views_cmd.run(parser.parse_args(["views", *argv]))


def test_save_then_list(views: ViewStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert ktui_views("save", "payments 경고", "--query", "reason~BackOff", "-t", "Warning",
                      "-n", "payments,orders", "-n", "web", "--since", "6h",
                      "--context", "prod", "-c", "time,reason", "--sort", "oldest") == 0
    assert "saved view payments 경고" in capsys.readouterr().out
    assert views.get("payments 경고") == SavedView(
        "payments 경고", mode="history", query="reason~BackOff", types=("Warning",),
        namespaces=("payments", "orders", "web"), time_range=TimeRange.last("6h"),
        sort="oldest", columns=("time", "reason"), context="prod")
    assert ktui_views("save", "live one") == 0
    capsys.readouterr()
    assert ktui_views("list") == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "MODE", "RANGE", "CONTEXT", "QUERY"]
    assert lines[1].split() == ["live", "one", "live", "-", "-", "all", "events"]
    assert lines[2].startswith("payments 경고  history  6h")
    assert "type:Warning ns:orders,payments,web reason~BackOff" in lines[2]
    # Columns line up in terminal cells (each Korean syllable is two cells wide).
    assert lines[1].index("live  ") == 15 and lines[2].index("history") == 15 - 2
    assert err == ""
    assert ktui_views() == 0  # bare `ktui views` lists
    assert capsys.readouterr().out == out


def test_list_with_nothing_saved(views: ViewStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert ktui_views("list") == 0
    out, err = capsys.readouterr()
    assert out == "" and "no saved views in" in err


def test_list_reports_problems_one_line_each(
    views: ViewStore, capsys: pytest.CaptureFixture[str]
) -> None:
    views.save(SavedView("good"))
    bad = views.directory / "bad.toml"
    bad.write_text('name = "bad\n')
    (views.directory / "odd.toml").write_text('name = "odd"\nextra = 1\n')
    before = bad.read_bytes()
    assert ktui_views("list") == 1
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["good", "odd"]
    first, second = err.splitlines()
    assert first.startswith(f"ktui: {bad}: not valid TOML: ") and "(at line 1" in first
    assert second == f"ktui: warning: {views.directory / 'odd.toml'}: unknown key 'extra' ignored"
    assert bad.read_bytes() == before
    bad.unlink()
    assert ktui_views("list") == 0  # warnings alone do not fail


def test_show_prints_the_file_as_stored(
    views: ViewStore, capsys: pytest.CaptureFixture[str]
) -> None:
    path = views.save(SavedView("a", query="oom"))
    path.write_text(path.read_text() + "# my note\n")
    assert ktui_views("show", "a") == 0
    out = capsys.readouterr().out
    assert out == path.read_text()
    assert tomllib.loads(out)["name"] == "a"


def test_unknown_names_exit_1_with_one_line(
    views: ViewStore, capsys: pytest.CaptureFixture[str]
) -> None:
    views.save(SavedView("a"))
    for argv in (["show", "x"], ["delete", "x"], ["rename", "x", "y"]):
        assert ktui_views(*argv) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err == "ktui: no saved view named 'x' (known: 'a')\n"


def test_save_refuses_to_replace_without_force(
    views: ViewStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ktui_views("save", "a", "--query", "oom") == 0
    assert ktui_views("save", "a", "--query", "evicted") == 1
    err = capsys.readouterr().err
    assert err == "ktui: a view named 'a' already exists (--force replaces it)\n"
    assert ktui_views("save", "a", "--query", "evicted", "--force") == 0
    assert views.get("a").query == "evicted"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--query", "bogus:1"], "ktui: unknown field 'bogus' (known: "),
        (["--query", 'msg:"open'], "ktui: unclosed quote in query"),
        (["--since", "soon"], "ktui: 'soon' is not a duration like 15m, 6h or 7d"),
        (["--from", "2024-05-01T00:00:00Z"], "ktui: --from needs --to"),
        (["--to", "2024-05-01T00:00:00Z"], "ktui: --to needs --from"),
        (["--from", "yesterday", "--to", "2024-05-01T00:00:00Z"], "ktui: --from needs an RFC"),
        (["--from", "2024-05-02T00:00:00Z", "--to", "2024-05-01T00:00:00Z"], "ktui: the end"),
    ],
)
def test_bad_input_exits_2(
    views: ViewStore, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert ktui_views("save", "a", *argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert views.load_all() == ([], [])


def test_a_blank_name_is_bad_input(views: ViewStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert ktui_views("save", "  ") == 2
    assert capsys.readouterr().err == "ktui: a view needs a non-blank name\n"


def test_history_with_an_absolute_range(views: ViewStore) -> None:
    assert ktui_views("save", "incident", "--from", "2024-05-01T00:00:00Z",
                      "--to", "2024-05-01T06:00:00Z") == 0
    view = views.get("incident")
    assert view.mode == "history"
    assert view.time_range == TimeRange.between(1714521600.0, 1714543200.0)
    assert ktui_views("save", "h", "--history") == 0
    assert views.get("h").mode == "history" and views.get("h").time_range is None


def test_rename_and_delete(views: ViewStore, capsys: pytest.CaptureFixture[str]) -> None:
    views.save(SavedView("old"))
    assert ktui_views("rename", "old", "new") == 0
    assert "renamed view old to new" in capsys.readouterr().out
    assert [v.name for v in views.load_all()[0]] == ["new"]
    views.save(SavedView("other"))
    assert ktui_views("rename", "new", "other") == 1
    assert "already exists" in capsys.readouterr().err
    assert ktui_views("delete", "new") == 0
    assert [v.name for v in views.load_all()[0]] == ["other"]


def test_hostile_names_are_escaped_on_the_terminal(
    views: ViewStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ktui_views("save", "evil\x1b[2J\nname") == 0
    assert ktui_views("list") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "evil\\x1b[2J\\nname" in out
    assert ktui_views("show", "nope\x1b]52;") == 1
    assert "\x1b" not in capsys.readouterr().err


def test_a_file_in_the_way_is_a_clear_failure(
    views: ViewStore, capsys: pytest.CaptureFixture[str]
) -> None:
    views.directory.mkdir()
    (views.directory / "prod.toml").write_text("[[[")
    assert ktui_views("save", "prod") == 1
    err = capsys.readouterr().err
    assert "prod.toml is in the way and cannot be read" in err and err.count("\n") == 1


SCRIPT = """\
import argparse, sys
from ktui.cli import views_cmd
parser = argparse.ArgumentParser(prog="ktui")
views_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
sys.exit(views_cmd.run(parser.parse_args(["views", *sys.argv[1:]])))
"""


def run_subprocess(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KTUI_CONFIG_DIR": str(tmp_path), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-c", SCRIPT, *argv], capture_output=True,
                          text=True, encoding="utf-8", env=env, timeout=60, check=False)


def test_in_a_subprocess_there_are_no_tracebacks(tmp_path: Path) -> None:
    saved = run_subprocess(tmp_path, "save", "🎉 party", "--query", "type:Warning")
    assert saved.returncode == 0, saved.stderr
    listed = run_subprocess(tmp_path, "list")
    assert listed.returncode == 0 and "🎉 party" in listed.stdout
    for argv, code in ((["show", "missing"], 1), (["save", "x", "--query", "x:y"], 2),
                       (["save", "🎉 party"], 1)):
        result = run_subprocess(tmp_path, *argv)
        assert result.returncode == code
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("ktui: ") and result.stderr.count("\n") == 1
    shown = run_subprocess(tmp_path, "show", "🎉 party")
    assert shown.stdout == next((tmp_path / "views").glob("*.toml")).read_text(encoding="utf-8")
