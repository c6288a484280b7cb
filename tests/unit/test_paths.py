"""ktui.paths: platform defaults, each root overridable by its environment variable."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from ktui import paths

ENV = ("KTUI_CONFIG_DIR", "KTUI_STATE_DIR", "KTUI_CACHE_DIR", "KTUI_DATA_DIR")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def test_defaults_come_from_platformdirs() -> None:
    assert paths.config_dir() == platformdirs.user_config_path("ktui")
    assert paths.state_dir() == platformdirs.user_state_path("ktui")
    assert paths.cache_dir() == platformdirs.user_cache_path("ktui")
    assert paths.data_dir() == platformdirs.user_data_path("ktui")
    assert paths.archive_file() == platformdirs.user_data_path("ktui") / "archive.sqlite3"


def test_settings_and_views_live_in_the_config_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path / "cfg"))
    assert paths.config_dir() == tmp_path / "cfg"
    assert paths.settings_file() == tmp_path / "cfg" / "settings.toml"
    assert paths.views_dir() == tmp_path / "cfg" / "views"


def test_each_root_has_its_own_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("KTUI_CACHE_DIR", str(tmp_path / "cache"))
    assert paths.state_dir() == tmp_path / "state"
    assert paths.cache_dir() == tmp_path / "cache"
    monkeypatch.setenv("KTUI_DATA_DIR", str(tmp_path / "data"))
    assert paths.data_dir() == tmp_path / "data"
    assert paths.exports_dir() == tmp_path / "data" / "exports"
    assert paths.archive_file() == tmp_path / "data" / "archive.sqlite3"
    assert paths.config_dir() == platformdirs.user_config_path("ktui")


def test_overrides_are_read_on_every_call(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path / "one"))
    first = paths.views_dir()
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path / "two"))
    assert paths.views_dir() != first


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_override_counts_as_unset(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("KTUI_CONFIG_DIR", value)
    assert paths.config_dir() == platformdirs.user_config_path("ktui")


def test_overrides_are_absolute_and_expand_the_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KTUI_CACHE_DIR", "~/kc")
    assert paths.cache_dir() == tmp_path / "kc"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KTUI_STATE_DIR", "rel")
    assert paths.state_dir() == tmp_path / "rel"
    assert paths.state_dir().is_absolute()


def test_nothing_is_created(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path / "cfg"))
    paths.views_dir()
    paths.settings_file()
    assert not (tmp_path / "cfg").exists()
