"""Folding of constant tensors beyond shape arithmetic: the masks, index grids and scales exporters compute
from fixed shapes and parameters (Swin's shifted-window mask: ConstantOfShape, ScatterND, Equal, Not, Where;
Swin v2's clamped and exponentiated logit scale; ViT's class token expanded to the batch).

Values are kept when the result has at most ``costmodel.onnx.wire.SMALL_TENSOR`` elements, else only
the shape: no op that costs anything needs the values of a large constant.
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction

from ..dims import broadcast, fmt
from . import wire
from .folding import _broadcast, _const, _values, elementwise
from .importer import Const, NodeContext, Unsupported, folds


def expanded_shape(shape: tuple, target: tuple) -> tuple:
    """``shape`` expanded to ``target`` (Expand's rule, NumPy's broadcast: either size may be 1)."""
    result = broadcast(shape, target)
    if result is None:
        raise Unsupported(f"shape {fmt(tuple(shape))} cannot be expanded to {fmt(tuple(target))}")
    return result


@folds("Expand")
def expand(ctx: NodeContext) -> None:
    """Expand of a constant: its values broadcast to the shape; a learned tensor stays learned (ViT's class
    token expanded to ``[N, 1, E]``, N possibly a symbol)."""
    data = ctx.const(0, "input")
    shape = expanded_shape(tuple(data.shape), tuple(_values(ctx, 1, "shape")))
    if any(not isinstance(d, int) for d in shape):   # the batch: a symbolic size, no values kept
        ctx.output(Const(shape, data.dtype, None, data.initializer, data.source))
        return
    folded = _const(elementwise([data], shape, lambda v: v), shape, data.dtype)
    ctx.output(Const(folded.shape, folded.dtype, folded.values, data.initializer, data.source))


@folds("ScatterND")
def scatter_nd(ctx: NodeContext) -> None:
    """ScatterND of constants (a mask filled region by region): the data's shape, values not kept."""
    data = ctx.const(0, "data")
    ctx.const(1, "indices")
    ctx.const(2, "updates")
    ctx.output(Const(tuple(data.shape), data.dtype, None))


@folds("Not")
def not_(ctx: NodeContext) -> None:
    """Not of a constant."""
    data = ctx.const(0, "X")
    ctx.output(_const(elementwise([data], tuple(data.shape), lambda v: not v), tuple(data.shape), wire.BOOL))


def _float(value):
    return float(value) if isinstance(value, (int, Fraction)) else value


def _number(value, what: str):
    if not isinstance(value, (int, float, Fraction)) or isinstance(value, bool):
        raise Unsupported(f"{what} of {value!r} (a symbolic size) cannot be folded")
    return value


@folds("Exp")
def exp(ctx: NodeContext) -> None:
    """Exp of a constant (Swin v2's logit scale)."""
    data = ctx.const(0, "input")
    values = elementwise([data], tuple(data.shape), lambda v: math.exp(_float(_number(v, "Exp"))))
    ctx.output(_const(values, tuple(data.shape), data.dtype))


@folds("Pow")
def pow_(ctx: NodeContext) -> None:
    """Pow of constants (a head size to the power -1/2)."""
    base, exponent = ctx.const(0, "X"), ctx.const(1, "Y")
    shape = _broadcast(base, exponent)

    def power(x, y):
        x, y = _number(x, "Pow"), _number(y, "Pow")
        if x == 0 and y < 0:
            raise Unsupported("Pow of 0 to a negative power")
        if x < 0 and not float(y).is_integer():
            raise Unsupported(f"Pow of the negative {x} to the fraction {y}")
        return _float(x) ** _float(y)
    ctx.output(_const(elementwise([base, exponent], shape, power), shape, base.dtype))


@folds("Clip")
def clip(ctx: NodeContext) -> None:
    """Clip of a constant (bounds are attributes before opset 11, inputs from it)."""
    data = ctx.const(0, "input")
    if ctx.opset < 11:
        low, high = ctx.attr.float("min", -math.inf), ctx.attr.float("max", math.inf)
    else:
        bounds = []
        for index, default in ((1, -math.inf), (2, math.inf)):
            values = ctx.known(index, "min" if index == 1 else "max")
            if values is not None and len(values) != 1:
                raise Unsupported(f"a Clip bound must be one number, got {len(values)} values")
            bounds.append(default if values is None else _number(values[0], "Clip"))
        low, high = bounds
    values = elementwise([data], tuple(data.shape), lambda v: min(max(_number(v, "Clip"), low), high))
    ctx.output(_const(values, tuple(data.shape), data.dtype))


@folds("Transpose")
def transpose(ctx: NodeContext) -> None:
    """Transpose of a constant: its axes permuted (its values too when kept)."""
    data = ctx.const(0, "data")
    rank = len(data.shape)
    perm = ctx.attr.ints("perm", tuple(reversed(range(rank))), length=rank)
    if sorted(perm) != list(range(rank)):
        raise Unsupported(f"perm {list(perm)} is not a permutation of the {rank} axes")
    shape = tuple(data.shape[p] for p in perm)
    values = None
    if data.values is not None:
        strides, stride = [0] * rank, 1
        for axis in reversed(range(rank)):
            strides[axis] = stride
            stride *= data.shape[axis]
        # output index (i_0, i_1, ...) reads input axis perm[k] at i_k
        values = tuple(data.values[sum(i * strides[p] for i, p in zip(index, perm))]
                       for index in itertools.product(*(range(d) for d in shape)))
    ctx.output(_const(values, shape, data.dtype))
