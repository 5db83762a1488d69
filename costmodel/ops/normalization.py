"""Normalisations that compute their statistics at inference: LayerNorm, InstanceNorm, GroupNorm.

Unlike BatchNorm, whose running statistics are constants at inference (so the ``bn`` fusion folds it into
the convolution before it), these normalise by the mean and variance of the tensor itself and are never
folded, under any fusion. None is counted in ``flops`` under ``paper``. Under ``all`` each costs, per
element: 2 for the statistics (a sum for the mean, a sum of squares for the variance), 1 to normalise
(``(x - mean) * 1/std``, one multiply-add), and, when affine, 1 for the scale and 1 for the shift (as
BatchNorm's 2): 5 per element with the defaults. mac: input + output + params.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..dims import fmt, product, surely_not_multiple
from .base import Op, Size, numel
from .registry import op_kind

STATISTICS = 2  # a sum for the mean, a sum of squares for the variance
NORMALISE = 1  # (x - mean) * 1/std


@dataclass(frozen=True)
class _Normalization(Op):
    category = "elementwise"

    def affine_terms(self) -> int:
        """Per-element steps of the learned scale (and shift)."""
        return 2 if self.affine else 0

    def multiply_adds(self, inputs, outputs):
        return (STATISTICS + NORMALISE + self.affine_terms()) * numel(outputs[0])


@op_kind("layer_norm")
@dataclass(frozen=True)
class LayerNorm(_Normalization):
    """Normalise over the last ``normalized_dims`` axes (``torch.nn.LayerNorm``, ONNX LayerNormalization
    with ``axis = -normalized_dims``).

    * shape: the input's
    * params: ``2*prod(last normalized_dims axes)`` (scale and shift); ``1x`` without ``bias``; 0 without
      ``affine``
    * multiply-adds: 0 under ``paper``; under ``all`` ``5`` per element (``4`` without ``bias``, ``3``
      without ``affine``)
    * mac: input + output + params
    """

    normalized_dims: int = 1
    affine: bool = True
    bias: bool = True


    def __post_init__(self):
        self._normalise("normalized_dims", self.normalized_dims)
        if not isinstance(self.normalized_dims, int):
            raise self.fail("normalized_dims", f"must be a number (it counts axes), got {fmt(self.normalized_dims)}")
        self._flag("affine")
        self._flag("bias")

    def output_shapes(self, inputs):
        if self.normalized_dims > len(inputs[0]):
            raise self.fail("normalized_dims", f"must be at most the input's rank {len(inputs[0])}, got "
                                               f"{self.normalized_dims} for input {fmt(inputs[0])}")
        return (inputs[0],)

    def affine_terms(self) -> int:
        return (1 + (1 if self.bias else 0)) if self.affine else 0

    def params(self, inputs):
        return self.affine_terms() * product(inputs[0][-self.normalized_dims:])


@op_kind("instance_norm")
@dataclass(frozen=True)
class InstanceNorm(_Normalization):
    """Normalise each channel of ``[C, ...]`` over its own spatial axes (``torch.nn.InstanceNorm2d``,
    ONNX InstanceNormalization).

    * shape: the input's (rank at least 2)
    * params: ``2C`` with ``affine`` (scale and shift), else 0
    * multiply-adds: 0 under ``paper``; under ``all`` ``5`` per element (``3`` without ``affine``)
    * mac: input + output + params
    """

    affine: bool = True


    def __post_init__(self):
        self._flag("affine")

    def output_shapes(self, inputs):
        if len(inputs[0]) < 2:
            raise self.fail("input", f"must have shape [C, H, W] (channels and at least one spatial axis), "
                                     f"got {fmt(inputs[0])}")
        return (inputs[0],)

    def params(self, inputs):
        return 2 * inputs[0][0] if self.affine else 0


@op_kind("group_norm")
@dataclass(frozen=True)
class GroupNorm(_Normalization):
    """Normalise ``groups`` groups of channels of ``[C, ...]`` each over its channels and spatial axes
    (``torch.nn.GroupNorm``); groups must divide the channels.

    * shape: the input's
    * params: ``2C`` with ``affine`` (per-channel scale and shift), else 0
    * multiply-adds: 0 under ``paper``; under ``all`` ``5`` per element (``3`` without ``affine``)
    * mac: input + output + params
    """

    groups: Size = 1
    affine: bool = True


    def __post_init__(self):
        self._normalise("groups", self.groups)
        self._flag("affine")

    def output_shapes(self, inputs):
        if surely_not_multiple(inputs[0][0], self.groups):
            raise self.fail("groups", f"must divide input channels, but {fmt(self.groups)} does not divide "
                                      f"{fmt(inputs[0][0])}")
        return (inputs[0],)

    def params(self, inputs):
        return 2 * inputs[0][0] if self.affine else 0
