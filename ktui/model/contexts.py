"""Several kube contexts given as one text (a flag, ``:ctx``, a saved view): ``a,b``."""

from __future__ import annotations


def split_contexts(text: str | None) -> list[str]:
    """``a,b`` as context names, each once, in order; empty parts are dropped."""
    return list(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))
