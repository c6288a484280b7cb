"""A histogram of events over the visible time window, warnings stacked under normals.

One column per bucket, eighth-blocks for resolution. Warnings are drawn at the bottom of
each bar in the warning colour, so a warning spike reads at a glance even in 16 colours;
the bucket of the selected event is marked on the axis line, and so are rollouts (``↑``,
:mod:`ktui.model.rollouts`): a warning burst right after one reads at a glance. The
selected group's rollouts stand out (reversed). The axis labels step aside for the marks.
With several contexts shown, the histogram may be one context's (the selected event's):
its bars are drawn in that context's CTX colour, and its name leads the axis label.

A histogram with more buckets than columns (made before the terminal narrowed) is merged
to fit, so the axis still spans its whole window; the widget then posts
:class:`EventSparkline.Resized` for a histogram of its new width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from rich.segment import Segment
from rich.style import Style
from textual.events import Resize
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from ktui.model.histogram import Histogram
from ktui.model.safe_text import one_line
from ktui.ui.widgets.columns import context_style

_BLOCKS = " ▁▂▃▄▅▆▇█"


def _clock(seconds: float, span: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%m-%d %H:%M" if span > 86400 else "%H:%M:%S" if span < 600 else "%H:%M")


class EventSparkline(Widget):
    COMPONENT_CLASSES = {"sparkline--normal", "sparkline--warning", "sparkline--axis",
                         "sparkline--marker", "sparkline--rollout", "sparkline--chosen"}
    DEFAULT_CSS = """
    EventSparkline { height: 4; background: $surface; }
    EventSparkline > .sparkline--normal { color: $primary; }
    EventSparkline > .sparkline--warning { color: $error; }
    EventSparkline > .sparkline--axis { color: $text-muted; }
    EventSparkline > .sparkline--marker { color: $accent; text-style: bold; }
    EventSparkline > .sparkline--rollout { color: $secondary; text-style: bold; }
    EventSparkline > .sparkline--chosen { color: $accent; text-style: bold reverse; }
    """

    class Resized(Message):
        """The width changed: the owner should make a histogram of ``buckets`` buckets."""

        def __init__(self, buckets: int) -> None:
            super().__init__()
            self.buckets = buckets

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.histogram: Histogram | None = None
        self.marked: int | None = None
        self.rollouts: tuple[float, ...] = ()  # times of rollouts in the window
        self.chosen: tuple[float, ...] = ()  # the selected group's, among them
        self._bars: list[Strip] | None = None  # the bar rows of one repaint
        # the contexts shown (several: the histogram may be one context's, drawn in its
        # CTX column colour and named on the axis)
        self.contexts: tuple[str, ...] = ()
        self._last_buckets = 0

    @property
    def buckets(self) -> int:
        return max(self.size.width, 10)

    def show(self, histogram: Histogram | None, marked: int | None,
             rollouts: Sequence[float] = (), chosen: Sequence[float] = ()) -> None:
        self.histogram, self.marked = histogram, marked
        self.rollouts, self.chosen = tuple(rollouts), tuple(chosen)
        self._bars = None
        self.refresh()

    def on_resize(self, event: Resize) -> None:
        if self.buckets != self._last_buckets:
            self._last_buckets = self.buckets
            self.post_message(self.Resized(self.buckets))

    def _fitted(self, width: int) -> tuple[Histogram, int | None]:
        """The histogram and marked bucket to draw: as given, or with every ``k``
        neighbouring buckets merged when it has more buckets than ``width`` columns."""
        histogram = self.histogram
        assert histogram is not None
        count = len(histogram.normal)
        if count <= width:
            return histogram, self.marked
        k = -(-count // max(width, 1))

        def merge(values: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(sum(values[i : i + k]) for i in range(0, count, k))

        merged = replace(histogram, interval=histogram.interval * k,
                         normal=merge(histogram.normal), warning=merge(histogram.warning))
        return merged, None if self.marked is None else self.marked // k

    def render_lines(self, crop: Region) -> list[Strip]:
        self._bars = None  # styles or size may have changed: build the rows again
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        histogram = self.histogram
        bar_rows = max(self.size.height - 1, 1)
        if histogram is None or not histogram.normal:
            return Strip.blank(width, base)
        end = histogram.start + histogram.interval * len(histogram.normal)
        histogram, marked = self._fitted(width)
        if y == bar_rows:
            return self._axis(histogram, width, base, marked, end)
        if self._bars is None:
            self._bars = self._bar_rows(histogram, width, base, bar_rows)
        return self._bars[y] if 0 <= y < bar_rows else Strip.blank(width, base)

    def _bar_rows(self, histogram: Histogram, width: int, base: Style, bar_rows: int
                  ) -> list[Strip]:
        """Every bar row at once: each bucket's heights are computed once, not per row."""
        peak = max((n + w for n, w in zip(histogram.normal, histogram.warning, strict=True)),
                   default=0)
        normal_style = base + (context_style(histogram.context, self.contexts)
                               if histogram.context else
                               self.get_component_rich_style("sparkline--normal"))
        warning_style = base + self.get_component_rich_style("sparkline--warning")
        columns = self._columns_per_bucket(histogram, width)
        heights = [
            (self._eighths(normal + warning, peak, bar_rows),
             self._eighths(warning, peak, bar_rows) if warning else 0)
            for normal, warning in zip(histogram.normal[:width], histogram.warning[:width],
                                       strict=True)
        ]
        rows = []
        for y in range(bar_rows):
            floor = (bar_rows - 1 - y) * 8
            segments = [
                Segment(_BLOCKS[min(max(total - floor, 0), 8)] * columns,
                        warning_style if warned > floor else normal_style)
                for total, warned in heights
            ]
            rows.append(Strip(segments).crop(0, width).adjust_cell_length(width, base))
        return rows

    @staticmethod
    def _columns_per_bucket(histogram: Histogram, width: int) -> int:
        """A server may return fewer buckets than columns: widen them to fill the line."""
        return max(1, width // max(len(histogram.normal), 1))

    @staticmethod
    def _eighths(value: int, peak: int, rows: int) -> int:
        if value <= 0 or peak <= 0:
            return 0
        return max(1, round(value / peak * rows * 8))  # a single event still shows

    def _ticks(self, histogram: Histogram, columns: int, width: int) -> dict[int, bool]:
        """The axis column of each rollout in the window: True for the chosen ones."""
        out: dict[int, bool] = {}
        chosen = set(self.chosen)
        for moment in self.rollouts:
            bucket = histogram.bucket_of(moment)
            if bucket is not None and bucket * columns < width:
                column = bucket * columns + columns // 2
                out[column] = out.get(column, False) or moment in chosen
        return out

    def _axis(self, histogram: Histogram, width: int, base: Style, marked_bucket: int | None,
              end: float) -> Strip:
        axis = base + self.get_component_rich_style("sparkline--axis")
        full_width = width
        buckets_shown = min(len(histogram.normal), width)
        span = min(histogram.interval * buckets_shown, end - histogram.start)
        left = _clock(histogram.start, span)
        right = _clock(histogram.start + span, span)
        width = min(width, buckets_shown * self._columns_per_bucket(histogram, width))
        peak = max((n + w for n, w in zip(histogram.normal, histogram.warning, strict=True)),
                   default=0)
        # one cell per character below: a name with other characters is shown in ASCII
        name = one_line(histogram.context, 24).encode("ascii", "replace").decode()
        middle = f" {name} · peak {peak}/bucket " if name else f" peak {peak}/bucket "
        columns = self._columns_per_bucket(histogram, width)
        marked = None if marked_bucket is None else marked_bucket * columns + columns // 2
        ticks = self._ticks(histogram, columns, width)
        marks = sorted({*ticks, *([marked] if marked is not None else [])})

        def clear(start: int, end: int) -> bool:
            return not any(start - 1 <= mark < end + 1 for mark in marks)

        # The labels step aside for the marks (they sit on this row): a time label cut
        # by one ("01▲32") would read as another time.
        left_at, right_at = 0, width - len(right)
        while left_at < width and not clear(left_at, left_at + len(left)):
            left_at += 1
        while right_at > 0 and not clear(right_at, right_at + len(right)):
            right_at -= 1
        chars = [" "] * width
        left_end = left_at + len(left)
        if left_end <= min(width, right_at - 1):
            chars[left_at:left_end] = left
        else:
            left_end = 0
        if right_at >= left_end + 1 and right_at + len(right) <= width:
            chars[right_at : right_at + len(right)] = right
        else:
            right_at = width
        centre = (width - len(middle)) // 2
        placed: int | None = None
        for offset in range(width):  # the free place nearest the centre, between the times
            placed = next((at for at in (centre - offset, centre + offset)
                           if at > left_end + 1 and at + len(middle) < right_at
                           and clear(at, at + len(middle))), None)
            if placed is not None:
                chars[placed : placed + len(middle)] = middle
                break
            if centre - offset <= left_end + 1 and centre + offset + len(middle) >= right_at:
                break
        segments = [Segment("".join(chars), axis)]
        strip = Strip(segments, width)
        if name and placed is not None:  # the context's name in its CTX colour
            style = axis + context_style(histogram.context, self.contexts)
            before, _, after = strip.divide([placed + 1, placed + 1 + len(name), width])
            strip = Strip.join([before, Strip([Segment(name, style)], len(name)), after])
        for column, chosen in ticks.items():
            if column != marked and 0 <= column < width:
                style = base + self.get_component_rich_style(
                    "sparkline--chosen" if chosen else "sparkline--rollout")
                before, _, after = strip.divide([column, column + 1, width])
                strip = Strip.join([before, Strip([Segment("↑", style)], 1), after])
        if marked is not None and 0 <= marked < width:
            marker = base + self.get_component_rich_style("sparkline--marker")
            before, _, after = strip.divide([marked, marked + 1, width])
            strip = Strip.join([before, Strip([Segment("▲", marker)], 1), after])
        return strip.adjust_cell_length(full_width, base)
