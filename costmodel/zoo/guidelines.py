"""The benchmark networks of ShuffleNet V2's guidelines G1-G4, and the paper's measured speeds.

Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design", ECCV 2018, section 2
and appendix Fig. 1: each benchmark stacks ``blocks`` (10) identical blocks on a ``resolution`` x
``resolution`` (56x56) input. The G1-G3 blocks are bare 1x1 convolutions (no bias,
BatchNorm or activation: the paper names none); the G4 block is ResNet's bottleneck with its ReLUs and
identity shortcut, BatchNorm left out (folded into the convolutions at inference).

``TABLES`` holds Tables 1-4: per row, the paper's configuration and its measured speeds (GPU in batches/s,
ARM in images/s), exactly as the paper prints them (of Tables 1-2's ARM speeds, the x1 and x2 columns).
``SpeedTable.cells`` turns them into builder parameters, one per measured speed.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import isqrt
from typing import Any

from ..dims import is_symbolic
from ..errors import UsageError
from ..graph import Graph, Tensor
from ..ops import Add, Concat, Conv2d, ReLU
from ..values import show
from .registry import register

SOURCE = "Ma et al. 2018 (ShuffleNet V2), section 2"


def _stack(name: str, channels: Any, resolution: Any, blocks: int, block) -> Graph:
    """``blocks`` copies of ``block(g, x)`` on a ``channels`` x ``resolution`` x ``resolution`` input,
    in scopes ``blocks.0``, ``blocks.1``, ... (all in stage ``blocks``)."""
    g = Graph(name, (channels, resolution, resolution))
    x = g.input
    with g.scope("blocks"):
        for i in range(blocks):
            with g.scope(str(i)):
                x = block(g, x)
    return g


@register("g1_bench", source=f"{SOURCE}, G1 and Table 1", c1=128, c2=128, resolution=56, blocks=10)
def g1_bench(c1, c2, resolution, blocks) -> Graph:
    """G1 benchmark: blocks of two 1x1 convs, c1 -> c2 -> c1 (equal widths minimise mac).

    ShuffleNet V2, section 2, G1: "Each block contains two convolution layers. The first contains c1 input
    channels and c2 output channels, and the second otherwise." Table 1 varies c1:c2 at (nearly) fixed
    multiply-adds ``2*hw*c1*c2`` per block; a 1x1 conv moves ``hw(c1+c2) + c1*c2`` elements.
    """
    def block(g: Graph, x: Tensor) -> Tensor:
        x = g.add("conv1", Conv2d(c2, kernel=1), x)
        return g.add("conv2", Conv2d(c1, kernel=1), x)

    return _stack("g1_bench", c1, resolution, blocks, block)


@register("g2_bench", source=f"{SOURCE}, G2 and Table 2", groups=1, channels=128, resolution=56, blocks=10)
def g2_bench(groups, channels, resolution, blocks) -> Graph:
    """G2 benchmark: blocks of two 1x1 group convs, c -> c with g groups (many groups raise mac).

    ShuffleNet V2, section 2, G2 and Table 2: the G1 benchmark with group convolutions; Table 2 varies g and
    widens c to hold the multiply-adds ``2*hw*c^2/g`` per block fixed. A 1x1 group conv moves
    ``hw(c1+c2) + c1*c2/g`` elements.
    """
    if not (is_symbolic(groups) or is_symbolic(channels)) and channels % groups:
        raise UsageError(f"g2_bench groups must divide channels, but {show(groups)} does not divide "
                         f"{show(channels)}")

    def block(g: Graph, x: Tensor) -> Tensor:
        x = g.add("conv1", Conv2d(channels, kernel=1, groups=groups), x)
        return g.add("conv2", Conv2d(channels, kernel=1, groups=groups), x)

    return _stack("g2_bench", channels, resolution, blocks, block)


def g3_width(fragments: int, arrangement: str, channels: Any) -> Any:
    """Block width of a G3 benchmark whose multiply-adds equal the 1-fragment block's (``c^2`` per pixel).

    Series: ``n`` convs of width ``w`` cost ``n*w^2``, so ``w = floor(c/sqrt(n))`` (128 -> 90 for n = 2, as
    Table 1 rounds 90.5 to 90). Parallel: the block keeps ``c`` channels, each of the ``n`` branches maps all
    ``c`` to ``c/n``, so ``n*c*(c/n) = c^2`` with no adjustment.
    """
    if fragments == 1 or arrangement == "parallel":
        return channels
    if is_symbolic(channels):
        import sympy
        return sympy.floor(channels / sympy.sqrt(fragments))
    return isqrt(channels * channels // fragments)


@register("g3_bench", source=f"{SOURCE}, G3, Table 3 and appendix Fig. 1",
          choices={"fragments": (1, 2, 4), "arrangement": ("series", "parallel")},
          fragments=1, arrangement="series", channels=128, resolution=56, blocks=10)
def g3_bench(fragments, arrangement, channels, resolution, blocks) -> Graph:
    """G3 benchmark: blocks of 1, 2 or 4 1x1 convs in series or in parallel (fragmentation).

    ShuffleNet V2, section 2, G3, Table 3 and appendix Fig. 1 (a)-(e): "each building block consists of from
    1 to 4 1x1 convolutions, which are arranged in sequence or in parallel"; the channels of the fragmented
    blocks are adjusted so that their multiply-adds equal the 1-fragment block's, ``channels`` being the
    1-fragment width (Table 3's column c). Series: ``n`` convs w -> w (``g3_width``). Parallel: ``n``
    branches, each a 1x1 conv c -> c/n, joined by a concat (Inception-style); one fragment is one conv c -> c
    whatever the arrangement.
    """
    parallel = arrangement == "parallel" and fragments > 1
    if parallel and not is_symbolic(channels) and channels % fragments:
        raise UsageError(f"g3_bench {fragments}-fragment-parallel needs channels divisible by {fragments}, "
                         f"got {show(channels)}")
    width = g3_width(fragments, arrangement, channels)

    def block(g: Graph, x: Tensor) -> Tensor:
        if parallel:
            branches = [g.add(f"conv{i + 1}", Conv2d(channels // fragments, kernel=1), x) for i in range(fragments)]
            return g.add("concat", Concat(), *branches)
        for i in range(fragments):
            x = g.add(f"conv{i + 1}", Conv2d(width, kernel=1), x)
        return x

    return _stack("g3_bench", width, resolution, blocks, block)


@register("g4_bench", source=f"{SOURCE}, G4 and Table 4",
          relu=True, shortcut=True, channels=32, resolution=56, blocks=10)
def g4_bench(relu, shortcut, channels, resolution, blocks) -> Graph:
    """G4 benchmark: ResNet bottleneck units (1x1, 3x3, 1x1) with or without ReLU and shortcut.

    ShuffleNet V2, section 2, G4 and Table 4: the ResNet "bottleneck" unit, c -> c/4 (1x1) -> c/4 (3x3) -> c
    (1x1), bottleneck ratio 1/4 as in ResNet, with ReLU after each conv (after the add for the last one) and
    an identity shortcut; ``relu`` and ``shortcut`` remove them. Multiply-adds do not change; mac does.
    """
    if not is_symbolic(channels) and channels % 4:
        raise UsageError(f"g4_bench channels must be a multiple of 4 (bottleneck c/4), got {show(channels)}")
    mid = channels // 4

    def block(g: Graph, x: Tensor) -> Tensor:
        y = g.add("conv1", Conv2d(mid, kernel=1), x)
        if relu:
            y = g.add("conv1_relu", ReLU(), y)
        y = g.add("conv2", Conv2d(mid, kernel=3, padding=1), y)
        if relu:
            y = g.add("conv2_relu", ReLU(), y)
        y = g.add("conv3", Conv2d(channels, kernel=1), y)
        if shortcut:
            y = g.add("add", Add(), y, x)
        return g.add("relu", ReLU(), y) if relu else y

    return _stack("g4_bench", channels, resolution, blocks, block)


# ----- the paper's measurements ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SpeedTable:
    """One of Tables 1-4: rows of ``(label, configuration, GPU speeds, ARM configuration, ARM speeds)``.

    ``gpu_columns`` / ``arm_columns`` say what each speed column varies: for Tables 1-2 a channel
    multiplier (x1, x2, x4) applied to the row's x1 channels, for Tables 3-4 the channels themselves.
    """

    name: str
    guideline: str
    builder: str
    title: str
    source: str
    column_kind: str  # "multiplier" (channels of the row times the column) or "channels"
    gpu_columns: tuple
    arm_columns: tuple
    rows: tuple

    def cells(self) -> Iterator[tuple[str, str, Any, dict, float]]:
        """``(row label, platform, column, builder parameters, speed)`` for every printed speed."""
        for label, gpu_config, gpu_speeds, arm_config, arm_speeds in self.rows:
            for platform, config, columns, speeds in (("GPU", gpu_config, self.gpu_columns, gpu_speeds),
                                                      ("ARM", arm_config, self.arm_columns, arm_speeds)):
                for column, speed in zip(columns, speeds):
                    yield label, platform, column, self.parameters(config, column), speed

    def parameters(self, config: dict, column: Any) -> dict:
        """Builder parameters of one cell: the row's configuration at the column's channels."""
        params = dict(config)
        if self.column_kind == "multiplier":
            for key in ("c1", "c2", "channels"):
                if key in params:
                    params[key] = params[key] * column
        else:
            params["channels"] = column
        return params


TABLE1 = SpeedTable(
    "table1", "G1", "g1_bench", "Equal channel width minimizes memory access cost (c1:c2 at fixed FLOPs)",
    "Ma et al. 2018, Table 1; 56x56 input, 10 blocks. costmodel carries the ARM x1 and x2 columns.",
    "multiplier", (1, 2, 4), (1, 2),
    (("1:1", {"c1": 128, "c2": 128}, (1480, 723, 232), {"c1": 32, "c2": 32}, (76.2, 21.7)),
     ("1:2", {"c1": 90, "c2": 180}, (1296, 586, 206), {"c1": 22, "c2": 44}, (72.9, 20.5)),
     ("1:6", {"c1": 52, "c2": 312}, (876, 489, 189), {"c1": 13, "c2": 78}, (69.1, 17.9)),
     ("1:12", {"c1": 36, "c2": 432}, (748, 392, 163), {"c1": 9, "c2": 108}, (57.6, 15.1))))

TABLE2 = SpeedTable(
    "table2", "G2", "g2_bench", "Excessive group convolution increases MAC (groups at fixed FLOPs)",
    "Ma et al. 2018, Table 2; 56x56 input, 10 blocks. The paper heads the ARM columns 'CPU'.",
    "multiplier", (1, 2, 4), (1, 2),
    (("g=1", {"groups": 1, "channels": 128}, (2451, 1289, 437), {"groups": 1, "channels": 64}, (40.0, 10.2)),
     ("g=2", {"groups": 2, "channels": 180}, (1725, 873, 341), {"groups": 2, "channels": 90}, (35.0, 9.5)),
     ("g=4", {"groups": 4, "channels": 256}, (1026, 644, 338), {"groups": 4, "channels": 128}, (32.9, 8.7)),
     ("g=8", {"groups": 8, "channels": 360}, (634, 445, 230), {"groups": 8, "channels": 180}, (27.8, 7.5))))

TABLE3 = SpeedTable(
    "table3", "G3", "g3_bench", "Network fragmentation reduces degree of parallelism (at fixed FLOPs)",
    "Ma et al. 2018, Table 3 and appendix Fig. 1; c is the 1-fragment width, 56x56, 10 blocks.",
    "channels", (128, 256, 512), (64, 128, 256),
    (("1-fragment", {"fragments": 1, "arrangement": "series"}, (2446, 1274, 434),
      {"fragments": 1, "arrangement": "series"}, (40.2, 10.1, 2.3)),
     ("2-fragment-series", {"fragments": 2, "arrangement": "series"}, (1790, 909, 336),
      {"fragments": 2, "arrangement": "series"}, (38.6, 10.1, 2.2)),
     ("4-fragment-series", {"fragments": 4, "arrangement": "series"}, (752, 745, 349),
      {"fragments": 4, "arrangement": "series"}, (38.4, 10.1, 2.3)),
     ("2-fragment-parallel", {"fragments": 2, "arrangement": "parallel"}, (1537, 803, 320),
      {"fragments": 2, "arrangement": "parallel"}, (33.4, 9.1, 2.2)),
     ("4-fragment-parallel", {"fragments": 4, "arrangement": "parallel"}, (691, 572, 292),
      {"fragments": 4, "arrangement": "parallel"}, (35.0, 8.4, 2.1))))

TABLE4 = SpeedTable(
    "table4", "G4", "g4_bench", "Element-wise operations are non-negligible (ReLU, shortcut removed)",
    "Ma et al. 2018, Table 4; ResNet bottleneck, c channels in the unit, 56x56, 10 units.",
    "channels", (32, 64, 128), (32, 64, 128),
    (("ReLU yes, short-cut yes", {"relu": True, "shortcut": True}, (2427, 2066, 1436),
      {"relu": True, "shortcut": True}, (56.7, 16.9, 5.0)),
     ("ReLU yes, short-cut no", {"relu": True, "shortcut": False}, (2647, 2256, 1735),
      {"relu": True, "shortcut": False}, (61.9, 18.8, 5.2)),
     ("ReLU no, short-cut yes", {"relu": False, "shortcut": True}, (2672, 2121, 1458),
      {"relu": False, "shortcut": True}, (57.3, 18.2, 5.1)),
     ("ReLU no, short-cut no", {"relu": False, "shortcut": False}, (2842, 2376, 1782),
      {"relu": False, "shortcut": False}, (66.3, 20.2, 5.4))))

TABLES = {t.name: t for t in (TABLE1, TABLE2, TABLE3, TABLE4)}
