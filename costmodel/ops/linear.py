"""Fully connected layer."""
from __future__ import annotations

from dataclasses import dataclass
from ..dims import fmt, product
from .base import Op, ReceptiveField, Size
from .registry import op_kind


@op_kind("linear")
@dataclass(frozen=True)
class Linear(Op):
    """Fully connected layer on its input's last axis, ``[.., in] -> [.., out]`` (``torch.nn.Linear``).

    By default the input must be flat ``[features]`` (a 1x1 convolution on a 1x1 map), so that a forgotten
    flatten is an error; with ``any_rank`` true the layer maps the last axis of an input of any rank, each
    leading position being one row (a transformer's tokens, a channels-last map).

    * params: ``in*out`` (+ ``out`` with bias)
    * multiply-adds: ``prod(leading)*in*out`` (counted under ``paper``), ``prod(leading)`` = 1 when flat
    * mac: input + output + params

    Args:
        out_features: output features ``out`` (``in`` comes from the input's last axis).
        bias: whether a bias of ``out`` parameters is added (not counted in multiply-adds).
        any_rank: accept an input of any rank and map its last axis (default: a flat ``[features]`` only).
    """

    out_features: Size
    bias: bool = True
    any_rank: bool = False

    category = "fc"
    spatial_fields = ()
    counted_in_paper = True
    absorbs = frozenset({"activation"})  # FC-ReLU

    def __post_init__(self):
        self._normalise("out_features", self.out_features)
        self._flag("bias")
        self._flag("any_rank")

    def channel_relations(self, inputs, outputs):
        """A flat input's features and the output features are only multiplied together."""
        if len(inputs[0]) != 1:
            return None
        return [[inputs[0][0]], [self.out_features, outputs[0][0]]]

    def output_shapes(self, inputs):
        if len(inputs[0]) != 1 and not (self.any_rank and len(inputs[0]) > 1):
            raise self.fail("input", f"must be flat [features], got {fmt(inputs[0])} (add a flatten before it)")
        return (tuple(inputs[0][:-1]) + (self.out_features,),)

    def params(self, inputs):
        return inputs[0][-1] * self.out_features + (self.out_features if self.bias else 0)

    def multiply_adds(self, inputs, outputs):
        return product(inputs[0][:-1]) * inputs[0][-1] * self.out_features

    def receptive_field(self, field: ReceptiveField, inputs) -> ReceptiveField:
        return field
