"""Ops that imported models have: ``Opaque``, a node of an op type we cannot cost (never in a spec), and
``ConstantArithmetic``, arithmetic with a fixed constant."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..dims import Shape
from .base import Op, Sizes
from .registry import op_kind
from .tensor import sizes


@dataclass(frozen=True)
class Opaque(Op):
    """A node of an imported model whose op we do not model (counted only when the user allows it).

    * output: the shapes the model file declares
    * params and multiply-adds: 0 under both conventions
    * mac: inputs read plus outputs written
    """

    op_type: str
    shapes: tuple[Shape, ...]

    kind = "unknown"
    category = "other"
    min_inputs = 0
    max_inputs = None
    multiple_outputs = True

    def output_shapes(self, inputs):
        return self.shapes


@op_kind("constant_arithmetic")
@dataclass(frozen=True)
class ConstantArithmetic(Op):
    """``x (op) c`` with a fixed constant ``c`` of ``shape`` (a number: ``[]``, or a tensor that is not learned,
    broadcast over ``x``), as in an imported ``x * 0.5``, ``x / 8`` or an attention mask added to the scores:
    ``operation`` is add, sub, mul or div.

    * output: ``x``'s shape; params 0
    * multiply-adds: 0 under ``paper``, 1 per output element under ``all``
    * mac: input + output
    """

    operation: Literal["add", "sub", "mul", "div"]
    shape: Sizes = ()

    category = "elementwise"

    def __post_init__(self):
        if self.operation not in ("add", "sub", "mul", "div"):
            raise self.fail("operation", f"must be add, sub, mul or div, got {self.operation!r}")
        sizes(self, "shape", self.shape)

    def multiply_adds(self, inputs, outputs):
        from .base import numel

        return numel(outputs[0])
