"""Moved to :mod:`ktui.config`. ``ui/app.py`` and ``ui/screens/explorer_base.py`` still
import from here; once they import ``ktui.config``, this module goes."""

from ktui.config import Settings, load_settings

__all__ = ["Settings", "load_settings"]
