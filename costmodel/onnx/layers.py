"""Handlers of the layers that carry weights or slide windows: Conv, ConvTranspose, Gemm, MatMul,
BatchNormalization, pooling, Resize/Upsample."""
from __future__ import annotations

from ..errors import ModelError
from ..dims import ceil_div, fmt, surely_different
from ..ops import (AvgPool2d, BatchNorm, Constant, Conv2d, ConvTranspose2d, Flatten, GlobalAvgPool, Linear,
                   MatMul, MaxPool2d, ReduceMean, Upsample)
from .batch import FREE
from .importer import Const, NodeContext, Unsupported, handles

AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


def spatial(ctx: NodeContext, x, what: str = "input") -> tuple:
    """(H, W) of a [N, C, H, W] activation; other ranks are refused."""
    if len(x.shape) != 3:
        raise Unsupported(f"only 2-D windows on [N, C, H, W] inputs are supported, got {what} "
                          f"{fmt(ctx.full_shape(x))}")
    return x.shape[1:]


def window_pads(ctx: NodeContext, sizes: tuple, kernel: tuple, strides: tuple, dilations: tuple) -> list:
    """(begin, end) padding per spatial axis, from ``pads`` or ``auto_pad`` (SAME_UPPER puts the odd one at
    the end, SAME_LOWER at the beginning; the output is ceil(size / stride))."""
    auto = ctx.attr.string("auto_pad", "NOTSET", choices=AUTO_PADS)
    count = len(sizes)
    if auto == "NOTSET":
        pads = ctx.attr.ints("pads", (0,) * 2 * count, length=2 * count, minimum=0)
        return [(pads[i], pads[i + count]) for i in range(count)]
    if auto == "VALID":
        return [(0, 0)] * count
    result = []
    for size, k, s, d in zip(sizes, kernel, strides, dilations):
        span = d * (k - 1) + 1
        if isinstance(size, int):
            total = max(0, (ceil_div(size, s) - 1) * s + span - size)
        elif s == 1:
            total = span - 1
        else:
            raise Unsupported(f"auto_pad {auto} with stride {s} on the symbolic size {fmt(size)} is not supported "
                              f"(its padding depends on the size modulo the stride)")
        small, big = total // 2, total - total // 2
        result.append((small, big) if auto == "SAME_UPPER" else (big, small))
    return result


def symmetric(pads: list, what: str) -> tuple:
    """Per-axis padding for an op with equal padding on both sides.

    Counts depend on the output size only, ``floor((n + begin + end - span) / s) + 1``, so unequal pads with
    an even sum are exactly the symmetric padding ``(begin + end) / 2``; an odd sum is refused.
    """
    result = []
    for begin, end in pads:
        if (begin + end) % 2:
            raise Unsupported(f"{what} pads {begin} before and {end} after an axis: an odd total padding cannot be "
                              f"written as equal padding on both sides")
        result.append((begin + end) // 2)
    return tuple(result)


def padded(ctx: NodeContext, x, pads: list):
    """``x`` and the equal per-axis padding of a window op: where an axis's total padding is odd, a Pad node
    first adds the extra row (column) on the side that has it, so that output size and counts are exact."""
    extra = [((1, 0) if b > e else (0, 1)) if (b + e) % 2 else (0, 0) for b, e in pads]
    if any(any(pair) for pair in extra):
        from ..ops import Pad

        begins, ends = [0] + [pair[0] for pair in extra], [0] + [pair[1] for pair in extra]
        x = ctx.add(Pad(tuple(begins + ends)), x)
        pads = [(b - eb, e - ee) for (b, e), (eb, ee) in zip(pads, extra)]
    return x, symmetric(pads, ctx.op_type)


def window_attributes(ctx: NodeContext, kernel_default=None) -> tuple:
    kernel = ctx.attr.ints("kernel_shape", kernel_default, length=2, minimum=1)
    if kernel is None:
        raise ModelError("attribute 'kernel_shape' is required")
    strides = ctx.attr.ints("strides", (1, 1), length=2, minimum=1)
    dilations = ctx.attr.ints("dilations", (1, 1), length=2, minimum=1)
    return kernel, strides, dilations


def _bias(ctx: NodeContext, index: int, channels, what: str = "bias") -> bool:
    bias = ctx.const(index, what)
    if bias is None:
        return False
    if len(bias.shape) != 1 or surely_different(bias.shape[0], channels):
        raise Unsupported(f"{what} must have shape [{fmt(channels)}], got {fmt(tuple(bias.shape))}")
    return True


@handles("Conv")
def conv(ctx: NodeContext) -> None:
    """Conv -> Conv2d; the weight [C_out, C_in/group, kh, kw] gives channels and kernel."""
    x = ctx.activation(0)
    sizes = spatial(ctx, x)
    weight = ctx.const(1, "weight")
    if weight is None or len(weight.shape) != 4:
        raise Unsupported(f"weight must have shape [C_out, C_in/group, kh, kw], got "
                          f"{fmt(tuple(weight.shape)) if weight else 'none'}")
    c_out, per_group, kh, kw = weight.shape
    kernel, strides, dilations = window_attributes(ctx, (kh, kw))
    if kernel != (kh, kw):
        raise Unsupported(f"attribute 'kernel_shape' {list(kernel)} disagrees with the weight's {[kh, kw]}")
    group = ctx.attr.int("group", 1, minimum=1)
    channels = x.shape[0]
    if not surely_different(channels % group, 0) and surely_different(per_group * group, channels):
        raise Unsupported(f"the weight expects {per_group} input channels per group ({group} groups), but the "
                          f"input has {fmt(channels)} channels")
    x, padding = padded(ctx, x, window_pads(ctx, sizes, kernel, strides, dilations))
    op = Conv2d(c_out, kernel=kernel, stride=strides, padding=padding, dilation=dilations, groups=group,
                bias=_bias(ctx, 2, c_out))
    ctx.output(ctx.add(op, x))


@handles("ConvTranspose")
def conv_transpose(ctx: NodeContext) -> None:
    """ConvTranspose -> ConvTranspose2d; weight [C_in, C_out/group, kh, kw]; ``output_shape`` sets the pads."""
    x = ctx.activation(0)
    sizes = spatial(ctx, x)
    weight = ctx.const(1, "weight")
    if weight is None or len(weight.shape) != 4:
        raise Unsupported("weight must have shape [C_in, C_out/group, kh, kw]")
    c_in, per_group, kh, kw = weight.shape
    kernel, strides, dilations = window_attributes(ctx, (kh, kw))
    group = ctx.attr.int("group", 1, minimum=1)
    if surely_different(c_in, x.shape[0]):
        raise Unsupported(f"the weight expects {c_in} input channels, but the input has {fmt(x.shape[0])}")
    output_padding = list(ctx.attr.ints("output_padding", (0, 0), length=2, minimum=0))
    output_shape = ctx.attr.ints("output_shape", None)
    auto = ctx.attr.string("auto_pad", "NOTSET", choices=AUTO_PADS)
    if output_shape is not None or auto in ("SAME_UPPER", "SAME_LOWER"):
        targets = output_shape[-2:] if output_shape is not None else [n * s for n, s in zip(sizes, strides)]
        pads = []
        for n, s, k, d, extra, out in zip(sizes, strides, kernel, dilations, output_padding, targets):
            total = s * (n - 1) + extra + d * (k - 1) + 1 - out
            half = total // 2
            pads.append((half, total - half) if auto == "SAME_UPPER" else (total - half, half))
    elif auto == "VALID":
        pads = [(0, 0), (0, 0)]
    else:
        raw = ctx.attr.ints("pads", (0, 0, 0, 0), length=4, minimum=0)
        pads = [(raw[0], raw[2]), (raw[1], raw[3])]
    padding, crop = [], [0, 0]
    for axis, (begin, end) in enumerate(pads):
        if isinstance(begin, int) and isinstance(end, int) and (begin < 0 or end < 0):
            raise Unsupported(f"output_shape {list(output_shape)} needs negative padding {begin}, {end}")
        half = (begin + end) // 2
        if (begin + end) % 2:  # (n-1)s - (b+e) + span + op  ==  (n-1)s - 2*floor((b+e)/2) + span + (op - 1)
            if output_padding[axis] >= 1:
                output_padding[axis] -= 1
            elif output_padding[axis] + 1 < max(strides[axis], dilations[axis]):
                output_padding[axis] += 1   # ... == (n-1)s - 2*ceil((b+e)/2) + span + (op + 1)
                half += 1
            else:
                crop[axis] = 1   # one row (column) too many, cut by a Pad of -1 on the side with more padding
        padding.append(half)
    op = ConvTranspose2d(per_group * group, kernel=kernel, stride=strides, padding=tuple(padding),
                         output_padding=tuple(output_padding), dilation=dilations, groups=group,
                         bias=_bias(ctx, 2, per_group * group))
    y = ctx.add(op, x)
    if any(crop):
        from ..ops import Pad

        begins = [0] + [-c if b > e else 0 for c, (b, e) in zip(crop, pads)]
        ends = [0] + [-c if b <= e else 0 for c, (b, e) in zip(crop, pads)]
        y = ctx.add(Pad(tuple(begins + ends)), y)
    ctx.output(y)


@handles("Gemm")
def gemm(ctx: NodeContext) -> None:
    """Gemm -> Linear: ``alpha * A @ B + beta * C`` with A the activation [M, K] (M the batch, or holding it)
    and B a weight; alpha and beta scale the result and do not change the multiply-adds."""
    x, layout = ctx.placed(0)
    if ctx.rank(x, layout) != 2:
        raise Unsupported(f"A must have shape [N, K], got {fmt(ctx.full_shape(x, layout))}")
    if ctx.attr.int("transA", 0, choices=(0, 1)):
        raise Unsupported("transA=1 would make the batch axis a reduction axis")
    layout = layout.avoiding({1}, "Gemm (contracting axis 1)")
    weight = ctx.const(1, "B")
    if weight is None or len(weight.shape) != 2:
        raise Unsupported("B must be a 2-D weight")
    trans_b = ctx.attr.int("transB", 0, choices=(0, 1))
    k, m = (weight.shape[1], weight.shape[0]) if trans_b else weight.shape
    if surely_different(k, x.shape[-1]):
        raise Unsupported(f"B {fmt(tuple(weight.shape))} (transB={trans_b}) does not multiply A "
                          f"{fmt(ctx.full_shape(x, layout))}")
    bias = ctx.const(2, "C")
    has_bias = bias is not None
    if has_bias and bias.numel != m:
        raise Unsupported(f"C must have {m} elements (one per output), got shape {fmt(tuple(bias.shape))}")
    ctx.output(ctx.add(Linear(m, bias=has_bias, any_rank=len(x.shape) > 1), x), 0, layout)


@handles("MatMul")
def matmul(ctx: NodeContext) -> None:
    """MatMul with a constant right operand [K, M] -> Linear without bias; two activations -> MatMul (the batch
    in their leading axes, never in the two multiplied); two constants (Swin v2's relative-position MLP on its
    coordinate table) -> a Constant of the left one, then a Linear, counted once per batch."""
    a, b = ctx.value(0), ctx.value(1)
    if isinstance(b, Const):
        if len(b.shape) != 2:
            raise Unsupported(f"a constant right operand must be a [K, M] weight, got {fmt(tuple(b.shape))}")
        if isinstance(a, Const):
            x, layout = ctx.add(Constant(tuple(a.shape)), named_after=ctx.node.inputs[0]), FREE
        else:
            x, layout = ctx.placed(0)
        rank = ctx.rank(x, layout)
        if surely_different(b.shape[0], x.shape[-1] if x.shape else None):
            raise Unsupported(f"[{b.shape[0]}, {b.shape[1]}] does not multiply {fmt(ctx.full_shape(x, layout))}")
        layout = layout.avoiding({rank - 1}, "MatMul (contracting the last axis)")
        ctx.output(ctx.add(Linear(b.shape[1], bias=False, any_rank=len(x.shape) > 1), x), 0, layout)
        return
    if isinstance(a, Const):
        raise Unsupported("a constant left operand (weight @ activation) is not supported")
    (x, first), (y, second) = ctx.placed(0), ctx.placed(1)
    rank = ctx.rank(x, first)
    if rank != ctx.rank(y, second) or rank < 3 and not (first.free and second.free):
        raise Unsupported(f"MatMul of {fmt(ctx.full_shape(x, first))} and {fmt(ctx.full_shape(y, second))}: the "
                          f"operands must have the same rank, with the batch in a leading axis")
    if first.free != second.free:
        raise Unsupported("MatMul of a per-sample tensor and one computed from constants only is not supported")
    matrix_axes = {rank - 2, rank - 1}
    layout = first.avoiding(matrix_axes, "MatMul").meet(second.avoiding(matrix_axes, "MatMul"), "MatMul")
    ctx.output(ctx.add(MatMul(), x, y), 0, layout)


@handles("BatchNormalization")
def batch_norm(ctx: NodeContext) -> None:
    """BatchNormalization -> BatchNorm: params are scale and bias (2C); mean and variance are buffers."""
    x = ctx.activation(0)
    ctx.unused_outputs(1, "a training statistic")
    channels = x.shape[0] if x.shape else None
    for index, what in ((1, "scale"), (2, "B")):
        value = ctx.const(index, what)
        if value is not None and (len(value.shape) != 1 or surely_different(value.shape[0], channels)):
            raise Unsupported(f"{what} must have shape [{fmt(channels)}], got {fmt(tuple(value.shape))}")
    ctx.output(ctx.add(BatchNorm(), x))


def _pool(ctx: NodeContext, op_class) -> None:
    x = ctx.activation(0)
    sizes = spatial(ctx, x)
    kernel, strides, dilations = window_attributes(ctx)
    if dilations != (1, 1):
        raise Unsupported(f"dilated pooling (dilations {list(dilations)}) is not supported")
    ceil_mode = bool(ctx.attr.int("ceil_mode", 0, choices=(0, 1)))
    pads = window_pads(ctx, sizes, kernel, strides, dilations)
    if ceil_mode and any(b != e for b, e in pads):
        raise Unsupported(f"ceil_mode with unequal pads {pads} is not supported")
    ctx.unused_outputs(1, "indices")
    x, padding = padded(ctx, x, pads)
    op = op_class(kernel=kernel, stride=strides, padding=padding, ceil_mode=ceil_mode)
    ctx.output(ctx.add(op, x))


@handles("MaxPool")
def max_pool(ctx: NodeContext) -> None:
    """MaxPool -> MaxPool2d (kernel_shape, strides, pads or auto_pad, ceil_mode)."""
    _pool(ctx, MaxPool2d)


@handles("AveragePool")
def average_pool(ctx: NodeContext) -> None:
    """AveragePool -> AvgPool2d; count_include_pad changes the divisor, not the counts."""
    ctx.attr.int("count_include_pad", 0, choices=(0, 1))
    _pool(ctx, AvgPool2d)


@handles("GlobalAveragePool")
def global_average_pool(ctx: NodeContext) -> None:
    """GlobalAveragePool -> GlobalAvgPool."""
    x = ctx.activation(0)
    spatial(ctx, x)
    ctx.output(ctx.add(GlobalAvgPool(), x))


@handles("GlobalMaxPool")
def global_max_pool(ctx: NodeContext) -> None:
    """GlobalMaxPool -> GlobalMaxPool."""
    x = ctx.activation(0)
    spatial(ctx, x)
    try:
        from ..ops import GlobalMaxPool
    except ImportError:
        raise Unsupported("GlobalMaxPool needs the GlobalMaxPool op") from None
    ctx.output(ctx.add(GlobalMaxPool(), x))


@handles("ReduceMean")
def reduce_mean(ctx: NodeContext) -> None:
    """ReduceMean over H and W -> GlobalAvgPool (then a flatten view when keepdims=0); over other axes of a
    tensor with the batch first (never the batch's) -> ReduceMean; axes are an attribute up to opset 17 and
    an input from opset 18."""
    x = ctx.activation(0)
    axes = ctx.axes(1)
    keep = ctx.attr.int("keepdims", 1, choices=(0, 1))
    rank = ctx.rank(x)
    normal = sorted({ctx.axis(a, rank, "axes") for a in axes}) if axes else list(range(rank))
    if rank != 4 or normal != [2, 3]:
        if 0 in normal:
            raise Unsupported(f"ReduceMean over axes {normal} of {fmt(ctx.full_shape(x))} reduces the batch axis; "
                              f"costs are per sample")
        ctx.output(ctx.add(ReduceMean(tuple(a - 1 for a in normal), bool(keep)), x))
        return
    pooled = ctx.add(GlobalAvgPool(), x)
    ctx.output(pooled if keep else ctx.add(Flatten(), pooled))


@handles("Resize", "Upsample")
def resize(ctx: NodeContext) -> None:
    """Resize / Upsample on H and W -> Upsample (nearest, or linear as bilinear): by the ``scales`` (whole or
    fractional: the output is ``floor(size * scale)``) or to the ``sizes``."""
    x = ctx.activation(0)
    spatial(ctx, x)
    mode = ctx.attr.string("mode", "nearest")
    if mode not in ("nearest", "linear", "bilinear"):
        raise Unsupported(f"mode {mode!r} is not supported (nearest or linear)")
    mode = "nearest" if mode == "nearest" else "bilinear"
    full = ctx.full_shape(x)
    sizes = None
    if "scales" in ctx.attr:
        factors = ctx.attr.floats("scales")
    elif ctx.op_type == "Upsample" or ctx.opset < 11:
        factors = ctx.known(1, "scales")
    else:
        factors = ctx.known(2, "scales") or None
        if not factors:
            sizes = ctx.known(3, "sizes")
            if sizes is None:
                raise Unsupported("Resize needs scales or sizes")
            if len(sizes) != 4:
                raise Unsupported(f"sizes must have 4 values, got {list(sizes)}")
            if any(surely_different(out, n) for out, n in zip(sizes[:2], full[:2])):
                raise Unsupported(f"resizing the batch or channel axis (sizes {list(sizes)} for "
                                  f"{fmt(full)}) is not supported")
            ctx.output(ctx.add(Upsample(size=tuple(int(v) for v in sizes[2:]), mode=mode), x))
            return
    if factors is None or len(factors) != 4:
        raise Unsupported(f"scales must have 4 values, got {factors}")
    for axis in (0, 1):
        if factors[axis] != 1:
            raise Unsupported(f"resizing the batch or channel axis (scales {list(factors)}) is not supported")
    scale = []
    for factor in factors[2:]:
        if not isinstance(factor, (int, float)) or not factor > 0 or factor == float("inf"):
            raise Unsupported(f"scales must be positive numbers, got {list(factors[2:])}")
        scale.append(int(factor) if float(factor).is_integer() else float32_decimal(factor))
    ctx.output(ctx.add(Upsample(scale=tuple(scale), mode=mode), x))


def float32_decimal(value: float):
    """The shortest decimal that reads back as the same 32-bit float (``0.3`` for float32(0.3)), as a
    Fraction: what the exporter wrote, exact."""
    import struct
    from fractions import Fraction

    stored = struct.unpack("<f", struct.pack("<f", value))[0]
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == stored:
            return Fraction(text)
    return Fraction(value)
