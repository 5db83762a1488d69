"""Einsum of two activations: a contraction written as index letters (attention's ``Q·Kᵀ`` and ``A·V`` in
MaxViT's export), costed as the batched matrix product it is."""
from __future__ import annotations

from dataclasses import dataclass

from ..dims import fmt, product, surely_different
from .base import Op
from .registry import op_kind


def parse_equation(op: Op, equation: str) -> tuple[tuple[str, ...], str]:
    """``"ij,jk->ik"`` as its operand index strings and its output index string (spaces ignored)."""
    if not isinstance(equation, str):
        raise op.fail("equation", f"must be a string such as 'ij,jk->ik', got {equation!r}")
    text = equation.replace(" ", "")
    if text.count("->") != 1:
        raise op.fail("equation", f"must name its output after '->' (as in 'ij,jk->ik'), got {equation!r}")
    left, output = text.split("->")
    operands = tuple(left.split(","))
    for indices in (*operands, output):
        if not indices.isalpha() or not indices.isascii():
            raise op.fail("equation", f"must use letters only (no '...'), got {equation!r}")
        if len(set(indices)) != len(indices):
            raise op.fail("equation", f"repeats an index within one term ({indices!r}, a diagonal), which is not "
                                      f"supported, in {equation!r}")
    missing = set(output) - set("".join(operands))
    if missing:
        raise op.fail("equation", f"output indices {''.join(sorted(missing))!r} appear in no operand of "
                                  f"{equation!r}")
    return operands, output


@op_kind("einsum")
@dataclass(frozen=True)
class Einsum(Op):
    """Contraction of two tensors by index letters (``"hid,hjd->hij"``), per sample.

    * shape: the output indices' sizes; an index shared by both operands must have one size
    * params 0 (both operands are activations)
    * multiply-adds: the product of the sizes of all distinct indices (each output element sums the products
      over the contracted indices), e.g. ``h*i*j*d`` for ``hid,hjd->hij``: that of the batched matrix product
      it is; counted under ``paper`` as well, as ``MatMul`` is
    * mac: both inputs + output
    """

    equation: str = "hid,hjd->hij"  # attention's scores Q·Kᵀ, per head

    category = "matmul"
    counted_in_paper = True
    min_inputs = 2
    max_inputs = 2

    def __post_init__(self):
        operands, _ = parse_equation(self, self.equation)
        if len(operands) != 2:
            raise self.fail("equation", f"must have two operands, got {len(operands)} in {self.equation!r}")

    def _sizes(self, inputs) -> dict:
        operands, _ = parse_equation(self, self.equation)
        sizes: dict = {}
        for indices, shape in zip(operands, inputs):
            if len(indices) != len(shape):
                raise self.fail("inputs", f"operand {indices!r} of {self.equation!r} needs {len(indices)} axes, got "
                                          f"{fmt(tuple(shape))}")
            for letter, size in zip(indices, shape):
                if letter in sizes and surely_different(sizes[letter], size):
                    raise self.fail("inputs", f"index {letter!r} of {self.equation!r} has sizes {fmt(sizes[letter])} "
                                              f"and {fmt(size)} in {fmt(tuple(inputs[0]))} and {fmt(tuple(inputs[1]))}")
                sizes.setdefault(letter, size)
        return sizes

    def output_shapes(self, inputs):
        _, output = parse_equation(self, self.equation)
        sizes = self._sizes(inputs)
        if not output:
            raise self.fail("equation", f"gives a scalar per sample ({self.equation!r}), which is not supported")
        return (tuple(sizes[letter] for letter in output),)

    def multiply_adds(self, inputs, outputs):
        return product(self._sizes(inputs).values())
