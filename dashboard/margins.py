"""Chart margins computed on the server from the labels' text, instead of Plotly's
``automargin``.

With ``automargin`` plotly.js measures every tick label in the browser, and when the
margins it finds differ from the layout's it draws the whole chart a second time; its
default tick-label overflow check ("hide past div") measures every label once more.
For the Account page's six charts that was most of the browser's drawing time (each
chart drawn in 0.3-0.4 of the time without them, benchmarks/RESULTS.md). Those charts
carry margins computed here, wide enough for their labels, with ``automargin`` off and
labels allowed to overflow (they fit: nothing is left to hide).

Widths are estimated with the advance widths of DejaVu Sans, the widest of the common
sans-serif UI fonts (what ``system-ui`` is on Linux without desktop fonts), so a label
fits in any of them; a character outside ASCII counts as 0.8 em (1 em when East Asian
wide). Category labels longer than :data:`MAX_LABEL_PX` are cut ("…") by
:func:`fit_labels`; the charts keep the full text in their hover.

The legend (horizontal, above the plot) still pushes the top margin in the browser
(``margin.autoexpand``, Plotly's default): on a screen wide enough for one row of
legend the margin given here holds it and the chart is drawn once; on a narrow one the
legend wraps and gets its room, at the cost of a second draw.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence

FONT_PX = 14  # the template's font size (figures._TEMPLATE)
# DejaVu Sans advance widths of the printable ASCII characters " " to "~", in 1/1000 em
# (as Chromium measures them).
_ASCII_EM = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838)
MAX_LABEL_PX = 220.0  # a category label's longest (about 30 characters)
TICK_GAP = 6  # between a y tick label and the plot (plotly's is 2-3 px), and some slack
Y_TITLE = 30  # a y axis title and its gap to the labels (plotly: 28 px at 14 px)
BOTTOM = 56  # x tick labels (two lines on a date axis) or one line and the axis title
TOP = 40  # no legend (the chart's title is the card's heading, outside the figure)
TOP_LEGEND = 48  # one row of horizontal legend above the plot
RIGHT = 20


def text_px(text: str, size: float = FONT_PX) -> float:
    """The width in px of ``text`` at ``size`` px, estimated on the wide side."""
    em = 0.0
    for ch in str(text):
        code = ord(ch)
        if 32 <= code < 127:
            em += _ASCII_EM[code - 32] / 1000
        elif unicodedata.combining(ch):
            continue
        else:
            em += 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.8
    return em * size


def cut(text: str, max_px: float = MAX_LABEL_PX) -> str:
    """``text`` cut short with "…" so that it is at most ``max_px`` wide."""
    text = str(text)
    if text_px(text) <= max_px:
        return text
    room = max_px - text_px("…")
    out = ""
    for ch in text:
        if text_px(out + ch) > room:
            break
        out += ch
    return out.rstrip() + "…"


def fit_labels(labels: Iterable, max_px: float = MAX_LABEL_PX) -> list[str]:
    """Category labels of at most ``max_px``: long ones cut short (:func:`cut`); labels
    whose cuts would meet are numbered (Plotly would draw them as one category)."""
    full = [str(v) for v in labels]
    short = [cut(v, max_px) for v in full]
    count: dict[str, int] = {}
    for s in short:
        count[s] = count.get(s, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for f, s in zip(full, short, strict=True):
        if count[s] > 1 and s != f:
            seen[s] = seen.get(s, 0) + 1
            tag = f" #{seen[s]}"
            s = cut(f, max_px - text_px(tag)) + tag
        out.append(s)
    return out


def left(labels: Sequence[str], title: bool = False) -> int:
    """The left margin for y tick labels ``labels`` (and an axis title)."""
    widest = max((text_px(v) for v in labels), default=0.0)
    return math.ceil(widest) + TICK_GAP + (Y_TITLE if title else 0)


PERCENT_TICKS = ("100%",)  # the widest tick label of a ".0%" axis from 0 to 1


def count_ticks(top: float) -> list[str]:
    """Labels as wide as the widest tick label Plotly writes on a linear axis from 0 to
    a little above ``top``: "2.5", "6000", and from 10,000 on "150k", "1.5M"."""
    top = max(float(top), 0.0) * 1.1
    return ["0.5", "0" * len(str(math.ceil(top)))] if top < 10_000 else ["000k"]


def fixed(layout: dict, *axes: str) -> dict:
    """``layout`` with ``automargin`` off and tick labels allowed to overflow on
    ``axes`` (the layout's keys, e.g. "xaxis", "yaxis2")."""
    out = dict(layout)
    for name in axes:
        out[name] = {**out.get(name, {}), "automargin": False, "ticklabeloverflow": "allow"}
    return out


def margin(left_px: int, legend: bool = False, top: int | None = None,
           bottom: int = BOTTOM, right: int = RIGHT) -> dict:
    """A layout ``margin``: ``left_px`` on the left, room for one legend row on top."""
    return {"l": left_px, "r": right, "t": top if top is not None else
            (TOP_LEGEND if legend else TOP), "b": bottom}
