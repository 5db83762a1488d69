"""The ops of the IR, one family per module; each op is a frozen dataclass with its rules beside it.

``OPS`` maps each op's ``kind`` (the name used in spec files and JSON) to its class, in the order the classes
registered (the order of the modules imported below, then of the classes in each).

Adding an op is one class in one file, and that file's module imported below:

1. Write a frozen dataclass subclassing ``Op`` (or ``Activation``, ``PerElement``
   from ``costmodel.ops.elementwise``), decorated ``@op_kind("my_op")`` above ``@dataclass(frozen=True)``: that is its
   ``kind`` (a second class with a taken kind is refused at import).
2. Annotate its fields (hyper-parameters) with their types: ``bool``, ``str`` or a ``Literal`` of texts,
   ``float``, or a size (``int``, ``Size``, ``SizePair``, ``Sizes``, ``Ints`` of ``costmodel.ops.base``), optionally
   ``| None``;
   the spec builder reads them.
3. State its facts as class attributes: ``category`` (one of ``base.CATEGORIES``; it also gives the op's
   row in op tables, unless ``table_class`` is overridden), ``counted_in_paper``, and for fusion
   ``fusion_role`` and ``absorbs`` (``base.FUSION_ROLES``); then its shape and cost rules (see ``costmodel.ops.base``).
4. Import the module here. docs/spec.md lists every op kind with its hyper-parameters (a test checks it).
"""
# importing a module registers its ops; this order (not alphabetical) is the order of OPS
from . import conv, pool, linear, elementwise, movement  # noqa: F401  isort: skip
from . import matmul, einsum, normalization, tensor, activations_more, arithmetic, reduce, constant  # noqa: F401  isort: skip
from . import imported  # noqa: F401  isort: skip
from .activations_more import GELU, Clip, Erf, PReLU, Softmax, Tanh
from .arithmetic import BiasAdd, Div, LayerScale, Sub
from .base import Op, ReceptiveField
from .constant import Constant
from .conv import Conv2d, ConvTranspose2d, DeformableConv2d, depthwise
from .imported import ConstantArithmetic
from .elementwise import (Activation, Add, BatchNorm, HardSigmoid, HardSwish, LeakyReLU, LocalResponseNorm, Mul,
                          PerElement, ReLU, ReLU6, Sigmoid, Swish)
from .einsum import Einsum
from .linear import Linear
from .matmul import MatMul
from .movement import ChannelShuffle, Concat, Flatten, Identity, Shift, Split, Upsample
from .normalization import GroupNorm, InstanceNorm, LayerNorm
from .pool import AvgPool2d, GlobalAvgPool, MaxPool2d, MaxUnpool2d
from .reduce import GlobalMaxPool, ReduceL2, ReduceMean
from .registry import OPS, op_kind
from .tensor import Expand, Gather, Pad, Reshape, Slice, Squeeze, Transpose, Unsqueeze

__all__ = ["OPS", "op_kind", "ReceptiveField", "Op", "Activation", "PerElement", "Conv2d", "ConvTranspose2d",
           "DeformableConv2d", "depthwise", "MaxPool2d", "AvgPool2d", "GlobalAvgPool", "MaxUnpool2d", "Linear",
           "BatchNorm", "LocalResponseNorm", "ReLU", "ReLU6", "LeakyReLU", "Sigmoid", "Swish", "HardSigmoid",
           "HardSwish", "Add", "Mul", "Concat", "Split", "ChannelShuffle", "Flatten", "Upsample", "Shift", "Identity",
           "MatMul", "Einsum", "LayerNorm", "InstanceNorm", "GroupNorm", "GELU", "Tanh", "Erf", "Softmax", "PReLU", "Clip", "Sub",
           "Div", "LayerScale", "BiasAdd", "Transpose", "Reshape", "Squeeze", "Unsqueeze", "Pad", "Slice",
           "Gather", "Expand", "GlobalMaxPool", "ReduceMean", "ReduceL2", "Constant", "ConstantArithmetic"]
