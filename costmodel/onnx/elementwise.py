"""Handlers of element-wise ops: activations, Clip, and Add / Mul / Sub / Div with broadcasting."""
from __future__ import annotations

import math

from ..dims import fmt, surely_different
from ..graph import Tensor
from ..ops import (Add, BiasAdd, Clip, Div, HardSigmoid, HardSwish, LayerScale, LeakyReLU, Mul, ReLU, ReLU6,
                   Reshape, Sigmoid, Sub)
from ..ops.imported import ConstantArithmetic
from .importer import Const, NodeContext, Unsupported, handles


def _unary(op_class):
    def handler(ctx: NodeContext) -> None:
        x, layout = ctx.placed(0)
        ctx.output(ctx.add(op_class(), x), 0, layout)
    return handler


for _onnx, _op in (("Relu", ReLU), ("Sigmoid", Sigmoid), ("HardSwish", HardSwish)):
    handles(_onnx)(_unary(_op)).__doc__ = f"{_onnx} -> {_op.__name__}."


@handles("HardSigmoid")
def hard_sigmoid(ctx: NodeContext) -> None:
    """HardSigmoid -> HardSigmoid (any alpha and beta: the same one step per element)."""
    ctx.attr.float("alpha", 0.2)
    ctx.attr.float("beta", 0.5)
    x, layout = ctx.placed(0)
    ctx.output(ctx.add(HardSigmoid(), x), 0, layout)


@handles("LeakyRelu")
def leaky_relu(ctx: NodeContext) -> None:
    """LeakyRelu -> LeakyReLU(alpha)."""
    x, layout = ctx.placed(0)
    ctx.output(ctx.add(LeakyReLU(negative_slope=ctx.attr.float("alpha", 0.01)), x), 0, layout)


def _bound(ctx: NodeContext, index: int, attribute: str, default: float) -> float:
    if ctx.opset < 11:
        return ctx.attr.float(attribute, default)
    values = ctx.known(index, attribute)
    if values is None:
        return default
    if len(values) != 1:
        raise Unsupported(f"{attribute} must be one number, got {len(values)} values")
    return float(values[0])


@handles("Clip")
def clip(ctx: NodeContext) -> None:
    """Clip(0, 6) -> ReLU6, Clip(0, inf) -> ReLU, other bounds -> Clip (bounds are attributes before opset
    11, inputs from it)."""
    x, layout = ctx.placed(0)
    low, high = _bound(ctx, 1, "min", -math.inf), _bound(ctx, 2, "max", math.inf)
    if low == 0 and high == 6:
        op = ReLU6()
    elif low == 0 and high == math.inf:
        op = ReLU()
    else:
        op = Clip(low, high)
    ctx.output(ctx.add(op, x), 0, layout)


@handles("Add", "Mul", "Sub", "Div")
def binary(ctx: NodeContext) -> None:
    """Two activations -> Add / Mul / Sub / Div (broadcasting); an activation and a learned tensor ->
    BiasAdd (Add) or LayerScale (Mul); an activation and a fixed number -> ConstantArithmetic."""
    a, b = ctx.value(0), ctx.value(1)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        (a, first), (b, second) = ctx.placed(0), ctx.placed(1)
        if first.rank(a.shape) != second.rank(b.shape):
            raise Unsupported("operands of different ranks: " + " and ".join(
                fmt(ctx.full_shape(t, layout)) for t, layout in ((a, first), (b, second))))
        layout = first.meet(second, ctx.op_type)
        a, b = (_without_batch_axis(ctx, t, own, layout) for t, own in ((a, first), (b, second)))
        ctx.output(ctx.add(_binary_op(ctx.op_type), a, b), 0, layout)
        return
    index = 0 if isinstance(a, Tensor) else 1
    constant = b if index == 0 else a
    if not isinstance(constant, Const) or not isinstance(ctx.value(index), Tensor):
        raise Unsupported("an operand is missing")
    x, layout = ctx.placed(index)
    learned = constant.is_float and constant.initializer and constant.numel > 1
    if learned and ctx.op_type in ("Add", "Mul"):
        op = (BiasAdd if ctx.op_type == "Add" else LayerScale)(_constant_shape(ctx, x, constant, layout))
        ctx.output(ctx.add(op, x), 0, layout)
        return
    if constant is a and ctx.op_type in ("Sub", "Div"):
        raise Unsupported("a constant minus (or divided by) an activation is not supported")
    op = ConstantArithmetic(ctx.op_type.lower(), _constant_shape(ctx, x, constant, layout))
    ctx.output(ctx.add(op, x), 0, layout)


def _without_batch_axis(ctx: NodeContext, tensor: Tensor, layout, target):
    """A batch-free operand of an element-wise op whose other operand has its own batch axis, viewed without
    that axis (of size 1 in it) so that the per-sample shapes align."""
    if not layout.free or target.free or target.merged:
        return tensor
    axis = target.placements[0].axis
    if surely_different(tensor.shape[axis], 1):
        raise Unsupported(f"a tensor computed from constants, {fmt(tensor.shape)}, varies along the batch axis "
                          f"{axis} of the other operand")
    return ctx.add(Reshape(tensor.shape[:axis] + tensor.shape[axis + 1:]), tensor)


def _binary_op(op_type: str):
    return {"Add": Add, "Mul": Mul, "Sub": Sub, "Div": Div}[op_type]()


def _constant_shape(ctx: NodeContext, x: Tensor, constant: Const, layout) -> tuple:
    """A constant's shape as a per-sample shape broadcast against ``x`` (its size on the batch's own axis, a
    1, dropped)."""
    shape = tuple(constant.shape)
    rank = layout.rank(x.shape)
    if len(shape) > rank:
        raise Unsupported(f"constant {fmt(shape)} has more axes than the activation "
                          f"{fmt(ctx.full_shape(x, layout))}")
    if layout.free:
        return shape
    axis = layout.placements[0].axis - (rank - len(shape))   # the batch axis, counted in the constant's axes
    if axis < 0:
        return shape
    if surely_different(shape[axis], 1) and not (layout.merged and ctx.batch == 1):
        raise Unsupported(f"constant {fmt(shape)} varies along the batch axis")
    return shape if layout.merged else shape[:axis] + shape[axis + 1:]
