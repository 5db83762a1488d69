"""AlexNet (Krizhevsky et al. 2012) and VGG-16 (Simonyan & Zisserman 2015), as the papers and torchvision
build them.

Every conv and fully connected layer has a bias; ReLU follows each of them but the last. Dropout is the
identity at inference and has no parameters, so it is left out. Each layer is its own stage, named as in
the Caffe reference models (``conv1``, ``pool1``, ``fc6``; VGG ``conv1_1`` ... ``conv5_3``).

Resolution. The fully connected ``fc6`` expects a fixed 6x6 (AlexNet) or 7x7 (VGG) map: 224x224 inputs.
torchvision puts ``AdaptiveAvgPool2d((6, 6))`` / ``((7, 7))`` in front of it, a no-op at 224. It is modelled
exactly where it is a plain average pool: when the last feature map is a whole multiple of 6 (7) on a
side, it becomes ``avgpool``, an ``AvgPool2d`` with kernel and stride ``side / 6`` (``side / 7``); a side of
exactly 6 (7) needs no node. Other resolutions (overlapping adaptive windows) and symbolic resolutions are
refused with a UsageError, as is any resolution other than one giving 6x6 for the paper's AlexNet, which has
no adaptive pool.
"""
from __future__ import annotations

from typing import Any

from ..dims import is_symbolic
from ..errors import UsageError
from ..graph import Graph, Tensor
from ..ops import AvgPool2d, Conv2d, Flatten, Linear, LocalResponseNorm, MaxPool2d, ReLU
from ..values import show
from .registry import register
from .common import VARIANTS, check_size


def layer(g: Graph, name: str, x: Tensor, op, relu: bool = True, lrn: bool = False) -> Tensor:
    """One row of the paper's table: the node ``name`` (then ``name_relu`` and ``name_lrn``), under stage
    ``name``."""
    with g.stage(name):
        x = g.add(name, op, x)
        if relu:
            x = g.add(f"{name}_relu", ReLU(), x)
        if lrn:
            x = g.add(f"{name}_lrn", LocalResponseNorm(5), x)
    return x


def numeric_resolution(name: str, resolution: Any) -> None:
    check_size(name, resolution)
    if is_symbolic(resolution):
        raise UsageError(f"{name} resolution must be a number: its fc6 takes a fixed-size map "
                         f"(torchvision's adaptive pool depends on the exact size), got {show(resolution)}")


def fixed_map(g: Graph, name: str, x: Tensor, side: int, adaptive: bool, resolution: int) -> Tensor:
    """Bring the last feature map to ``side x side`` as torchvision's ``AdaptiveAvgPool2d`` does, where it
    is an exact ``AvgPool2d`` (a whole multiple of ``side``); refuse other sizes."""
    _, h, w = x.shape
    if h == side and w == side:
        return x
    if adaptive and h % side == 0 and w % side == 0:
        with g.stage("avgpool"):
            return g.add("avgpool", AvgPool2d((h // side, w // side)), x)
    wanted = f"a {side}x{side} map" + (f" (or a whole multiple of {side} on a side)" if adaptive else "")
    raise UsageError(f"{name} resolution {resolution} gives a {h}x{w} map before fc6, which needs {wanted}; "
                     f"use resolution 224")


def head(g: Graph, x: Tensor, classes: Any, hidden: int = 4096) -> Tensor:
    """``fc6`` and ``fc7`` (``hidden`` units, ReLU) and ``fc8`` (``classes``), biased (dropout left out)."""
    with g.stage("fc6"):
        x = g.add("flatten", Flatten(), x)
    x = layer(g, "fc6", x, Linear(hidden))
    x = layer(g, "fc7", x, Linear(hidden))
    return layer(g, "fc8", x, Linear(classes), relu=False)


# (name, out channels, kernel, stride, padding, groups); "pool" rows are 3x3/2 max pools
ALEXNET = {
    # Krizhevsky et al. 2012, section 3.5 and Figure 2: two GPU towers, so conv2, conv4 and conv5 see only
    # their own tower's half of the input channels (groups 2); conv3 and the fc layers see both.
    "paper": (("conv1", 96, 11, 4, 2, 1), ("pool1",), ("conv2", 256, 5, 1, 2, 2), ("pool2",),
              ("conv3", 384, 3, 1, 1, 1), ("conv4", 384, 3, 1, 1, 2), ("conv5", 256, 3, 1, 1, 2), ("pool5",)),
    # torchvision.models.alexnet: one tower, 64-192-384-256-256 (after Krizhevsky's "one weird trick", 2014)
    "torchvision": (("conv1", 64, 11, 4, 2, 1), ("pool1",), ("conv2", 192, 5, 1, 2, 1), ("pool2",),
                    ("conv3", 384, 3, 1, 1, 1), ("conv4", 256, 3, 1, 1, 1), ("conv5", 256, 3, 1, 1, 1),
                    ("pool5",)),
}


@register("alexnet", source="Krizhevsky et al. 2012, section 3.5 and Figure 2; torchvision alexnet",
          choices={"variant": VARIANTS}, resolution=224, classes=1000, variant="paper")
def alexnet(resolution, classes, variant) -> Graph:
    """AlexNet: the paper's two towers (96-256-384-384-256, grouped) or torchvision's one (64-192-384-256-256).

    ``paper`` (Krizhevsky et al. 2012, section 3.5): conv1 96 11x11/4, conv2 256 5x5 in 2 groups, conv3 384
    3x3, conv4 384 3x3 in 2 groups, conv5 256 3x3 in 2 groups, 3x3/2 overlapping max pools after conv1, conv2
    and conv5, fc6 and fc7 4096, fc8 1000; local response normalisation (size 5) after the ReLUs of conv1 and
    conv2 (section 3.3; no parameters, no multiply-adds under ``paper``, its memory traffic in ``mac``). The
    paper's 224x224 input cannot give its 55x55 conv1 map without padding: conv1 is padded by 2
    here, as torchvision does (Caffe's equivalent is a 227x227 input, unpadded; same multiply-adds).
    ``torchvision``: ``torchvision.models.alexnet``, no groups, 64-192-384-256-256.
    """
    numeric_resolution("alexnet", resolution)
    g = Graph("alexnet", (3, resolution, resolution))
    x = g.input
    for row in ALEXNET[variant]:
        if len(row) == 1:
            x = layer(g, row[0], x, MaxPool2d(3, stride=2), relu=False)
        else:
            name, out, kernel, stride, padding, groups = row
            x = layer(g, name, x, Conv2d(out, kernel=kernel, stride=stride, padding=padding, groups=groups,
                                         bias=True), lrn=variant == "paper" and name in ("conv1", "conv2"))
    x = fixed_map(g, "alexnet", x, 6, variant == "torchvision", resolution)
    head(g, x, classes)
    return g


# Simonyan & Zisserman 2015, Table 1, configuration D: conv3 widths per block, 2x2/2 max pool after each
VGG16_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))


@register("vgg16", source="Simonyan & Zisserman 2015, Table 1 (configuration D) and Table 2; torchvision vgg16",
          resolution=224, classes=1000)
def vgg16(resolution, classes) -> Graph:
    """VGG-16: configuration D, thirteen 3x3 convs and three fc layers (Simonyan & Zisserman 2015, Table 1).

    Convs 3x3, stride 1, padding 1, biased, each followed by ReLU; blocks of 2, 2, 3, 3, 3 convs (64, 128,
    256, 512, 512 channels) each closed by a 2x2/2 max pool; fc6 and fc7 4096, fc8 ``classes``. Paper and
    torchvision (without BatchNorm) agree: 138 M parameters (Table 2).
    """
    numeric_resolution("vgg16", resolution)
    g = Graph("vgg16", (3, resolution, resolution))
    x = g.input
    for b, widths in enumerate(VGG16_BLOCKS, start=1):
        for i, width in enumerate(widths, start=1):
            x = layer(g, f"conv{b}_{i}", x, Conv2d(width, kernel=3, padding=1, bias=True))
        x = layer(g, f"pool{b}", x, MaxPool2d(2, stride=2), relu=False)
    x = fixed_map(g, "vgg16", x, 7, True, resolution)
    head(g, x, classes)
    return g
