"""Activations beyond those of ``elementwise``: GELU, Tanh, Erf, PReLU, Clip, and the
Softmax.

None is counted in ``flops`` under ``paper``. Under ``all``: GELU (``x * Phi(x)``) costs 2 per element,
as Swish does (the Gaussian CDF counted as one step, like the sigmoid, and the product); Tanh, Erf, PReLU
and Clip cost 1 per element; Softmax 3 per element (the exponential, its share of the sum, the division).
mac is the input read plus the output written, plus PReLU's slopes.

GELU, Tanh, Erf, PReLU and Clip are activations: the ``activation`` fusion folds them into the
convolution, fully connected layer or addition before them. Softmax normalises across an axis and is
never folded.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..dims import fmt, surely_different
from .base import Op, Size, numel
from .elementwise import Activation
from .registry import op_kind
from .tensor import axis_of


@op_kind("gelu")
@dataclass(frozen=True)
class GELU(Activation):
    """``x * Phi(x)``, ``Phi`` the Gaussian CDF (exact, with erf, or its tanh approximation); ``all``: 2 per
    element."""

    per_element = 2


@op_kind("tanh")
@dataclass(frozen=True)
class Tanh(Activation):
    """``tanh(x)``; ``all``: 1 per element."""



@op_kind("erf")
@dataclass(frozen=True)
class Erf(Activation):
    """The error function ``erf(x)``; ``all``: 1 per element."""



@op_kind("prelu")
@dataclass(frozen=True)
class PReLU(Activation):
    """``x if x > 0 else a_c * x`` with a learned slope per channel (``channels``, the input's channels) or
    one shared slope (``channels`` = 1). params: ``channels``; ``all``: 1 per element."""

    channels: Size = 1

    def __post_init__(self):
        self._normalise("channels", self.channels)

    def output_shapes(self, inputs):
        c = inputs[0][0]
        if not (isinstance(self.channels, int) and self.channels == 1) and surely_different(self.channels, c):
            raise self.fail("channels", f"must be 1 or the input channels {fmt(c)}, got {fmt(self.channels)}")
        return (inputs[0],)

    def params(self, inputs):
        return self.channels


@op_kind("clip")
@dataclass(frozen=True)
class Clip(Activation):
    """``min(max(x, min), max)``; ``all``: 1 per element. (A clip to [0, 6] is a ReLU6.)"""

    min: float = float("-inf")
    max: float = float("inf")

    def __post_init__(self):
        for name in ("min", "max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.fail(name, f"must be a number, got {value!r}")
        if self.min > self.max:
            raise self.fail("min", f"must be at most max, got min {self.min} and max {self.max}")


@op_kind("softmax")
@dataclass(frozen=True)
class Softmax(Op):
    """``exp(x) / sum(exp(x))`` along ``axis`` (default the last). ``all``: 3 per element (the
    exponential, the sum, the division). Not an activation the ``activation`` fusion folds."""

    axis: int = -1

    category = "elementwise"

    def __post_init__(self):
        if isinstance(self.axis, bool) or not isinstance(self.axis, int):
            raise self.fail("axis", f"must be a whole number, got {self.axis!r}")

    def output_shapes(self, inputs):
        axis_of(self, "axis", self.axis, len(inputs[0]))
        return (inputs[0],)

    def multiply_adds(self, inputs, outputs):
        return 3 * numel(outputs[0])
