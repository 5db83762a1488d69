"""ShuffleNet v1 (Zhang et al. 2018, Table 1) and ShuffleNet v2 (Ma et al. 2018, Table 5).

Both follow Megvii's official code (megvii-model/ShuffleNet-Series, ``ShuffleNetV1/`` and ``ShuffleNetV2/``
``network.py`` and ``blocks.py``); ShuffleNet v2 also has ``variant="torchvision"``, the network of
torchvision's ``torchvision/models/shufflenetv2.py``. Stage, block and branch scopes give node names such as
``stage2.0.branch2.conv1``: block 0 of each stage is its stride-2 unit. Channel split, concat and shuffle are
nodes of their own; every conv is bias-free, with its BatchNorm and ReLU as separate nodes.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..errors import UsageError
from ..graph import Graph, Tensor
from ..ops import (
    Add,
    AvgPool2d,
    BatchNorm,
    ChannelShuffle,
    Concat,
    MaxPool2d,
    ReLU,
    Split,
    depthwise,
)
from ..values import show
from .common import VARIANTS, check_resolution, classifier, conv_bn_act
from .registry import register

#: ShuffleNet v1, Table 1: output channels of stages 2, 3, 4 at 1x, for each group number g.
V1_STAGE_CHANNELS = {1: (144, 288, 576), 2: (200, 400, 800), 3: (240, 480, 960), 4: (272, 544, 1088),
                     8: (384, 768, 1536)}
V1_WIDTHS = (Fraction(1, 4), Fraction(1, 2), 1, Fraction(3, 2), 2)
#: ShuffleNet v2, Table 5: output channels of stages 2, 3, 4 and of conv5, per width multiplier.
V2_CHANNELS = {Fraction(1, 2): (48, 96, 192, 1024), 1: (116, 232, 464, 1024),
               Fraction(3, 2): (176, 352, 704, 1024), 2: (244, 488, 976, 2048)}
REPEATS = (4, 8, 4)  # units per stage (stride-2 unit + 3, 7, 3), both tables
STEM = 24  # conv1 output channels at 1x, both tables


def _stages(g: Graph, x: Tensor, stages: tuple, unit) -> Tensor:
    """Stages 2-4 as both tables lay them out: scope ``stageN`` holding unit scopes ``0``, ``1``, ...
    (``REPEATS``), unit 0 with stride 2. ``unit(x, out, stride, first_of_net)`` builds one unit;
    ``first_of_net`` marks stage 2's first unit."""
    for index, (out, repeat) in enumerate(zip(stages, REPEATS)):
        with g.scope(f"stage{index + 2}"):
            for i in range(repeat):
                with g.scope(str(i)):
                    x = unit(x, out, 2 if i == 0 else 1, index == 0 and i == 0)
    return x


def _stem(g: Graph, channels: Any) -> Tensor:
    """conv1 (3x3, stride 2, BN, ReLU) and the 3x3 stride-2 max-pool, as stages ``conv1`` and ``maxpool``."""
    with g.stage("conv1"):
        x = conv_bn_act(g, "conv1", g.input, channels, kernel=3, stride=2)
    with g.stage("maxpool"):
        return g.add("maxpool", MaxPool2d(3, stride=2, padding=1), x)


# ----- ShuffleNet v1 ---------------------------------------------------------------------------------------
def v1_channels(width: Any, groups: int) -> tuple[int, tuple[int, int, int]]:
    """(conv1 channels, stage 2-4 channels) of ShuffleNet v1 ``width``x with ``groups`` (one of Table 1's
    group numbers and widths), or a UsageError when the width does not split into the groups.

    Stages: Table 1's 1x channels times ``width``. conv1: 24 for 1x and 1.5x, 48 for 2x, and below 1x
    ``24*width`` rounded up to a multiple of ``groups`` (so that the first stride-2 unit's residual branch,
    ``out - in`` channels, splits into whole groups): this reproduces every stem width of the official code
    (12 for 0.5x g=3, 16 for 0.5x g=8) and extends it to the other groups and to 0.25x.
    """
    bad = _v1_misfit(width, groups)
    if bad is not None:
        usable = ", ".join(show(w) for w in V1_WIDTHS if _v1_misfit(w, groups) is None)
        raise UsageError(f"shufflenet_v1 width {show(width)} with groups {groups}: {bad}; with groups "
                         f"{groups} the width must be one of {usable}")
    stages = tuple(int(width * c) for c in V1_STAGE_CHANNELS[groups])
    stem = STEM * int(width) if width >= 1 else int(-(-STEM * width // groups) * groups)
    return stem, stages


def _v1_misfit(width: Any, groups: int) -> str | None:
    """Why Table 1's channels times ``width`` cannot be built with ``groups``, or None if they can."""
    for c in V1_STAGE_CHANNELS[groups]:
        out = width * c
        if out != int(out):
            return f"Table 1's {c} channels times {show(width)} give {show(out)}, not a whole number"
        if (int(out) // 4) % groups:
            return (f"Table 1's {c} channels times {show(width)} give {show(out)}, whose bottleneck "
                    f"{show(out)}//4 = {int(out) // 4} does not split into {groups} groups")
    return None


def _v1_unit(g: Graph, x: Tensor, out: int, groups: int, stride: int, dense_first: bool) -> Tensor:
    """One ShuffleNet v1 unit (official ``ShuffleV1Block``).

    Residual branch: 1x1 group conv (dense in stage 2's first unit) to ``out//4`` + BN + ReLU, channel
    shuffle, 3x3 depthwise (stride) + BN, 1x1 group conv + BN. Stride 1: add the input, ReLU. Stride 2: the
    branch outputs ``out - in`` channels, goes through ReLU and is concatenated after a 3x3 stride-2 average
    pool of the input (padding 1).
    """
    c_in = x.channels
    mid = out // 4
    y = conv_bn_act(g, "conv1", x, mid, groups=1 if dense_first else groups)
    if groups > 1:
        y = g.add("shuffle", ChannelShuffle(groups), y)
    y = g.add("conv2", depthwise(mid, 3, stride=stride), y)
    y = g.add("conv2_bn", BatchNorm(), y)
    y = conv_bn_act(g, "conv3", y, out - c_in if stride == 2 else out, groups=groups, act=None)
    if stride == 1:
        y = g.add("add", Add(), y, x)
        return g.add("relu", ReLU(), y)
    shortcut = g.add("shortcut", AvgPool2d(3, stride=2, padding=1), x)
    y = g.add("relu", ReLU(), y)
    return g.add("concat", Concat(), shortcut, y)


@register("shufflenet_v1", source="Zhang et al. 2018, Table 1; megvii-model/ShuffleNet-Series ShuffleNetV1",
          choices={"groups": tuple(V1_STAGE_CHANNELS), "width": tuple(map(float, V1_WIDTHS))},
          width=1.0, groups=3, resolution=224, classes=1000)
def shufflenet_v1(width, groups, resolution, classes) -> Graph:
    """ShuffleNet v1 (group conv + channel shuffle), groups 1, 2, 3, 4, 8, widths 0.25x-2x.

    Follows Table 1 of Zhang et al. (ShuffleNet, CVPR 2018) and the official code (megvii-model/
    ShuffleNet-Series, ``ShuffleNetV1/network.py`` and ``blocks.py``): conv1 3x3/2, max-pool 3x3/2, stages 2-4
    of 1+3, 1+7, 1+3 units (``_v1_unit``), global pool, bias-free FC. Scaling: Table 1's stage widths
    times ``width`` (a lookup per group number, not a formula), bottleneck ``out//4``; conv1 by
    ``v1_channels``. Widths that do not split into whole groups are refused.
    """
    check_resolution("shufflenet_v1", resolution)
    stem, stages = v1_channels(width, groups)
    g = Graph("shufflenet_v1", (3, resolution, resolution))
    x = _stem(g, stem)
    x = _stages(g, x, stages, lambda x, out, stride, first_of_net: _v1_unit(
        g, x, out, groups, stride, dense_first=first_of_net))
    classifier(g, x, classes, bias=False)
    return g


# ----- ShuffleNet v2 ---------------------------------------------------------------------------------------
def _v2_branch_main(g: Graph, x: Tensor, mid: Any, out: Any, stride: int) -> Tensor:
    """branch2: 1x1 conv to ``mid`` + BN + ReLU, 3x3 depthwise (stride) + BN, 1x1 conv to ``out`` + BN + ReLU."""
    with g.scope("branch2"):
        y = conv_bn_act(g, "conv1", x, mid)
        y = g.add("conv2", depthwise(mid, 3, stride=stride), y)
        y = g.add("conv2_bn", BatchNorm(), y)
        return conv_bn_act(g, "conv3", y, out)


def _v2_branch_proj(g: Graph, x: Tensor, out: Any) -> Tensor:
    """branch1 of a stride-2 unit: 3x3 depthwise stride 2 + BN, 1x1 conv to ``out`` + BN + ReLU."""
    with g.scope("branch1"):
        y = g.add("conv1", depthwise(x.channels, 3, stride=2), x)
        y = g.add("conv1_bn", BatchNorm(), y)
        return conv_bn_act(g, "conv2", y, out)


def _v2_unit(g: Graph, x: Tensor, out: Any, stride: int, variant: str) -> Tensor:
    """One ShuffleNet v2 unit, as ``variant`` builds it.

    ``paper`` (Megvii's ``ShuffleV2Block``): a stride-1 unit starts with the channel shuffle and split of its
    input (the official code does both in one reshape; here a ChannelShuffle and a Split node), keeps one half
    and runs branch2 on the other; a stride-2 unit feeds its whole input (``in`` channels) to both branches:
    branch1 keeps ``in`` channels, branch2 goes to ``out//2`` and then ``out - in``. No shuffle after a
    stride-2 unit, nor after the last unit of a stage.
    ``torchvision`` (``InvertedResidual``): both branches of a stride-2 unit output ``out//2``; every unit ends
    with concat and a channel shuffle (groups 2); a stride-1 unit starts with a split (``chunk``).
    Outside stage 2's first unit (where ``in`` = 24) both give the same convolutions.
    """
    c_in = x.channels
    half = out // 2
    if stride == 1:
        if variant == "paper":
            x = g.add("shuffle", ChannelShuffle(2), x)
        left, right = g.add("split", Split(2), x)
        y = g.add("concat", Concat(), left, _v2_branch_main(g, right, half, half, 1))
    else:
        side = c_in if variant == "paper" else half
        proj = _v2_branch_proj(g, x, side)
        y = g.add("concat", Concat(), proj, _v2_branch_main(g, x, half, out - side, 2))
    if variant == "torchvision":
        y = g.add("shuffle", ChannelShuffle(2), y)
    return y


@register("shufflenet_v2", source="Ma et al. 2018, Table 5; megvii-model/ShuffleNet-Series ShuffleNetV2",
          choices={"width": tuple(map(float, V2_CHANNELS)), "variant": VARIANTS},
          width=1.0, resolution=224, classes=1000, variant="paper")
def shufflenet_v2(width, resolution, classes, variant) -> Graph:
    """ShuffleNet v2 (channel split, concat, shuffle), widths 0.5x, 1x, 1.5x, 2x.

    Follows Table 5 of Ma et al. (ShuffleNet V2, ECCV 2018): conv1 3x3/2 (24), max-pool 3x3/2, stages 2-4 of
    1+3, 1+7, 1+3 units (``_v2_unit``), conv5 1x1, global pool, FC. Scaling: Table 5's channels are a
    lookup per width (not a formula); branch width ``out//2``. ``variant="paper"`` builds the official code
    (Megvii ``ShuffleNetV2/blocks.py``: bias-free FC); ``variant="torchvision"`` builds torchvision's
    ``shufflenet_v2_x*`` (FC with bias; its parameter count equals ``sum(p.numel())``).
    """
    check_resolution("shufflenet_v2", resolution)
    *stages, last = V2_CHANNELS[width]
    g = Graph("shufflenet_v2", (3, resolution, resolution))
    x = _stem(g, STEM)
    x = _stages(g, x, stages, lambda x, out, stride, first_of_net: _v2_unit(g, x, out, stride, variant))
    with g.stage("conv5"):
        x = conv_bn_act(g, "conv5", x, last)
    classifier(g, x, classes, bias=variant == "torchvision")
    return g
