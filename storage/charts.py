"""PNG bar charts for the statistics views, made to be read on a phone (Telegram-free).

Charts are rendered with matplotlib's object API on the Agg backend (no pyplot global state),
one figure per call, under a lock: matplotlib's text and font caches are not thread-safe and
callers render from worker threads (`asyncio.to_thread`). Every text on a chart comes from the
caller, already translated.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

__all__ = ["BarPanel", "ChartSpec", "render_bar_chart"]

# Sizes in inches at DPI: 640 px wide, so a 15 pt label is ~1/30 of the width — legible on a
# phone after Telegram scales the photo to the screen.
WIDTH_IN = 6.4
DPI = 100
BAR_IN = 0.42
TITLE_IN = 0.75
PANEL_HEADER_IN = 0.5
GAP_IN = 0.3
LEGEND_IN = 0.35
LABEL_CHARS = 22
MAX_LABELS_IN = 3.3  # the rest of the width stays for the bars and their numbers
FONT = 15
TITLE_FONT = 18
CHAR_IN = FONT * 0.62 / 72  # average width of a DejaVu Sans character at FONT
OUTER = "#9cc3e6"
INNER = "#1f6fb2"
SINGLE = "#2a7f62"
TEXT = "#1b1b1b"

_render_lock = threading.Lock()


def _line_spacing() -> float:
    """matplotlib's `linespacing` that puts consecutive lines of a text one bar apart.

    Measured rather than computed: how a line's advance follows from the font's metrics has
    changed between matplotlib versions, but it is proportional to `linespacing` in all.
    """
    figure = Figure(dpi=DPI)
    renderer = FigureCanvasAgg(figure).get_renderer()

    def height(text: str) -> float:
        label = figure.text(0, 0, text, fontsize=FONT, linespacing=1.0)
        return float(label.get_window_extent(renderer).height)

    advance = height("lp\nlp\nlp") - height("lp\nlp")
    return BAR_IN * DPI / advance


_LINE_SPACING = _line_spacing()


@dataclass(frozen=True)
class BarPanel:
    """Horizontal bars, largest on top.

    `inner` draws a second measure inside each bar (e.g. active among registered cadres);
    `value_labels` are the numbers written at the bar ends, formatted by the caller.
    """

    title: str
    labels: Sequence[str]
    values: Sequence[int]
    value_labels: Sequence[str]
    inner: Sequence[int] | None = None
    legend: tuple[str, str] | None = None


@dataclass(frozen=True)
class ChartSpec:
    """Everything a chart shows; equal specs draw identical PNGs (see `key`)."""

    title: str
    panels: tuple[BarPanel, ...]
    empty_text: str

    @property
    def key(self) -> str:
        """A digest of the content, to recognise a chart already drawn (or already sent)."""
        return hashlib.sha1(repr(self).encode(), usedforsecurity=False).hexdigest()

    def render(self) -> bytes:
        return render_bar_chart(self.title, self.panels, self.empty_text)


def _shorten(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def render_bar_chart(title: str, panels: Sequence[BarPanel], empty_text: str) -> bytes:
    """One PNG with a panel per non-empty `BarPanel`; `empty_text` when there is nothing.

    The layout is computed in inches rather than by matplotlib's layout engines, which measure
    every text twice and would double the render time of a 40-bar chart.
    """
    shown = [p for p in panels if p.labels and any(p.values)]
    height = TITLE_IN + sum(
        PANEL_HEADER_IN + (LEGEND_IN if p.legend else 0) + len(p.labels) * BAR_IN + GAP_IN
        for p in shown
    )
    height = max(height, TITLE_IN + 1.2)
    longest = max((len(_shorten(label)) for p in shown for label in p.labels), default=0)
    labels_in = min(MAX_LABELS_IN, 0.35 + longest * CHAR_IN)
    bars_in = WIDTH_IN - labels_in - 0.15
    with _render_lock:
        figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor="white")
        figure.text(
            0.2 / WIDTH_IN,
            1 - 0.2 / height,
            title,
            fontsize=TITLE_FONT,
            fontweight="bold",
            color=TEXT,
            va="top",
            parse_math=False,
        )
        if not shown:
            figure.text(
                0.5,
                0.4,
                empty_text,
                ha="center",
                va="center",
                fontsize=FONT,
                color=TEXT,
                parse_math=False,
            )
        top = height - TITLE_IN
        for panel in shown:
            figure.text(
                0.2 / WIDTH_IN,
                (top - 0.05) / height,
                panel.title,
                fontsize=FONT + 1,
                fontweight="bold",
                color=TEXT,
                va="top",
                parse_math=False,
            )
            header = PANEL_HEADER_IN
            if panel.legend is not None:
                figure.legend(
                    handles=[
                        Patch(color=OUTER, label=panel.legend[0]),
                        Patch(color=INNER, label=panel.legend[1]),
                    ],
                    loc="upper left",
                    bbox_to_anchor=(0.15 / WIDTH_IN, (top - PANEL_HEADER_IN + 0.1) / height),
                    ncol=2,
                    fontsize=FONT - 2,
                    frameon=False,
                    handlelength=1.2,
                    borderaxespad=0,
                )
                header += LEGEND_IN
            panel_in = len(panel.labels) * BAR_IN
            bottom = top - header - panel_in
            ax = figure.add_axes(
                (
                    labels_in / WIDTH_IN,
                    bottom / height,
                    bars_in / WIDTH_IN,
                    panel_in / height,
                )
            )
            _draw_panel(ax, panel, bars_in)
            top = bottom - GAP_IN
        buffer = io.BytesIO()
        # Low zlib effort: the chart is sent once, render time matters more than 30 KB.
        FigureCanvasAgg(figure).print_png(buffer, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _room_for_labels(panel: BarPanel, widest: int, bars_in: float) -> float:
    """Right end of the x axis so that every number fits after its bar."""
    needed = widest * 1.1
    for value, label in zip(panel.values, panel.value_labels, strict=True):
        share = min(0.75, (len(label) + 1) * CHAR_IN / bars_in)
        needed = max(needed, value * 1.02 / (1 - share))
    return needed


def _draw_panel(ax: Axes, panel: BarPanel, bars_in: float) -> None:
    # Largest first, ties by name; the first bar goes at the top (highest y).
    order = sorted(range(len(panel.values)), key=lambda i: (-panel.values[i], panel.labels[i]))
    values = [panel.values[i] for i in order]
    positions = list(range(len(order) - 1, -1, -1))
    widest = max(values) or 1
    ax.set_xlim(0, _room_for_labels(panel, widest, bars_in))
    ax.set_ylim(-0.6, len(order) - 0.4)
    ax.set_axis_off()
    colour = OUTER if panel.inner is not None else SINGLE
    ax.barh(positions, values, height=0.75, color=colour)
    if panel.inner is not None:
        ax.barh(positions, [panel.inner[i] for i in order], height=0.4, color=INNER)
    pad = widest * 0.02
    # One right-aligned text holds every name, its lines spaced exactly one bar apart: a text
    # object costs ~1.5 ms to lay out and draw, so this halves the drawing of a long chart.
    names = "\n".join(_shorten(panel.labels[i]) for i in order)
    ax.text(
        -pad,
        (len(order) - 1) / 2,
        names,
        ha="right",
        va="center",
        multialignment="right",
        linespacing=_LINE_SPACING,
        fontsize=FONT,
        color=TEXT,
        parse_math=False,
    )
    for y, i in zip(positions, order, strict=True):
        ax.text(
            panel.values[i] + pad,
            y,
            panel.value_labels[i],
            va="center",
            fontsize=FONT,
            color=TEXT,
            parse_math=False,
        )
