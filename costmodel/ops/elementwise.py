"""Element-wise ops: BatchNorm, activations, Add and Mul (with broadcasting, for SE blocks).

None is counted in ``flops`` under ``paper``. Under ``all``:

* BatchNorm (unfolded): 2 per element (scale and shift);
* ReLU, ReLU6, LeakyReLU, Sigmoid, HardSigmoid: 1 per output element;
* Swish (``x * sigmoid(x)``) and HardSwish (``x * relu6(x + 3) / 6``): 2 per output element;
* LocalResponseNorm over ``size`` channels: ``size + 2`` per output element;
* Add: 1 per output element for each input beyond the first; Mul likewise.

mac is the input(s) read plus the output written, plus BatchNorm's ``2C`` parameters.
LocalResponseNorm is not an activation, but it is costed like one (and never folded into a convolution).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..dims import fmt, surely_different
from .base import Op, numel


@dataclass(frozen=True)
class BatchNorm(Op):
    """Batch normalisation over channels. params ``2C`` (gamma, beta; running statistics are buffers)."""

    kind = "batch_norm"
    category = "elementwise"

    def output_shapes(self, inputs):
        if len(inputs[0]) not in (1, 3):
            raise self.fail("input", f"must have shape [C, H, W] or [features], got {fmt(inputs[0])}")
        return (inputs[0],)

    def params(self, inputs):
        return 2 * inputs[0][0]

    def multiply_adds(self, inputs, outputs):
        return 2 * numel(outputs[0])


@dataclass(frozen=True)
class _Activation(Op):
    category = "elementwise"
    per_element = 1

    def multiply_adds(self, inputs, outputs):
        return self.per_element * numel(outputs[0])


@dataclass(frozen=True)
class ReLU(_Activation):
    """``max(0, x)``; ``all``: 1 per element."""

    kind = "relu"


@dataclass(frozen=True)
class ReLU6(_Activation):
    """``min(max(0, x), 6)``; ``all``: 1 per element."""

    kind = "relu6"


@dataclass(frozen=True)
class LeakyReLU(_Activation):
    """``x if x > 0 else slope * x``; ``all``: 1 per element."""

    negative_slope: Any = 0.01
    kind = "leaky_relu"

    def __post_init__(self):
        if isinstance(self.negative_slope, bool) or not isinstance(self.negative_slope, (int, float)):
            raise self.fail("negative_slope", f"must be a number, got {self.negative_slope!r}")


@dataclass(frozen=True)
class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))``; ``all``: 1 per element."""

    kind = "sigmoid"


@dataclass(frozen=True)
class Swish(_Activation):
    """``x * sigmoid(x)`` (SiLU); ``all``: 2 per element."""

    kind = "swish"
    per_element = 2


@dataclass(frozen=True)
class HardSigmoid(_Activation):
    """``relu6(x + 3) / 6``; ``all``: 1 per element."""

    kind = "hard_sigmoid"


@dataclass(frozen=True)
class HardSwish(_Activation):
    """``x * relu6(x + 3) / 6``; ``all``: 2 per element."""

    kind = "hard_swish"
    per_element = 2


@dataclass(frozen=True)
class LocalResponseNorm(_Activation):
    """AlexNet's normalisation across ``size`` neighbouring channels,
    ``x / (k + alpha/size * sum of squares)^beta``; no parameters; ``all``: ``size + 2`` per element (the
    windowed sum of squares, the scale-and-power, the division)."""

    size: Any = 5
    kind = "lrn"

    def __post_init__(self):
        self._normalise("size", self.size)

    @property
    def per_element(self):
        return self.size + 2


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


@dataclass(frozen=True)
class Add(Op):
    """Element-wise sum of two or more tensors (residual shortcut). ``all``: 1 per output element per
    input beyond the first."""

    kind = "add"
    category = "elementwise"
    min_inputs = 2
    max_inputs = None

    def output_shapes(self, inputs):
        return (broadcast(self, inputs),)

    def multiply_adds(self, inputs, outputs):
        return (len(inputs) - 1) * numel(outputs[0])


@dataclass(frozen=True)
class Mul(Add):
    """Element-wise product, e.g. ``[C, H, W] * [C, 1, 1]`` in squeeze-and-excitation. ``all``: 1 per
    output element per input beyond the first."""

    kind = "mul"
