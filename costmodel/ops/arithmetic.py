"""Element-wise arithmetic beyond Add and Mul: Sub and Div of two tensors, and the learned LayerScale
(``x * gamma``) and BiasAdd (``x + beta``).

None is counted in ``flops`` under ``paper``; under ``all`` each costs 1 per output element. Sub and Div
broadcast as Add and Mul do (same rank, a 1 stretches); LayerScale and BiasAdd hold a learned tensor of
``shape`` that is right-aligned on the input and broadcast over it (``[C, 1, 1]`` per channel of a
``[C, H, W]`` map, ``[C]`` over a channels-last ``[H, W, C]`` or a ``[tokens, C]`` input).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..dims import fmt, surely_different
from .base import Op, Sizes, numel
from .elementwise import Add
from .registry import op_kind
from .tensor import positive_sizes


@op_kind("sub")
@dataclass(frozen=True)
class Sub(Add):
    """Element-wise difference ``a - b`` of two tensors, broadcasting a 1. ``all``: 1 per output element."""

    max_inputs = 2


@op_kind("div")
@dataclass(frozen=True)
class Div(Add):
    """Element-wise quotient ``a / b`` of two tensors, broadcasting a 1. ``all``: 1 per output element."""

    max_inputs = 2


@op_kind("layer_scale")
@dataclass(frozen=True)
class LayerScale(Op):
    """``x * gamma`` with a learned ``gamma`` of ``shape`` broadcast over ``x`` (CaiT's and ConvNeXt's
    layer scale, a per-channel scale).

    * shape: ``x``'s (``shape`` right-aligned on it, each size equal to ``x``'s or 1)
    * params: ``numel(shape)``
    * multiply-adds: 0 under ``paper``, ``numel(x)`` under ``all``
    * mac: input + output + params
    """

    shape: Sizes

    category = "elementwise"

    def __post_init__(self):
        positive_sizes(self, "shape", self.shape)

    def output_shapes(self, inputs):
        x = inputs[0]
        if len(self.shape) > len(x):
            raise self.fail("shape", f"must not have more axes than the input, got {fmt(self.shape)} for input "
                                     f"{fmt(x)}")
        for size, target in zip(self.shape[::-1], x[::-1]):
            if not (isinstance(size, int) and size == 1) and surely_different(size, target):
                raise self.fail("shape", f"must broadcast to the input (right-aligned, each size equal or 1), "
                                         f"got {fmt(self.shape)} for input {fmt(x)}")
        return (x,)

    def params(self, inputs):
        return numel(self.shape)

    def multiply_adds(self, inputs, outputs):
        return numel(outputs[0])


@op_kind("bias_add")
@dataclass(frozen=True)
class BiasAdd(LayerScale):
    """``x + beta`` with a learned ``beta`` of ``shape`` broadcast over ``x`` (an ONNX Add of a constant).

    * shape: ``x``'s; params ``numel(shape)``; multiply-adds 0 under ``paper``, ``numel(x)`` under ``all``
    * mac: input + output + params
    """

