"""What every figure shares: a matplotlib ``Figure`` on its own Agg canvas, number formatting, saving by extension.

matplotlib is imported here and only here (and by the figure modules through this one); the rest of costmodel
never loads it. Figures are plain ``matplotlib.figure.Figure`` objects with an Agg canvas of their own,
never pyplot's global state, so building many figures in one process leaks nothing, and the backend the user
chose (a notebook's inline one, a GUI) is never changed: the library does not choose a backend, only the
``costmodel plot`` command does.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..errors import UsageError

FORMATS = ("png", "svg", "pdf")
DPI = 100
# one colour per op class (costmodel.report.op_class), shared by every figure that colours by op class
OP_COLOURS = {"conv 1x1": "#1f77b4", "depthwise 3x3": "#ff7f0e", "depthwise 5x5": "#ffbb78", "conv 3x3": "#2ca02c",
              "conv 5x5": "#98df8a", "conv 7x7": "#17becf", "conv 11x11": "#9edae5", "fc": "#d62728",
              "element-wise": "#9467bd", "data movement": "#8c564b", "pool": "#7f7f7f"}


def figure(width: float, height: float) -> Figure:
    """A new Agg-backed figure of ``width`` x ``height`` inches (constrained layout: labels never overlap)."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


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
    """Tick text with an SI suffix: 1.5k, 12M, 3G, 2T (the axis label carries the unit)."""
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


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


def save(fig: Figure, path: str | Path, dpi: int = DPI) -> Path:
    """Write ``fig`` to ``path``; the format follows the extension (.png, .svg or .pdf, any case)."""
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
