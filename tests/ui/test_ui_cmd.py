"""What ``ktui`` builds from its arguments and settings (ktui.cli.ui_cmd), run for real:
settings problems are shown at start-up and the valid keys still apply (issue 10, item 8),
and a crash ends the process with a non-zero status (item 1).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from ktui.cli import _ui_parser
from ktui.cli.errors import CliError
from ktui.cli.ui_cmd import MAX_PROBLEM_LINES, build, problem_lines, run
from ktui.sim import SimCluster, write_kubeconfig
from tests.ui.conftest import loaded, wait_for

# The field report's file: the production rule plus an unrelated typo elsewhere.
SETTINGS = """\
[ui]
production_pattern = "acc"

[opensearch]
url = "https://os.example"
verify_certs = ture
"""


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(directory))
    for name in ("KTUI_PRODUCTION_PATTERN", "KTUI_OPENSEARCH_URL", "OPENSEARCH_HOST"):
        monkeypatch.delenv(name, raising=False)
    return directory


@pytest.fixture
def acc_cluster(tmp_path: Path) -> Any:
    cluster = SimCluster(name="acc-eu-1", scenario="lifecycle", seed=2)
    cluster.start()
    path = tmp_path / "kubeconfig"
    write_kubeconfig(str(path), [cluster], token="admin-token", current="acc-eu-1")
    yield cluster, str(path)
    cluster.stop()


def args(*argv: str) -> argparse.Namespace:
    return _ui_parser().parse_args(list(argv))


async def test_settings_problems_are_shown_and_the_valid_keys_apply(
    config_dir: Path, acc_cluster: Any
) -> None:
    cluster, kubeconfig = acc_cluster
    (config_dir / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    app, stop = build(args("--kubeconfig", kubeconfig))
    shown: list[tuple[str, str, bool]] = []
    notify = app.notify

    def capture(message: str, **kwargs: Any) -> None:
        shown.append((message, kwargs.get("severity", ""), kwargs.get("markup", True)))
        notify(message, **kwargs)

    app.notify = capture  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_for(pilot, loaded(app, cluster))
            assert app.explorer.is_production("acc-eu-1")
            assert "PROD" in str(app.explorer.header.render())
            assert app.explorer.history.available  # the URL two lines above the typo applies
            settings_file = config_dir / "settings.toml"
            problems = [entry for entry in shown if str(settings_file) in entry[0]]
            assert problems == [(f"{settings_file}:6: not valid TOML (Invalid value); "
                                 "line ignored", "warning", False)]
            app.clear_notifications()
            await pilot.pause()
    finally:
        stop()


def test_a_bad_flag_is_refused_before_the_ui_starts(config_dir: Path, acc_cluster: Any) -> None:
    _cluster, kubeconfig = acc_cluster
    with pytest.raises(CliError) as caught:
        build(args("--kubeconfig", kubeconfig, "--opensearch-url", "ftp://x"))
    assert caught.value.code == 2
    assert str(caught.value) == "--opensearch-url: must be an http or https URL, not 'ftp://'"


def test_many_problems_are_summarised(config_dir: Path) -> None:
    from ktui.config import load_settings

    lines = "\n".join(f"unknown{n} = 1" for n in range(MAX_PROBLEM_LINES + 3))
    (config_dir / "settings.toml").write_text(f"[ui]\n{lines}\n", encoding="utf-8")
    problems = load_settings(config_dir / "settings.toml", {}).problems
    shown = problem_lines(problems)
    assert len(shown) == MAX_PROBLEM_LINES + 1
    assert shown[-1].startswith("… and 3 more")


def test_a_crash_exits_non_zero(config_dir: Path, acc_cluster: Any,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """Whatever goes wrong inside the app, ``ktui`` must not report success."""
    _cluster, kubeconfig = acc_cluster
    app, stop = build(args("--kubeconfig", kubeconfig))
    prepare = app.explorer.prepare

    def crash() -> None:
        raise RuntimeError("injected fault")

    def prepare_then_crash() -> None:
        assert prepare is not None
        prepare()
        app.call_next(crash)  # an unhandled exception in an app callback

    app.explorer.prepare = prepare_then_crash
    assert run(app, stop, headless=True) == 1
    assert "injected fault" in capsys.readouterr().err


def test_a_normal_quit_exits_zero(config_dir: Path, acc_cluster: Any) -> None:
    _cluster, kubeconfig = acc_cluster
    app, stop = build(args("--kubeconfig", kubeconfig))
    app.explorer.prepare = app.exit
    assert run(app, stop, headless=True) == 0
