"""Ops that only imported models have: :class:`Opaque`, a node of an op type we cannot cost."""
from __future__ import annotations

from dataclasses import dataclass

from ..dims import Shape
from .base import Op


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
