"""Every file and directory ktui reads or writes on the user's behalf, in one place.

Defaults follow the platform conventions (``platformdirs``): on Linux
``~/.config/ktui``, ``~/.local/state/ktui`` and ``~/.cache/ktui``. Each root can be
moved with an environment variable, which tests and sandboxed runs rely on:

=================== ======================================================
``KTUI_CONFIG_DIR`` settings.toml and views/ (things the user may edit)
``KTUI_STATE_DIR``  state ktui keeps between runs (history, last position)
``KTUI_CACHE_DIR``  anything that can be thrown away and rebuilt
``KTUI_DATA_DIR``   data ktui keeps for the user (the event archive, exports/)
=================== ======================================================

An empty variable counts as unset. Nothing here creates a directory: the code that
writes a file creates its parent, so merely starting ktui leaves no trace.
The functions read the environment on every call (no caching) so a test can point
them elsewhere with ``monkeypatch.setenv``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "ktui"

CONFIG_ENV = "KTUI_CONFIG_DIR"
STATE_ENV = "KTUI_STATE_DIR"
CACHE_ENV = "KTUI_CACHE_DIR"
DATA_ENV = "KTUI_DATA_DIR"


def _override(variable: str) -> Path | None:
    value = os.environ.get(variable, "")
    if not value.strip():
        return None
    # Absolute so that a later chdir cannot silently move the directory.
    return Path(value).expanduser().absolute()


def config_dir() -> Path:
    """Root of the user's configuration: ``settings.toml`` and ``views/``."""
    return _override(CONFIG_ENV) or platformdirs.user_config_path(APP_NAME)


def settings_file() -> Path:
    return config_dir() / "settings.toml"


def views_dir() -> Path:
    """Saved views, one TOML file each (see :mod:`ktui.views.store`)."""
    return config_dir() / "views"


def state_dir() -> Path:
    return _override(STATE_ENV) or platformdirs.user_state_path(APP_NAME)


def cache_dir() -> Path:
    return _override(CACHE_ENV) or platformdirs.user_cache_path(APP_NAME)


def data_dir() -> Path:
    """Data kept for the user, worth a backup: the event archive (on Linux
    ``~/.local/share/ktui``)."""
    return _override(DATA_ENV) or platformdirs.user_data_path(APP_NAME)


def reports_dir() -> Path:
    """Markdown reports of the explorer's view (``e``)."""
    return data_dir() / "reports"


def archive_file() -> Path:
    """The local event archive (see :mod:`ktui.archive`), shared by every ktui process."""
    return data_dir() / "archive.sqlite3"


def exports_dir() -> Path:
    """Events written to files (``Y``): one JSON file each."""
    return data_dir() / "exports"
