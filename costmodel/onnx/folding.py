"""Constant folding: the shape arithmetic exporters emit, evaluated on ints, exact fractions and sympy
expressions (a symbolic batch or resolution flows through it), never on weights.

Only tensors of at most ``SMALL_TENSOR`` elements carry values; a fold that would
need the values of a larger one gives a constant of known shape and unknown values, which is enough for
any op that only needs its shape.
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction

from ..dims import fmt
from ..errors import ModelError
from ..graph import Tensor
from . import wire
from .importer import Const, NodeContext, Unsupported, folds


def _const(values, shape, dtype) -> Const:
    count = 1
    for d in shape:
        if not isinstance(d, int):
            raise Unsupported(f"a constant of symbolic shape {fmt(tuple(shape))} cannot be folded")
        if d < 0 or d > wire.MAX_DIM:
            raise Unsupported(f"a constant of shape {list(shape)} is out of range")
        count *= d
    if values is not None and len(values) != count:
        raise Unsupported(f"{len(values)} values for shape {list(shape)}")
    return Const(tuple(shape), dtype, tuple(values) if values is not None and count <= wire.SMALL_TENSOR else None)


def _tensor_const(tensor: wire.TensorDef) -> Const:
    return Const(tensor.dims, tensor.data_type, tensor.values)


def _values(ctx: NodeContext, index: int, what: str) -> tuple:
    values = ctx.known(index, what)
    if values is None:
        raise Unsupported(f"{what} (input {index}) is missing")
    return values


@folds("Constant")
def constant(ctx: NodeContext) -> None:
    """Constant: its value (a tensor, or value_float(s) / value_int(s))."""
    tensor = ctx.attr.tensor("value")
    if tensor is not None:
        ctx.output(_tensor_const(tensor))
        return
    for name, dtype in (("value_float", wire.FLOAT), ("value_int", wire.INT64)):
        if name in ctx.attr:
            value = ctx.attr.float(name) if dtype == wire.FLOAT else ctx.attr.int(name)
            ctx.output(Const((), dtype, (value,)))
            return
    for name, dtype in (("value_floats", wire.FLOAT), ("value_ints", wire.INT64)):
        if name in ctx.attr:
            values = ctx.attr.floats(name) if dtype == wire.FLOAT else ctx.attr.ints(name)
            ctx.output(_const(values, (len(values),), dtype))
            return
    raise Unsupported("Constant without a value we can read (sparse or string values are not supported)")


@folds("Shape")
def shape(ctx: NodeContext) -> None:
    """Shape of an activation (its ONNX shape: the per-sample shape with the batch where its layout puts it) or
    a constant; start/end from opset 15."""
    value = ctx.value(0)
    dims = ctx.full_shape(value, ctx.layout(0)) if isinstance(value, Tensor) else tuple(value.shape)
    start, end = ctx.attr.int("start", 0), ctx.attr.int("end", len(dims))
    dims = dims[slice(start, end)]
    ctx.output(Const((len(dims),), wire.INT64, tuple(dims)))


@folds("Size")
def size(ctx: NodeContext) -> None:
    """Size: the element count."""
    value = ctx.value(0)
    dims = ctx.full_shape(value, ctx.layout(0)) if isinstance(value, Tensor) else value.shape
    count = 1
    for d in dims:
        count = count * d
    ctx.output(Const((), wire.INT64, (count,)))


def _index(i: int, n: int, what: str) -> int:
    if not -n <= i < n:
        raise Unsupported(f"{what} {i} out of range for size {n}")
    return i % n


@folds("Gather")
def gather(ctx: NodeContext) -> None:
    """Gather from a 1-D constant (a shape) at constant indices."""
    data = ctx.const(0, "data")
    indices = ctx.const(1, "indices")
    if len(data.shape) != 1 or data.values is None or indices.values is None:
        raise Unsupported("folding Gather needs a small 1-D constant and constant indices")
    if ctx.attr.int("axis", 0) not in (0, -1):
        raise Unsupported("Gather on a 1-D constant must use axis 0")
    picked = tuple(data.values[_index(int(i), len(data.values), "index")] for i in indices.values)
    ctx.output(_const(picked, indices.shape, data.dtype))


@folds("Unsqueeze")
def unsqueeze(ctx: NodeContext) -> None:
    """Unsqueeze of a constant: the same values, axes inserted."""
    data = ctx.const(0, "data")
    axes = ctx.axes(1)
    rank = len(data.shape) + len(axes)
    dims = list(data.shape)
    for a in sorted(ctx.axis(a, rank, "axes") for a in axes):
        dims.insert(a, 1)
    ctx.output(Const(tuple(dims), data.dtype, data.values))


@folds("Squeeze")
def squeeze(ctx: NodeContext) -> None:
    """Squeeze of a constant: the same values, axes of size 1 removed."""
    data = ctx.const(0, "data")
    axes = ctx.axes(1)
    rank = len(data.shape)
    drop = {ctx.axis(a, rank, "axes") for a in axes} if axes else {i for i, d in enumerate(data.shape) if d == 1}
    ctx.output(Const(tuple(d for i, d in enumerate(data.shape) if i not in drop), data.dtype, data.values))


@folds("Concat")
def concat(ctx: NodeContext) -> None:
    """Concat of constants (values kept for 1-D ones, the shape for others)."""
    parts = [ctx.const(i, "input") for i in range(ctx.input_count) if ctx.value(i) is not None]
    if not parts:
        raise ModelError("Concat has no input")
    rank = len(parts[0].shape)
    if rank == 0 or any(len(p.shape) != rank for p in parts):
        raise Unsupported(f"folding Concat needs constants of one rank, got shapes "
                          f"{', '.join(fmt(tuple(p.shape)) for p in parts)}")
    axis = ctx.axis(ctx.attr.int("axis", 0), rank)
    for p in parts:
        if any(a != b for i, (a, b) in enumerate(zip(p.shape, parts[0].shape)) if i != axis):
            raise Unsupported(f"folding Concat of shapes {', '.join(fmt(tuple(p.shape)) for p in parts)} along "
                              f"axis {axis}: the other axes differ")
    shape = list(parts[0].shape)
    shape[axis] = sum(p.shape[axis] for p in parts)
    values = None if rank != 1 or any(p.values is None for p in parts) else sum((tuple(p.values) for p in parts), ())
    ctx.output(_const(values, tuple(shape), parts[0].dtype))


def _to_int(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Fraction)):
        return math.trunc(value)
    import sympy

    return sympy.floor(value)  # sizes are positive: truncation is the floor


@folds("Cast")
def cast(ctx: NodeContext) -> None:
    """Cast of a constant: to integers truncates; to floats keeps exact values."""
    data = ctx.const(0, "input")
    to = ctx.attr.int("to", wire.FLOAT)
    values = data.values
    if values is not None and to in wire.INT_TYPES:
        values = tuple(_to_int(v) for v in values)
    ctx.output(Const(data.shape, to, values))


@folds("Identity", "Dropout")
def identity(ctx: NodeContext) -> None:
    """Identity of a constant: itself."""
    ctx.alias(0)


def _broadcast(a: Const, b: Const) -> tuple:
    """Shapes of two constants broadcast (numpy's rule)."""
    rank = max(len(a.shape), len(b.shape))
    sa = (1,) * (rank - len(a.shape)) + tuple(a.shape)
    sb = (1,) * (rank - len(b.shape)) + tuple(b.shape)
    shape = []
    for x, y in zip(sa, sb):
        if x != y and 1 not in (x, y):
            raise Unsupported(f"constants of shapes {list(a.shape)} and {list(b.shape)} do not broadcast")
        shape.append(max(x, y) if 1 in (x, y) else x)
    return tuple(shape)


def spread(c: Const, shape: tuple) -> tuple:
    """The values of ``c`` broadcast to ``shape`` (numpy's rule), in row-major order."""
    dims = (1,) * (len(shape) - len(c.shape)) + tuple(c.shape)
    strides, stride = [], 1
    for d in reversed(dims):
        strides.append(stride)
        stride *= d
    strides.reverse()
    picked = []
    for index in itertools.product(*(range(d) for d in shape)):
        picked.append(c.values[sum(i * s for i, s, d in zip(index, strides, dims) if d != 1)])
    return tuple(picked)


def elementwise(constants: list, shape: tuple, function) -> tuple | None:
    """``function`` of the constants' values, broadcast to ``shape``; None when a value is unknown or the
    result is too large to keep."""
    count = 1
    for d in shape:
        count *= d
    if count > wire.SMALL_TENSOR or any(c.values is None for c in constants):
        return None
    return tuple(function(*row) for row in zip(*(spread(c, shape) for c in constants)))


def _elementwise(a: Const, b: Const, shape: tuple, function) -> tuple | None:
    return elementwise([a, b], shape, function)


def _divide(x, y, integer: bool):
    if integer:
        if isinstance(x, int) and isinstance(y, int):
            if y == 0:
                raise Unsupported("integer division by zero")
            quotient = abs(x) // abs(y)
            return quotient if (x >= 0) == (y >= 0) else -quotient
        return x // y  # symbolic sizes are positive: truncation is the floor
    if isinstance(x, (int, Fraction)) and isinstance(y, (int, Fraction)) and not isinstance(x, bool):
        if y == 0:
            raise Unsupported("division by zero")
        return Fraction(x) / Fraction(y)
    return x / y


_ARITHMETIC = {
    "Add": lambda x, y: x + y,
    "Sub": lambda x, y: x - y,
    "Mul": lambda x, y: x * y,
}


@folds("Add", "Sub", "Mul", "Div")
def arithmetic(ctx: NodeContext) -> None:
    """Element-wise arithmetic of constants; integer Div truncates, float Div is exact."""
    a, b = ctx.const(0, "A"), ctx.const(1, "B")
    shape = _broadcast(a, b)
    integer = a.dtype in wire.INT_TYPES and b.dtype in wire.INT_TYPES
    if ctx.op_type == "Div":
        values = _elementwise(a, b, shape, lambda x, y: _divide(x, y, integer))
    else:
        values = _elementwise(a, b, shape, _ARITHMETIC[ctx.op_type])
    ctx.output(_const(values, shape, a.dtype))


def _unary(function):
    def fold(ctx: NodeContext) -> None:
        data = ctx.const(0, "input")
        values = None if data.values is None else tuple(function(v) for v in data.values)
        ctx.output(Const(data.shape, data.dtype, values))
    return fold


def _floor(v):
    if isinstance(v, (int, float, Fraction)):
        return math.floor(v)
    import sympy

    return sympy.floor(v)


def _ceil(v):
    if isinstance(v, (int, float, Fraction)):
        return math.ceil(v)
    import sympy

    return sympy.ceiling(v)


def _sqrt(v):
    if isinstance(v, (int, float, Fraction)):
        return math.sqrt(v)
    import sympy

    return sympy.sqrt(v)


folds("Floor")(_unary(_floor))
folds("Ceil")(_unary(_ceil))
folds("Sqrt")(_unary(_sqrt))
folds("Neg")(_unary(lambda v: -v))


@folds("ConstantOfShape")
def constant_of_shape(ctx: NodeContext) -> None:
    """ConstantOfShape: a tensor of the given (numeric) shape filled with ``value`` (default 0.0)."""
    dims = _values(ctx, 0, "shape")
    tensor = ctx.attr.tensor("value")
    fill, dtype = (0.0, wire.FLOAT) if tensor is None else ((tensor.values or (0,))[0], tensor.data_type)
    if any(not isinstance(d, int) for d in dims):
        raise Unsupported(f"ConstantOfShape of the symbolic shape {list(map(str, dims))} is not supported")
    count = 1
    for d in dims:
        count *= d
    ctx.output(_const((fill,) * count if count <= wire.SMALL_TENSOR else None, tuple(dims), dtype))


@folds("Range")
def range_(ctx: NodeContext) -> None:
    """Range(start, limit, delta) of numbers."""
    start, limit, delta = (_values(ctx, i, what)[0] for i, what in enumerate(("start", "limit", "delta")))
    if not all(isinstance(v, (int, float)) for v in (start, limit, delta)) or delta == 0:
        raise Unsupported(f"Range({start}, {limit}, {delta}) needs numbers and a non-zero step")
    count = max(math.ceil((limit - start) / delta), 0)
    if count > wire.MAX_DIM:
        raise Unsupported(f"Range of {count} elements")
    values = tuple(start + i * delta for i in range(count)) if count <= wire.SMALL_TENSOR else None
    ctx.output(_const(values, (count,), ctx.value(0).dtype))


@folds("Reshape")
def reshape(ctx: NodeContext) -> None:
    """Reshape of a constant: the same values, the new shape (0 copies, -1 infers)."""
    data = ctx.const(0, "data")
    target = list(_values(ctx, 1, "shape"))
    for axis, d in enumerate(target):
        if d == 0 and not ctx.attr.int("allowzero", 0):
            target[axis] = data.shape[axis]
    if -1 in target:
        rest = 1
        for d in target:
            rest *= d if d != -1 else 1
        target[target.index(-1)] = data.numel // rest if rest else 0
    ctx.output(_const(data.values, tuple(int(d) for d in target), data.dtype))


@folds("Slice")
def slice_(ctx: NodeContext) -> None:
    """Slice of a 1-D constant."""
    data = ctx.const(0, "data")
    if ctx.opset < 10:
        starts, ends, axes, steps = ctx.attr.ints("starts"), ctx.attr.ints("ends"), ctx.attr.ints("axes"), None
    else:
        starts, ends = _values(ctx, 1, "starts"), _values(ctx, 2, "ends")
        axes, steps = ctx.known(3, "axes"), ctx.known(4, "steps")
    if len(data.shape) == 1 and data.values is not None and len(starts) == 1 and \
            (not axes or ctx.axis(int(axes[0]), 1) == 0):
        step = int(steps[0]) if steps else 1
        picked = data.values[slice(int(starts[0]), int(ends[0]) if abs(int(ends[0])) < 2 ** 62 else None, step)]
        ctx.output(_const(picked, (len(picked),), data.dtype))
        return
    kept = [range(d) if isinstance(d, int) else None for d in data.shape]   # the indices kept, per axis
    axes = list(axes) if axes else list(range(len(starts)))
    for i, (start, end) in enumerate(zip(starts, ends)):
        axis = ctx.axis(int(axes[i]), len(kept), "axes")
        step = int(steps[i]) if steps else 1
        if kept[axis] is None or any(not isinstance(v, int) for v in (start, end)):
            raise Unsupported(f"folding Slice of {fmt(tuple(data.shape))} needs numbers")
        kept[axis] = kept[axis][slice(int(start), int(end), step)]
    shape = tuple(len(r) for r in kept)
    values = None
    if data.values is not None:
        strides = [math.prod(data.shape[axis + 1:]) for axis in range(len(kept))]
        values = tuple(data.values[sum(i * s for i, s in zip(index, strides))] for index in itertools.product(*kept))
    ctx.output(_const(values, shape, data.dtype))


def _modulo(x, y, fmod: bool):
    """``x mod y``: the remainder takes the divisor's sign (Python's ``%``), or the dividend's with fmod."""
    if y == 0:
        raise Unsupported("Mod by zero")
    if fmod:
        return math.fmod(x, y) if isinstance(x, float) or isinstance(y, float) else \
            (abs(x) % abs(y)) * (1 if x >= 0 else -1)
    return x % y


@folds("Mod")
def mod(ctx: NodeContext) -> None:
    """Mod of constants: ``fmod=0`` (integers only) gives the divisor's sign, ``fmod=1`` the dividend's."""
    a, b = ctx.const(0, "A"), ctx.const(1, "B")
    fmod = bool(ctx.attr.int("fmod", 0, choices=(0, 1)))
    if not fmod and (a.dtype not in wire.INT_TYPES or b.dtype not in wire.INT_TYPES):
        raise Unsupported("Mod of floating-point constants needs fmod=1")
    shape = _broadcast(a, b)
    ctx.output(_const(_elementwise(a, b, shape, lambda x, y: _modulo(x, y, fmod)), shape, a.dtype))


@folds("Equal")
def equal(ctx: NodeContext) -> None:
    """Equal of constants (as in ``Where(Equal(shape, -1), ...)``)."""
    a, b = ctx.const(0, "A"), ctx.const(1, "B")
    shape = _broadcast(a, b)
    ctx.output(_const(_elementwise(a, b, shape, lambda x, y: bool(x == y)), shape, wire.BOOL))


@folds("Where")
def where(ctx: NodeContext) -> None:
    """Where(condition, x, y) of constants (as in ``Where(Equal(shape, -1), ...)``, or a mask)."""
    condition, x, y = (ctx.const(i, what) for i, what in enumerate(("condition", "X", "Y")))
    shape = _broadcast(_broadcast_const(condition, x), y)
    values = elementwise([condition, x, y], shape, lambda c, a, b: a if c else b)
    ctx.output(_const(values, shape, x.dtype))


def _broadcast_const(a: Const, b: Const) -> Const:
    return Const(_broadcast(a, b), a.dtype, None)
