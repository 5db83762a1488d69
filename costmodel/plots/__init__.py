"""matplotlib figures of the cost model; importing this package loads matplotlib and
leaves its backend as it was (each figure draws on an Agg canvas of its own).

``PLOTS`` maps each figure's name to the function that builds it (a ``matplotlib.figure.Figure``);
``save`` writes a figure as png, svg or pdf after the file's extension, at ``dpi`` (default ``DPI``).
Every figure function takes ``size=(width, height)`` in inches; without it a figure has its own printed size
(7.2 in, a full text width), its text 8-9 pt at that size. ``fig.notes`` lists, one line each, what a figure
left out (the values a builder refused). The ``costmodel plot`` command
(``costmodel.cli.plot_command``) is a thin layer over both. See docs/gallery.md for every figure.
"""
from __future__ import annotations

from .common import COLUMN, DPI, FORMATS, check_dpi, check_size, save
from .guidelines import g1, g2, g3, g4
from .network import DEVICES, breakdown, pareto, pareto_front, roofline, scaling

PLOTS = {"g1": g1, "g2": g2, "g3": g3, "g4": g4, "breakdown": breakdown, "roofline": roofline,
         "scaling": scaling, "pareto": pareto}
TARGETED = ("breakdown", "roofline", "scaling")  # the figures of one TARGET

__all__ = ["COLUMN", "DEVICES", "DPI", "FORMATS", "PLOTS", "TARGETED", "breakdown", "check_dpi", "check_size", "g1",
           "g2", "g3", "g4", "pareto", "pareto_front", "roofline", "save", "scaling"]
