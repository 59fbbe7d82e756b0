"""PNG bar charts for the statistics views, made to be read on a phone (Telegram-free).

Charts are drawn with Pillow in DejaVu Sans (the font matplotlib ships, already a dependency),
laid out in inches at `DPI` by the constants below. Pillow draws a 40-bar chart in ~10 ms where
matplotlib's text layout took ~150 ms, and a first view of an area waits for its chart. Drawing
happens under a lock: FreeType faces are not safe to share between threads, and callers render
from worker threads (`asyncio.to_thread`). Every text on a chart comes from the caller,
already translated.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib
from PIL import Image, ImageDraw, ImageFont

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
OUTER_BAR = 0.75  # bar heights, as a share of a row
INNER_BAR = 0.4

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_render_lock = threading.Lock()


@cache
def _font(points: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(_FONTS / name), round(points * DPI / 72))


def _px(inches: float) -> int:
    return round(inches * DPI)


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
    """One PNG with a panel per non-empty `BarPanel`; `empty_text` when there is nothing."""
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
        image = Image.new("RGB", (_px(WIDTH_IN), _px(height)), "white")
        draw = ImageDraw.Draw(image)
        draw.text((_px(0.2), _px(0.2)), title, font=_font(TITLE_FONT, bold=True), fill=TEXT)
        if not shown:
            draw.text(
                (_px(WIDTH_IN / 2), _px(height * 0.6)),
                empty_text,
                font=_font(FONT),
                fill=TEXT,
                anchor="mm",
            )
        top = TITLE_IN  # inches from the top edge
        for panel in shown:
            draw.text(
                (_px(0.2), _px(top + 0.05)), panel.title, font=_font(FONT + 1, bold=True), fill=TEXT
            )
            header = PANEL_HEADER_IN
            if panel.legend is not None:
                _draw_legend(draw, panel.legend, top + PANEL_HEADER_IN - 0.1)
                header += LEGEND_IN
            _draw_panel(draw, panel, top + header, labels_in, bars_in)
            top += header + len(panel.labels) * BAR_IN + GAP_IN
        buffer = io.BytesIO()
        # Low zlib effort: the chart is sent once, render time matters more than 30 KB.
        image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _draw_legend(draw: ImageDraw.ImageDraw, legend: tuple[str, str], top: float) -> None:
    """Two colour keys side by side (outer bar, inner bar), starting at `top` inches."""
    font = _font(FONT - 2)
    x = _px(0.15)
    middle = _px(top + LEGEND_IN / 2)
    key = _px(0.17)
    for colour, label in ((OUTER, legend[0]), (INNER, legend[1])):
        draw.rectangle((x, middle - key // 2, x + 2 * key, middle + key // 2), fill=colour)
        x += 2 * key + _px(0.1)
        draw.text((x, middle), label, font=font, fill=TEXT, anchor="lm")
        x += round(draw.textlength(label, font=font)) + _px(0.3)


def _room_for_labels(panel: BarPanel, widest: int, bars_in: float) -> float:
    """Right end of the x axis so that every number fits after its bar."""
    needed = widest * 1.1
    for value, label in zip(panel.values, panel.value_labels, strict=True):
        share = min(0.75, (len(label) + 1) * CHAR_IN / bars_in)
        needed = max(needed, value * 1.02 / (1 - share))
    return needed


def _draw_panel(
    draw: ImageDraw.ImageDraw, panel: BarPanel, top: float, labels_in: float, bars_in: float
) -> None:
    """The bars of one panel, one `BAR_IN` row each from `top` inches, largest first (ties by
    name), names right-aligned before the bars and the numbers after them."""
    order = sorted(range(len(panel.values)), key=lambda i: (-panel.values[i], panel.labels[i]))
    widest = max(panel.values[i] for i in order) or 1
    scale = bars_in * DPI / _room_for_labels(panel, widest, bars_in)  # px per unit
    left = labels_in * DPI
    pad = max(widest * 0.02 * scale, 5.0)
    font = _font(FONT)
    colour = OUTER if panel.inner is not None else SINGLE
    for row, i in enumerate(order):
        middle = (top + (row + 0.5) * BAR_IN) * DPI
        value = panel.values[i]
        _bar(draw, left, middle, value * scale, OUTER_BAR, colour)
        if panel.inner is not None:
            _bar(draw, left, middle, panel.inner[i] * scale, INNER_BAR, INNER)
        name = _shorten(panel.labels[i])
        draw.text((left - pad, middle), name, font=font, fill=TEXT, anchor="rm")
        draw.text(
            (left + value * scale + pad, middle),
            panel.value_labels[i],
            font=font,
            fill=TEXT,
            anchor="lm",
        )


def _bar(
    draw: ImageDraw.ImageDraw, left: float, middle: float, width: float, share: float, colour: str
) -> None:
    if width <= 0:
        return
    half = share * BAR_IN * DPI / 2
    draw.rectangle(
        (round(left), round(middle - half), round(left + width) - 1, round(middle + half) - 1),
        fill=colour,
    )
