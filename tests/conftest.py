"""Fixtures and helpers every test shares.

Every test runs with ktui's directories in its own temporary folder: settings, views,
the archive and reports never touch the user's (or another test's) files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

KTUI_DIRS = ("KTUI_CONFIG_DIR", "KTUI_DATA_DIR", "KTUI_STATE_DIR", "KTUI_CACHE_DIR")


@pytest.fixture(autouse=True)
def _ktui_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point every ktui directory into a fresh temporary folder (a test may override)."""
    root = tmp_path_factory.mktemp("ktui-home")
    for name in KTUI_DIRS:
        folder = name.removeprefix("KTUI_").removesuffix("_DIR").lower()
        monkeypatch.setenv(name, str(root / folder))
    return root


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0,
               interval: float = 0.01) -> None:
    """Return as soon as ``predicate()`` holds; fail after ``timeout`` seconds. (A wait on
    a condition, polled: not a sleep that hopes enough time has passed.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("condition not met in time")
