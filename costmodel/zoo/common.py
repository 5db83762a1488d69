"""Building blocks and scaling rules shared by the zoo builders.

The scaling rules work on exact numbers (ints, Fractions) and on sympy symbols alike, so that a width or a
resolution left symbolic gives closed forms with floor functions where the reference code rounds. The
registry checks every parameter's kind (``registry``); the checks here are the
networks' own constraints on a resolution.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..dims import is_relaxed, is_symbolic
from ..errors import UsageError
from ..graph import Graph, Tensor
from ..ops import BatchNorm, Conv2d, Flatten, GlobalAvgPool, Linear, Op, ReLU
from ..values import check_whole, show

VARIANTS = ("paper", "torchvision")  # where a paper and torchvision's implementation differ


def floor(value: Any) -> Any:
    """floor of an exact number (int for numbers, sympy ``floor`` for symbols); ``int()`` truncation for
    positive values, as the reference implementations use it."""
    if is_symbolic(value):
        if is_relaxed():
            return value
        import sympy
        return sympy.floor(value)
    if isinstance(value, float):
        raise UsageError(f"expected an exact number, got the float {show(value)}")
    return int(value // 1) if isinstance(value, Fraction) else int(value)


def truncate_at_least(value: Any, minimum: int) -> Any:
    """``max(int(value), minimum)``: MobileNet v1's width rule (TF-slim ``depth()``)."""
    base = floor(value)
    if is_symbolic(base) and is_relaxed():
        return base
    if is_symbolic(base):
        import sympy
        return sympy.Max(base, minimum)
    return max(base, minimum)


def make_divisible(value: Any, divisor: int = 8, min_value: int | None = None) -> Any:
    """The rounding of MobileNet v2/v3 and GhostNet reference code (``_make_divisible``): the nearest
    multiple of ``divisor``, at least ``min_value`` (default ``divisor``), never below 90 % of ``value``.

    ``new = max(min_value, int(value + divisor/2) // divisor * divisor); if new < 0.9*value: new += divisor``
    """
    min_value = divisor if min_value is None else min_value
    if is_symbolic(value) and is_relaxed():
        return value
    if is_symbolic(value):
        import sympy
        rounded = sympy.Max(min_value, sympy.floor((value + sympy.Rational(divisor, 2)) / divisor) * divisor)
        return sympy.Piecewise((rounded + divisor, rounded < sympy.Rational(9, 10) * value), (rounded, True))
    rounded = max(min_value, floor(Fraction(value) + Fraction(divisor, 2)) // divisor * divisor)
    if rounded < Fraction(9, 10) * Fraction(value):
        rounded += divisor
    return rounded


def conv_bn_act(g: Graph, name: str, x: Tensor, out_channels: Any, kernel: Any = 1, stride: Any = 1,
                groups: Any = 1, act: Op | None = ReLU(), padding: Any = None, bias: bool = False,
                bn: bool = True) -> Tensor:
    """Conv (padding ``(k-1)//2`` by default) named ``name``, then ``name_bn`` and ``name_<act kind>``."""
    if padding is None:
        padding = tuple((k - 1) // 2 for k in kernel) if isinstance(kernel, tuple) else (kernel - 1) // 2
    x = g.add(name, Conv2d(out_channels, kernel=kernel, stride=stride, padding=padding, groups=groups, bias=bias), x)
    if bn:
        x = g.add(f"{name}_bn", BatchNorm(), x)
    if act is not None:
        x = g.add(f"{name}_{act.kind}", act, x)
    return x


def classifier(g: Graph, x: Tensor, classes: Any, pool_stage: str = "globalpool", fc_stage: str = "fc",
               bias: bool = True) -> Tensor:
    """Global average pool (stage ``globalpool``), flatten and the fully connected layer (stage ``fc``)."""
    with g.stage(pool_stage):
        x = g.add("globalpool", GlobalAvgPool(), x)
    with g.stage(fc_stage):
        x = g.add("flatten", Flatten(), x)
        return g.add("fc", Linear(classes, bias=bias), x)


def check_resolution(name: str, resolution: Any, multiple: int = 32, minimum: int = 32) -> None:
    """Refuse resolutions the network cannot take (not a multiple of its total stride, or too small)."""
    if is_symbolic(resolution):
        return
    if not isinstance(resolution, int) or resolution < minimum or resolution % multiple:
        raise UsageError(f"{name} resolution must be a whole multiple of {multiple}, at least {minimum}, "
                         f"got {show(resolution)}")


def check_size(name: str, resolution: Any, minimum: int = 32) -> None:
    """A resolution of any whole number of pixels, at least ``minimum`` (symbols pass)."""
    check_whole(name, "resolution", resolution, minimum)
