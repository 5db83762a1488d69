"""What every figure shares: a matplotlib ``Figure`` on its own Agg canvas, number formatting, saving by extension.

matplotlib is imported here and only here (and by the figure modules through this one); the rest of costmodel
never loads it. Figures are plain ``matplotlib.figure.Figure`` objects with an Agg canvas of their own,
never pyplot's global state, so building many figures in one process leaks nothing, and the backend the user
chose (a notebook's inline one, a GUI) is never changed: the library does not choose a backend, only the
``costmodel plot`` command does.
"""
from __future__ import annotations

import functools
import math
import warnings
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..errors import UsageError
from ..values import si_prefix
from ..limits import MAX_PLOT_DPI, MAX_PLOT_INCHES, MAX_PLOT_PIXELS, MIN_PLOT_DPI, MIN_PLOT_INCHES

FORMATS = ("png", "svg", "pdf")
DPI = 200  # of a saved figure; on screen (a notebook) a figure shows at matplotlib's own
COLUMN = 3.3  # inches: one column of a two-column paper; a full text width is about 7
# Text sizes in points at the figure's own size: a figure is sized as it is printed (COLUMN or a full text
# width), so 8-9 pt text reads as a paper's captions do. --size changes the inches, never the points.
TEXT_POINTS = 8
TITLE_POINTS = 9
STYLE = {"font.size": TEXT_POINTS, "axes.titlesize": TITLE_POINTS, "axes.labelsize": TEXT_POINTS,
         "xtick.labelsize": TEXT_POINTS, "ytick.labelsize": TEXT_POINTS, "legend.fontsize": TEXT_POINTS,
         "legend.title_fontsize": TEXT_POINTS, "figure.titlesize": TITLE_POINTS, "axes.linewidth": 0.6,
         "lines.linewidth": 1.2, "lines.markersize": 4, "xtick.major.width": 0.6, "ytick.major.width": 0.6,
         "xtick.major.size": 3, "ytick.major.size": 3, "xtick.minor.size": 1.5, "ytick.minor.size": 1.5,
         "legend.borderpad": 0.3, "legend.handlelength": 1.6, "legend.labelspacing": 0.3,
         "legend.columnspacing": 1.0, "figure.constrained_layout.h_pad": 0.03,
         "figure.constrained_layout.w_pad": 0.03}
_SIZE: ContextVar[tuple[float, float] | None] = ContextVar("figure size", default=None)
# one colour per op class (costmodel.report.op_class), shared by every figure that colours by op class
OP_COLOURS = {"conv 1x1": "#1f77b4", "depthwise 3x3": "#ff7f0e", "depthwise 5x5": "#ffbb78", "conv 3x3": "#2ca02c",
              "conv 5x5": "#98df8a", "conv 7x7": "#17becf", "conv 11x11": "#9edae5", "fc": "#d62728",
              "element-wise": "#9467bd", "data movement": "#8c564b", "pool": "#7f7f7f"}


def check_size(size: Any) -> tuple[float, float]:
    """``size`` as (width, height) in inches, each a finite number from MIN_PLOT_INCHES to MAX_PLOT_INCHES."""
    try:
        width, height = (float(side) for side in size)
    except (TypeError, ValueError):
        raise UsageError(f"figure size must be (width, height) in inches, got {size!r}") from None
    for side, value in (("width", width), ("height", height)):
        if not (math.isfinite(value) and MIN_PLOT_INCHES <= value <= MAX_PLOT_INCHES):
            raise UsageError(f"figure {side} must be {MIN_PLOT_INCHES} to {MAX_PLOT_INCHES} inches, got {value:g}")
    return width, height


def check_dpi(dpi: Any, size: tuple[float, float]) -> float:
    """``dpi`` as a float from MIN_PLOT_DPI to MAX_PLOT_DPI, and at most MAX_PLOT_PIXELS for a figure of
    ``size`` inches (width x height x dpi²): checked before anything is drawn."""
    try:
        value = float(dpi)
    except (TypeError, ValueError):
        raise UsageError(f"dpi must be a number, got {dpi!r}") from None
    if not (math.isfinite(value) and MIN_PLOT_DPI <= value <= MAX_PLOT_DPI):
        raise UsageError(f"dpi must be {MIN_PLOT_DPI} to {MAX_PLOT_DPI}, got {value:g}")
    width, height = size
    pixels = round(width * value) * round(height * value)
    if pixels > MAX_PLOT_PIXELS:
        raise UsageError(f"a {width:g} x {height:g} in figure at {value:g} dpi has {pixels:,} pixels, more than "
                         f"{MAX_PLOT_PIXELS:,}; lower dpi or size")
    return value


def styled(draw):
    """Draw with the text sizes of ``STYLE``, at ``size=(width, height)`` inches when the caller gives one
    (every figure function takes ``size``; without it, each has its own printed size)."""

    @functools.wraps(draw)
    def drawn(*args, size: tuple[float, float] | None = None, **kwargs) -> Figure:
        chosen = _SIZE.set(None if size is None else check_size(size))
        try:
            with matplotlib.rc_context(STYLE):
                fig = draw(*args, **kwargs)
                for ax in fig.axes:  # ticks made later (when saved) would take the global sizes
                    ax.tick_params(which="both", labelsize=STYLE["xtick.labelsize"])
        finally:
            _SIZE.reset(chosen)
        return fig

    return drawn


def figure(width: float, height: float) -> Figure:
    """A new figure with an Agg canvas of its own, ``width`` x ``height`` inches unless the caller of the
    figure function chose a size (constrained layout: labels never overlap); ``fig.notes`` lists, one line
    each, what the figure leaves out (values a builder refused)."""
    fig = Figure(figsize=_SIZE.get() or (width, height), layout="constrained")
    FigureCanvasAgg(fig)
    fig.notes = []
    return fig


def key(ax, colours: dict[str, str], styles: dict[str, dict], **where):
    """A legend that explains colour and line style apart: one entry per colour (a plain line), then one per
    style (grey, ``styles[label]`` being Line2D keywords), instead of one entry per drawn line."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, lw=2) for c in colours.values()]
    handles += [Line2D([], [], color="0.35", **style) for style in styles.values()]
    return ax.legend(handles, [*colours, *styles], **where)


def tag(bars, gid: str) -> None:
    """Name every bar of a ``BarContainer`` ``gid``, so tests and readers of an SVG find them."""
    for patch in bars.patches:
        patch.set_gid(gid)


def colour(op_class: str) -> str:
    return OP_COLOURS.get(op_class, "#bcbd22")


def number(value: Any) -> float:
    """A numeric cost as a float for plotting; symbolic costs cannot be drawn."""
    if hasattr(value, "free_symbols") and value.free_symbols:
        names = ", ".join(sorted(str(s) for s in value.free_symbols))
        raise UsageError(f"cannot plot symbolic costs ({names} left without a value); "
                         f"give each a number")
    return float(value)


def _si(value: float, _position: Any = None) -> str:
    """Tick text with the tables' SI prefix (``costmodel.values.si_prefix``, shortest form): 1.5k, 12M, 3G, 2T
    (the axis label carries the unit)."""
    return si_prefix(value, None)


SI = FuncFormatter(_si)


def _si_minor(value: float, _position: Any = None) -> str:
    """Minor ticks of a log axis: labelled at 2x and 5x a power of ten only, to keep them legible."""
    leading = f"{value:e}"[0]
    return _si(value) if leading in "25" else ""


SI_MINOR = FuncFormatter(_si_minor)


def si_axis(axis) -> None:
    """Tick labels of ``axis`` (``ax.xaxis`` / ``ax.yaxis``) with SI suffixes."""
    axis.set_major_formatter(SI)
    axis.set_minor_formatter(SI_MINOR if axis.get_scale() == "log" else axis.get_minor_formatter())


def save(fig: Figure, path: str | Path, dpi: float = DPI) -> Path:
    """Write ``fig`` to ``path`` at ``dpi`` (``check_dpi``); the format follows the extension (.png, .svg or
    .pdf, any case). A png is width x dpi by height x dpi pixels."""
    width, height = fig.get_size_inches()
    dpi = check_dpi(dpi, (width, height))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()  # lays the figure out: too small a size collapses its panels
    if any("constrained_layout not applied" in str(warning.message) for warning in caught):
        raise UsageError(f"the figure does not fit in {width:g} x {height:g} in: its panels would collapse; "
                         f"give it a larger size")
    path = Path(path)
    extension = path.suffix.lower().lstrip(".")
    if extension not in FORMATS:
        shown = f"'.{extension}'" if extension else "no extension"
        raise UsageError(f"plot output {str(path)!r} has {shown}; use one of {', '.join('.' + f for f in FORMATS)}")
    if not path.parent.exists():
        raise UsageError(f"plot output {str(path)!r}: no directory {str(path.parent)!r}")
    fig.savefig(path, format=extension, dpi=dpi, metadata={"png": None, "svg": {"Date": None},
                                                           "pdf": {"CreationDate": None}}.get(extension))
    return path
