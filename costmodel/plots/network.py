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
from ..device import ROOFLINES
from ..device import Device as DeviceModel
from ..errors import CostModelError, UsageError
from ..progress import count, stage
from ..report import op_class
from ..targets import target as find
from ..values import si_prefix
from ..zoo import ARCHITECTURES, build
from .common import COLUMN, STYLE, colour, figure, number, si_axis, styled, tag

BYTES_PER_ELEMENT = 4  # float32: mac_bytes = mac x 4


@dataclass(frozen=True)
class Device:
    """A roofline: peak multiply-adds per second and memory bandwidth in bytes per second (theoretical peaks
    from the vendor's specifications, not measurements)."""

    name: str
    peak_flops: float  # multiply-adds per second
    bandwidth: float  # bytes per second
    source: str


def _roofline_device(key: str) -> Device:
    """A named roofline of ``costmodel.device.ROOFLINES`` as the figure's ``Device``."""
    model = ROOFLINES[key]
    name, _, source = model.description.partition(" roofline: ")
    rates = model.classes["conv"]
    return Device(name, rates.flops_per_s, rates.bytes_per_s, source)


DEVICES = {key: _roofline_device(key) for key in ROOFLINES}

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
PUBLISHED_AT = {"width": ("resolution", 224), "resolution": ("width", 1)}  # where the papers held the other
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


@styled
def breakdown(drawn, *, values: dict | None = None, by: str = "layer", convention: str = "paper"):
    """flops, params and mac of ``drawn`` (a Graph, an Analysis, or a target with ``values``) per layer (bars
    coloured by op class; every stage shaded and labelled at its middle, labels staggered onto more rows
    where they would overlap) or per stage (``by="stage"``, ``Analysis.group_by``), under ``convention``;
    all from the analysis."""
    if by not in ("layer", "stage"):
        raise UsageError(f"breakdown grouping must be layer or stage, got {by!r}")
    name, parameters, analysis = _analysis(drawn, values, convention)
    fig = figure(7.2, 5)
    axes = fig.subplots(3, 1, sharex=True)
    units = {"flops": "multiply-adds", "params": "params", "mac": "elements"}
    if by == "stage":
        groups = analysis.group_by("stage")
        x = np.arange(len(groups))
        for ax, key in zip(axes, units):
            bars = ax.bar(x, [number(getattr(c, key)) for c in groups.values()], 0.7, color="#4c72b0")
            tag(bars, key)
        axes[-1].set_xticks(x, list(groups), rotation=45, ha="right", rotation_mode="anchor")
        axes[-1].set_xlabel("stage")
    else:
        x = np.arange(len(analysis.layers))
        classes = [op_class(layer) for layer in analysis.layers]
        for ax, key in zip(axes, units):
            bars = ax.bar(x, [number(getattr(layer, key)) for layer in analysis.layers], 0.9,
                          color=[colour(c) for c in classes])
            tag(bars, key)
        spans = _stage_spans([layer.stage for layer in analysis.layers])
        for i, (_, first, last) in enumerate(spans):
            for ax in axes if i % 2 else ():
                ax.axvspan(first - 0.5, last + 0.5, color="0.93", zorder=0, lw=0)
        axes[-1].set_xlim(-0.5, len(x) - 0.5)
        axes[-1].set_xticks([(first + last) / 2 for _, first, last in spans], [stage for stage, *_ in spans])
        _stagger(fig, axes[-1])
        axes[-1].set_xlabel(f"layer ({len(x)} in graph order; every stage shaded in turn and named at its middle)")
        from matplotlib.patches import Patch

        kinds = list(dict.fromkeys(classes))
        axes[0].legend([Patch(color=colour(k)) for k in kinds], kinds, ncol=min(len(kinds), 5),
                       loc="lower center", bbox_to_anchor=(0.5, 1.15), handlelength=1, columnspacing=0.8)
    totals = analysis.totals
    for ax, key in zip(axes, units):
        si_axis(ax.yaxis)
        ax.set_ylabel(units[key])
        ax.set_title(f"{key}: total {number(getattr(totals, key)):,.0f}", loc="left")
    fig.suptitle(f"{' '.join(filter(None, (name, _shown(parameters))))}: cost per {by} (convention {convention})")
    return fig


def _stage_spans(stages: list[str]) -> list[tuple[str, int, int]]:
    """(stage, first index, last index) of each run of equal stage names, in order."""
    spans: list[tuple[str, int, int]] = []
    for i, stage in enumerate(stages):
        if spans and spans[-1][0] == stage and spans[-1][2] == i - 1:
            spans[-1] = (stage, spans[-1][1], i)
        else:
            spans.append((stage, i, i))
    return spans


def _stagger(fig, ax, gap: float = 3.0) -> None:
    """Move x tick labels that would overlap a label to their left down a row (each row one line of text):
    every label shown, centred under its tick, none on another."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    fig.canvas.draw()  # lays the axes out, so their width in points is known
    width = ax.get_window_extent().width * 72 / fig.dpi
    low, high = ax.get_xlim()
    font = FontProperties(size=STYLE["xtick.labelsize"])
    row_height = STYLE["xtick.labelsize"] * 1.3
    ends: list[float] = []  # right edge of the last label of each row, in points from the axis' left
    for tick, position in zip(ax.xaxis.get_major_ticks(), ax.get_xticks()):
        text = tick.label1.get_text()
        half = TextToPath().get_text_width_height_descent(text, font, ismath=False)[0] / 2
        centre = (position - low) / (high - low) * width
        row = next((r for r, end in enumerate(ends) if end + gap <= centre - half), len(ends))
        if row == len(ends):
            ends.append(centre + half)
        ends[row] = centre + half
        tick.set_pad(tick.get_pad() + row * row_height)  # no leader line: it would cross the rows above


def _shown(parameters: dict) -> str:
    from ..values import show

    return "(" + ", ".join(f"{k}={show(v)}" for k, v in parameters.items()) + ")" if parameters else ""


@styled
def roofline(drawn, *, values: dict | None = None, device: "str | DeviceModel" = "cpu",
             peak_flops: float | None = None, bandwidth: float | None = None, convention: str = "all"):
    """Every layer of ``drawn`` (a Graph, an Analysis, or a target with ``values``) at its intensity
    (multiply-adds per byte = flops / (mac x 4)) on the roofline min(peak, bandwidth x intensity) of
    ``device`` (``DEVICES``), whose peak multiply-adds/s and bytes/s ``peak_flops`` and ``bandwidth`` override.
    Convention ``all`` by default, so element-wise layers have
    flops and show; layers with no flops or no mac (flatten, concat, shuffle) cannot be placed and are counted
    in the legend. Marker area follows each layer's flops.

    ``device`` may also be a calibrated ``costmodel.device.Device``: the roof is then its fastest class's
    multiply-adds/s and bytes/s, and each layer sits at the rate its predicted time gives (its multiply-adds
    under ``paper``, or under ``all`` for layers that have none there, over its predicted seconds), below the
    roof by what its class, fixed cost and alignment cost it; layers fused away are not placed."""
    model = None
    if isinstance(device, DeviceModel):
        model, device = device, "model"
        chosen = Device(model.name, *_fastest(model), model.description)
    elif device not in DEVICES:
        raise UsageError(f"roofline device must be one of {', '.join(DEVICES)}, got {device!r}")
    else:
        chosen = DEVICES[device]
    peak = chosen.peak_flops if peak_flops is None else float(peak_flops)
    bw = chosen.bandwidth if bandwidth is None else float(bandwidth)
    if peak <= 0 or bw <= 0:
        raise UsageError(f"roofline peak and bandwidth must be positive, got {peak:g} and {bw:g}")
    custom = peak_flops is not None or bandwidth is not None
    name, parameters, analysis = _analysis(drawn, values, convention)
    attained = _attained(model, analysis) if model is not None else None
    placed = [(layer, op_class(layer)) for layer in analysis.layers
              if number(layer.flops) > 0 and number(layer.mac) > 0 and (attained is None or layer.name in attained)]
    if not placed:
        raise UsageError(f"roofline: no layer of {name} has both flops and mac to place")
    intensity = {id(layer): number(layer.flops) / number(layer.cost.mac_bytes(BYTES_PER_ELEMENT))
                 for layer, _ in placed}
    largest = max(number(layer.flops) for layer, _ in placed)
    fig = figure(COLUMN, 4.6)
    ax = fig.subplots()
    low, high = min(intensity.values()) / 3, max(max(intensity.values()) * 3, 3 * peak / bw)
    xs = np.geomspace(low, high, 400)
    roof, = ax.plot(xs, np.minimum(peak, bw * xs), "k-", lw=1.5,
                    label=f"roof: {si_prefix(peak)}/s,\n{si_prefix(bw, 1, 'B/s')}")
    roof.set_gid("roofline")
    ax.axvline(peak / bw, color="k", ls=":", lw=0.8)
    ax.text(peak / bw, 0.02, f" ridge {peak / bw:.1f}", ha="left", va="bottom", transform=ax.get_xaxis_transform())
    for kind in dict.fromkeys(k for _, k in placed):
        layers = [layer for layer, k in placed if k == kind]
        x = np.array([intensity[id(layer)] for layer in layers])
        sizes = [6 + 120 * number(layer.flops) / largest for layer in layers]
        y = np.minimum(peak, bw * x) if attained is None else np.array([attained[layer.name] for layer in layers])
        points = ax.scatter(x, y, s=sizes, color=colour(kind), alpha=0.6,
                            edgecolor="k", linewidth=0.3, label=f"{kind} ({len(layers)})", zorder=3)
        points.set_gid(f"layers {kind}")
    total = number(analysis.totals.flops) / number(analysis.totals.mac_bytes(BYTES_PER_ELEMENT))
    net = ax.axvline(total, color="#d62728", ls="--", lw=1, label=f"network:\n{total:.2f} per byte")
    net.set_gid("network")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_ylim(top=peak * 3)
    if attained is not None:
        ax.set_ylim(bottom=min(min(attained.values()), peak) / 3)
    si_axis(ax.yaxis)
    ax.set_xlabel("multiply-adds per byte (float32: 4 x mac)")
    ax.set_ylabel("attainable multiply-adds/s")
    skipped = len(analysis.layers) - len(placed)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, handletextpad=0.3, columnspacing=0.8,
              title=f"op class (layers); {skipped} not placed:\nno flops or no mac")
    where = "custom peaks" if custom else chosen.name
    if model is not None:
        where += " (points: predicted rates)"
    details = ", ".join(filter(None, (_shown(parameters), f"convention {convention}", "marker area ∝ flops")))
    fig.suptitle(f"{name} on {where}: every layer under the roofline\n{details}", wrap=True)
    return fig


def _fastest(model: DeviceModel) -> tuple[float, float]:
    """The highest multiply-adds/s and bytes/s of any class of a device model (its roof)."""
    rates = list(model.classes.values())
    flops = [r for c in rates for r in (c.flops_per_s, c.misaligned_flops_per_s) if r]
    nbytes = [r for c in rates for r in (c.bytes_per_s, c.misaligned_bytes_per_s) if r]
    if not flops or not nbytes:
        raise UsageError(f"roofline: device {model.name} has no multiply-add rate or no byte rate to draw")
    return max(flops), max(nbytes)


def _attained(model: DeviceModel, analysis: Analysis) -> dict[str, float]:
    """Layer name -> multiply-adds per second its predicted time gives (multiply-adds of ``analysis``)."""
    predicted = model.predict(analysis.graph).seconds
    return {layer.name: number(layer.flops) / predicted[layer.name] for layer in analysis.layers
            if predicted.get(layer.name) and number(layer.flops) > 0}


def _sweep(chosen, fixed: dict, parameter: str, grid) -> tuple[list, list, list, list]:
    """(values, totals, without-BatchNorm params, refused values) of target ``chosen`` rebuilt at each value
    of ``parameter``; values the builder refuses are left out and returned apart (the figure names them)."""
    kept, totals, bare, refused = [], [], [], []
    for value in grid:
        try:
            graph = chosen.build(**{**fixed, parameter: value})
        except CostModelError:
            refused.append(value)
        else:
            analysis = analyze(graph)
            kept.append(value)
            totals.append(analysis.totals)
            bare.append(analysis.totals.params - sum((l.params for l in analysis.layers if l.op.kind == "batch_norm"),
                                                     0))
        count("networks")
    return kept, totals, bare, refused


@styled
def scaling(target, *, values: dict | None = None):
    """flops and params of ``target`` (anything ``costmodel.targets.target`` takes) against the width
    multiplier (``WIDTHS``) and the resolution (``RESOLUTIONS``), whichever of the two it takes and
    ``values`` does not fix, each point analysed (a marker) and joined by lines; params drawn with and without
    BatchNorm (published counts leave it out); the papers' published points (``PUBLISHED``) overlaid.
    Values the builder refuses (ShuffleNet v1 takes five widths) are left out, counted in the panel's title and
    listed once in ``fig.notes``."""
    chosen, fixed = find(target), dict(values or {})
    parameters = chosen.values(**fixed)
    sweeps = [(p, grid) for p, grid in (("width", WIDTHS), ("resolution", RESOLUTIONS))
              if p in chosen.parameters and p not in fixed]
    if not sweeps:
        raise UsageError(f"scaling: {chosen.name} takes neither width nor resolution (or values fixed them)")
    fig = figure(7.2 if len(sweeps) == 2 else COLUMN, 4.6)  # one panel a column wide
    axes = np.array(fig.subplots(2, len(sweeps), squeeze=False))
    source, published = PUBLISHED.get(chosen.name, (None, []))
    with stage("networks", sum(len(grid) for _, grid in sweeps)):
        swept = [_sweep(chosen, fixed, parameter, grid) for parameter, grid in sweeps]
    for column, ((parameter, grid), (kept, totals, bare, refused)) in enumerate(zip(sweeps, swept)):
        if not kept:
            raise UsageError(f"scaling: {chosen.name} refused every {parameter} in {grid[0]}..{grid[-1]}")
        x = [float(v) for v in kept]
        flops_ax, params_ax = axes[0, column], axes[1, column]
        line, = flops_ax.plot(x, [number(t.flops) for t in totals], "-o", ms=2.5, color="#1f77b4", label="costmodel")
        line.set_gid(f"flops {parameter}")
        line, = params_ax.plot(x, [number(t.params) for t in totals], "-o", ms=2.5, color="#1f77b4",
                               label="all learnable params")
        line.set_gid(f"params {parameter}")
        line, = params_ax.plot(x, [number(b) for b in bare], "--", color="#2ca02c", label="without BatchNorm")
        line.set_gid(f"params_without_bn {parameter}")
        other, at_value = PUBLISHED_AT[parameter]
        # the papers' width points are at 224 pixels and their resolution points at width 1, all for 1000
        # classes: anywhere else the overlay would compare different networks
        comparable = parameters.get(other, at_value) == at_value and parameters.get("classes", 1000) == 1000
        points = [p for p in published if p[0] == parameter] if comparable else []
        if points:
            for ax, index, key in ((flops_ax, 2, "flops"), (params_ax, 3, "params")):
                dots = ax.scatter([float(p[1]) for p in points], [p[index] * 1e6 for p in points], marker="x",
                                  s=25, color="#d62728", zorder=3, label="published (rounded)")
                dots.set_gid(f"published {key} {parameter}")
        unit = "width multiplier α" if parameter == "width" else "input resolution (pixels)"
        at = f" at {other} = {_shown({other: parameters[other]})[1:-1].split('=')[1]}" \
            if other in parameters else ""
        title = f"against {parameter}{at}"
        if refused:
            title += f"\n(built at {len(kept)} of {len(grid)} values; the others refused)"
            fig.notes.append(_refusals(chosen.name, parameter, kept, refused))
        flops_ax.set_title(title)
        for ax, label in ((flops_ax, "flops (multiply-adds)"), (params_ax, "params")):
            si_axis(ax.yaxis)
            ax.set_ylabel(label)
            ax.set_xlabel(unit)
            ax.grid(alpha=0.3)
            # from zero: params constant in resolution stay flat, not magnified
            ax.set_ylim(0, 1.08 * max(max(line.get_ydata()) for line in ax.get_lines()))
            ax.legend(loc="upper left" if ax is flops_ax else "lower right")
    cite = f"\npublished: {source}" if source else ""
    swept = " and ".join(p for p, _ in sweeps)
    fig.suptitle(f"{chosen.name}: flops and params against {swept}{cite}", wrap=True)
    return fig


def _refusals(name: str, parameter: str, kept: list, refused: list) -> str:
    """One line: which values of ``parameter`` were drawn and how many the builder refused."""
    drawn = ", ".join(f"{float(v):g}" for v in kept)
    return (f"scaling: {name} refused {len(refused)} of {len(kept) + len(refused)} {parameter} values "
            f"({float(refused[0]):g} to {float(refused[-1]):g}); drawn at {drawn}")


AREA_PER_PARAM = 3e-6  # marker area in pt² per parameter: 3 pt² a million, vgg16's 138 M about 415 pt²
PARAMS_KEY = (1e6, 10e6, 100e6)  # the marker sizes shown in the legend


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the (flops, mac) points no other point dominates, by increasing flops: a point dominates
    another when it has at least as many flops and at most as much mac, and differs. Flops are the work a
    network does, mac its memory traffic (ShuffleNet V2's price): on the front, no network does more
    multiply-adds for less traffic. (With both as costs the front is one network: at the zoo's defaults
    mobilenet_v3_small has both the fewest flops and the least mac.)"""
    order = sorted(range(len(points)), key=lambda i: (-points[i][0], points[i][1]))
    front, lowest = [], float("inf")
    for i in order:  # most flops first: on the front when its mac is below that of every point with more flops
        if points[i][1] < lowest:
            front.append(i)
            lowest = points[i][1]
    return front[::-1]


@styled
def pareto(*, values: dict | None = None):
    """Every zoo network (not the guideline benchmarks) at its defaults, or with ``values`` of the parameters
    all take (resolution, classes), on flops against mac (log-log, both analysed under convention ``paper``),
    marker area proportional to params (``AREA_PER_PARAM``, with a size key), and the Pareto front
    (``pareto_front``: no other network has more flops and less mac) drawn as a staircase."""
    names = [n for n in ARCHITECTURES if not n.endswith("_bench")]
    totals = {}
    with stage("networks", len(names)) as step:
        for name in names:
            totals[name] = analyze(build(name, **(values or {}))).totals
            step()
    fig = figure(7.2, 4.4)  # a full text width: fifteen names do not fit in one column at 8 pt
    ax = fig.subplots()
    x = [number(t.flops) for t in totals.values()]
    y = [number(t.mac) for t in totals.values()]
    front = pareto_front(list(zip(x, y)))
    on_front = set(front)
    steps, = ax.step([x[i] for i in front], [y[i] for i in front], where="pre", color="#d62728", lw=1, zorder=1,
                     label="Pareto front (red edges): no network\nhas more flops and less mac")
    steps.set_gid("front")
    points = ax.scatter(x, y, s=[AREA_PER_PARAM * number(t.params) for t in totals.values()], alpha=0.55,
                        color="#4c72b0", edgecolor=["#d62728" if i in on_front else "k" for i in range(len(x))],
                        linewidth=[1.2 if i in on_front else 0.5 for i in range(len(x))], zorder=2)
    points.set_gid("zoo")
    labels = [ax.annotate(name, (xi, yi), xytext=(4, 3), textcoords="offset points") for name, xi, yi in zip(names, x, y)]
    ax.set_xscale("log")
    ax.set_yscale("log")
    si_axis(ax.xaxis)
    si_axis(ax.yaxis)
    ax.set_xlabel("flops (multiply-adds per image)")
    ax.set_ylabel("mac (elements moved per image)")
    ax.set_xlim(min(x) / 1.6, max(x) * 2)  # room for the names beside the points and the keys below them
    ax.set_ylim(min(y) / 2, max(y) * 1.5)
    front_key = ax.legend(loc="upper left")
    sizes = [ax.scatter([], [], s=AREA_PER_PARAM * params, color="#4c72b0", alpha=0.55, edgecolor="k", lw=0.5)
             for params in PARAMS_KEY]
    ax.legend(sizes, [si_prefix(int(params), None) for params in PARAMS_KEY], title="params (marker area)",
              loc="lower right", labelspacing=1.4, borderpad=0.9)
    ax.add_artist(front_key)
    ax.grid(alpha=0.3, which="both")
    _unclutter(fig, labels, [(AREA_PER_PARAM * number(t.params) / np.pi) ** 0.5 for t in totals.values()])
    shown = ", ".join(f"{k}={v}" for k, v in (values or {}).items()) or "defaults: 224x224, 1000 classes"
    ax.set_title(f"The zoo ({shown}): flops against mac, marker area ∝ params")
    return fig


LABEL_PLACES = ((4, 3, "left", "bottom"), (4, -3, "left", "top"), (-4, 3, "right", "bottom"),
                (-4, -3, "right", "top"), (0, 6, "center", "bottom"), (0, -6, "center", "top"))


def _unclutter(fig, labels, radii: list[float]) -> None:
    """Give each point's label (an offset annotation, its marker ``radii[i]`` points wide) the first of
    ``LABEL_PLACES``, pushed out by the marker's radius, where it overlaps no label placed before it; the
    first place when none is free."""
    fig.canvas.draw()  # fixes the layout, so the labels' extents are where they will be drawn
    renderer = fig.canvas.get_renderer()
    ax = labels[0].axes
    inside = ax.get_window_extent(renderer)
    placed = [legend.get_window_extent(renderer) for legend in [ax.get_legend(), *ax.artists] if legend]
    for label, radius in zip(labels, radii):
        out = 0.7 * radius  # the diagonal places clear a round marker at 0.7 of its radius
        for dx, dy, ha, va in LABEL_PLACES:
            label.set_position((dx + np.sign(dx) * out, dy + np.sign(dy) * out))
            label.set_ha(ha)
            label.set_va(va)
            box = label.get_window_extent(renderer).padded(1)
            within = inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
            if within and not any(box.overlaps(other) for other in placed):
                break
        else:
            label.set_position((LABEL_PLACES[0][0] + out, LABEL_PLACES[0][1] + out))
            label.set_ha(LABEL_PLACES[0][2])
            label.set_va(LABEL_PLACES[0][3])
            box = label.get_window_extent(renderer)
        placed.append(box)
