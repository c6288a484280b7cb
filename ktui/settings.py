"""Moved to :mod:`ktui.config`; ``ui/app.py`` imports from here until its rewrite."""

from ktui.config import Settings, load_settings

__all__ = ["Settings", "load_settings"]
