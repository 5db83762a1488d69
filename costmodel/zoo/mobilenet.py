"""MobileNet v1, v2 and v3 (Large, Small), as their papers tabulate them and their reference code builds them.

* v1 (Howard et al. 2017, Table 1): a full 3x3 conv then 13 depthwise-separable layers (3x3 depthwise and
  1x1 pointwise conv, each with BatchNorm and ReLU), global pool, fc. Stages ``conv1``, ``block1`` ...
  ``block13`` (one per separable layer; Table 1's "5x" row is ``block7`` ... ``block11``), ``globalpool``,
  ``fc``. ``body="full"`` swaps each separable layer for one full 3x3 conv (Table 4's comparison).
* v2 (Sandler et al. 2018, Table 2): ``conv1``, the seven bottleneck rows ``bottleneck1`` ...
  ``bottleneck7`` with numbered blocks (1x1 ``expand``, 3x3 ``dw``, linear 1x1 ``project``, residual ``add``
  where stride 1 and channels match), ``conv2`` (1x1 to 1280), ``globalpool``, ``fc``. ReLU6.
* v3 (Howard et al. 2019, Tables 1 and 2): ``conv1`` (h-swish), one stage per bneck row ``bneck1`` ...
  with an optional squeeze-and-excitation ``se`` (pool, 1x1 conv, ReLU, 1x1 conv, h-sigmoid, multiply),
  ``conv2`` (1x1, BatchNorm, h-swish), ``globalpool``, ``fc1`` (the paper's "conv2d 1x1, NBN" to 1280 or
  1024 with h-swish, a fully connected layer on the pooled vector as in torchvision), ``fc``.

Dropout is left out (it costs nothing). Channel rules accept exact numbers and sympy symbols alike. With a
symbolic width, whether a block has its expansion conv and its residual ``add`` follows the table; with a
number it follows the rounded channels, as the reference code does (at small widths rounding can make a
block's input and output widths equal and add a shortcut the table lacks: this changes ``mac`` only).
See docs/zoo-mobilenet.md for the figures and every difference from the papers.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..dims import is_symbolic, larger
from ..graph import Graph, Tensor
from ..ops import Add, Conv2d, Flatten, GlobalAvgPool, HardSigmoid, HardSwish, Linear, Mul, Op, ReLU, ReLU6
from .common import VARIANTS, check_resolution, classifier, conv_bn_act, make_divisible, truncate_at_least
from .registry import register

BODIES = ("separable", "full")

# Howard et al. 2017, Table 1: (output channels, stride) of the 13 layers after the 32-channel conv1. The
# table prints stride 2 for the last depthwise conv, but its input and output are both 7x7: stride 1, as in
# the TF-slim reference (mobilenet_v1.py, MOBILENETV1_CONV_DEFS).
V1_LAYERS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1),
             (512, 1), (512, 1), (1024, 2), (1024, 1))

# Sandler et al. 2018, Table 2: expansion factor t, output channels c, repeats n, stride s of the first.
V2_BOTTLENECKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                  (6, 320, 1, 1))

# Howard et al. 2019, Table 1 (Large) and Table 2 (Small): kernel, expansion size, output channels,
# squeeze-and-excite, non-linearity (RE = ReLU, HS = h-swish), stride of each bneck row.
V3_LARGE = ((3, 16, 16, False, "RE", 1), (3, 64, 24, False, "RE", 2), (3, 72, 24, False, "RE", 1),
            (5, 72, 40, True, "RE", 2), (5, 120, 40, True, "RE", 1), (5, 120, 40, True, "RE", 1),
            (3, 240, 80, False, "HS", 2), (3, 200, 80, False, "HS", 1), (3, 184, 80, False, "HS", 1),
            (3, 184, 80, False, "HS", 1), (3, 480, 112, True, "HS", 1), (3, 672, 112, True, "HS", 1),
            (5, 672, 160, True, "HS", 2), (5, 960, 160, True, "HS", 1), (5, 960, 160, True, "HS", 1))
V3_SMALL = ((3, 16, 16, True, "RE", 2), (3, 72, 24, False, "RE", 2), (3, 88, 24, False, "RE", 1),
            (5, 96, 40, True, "HS", 2), (5, 240, 40, True, "HS", 1), (5, 240, 40, True, "HS", 1),
            (5, 120, 48, True, "HS", 1), (5, 144, 48, True, "HS", 1), (5, 288, 96, True, "HS", 2),
            (5, 576, 96, True, "HS", 1), (5, 576, 96, True, "HS", 1))
V3_STEM = 16
# (last 1x1 conv, the 1x1 "NBN" layer after the pool) of each v3 table.
V3_HEADS = {"large": (960, 1280), "small": (576, 1024)}


def branchwise(rule: Any, value: Any) -> Any:
    """``rule(value)``, applied inside each branch when ``value`` is a sympy Piecewise (a rounded symbolic
    width). The result is the same function; it keeps Piecewise out of Piecewise conditions, which sympy
    is very slow to build."""
    if getattr(value, "is_Piecewise", False):
        import sympy
        return sympy.Piecewise(*((branchwise(rule, branch), condition) for branch, condition in value.args))
    return rule(value)


def activation(code: str) -> Op:
    return HardSwish() if code == "HS" else ReLU()


# ----- MobileNet v1 ---------------------------------------------------------------------------------------------
@register("mobilenet_v1", source="Howard et al. 2017, Table 1", choices={"body": BODIES},
          width=1.0, resolution=224, classes=1000, body="separable")
def mobilenet_v1(width: Any, resolution: Any, classes: Any, body: str) -> Graph:
    """MobileNet v1: a 3x3 conv and 13 depthwise-separable layers.

    Follows Howard et al. 2017, Table 1. Width rule (TF-slim ``depth``): every layer's channels ``c`` become
    ``max(int(c*width), 8)``, the first conv included. Resolution: any multiple of 32 (five stride-2 layers).
    ``body="full"`` replaces each depthwise-separable layer by a full 3x3 conv with the same channels and stride
    (Table 4: 4,866 M multiply-adds and 29.3 M parameters instead of 569 M and 4.2 M).
    """
    name = "mobilenet_v1"
    check_resolution(name, resolution)

    def channels(c: int) -> Any:
        return truncate_at_least(c * width, 8)

    g = Graph(name, (3, resolution, resolution))
    with g.stage("conv1"):
        x = conv_bn_act(g, "conv1", g.input, channels(32), kernel=3, stride=2)
    for index, (out, stride) in enumerate(V1_LAYERS, 1):
        with g.scope(f"block{index}"):
            if body == "separable":
                x = conv_bn_act(g, "dw", x, x.channels, kernel=3, stride=stride, groups=x.channels)
                x = conv_bn_act(g, "pw", x, channels(out))
            else:
                x = conv_bn_act(g, "conv", x, channels(out), kernel=3, stride=stride)
    classifier(g, x, classes)
    return g


# ----- MobileNet v2 ---------------------------------------------------------------------------------------------
def inverted_residual(g: Graph, x: Tensor, expanded: Any, out: Any, kernel: int, stride: int, act: Op,
                      expand: bool, squeeze: Any = None) -> Tensor:
    """v2/v3 block: 1x1 ``expand`` (if ``expand``), depthwise ``dw``, optional ``se`` squeezing to
    ``squeeze`` channels, linear 1x1 ``project``; ``add`` of the input when stride is 1 and channels match."""
    y = conv_bn_act(g, "expand", x, expanded, act=act) if expand else x
    y = conv_bn_act(g, "dw", y, y.channels, kernel=kernel, stride=stride, groups=y.channels, act=act)
    if squeeze is not None:
        y = squeeze_excitation(g, y, squeeze)
    y = conv_bn_act(g, "project", y, out, act=None)
    if stride == 1 and x.channels == out:
        y = g.add("add", Add(), x, y)
    return y


@register("mobilenet_v2", source="Sandler et al. 2018, Table 2", width=1.0, resolution=224, classes=1000)
def mobilenet_v2(width: Any, resolution: Any, classes: Any) -> Graph:
    """MobileNet v2: inverted residuals with linear bottlenecks.

    Follows Sandler et al. 2018, Table 2. Width rule (reference code ``_make_divisible``): channels
    ``make_divisible(c*width, 8)``; expansion ``t`` times the block's input channels; the last conv (1280) is
    ``make_divisible(1280*max(1, width), 8)``, i.e. not narrowed for width < 1 (paper section 6.1, torchvision).
    Resolution: any whole number. Paper and torchvision agree: 300 M multiply-adds and torchvision's 3,504,872
    parameters at width 1.
    """
    name = "mobilenet_v2"
    g = Graph(name, (3, resolution, resolution))
    with g.stage("conv1"):
        x = conv_bn_act(g, "conv1", g.input, make_divisible(32 * width, 8), kernel=3, stride=2, act=ReLU6())
    for row, (t, c, repeats, first_stride) in enumerate(V2_BOTTLENECKS, 1):
        out = make_divisible(c * width, 8)
        with g.scope(f"bottleneck{row}"):
            for index in range(repeats):
                with g.scope(str(index)):
                    x = inverted_residual(g, x, x.channels * t, out, 3, first_stride if index == 0 else 1,
                                          ReLU6(), expand=t != 1)
    with g.stage("conv2"):
        x = conv_bn_act(g, "conv2", x, make_divisible(1280 * larger(width, 1), 8), act=ReLU6())
    classifier(g, x, classes)
    return g


# ----- MobileNet v3 ---------------------------------------------------------------------------------------------
def squeeze_excitation(g: Graph, x: Tensor, squeeze: Any) -> Tensor:
    """torchvision's SqueezeExcitation: pool, 1x1 conv (bias) to ``squeeze``, ReLU, 1x1 conv (bias) back,
    h-sigmoid, and the channel-wise product with ``x``."""
    with g.scope("se"):
        s = g.add("pool", GlobalAvgPool(), x)
        s = g.add("fc1", Conv2d(squeeze, kernel=1, bias=True), s)
        s = g.add("relu", ReLU(), s)
        s = g.add("fc2", Conv2d(x.channels, kernel=1, bias=True), s)
        s = g.add("hard_sigmoid", HardSigmoid(), s)
        return g.add("scale", Mul(), x, s)


def mobilenet_v3(size: str, width: Any, resolution: Any, classes: Any, variant: str) -> Graph:
    """Build v3 ``size`` ("large" or "small"); see ``mobilenet_v3_large`` for the two variants' rules."""
    name = f"mobilenet_v3_{size}"
    table = V3_LARGE if size == "large" else V3_SMALL
    last_conv, head = V3_HEADS[size]

    def scaled(c: Any) -> Any:
        return make_divisible(c * width, 8)

    g = Graph(name, (3, resolution, resolution))
    with g.stage("conv1"):
        x = conv_bn_act(g, "conv1", g.input, scaled(V3_STEM), kernel=3, stride=2, act=HardSwish())
    table_in = V3_STEM  # the table's (unscaled) input channels of the current row
    for row, (kernel, expansion, out, se, nonlinearity, stride) in enumerate(table, 1):
        if variant == "paper":  # TF-slim: expand the scaled input by the table's ratio
            ratio = Fraction(expansion, table_in)
            expanded = branchwise(lambda c, r=ratio: make_divisible(c * r, 8), x.channels)
            expand = ratio != 1
        else:  # torchvision: scale the table's expansion size
            expanded = scaled(expansion)
            expand = expanded != x.channels if not is_symbolic(expanded) else expansion != table_in
        squeeze = branchwise(lambda c: make_divisible(c // 4, 8), expanded) if se else None
        with g.scope(f"bneck{row}"):
            x = inverted_residual(g, x, expanded, scaled(out), kernel, stride, activation(nonlinearity),
                                  expand, squeeze)
        table_in = out
    with g.stage("conv2"):
        channels = scaled(last_conv) if variant == "paper" else 6 * x.channels
        x = conv_bn_act(g, "conv2", x, channels, act=HardSwish())
    with g.stage("globalpool"):
        x = g.add("globalpool", GlobalAvgPool(), x)
    with g.stage("fc1"):
        x = g.add("flatten", Flatten(), x)
        x = g.add("fc1", Linear(head if variant == "paper" else scaled(head)), x)
        x = g.add("fc1_hard_swish", HardSwish(), x)
    with g.stage("fc"):
        g.add("fc", Linear(classes), x)
    return g


@register("mobilenet_v3_large", source="Howard et al. 2019, Table 1", choices={"variant": VARIANTS},
          width=1.0, resolution=224, classes=1000, variant="paper")
def mobilenet_v3_large(width: Any, resolution: Any, classes: Any, variant: str) -> Graph:
    """MobileNet v3-Large: bnecks with squeeze-and-excite and h-swish.

    Follows Howard et al. 2019, Table 1. Both variants round channels with ``make_divisible(c*width, 8)`` and
    squeeze SE blocks to ``make_divisible(expanded/4, 8)``; they agree at width 1 (216.6 M multiply-adds, TF-slim's
    217 M, where Table 3 prints 219 M; torchvision's 5,483,032 parameters) and differ for other widths:

    * ``paper`` (the TF-slim reference whose checkpoints Table 3 reports): expansion
      ``make_divisible(scaled input * expansion/input of the table row, 8)``, last conv
      ``make_divisible(960*width, 8)``, and the 1280-wide layer after the pool never scaled
      (``finegrain_classification_mode``): 0.75 gives Table 3's 155 M and 4.0 M;
    * ``torchvision``: expansion ``make_divisible(expansion*width, 8)``, last conv 6x the last bneck's
      output, 1280 scaled to ``make_divisible(1280*width, 8)``.

    Resolution: any whole number.
    """
    return mobilenet_v3("large", width, resolution, classes, variant)


@register("mobilenet_v3_small", source="Howard et al. 2019, Table 2", choices={"variant": VARIANTS},
          width=1.0, resolution=224, classes=1000, variant="paper")
def mobilenet_v3_small(width: Any, resolution: Any, classes: Any, variant: str) -> Graph:
    """MobileNet v3-Small: bnecks with squeeze-and-excite and h-swish.

    Follows Howard et al. 2019, Table 2. Rules as ``mobilenet_v3_large`` with last conv 576 and the layer
    after the pool 1024. The variants agree at width 1 (56 M multiply-adds in Table 3, torchvision's 2,542,856
    parameters). They differ in the last layer's width for width < 1: the paper's 0.75 model keeps 1024 (Table
    3: 2.0 M parameters), torchvision narrows it to ``make_divisible(1024*width, 8)`` (768 at 0.75: 1.65 M
    parameters).
    """
    return mobilenet_v3("small", width, resolution, classes, variant)
