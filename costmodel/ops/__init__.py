"""The ops of the IR, one family per module; each op is a frozen dataclass with its rules beside it.

``OPS`` maps each op's ``kind`` (the name used in spec files and JSON) to its class.
"""
from .base import Field, Op
from .conv import Conv2d, ConvTranspose2d, DeformableConv2d, depthwise
from .elementwise import (Add, BatchNorm, HardSigmoid, HardSwish, LeakyReLU, LocalResponseNorm, Mul, ReLU, ReLU6,
                          Sigmoid, Swish)
from .activations_more import GELU, Clip, Erf, PReLU, Softmax, Tanh
from .arithmetic import BiasAdd, Div, LayerScale, Sub
from .linear import Linear
from .matmul import MatMul
from .movement import ChannelShuffle, Concat, Flatten, Identity, Shift, Split, Upsample
from .normalization import GroupNorm, InstanceNorm, LayerNorm
from .pool import AvgPool2d, GlobalAvgPool, MaxPool2d, MaxUnpool2d
from .reduce import GlobalMaxPool, ReduceMean
from .tensor import Pad, Reshape, Slice, Squeeze, Transpose, Unsqueeze

OPS: dict[str, type[Op]] = {cls.kind: cls for cls in (
    Conv2d, ConvTranspose2d, DeformableConv2d, MaxPool2d, AvgPool2d, GlobalAvgPool, MaxUnpool2d, Linear,
    BatchNorm, LocalResponseNorm, ReLU, ReLU6, LeakyReLU, Sigmoid, Swish, HardSigmoid, HardSwish, Add, Mul, Concat, Split,
    ChannelShuffle, Flatten, Upsample, Shift, Identity,
    MatMul, LayerNorm, InstanceNorm, GroupNorm, GELU, Tanh, Erf, Softmax, PReLU, Clip, Sub, Div, LayerScale,
    BiasAdd, Transpose, Reshape, Squeeze, Unsqueeze, Pad, Slice, GlobalMaxPool, ReduceMean)}

__all__ = ["OPS", "Field", "Op", "Conv2d", "ConvTranspose2d", "DeformableConv2d", "depthwise", "MaxPool2d",
           "AvgPool2d", "GlobalAvgPool", "MaxUnpool2d", "Linear", "BatchNorm", "LocalResponseNorm", "ReLU", "ReLU6", "LeakyReLU",
           "Sigmoid", "Swish", "HardSigmoid", "HardSwish", "Add", "Mul", "Concat", "Split", "ChannelShuffle",
           "Flatten", "Upsample", "Shift", "Identity", "MatMul", "LayerNorm", "InstanceNorm", "GroupNorm", "GELU",
           "Tanh", "Erf", "Softmax", "PReLU", "Clip", "Sub", "Div", "LayerScale", "BiasAdd", "Transpose", "Reshape",
           "Squeeze", "Unsqueeze", "Pad", "Slice", "GlobalMaxPool", "ReduceMean"]
