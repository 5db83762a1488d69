"""GhostNet (Han et al. 2020), as its reference implementation builds it: huawei-noah/Efficient-AI-Backbones,
``ghostnet_pytorch/ghostnet.py``.

Ghost module (section 3.1, ratio s = 2, cheap op a depthwise 3x3): ``primary`` 1x1 conv to
``init = ceil(out/2)`` channels (BatchNorm, ReLU when the module has one), ``cheap`` depthwise 3x3 on them
(``init`` more channels, BatchNorm, ReLU likewise), ``concat`` of both, and (only when ``out`` is odd) the
first ``out`` channels kept: a ``slice`` node, a Split whose second part is dropped. GhostNet's widths are
multiples of 4, so it never slices; with a symbolic width ``out`` is taken as even (``init = out/2``).

Ghost bottleneck (section 3.2, Figure 3): ``ghost1`` (expansion, ReLU), when strided a depthwise
``conv_dw`` (kernel k, BatchNorm, no ReLU), an optional ``se`` block, ``ghost2`` (projection, no ReLU) and
the residual ``add`` (no ReLU after it). The shortcut is the identity when shape is kept, else a depthwise
``shortcut.dw`` (kernel k, the block's stride, BatchNorm) and a 1x1 ``shortcut.pw`` (BatchNorm).
SE (reference code ``SqueezeExcite``): global pool, 1x1 ``conv_reduce`` with bias to
``make_divisible(exp/4, 4)``, ReLU, 1x1 ``conv_expand`` with bias, hard sigmoid ``gate``, ``scale`` (Mul).

Layout (Table 1): ``conv_stem`` 3x3/2 16, sixteen bottlenecks in stages ``stage1`` ... ``stage5`` (the
reference code's grouping, one stage per stride-2 bottleneck), ``conv_last`` 1x1 960 (BatchNorm, ReLU),
``globalpool``, ``conv_head`` 1x1 1280 with bias and ReLU (not batch-normalised), ``fc``. Dropout is left
out. Width multiplier (Table 7): every channel count ``c`` of the stem, the bottlenecks and ``conv_last``
becomes ``make_divisible(c * width, 4)``; ``conv_head`` stays 1280.
"""
from __future__ import annotations

from typing import Any

from ..dims import ceil_div, exact_ratio, is_symbolic, quotient
from ..graph import Graph, Tensor
from ..ops import (
    Add,
    Concat,
    Conv2d,
    Flatten,
    GlobalAvgPool,
    HardSigmoid,
    Linear,
    Mul,
    ReLU,
    Split,
)
from .common import check_size, conv_bn_act, make_divisible
from .registry import register

# Table 1 (and the reference code's cfgs): (kernel, expansion, out, SE, stride) per bottleneck, by stage
STAGES = (
    ("stage1", ((3, 16, 16, False, 1),)),
    ("stage2", ((3, 48, 24, False, 2), (3, 72, 24, False, 1))),
    ("stage3", ((5, 72, 40, True, 2), (5, 120, 40, True, 1))),
    ("stage4", ((3, 240, 80, False, 2), (3, 200, 80, False, 1), (3, 184, 80, False, 1),
                (3, 184, 80, False, 1), (3, 480, 112, True, 1), (3, 672, 112, True, 1))),
    ("stage5", ((5, 672, 160, True, 2), (5, 960, 160, False, 1), (5, 960, 160, True, 1),
                (5, 960, 160, False, 1), (5, 960, 160, True, 1))),
)
STEM, LAST, HEAD = 16, 960, 1280


def ghost_module(g: Graph, name: str, x: Tensor, out: Any, relu: bool) -> Tensor:
    """Primary 1x1 conv to ``ceil(out/2)``, cheap depthwise 3x3 on it, concat, keep ``out`` channels."""
    init = quotient(out, 2) if is_symbolic(out) else ceil_div(out, 2)
    act = ReLU() if relu else None
    with g.scope(name):
        primary = conv_bn_act(g, "primary", x, init, kernel=1, act=act)
        cheap = conv_bn_act(g, "cheap", primary, init, kernel=3, groups=init, act=act)
        y = g.add("concat", Concat(), primary, cheap)
        if not is_symbolic(out) and 2 * init != out:
            y = g.add("slice", Split(sizes=(out, 2 * init - out)), y)[0]
    return y


def squeeze_excite(g: Graph, x: Tensor) -> Tensor:
    """SE of the reference code: reduce to ``make_divisible(c/4, 4)`` (ReLU), expand, hard-sigmoid gate."""
    channels = x.channels
    with g.scope("se"):
        s = g.add("pool", GlobalAvgPool(), x)
        s = conv_bn_act(g, "conv_reduce", s, make_divisible(exact_ratio(channels, 4), 4), kernel=1, bias=True, bn=False)
        s = g.add("conv_expand", Conv2d(channels, kernel=1, bias=True), s)
        s = g.add("gate", HardSigmoid(), s)
        return g.add("scale", Mul(), x, s)


def ghost_bottleneck(g: Graph, x: Tensor, kernel: int, mid: Any, out: Any, se: bool, stride: int) -> Tensor:
    """Ghost bottleneck: ghost1, (strided depthwise), (SE), ghost2, plus the shortcut."""
    y = ghost_module(g, "ghost1", x, mid, relu=True)
    if stride > 1:
        y = conv_bn_act(g, "conv_dw", y, mid, kernel=kernel, stride=stride, groups=mid, act=None)
    if se:
        y = squeeze_excite(g, y)
    y = ghost_module(g, "ghost2", y, out, relu=False)
    residual = x
    if stride > 1 or x.channels != out:
        with g.scope("shortcut"):
            residual = conv_bn_act(g, "dw", x, x.channels, kernel=kernel, stride=stride, groups=x.channels,
                                   act=None)
            residual = conv_bn_act(g, "pw", residual, out, kernel=1, act=None)
    return g.add("add", Add(), y, residual)


@register("ghostnet", source="Han et al. 2020, Table 1 and Table 7; huawei-noah/Efficient-AI-Backbones",
          width=1.0, resolution=224, classes=1000)
def ghostnet(width, resolution, classes) -> Graph:
    """GhostNet: ghost bottlenecks with SE (Han et al. 2020, Table 1; 1.0x: 141 M multiply-adds, 5.2 M params).

    Follows the reference ``ghostnet_pytorch/ghostnet.py``; width multiplier ``make_divisible(c * width, 4)``
    on every channel count but the 1280 of ``conv_head`` (Table 7: 0.5x, 1.0x, 1.3x).
    """
    check_size("ghostnet", resolution)
    g = Graph("ghostnet", (3, resolution, resolution))
    with g.stage("conv_stem"):
        x = conv_bn_act(g, "conv_stem", g.input, make_divisible(STEM * width, 4), kernel=3, stride=2)
    for stage, blocks in STAGES:
        with g.scope(stage):
            for i, (kernel, expansion, out, se, stride) in enumerate(blocks):
                with g.scope(str(i)):
                    x = ghost_bottleneck(g, x, kernel, make_divisible(expansion * width, 4),
                                         make_divisible(out * width, 4), se, stride)
    with g.stage("conv_last"):
        x = conv_bn_act(g, "conv_last", x, make_divisible(LAST * width, 4), kernel=1)
    with g.stage("globalpool"):
        x = g.add("globalpool", GlobalAvgPool(), x)
    with g.stage("conv_head"):
        x = conv_bn_act(g, "conv_head", x, HEAD, kernel=1, bias=True, bn=False)
    with g.stage("fc"):
        x = g.add("flatten", Flatten(), x)
        g.add("fc", Linear(classes), x)
    return g
