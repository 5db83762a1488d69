"""Handlers of element-wise ops: activations, Clip, and Add / Mul / Sub / Div with broadcasting."""
from __future__ import annotations

import math

from ..dims import fmt
from ..graph import Tensor
from ..ops import Add, HardSigmoid, HardSwish, LeakyReLU, Mul, ReLU, ReLU6, Sigmoid
from .importer import Const, NodeContext, Unsupported, handles


def _unary(op_class):
    def handler(ctx: NodeContext) -> None:
        ctx.output(ctx.add(op_class(), ctx.activation(0)))
    return handler


for _onnx, _op in (("Relu", ReLU), ("Sigmoid", Sigmoid), ("HardSwish", HardSwish)):
    handles(_onnx)(_unary(_op)).__doc__ = f"{_onnx} -> {_op.__name__}."


@handles("HardSigmoid")
def hard_sigmoid(ctx: NodeContext) -> None:
    """HardSigmoid -> HardSigmoid (any alpha and beta: the same one step per element)."""
    ctx.attr.float("alpha", 0.2)
    ctx.attr.float("beta", 0.5)
    ctx.output(ctx.add(HardSigmoid(), ctx.activation(0)))


@handles("LeakyRelu")
def leaky_relu(ctx: NodeContext) -> None:
    """LeakyRelu -> LeakyReLU(alpha)."""
    ctx.output(ctx.add(LeakyReLU(negative_slope=ctx.attr.float("alpha", 0.01)), ctx.activation(0)))


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
    x = ctx.activation(0)
    low, high = _bound(ctx, 1, "min", -math.inf), _bound(ctx, 2, "max", math.inf)
    if low == 0 and high == 6:
        op = ReLU6()
    elif low == 0 and high == math.inf:
        op = ReLU()
    else:
        try:
            from ..ops import Clip
        except ImportError:
            raise Unsupported(f"Clip({low}, {high}) needs the Clip op (only Clip(0, 6) and Clip(0, inf) map to "
                              f"ReLU6 and ReLU)") from None
        op = Clip(low, high)
    ctx.output(ctx.add(op, x))


def sample_shapes(ctx: NodeContext, tensors: list) -> list:
    """Per-sample shapes of activations aligned for broadcasting (numpy's rule: trailing axes meet)."""
    ranks = {ctx.rank(t) for t in tensors}
    if len(ranks) != 1:
        raise Unsupported("operands of different ranks: " + " and ".join(fmt(ctx.full_shape(t)) for t in tensors))
    return [t.shape for t in tensors]


@handles("Add", "Mul", "Sub", "Div")
def binary(ctx: NodeContext) -> None:
    """Two activations -> Add / Mul / Sub / Div (broadcasting); an activation and a learned tensor ->
    BiasAdd (Add) or LayerScale (Mul); an activation and a fixed number -> ConstantArithmetic."""
    a, b = ctx.value(0), ctx.value(1)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        sample_shapes(ctx, [a, b])
        op = _binary_op(ctx.op_type)
        ctx.output(ctx.add(op, a, b))
        return
    x, constant = (a, b) if isinstance(a, Tensor) else (b, a)
    if not isinstance(constant, Const):
        raise Unsupported("an operand is missing")
    learned = constant.is_float and constant.initializer and constant.numel > 1
    if learned and ctx.op_type in ("Add", "Mul"):
        shape = _constant_shape(ctx, x, constant)
        try:
            from ..ops import BiasAdd, LayerScale
        except ImportError:
            raise Unsupported(f"{ctx.op_type} with a learned tensor needs the LayerScale/BiasAdd ops") from None
        op = (BiasAdd if ctx.op_type == "Add" else LayerScale)(shape)
        ctx.output(ctx.add(op, x))
        return
    from ..ops.imported import ConstantArithmetic

    if constant is a and ctx.op_type in ("Sub", "Div"):
        raise Unsupported("a constant minus (or divided by) an activation is not supported")
    ctx.output(ctx.add(ConstantArithmetic(ctx.op_type.lower(), _constant_shape(ctx, x, constant)), x))


def _binary_op(op_type: str):
    if op_type == "Add":
        return Add()
    if op_type == "Mul":
        return Mul()
    try:
        from .. import ops
        return getattr(ops, op_type)()
    except AttributeError:
        raise Unsupported(f"{op_type} of two activations needs the {op_type} op") from None


def _constant_shape(ctx: NodeContext, x: Tensor, constant: Const) -> tuple:
    """A constant's shape as a per-sample shape broadcast against ``x`` (a leading batch axis of 1 dropped)."""
    shape = tuple(constant.shape)
    rank = ctx.rank(x)
    if len(shape) > rank:
        raise Unsupported(f"constant {fmt(shape)} has more axes than the activation {fmt(ctx.full_shape(x))}")
    if len(shape) == rank:
        if shape[0] != 1:
            raise Unsupported(f"constant {fmt(shape)} varies along the batch axis")
        shape = shape[1:]
    return shape
