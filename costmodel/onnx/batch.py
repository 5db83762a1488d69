"""Where the batch lives in an activation's ONNX shape: the ``Layout`` of each imported value.

The IR counts per sample and scales by the batch N, so an activation is kept as its per-sample shape (the IR
Tensor's) and a layout saying how the ONNX shape holds N. Convolutional exports keep N first
(``STANDARD``: ONNX ``[N, *shape]``). Attention moves and merges it: ``nn.MultiheadAttention`` transposes
``[N, L, E]`` to ``[L, N, E]`` and reshapes that to ``[L, N*heads, head_dim]``; Swin's window partition
reshapes ``[N, H, W, C]`` to ``[N*windows, w*w, C]``. A ``Placement`` states where N is:

* ``Placement(j)``: ONNX axis ``j`` is N itself, absent from the per-sample shape
  (``[L, N, E]`` is the per-sample ``[L, E]`` with N at axis 1);
* ``Placement(j, inner=m, merged=True)``: ONNX axis ``j`` has size ``a*N*m`` where the per-sample shape has
  ``a*m``: N is a factor of that axis with ``m`` per-sample elements below it (``[N*heads, L, d]`` is the
  per-sample ``[heads, L, d]`` with N the outer factor of axis 0, ``inner = heads``; ``[L*N, E]`` after
  ``[L, N, E]`` has ``inner = 1``). The per-sample shape keeps the ONNX rank.

Either way the elements of one sample, in row-major order, are the per-sample tensor in row-major order, so an
ONNX op that keeps each sample's elements apart is the same IR op on the per-sample shape: a Reshape is a view
of it, a Transpose permutes it, a MatMul multiplies it, and the counts per sample times N are the ONNX op's.
An op that would mix samples (a Softmax or a reduction along the axis holding N, a MatMul contracting it, a
Reshape that splits N) is refused.

Reshape finds where N goes by its stride: in the flat order of the input, N has ``A`` per-sample elements
outside it and ``S`` inside (``S = m * prod(sizes after j)``); in the target it must again have ``A`` outside
and ``S`` inside, which holds at one axis at most when N > 1 or is a symbol. With a batch of 1 (every static
export) several axes may fit, and each gives the same counts; the layout keeps them all as candidates (the
first is shown), the own-axis ones preferred, and later ops drop the candidates they cannot take (a Gemm needs
N out of the contracted axis). A symbolic batch is found in the exporter's shape arithmetic, which carries it.

``FREE`` is a value with no batch at all: a tensor computed from constants only (Swin v2's
relative-position MLP on its coordinate table), costed once per batch (``costmodel.ops.Constant`` is its
source in the IR).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..dims import fmt, product


class LayoutError(Exception):
    """An op on an activation would mix the samples of a batch (the importer reports it as unsupported)."""


@dataclass(frozen=True)
class Placement:
    """N at ONNX axis ``axis``: the axis itself, or (``merged``) a factor of it with ``inner`` per-sample
    elements below it."""

    axis: int
    inner: Any = 1
    merged: bool = False

    def describe(self) -> str:
        if not self.merged:
            return f"axis {self.axis}"
        return f"axis {self.axis} (merged{'' if self.inner == 1 else f', {fmt(self.inner)} per-sample elements below it'})"

    def strides(self, shape: tuple) -> tuple:
        """``(A, S)``: per-sample elements outside N and inside it in the flat order, for per-sample ``shape``."""
        j = self.axis
        if not self.merged:
            return product(shape[:j]), product(shape[j:])
        return product(shape[:j]) * _whole(shape[j], self.inner), self.inner * product(shape[j + 1:])


@dataclass(frozen=True)
class Layout:
    """How an activation's ONNX shape holds the batch: candidate placements (see the module docstring), all
    giving the same per-sample shape; none for a batch-free value."""

    placements: tuple = (Placement(0),)

    @property
    def free(self) -> bool:
        return not self.placements

    @property
    def standard(self) -> bool:
        return self.placements == (Placement(0),)

    @property
    def merged(self) -> bool:
        return bool(self.placements) and self.placements[0].merged

    def describe(self) -> str:
        if self.free:
            return "no batch axis (computed from constants only)"
        return "the batch at " + " or ".join(p.describe() for p in self.placements)

    # ----- shapes ---------------------------------------------------------------------------------------------
    def rank(self, shape: tuple) -> int:
        """The ONNX rank of an activation of per-sample ``shape``."""
        return len(shape) + (0 if self.free or self.merged else 1)

    def onnx_shape(self, shape: tuple, batch) -> tuple:
        """The ONNX shape of an activation of per-sample ``shape``."""
        shape = tuple(shape)
        if self.free:
            return shape
        p = self.placements[0]
        if p.merged:
            return shape[:p.axis] + (batch * shape[p.axis],) + shape[p.axis + 1:]
        return shape[:p.axis] + (batch,) + shape[p.axis:]

    def sample_shape(self, onnx_shape: tuple, batch) -> tuple:
        """The per-sample shape of an activation of ``onnx_shape`` (the inverse of ``onnx_shape``)."""
        onnx_shape = tuple(onnx_shape)
        if self.free:
            return onnx_shape
        p = self.placements[0]
        if p.merged:
            return onnx_shape[:p.axis] + (_whole(onnx_shape[p.axis], batch),) + onnx_shape[p.axis + 1:]
        return onnx_shape[:p.axis] + onnx_shape[p.axis + 1:]

    def sample_axis(self, axis: int) -> int:
        """A non-negative ONNX axis as a per-sample axis; it must not be the batch's own axis."""
        if self.free or self.merged:
            return axis
        own = self.placements[0].axis
        if axis == own:
            raise LayoutError(f"axis {axis} is the batch axis")
        return axis - (axis > own)

    # ----- what ops keep --------------------------------------------------------------------------------------
    def avoiding(self, axes, what: str) -> "Layout":
        """The candidates that keep N out of the non-negative ONNX ``axes`` (those an op reduces, contracts,
        slices or normalises); none left is an error naming ``what``."""
        axes = set(axes)
        kept = tuple(p for p in self.placements if p.axis not in axes)
        if self.placements and not kept:
            listed = ", ".join(map(str, sorted(axes)))
            raise LayoutError(f"{what} runs along axis {listed}, which holds {self.describe()}: that would mix the "
                              f"samples of a batch")
        return replace(self, placements=kept) if kept != self.placements else self

    def meet(self, other: "Layout", what: str) -> "Layout":
        """The layout of an element-wise result of two activations (same ONNX rank): the candidates both
        share; a batch-free operand takes the other's."""
        if self.free:
            return other
        if other.free:
            return self
        shared = tuple(p for p in self.placements if p in other.placements)
        if not shared:
            raise LayoutError(f"{what}: the operands hold the batch differently ({self.describe()} and "
                              f"{other.describe()})")
        return Layout(shared)

    def transposed(self, perm: tuple) -> tuple:
        """``(per-sample perm, layout)`` after ONNX Transpose ``perm``."""
        if self.free:
            return tuple(perm), self
        layout = Layout(tuple(replace(p, axis=list(perm).index(p.axis)) for p in self.placements))
        if self.merged:
            return tuple(perm), layout
        own = self.placements[0].axis
        return tuple(a - (a > own) for a in perm if a != own), layout

    def unsqueezed(self, inserted: list, rank: int) -> "Layout":
        """The layout after inserting axes at the (non-negative, output) positions ``inserted``."""
        if self.free:
            return self
        kept = [i for i in range(rank) if i not in set(inserted)]
        return Layout(tuple(replace(p, axis=kept[p.axis]) for p in self.placements))

    def squeezed(self, removed: set) -> "Layout":
        """The layout after removing the (non-negative, size-1, non-batch) ONNX axes ``removed``."""
        if self.free:
            return self
        return Layout(tuple(replace(p, axis=p.axis - sum(1 for r in removed if r < p.axis))
                            for p in self.placements))

    def reshaped(self, shape: tuple, target: tuple, batch) -> "Layout":
        """The layout of per-sample ``shape`` reshaped to the ONNX ``target`` (0 and -1 already resolved):
        N keeps its stride (see the module docstring). Refuses a target where it cannot."""
        if self.free:
            return self
        found: list = []
        for p in self.placements:
            outside, inside = p.strides(shape)
            for j, size in enumerate(target):
                a = _whole(outside, product(target[:j]))
                m = _whole(inside, product(target[j + 1:]))
                if a is None or m is None or not _equal(size, a * batch * m) or _mentions(a, batch) \
                        or _mentions(m, batch):
                    continue
                candidate = Placement(j) if _is_one(a) and _is_one(m) else Placement(j, m, True)
                if candidate not in found:
                    found.append(candidate)
        own = [p for p in found if not p.merged]
        chosen = tuple(own[:1]) if own else tuple(found)
        if not chosen:
            raise LayoutError(f"the target {fmt(tuple(target))} splits or reorders the batch "
                              f"({self.describe()} of {fmt(self.onnx_shape(shape, batch))})")
        if len(chosen) > 1 and not (isinstance(batch, int) and batch == 1):
            raise LayoutError(f"the target {fmt(tuple(target))} could hold the batch at more than one axis")
        return Layout(chosen)


STANDARD = Layout()
FREE = Layout(())


def _symbolic(*values) -> bool:
    return any(not isinstance(v, int) for v in values)


def _whole(numerator, denominator):
    """``numerator / denominator`` when it is a whole size (an int at least 1, or an expression with a
    constant denominator that is not provably below 1), else None."""
    if not _symbolic(numerator, denominator):
        if denominator <= 0 or numerator % denominator:
            return None
        return numerator // denominator
    import sympy

    ratio = sympy.cancel(sympy.sympify(numerator) / denominator)
    _, below = sympy.fraction(ratio)
    if below.free_symbols or (ratio.is_number and (not ratio.is_integer or ratio < 1)):
        return None
    return int(ratio) if ratio.is_Integer else ratio


def _equal(a, b) -> bool:
    if not _symbolic(a, b):
        return a == b
    import sympy

    return sympy.expand(sympy.sympify(a) - b) == 0


def _is_one(value) -> bool:
    return isinstance(value, int) and value == 1 or getattr(value, "is_one", False) is True


def _mentions(value, batch) -> bool:
    """Whether a per-sample size would depend on the (symbolic) batch: then it is not per sample."""
    return bool(getattr(batch, "free_symbols", None)) and bool(getattr(value, "free_symbols", set()) &
                                                                batch.free_symbols)
