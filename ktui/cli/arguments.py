"""Argument types the commands share: a bad value is argparse's one clear usage line."""

from __future__ import annotations

import argparse


def positive_seconds(text: str) -> float:
    """``--timeout 2.5``: a number of seconds above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value
