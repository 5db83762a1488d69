"""Fully connected layer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..dims import fmt
from .base import Field, Op


@dataclass(frozen=True)
class Linear(Op):
    """Fully connected layer on a flat ``[features]`` input (a 1x1 convolution on a 1x1 map).

    * params: ``in*out`` (+ ``out`` with bias)
    * multiply-adds: ``in*out`` (counted under ``paper``)
    * mac: input + output + params
    """

    out_features: Any
    bias: bool = True

    kind = "linear"
    category = "fc"
    counted_in_paper = True

    def __post_init__(self):
        self._normalise("out_features", self.out_features)
        self._flag("bias")

    def output_shapes(self, inputs):
        if len(inputs[0]) != 1:
            raise self.fail("input", f"must be flat [features], got {fmt(inputs[0])} (add a flatten before it)")
        return ((self.out_features,),)

    def params(self, inputs):
        return inputs[0][0] * self.out_features + (self.out_features if self.bias else 0)

    def multiply_adds(self, inputs, outputs):
        return inputs[0][0] * self.out_features

    def receptive_field(self, field: Field, inputs) -> Field:
        return field
