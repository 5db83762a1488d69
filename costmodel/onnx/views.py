"""Handlers of data movement on activations: Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Concat,
Split, Slice, Gather, and the free ones (Identity, Dropout, Cast)."""
from __future__ import annotations

from ..dims import fmt, product, quotient, surely_different
from ..graph import Tensor
from ..ops import Concat, Constant, Flatten, Gather, Reshape, Slice, Split, Squeeze, Transpose, Unsqueeze
from . import wire
from .batch import STANDARD, Layout, LayoutError
from .importer import NodeContext, Unsupported, handles


@handles("Identity", "Dropout", "Cast")
def free(ctx: NodeContext) -> None:
    """Identity, Dropout (inference) and Cast pass their input on: no node, no cost."""
    ctx.unused_outputs(1, "the dropout mask")
    ctx.alias(0)


def view(ctx: NodeContext, x, shape: tuple, layout: Layout = STANDARD, op=None) -> None:
    """``x`` seen with per-sample ``shape`` and ``layout``: nothing when the shape is unchanged, Flatten when
    flat, else ``op`` (a Squeeze or Unsqueeze of the per-sample axes, when both layouts are the standard one)
    or Reshape."""
    if tuple(shape) == tuple(x.shape):
        ctx.alias(0, layout)
        return
    if surely_different(product(shape), product(x.shape)):
        raise Unsupported(f"cannot view {fmt(ctx.full_shape(x, ctx.layout(0)))} as "
                          f"{fmt(layout.onnx_shape(shape, ctx.batch))}: the element counts differ")
    if len(shape) == 1 and layout.standard:
        ctx.output(ctx.add(Flatten(), x))
        return
    if op is not None and layout.standard and ctx.layout(0).standard:
        ctx.output(ctx.add(op, x))
        return
    ctx.output(ctx.add(Reshape(tuple(shape)), x), 0, layout)


def reshaped(ctx: NodeContext, x, target: tuple, allow_zero: bool = False, layout: Layout = STANDARD) -> tuple:
    """``(per-sample shape, layout)`` of ``x`` (in ``layout``) reshaped to the ONNX ``target`` (0 copies, -1
    infers); the batch keeps its place in the flat order (``Layout.reshaped``)."""
    full = ctx.full_shape(x, layout)
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
    for d in dims:
        if isinstance(d, int) and d < 1:
            raise Unsupported(f"shape {list(target)} gives the size {d}")
    if surely_different(product(dims), product(full)):
        raise Unsupported(f"cannot reshape {fmt(full)} to {fmt(tuple(dims))}: the element counts differ")
    try:
        placed = layout.reshaped(x.shape, tuple(dims), ctx.batch)
    except LayoutError as error:
        raise Unsupported(f"reshaping {fmt(full)} to {fmt(tuple(dims))}: {error}; costs are per sample") from None
    return placed.sample_shape(dims, ctx.batch), placed


@handles("Reshape")
def reshape(ctx: NodeContext) -> None:
    """Reshape -> a view (Flatten when flat, else Reshape) of the per-sample tensor; the batch may move or merge
    with another axis (attention's ``[L, N*heads, d]``), but never split; the shape may be folded shape
    arithmetic."""
    x, layout = ctx.placed(0)
    target = ctx.known(1, "shape") if ctx.opset >= 5 else ctx.attr.ints("shape")
    shape, placed = reshaped(ctx, x, tuple(target), bool(ctx.attr.int("allowzero", 0, choices=(0, 1))), layout)
    view(ctx, x, shape, placed)


@handles("Flatten")
def flatten(ctx: NodeContext) -> None:
    """Flatten(axis=1) -> Flatten (a view)."""
    x = ctx.activation(0)
    axis = ctx.attr.int("axis", 1)
    axis = axis + ctx.rank(x) if axis < 0 else axis
    if axis != 1:
        raise Unsupported(f"Flatten axis {axis} merges the batch axis with others; only axis 1 is supported")
    view(ctx, x, (product(x.shape),))


def _squeezed(ctx: NodeContext, x, axes, layout: Layout) -> tuple:
    rank = ctx.rank(x, layout)
    full = ctx.full_shape(x, layout)
    if axes is None:
        axes = [i for i, d in enumerate(full) if d == 1 and (layout.free or i not in
                                                            {p.axis for p in layout.placements})]
    normal = {ctx.axis(a, rank, "axes") for a in axes}
    if layout.standard and 0 in normal:
        raise Unsupported("squeezing the batch axis is not supported")
    layout = layout.avoiding(normal, "Squeeze")
    for a in normal:
        if surely_different(full[a], 1):
            raise Unsupported(f"cannot squeeze axis {a} of size {fmt(full[a])} in {fmt(full)}")
    layout = layout.squeezed(normal)
    return layout.sample_shape(tuple(d for i, d in enumerate(full) if i not in normal), ctx.batch), layout


@handles("Squeeze")
def squeeze(ctx: NodeContext) -> None:
    """Squeeze (axes an attribute before opset 13, an input from it) -> a view: Squeeze with the batch first
    (Flatten when the result is flat), else Reshape."""
    x, layout = ctx.placed(0)
    shape, placed = _squeezed(ctx, x, ctx.axes(1), layout)
    rank = ctx.rank(x, layout)
    axes = ctx.axes(1)
    dropped = sorted(ctx.axis(a, rank, "axes") - 1 for a in axes) if axes is not None else None
    view(ctx, x, shape, placed, Squeeze(tuple(dropped)) if dropped else Squeeze())


@handles("Unsqueeze")
def unsqueeze(ctx: NodeContext) -> None:
    """Unsqueeze (axes an attribute before opset 13, an input from it) -> a view: Unsqueeze with the batch
    first, else Reshape."""
    x, layout = ctx.placed(0)
    axes = ctx.axes(1)
    if axes is None:
        raise Unsupported("Unsqueeze needs axes")
    rank = ctx.rank(x, layout) + len(axes)
    normal = sorted(ctx.axis(a, rank, "axes") for a in axes)
    dims = list(ctx.full_shape(x, layout))
    for a in normal:
        dims.insert(a, 1)
    layout = layout.unsqueezed(normal, rank)
    op = Unsqueeze(tuple(a - 1 for a in normal)) if normal[0] >= 1 else None
    view(ctx, x, layout.sample_shape(tuple(dims), ctx.batch), layout, op)


@handles("Transpose")
def transpose(ctx: NodeContext) -> None:
    """Transpose -> Transpose of the per-sample tensor (data movement); the batch axis moves with its perm (a
    perm that only moves the batch, ``[N, L, E] -> [L, N, E]``, still moves every element: a Transpose whose
    per-sample perm keeps the order)."""
    x, layout = ctx.placed(0)
    rank = ctx.rank(x, layout)
    perm = ctx.attr.ints("perm", tuple(reversed(range(rank))), length=rank)
    if sorted(perm) != list(range(rank)):
        raise Unsupported(f"perm {list(perm)} is not a permutation of the {rank} axes")
    if list(perm) == list(range(rank)):
        ctx.alias(0)
        return
    sample_perm, placed = layout.transposed(tuple(perm))
    ctx.output(ctx.add(Transpose(sample_perm), x), 0, placed)


@handles("Concat")
def concat(ctx: NodeContext) -> None:
    """Concat of activations along any axis but the batch's -> Concat; a constant among them (ViT's class
    token, expanded to the batch) enters through a Constant node, learned when it comes from an initializer
    (its elements are params)."""
    activations = [i for i in range(ctx.input_count) if isinstance(ctx.value(i), Tensor)]
    if not activations:
        raise Unsupported("no input is an activation")
    if ctx.input_count == 1:
        ctx.alias(0)
        return
    first, layout = ctx.placed(activations[0])
    for i in activations[1:]:
        layout = layout.meet(ctx.layout(i), "Concat")
    rank = ctx.rank(first, layout)
    axis = ctx.axis(ctx.attr.int("axis", 1), rank, "axis")
    layout = layout.avoiding({axis}, "Concat")
    tensors = [ctx.value(i) if isinstance(ctx.value(i), Tensor) else _constant_part(ctx, i, layout, rank, axis)
               for i in range(ctx.input_count)]
    ctx.output(ctx.add(Concat(axis=layout.sample_axis(axis)), *tensors), 0, layout)


def _constant_part(ctx: NodeContext, index: int, layout: Layout, rank: int, axis: int):
    """A constant input of a Concat as the output of a Constant node: its per-sample shape is its ONNX shape
    with the batch axis (N, or 1 when it is broadcast) taken out."""
    constant = ctx.const(index, "input")
    shape = tuple(constant.shape)
    if len(shape) != rank:
        raise Unsupported(f"input {index} {fmt(shape)} has rank {len(shape)}, the activations {rank}")
    if layout.free:
        sample = shape
    elif layout.merged:
        raise Unsupported(f"a constant input with {layout.describe()} is not supported")
    else:
        own = layout.placements[0].axis
        if surely_different(shape[own], ctx.batch) and surely_different(shape[own], 1):
            raise Unsupported(f"input {index} {fmt(shape)} has size {fmt(shape[own])} on the batch axis {own}")
        sample = shape[:own] + shape[own + 1:]
    learned = constant.is_float and constant.initializer
    return ctx.add(Constant(sample, learned=learned), named_after=constant.source or None)


@handles("Split")
def split(ctx: NodeContext) -> None:
    """Split along channels -> Split: sizes from the 'split' attribute (before opset 13) or input (from
    13), else equal parts (num_outputs from opset 18)."""
    x = ctx.activation(0)
    axis, _ = ctx.sample_axis(ctx.attr.int("axis", 0), x)
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
    """Slice along axes of an activation other than the batch's -> one Slice per sliced axis (a channel
    slice is one part of a channel split)."""
    x, layout = ctx.placed(0)
    if ctx.opset < 10:
        starts, ends = ctx.attr.ints("starts"), ctx.attr.ints("ends")
        axes, steps = ctx.attr.ints("axes"), None
    else:
        starts, ends = ctx.known(1, "starts"), ctx.known(2, "ends")
        axes, steps = ctx.known(3, "axes"), ctx.known(4, "steps")
    axes = list(axes) if axes is not None else list(range(len(starts)))
    steps = list(steps) if steps is not None else [1] * len(starts)
    changed = []
    full = ctx.full_shape(x, layout)
    rank = ctx.rank(x, layout)
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis = ctx.axis(int(axis), rank, "axes")
        size = full[axis]
        if isinstance(size, int) and start == 0 and step == 1 and end >= size:
            continue
        if layout.standard and axis == 0:
            raise Unsupported("slicing the batch axis is not supported")
        layout = layout.avoiding({axis}, "Slice")
        changed.append((axis, start, end, step))
    if not changed:
        ctx.alias(0)
        return
    for axis, start, end, step in changed:
        size = full[axis]
        if isinstance(size, int):  # ONNX writes "to the end" as a huge bound (INT64_MAX); within the axis it is
            bound = size if step > 0 else -size - 1
            end = None if (end >= bound if step > 0 else end <= bound) else end
            start = max(min(start, size), -size - 1)
        x = ctx.add(Slice(axis=layout.sample_axis(axis), start=int(start), stop=None if end is None else int(end),
                          step=int(step)), x)
    ctx.output(x, 0, layout)


@handles("Gather")
def gather(ctx: NodeContext) -> None:
    """Gather along an axis of an activation other than the batch's: of one constant index (``x[:, 0]``, a
    class token) -> Slice of that one element, then Squeeze (a view) when the index is a scalar; of a
    constant index tensor (Swin v2's relative-position table) -> Gather."""
    x, layout = ctx.placed(0)
    indices = ctx.const(1, "indices")
    rank = ctx.rank(x, layout)
    axis = ctx.axis(ctx.attr.int("axis", 0), rank, "axis")
    if layout.standard and axis == 0:
        raise Unsupported("axis 0 is the batch axis; costs are per sample, so ops along it are not supported")
    layout = layout.avoiding({axis}, "Gather")
    sample = layout.sample_axis(axis)
    if indices is None:
        raise Unsupported("Gather on an activation needs constant indices, got none")
    size = x.shape[sample]
    if indices.numel != 1:
        if indices.dtype not in wire.INT_TYPES:
            raise Unsupported(f"indices must be integers, got type {indices.dtype}")
        shape = tuple(indices.shape)
        if len(shape) == 0:
            placed = layout.squeezed({axis})
        else:  # the axis becomes the index axes
            placed = layout.unsqueezed(list(range(axis + 1, axis + len(shape))), rank + len(shape) - 1)
        ctx.output(ctx.add(Gather(axis=sample, indices=shape), x), 0, placed)
        return
    if indices.values is None:
        raise Unsupported(f"Gather on an activation needs one constant index, got indices of shape "
                          f"{fmt(tuple(indices.shape))}")
    index = int(indices.values[0])
    if isinstance(size, int) and not -size <= index < size:
        raise Unsupported(f"index {index} out of range for axis {axis} of size {size} in "
                          f"{fmt(ctx.full_shape(x, layout))}")
    picked = ctx.add(Slice(axis=sample, start=index, stop=index + 1 if index != -1 else None), x)
    if len(indices.shape) == 0:
        picked = ctx.add(Squeeze(axes=(sample,)), picked)
        layout = layout.squeezed({axis})
    ctx.output(picked, 0, layout)
