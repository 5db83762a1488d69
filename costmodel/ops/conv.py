"""Convolutions: standard, grouped, depthwise, dilated (Conv2d), transposed, deformable.

Convention for all three (``paper`` and ``all`` alike, biases excluded from multiply-adds):
a convolution costs ``kh * kw * (c_in / groups) * c_out * h_out * w_out`` multiply-adds per image.
Depthwise is ``groups == c_in``; a dilated kernel costs as many multiply-adds as an undilated one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..dims import Dim, TooLarge, as_dim, ceil_div, exact_ratio, fmt, quotient, surely_not_multiple
from ..errors import OpError
from ..values import show
from .base import Op, ReceptiveField, Size, SizePair, numel, sliding_output
from .registry import op_kind


def check_groups(op: Op, c_in: Dim) -> None:
    """Groups must divide both the input and the output channels (PyTorch's rule)."""
    if surely_not_multiple(c_in, op.groups):
        raise op.fail("groups", f"must divide input channels, but {fmt(op.groups)} does not divide {fmt(c_in)}")
    if surely_not_multiple(op.out_channels, op.groups):
        raise op.fail("groups", f"must divide out_channels, but {fmt(op.groups)} does not divide "
                                f"{fmt(op.out_channels)}")


def with_kernel(name: str, kernel: tuple) -> str:
    """A convolution's row in op tables: ``conv 3x3``."""
    return f"{name} {kernel[0]}x{kernel[1]}"


@op_kind("conv")
@dataclass(frozen=True)
class Conv2d(Op):
    """2-D convolution on ``[C, H, W]``; in_channels come from the input.

    * output: ``[out_channels, floor((H + 2p - d(k-1) - 1)/s) + 1, same for W]``
    * params: ``kh*kw*(c_in/g)*c_out`` (+ ``c_out`` with bias)
    * multiply-adds: ``kh*kw*(c_in/g)*c_out*h_out*w_out`` (counted under ``paper``)
    * mac: input + output + params

    Args:
        out_channels: output channels ``c_out`` (the input channels ``c_in`` come from the input).
        kernel: kernel size ``k``, or ``(kh, kw)``.
        stride: step ``s`` of the window, or ``(sh, sw)``.
        padding: zeros ``p`` added on each side, or ``(ph, pw)``.
        dilation: spacing ``d`` between kernel taps, or ``(dh, dw)``; 1 is a dense kernel.
        groups: ``g``, the number of channel groups; ``groups == c_in`` is depthwise.
        bias: whether a bias of ``c_out`` parameters is added (not counted in multiply-adds).
    """

    out_channels: Size
    kernel: SizePair = 1
    stride: SizePair = 1
    padding: SizePair = 0
    dilation: SizePair = 1
    groups: Size = 1
    bias: bool = False

    category = "conv"
    counted_in_paper = True
    absorbs = frozenset({"normalisation", "activation"})  # BatchNorm folds into the weights, ReLU runs after
    spatial_fields = ("kernel", "stride", "padding", "dilation")

    def __post_init__(self):
        self._normalise("out_channels", self.out_channels)
        self._normalise("kernel", self.kernel, as_pair=True)
        self._normalise("stride", self.stride, as_pair=True)
        self._normalise("padding", self.padding, as_pair=True, minimum=0)
        self._normalise("dilation", self.dilation, as_pair=True)
        self._normalise("groups", self.groups)
        self._flag("bias")

    def output_shapes(self, inputs):
        shape = inputs[0]
        self.expect_rank(shape, 3)
        c_in, h, w = shape
        check_groups(self, c_in)
        h_out = sliding_output(self, "height", h, self.kernel[0], self.stride[0], self.padding[0], self.dilation[0])
        w_out = sliding_output(self, "width", w, self.kernel[1], self.stride[1], self.padding[1], self.dilation[1])
        return ((self.out_channels, h_out, w_out),)

    def weights(self, c_in: Dim) -> Dim:
        return self.kernel[0] * self.kernel[1] * quotient(c_in, self.groups) * self.out_channels

    def channel_relations(self, inputs, outputs):
        """groups divides the input and the output channels: the two are only multiplied together."""
        return [[inputs[0][0], self.groups, getattr(self, "offset_groups", 1)],
                [self.out_channels, self.groups, outputs[0][0]]]

    def params(self, inputs):
        return self.weights(inputs[0][0]) + (self.out_channels if self.bias else 0)

    def multiply_adds(self, inputs, outputs):
        _, h_out, w_out = outputs[0]
        return self.weights(inputs[0][0]) * h_out * w_out

    def receptive_field(self, field: ReceptiveField, inputs) -> ReceptiveField:
        return field.window(self.kernel, self.stride, self.dilation)

    def table_class(self, inputs) -> str:
        """``depthwise KxK`` when each group is one input channel (``groups == c_in``, more than one), else
        ``conv KxK``: ``conv 1x1`` pointwise, ``conv 3x3`` a full (or grouped) 3x3 convolution."""
        depthwise = self.groups == inputs[0][0] and self.groups != 1
        return with_kernel("depthwise" if depthwise else "conv", self.kernel)


@op_kind("conv_transpose")
@dataclass(frozen=True)
class ConvTranspose2d(Op):
    """Transposed convolution ("deconvolution"), as PyTorch's ConvTranspose2d.

    * output: ``(H - 1)*s - 2p + d(k-1) + output_padding + 1``
    * params: ``c_in*(c_out/g)*kh*kw`` (+ ``c_out`` with bias)
    * multiply-adds: ``kh*kw*c_in*(c_out/g)*h_in*w_in``: every input element is multiplied into a
      ``kh*kw*(c_out/g)`` patch (counted under ``paper``; the same count as fvcore and ptflops)
    * mac: input + output + params

    Args:
        out_channels: output channels ``c_out``.
        kernel: kernel size ``k``, or ``(kh, kw)``.
        stride: ``s``, the output step between two input positions, or ``(sh, sw)``.
        padding: ``p``, rows and columns removed from each side of the output, or ``(ph, pw)``.
        output_padding: rows and columns added to one side of the output (to pick among the sizes a stride
            above 1 maps to the same input size).
        dilation: spacing ``d`` between kernel taps.
        groups: ``g``, the number of channel groups.
        bias: whether a bias of ``c_out`` parameters is added.
    """

    out_channels: Size
    kernel: SizePair = 1
    stride: SizePair = 1
    padding: SizePair = 0
    output_padding: SizePair = 0
    dilation: SizePair = 1
    groups: Size = 1
    bias: bool = False

    category = "conv"
    counted_in_paper = True
    absorbs = frozenset({"normalisation", "activation"})
    spatial_fields = ("kernel", "stride", "padding", "output_padding", "dilation")

    def __post_init__(self):
        self._normalise("out_channels", self.out_channels)
        self._normalise("kernel", self.kernel, as_pair=True)
        self._normalise("stride", self.stride, as_pair=True)
        self._normalise("padding", self.padding, as_pair=True, minimum=0)
        self._normalise("output_padding", self.output_padding, as_pair=True, minimum=0)
        self._normalise("dilation", self.dilation, as_pair=True)
        self._normalise("groups", self.groups)
        self._flag("bias")
        for op_pad, stride, dilation in zip(self.output_padding, self.stride, self.dilation):
            if isinstance(op_pad, int) and isinstance(stride, int) and isinstance(dilation, int) \
                    and op_pad >= max(stride, dilation):
                raise self.fail("output_padding", f"must be smaller than stride or dilation, got "
                                                  f"{op_pad} with stride {stride} and dilation {dilation}")

    def channel_relations(self, inputs, outputs):
        """groups divides the input and the output channels: the two are only multiplied together."""
        return [[inputs[0][0], self.groups], [self.out_channels, self.groups, outputs[0][0]]]

    def output_shapes(self, inputs):
        shape = inputs[0]
        self.expect_rank(shape, 3)
        c_in, h, w = shape
        check_groups(self, c_in)
        sizes = []
        for axis, n in ((0, h), (1, w)):
            out = ((n - 1) * self.stride[axis] - 2 * self.padding[axis]
                   + self.dilation[axis] * (self.kernel[axis] - 1) + self.output_padding[axis] + 1)
            if isinstance(out, int) and out < 1:
                raise self.fail("padding", f"leaves no output: input {'height' if axis == 0 else 'width'} "
                                           f"{fmt(n)} gives {out}")
            sizes.append(out)
        return ((self.out_channels, sizes[0], sizes[1]),)

    def weights(self, c_in: Dim) -> Dim:
        return c_in * quotient(self.out_channels, self.groups) * self.kernel[0] * self.kernel[1]

    def params(self, inputs):
        return self.weights(inputs[0][0]) + (self.out_channels if self.bias else 0)

    def multiply_adds(self, inputs, outputs):
        _, h, w = inputs[0]
        return self.weights(inputs[0][0]) * h * w

    def receptive_field(self, field: ReceptiveField, inputs) -> ReceptiveField:
        spans = [self.dilation[a] * (self.kernel[a] - 1) + 1 for a in (0, 1)]
        taps = [ceil_div(spans[a], self.stride[a]) for a in (0, 1)]  # inputs that reach one output
        return ReceptiveField(field.size_h + (taps[0] - 1) * field.stride_h,
                              field.size_w + (taps[1] - 1) * field.stride_w,
                              exact_ratio(field.stride_h, self.stride[0]),
                              exact_ratio(field.stride_w, self.stride[1]))

    def table_class(self, inputs) -> str:
        return with_kernel("transposed conv", self.kernel)


@op_kind("deform_conv")
@dataclass(frozen=True)
class DeformableConv2d(Conv2d):
    """Deformable convolution (DCN v1): an offset-predicting conv, bilinear sampling, then the conv.

    With ``K = kh*kw`` taps and ``O = 2*K*offset_groups`` offset channels:

    * params: offset conv ``K*c_in*O + O`` (it has a bias) + main conv ``K*(c_in/g)*c_out`` (+ ``c_out``)
    * multiply-adds under ``paper``: the two convolutions, offset conv ``K*c_in*O*h_out*w_out`` + main conv
      ``K*(c_in/g)*c_out*h_out*w_out``; under ``all`` also the sampling ``4*K*c_in*h_out*w_out`` (a
      bilinear sample is a weighted sum of 4 neighbours)
    * mac: input + output + params, plus the offset tensor written once and read once
    * receptive field: the nominal sampling grid (learned offsets can reach further)

    The fields are ``Conv2d``'s, and:

    Args:
        offset_groups: groups of input channels that share one set of offsets.
    """

    offset_groups: Size = 1

    def __post_init__(self):
        super().__post_init__()
        self._normalise("offset_groups", self.offset_groups)

    def output_shapes(self, inputs):
        (shape,) = super().output_shapes(inputs)
        if surely_not_multiple(inputs[0][0], self.offset_groups):
            raise self.fail("offset_groups", f"must divide input channels, but {fmt(self.offset_groups)} does "
                                             f"not divide {fmt(inputs[0][0])}")
        return (shape,)

    def _offset_channels(self) -> Dim:
        return 2 * self.kernel[0] * self.kernel[1] * self.offset_groups

    def params(self, inputs):
        c_in = inputs[0][0]
        taps = self.kernel[0] * self.kernel[1]
        offset = taps * c_in * self._offset_channels() + self._offset_channels()
        return offset + super().params(inputs)

    def paper_multiply_adds(self, inputs, outputs):
        _, h_out, w_out = outputs[0]
        offset = self.kernel[0] * self.kernel[1] * inputs[0][0] * self._offset_channels()
        return offset * h_out * w_out + super().multiply_adds(inputs, outputs)

    def multiply_adds(self, inputs, outputs):
        _, h_out, w_out = outputs[0]
        sampling = 4 * self.kernel[0] * self.kernel[1] * inputs[0][0]
        return sampling * h_out * w_out + self.paper_multiply_adds(inputs, outputs)

    def _offset_elements(self, outputs) -> Dim:
        _, h_out, w_out = outputs[0]
        return self._offset_channels() * h_out * w_out

    def elements_read(self, inputs, outputs):
        return numel(inputs[0]) + self._offset_elements(outputs)

    def elements_written(self, inputs, outputs):
        return numel(outputs[0]) + self._offset_elements(outputs)

    def table_class(self, inputs) -> str:
        return with_kernel("deformable conv", self.kernel)


def depthwise(channels: Dim, kernel: Any = 3, stride: Any = 1, padding: Any = None, multiplier: int = 1,
              dilation: Any = 1, bias: bool = False) -> Conv2d:
    """A depthwise Conv2d (``groups = channels``); padding defaults to ``d*(k-1)//2`` ("same" for odd k).

    Args:
        channels: input channels ``c``, each convolved with its own ``multiplier`` kernels.
        kernel: kernel size, or ``(kh, kw)``.
        stride: step of the window.
        padding: zeros on each side; ``None`` keeps the size at stride 1 (odd kernels).
        multiplier: output channels per input channel (``out_channels = multiplier*c``).
        dilation: spacing between kernel taps.
        bias: whether each output channel adds a bias.
    """
    for name, value in (("channels", channels), ("multiplier", multiplier)):
        try:
            as_dim(value, name)
        except TooLarge as error:
            raise OpError("depthwise", name, error.constraint) from None
        except TypeError:
            raise OpError("depthwise", name, f"must be an integer or a symbol, got {show(value, limit=60)}") from None
    if padding is None:
        try:
            padding = dilation * (kernel - 1) // 2 if not isinstance(kernel, (tuple, list)) else \
                tuple(dilation * (k - 1) // 2 for k in kernel)
        except TypeError:  # a kernel or dilation that is not a size: Conv2d names it
            padding = 0
    return Conv2d(channels * multiplier, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                  groups=channels, bias=bias)
