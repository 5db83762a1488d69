"""Data-movement ops: Concat, Split, ChannelShuffle, Flatten, Upsample, Shift, Identity.

None has parameters and none is counted in ``flops`` under ``paper``; under ``all`` only bilinear
Upsample costs anything (4 per output element: a weighted sum of 4 neighbours). They are what G4 of
ShuffleNet V2 is about: cheap in flops, not in mac. Concat, Split, ChannelShuffle, Upsample and Shift read
their input and write their output; Flatten and Identity are views and move nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from .. import limits
from ..dims import as_dim, exact_ratio, fmt, quotient, surely_below, surely_different, surely_not_multiple
from ..values import show
from .base import Op, ReceptiveField, Size, SizePair, Sizes, numel
from .registry import op_kind
from .tensor import axis_of as _axis_of


@op_kind("concat")
@dataclass(frozen=True)
class Concat(Op):
    """Concatenate two or more tensors along ``axis`` (default 0: the channels of ``[C_i, H, W]``); the
    inputs agree in every other axis. ``axis`` counts per-sample axes, a negative one from the end."""

    axis: int = 0

    category = "movement"
    spatial_fields = ()
    absorbs = frozenset({"channel shuffle"})  # concat + shuffle + split move data once (ShuffleNet V2)
    min_inputs = 2
    max_inputs = None

    def __post_init__(self):
        if isinstance(self.axis, bool) or not isinstance(self.axis, int):
            raise self.fail("axis", f"must be a whole number, got {self.axis!r}")

    def output_shapes(self, inputs):
        first = inputs[0]
        if any(len(shape) != len(first) for shape in inputs):
            raise self.fail("inputs", "must have the same rank, got " + " and ".join(fmt(s) for s in inputs))
        axis = _axis_of(self, "axis", self.axis, len(first))
        for shape in inputs[1:]:
            if any(surely_different(a, b) for i, (a, b) in enumerate(zip(shape, first)) if i != axis):
                others = ("height and width" if self.axis == 0 and len(first) == 3
                          else f"every axis but axis {self.axis}")
                raise self.fail("inputs", f"must agree in {others}, but got " + " and ".join(fmt(s) for s in inputs))
        total = sum((s[axis] for s in inputs), 0)
        return (first[:axis] + (total,) + first[axis + 1:],)

    def receptive_field(self, field: ReceptiveField, inputs) -> ReceptiveField:
        return field


@op_kind("split")
@dataclass(frozen=True)
class Split(Op):
    """Split ``[C, H, W]`` along channels, into ``sections`` equal parts or parts of the given ``sizes``;
    with another ``axis``, a tensor of any rank along that axis (a negative one counts from the end)."""

    sections: int = 2
    sizes: Sizes | None = None
    axis: int = 0

    category = "movement"
    spatial_fields = ()
    fusion_role = "channel split"
    multiple_outputs = True

    def __post_init__(self):
        if isinstance(self.axis, bool) or not isinstance(self.axis, int):
            raise self.fail("axis", f"must be a whole number, got {self.axis!r}")
        if self.sizes is None:
            self._normalise("sections", self.sections, minimum=2)
            if not isinstance(self.sections, int):
                raise self.fail("sections", f"must be a number (it sets how many tensors come out), "
                                            f"got {fmt(self.sections)}")
            if self.sections > limits.MAX_OUTPUTS:
                raise self.fail("sections", f"must be at most {limits.MAX_OUTPUTS} (the limit MAX_OUTPUTS), "
                                            f"got {self.sections}")
            return
        if not isinstance(self.sizes, (list, tuple)) or len(self.sizes) < 2:
            raise self.fail("sizes", f"must be a list of two or more channel counts, got {show(self.sizes, limit=60)}")
        if len(self.sizes) > limits.MAX_OUTPUTS:
            raise self.fail("sizes", f"must list at most {limits.MAX_OUTPUTS} parts (the limit MAX_OUTPUTS), "
                                     f"got {len(self.sizes)}")
        sizes = []
        for size in self.sizes:
            try:
                sizes.append(as_dim(size, "sizes"))
            except TypeError as error:
                raise self.fail("sizes", f"must hold integers or symbols, got {size!r}") from error
            if surely_below(sizes[-1], 1):
                raise self.fail("sizes", f"must all be at least 1, got {fmt(sizes[-1])}")
        object.__setattr__(self, "sizes", tuple(sizes))
        object.__setattr__(self, "sections", len(sizes))

    def output_shapes(self, inputs):
        axis = _axis_of(self, "axis", self.axis, len(inputs[0]))
        what = "input channels" if self.axis == 0 else f"input's axis {self.axis}"
        shape = inputs[0]
        c = shape[axis]
        if self.sizes is None:
            if surely_not_multiple(c, self.sections):
                raise self.fail("sections", f"must divide {what}, but {fmt(self.sections)} does not "
                                            f"divide {fmt(c)}")
            parts = (quotient(c, self.sections),) * self.sections
        else:
            total = sum(self.sizes, 0)
            if surely_different(total, c):
                raise self.fail("sizes", f"must add up to the {what} {fmt(c)}, but "
                                         f"{' + '.join(fmt(s) for s in self.sizes)} = {fmt(total)}")
            parts = self.sizes
        return tuple(shape[:axis] + (part,) + shape[axis + 1:] for part in parts)


@op_kind("channel_shuffle")
@dataclass(frozen=True)
class ChannelShuffle(Op):
    """ShuffleNet's channel shuffle: view channels as ``(groups, n)``, transpose to ``(n, groups)``, flatten.

    Output channel ``j`` takes input channel ``permutation`` ``[j]``.
    """

    groups: Size = 2

    category = "movement"
    spatial_fields = ()
    fusion_role = "channel shuffle"
    absorbs = frozenset({"channel split"})

    def __post_init__(self):
        self._normalise("groups", self.groups)

    def output_shapes(self, inputs):
        self.expect_rank(inputs[0], 3)
        if surely_not_multiple(inputs[0][0], self.groups):
            raise self.fail("groups", f"must divide input channels, but {fmt(self.groups)} does not divide "
                                      f"{fmt(inputs[0][0])}")
        return (inputs[0],)

    def permutation(self, channels: int) -> list[int]:
        """Input channel index for each output channel, for numeric ``groups`` and ``channels``."""
        if not isinstance(self.groups, int) or not isinstance(channels, int) or channels % self.groups:
            raise self.fail("groups", f"needs numbers that divide, got groups {fmt(self.groups)} and "
                                      f"channels {fmt(channels)}")
        per_group = channels // self.groups
        # reshape (groups, per_group) -> transpose (per_group, groups) -> flatten
        return [g * per_group + n for n in range(per_group) for g in range(self.groups)]


@op_kind("flatten")
@dataclass(frozen=True)
class Flatten(Op):
    """``[C, H, W] -> [C*H*W]``; a view of a contiguous tensor: no mac."""

    category = "movement"
    spatial_fields = ()

    def output_shapes(self, inputs):
        return ((numel(inputs[0]),),)

    def elements_read(self, inputs, outputs):
        return 0

    def elements_written(self, inputs, outputs):
        return 0

    def receptive_field(self, field: ReceptiveField, inputs) -> ReceptiveField:
        if len(inputs[0]) != 3:
            return field
        _, h, w = inputs[0]
        return field.window((h, w), (h, w))


@op_kind("upsample")
@dataclass(frozen=True)
class Upsample(Op):
    """Resizing ``[C, H, W]`` by a ``scale`` (or pair), or to an output ``size`` (height, width), ``mode``
    nearest or bilinear (ONNX Resize and Upsample; ONNX's "linear" on a 2-D map is bilinear).

    * shape: ``[C, floor(H*scale_h), floor(W*scale_w)]``, or ``[C, size_h, size_w]`` when ``size`` is given
      (then ``scale`` is left at its default). A scale is a whole number, or in Python also an exact
      fraction or a decimal (``0.5``, ``1.5``: ONNX Resize's ``scales``), above 0.
    * params 0; multiply-adds: nearest copies (0), bilinear costs 4 per output element (under ``all``)
    * mac: input + output
    """

    scale: SizePair = 2  # in Python also an exact fraction or a decimal (see above)
    mode: Literal["nearest", "bilinear"] = "nearest"
    size: SizePair | None = None

    category = "movement"

    def __post_init__(self):
        if self.size is not None:
            if self.scale != 2:
                raise self.fail("size", f"is given with scale {self.scale!r}: give scale or size, not both")
            self._normalise("size", self.size, as_pair=True)
        elif self._fractional(self.scale):
            parts = self.scale if isinstance(self.scale, (tuple, list)) else (self.scale, self.scale)
            if len(parts) != 2:
                raise self.fail("scale", f"must be one value or a pair (height, width), got {list(parts)!r}")
            scales = []
            for part in parts:
                ratio = _ratio(part)
                if ratio is None or ratio <= 0:
                    raise self.fail("scale", f"must be above 0, got {part!r}")
                scales.append(ratio.numerator if ratio.denominator == 1 else ratio)
            object.__setattr__(self, "scale", tuple(scales))
        else:
            self._normalise("scale", self.scale, as_pair=True)
        if self.mode not in ("nearest", "bilinear"):
            raise self.fail("mode", f"must be 'nearest' or 'bilinear', got {self.mode!r}")

    @staticmethod
    def _fractional(scale) -> bool:
        parts = scale if isinstance(scale, (tuple, list)) else (scale,)
        return any(isinstance(p, (float, Fraction)) or getattr(p, "is_Rational", False) and not p.is_Integer
                   for p in parts)

    def output_shapes(self, inputs):
        self.expect_rank(inputs[0], 3)
        c, h, w = inputs[0]
        if self.size is not None:
            return ((c, self.size[0], self.size[1]),)
        return ((c, _scaled(h, self.scale[0]), _scaled(w, self.scale[1])),)

    def multiply_adds(self, inputs, outputs):
        return 4 * numel(outputs[0]) if self.mode == "bilinear" else 0

    def receptive_field(self, field: ReceptiveField, inputs) -> ReceptiveField:
        grow = 1 if self.mode == "bilinear" else 0  # bilinear reads the next input pixel too
        _, h, w = inputs[0]
        if self.size is not None:
            factors = (exact_ratio(self.size[0], h), exact_ratio(self.size[1], w))
        else:
            factors = self.scale
        return ReceptiveField(field.size_h + grow * field.stride_h, field.size_w + grow * field.stride_w,
                              exact_ratio(field.stride_h, factors[0]), exact_ratio(field.stride_w, factors[1]))


def _ratio(value) -> Fraction | None:
    """A scale as an exact fraction: a decimal as written (``0.1`` is 1/10), a Fraction or rational as is."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (float, int, Fraction)) or getattr(value, "is_Rational", False):
        return Fraction(str(value))
    return None


def _scaled(size, scale):
    """``floor(size * scale)`` in integer arithmetic (ONNX Resize's output size)."""
    if isinstance(scale, Fraction):
        return size * scale.numerator // scale.denominator
    return size * scale


@op_kind("shift")
@dataclass(frozen=True)
class Shift(Op):
    """The zero-flop, zero-parameter shift (Wu et al., 2018): each channel group moved by one of the
    ``kh*kw`` offsets of a kernel. Reads input, writes output; shape unchanged."""

    kernel: SizePair = 3

    category = "movement"

    def __post_init__(self):
        self._normalise("kernel", self.kernel, as_pair=True)

    def output_shapes(self, inputs):
        self.expect_rank(inputs[0], 3)
        return (inputs[0],)

    def receptive_field(self, field: ReceptiveField, inputs) -> ReceptiveField:
        return field.window(self.kernel, (1, 1))


@op_kind("identity")
@dataclass(frozen=True)
class Identity(Op):
    """Passes its input on unchanged; no cost of any kind."""

    category = "movement"
    spatial_fields = ()

    def elements_read(self, inputs, outputs):
        return 0

    def elements_written(self, inputs, outputs):
        return 0
