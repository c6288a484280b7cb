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


_DAY = 86400
TODAY_WIDTH = 8  # HH:MM:SS
OTHER_DAY_WIDTH = 11  # MM-DD HH:MM
AGE_WIDTH = 9  # 2m5s, 3h5m, 6d: the relative column, shrunk to 5 on narrow terminals


def same_day(moment: float, now: float) -> bool:
    """On the same UTC day (ktui shows every time in UTC, as the detail pane says)."""
    return int(moment // _DAY) == int(now // _DAY)


def absolute_time(moment: float, now: float) -> str:
    """``HH:MM:SS`` today, ``MM-DD HH:MM`` on any other day: the time of day is always
    whole (the seconds give way to the date, never the minutes)."""
    layout = "%H:%M:%S" if same_day(moment, now) else "%m-%d %H:%M"
    return datetime.fromtimestamp(moment, UTC).strftime(layout)


def absolute_width(oldest: float | None, newest: float | None, now: float) -> int:
    """The LAST SEEN column's width for absolute times of events from ``oldest`` to
    ``newest`` (None: no events): narrower when every one of them is from today."""
    if oldest is None or newest is None:
        return TODAY_WIDTH
    # An event without a time (0, sorted first) reads "<unknown>": it takes the wider column.
    today = bool(oldest) and same_day(oldest, now) and same_day(newest, now)
    return TODAY_WIDTH if today else OTHER_DAY_WIDTH


def last_seen(event: Event, now: float, absolute: bool) -> str:
    if not event.time:
        return "<unknown>"
    if absolute:
        return absolute_time(event.time, now)
    return age(now - event.time)


COUNT_WIDTH = 8  # the table's COUNT column


def coarse_age(seconds: float) -> str:
    """The largest unit only (``2m``, ``3h``, ``6d``): enough for "over how long"."""
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def count(event: Event) -> str:
    """``x3 over 24m`` in short: ``3·24m``; exported counts are lower bounds (``≥3``).
    The span is dropped rather than cut when both do not fit the column: a clipped
    ``2m1`` would read as another duration."""
    text = f"≥{event.count}" if event.count_is_lower_bound else str(event.count)
    if event.count > 1 and event.first_seen and event.time > event.first_seen:
        spanned = f"{text}·{coarse_age(event.time - event.first_seen)}"
        if len(spanned) <= COUNT_WIDTH:
            return spanned
    return text


def count_long(event: Event) -> str:
    """The words kubectl describe uses: ``x3 over 24m``."""
    prefix = "at least " if event.count_is_lower_bound else ""
    if event.count > 1 and event.first_seen:
        return f"{prefix}x{event.count} over {age(event.time - event.first_seen)}"
    return f"{prefix}x{event.count}"
