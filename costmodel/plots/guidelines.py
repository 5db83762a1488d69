"""Figures of ShuffleNet V2's four guidelines G1-G4 (Ma et al. 2018, section 2, Tables 1-4).

Every cost drawn comes from ``costmodel.analysis.analyze`` on the zoo's guideline benchmarks
(``costmodel.zoo.guidelines``) or on a one-convolution graph; the G1 lower bound is the closed form of
``costmodel.derivations.mac_bound``. The measured speeds are the paper's Tables 1-4,
held as data in ``costmodel.zoo.guidelines.TABLES`` (GPU: GeForce GTX 1080Ti, batches/s; ARM: Qualcomm
Snapdragon 810, images/s).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator, NullLocator

from ..analysis import analyze
from ..derivations import mac_bound
from ..errors import UsageError
from ..graph import Graph
from ..ops import Conv2d
from ..report import op_class
from ..zoo import build
from ..zoo.guidelines import TABLE1, TABLE2, TABLE3, TABLE4, SpeedTable
from .common import colour, figure, key, number, si_axis, styled, tag

SPEED_UNIT = {"GPU": "batches/s", "ARM": "images/s"}
COLUMN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")
G1_RESOLUTIONS = (56, 28, 14)
G1_PRODUCT = 14400  # c1*c2 = 120^2: many divisor pairs, so the flops are exactly fixed along each curve
G2_RESOLUTIONS = (56, 28, 14)
G2_INPUT = 128  # c1 fixed, c2 = 128*g: flops h*w*c1*c2/g exactly fixed (the setting of derivation mac-group)
G2_GROUPS = (1, 2, 4, 8, 16, 32)


def _rows(table: SpeedTable, platform: str) -> list[tuple[str, Any, dict, float]]:
    """``(row label, column, builder parameters, speed)`` of one platform, in the table's order."""
    return [(label, column, params, speed) for label, plat, column, params, speed in table.cells() if plat == platform]


def _column_name(table: SpeedTable, column: Any) -> str:
    return f"x{column}" if table.column_kind == "multiplier" else f"c={column}"


def _table_twin(ax, table: SpeedTable, platform: str) -> None:
    """Left axis: the benchmark's mac (10 blocks, analysed) at each cell's configuration, solid lines; right
    (twin) axis: the paper's measured speed of the same cell, dashed; one colour per column of the table."""
    rows = _rows(table, platform)
    labels = list(dict.fromkeys(label for label, *_ in rows))
    columns = list(dict.fromkeys(column for _, column, *_ in rows))
    x = np.arange(len(labels))
    twin = ax.twinx()
    refusals: list[str] = []
    for i, column in enumerate(columns):
        cells = [r for r in rows if r[1] == column]
        mac = []
        for label, _, params, _ in cells:
            try:
                mac.append(number(analyze(build(table.builder, **params)).totals.mac))
            except UsageError as refused:  # a printed configuration the builder cannot make: left as a gap
                mac.append(float("nan"))
                refusals.append(f"{label} {_column_name(table, column)} (not buildable)")
        name = _column_name(table, column)
        line, = ax.plot(x[:len(cells)], mac, "-o", color=COLUMN_COLOURS[i])
        line.set_gid(f"mac {platform} {column}")
        speed, = twin.plot(x[:len(cells)], [s for *_, s in cells], "--s", color=COLUMN_COLOURS[i], mfc="white")
        speed.set_gid(f"speed {platform} {column}")
    ax.set_xticks(x, labels)
    ax.set_yscale("log")
    si_axis(ax.yaxis)
    ax.set_ylabel("mac of the benchmark (elements)")
    twin.set_ylabel(f"measured speed ({SPEED_UNIT[platform]})")
    twin.set_ylim(bottom=0)
    ax.set_title(f"Table {table.name[-1]}, {platform}")
    # e.g. Table 2 prints c = 180 for g = 8 on ARM, which 8 groups do not divide (the paper rounded c)
    note = "\n".join(f"no mac at {n}" for n in refusals) or None
    key(ax, {_column_name(table, c): COLUMN_COLOURS[i] for i, c in enumerate(columns)},
        {"mac (left)": {"ls": "-", "marker": "o"}, "speed (right)": {"ls": "--", "marker": "s", "mfc": "white"}},
        ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2), title=note)


def _speed_bars(ax, table: SpeedTable, platform: str, labels: list[str] | None = None) -> None:
    """The paper's measured speeds of one platform as grouped bars: rows on x, one bar per column."""
    rows = _rows(table, platform)
    row_labels = list(dict.fromkeys(label for label, *_ in rows))
    columns = list(dict.fromkeys(column for _, column, *_ in rows))
    width = 0.8 / len(columns)
    for i, column in enumerate(columns):
        speeds = [s for _, c, _, s in rows if c == column]
        bars = ax.bar(np.arange(len(speeds)) + (i - (len(columns) - 1) / 2) * width, speeds, width,
                      color=COLUMN_COLOURS[i], label=_column_name(table, column).removeprefix("c="))
        tag(bars, f"speed {platform} {column}")
    ax.set_xticks(np.arange(len(row_labels)), labels or row_labels)
    ax.set_ylabel(f"measured speed ({SPEED_UNIT[platform]})")
    ax.set_title(f"Table {table.name[-1]}, {platform} (measured)")
    ax.set_ylim(0, 1.35 * max(s for *_, s in rows))  # headroom: the legend sits above the bars
    ax.legend(title="channels", ncol=len(columns), loc="upper center", handlelength=0.8, columnspacing=0.6,
              handletextpad=0.3)


@styled
def g1():
    """G1: mac of a 1x1 convolution against its c1:c2 ratio at fixed flops, and Table 1 beside it.

    (a) For h = w in ``G1_RESOLUTIONS``, the first convolution of ``g1_bench`` (c1 -> c2) with
    c1 * c2 = ``G1_PRODUCT`` (so the flops ``h*w*c1*c2`` are the same at every ratio): its analysed mac against
    c2/c1, and the lower bound 2 sqrt(hwB) + B/hw of derivation ``mac-bound`` (B = flops), reached at 1:1.
    (b), (c) Table 1: the mac of the 10-block benchmark at each printed configuration, and the
    measured GPU and ARM speed on a twin axis.
    """
    fig = figure(7.2, 3.4)
    ax, gpu, arm = fig.subplots(1, 3)
    derivation = mac_bound()
    bound = derivation.step("bound 2*sqrt(h*w*B) + B/(h*w)")
    symbols = {str(s): s for s in bound.free_symbols}
    pairs = [(c1, G1_PRODUCT // c1) for c1 in range(1, 121) if G1_PRODUCT % c1 == 0 and G1_PRODUCT // c1 <= 12 * c1]
    for i, size in enumerate(G1_RESOLUTIONS):
        ratios, mac, flops = [], [], set()
        for c1, c2 in pairs:
            layer = analyze(build("g1_bench", c1=c1, c2=c2, resolution=size, blocks=1)).layer("blocks.0.conv1")
            ratios.append(c2 / c1)
            mac.append(number(layer.mac))
            flops.add(layer.flops)
        (b,) = flops  # fixed by construction
        limit = number(bound.subs({symbols["h"]: size, symbols["w"]: size, symbols["c1"]: 1,
                                   symbols["c2"]: b // (size * size)}))
        line, = ax.plot(ratios, mac, "-o", ms=3, color=COLUMN_COLOURS[i])
        line.set_gid(f"mac {size}")
        low, = ax.plot([ratios[0], ratios[-1]], [limit, limit], ":", color=COLUMN_COLOURS[i])
        low.set_gid(f"bound {size}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks([1, 2, 4, 6, 12], ["1:1", "1:2", "1:4", "1:6", "1:12"])
    ax.xaxis.set_minor_locator(NullLocator())
    si_axis(ax.yaxis)
    ax.set_xlabel(f"c1:c2 at c1·c2 = {G1_PRODUCT} (log)")
    ax.set_ylabel("mac of one 1x1 conv (elements)")
    ax.set_title("mac at fixed flops")
    key(ax, {f"h=w={size}": COLUMN_COLOURS[i] for i, size in enumerate(G1_RESOLUTIONS)},
        {"mac": {"ls": "-", "marker": "o", "ms": 3}, "bound 2√(hwB)+B/hw": {"ls": ":"}},
        ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    _table_twin(gpu, TABLE1, "GPU")
    _table_twin(arm, TABLE1, "ARM")
    gpu.set_xlabel("c1:c2 (x1: c1 = 128 at 1:1)")
    arm.set_xlabel("c1:c2 (x1: c1 = 32 at 1:1)")
    fig.suptitle("G1: equal channel width minimises mac (ShuffleNet V2, Table 1)")
    return fig


@styled
def g2():
    """G2: mac of a 1x1 group convolution against its group count at fixed flops, and Table 2 beside it.

    (a) For h = w in ``G2_RESOLUTIONS``, one 1x1 convolution c1 = ``G2_INPUT`` -> c2 = 128 g with g
    groups (flops ``h*w*c1*c2/g`` fixed, the setting of derivation ``mac-group``): its analysed mac against g.
    (b), (c) Table 2: the mac of the 10-block ``g2_bench`` at each printed configuration, and the
    measured GPU and ARM speed on a twin axis.
    """
    fig = figure(7.2, 3.4)
    ax, gpu, arm = fig.subplots(1, 3)
    for i, size in enumerate(G2_RESOLUTIONS):
        mac = []
        for groups in G2_GROUPS:
            graph = Graph("group_pointwise", (G2_INPUT, size, size))
            graph.add("conv", Conv2d(G2_INPUT * groups, kernel=1, groups=groups), graph.input)
            mac.append(number(analyze(graph).totals.mac))
        line, = ax.plot(G2_GROUPS, mac, "-o", ms=3, color=COLUMN_COLOURS[i], label=f"h=w={size}")
        line.set_gid(f"mac {size}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(G2_GROUPS, [str(g) for g in G2_GROUPS])
    ax.xaxis.set_minor_locator(NullLocator())
    si_axis(ax.yaxis)
    ax.set_xlabel(f"groups g (log), c1 = {G2_INPUT}, c2 = {G2_INPUT}·g")
    ax.set_ylabel("mac of one 1x1 group conv (elements)")
    ax.set_title("mac at fixed flops")
    ax.legend(ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    _table_twin(gpu, TABLE2, "GPU")
    _table_twin(arm, TABLE2, "ARM")
    gpu.set_xlabel("groups (x1: c = 128 at g=1)")
    arm.set_xlabel("groups (x1: c = 64 at g=1)")
    fig.suptitle("G2: excessive group convolution increases mac (ShuffleNet V2, Table 2)")
    return fig


G3_VARIANTS = (("1-fragment", 1, "series"), ("2-fragment-series", 2, "series"), ("4-fragment-series", 4, "series"),
               ("2-fragment-parallel", 2, "parallel"), ("4-fragment-parallel", 4, "parallel"))
G3_SHORT = ["1", "2\nseries", "4\nseries", "2\nparallel", "4\nparallel"]
G3_TINY = ["1", "2s", "4s", "2p", "4p"]  # under the narrow top panels


@styled
def g3(channels: int = 128):
    """G3: the fragmentation variants of appendix Fig. 1 (a)-(e), and Table 3 beside them.

    Top: flops, mac and number of convolution kernels of one block of ``g3_bench`` (``channels`` = 128, the
    GPU x1 width of Table 3, 56x56), each analysed. Bottom: Table 3's measured GPU and ARM speeds.
    """
    fig = figure(7.2, 4.6)
    grid = fig.add_gridspec(2, 6)
    tops = [fig.add_subplot(grid[0, 2 * i:2 * i + 2]) for i in range(3)]
    bottoms = [fig.add_subplot(grid[1, 3 * i:3 * i + 3]) for i in range(2)]
    analyses = [analyze(build("g3_bench", fragments=n, arrangement=a, channels=channels, blocks=1))
                for _, n, a in G3_VARIANTS]
    values = {"flops": [number(a.totals.flops) for a in analyses],
              "mac": [number(a.totals.mac) for a in analyses],
              "kernels": [sum(1 for layer in a.layers if layer.op.category == "conv") for a in analyses]}
    units = {"flops": "multiply-adds", "mac": "elements", "kernels": "convolutions"}
    titles = {"flops": "flops per block", "mac": "mac per block", "kernels": "conv kernels per block"}
    x = np.arange(len(G3_VARIANTS))
    for ax, (key, heights) in zip(tops, values.items()):
        bars = ax.bar(x, heights, 0.6, color="#4c72b0")
        tag(bars, key)
        ax.set_xticks(x, G3_TINY)
        ax.set_xlabel("fragments (s: series, p: parallel)")
        ax.set_ylabel(units[key])
        if key == "kernels":
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            si_axis(ax.yaxis)
            ax.bar_label(bars, labels=[f"{h / 1e6:.2f}" for h in heights], rotation=90, padding=2)
            ax.set_ylim(0, 1.25 * max(heights))  # room for the labels (millions) above the bars
        ax.set_title(titles[key])
    _speed_bars(bottoms[0], TABLE3, "GPU", G3_SHORT)
    _speed_bars(bottoms[1], TABLE3, "ARM", G3_SHORT)
    for ax in bottoms:
        ax.set_xlabel("fragments (Table 3 row)")
    fig.suptitle(f"G3: network fragmentation at fixed flops (ShuffleNet V2, Table 3 and appendix Fig. 1);\n"
                 f"top: one block of g3_bench, c = {channels}, 56x56 (bar labels in millions)")
    return fig


G4_SHORT = ["R+S", "R", "S", "none"]  # ReLU and shortcut, ReLU only, shortcut only, neither
DECOMPOSITION = (("shufflenet_v1", {"width": 1, "groups": 3}, "ShuffleNet v1 1x (g=3)"),
                 ("mobilenet_v2", {"width": 1}, "MobileNet v2 1x"))


def op_split(name: str, parameters: dict) -> dict[str, tuple[Any, Any]]:
    """``{op class: (flops, mac)}`` of a zoo network under convention ``all``, summed over its layers."""
    split: dict[str, tuple[Any, Any]] = {}
    for layer in analyze(build(name, **parameters), "all").layers:
        kind = op_class(layer)
        flops, mac = split.get(kind, (0, 0))
        split[kind] = (flops + layer.flops, mac + layer.mac)
    return split


@styled
def g4(channels: int = 32):
    """G4: the share of element-wise nodes in the ResNet bottleneck, Table 4, and the op-kind split of two nets.

    (a) For the four ``g4_bench`` variants (ReLU and shortcut on or off, ``channels`` = 32, 56x56), the share
    (%) of element-wise nodes (ReLU, add) in flops (convention ``all``) and in mac, analysed. (b), (c) Table 4's
    measured GPU and ARM speeds. (d) For ShuffleNet v1 1x g=3 and MobileNet v2 1x, the split of
    flops (convention ``all``) and mac by op class (``costmodel.report.op_class``), drawn like the paper's
    run-time decomposition (ShuffleNet V2, Fig. 2).
    """
    fig = figure(7.2, 6)
    grid = fig.add_gridspec(2, 3, width_ratios=(1.2, 1, 1))
    share_ax, gpu, arm = (fig.add_subplot(grid[0, i]) for i in range(3))
    split_ax = fig.add_subplot(grid[1, :])
    x = np.arange(4)
    shares = {"flops": [], "mac": []}
    for _, config, *_ in TABLE4.rows:  # the four variants, in Table 4's order
        a = analyze(build("g4_bench", channels=channels, relu=config["relu"], shortcut=config["shortcut"]), "all")
        elementwise = a.group_by("category").get("elementwise")
        for key, values in shares.items():
            part = getattr(elementwise, key) if elementwise else 0
            values.append(100 * number(part) / number(getattr(a.totals, key)))
    for i, (key, values) in enumerate(shares.items()):
        label = "flops (convention all)" if key == "flops" else key
        bars = share_ax.bar(x + (i - 0.5) * 0.35, values, 0.35, label=label, color=COLUMN_COLOURS[i])
        tag(bars, f"share {key}")
        share_ax.bar_label(bars, fmt="%.0f", padding=1)
    share_ax.set_xticks(x, G4_SHORT)
    share_ax.set_xlabel("variant (R: ReLU, S: shortcut)")
    share_ax.set_ylabel("share of element-wise nodes (%)")
    share_ax.set_ylim(0, max(shares["mac"]) * 1.45)
    share_ax.set_title(f"element-wise share (c = {channels})")
    share_ax.legend(loc="upper right")
    _speed_bars(gpu, TABLE4, "GPU", G4_SHORT)
    _speed_bars(arm, TABLE4, "ARM", G4_SHORT)
    for ax in (gpu, arm):
        ax.set_xlabel("Table 4 row")
    _decomposition(split_ax)
    fig.suptitle("G4: element-wise operations are not negligible (ShuffleNet V2, Table 4 and Fig. 2)")
    return fig


def _decomposition(ax) -> None:
    """Stacked horizontal bars: for each network, its flops and its mac split by op class, in % of the total."""
    labels, position = [], 0
    seen: set[str] = set()
    for name, parameters, title in DECOMPOSITION:
        split = op_split(name, parameters)
        for i, key in enumerate(("flops", "mac")):
            total = sum(number(v[i]) for v in split.values())
            left = 0.0
            for kind, values in split.items():
                share = 100 * number(values[i]) / total
                bar = ax.barh(position, share, left=left, color=colour(kind), edgecolor="white",
                              label=kind if kind not in seen else None)
                tag(bar, f"{name} {key} {kind}")
                seen.add(kind)
                if share >= 4:
                    ax.text(left + share / 2, position, f"{share:.0f}%", ha="center", va="center",
                            color="white")
                left += share
            labels.append(f"{title}: {key}")
            position += 1
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the network's total (%); flops under convention all")
    ax.set_title("flops and mac by op kind (cf. ShuffleNet V2 Fig. 2, which splits run time)")
    ax.legend(ncol=min(len(seen), 6), loc="upper center", bbox_to_anchor=(0.5, -0.2))
