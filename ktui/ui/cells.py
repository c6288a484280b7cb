"""How an event's fields read in a cell: ages, counts, objects. Pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

from ktui.model.event import Event


def age(seconds: float) -> str:
    """kubectl's short ages: 5s, 3m, 2m5s under 10 minutes, 4h, 3h5m under 10 hours, 6d."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 10:
        return f"{minutes}m{sec}s" if sec else f"{minutes}m"
    if minutes < 60:
        return f"{minutes}m"
    hours, minute = divmod(minutes, 60)
    if hours < 10:
        return f"{hours}h{minute}m" if minute else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    return f"{days}d" if days < 365 else f"{days // 365}y{days % 365}d"


def last_seen(event: Event, now: float, absolute: bool) -> str:
    if not event.time:
        return "<unknown>"
    if absolute:
        return datetime.fromtimestamp(event.time, UTC).strftime("%m-%d %H:%M:%S")
    return age(now - event.time)


def count(event: Event) -> str:
    """``x3 over 24m`` in short: ``3·24m``; exported counts are lower bounds (``≥3``)."""
    text = f"≥{event.count}" if event.count_is_lower_bound else str(event.count)
    if event.count > 1 and event.first_seen and event.time > event.first_seen:
        text += f"·{age(event.time - event.first_seen)}"
    return text


def count_long(event: Event) -> str:
    """The words kubectl describe uses: ``x3 over 24m``."""
    prefix = "at least " if event.count_is_lower_bound else ""
    if event.count > 1 and event.first_seen:
        return f"{prefix}x{event.count} over {age(event.time - event.first_seen)}"
    return f"{prefix}x{event.count}"
