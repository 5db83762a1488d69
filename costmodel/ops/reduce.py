"""Reductions: GlobalMaxPool, and ReduceMean and ReduceL2 over any axes.

None is counted in ``flops`` under ``paper``; under ``all`` each costs one step (a comparison or an
addition) per input element. mac: input + output. A mean over H and W of ``[C, H, W]`` is a
``GlobalAvgPool``, which costs the same.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..dims import fmt
from .base import Ints, Op, numel
from .pool import GlobalAvgPool
from .registry import op_kind
from .tensor import axis_of, whole_numbers


@op_kind("global_max_pool")
@dataclass(frozen=True)
class GlobalMaxPool(GlobalAvgPool):
    """Maximum over H and W: ``[C, H, W] -> [C, 1, 1]``. ``all``: one comparison per input element (the
    shape, cost and receptive-field rules of ``GlobalAvgPool``)."""



@op_kind("reduce_mean")
@dataclass(frozen=True)
class ReduceMean(Op):
    """Mean over ``axes`` (null: every axis); ``keepdims`` keeps them as size 1, else they are removed.

    * params 0; multiply-adds 0 under ``paper``, under ``all`` one addition per input element
    * mac: input + output
    """

    axes: Ints | None = None
    keepdims: bool = True

    category = "pool"

    def __post_init__(self):
        whole_numbers(self, "axes", self.axes, allow_none=True)
        self._flag("keepdims")

    def output_shapes(self, inputs):
        shape = inputs[0]
        axes = range(len(shape)) if self.axes is None else [axis_of(self, "axes", a, len(shape)) for a in self.axes]
        reduced = set(axes)
        if self.keepdims:
            return (tuple(1 if i in reduced else d for i, d in enumerate(shape)),)
        kept = tuple(d for i, d in enumerate(shape) if i not in reduced)
        if not kept:
            raise self.fail("keepdims", f"must be true when every axis of input {fmt(shape)} is reduced "
                                        f"(a per-sample scalar has no shape)")
        return (kept,)

    def multiply_adds(self, inputs, outputs):
        return numel(inputs[0])


@op_kind("reduce_l2")
@dataclass(frozen=True)
class ReduceL2(ReduceMean):
    """Euclidean norm over ``axes`` (null: every axis), ``sqrt(sum(x^2))``, as in ``F.normalize`` (Swin v2's
    cosine attention); ``keepdims`` keeps them as size 1.

    * params 0; multiply-adds 0 under ``paper``, under ``all`` one (a square accumulated) per input element
    * mac: input + output
    """
