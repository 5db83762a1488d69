"""Element-wise ops: BatchNorm, activations, Add and Mul (with broadcasting, for SE blocks).

None is counted in ``flops`` under ``paper``. Under ``all``:

* BatchNorm (unfolded): 2 per element (scale and shift);
* ReLU, ReLU6, LeakyReLU, Sigmoid, HardSigmoid: 1 per output element;
* Swish (``x * sigmoid(x)``) and HardSwish (``x * relu6(x + 3) / 6``): 2 per output element;
* LocalResponseNorm over ``size`` channels: ``size + 2`` per output element;
* Add: 1 per output element for each input beyond the first; Mul likewise.

mac is the input(s) read plus the output written, plus BatchNorm's ``2C`` parameters.
LocalResponseNorm is not an activation (it never folds away), but it is costed per element like one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..dims import Dim, fmt, surely_different
from .base import Op, Size, numel
from .registry import op_kind


@dataclass(frozen=True)
class PerElement(Op):
    """An op costed ``per_element`` multiply-adds for each output element under ``all``."""

    category = "elementwise"
    spatial_fields = ()
    per_element: ClassVar[Dim] = 1

    def multiply_adds(self, inputs, outputs):
        return self.per_element * numel(outputs[0])


@dataclass(frozen=True)
class Activation(PerElement):
    """A point-wise nonlinearity: with the ``activation`` fusion it runs in the op before it (conv-BN-ReLU)."""

    fusion_role = "activation"


@op_kind("batch_norm")
@dataclass(frozen=True)
class BatchNorm(Op):
    """Batch normalisation over channels. params ``2C`` (gamma, beta; running statistics are buffers)."""

    category = "elementwise"
    spatial_fields = ()
    fusion_role = "normalisation"  # at inference a per-channel scale and shift: it folds into a conv's weights
    absorbs = frozenset({"activation"})

    def output_shapes(self, inputs):
        if len(inputs[0]) not in (1, 3):
            raise self.fail("input", f"must have shape [C, H, W] or [features], got {fmt(inputs[0])}")
        return (inputs[0],)

    def params(self, inputs):
        return 2 * inputs[0][0]

    def multiply_adds(self, inputs, outputs):
        return 2 * numel(outputs[0])


@op_kind("lrn")
@dataclass(frozen=True)
class LocalResponseNorm(PerElement):
    """AlexNet's normalisation across ``size`` neighbouring channels,
    ``x / (k + alpha/size * sum of squares)^beta``; no parameters; ``all``: ``size + 2`` per element (the
    windowed sum of squares, the scale-and-power, the division)."""

    size: Size = 5

    def __post_init__(self):
        self._normalise("size", self.size)

    @property
    def per_element(self):
        return self.size + 2


@op_kind("relu")
@dataclass(frozen=True)
class ReLU(Activation):
    """``max(0, x)``; ``all``: 1 per element."""


@op_kind("relu6")
@dataclass(frozen=True)
class ReLU6(Activation):
    """``min(max(0, x), 6)``; ``all``: 1 per element."""


@op_kind("leaky_relu")
@dataclass(frozen=True)
class LeakyReLU(Activation):
    """``x if x > 0 else slope * x``; ``all``: 1 per element."""

    negative_slope: float = 0.01

    def __post_init__(self):
        if isinstance(self.negative_slope, bool) or not isinstance(self.negative_slope, (int, float)):
            raise self.fail("negative_slope", f"must be a number, got {self.negative_slope!r}")


@op_kind("sigmoid")
@dataclass(frozen=True)
class Sigmoid(Activation):
    """``1 / (1 + exp(-x))``; ``all``: 1 per element."""


@op_kind("swish")
@dataclass(frozen=True)
class Swish(Activation):
    """``x * sigmoid(x)`` (SiLU); ``all``: 2 per element."""

    per_element = 2


@op_kind("hard_sigmoid")
@dataclass(frozen=True)
class HardSigmoid(Activation):
    """``relu6(x + 3) / 6``; ``all``: 1 per element."""


@op_kind("hard_swish")
@dataclass(frozen=True)
class HardSwish(Activation):
    """``x * relu6(x + 3) / 6``; ``all``: 2 per element."""

    per_element = 2


def broadcast(op: Op, shapes: tuple) -> tuple:
    """The common shape of ``shapes``: per axis, equal sizes or a 1 that stretches (PyTorch's rule)."""
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise op.fail("inputs", "must have the same rank, got " + " and ".join(fmt(s) for s in shapes))
    result = list(shapes[0])
    for shape in shapes[1:]:
        for axis, (a, b) in enumerate(zip(result, shape)):
            if b == 1 or a == b:
                continue
            if a == 1:
                result[axis] = b
                continue
            if surely_different(a, b):
                raise op.fail("inputs", "shapes must match (or have 1 to broadcast), but got "
                                        + " and ".join(fmt(s) for s in shapes))
    return tuple(result)


@op_kind("add")
@dataclass(frozen=True)
class Add(Op):
    """Element-wise sum of two or more tensors (residual shortcut). ``all``: 1 per output element per
    input beyond the first."""

    category = "elementwise"
    spatial_fields = ()
    absorbs = frozenset({"activation"})  # add-ReLU
    min_inputs = 2
    max_inputs = None

    def output_shapes(self, inputs):
        return (broadcast(self, inputs),)

    def multiply_adds(self, inputs, outputs):
        return (len(inputs) - 1) * numel(outputs[0])


@op_kind("mul")
@dataclass(frozen=True)
class Mul(Add):
    """Element-wise product, e.g. ``[C, H, W] * [C, 1, 1]`` in squeeze-and-excitation. ``all``: 1 per
    output element per input beyond the first."""
