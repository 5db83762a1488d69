"""Pooling and unpooling: MaxPool2d, AvgPool2d, GlobalAvgPool, MaxUnpool2d.

None of them is counted in ``flops`` under ``paper``. Under ``all``, a window of ``kh*kw`` costs ``kh*kw``
per output element (comparisons or additions), global pooling one per input element, unpooling nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from ..dims import exact_ratio, fmt
from .base import Op, ReceptiveField, SizePair, numel, sliding_output
from .registry import op_kind


@dataclass(frozen=True)
class _WindowPool(Op):
    kernel: SizePair = 2
    stride: SizePair | None = None
    padding: SizePair = 0
    ceil_mode: bool = False

    category = "pool"
    spatial_fields = ("kernel", "stride", "padding", "ceil_mode")

    def __post_init__(self):
        self._normalise("kernel", self.kernel, as_pair=True)
        self._normalise("stride", self.kernel if self.stride is None else self.stride, as_pair=True)
        self._normalise("padding", self.padding, as_pair=True, minimum=0)
        for pad, k in zip(self.padding, self.kernel):
            if isinstance(pad, int) and isinstance(k, int) and 2 * pad > k:
                raise self.fail("padding", f"must be at most half the kernel, got padding {pad} with kernel {k}")
        self._flag("ceil_mode")

    def output_shapes(self, inputs):
        shape = inputs[0]
        self.expect_rank(shape, 3)
        c, h, w = shape
        return ((c,
                 sliding_output(self, "height", h, self.kernel[0], self.stride[0], self.padding[0],
                                ceil_mode=self.ceil_mode),
                 sliding_output(self, "width", w, self.kernel[1], self.stride[1], self.padding[1],
                                ceil_mode=self.ceil_mode)),)

    def multiply_adds(self, inputs, outputs):
        return self.kernel[0] * self.kernel[1] * numel(outputs[0])

    def receptive_field(self, field: ReceptiveField, inputs) -> ReceptiveField:
        return field.window(self.kernel, self.stride)


@op_kind("max_pool")
@dataclass(frozen=True)
class MaxPool2d(_WindowPool):
    """Max pooling; stride defaults to the kernel. ``all``: ``kh*kw`` per output element.

    Args:
        kernel: window size ``k``, or ``(kh, kw)``.
        stride: step of the window; ``None`` (the default) is the kernel size.
        padding: padding on each side, or ``(ph, pw)``.
        ceil_mode: round the output size up instead of down (PyTorch's ``ceil_mode``).
    """


@op_kind("avg_pool")
@dataclass(frozen=True)
class AvgPool2d(_WindowPool):
    """Average pooling; stride defaults to the kernel. ``all``: ``kh*kw`` per output element.

    Args:
        kernel: window size ``k``, or ``(kh, kw)``.
        stride: step of the window; ``None`` (the default) is the kernel size.
        padding: padding on each side, or ``(ph, pw)``.
        ceil_mode: round the output size up instead of down (PyTorch's ``ceil_mode``).
    """


@op_kind("global_avg_pool")
@dataclass(frozen=True)
class GlobalAvgPool(Op):
    """Mean over H and W: ``[C, H, W] -> [C, 1, 1]``. ``all``: one addition per input element."""

    category = "pool"
    spatial_fields = ()

    def output_shapes(self, inputs):
        self.expect_rank(inputs[0], 3)
        return ((inputs[0][0], 1, 1),)

    def multiply_adds(self, inputs, outputs):
        return numel(inputs[0])

    def receptive_field(self, field: ReceptiveField, inputs) -> ReceptiveField:
        _, h, w = inputs[0]
        return field.window((h, w), (h, w))


@op_kind("max_unpool")
@dataclass(frozen=True)
class MaxUnpool2d(Op):
    """Inverse of max pooling: ``(H - 1)*s - 2p + k``; scatters each value to its recorded position.

    No multiply-adds under either convention. mac reads the input values and their indices (one index per
    input element) and writes the whole output.

    Args:
        kernel: the window of the max pooling it inverts, ``k`` or ``(kh, kw)``.
        stride: that pooling's step; ``None`` (the default) is the kernel size.
        padding: that pooling's padding ``p``.
    """

    kernel: SizePair = 2
    stride: SizePair | None = None
    padding: SizePair = 0

    category = "pool"

    def __post_init__(self):
        self._normalise("kernel", self.kernel, as_pair=True)
        self._normalise("stride", self.kernel if self.stride is None else self.stride, as_pair=True)
        self._normalise("padding", self.padding, as_pair=True, minimum=0)

    def output_shapes(self, inputs):
        self.expect_rank(inputs[0], 3)
        c, h, w = inputs[0]
        sizes = [(n - 1) * self.stride[a] - 2 * self.padding[a] + self.kernel[a] for a, n in ((0, h), (1, w))]
        for n, size in zip((h, w), sizes):
            if isinstance(size, int) and size < 1:
                raise self.fail("padding", f"leaves no output: input {fmt(n)} gives {size}")
        return ((c, sizes[0], sizes[1]),)

    def elements_read(self, inputs, outputs):
        return 2 * numel(inputs[0])

    def receptive_field(self, field: ReceptiveField, inputs) -> ReceptiveField:
        return field._replace(stride_h=exact_ratio(field.stride_h, self.stride[0]),
                              stride_w=exact_ratio(field.stride_w, self.stride[1]))
