"""Batched matrix product of two activations (attention's ``Q·Kᵀ`` and ``A·V``).

A product with a constant (learned) operand is a ``Linear`` layer instead.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..dims import broadcast, fmt, product, surely_different
from .base import Op
from .registry import op_kind


def broadcast_batch(op: Op, left: tuple, right: tuple) -> tuple:
    """The batch axes of a matmul: right-aligned, equal sizes or a 1 that stretches (NumPy's rule)."""
    result = broadcast(left, right)
    if result is None:
        rank = max(len(left), len(right))
        left, right = ((1,) * (rank - len(s)) + tuple(s) for s in (left, right))
        raise op.fail("inputs", f"batch axes must match (or be 1 to broadcast), got {fmt(left)} and {fmt(right)}")
    return result


@op_kind("matmul")
@dataclass(frozen=True)
class MatMul(Op):
    """``[.., M, K] x [.., K, N] -> [.., M, N]`` (ONNX MatMul, ``torch.matmul``), batch axes broadcast.

    A rank-1 left operand ``[K]`` is a row (``M`` dropped from the output), a rank-1 right operand ``[K]``
    a column (``N`` dropped), as in NumPy.

    * params 0 (both operands are activations)
    * multiply-adds: ``batch*M*K*N``, ``batch`` the product of the broadcast batch axes; counted under
      ``paper`` as well (a product of activations is the same arithmetic as a fully connected layer)
    * mac: both inputs + output
    """

    category = "matmul"
    counted_in_paper = True
    min_inputs = 2
    max_inputs = 2

    def _operands(self, inputs):
        left, right = inputs
        if not left or not right:
            raise self.fail("inputs", f"must have at least one axis, got {fmt(left)} and {fmt(right)}")
        matrix_left = (1,) + tuple(left) if len(left) == 1 else tuple(left)
        matrix_right = tuple(right) + (1,) if len(right) == 1 else tuple(right)
        if surely_different(matrix_left[-1], matrix_right[-2]):
            raise self.fail("inputs", f"inner sizes must match ([.., M, K] x [.., K, N]), got {fmt(tuple(left))} "
                                      f"and {fmt(tuple(right))}: {fmt(matrix_left[-1])} != {fmt(matrix_right[-2])}")
        batch = broadcast_batch(self, matrix_left[:-2], matrix_right[:-2])
        return batch, matrix_left[-2], matrix_left[-1], matrix_right[-1]

    def output_shapes(self, inputs):
        batch, m, _, n = self._operands(inputs)
        left, right = inputs
        shape = batch + ((m,) if len(left) > 1 else ()) + ((n,) if len(right) > 1 else ())
        if not shape:
            raise self.fail("inputs", f"of rank 1 each give a scalar, got {fmt(tuple(left))} and {fmt(tuple(right))}")
        return (shape,)

    def multiply_adds(self, inputs, outputs):
        batch, m, k, n = self._operands(inputs)
        return product(batch) * m * k * n
