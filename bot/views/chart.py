"""The funnel as a PNG bar chart, drawn off-screen (Agg: no display needed)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.domain.funnel import STAGES, Funnel
from bot.i18n import Translator
from bot.views.stats import stage_label

_WIDTH_INCHES, _HEIGHT_INCHES, _DPI = 8.0, 4.5, 100
_COLOURS = ("#9e9e9e", "#64b5f6", "#43a047", "#fb8c00", "#8e24aa")


def funnel_png(funnel: Funnel, title: str, t: Translator) -> bytes:
    """800×450 px; a Figure of its own (not pyplot), so charts drawn at once never mix."""
    figure = Figure(figsize=(_WIDTH_INCHES, _HEIGHT_INCHES), dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [stage_label(stage, t) for stage in STAGES]
    counts = [funnel.total[stage] for stage in STAGES]
    bars = axes.bar(labels, counts, color=_COLOURS)
    axes.bar_label(bars, labels=[str(count) for count in counts], padding=2)
    axes.set_title(title)
    axes.set_ylim(0, max([*counts, 1]) * 1.15)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
