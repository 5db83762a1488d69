"""Handlers of data movement on activations: Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Concat,
Split, Slice, Gather, and the free ones (Identity, Dropout, Cast)."""
from __future__ import annotations

from ..dims import fmt, product, quotient, surely_different
from ..ops import Concat, Flatten, Slice, Split, Squeeze
from .importer import NodeContext, Unsupported, handles


@handles("Identity", "Dropout", "Cast")
def free(ctx: NodeContext) -> None:
    """Identity, Dropout (inference) and Cast pass their input on: no node, no cost."""
    ctx.unused_outputs(1, "the dropout mask")
    ctx.alias(0)


def view(ctx: NodeContext, x, shape: tuple) -> None:
    """``x`` seen with per-sample ``shape``: nothing when unchanged, Flatten when flat, else Reshape."""
    if tuple(shape) == tuple(x.shape):
        ctx.alias(0)
        return
    if surely_different(product(shape), product(x.shape)):
        raise Unsupported(f"cannot view {fmt(ctx.full_shape(x))} as {fmt((ctx.batch, *shape))}: the element "
                          f"counts differ")
    if len(shape) == 1:
        ctx.output(ctx.add(Flatten(), x))
        return
    try:
        from ..ops import Reshape
    except ImportError:
        raise Unsupported(f"viewing {fmt(ctx.full_shape(x))} as {fmt((ctx.batch, *shape))} needs the Reshape "
                          f"op") from None
    ctx.output(ctx.add(Reshape(tuple(shape)), x))


def reshaped(ctx: NodeContext, x, target: tuple, allow_zero: bool = False) -> tuple:
    """The per-sample shape of ``x`` reshaped to the full ONNX ``target`` (0 copies, -1 infers)."""
    full = ctx.full_shape(x)
    dims = []
    for axis, value in enumerate(target):
        if value == 0 and not allow_zero:
            if axis >= len(full):
                raise Unsupported(f"shape {list(target)}: 0 at axis {axis} copies nothing from {fmt(full)}")
            value = full[axis]
        dims.append(value)
    unknown = [axis for axis, value in enumerate(dims) if isinstance(value, int) and value == -1]
    if len(unknown) > 1:
        raise Unsupported(f"shape {list(target)} has more than one -1")
    if unknown:
        rest = product(d for i, d in enumerate(dims) if i != unknown[0])
        dims[unknown[0]] = quotient(product(full), rest)
    if not dims or surely_different(dims[0], ctx.batch):
        if not (dims and unknown == [0] and not surely_different(product(dims[1:]), product(full[1:]))):
            raise Unsupported(f"reshaping {fmt(full)} to {fmt(tuple(dims))} moves the batch axis; costs are per "
                              f"sample")
    for d in dims[1:]:
        if isinstance(d, int) and d < 1:
            raise Unsupported(f"shape {list(target)} gives the size {d}")
    return tuple(dims[1:])


@handles("Reshape")
def reshape(ctx: NodeContext) -> None:
    """Reshape keeping the batch axis -> a view (Flatten when flat, else Reshape); the shape may be folded
    shape arithmetic."""
    x = ctx.activation(0)
    target = ctx.known(1, "shape") if ctx.opset >= 5 else ctx.attr.ints("shape")
    view(ctx, x, reshaped(ctx, x, tuple(target), bool(ctx.attr.int("allowzero", 0, choices=(0, 1)))))


@handles("Flatten")
def flatten(ctx: NodeContext) -> None:
    """Flatten(axis=1) -> Flatten (a view)."""
    x = ctx.activation(0)
    axis = ctx.attr.int("axis", 1)
    axis = axis + ctx.rank(x) if axis < 0 else axis
    if axis != 1:
        raise Unsupported(f"Flatten axis {axis} merges the batch axis with others; only axis 1 is supported")
    view(ctx, x, (product(x.shape),))


def _squeezed(ctx: NodeContext, x, axes) -> tuple:
    rank = ctx.rank(x)
    full = ctx.full_shape(x)
    if axes is None:
        axes = [i for i, d in enumerate(full) if d == 1 and i > 0]
    normal = {ctx.axis(a, rank, "axes") for a in axes}
    if 0 in normal:
        raise Unsupported("squeezing the batch axis is not supported")
    for a in normal:
        if surely_different(full[a], 1):
            raise Unsupported(f"cannot squeeze axis {a} of size {fmt(full[a])} in {fmt(full)}")
    return tuple(d for i, d in enumerate(full) if i not in normal)[1:]


@handles("Squeeze")
def squeeze(ctx: NodeContext) -> None:
    """Squeeze (axes an attribute before opset 13, an input from it) -> a view."""
    x = ctx.activation(0)
    view(ctx, x, _squeezed(ctx, x, ctx.axes(1)))


@handles("Unsqueeze")
def unsqueeze(ctx: NodeContext) -> None:
    """Unsqueeze (axes an attribute before opset 13, an input from it) -> a view."""
    x = ctx.activation(0)
    axes = ctx.axes(1)
    if axes is None:
        raise Unsupported("Unsqueeze needs axes")
    rank = ctx.rank(x) + len(axes)
    normal = sorted(ctx.axis(a, rank, "axes") for a in axes)
    if 0 in normal:
        raise Unsupported("unsqueezing before the batch axis is not supported")
    dims = list(ctx.full_shape(x))
    for a in normal:
        dims.insert(a, 1)
    view(ctx, x, tuple(dims[1:]))


@handles("Transpose")
def transpose(ctx: NodeContext) -> None:
    """Transpose keeping the batch axis first -> Transpose (data movement)."""
    x = ctx.activation(0)
    rank = ctx.rank(x)
    perm = ctx.attr.ints("perm", tuple(reversed(range(rank))), length=rank)
    if sorted(perm) != list(range(rank)):
        raise Unsupported(f"perm {list(perm)} is not a permutation of the {rank} axes")
    if perm[0] != 0:
        raise Unsupported(f"perm {list(perm)} moves the batch axis")
    if list(perm) == list(range(rank)):
        ctx.alias(0)
        return
    try:
        from ..ops import Transpose
    except ImportError:
        raise Unsupported("Transpose needs the Transpose op") from None
    ctx.output(ctx.add(Transpose(tuple(p - 1 for p in perm[1:])), x))


@handles("Concat")
def concat(ctx: NodeContext) -> None:
    """Concat of activations along channels -> Concat."""
    tensors = [ctx.activation(i) for i in range(ctx.input_count)]
    if len(tensors) == 1:
        ctx.alias(0)
        return
    axis = ctx.sample_axis(ctx.attr.int("axis", 1), tensors[0])
    if axis != 0 or any(len(t.shape) != 3 for t in tensors):
        raise Unsupported(f"only concatenation along channels of [N, C, H, W] tensors is supported, got axis "
                          f"{axis + 1} of " + " and ".join(fmt(ctx.full_shape(t)) for t in tensors))
    ctx.output(ctx.add(Concat(), *tensors))


@handles("Split")
def split(ctx: NodeContext) -> None:
    """Split along channels -> Split: sizes from the 'split' attribute (before opset 13) or input (from
    13), else equal parts (num_outputs from opset 18)."""
    x = ctx.activation(0)
    axis = ctx.sample_axis(ctx.attr.int("axis", 0), x)
    count = len(ctx.node.outputs)
    sizes = ctx.attr.ints("split") if "split" in ctx.attr else ctx.known(1, "split")
    if axis != 0 or len(x.shape) != 3:
        raise Unsupported(f"only splits along channels of [N, C, H, W] tensors are supported, got axis "
                          f"{axis + 1} of {fmt(ctx.full_shape(x))}")
    if count == 1:
        ctx.alias(0)
        return
    op = Split(sizes=tuple(sizes)) if sizes else Split(sections=count)
    if op.sections != count:
        raise Unsupported(f"{op.sections} sizes for {count} outputs")
    for index, tensor in enumerate(ctx.add(op, x)):
        ctx.output(tensor, index)


@handles("Slice")
def slice_(ctx: NodeContext) -> None:
    """Slice along one axis of an activation -> Slice (a channel slice is one part of a channel split)."""
    x = ctx.activation(0)
    if ctx.opset < 10:
        starts, ends = ctx.attr.ints("starts"), ctx.attr.ints("ends")
        axes, steps = ctx.attr.ints("axes"), None
    else:
        starts, ends = ctx.known(1, "starts"), ctx.known(2, "ends")
        axes, steps = ctx.known(3, "axes"), ctx.known(4, "steps")
    axes = list(axes) if axes is not None else list(range(len(starts)))
    steps = list(steps) if steps is not None else [1] * len(starts)
    changed = []
    full = ctx.full_shape(x)
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis = ctx.axis(int(axis), ctx.rank(x), "axes")
        size = full[axis]
        if isinstance(size, int) and start == 0 and step == 1 and end >= size:
            continue
        if axis == 0:
            raise Unsupported("slicing the batch axis is not supported")
        changed.append((axis - 1, start, end, step))
    if not changed:
        ctx.alias(0)
        return
    if len(changed) > 1:
        raise Unsupported(f"slicing {len(changed)} axes at once is not supported")
    try:
        from ..ops import Slice
    except ImportError:
        raise Unsupported("Slice needs the Slice op") from None
    axis, start, end, step = changed[0]
    ctx.output(ctx.add(Slice(axis=axis, start=start, stop=end, step=step), x))



@handles("Gather")
def gather(ctx: NodeContext) -> None:
    """Gather of one constant index along a non-batch axis of an activation (``x[:, 0]``, a class token) ->
    Slice of that one element, then Squeeze (a view) when the index is a scalar."""
    x = ctx.activation(0)
    indices = ctx.const(1, "indices")
    axis = ctx.sample_axis(ctx.attr.int("axis", 0), x)
    if indices is None or indices.values is None or indices.numel != 1:
        shape = "missing" if indices is None else fmt(tuple(indices.shape))
        raise Unsupported(f"Gather on an activation needs one constant index, got indices of shape {shape}")
    size = x.shape[axis]
    index = int(indices.values[0])
    if isinstance(size, int) and not -size <= index < size:
        raise Unsupported(f"index {index} out of range for axis {axis + 1} of size {size} in "
                          f"{fmt(ctx.full_shape(x))}")
    picked = ctx.add(Slice(axis=axis, start=index, stop=index + 1 if index != -1 else None), x)
    if len(indices.shape) == 0:
        picked = ctx.add(Squeeze(axes=(axis,)), picked)
    ctx.output(picked)
