"""How counts and ages read in the table's cells."""

from __future__ import annotations

from ktui.model.event import Event, from_core_v1, from_exporter
from ktui.ui import cells
from tests.fixtures.seed_events import core_event


def _event(count: int, first: str, last: str, exported: bool = False) -> Event:
    obj = core_event("u1", count=count, first=first, last=last)
    return from_exporter(obj) if exported else from_core_v1(obj)


def test_count_reads_x_over_a_coarse_span() -> None:
    assert cells.count(_event(3, "2025-11-22T08:00:00Z", "2025-11-22T08:24:30Z")) == "3·24m"
    assert cells.count(_event(112, "2025-11-22T08:00:00Z", "2025-11-22T08:02:10Z")) == "112·2m"
    assert cells.count(_event(5, "2025-11-20T08:00:00Z", "2025-11-22T09:00:00Z")) == "5·2d"
    assert cells.count(_event(1, "2025-11-22T08:00:00Z", "2025-11-22T08:00:00Z")) == "1"


def test_an_exported_count_is_a_lower_bound() -> None:
    assert cells.count(_event(30, "2025-11-22T08:00:00Z", "2025-11-22T08:02:10Z",
                              exported=True)) == "≥30·2m"


def test_the_span_is_dropped_not_cut_when_it_does_not_fit() -> None:
    text = cells.count(_event(123456, "2025-11-22T08:00:00Z", "2025-11-22T08:24:00Z"))
    assert text == "123456"
    for n in (1, 9, 99, 999, 9999, 99999):
        shown = cells.count(_event(n, "2025-11-01T08:00:00Z", "2025-11-22T08:59:59Z", True))
        assert len(shown) <= cells.COUNT_WIDTH and shown.startswith(f"≥{n}")


def test_absolute_time_is_the_time_of_day_today_and_the_date_and_minute_otherwise() -> None:
    event = _event(1, "2025-11-22T08:00:00Z", "2025-11-22T08:24:30Z")
    now = event.time + 3600
    assert cells.last_seen(event, now, absolute=True) == "08:24:30"
    assert cells.last_seen(event, now + 86400, absolute=True) == "11-22 08:24"
    assert cells.last_seen(event, now, absolute=False) == "1h"
    # The column fits what it shows: every event today, or not.
    assert cells.absolute_width(event.time, event.time, now) == cells.TODAY_WIDTH == 8
    assert cells.absolute_width(event.time - 86400, event.time, now) == 11
    assert cells.absolute_width(0.0, event.time, now) == 11  # "<unknown>"
    assert len(cells.absolute_time(event.time, now + 86400)) == cells.OTHER_DAY_WIDTH
