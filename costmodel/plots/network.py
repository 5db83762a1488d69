"""Figures of one architecture (breakdown, roofline, scaling) and of the whole zoo (pareto).

What is drawn is a Graph, an Analysis, or anything ``costmodel.targets.target`` takes (a zoo name, a spec
path, a graph factory, a Target) with typed ``values`` for its parameters; every cost drawn is read from
``costmodel.analysis.analyze``.
Published points overlaid on ``scaling`` are cited in ``PUBLISHED``; the roofline devices in ``DEVICES``.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from matplotlib.ticker import FuncFormatter

from ..analysis import Analysis, analyze
from ..errors import CostModelError, UsageError
from ..report import op_class
from ..targets import target as find
from ..zoo import ARCHITECTURES, build
from .common import colour, figure, number, si_axis, tag

BYTES_PER_ELEMENT = 4  # float32: mac_bytes = mac x 4


@dataclass(frozen=True)
class Device:
    """A roofline: peak multiply-adds per second and memory bandwidth in bytes per second (theoretical peaks
    from the vendor's specifications, not measurements)."""

    name: str
    peak_flops: float  # multiply-adds per second
    bandwidth: float  # bytes per second
    source: str


DEVICES = {
    "cpu": Device("Intel Core i9-9900K", 8 * 3.6e9 * 2 * 8, 41.6e9,
                  "8 cores x 3.6 GHz base clock x 2 AVX2 FMA units x 8 float32 lanes = 460.8 G multiply-adds/s; "
                  "41.6 GB/s, Intel ARK 'max memory bandwidth' (dual-channel DDR4-2666)"),
    "gpu": Device("NVIDIA GeForce GTX 1080 Ti", 3584 * 1.582e9, 484e9,
                  "3584 CUDA cores x 1.582 GHz boost clock x 1 FMA = 5.67 T multiply-adds/s (NVIDIA's 11.3 "
                  "TFLOPS counts 2 per FMA); 484 GB/s, NVIDIA's specification (352-bit GDDR5X, 11 Gbps). "
                  "The GPU of ShuffleNet V2's Tables 1-4"),
}

# Published points overlaid on `scaling`: (parameter, value, multiply-adds in millions, params in millions).
PUBLISHED = {
    "mobilenet_v1": ("Howard et al. 2017, MobileNets, Tables 6 and 7",
                     [("width", Fraction(1), 569, 4.2), ("width", Fraction(3, 4), 325, 2.6),
                      ("width", Fraction(1, 2), 149, 1.3), ("width", Fraction(1, 4), 41, 0.5),
                      ("resolution", 224, 569, 4.2), ("resolution", 192, 418, 4.2),
                      ("resolution", 160, 290, 4.2), ("resolution", 128, 186, 4.2)]),
    "mobilenet_v2": (("TF-slim checkpoint table (tensorflow/models research/slim/nets/mobilenet/README.md); "
                      "Sandler et al. 2018, Table 4: 300 M, 3.4 M at 1.0-224"),
                     [("width", Fraction(7, 5), 582, 6.06), ("width", Fraction(13, 10), 509, 5.34),
                      ("width", Fraction(1), 300, 3.47), ("width", Fraction(3, 4), 209, 2.61),
                      ("width", Fraction(1, 2), 97, 1.95), ("width", Fraction(7, 20), 59, 1.66),
                      ("resolution", 224, 300, 3.47), ("resolution", 192, 221, 3.47),
                      ("resolution", 160, 154, 3.47), ("resolution", 128, 99, 3.47),
                      ("resolution", 96, 56, 3.47)]),
}
WIDTHS = tuple(Fraction(w, 20) for w in range(4, 41))  # 0.2 to 2.0 in steps of 0.05
RESOLUTIONS = tuple(range(96, 321, 32))  # multiples of 32, which every zoo network accepts


def _analysis(drawn, values: dict | None, convention: str = "paper") -> tuple[str, dict, Analysis]:
    """(name, parameter values, analysis) of a Graph, an Analysis or a target built with ``values``."""
    if isinstance(drawn, Analysis):
        if values:
            raise UsageError("an Analysis takes no values: build the graph with them first")
        return drawn.graph.name, {}, drawn
    chosen = find(drawn)
    values = dict(values or {})
    return chosen.name, chosen.values(**values), analyze(chosen.build(**values), convention)


def breakdown(drawn, *, values: dict | None = None, by: str = "layer", convention: str = "paper"):
    """flops, params and mac of ``drawn`` (a Graph, an Analysis, or a target with ``values``) per layer (bars
    coloured by op class, stages marked on the x axis) or per stage (``by="stage"``,
    ``Analysis.group_by``), under ``convention``; all from the analysis."""
    if by not in ("layer", "stage"):
        raise UsageError(f"breakdown grouping must be layer or stage, got {by!r}")
    name, parameters, analysis = _analysis(drawn, values, convention)
    fig = figure(12, 8)
    axes = fig.subplots(3, 1, sharex=True)
    units = {"flops": "flops (multiply-adds)", "params": "params", "mac": "mac (elements)"}
    if by == "stage":
        groups = analysis.group_by("stage")
        x = np.arange(len(groups))
        for ax, key in zip(axes, units):
            bars = ax.bar(x, [number(getattr(c, key)) for c in groups.values()], 0.7, color="#4c72b0")
            tag(bars, key)
        axes[-1].set_xticks(x, list(groups), rotation=45, ha="right", fontsize=8)
        axes[-1].set_xlabel("stage")
    else:
        x = np.arange(len(analysis.layers))
        classes = [op_class(layer) for layer in analysis.layers]
        for ax, key in zip(axes, units):
            bars = ax.bar(x, [number(getattr(layer, key)) for layer in analysis.layers], 0.9,
                          color=[colour(c) for c in classes])
            tag(bars, key)
        starts = [i for i, layer in enumerate(analysis.layers) if i == 0 or layer.stage != analysis.layers[i - 1].stage]
        gap, shown = len(x) / 60, []  # stage names closer than 1/60 of the axis would overlap: skip them
        for start in starts:
            if not shown or start - shown[-1] >= gap:
                shown.append(start)
        axes[-1].set_xticks(shown, [analysis.layers[i].stage for i in shown], rotation=60, ha="right", fontsize=7)
        axes[-1].set_xlabel(f"layer (in graph order; ticks at the first layer of a stage, {len(x)} layers)")
        from matplotlib.patches import Patch

        kinds = list(dict.fromkeys(classes))
        axes[0].legend([Patch(color=colour(k)) for k in kinds], kinds, fontsize=7, ncol=min(len(kinds), 7),
                       loc="lower center", bbox_to_anchor=(0.5, 1.02))
    totals = analysis.totals
    for ax, key in zip(axes, units):
        si_axis(ax.yaxis)
        ax.set_ylabel(units[key])
        ax.set_title(f"{key}: total {number(getattr(totals, key)):,.0f}", loc="left", fontsize=9)
    fig.suptitle(f"{name} {_shown(parameters)}: cost per {by} (convention {convention})")
    return fig


def _shown(parameters: dict) -> str:
    from ..values import show

    return "(" + ", ".join(f"{k}={show(v)}" for k, v in parameters.items()) + ")" if parameters else ""


def roofline(drawn, *, values: dict | None = None, device: str = "cpu", peak_flops: float | None = None,
             bandwidth: float | None = None, convention: str = "all"):
    """Every layer of ``drawn`` (a Graph, an Analysis, or a target with ``values``) at its intensity
    (multiply-adds per byte = flops / (mac x 4)) on the roofline min(peak, bandwidth x intensity) of
    ``device`` (``DEVICES``), whose peak multiply-adds/s and bytes/s ``peak_flops`` and ``bandwidth`` override.
    Convention ``all`` by default, so element-wise layers have
    flops and show; layers with no flops or no mac (flatten, concat, shuffle) cannot be placed and are counted
    in the legend. Marker area follows each layer's flops."""
    if device not in DEVICES:
        raise UsageError(f"roofline device must be one of {', '.join(DEVICES)}, got {device!r}")
    chosen = DEVICES[device]
    peak = chosen.peak_flops if peak_flops is None else float(peak_flops)
    bw = chosen.bandwidth if bandwidth is None else float(bandwidth)
    if peak <= 0 or bw <= 0:
        raise UsageError(f"roofline peak and bandwidth must be positive, got {peak:g} and {bw:g}")
    custom = peak_flops is not None or bandwidth is not None
    name, parameters, analysis = _analysis(drawn, values, convention)
    placed = [(layer, op_class(layer)) for layer in analysis.layers
              if number(layer.flops) > 0 and number(layer.mac) > 0]
    if not placed:
        raise UsageError(f"roofline: no layer of {name} has both flops and mac to place")
    intensity = {id(layer): number(layer.flops) / number(layer.cost.mac_bytes(BYTES_PER_ELEMENT))
                 for layer, _ in placed}
    largest = max(number(layer.flops) for layer, _ in placed)
    fig = figure(10, 6.5)
    ax = fig.subplots()
    low, high = min(intensity.values()) / 3, max(max(intensity.values()) * 3, 3 * peak / bw)
    xs = np.geomspace(low, high, 400)
    roof, = ax.plot(xs, np.minimum(peak, bw * xs), "k-", lw=1.5,
                    label=f"roofline: {peak / 1e9:,.0f} G multiply-adds/s, {bw / 1e9:,.1f} GB/s")
    roof.set_gid("roofline")
    ax.axvline(peak / bw, color="k", ls=":", lw=0.8)
    ax.text(peak / bw, peak * 1.15, f" ridge {peak / bw:.1f}", fontsize=8, ha="left", va="bottom")
    for kind in dict.fromkeys(k for _, k in placed):
        layers = [layer for layer, k in placed if k == kind]
        x = np.array([intensity[id(layer)] for layer in layers])
        sizes = [12 + 250 * number(layer.flops) / largest for layer in layers]
        points = ax.scatter(x, np.minimum(peak, bw * x), s=sizes, color=colour(kind), alpha=0.6,
                            edgecolor="k", linewidth=0.3, label=f"{kind} ({len(layers)})", zorder=3)
        points.set_gid(f"layers {kind}")
    total = number(analysis.totals.flops) / number(analysis.totals.mac_bytes(BYTES_PER_ELEMENT))
    net = ax.axvline(total, color="#d62728", ls="--", lw=1, label=f"whole network: {total:.2f} multiply-adds/byte")
    net.set_gid("network")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_ylim(top=peak * 3)
    si_axis(ax.yaxis)
    ax.set_xlabel("intensity (multiply-adds per byte moved; float32, mac_bytes = 4 x mac)")
    ax.set_ylabel("attainable multiply-adds per second")
    skipped = len(analysis.layers) - len(placed)
    ax.legend(fontsize=8, loc="lower right", title=f"op class (layers); {skipped} without flops or mac not placed",
              title_fontsize=8)
    where = "custom peaks" if custom else chosen.name
    fig.suptitle(f"{name} {_shown(parameters)} on {where}:\nevery layer under the roofline "
                 f"(convention {convention}; marker area ~ flops)", fontsize=11)
    return fig


def _sweep(chosen, fixed: dict, parameter: str, grid) -> tuple[list, list, list, list]:
    """(values, totals, without-BatchNorm params, refused values) of target ``chosen`` rebuilt at each value
    of ``parameter``; values the builder refuses are left out and returned apart (the figure names them)."""
    kept, totals, bare, refused = [], [], [], []
    for value in grid:
        try:
            graph = chosen.build(**{**fixed, parameter: value})
        except CostModelError:
            refused.append(value)
            continue
        analysis = analyze(graph)
        kept.append(value)
        totals.append(analysis.totals)
        bare.append(analysis.totals.params - sum((l.params for l in analysis.layers if l.op.kind == "batch_norm"), 0))
    return kept, totals, bare, refused


def scaling(target, *, values: dict | None = None):
    """flops and params of ``target`` (anything ``costmodel.targets.target`` takes) against the width
    multiplier (``WIDTHS``) and the resolution (``RESOLUTIONS``), whichever of the two it takes and
    ``values`` does not fix, each point analysed; params drawn with and without BatchNorm (published counts
    leave it out); the papers' published points (``PUBLISHED``) overlaid."""
    chosen, fixed = find(target), dict(values or {})
    parameters = chosen.values(**fixed)
    sweeps = [(p, grid) for p, grid in (("width", WIDTHS), ("resolution", RESOLUTIONS))
              if p in chosen.parameters and p not in fixed]
    if not sweeps:
        raise UsageError(f"scaling: {chosen.name} takes neither width nor resolution (or values fixed them)")
    fig = figure(6 * len(sweeps), 7.5)
    axes = np.array(fig.subplots(2, len(sweeps), squeeze=False))
    source, published = PUBLISHED.get(chosen.name, (None, []))
    for column, (parameter, grid) in enumerate(sweeps):
        kept, totals, bare, refused = _sweep(chosen, fixed, parameter, grid)
        if not kept:
            raise UsageError(f"scaling: {chosen.name} refused every {parameter} in {grid[0]}..{grid[-1]}")
        x = [float(v) for v in kept]
        flops_ax, params_ax = axes[0, column], axes[1, column]
        line, = flops_ax.plot(x, [number(t.flops) for t in totals], "-", color="#1f77b4", label="costmodel")
        line.set_gid(f"flops {parameter}")
        line, = params_ax.plot(x, [number(t.params) for t in totals], "-", color="#1f77b4",
                               label="costmodel, all learnable params")
        line.set_gid(f"params {parameter}")
        line, = params_ax.plot(x, [number(b) for b in bare], "--", color="#2ca02c",
                               label="costmodel, without BatchNorm")
        line.set_gid(f"params_without_bn {parameter}")
        points = [p for p in published if p[0] == parameter]
        if points:
            for ax, index, key in ((flops_ax, 2, "flops"), (params_ax, 3, "params")):
                dots = ax.scatter([float(p[1]) for p in points], [p[index] * 1e6 for p in points], marker="x",
                                  s=50, color="#d62728", zorder=3, label="published (rounded)")
                dots.set_gid(f"published {key} {parameter}")
        unit = "width multiplier α" if parameter == "width" else "input resolution (pixels)"
        other = "resolution" if parameter == "width" else "width"
        at = f" at {other} = {_shown({other: parameters[other]})[1:-1].split('=')[1]}" \
            if other in parameters else ""
        flops_ax.set_title(f"against {parameter}{at}", fontsize=10)
        for ax, label in ((flops_ax, "flops (multiply-adds)"), (params_ax, "params")):
            si_axis(ax.yaxis)
            ax.set_ylabel(label)
            ax.set_xlabel(unit)
            ax.grid(alpha=0.3)
            # from zero: params constant in resolution stay flat, not magnified
            ax.set_ylim(0, 1.08 * max(max(line.get_ydata()) for line in ax.get_lines()))
            note = "not buildable at " + ", ".join(f"{float(v):g}" for v in refused) if refused else None
            ax.legend(fontsize=8, title=note, title_fontsize=7, loc="upper left" if ax is flops_ax else "lower right")
    cite = f"\npublished: {source}" if source else ""
    swept = " and ".join(p for p, _ in sweeps)
    fig.suptitle(f"{chosen.name}: flops and params against {swept}{cite}", fontsize=10)
    return fig


def pareto(*, values: dict | None = None):
    """Every zoo network (not the guideline benchmarks) at its defaults, or with ``values`` of the parameters
    all take (resolution, classes), on flops against mac (log-log, both analysed under convention ``paper``),
    marker area proportional to params."""
    names = [n for n in ARCHITECTURES if not n.endswith("_bench")]
    totals = {n: analyze(build(n, **(values or {}))).totals for n in names}
    fig = figure(10, 7)
    ax = fig.subplots()
    largest = max(number(t.params) for t in totals.values())
    x = [number(t.flops) for t in totals.values()]
    y = [number(t.mac) for t in totals.values()]
    sizes = [20 + 1500 * number(t.params) / largest for t in totals.values()]
    points = ax.scatter(x, y, s=sizes, alpha=0.5, color="#4c72b0", edgecolor="k", linewidth=0.5)
    points.set_gid("zoo")
    for name, xi, yi in zip(names, x, y):
        ax.annotate(name, (xi, yi), xytext=(5, 5), textcoords="offset points", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    si_axis(ax.xaxis)
    si_axis(ax.yaxis)
    ax.set_xlabel("flops (multiply-adds per image, log)")
    ax.set_ylabel("mac (elements moved per image, log)")
    for params in (1e6, 10e6, 100e6):
        ax.scatter([], [], s=20 + 1500 * params / largest, color="#4c72b0", alpha=0.5, edgecolor="k",
                   label=f"{params / 1e6:g} M params")
    ax.legend(fontsize=8, labelspacing=2, borderpad=1.2, loc="lower right", title="marker area")
    ax.grid(alpha=0.3, which="both")
    fig.suptitle("The zoo at its defaults (224x224, 1000 classes): flops against mac, sized by params")
    return fig
