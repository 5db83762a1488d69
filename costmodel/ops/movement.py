"""Data-movement ops: Concat, Split, ChannelShuffle, Flatten, Upsample, Shift, Identity.

None has parameters and none is counted in ``flops`` under ``paper``; under ``all`` only bilinear
Upsample costs anything (4 per output element: a weighted sum of 4 neighbours). They are what G4 of
ShuffleNet V2 is about: cheap in flops, not in mac. Concat, Split, ChannelShuffle, Upsample and Shift read
their input and write their output; Flatten and Identity are views and move nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..dims import as_dim, exact_ratio, fmt, quotient, surely_below, surely_different, surely_not_multiple
from .base import Field, Op, numel


@dataclass(frozen=True)
class Concat(Op):
    """Concatenate two or more ``[C_i, H, W]`` tensors along channels."""

    kind = "concat"
    category = "movement"
    min_inputs = 2
    max_inputs = None

    def output_shapes(self, inputs):
        for shape in inputs:
            self.expect_rank(shape, 3, "inputs")
        first = inputs[0]
        for shape in inputs[1:]:
            if surely_different(shape[1], first[1]) or surely_different(shape[2], first[2]):
                raise self.fail("inputs", "must agree in height and width, but got "
                                          + " and ".join(fmt(s) for s in inputs))
        return ((sum((s[0] for s in inputs), 0), first[1], first[2]),)

    def receptive_field(self, field: Field, inputs) -> Field:
        return field


@dataclass(frozen=True)
class Split(Op):
    """Split ``[C, H, W]`` along channels, into ``sections`` equal parts or parts of the given ``sizes``."""

    sections: Any = 2
    sizes: Any = None

    kind = "split"
    category = "movement"
    multiple_outputs = True

    def __post_init__(self):
        if self.sizes is None:
            self._normalise("sections", self.sections, minimum=2)
            if not isinstance(self.sections, int):
                raise self.fail("sections", f"must be a number (it sets how many tensors come out), "
                                            f"got {fmt(self.sections)}")
            return
        if not isinstance(self.sizes, (list, tuple)) or len(self.sizes) < 2:
            raise self.fail("sizes", f"must be a list of two or more channel counts, got {self.sizes!r}")
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
        self.expect_rank(inputs[0], 3)
        c, h, w = inputs[0]
        if self.sizes is None:
            if surely_not_multiple(c, self.sections):
                raise self.fail("sections", f"must divide input channels, but {fmt(self.sections)} does not "
                                            f"divide {fmt(c)}")
            part = quotient(c, self.sections)
            return tuple((part, h, w) for _ in range(self.sections))
        total = sum(self.sizes, 0)
        if surely_different(total, c):
            raise self.fail("sizes", f"must add up to the input channels {fmt(c)}, but "
                                     f"{' + '.join(fmt(s) for s in self.sizes)} = {fmt(total)}")
        return tuple((size, h, w) for size in self.sizes)


@dataclass(frozen=True)
class ChannelShuffle(Op):
    """ShuffleNet's channel shuffle: view channels as ``(groups, n)``, transpose to ``(n, groups)``, flatten.

    Output channel ``j`` takes input channel :meth:`permutation` ``[j]``.
    """

    groups: Any = 2

    kind = "channel_shuffle"
    category = "movement"

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


@dataclass(frozen=True)
class Flatten(Op):
    """``[C, H, W] -> [C*H*W]``; a view of a contiguous tensor: no mac."""

    kind = "flatten"
    category = "movement"

    def output_shapes(self, inputs):
        return ((numel(inputs[0]),),)

    def elements_read(self, inputs, outputs):
        return 0

    def elements_written(self, inputs, outputs):
        return 0

    def receptive_field(self, field: Field, inputs) -> Field:
        if len(inputs[0]) != 3:
            return field
        _, h, w = inputs[0]
        return field.window((h, w), (h, w))


@dataclass(frozen=True)
class Identity(Op):
    """Passes its input on unchanged; no cost of any kind."""

    kind = "identity"
    category = "movement"

    def elements_read(self, inputs, outputs):
        return 0

    def elements_written(self, inputs, outputs):
        return 0


@dataclass(frozen=True)
class Upsample(Op):
    """Upsampling by an integer ``scale`` (or pair), ``mode`` nearest or bilinear.

    ``all``: nearest copies (0), bilinear costs 4 per output element.
    """

    scale: Any = 2
    mode: str = "nearest"

    kind = "upsample"
    category = "movement"

    def __post_init__(self):
        self._normalise("scale", self.scale, as_pair=True)
        if self.mode not in ("nearest", "bilinear"):
            raise self.fail("mode", f"must be 'nearest' or 'bilinear', got {self.mode!r}")

    def output_shapes(self, inputs):
        self.expect_rank(inputs[0], 3)
        c, h, w = inputs[0]
        return ((c, h * self.scale[0], w * self.scale[1]),)

    def multiply_adds(self, inputs, outputs):
        return 4 * numel(outputs[0]) if self.mode == "bilinear" else 0

    def receptive_field(self, field: Field, inputs) -> Field:
        grow = 1 if self.mode == "bilinear" else 0  # bilinear reads the next input pixel too
        return Field(field.size_h + grow * field.stride_h, field.size_w + grow * field.stride_w,
                     exact_ratio(field.stride_h, self.scale[0]), exact_ratio(field.stride_w, self.scale[1]))


@dataclass(frozen=True)
class Shift(Op):
    """The zero-flop, zero-parameter shift (Wu et al., 2018): each channel group moved by one of the
    ``kh*kw`` offsets of a kernel. Reads input, writes output; shape unchanged."""

    kernel: Any = 3

    kind = "shift"
    category = "movement"

    def __post_init__(self):
        self._normalise("kernel", self.kernel, as_pair=True)

    def output_shapes(self, inputs):
        self.expect_rank(inputs[0], 3)
        return (inputs[0],)

    def receptive_field(self, field: Field, inputs) -> Field:
        return field.window(self.kernel, (1, 1))


