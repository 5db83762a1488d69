"""The ops of the IR, one family per module; each op is a frozen dataclass with its rules beside it.

``OPS`` maps each op's ``kind`` (the name used in spec files and JSON) to its class.
"""
from .base import Field, Op
from .conv import Conv2d, ConvTranspose2d, DeformableConv2d, depthwise
from .elementwise import (Add, BatchNorm, HardSigmoid, HardSwish, LeakyReLU, LocalResponseNorm, Mul, ReLU, ReLU6,
                          Sigmoid, Swish)
from .linear import Linear
from .movement import ChannelShuffle, Concat, Flatten, Identity, Shift, Split, Upsample
from .pool import AvgPool2d, GlobalAvgPool, MaxPool2d, MaxUnpool2d

OPS: dict[str, type[Op]] = {cls.kind: cls for cls in (
    Conv2d, ConvTranspose2d, DeformableConv2d, MaxPool2d, AvgPool2d, GlobalAvgPool, MaxUnpool2d, Linear,
    BatchNorm, LocalResponseNorm, ReLU, ReLU6, LeakyReLU, Sigmoid, Swish, HardSigmoid, HardSwish, Add, Mul, Concat, Split,
    ChannelShuffle, Flatten, Upsample, Shift, Identity)}

__all__ = ["OPS", "Field", "Op", "Conv2d", "ConvTranspose2d", "DeformableConv2d", "depthwise", "MaxPool2d",
           "AvgPool2d", "GlobalAvgPool", "MaxUnpool2d", "Linear", "BatchNorm", "LocalResponseNorm", "ReLU", "ReLU6", "LeakyReLU",
           "Sigmoid", "Swish", "HardSigmoid", "HardSwish", "Add", "Mul", "Concat", "Split", "ChannelShuffle",
           "Flatten", "Upsample", "Shift", "Identity"]
