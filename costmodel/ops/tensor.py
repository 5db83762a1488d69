"""Tensor-layout ops: Transpose, Reshape, Squeeze, Unsqueeze, Pad, Slice, Gather, Expand.

Shapes are per sample (batch left out), of any rank; an axis counts from 0 for the first per-sample axis
(the channels of ``[C, H, W]``), a negative axis from the end (``-1`` is the last). None has parameters or
multiply-adds under either convention. Transpose, Pad, Slice, Gather and Expand move data: mac is the elements
they read plus those they write (a slice reads only the elements it keeps). Reshape, Squeeze and Unsqueeze are views
of a contiguous tensor, like Flatten: mac 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..dims import as_dim, ceil_div, fmt, known, larger, quotient, smaller, surely_different
from .base import Ints, Op, Sizes, numel
from .registry import op_kind


def axis_of(op: Op, name: str, axis: Any, rank: int) -> int:
    """``axis`` as an index into a per-sample shape of ``rank`` axes (a negative axis counts from the end)."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise op.fail(name, f"must be a whole number, got {axis!r}")
    if not -rank <= axis < rank:
        raise op.fail(name, f"must be between {-rank} and {rank - 1} for an input of rank {rank}, got {axis}")
    return axis % rank


def whole_numbers(op: Op, name: str, values: Any, *, allow_none: bool = False) -> tuple | None:
    """Check a list of whole numbers (axes, a permutation) and return it as a tuple."""
    if values is None and allow_none:
        return None
    if isinstance(values, int) and not isinstance(values, bool):
        values = (values,)
    if not isinstance(values, (list, tuple)) or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        raise op.fail(name, f"must be a list of whole numbers, got {values!r}")
    object.__setattr__(op, name, tuple(values))
    return tuple(values)


def sizes(op: Op, name: str, values: Any) -> tuple:
    """Check a list of sizes (integers or symbols, any sign) and return it as a tuple."""
    if not isinstance(values, (list, tuple)):
        raise op.fail(name, f"must be a list of sizes, got {values!r}")
    try:
        normal = tuple(as_dim(v, name) for v in values)
    except TypeError as error:
        raise op.fail(name, f"must hold integers or symbols, got {list(values)!r}") from error
    object.__setattr__(op, name, normal)
    return normal


def positive_sizes(op: Op, name: str, values: Any) -> tuple:
    """Check a non-empty list of sizes, each at least 1 (or a symbol), and return it as a tuple."""
    normal = sizes(op, name, values)
    if not normal:
        raise op.fail(name, "must have at least one axis, got []")
    for size in normal:
        if isinstance(size, int) and size < 1:
            raise op.fail(name, f"sizes must be at least 1, got {fmt(normal)}")
    return normal


class _View:
    """Mixin for ops that only relabel a contiguous tensor: nothing read, nothing written."""

    def elements_read(self, inputs, outputs):
        return 0

    def elements_written(self, inputs, outputs):
        return 0


@op_kind("transpose")
@dataclass(frozen=True)
class Transpose(Op):
    """Permute the axes: output axis ``i`` is input axis ``perm[i]`` (ONNX Transpose, ``torch.permute``).

    * shape: ``[x[perm[0]], x[perm[1]], ...]``
    * params 0, multiply-adds 0; mac: input + output (every element is moved)
    """

    perm: Ints

    category = "movement"

    def __post_init__(self):
        whole_numbers(self, "perm", self.perm)

    def output_shapes(self, inputs):
        shape = inputs[0]
        if sorted(self.perm) != list(range(len(shape))):
            raise self.fail("perm", f"must be a permutation of 0..{len(shape) - 1} for an input of rank "
                                    f"{len(shape)}, got {list(self.perm)}")
        return (tuple(shape[axis] for axis in self.perm),)


@op_kind("reshape")
@dataclass(frozen=True)
class Reshape(_View, Op):
    """View the input with another per-sample ``shape``; one entry may be ``-1``, inferred from the rest.

    * shape: ``shape`` (its product must equal the input's number of elements)
    * params 0, multiply-adds 0; mac 0 (a view)
    """

    shape: Sizes

    category = "movement"

    def __post_init__(self):
        target = sizes(self, "shape", self.shape)
        if not target:
            raise self.fail("shape", "must have at least one axis, got []")
        if sum(1 for d in target if isinstance(d, int) and d == -1) > 1:
            raise self.fail("shape", f"may hold at most one -1, got {fmt(target)}")
        for d in target:
            if isinstance(d, int) and d != -1 and d < 1:
                raise self.fail("shape", f"sizes must be at least 1 (or one -1), got {fmt(target)}")

    def output_shapes(self, inputs):
        count = numel(inputs[0])
        known_part = 1
        for d in self.shape:
            if not (isinstance(d, int) and d == -1):
                known_part = known_part * d
        if any(isinstance(d, int) and d == -1 for d in self.shape):
            if known(count % known_part != 0) is True:
                raise self.fail("shape", f"cannot hold the {fmt(count)} elements of input {fmt(inputs[0])}: "
                                         f"{fmt(known_part)} does not divide {fmt(count)}")
            rest = quotient(count, known_part)
            return (tuple(rest if isinstance(d, int) and d == -1 else d for d in self.shape),)
        if surely_different(known_part, count):
            raise self.fail("shape", f"must hold the {fmt(count)} elements of input {fmt(inputs[0])}, but "
                                     f"{fmt(self.shape)} holds {fmt(known_part)}")
        return (self.shape,)


@op_kind("squeeze")
@dataclass(frozen=True)
class Squeeze(_View, Op):
    """Remove axes of size 1: those in ``axes``, or every axis of size 1 when ``axes`` is null.

    * params 0, multiply-adds 0; mac 0 (a view)
    """

    axes: Ints | None = None

    category = "movement"

    def __post_init__(self):
        whole_numbers(self, "axes", self.axes, allow_none=True)

    def output_shapes(self, inputs):
        shape = inputs[0]
        if self.axes is None:
            drop = {i for i, d in enumerate(shape) if isinstance(d, int) and d == 1}
        else:
            drop = {axis_of(self, "axes", axis, len(shape)) for axis in self.axes}
            for axis in sorted(drop):
                if surely_different(shape[axis], 1):
                    raise self.fail("axes", f"must name axes of size 1, but axis {axis} of input {fmt(shape)} "
                                            f"has size {fmt(shape[axis])}")
        kept = tuple(d for i, d in enumerate(shape) if i not in drop)
        if not kept:
            raise self.fail("axes", f"would remove every axis of input {fmt(shape)}")
        return (kept,)


@op_kind("unsqueeze")
@dataclass(frozen=True)
class Unsqueeze(_View, Op):
    """Insert axes of size 1 at the positions ``axes`` of the output (ONNX Unsqueeze).

    * shape: rank ``r + len(axes)``, 1 at each of ``axes``, the input's sizes in order elsewhere
    * params 0, multiply-adds 0; mac 0 (a view)
    """

    axes: Ints

    category = "movement"

    def __post_init__(self):
        whole_numbers(self, "axes", self.axes)
        if not self.axes:
            raise self.fail("axes", "must name at least one axis, got []")

    def output_shapes(self, inputs):
        rank = len(inputs[0]) + len(self.axes)
        where = [axis_of(self, "axes", axis, rank) for axis in self.axes]
        if len(set(where)) != len(where):
            raise self.fail("axes", f"must not repeat an axis, got {list(self.axes)} for an output of rank {rank}")
        rest = iter(inputs[0])
        return (tuple(1 if i in where else next(rest) for i in range(rank)),)


PAD_MODES = ("constant", "reflect", "edge", "wrap")


@op_kind("pad")
@dataclass(frozen=True)
class Pad(Op):
    """Pad every axis: ``pads`` is ``[begin_0, begin_1, ..., end_0, end_1, ...]`` as in ONNX Pad (a
    negative entry crops). ``mode`` is constant, reflect, edge or wrap.

    * shape: axis ``i`` becomes ``x[i] + begin_i + end_i``
    * params 0, multiply-adds 0; mac: input + output (data movement)
    """

    pads: Sizes
    mode: str = "constant"

    category = "movement"

    def __post_init__(self):
        sizes(self, "pads", self.pads)
        if self.mode not in PAD_MODES:
            raise self.fail("mode", f"must be one of {', '.join(PAD_MODES)}, got {self.mode!r}")

    def output_shapes(self, inputs):
        shape = inputs[0]
        rank = len(shape)
        if len(self.pads) != 2 * rank:
            raise self.fail("pads", f"must hold 2 entries per axis ({2 * rank} for input {fmt(shape)}), "
                                    f"got {len(self.pads)}")
        begins, ends = self.pads[:rank], self.pads[rank:]
        if self.mode == "reflect":
            for axis, (size, begin, end) in enumerate(zip(shape, begins, ends)):
                if known(larger(begin, end) >= size) is True:
                    raise self.fail("pads", f"must be smaller than the input in reflect mode, but axis {axis} "
                                            f"of {fmt(shape)} is padded by {fmt(begin)} and {fmt(end)}")
        return (tuple(size + begin + end for size, begin, end in zip(shape, begins, ends)),)


@op_kind("slice")
@dataclass(frozen=True)
class Slice(Op):
    """Elements ``start:stop:step`` of one ``axis``, as Python and ONNX Slice read them: a negative
    ``start`` or ``stop`` counts from the end, both are clamped to the axis, ``stop`` null is the end.

    * shape: the axis becomes ``max(0, ceil((stop - start) / step))`` after clamping
    * params 0, multiply-adds 0; mac: the elements kept, read once and written once (two channel slices
      of one tensor cost what a channel split does)
    """

    axis: int = 0
    start: int = 0
    stop: int | None = None
    step: int = 1

    category = "movement"

    def __post_init__(self):
        for name in ("axis", "start", "step"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(name, f"must be a whole number, got {value!r}")
        if self.stop is not None and (isinstance(self.stop, bool) or not isinstance(self.stop, int)):
            raise self.fail("stop", f"must be a whole number or null, got {self.stop!r}")
        if self.step == 0:
            raise self.fail("step", "must not be 0")

    def output_shapes(self, inputs):
        shape = inputs[0]
        axis = axis_of(self, "axis", self.axis, len(shape))
        size = shape[axis]
        if self.step > 0:
            low, high = 0, size
            default_stop = size
        else:
            low, high = -1, size - 1
            default_stop = -1
        begin = _clamp(self.start + size if self.start < 0 else self.start, low, high)
        if self.stop is None:
            end = default_stop
        else:
            end = _clamp(self.stop + size if self.stop < 0 else self.stop, low, high)
        span = end - begin if self.step > 0 else begin - end
        length = ceil_div(end - begin, self.step)
        if known(span >= 0) is not True:
            length = larger(0, length)
        return (shape[:axis] + (length,) + shape[axis + 1:],)

    def elements_read(self, inputs, outputs):
        return numel(outputs[0])


def _clamp(value, low, high):
    return smaller(larger(value, low), high)


@op_kind("gather")
@dataclass(frozen=True)
class Gather(Op):
    """Pick entries along ``axis`` by an index tensor of shape ``indices`` (ONNX Gather with constant
    indices, ``table[index]``: Swin v2's relative-position bias gathered from its table).

    * shape: the input with ``axis`` replaced by the ``indices`` axes
    * params 0, multiply-adds 0; mac: the input, the indices and the output, each once
    """

    indices: Sizes
    axis: int = 0

    category = "movement"

    def __post_init__(self):
        if isinstance(self.axis, bool) or not isinstance(self.axis, int):
            raise self.fail("axis", f"must be a whole number, got {self.axis!r}")
        positive_sizes(self, "indices", self.indices)

    def output_shapes(self, inputs):
        shape = inputs[0]
        axis = axis_of(self, "axis", self.axis, len(shape))
        result = shape[:axis] + tuple(self.indices) + shape[axis + 1:]
        if not result:
            raise self.fail("indices", f"would leave no axis of input {fmt(shape)}")
        return (result,)

    def elements_read(self, inputs, outputs):
        return numel(inputs[0]) + numel(self.indices)


@op_kind("expand")
@dataclass(frozen=True)
class Expand(Op):
    """Broadcast the input to ``shape`` (ONNX Expand, ``torch.expand`` made contiguous): the input is
    right-aligned on ``shape``, each of its sizes equal to the target's or 1.

    * shape: ``shape``
    * params 0, multiply-adds 0; mac: input + output (the copies are written)
    """

    shape: Sizes

    category = "movement"

    def __post_init__(self):
        positive_sizes(self, "shape", self.shape)

    def output_shapes(self, inputs):
        shape = inputs[0]
        if len(shape) > len(self.shape):
            raise self.fail("shape", f"must have at least the input's {len(shape)} axes, got {fmt(self.shape)} "
                                     f"for input {fmt(shape)}")
        for size, target in zip(shape[::-1], self.shape[::-1]):
            if not (isinstance(size, int) and size == 1) and surely_different(size, target):
                raise self.fail("shape", f"must keep each input size or stretch a 1, got {fmt(self.shape)} for "
                                         f"input {fmt(shape)}")
        return (tuple(self.shape),)
