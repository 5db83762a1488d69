"""Handlers of the ops added for imported networks: normalisations (and LRN), Softmax, Tanh, Erf, Gelu, PRelu, Pad,
Einsum, Expand, ReduceL2."""
from __future__ import annotations

from ..dims import fmt, surely_different
from ..ops import (GELU, Einsum, Erf, Expand, InstanceNorm, LayerNorm, LocalResponseNorm, Pad, PReLU, ReduceL2,
                   Softmax, Tanh)
from .constants import expanded_shape
from .importer import NodeContext, Unsupported, handles


@handles("LRN")
def lrn(ctx: NodeContext) -> None:
    """LRN across ``size`` channels -> LocalResponseNorm(size); alpha, beta and bias change no count."""
    size = ctx.attr.int("size", None, minimum=1)
    if size is None:
        raise Unsupported("attribute 'size' is required")
    ctx.output(ctx.add(LocalResponseNorm(size=size), ctx.activation(0)))


@handles("Tanh")
def tanh(ctx: NodeContext) -> None:
    """Tanh -> Tanh."""
    x, layout = ctx.placed(0)
    ctx.output(ctx.add(Tanh(), x), 0, layout)


@handles("Erf")
def erf(ctx: NodeContext) -> None:
    """Erf -> Erf (when not part of the GELU pattern)."""
    x, layout = ctx.placed(0)
    ctx.output(ctx.add(Erf(), x), 0, layout)


@handles("Gelu")
def gelu(ctx: NodeContext) -> None:
    """Gelu (opset 20) -> GELU."""
    x, layout = ctx.placed(0)
    ctx.output(ctx.add(GELU(), x), 0, layout)


@handles("Softmax")
def softmax(ctx: NodeContext) -> None:
    """Softmax along one non-batch axis -> Softmax(axis)."""
    x, layout = ctx.placed(0)
    axis, layout = ctx.sample_axis(ctx.attr.int("axis", -1 if ctx.opset >= 13 else 1), x, "axis", layout)
    ctx.output(ctx.add(Softmax(axis=axis), x), 0, layout)


@handles("PRelu")
def prelu(ctx: NodeContext) -> None:
    """PRelu with a learned slope per channel (or one) -> PReLU(channels)."""
    x = ctx.activation(0)
    slope = ctx.const(1, "slope")
    ctx.output(ctx.add(PReLU(channels=slope.numel if slope is not None else 1), x))


@handles("LayerNormalization")
def layer_norm(ctx: NodeContext) -> None:
    """LayerNormalization over the axes from ``axis`` on -> LayerNorm(normalized_dims); scale and bias are
    params."""
    x, layout = ctx.placed(0)
    rank = ctx.rank(x, layout)
    first = ctx.axis(ctx.attr.int("axis", -1), rank, "axis")
    if layout.standard and first == 0:
        raise Unsupported("axis 0 is the batch axis; costs are per sample, so ops along it are not supported")
    layout = layout.avoiding(set(range(first, rank)), "LayerNormalization")
    ctx.unused_outputs(1, "a statistic")
    ctx.output(ctx.add(LayerNorm(normalized_dims=rank - first, affine=ctx.value(1) is not None,
                                 bias=ctx.value(2) is not None), x), 0, layout)


@handles("InstanceNormalization")
def instance_norm(ctx: NodeContext) -> None:
    """InstanceNormalization -> InstanceNorm; scale and bias (2C) are params."""
    ctx.output(ctx.add(InstanceNorm(), ctx.activation(0)))


@handles("Pad")
def pad(ctx: NodeContext) -> None:
    """Pad (pads an attribute before opset 11, an input from it) -> Pad; the batch axis must not be padded."""
    x = ctx.activation(0)
    mode = ctx.attr.string("mode", "constant", choices=("constant", "reflect", "edge", "wrap"))
    pads = ctx.attr.ints("pads") if ctx.opset < 11 else ctx.known(1, "pads")
    rank = ctx.rank(x)
    axes = ctx.known(3, "axes") if ctx.opset >= 18 and ctx.value(3) is not None else None
    if axes is not None:
        full = [0] * (2 * rank)
        for i, a in enumerate(axes):
            a = ctx.axis(int(a), rank, "axes")
            full[a], full[a + rank] = pads[i], pads[i + len(axes)]
        pads = full
    if pads is None or len(pads) != 2 * rank:
        raise Unsupported(f"pads must have {2 * rank} values for {fmt(ctx.full_shape(x))}, got {pads}")
    if pads[0] or pads[rank]:
        raise Unsupported("padding the batch axis is not supported")
    if not any(pads):
        ctx.alias(0)
        return
    pads = [int(p) for p in pads]
    ctx.output(ctx.add(Pad(tuple(pads[1:rank] + pads[rank + 1:]), mode), x))


def check_channels(ctx: NodeContext, index: int, what: str, channels) -> None:
    value = ctx.const(index, what)
    if value is not None and surely_different(value.numel, channels):
        raise Unsupported(f"{what} must have {fmt(channels)} elements, got shape {fmt(tuple(value.shape))}")


@handles("Einsum")
def einsum(ctx: NodeContext) -> None:
    """Einsum of two activations whose terms all start with the batch index (``"bhid,bhjd->bhij"``) ->
    Einsum over the per-sample indices: multiply-adds the product of all index sizes."""
    equation = ctx.attr.string("equation", "")
    tensors = [ctx.activation(i, "operand") for i in range(ctx.input_count)]
    if len(tensors) != 2:
        raise Unsupported(f"only Einsum of two operands is supported, got {len(tensors)}")
    text = equation.replace(" ", "")
    terms = text.replace("->", ",").split(",") if "->" in text else []
    if len(terms) != 3 or not all(terms) or len({term[0] for term in terms}) != 1:
        raise Unsupported(f"equation {equation!r}: every term must start with the same (batch) index and the "
                          f"output must follow '->'")
    batch = terms[0][0]
    if any(batch in term[1:] for term in terms):
        raise Unsupported(f"equation {equation!r} uses the batch index {batch!r} twice in one term")
    rest = [term[1:] for term in terms]
    ctx.output(ctx.add(Einsum(f"{rest[0]},{rest[1]}->{rest[2]}"), *tensors))


@handles("Expand")
def expand(ctx: NodeContext) -> None:
    """Expand of an activation (``F.normalize``'s norm stretched over the vector) -> Expand; the batch is never
    stretched."""
    x, layout = ctx.placed(0)
    full = ctx.full_shape(x, layout)
    shape = expanded_shape(full, tuple(ctx.known(1, "shape")))
    added = len(shape) - len(full)
    placed = layout.unsqueezed(list(range(added)), len(shape)) if added else layout
    for p in placed.placements:
        if surely_different(shape[p.axis], full[p.axis - added]):
            raise Unsupported(f"expanding {fmt(full)} to {fmt(shape)} stretches the batch axis {p.axis - added}")
    sample = placed.sample_shape(shape, ctx.batch)
    if tuple(sample) == tuple(x.shape):
        ctx.alias(0, placed)
        return
    ctx.output(ctx.add(Expand(tuple(sample)), x), 0, placed)


@handles("ReduceL2")
def reduce_l2(ctx: NodeContext) -> None:
    """ReduceL2 over axes other than the batch's -> ReduceL2 (axes an attribute up to opset 17, an input from
    18; none: every axis)."""
    x, layout = ctx.placed(0)
    rank = ctx.rank(x, layout)
    axes = ctx.axes(1)
    keep = ctx.attr.int("keepdims", 1, choices=(0, 1))
    normal = sorted({ctx.axis(a, rank, "axes") for a in axes}) if axes else list(range(rank))
    if layout.standard and 0 in normal:
        raise Unsupported("axis 0 is the batch axis; costs are per sample, so ops along it are not supported")
    layout = layout.avoiding(set(normal), "ReduceL2")
    op = ReduceL2(axes=tuple(layout.sample_axis(a) for a in normal), keepdims=bool(keep))
    ctx.output(ctx.add(op, x), 0, layout if keep else layout.squeezed(set(normal)))
