"""SqueezeNet 1.0 (Iandola et al. 2016) and 1.1 (the official repository, forresti/SqueezeNet), as
torchvision builds them.

Fire module (Iandola et al. 2016, section 3.2): ``squeeze1x1`` (1x1 conv to s channels, ReLU), then two
expand branches on its output, ``expand1x1`` (1x1 conv to e1, ReLU) and ``expand3x3`` (3x3 conv, padding 1,
to e3, ReLU), joined by ``concat`` (e1 + e3 channels). Every conv has a bias; there is no BatchNorm.

Layout (Iandola et al. 2016, Table 1, with stage names as its rows): ``conv1``, ``maxpool1``, ``fire2`` ...
``fire9`` with max pools between them, ``conv10`` (1x1 to ``classes``, ReLU; torchvision's dropout before it
is left out) and ``avgpool10`` (global average pool, then flatten). Max pools are 3x3/2 with ``ceil_mode``
(Caffe's rounding, as torchvision).

* 1.0: conv1 7x7/2 96, pools after conv1, fire4, fire8 (rows ``maxpool1``, ``maxpool4``, ``maxpool8``).
* 1.1 (official repository README): conv1 3x3/2 64, pools after conv1, fire3, fire5 (``maxpool1``,
  ``maxpool3``, ``maxpool5``); same fire modules, "2.4x less computation than SqueezeNet 1.0".

Table 1 prints a 227x227 input (conv1 111x111, then 55, 27, 13); at the default 224 conv1 of 1.0 is 109x109,
then 54, 27, 13, as in torchvision. Paper and torchvision agree on the layers: no ``variant``.
"""
from __future__ import annotations

from typing import Any

from ..graph import Graph, Tensor
from ..ops import Concat, Conv2d, Flatten, GlobalAvgPool, MaxPool2d, ReLU
from .common import check_size, conv_bn_act
from .registry import register

# fire modules (squeeze, expand 1x1, expand 3x3), numbered as the paper's rows fire2 ... fire9
FIRES = ((16, 64, 64), (16, 64, 64), (32, 128, 128), (32, 128, 128),
         (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256))


def fire(g: Graph, name: str, x: Tensor, squeeze: Any, expand1x1: Any, expand3x3: Any) -> Tensor:
    """The fire module ``name``: squeeze 1x1 + ReLU, expand 1x1 + ReLU and expand 3x3 + ReLU, concatenated."""
    with g.scope(name):
        s = conv_bn_act(g, "squeeze1x1", x, squeeze, kernel=1, bias=True, bn=False)
        left = conv_bn_act(g, "expand1x1", s, expand1x1, kernel=1, bias=True, bn=False)
        right = conv_bn_act(g, "expand3x3", s, expand3x3, kernel=3, bias=True, bn=False)
        return g.add("concat", Concat(), left, right)


def squeezenet(name: str, resolution: Any, classes: Any, conv1: tuple, pools_after: tuple) -> Graph:
    """conv1 ``(channels, kernel)`` with stride 2, 3x3/2 ceil-mode max pools after conv1 and after the fire
    modules numbered ``pools_after``, fire2 ... fire9, conv10 and the global average pool."""
    check_size(name, resolution)
    g = Graph(name, (3, resolution, resolution))
    channels, kernel = conv1
    with g.stage("conv1"):
        x = conv_bn_act(g, "conv1", g.input, channels, kernel=kernel, stride=2, padding=0, bias=True, bn=False)
    x = g.add("maxpool1", MaxPool2d(3, stride=2, ceil_mode=True), x)
    for number, widths in enumerate(FIRES, start=2):
        x = fire(g, f"fire{number}", x, *widths)
        if number in pools_after:
            x = g.add(f"maxpool{number}", MaxPool2d(3, stride=2, ceil_mode=True), x)
    with g.stage("conv10"):
        x = g.add("conv10", Conv2d(classes, kernel=1, bias=True), x)
        x = g.add("conv10_relu", ReLU(), x)
    with g.stage("avgpool10"):
        x = g.add("avgpool10", GlobalAvgPool(), x)
        g.add("flatten", Flatten(), x)
    return g


@register("squeezenet1_0", source="Iandola et al. 2016, Table 1; torchvision squeezenet1_0",
          resolution=224, classes=1000)
def squeezenet1_0(resolution, classes) -> Graph:
    """SqueezeNet 1.0: conv1 7x7/2 96, eight fire modules, conv10 (Iandola et al. 2016, Table 1).

    Max pools after conv1, fire4 and fire8; 1,248,424 parameters (torchvision), the 4.8 MB of 32-bit
    weights of the paper's Table 2.
    """
    return squeezenet("squeezenet1_0", resolution, classes, conv1=(96, 7), pools_after=(4, 8))


@register("squeezenet1_1", source="forresti/SqueezeNet README (SqueezeNet v1.1); torchvision squeezenet1_1",
          resolution=224, classes=1000)
def squeezenet1_1(resolution, classes) -> Graph:
    """SqueezeNet 1.1: conv1 3x3/2 64, pools moved earlier, 2.4x less computation (official README).

    Max pools after conv1, fire3 and fire5; the fire modules of 1.0.
    """
    return squeezenet("squeezenet1_1", resolution, classes, conv1=(64, 3), pools_after=(3, 5))
