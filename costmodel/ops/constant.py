"""A tensor the network reads from memory instead of computing it: ``Constant``.

Every other op computes its output from its inputs per sample, and the analysis multiplies its counts by the
batch N. A constant is the same for every sample: the analysis counts it, and every node computed from
constants alone (Swin v2's relative-position MLP on its coordinate table, in an ONNX export), once per batch;
a node that meets a constant and a per-sample tensor is per sample, and reads the constant once
(``costmodel.analysis.analyze``).
"""
from __future__ import annotations

from dataclasses import dataclass

from .base import Op, Sizes, numel
from .registry import op_kind
from .tensor import positive_sizes


@op_kind("constant")
@dataclass(frozen=True)
class Constant(Op):
    """A fixed tensor of ``shape``, read by the nodes that take it: a learned one (``learned``: ViT's class
    token) or a buffer (a table of coordinates). It has no input.

    * params: ``numel(shape)`` when learned, else 0
    * multiply-adds 0; mac: its params (a learned tensor is loaded; its readers count reading it again)
    * counted once per batch, not per sample, as is every node computed from constants alone
    """

    shape: Sizes
    learned: bool = False

    category = "movement"
    min_inputs = 0
    max_inputs = 0
    per_sample = False

    def __post_init__(self):
        positive_sizes(self, "shape", self.shape)
        self._flag("learned")

    def output_shapes(self, inputs):
        return (tuple(self.shape),)

    def params(self, inputs):
        return numel(self.shape) if self.learned else 0

    def elements_written(self, inputs, outputs):
        return 0
