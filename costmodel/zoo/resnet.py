"""ResNet-18/34/50 (He et al. 2016) and ResNeXt-50 32x4d (Xie et al. 2017), as their papers and torchvision
build them.

Layout (He et al. 2016, Table 1): ``conv1`` 7x7/2 with 64 channels, ``maxpool`` 3x3/2, four stages
``conv2_x`` ... ``conv5_x`` of residual blocks (64, 128, 256, 512 base channels; the first block of
``conv3_x``, ``conv4_x`` and ``conv5_x`` halves the resolution), global average pool and ``fc``.

* Basic block (ResNet-18/34): 3x3 ``conv1`` (with the block's stride), 3x3 ``conv2``, each with its
  BatchNorm; ReLU after ``conv1`` and after the residual ``add``.
* Bottleneck (ResNet-50, ResNeXt-50): 1x1 ``conv1``, 3x3 ``conv2`` (grouped for ResNeXt), 1x1 ``conv3`` to
  4x the base channels; ReLU after ``conv1``, ``conv2`` and the ``add``.
* Shortcut: the identity, or (when the stride or the channel count changes) a projection ``downsample``,
  1x1 conv with the block's stride and its BatchNorm: option B of He et al. section 4.1, as torchvision.
* Convolutions have no bias (each is followed by a BatchNorm); the fc has one.

Where the stride-2 of a downsampling bottleneck sits is the one difference between paper and torchvision:
He et al. put it on the first 1x1 conv (3.8 G multiply-adds for ResNet-50, Table 1), torchvision (the
"ResNet v1.5" of the Facebook Torch code) on the 3x3 conv, which then runs at the higher resolution
(4.1 G). Parameters are the same. ResNeXt (Xie et al. 2017, section 4) strides the 3x3 conv like torchvision.
Node names follow torchvision's module names (``conv3_x.0.conv2``, ``conv3_x.0.downsample``).
"""
from __future__ import annotations

from typing import Any

from ..graph import Graph, Tensor
from ..ops import Add, MaxPool2d, ReLU
from .common import VARIANTS, check_size, classifier, conv_bn_act
from .registry import register

STAGES = (("conv2_x", 64, 1), ("conv3_x", 128, 2), ("conv4_x", 256, 2), ("conv5_x", 512, 2))
EXPANSION = 4  # bottleneck output channels / base channels


def stem(g: Graph) -> Tensor:
    """``conv1`` (7x7/2, 64, BatchNorm, ReLU) and ``maxpool`` (3x3/2, padding 1): He et al. Table 1."""
    with g.stage("conv1"):
        x = conv_bn_act(g, "conv1", g.input, 64, kernel=7, stride=2)
    return g.add("maxpool", MaxPool2d(3, stride=2, padding=1), x)


def shortcut(g: Graph, x: Tensor, channels: Any, stride: int) -> Tensor:
    """The identity, or a 1x1 projection ``downsample`` with BatchNorm when the shape changes (option B)."""
    if stride == 1 and x.channels == channels:
        return x
    return conv_bn_act(g, "downsample", x, channels, kernel=1, stride=stride, act=None)


def basic_block(g: Graph, x: Tensor, planes: int, stride: int) -> Tensor:
    """Two 3x3 convs (the first strided) and the residual add, then ReLU."""
    y = conv_bn_act(g, "conv1", x, planes, kernel=3, stride=stride)
    y = conv_bn_act(g, "conv2", y, planes, kernel=3, act=None)
    y = g.add("add", Add(), y, shortcut(g, x, planes, stride))
    return g.add("relu", ReLU(), y)


def bottleneck(g: Graph, x: Tensor, planes: int, stride: int, width: int, groups: int,
               stride_on_3x3: bool) -> Tensor:
    """1x1 to ``width``, 3x3 (``groups``) and 1x1 to ``4*planes``; the stride on the 3x3 or the first 1x1."""
    first, middle = (1, stride) if stride_on_3x3 else (stride, 1)
    y = conv_bn_act(g, "conv1", x, width, kernel=1, stride=first)
    y = conv_bn_act(g, "conv2", y, width, kernel=3, stride=middle, groups=groups)
    y = conv_bn_act(g, "conv3", y, planes * EXPANSION, kernel=1, act=None)
    y = g.add("add", Add(), y, shortcut(g, x, planes * EXPANSION, stride))
    return g.add("relu", ReLU(), y)


def resnet(name: str, depths: tuple, resolution: Any, classes: Any, *, bottlenecks: bool,
           groups: int = 1, width_per_group: int = 64, stride_on_3x3: bool = True) -> Graph:
    """A ResNet of ``depths`` blocks per stage; ``width_per_group`` and ``groups`` as torchvision's
    (the 3x3 width is ``planes * width_per_group / 64 * groups``: ResNeXt 32x4d has 2 * planes)."""
    check_size(name, resolution)
    g = Graph(name, (3, resolution, resolution))
    x = stem(g)
    for (stage, planes, first_stride), depth in zip(STAGES, depths):
        with g.scope(stage):
            for i in range(depth):
                stride = first_stride if i == 0 else 1
                with g.scope(str(i)):
                    if bottlenecks:
                        width = planes * width_per_group // 64 * groups
                        x = bottleneck(g, x, planes, stride, width, groups, stride_on_3x3)
                    else:
                        x = basic_block(g, x, planes, stride)
    classifier(g, x, classes)
    return g


@register("resnet18", source="He et al. 2016, Table 1 (18-layer); torchvision resnet18",
          resolution=224, classes=1000)
def resnet18(resolution, classes) -> Graph:
    """ResNet-18: basic blocks [2, 2, 2, 2] (He et al. 2016, Table 1: 1.8 G multiply-adds).

    Paper and torchvision agree (projection shortcuts where the shape changes, option B).
    """
    return resnet("resnet18", (2, 2, 2, 2), resolution, classes, bottlenecks=False)


@register("resnet34", source="He et al. 2016, Table 1 (34-layer); torchvision resnet34",
          resolution=224, classes=1000)
def resnet34(resolution, classes) -> Graph:
    """ResNet-34: basic blocks [3, 4, 6, 3] (He et al. 2016, Table 1: 3.6 G multiply-adds).

    Paper and torchvision agree (projection shortcuts where the shape changes, option B).
    """
    return resnet("resnet34", (3, 4, 6, 3), resolution, classes, bottlenecks=False)


@register("resnet50", source="He et al. 2016, Table 1 (50-layer); torchvision resnet50 (v1.5)",
          choices={"variant": VARIANTS}, resolution=224, classes=1000, variant="paper")
def resnet50(resolution, classes, variant) -> Graph:
    """ResNet-50: bottlenecks [3, 4, 6, 3]; stride on the 1x1 (paper, 3.8 G) or the 3x3 (torchvision, 4.1 G).

    ``paper``: He et al. 2016, Table 1 and the released Caffe model, the stride-2 of ``conv3_1``, ``conv4_1``
    and ``conv5_1`` on the block's first 1x1 conv. ``torchvision``: on the 3x3 conv (ResNet v1.5).
    Same parameters (25,557,032) either way.
    """
    return resnet("resnet50", (3, 4, 6, 3), resolution, classes, bottlenecks=True,
                  stride_on_3x3=(variant == "torchvision"))


@register("resnext50_32x4d", source="Xie et al. 2017, Table 1 (ResNeXt-50 32x4d); torchvision",
          resolution=224, classes=1000)
def resnext50_32x4d(resolution, classes) -> Graph:
    """ResNeXt-50 (32x4d): ResNet-50 bottlenecks with a 32-group 3x3 twice as wide (Xie et al. 2017, Table 1).

    Cardinality 32, 4 channels per group at ``conv2_x`` (3x3 widths 128, 256, 512, 1024); the stride on
    the 3x3 conv (Xie et al. section 4), as torchvision. Table 1: 4.2 G multiply-adds, 25.0 M parameters.
    """
    return resnet("resnext50_32x4d", (3, 4, 6, 3), resolution, classes, bottlenecks=True, groups=32,
                  width_per_group=4)
