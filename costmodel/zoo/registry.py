"""The zoo's registry: each architecture builder registers its name, parameters, defaults and source.

    @register("mobilenet_v1", source="Howard et al. 2017, Table 1", width=1.0, resolution=224, classes=1000)
    def mobilenet_v1(width, resolution, classes) -> Graph: ...

``build(name, **values)`` checks the parameter names, fills in defaults, turns decimal numbers into exact
fractions (``0.75`` -> ``Fraction(3, 4)``; no floats reach a builder) and calls the builder.
"""
from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

from ..errors import UsageError
from ..graph import Graph


@dataclass(frozen=True)
class Architecture:
    """A zoo entry: its builder, parameters with defaults, allowed values where they are few, its source."""

    name: str
    builder: Callable[..., Graph]
    defaults: dict[str, Any]
    source: str
    choices: dict[str, tuple] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return (self.builder.__doc__ or "").strip().splitlines()[0]


ARCHITECTURES: dict[str, Architecture] = {}


def register(name: str, *, source: str, choices: dict[str, tuple] | None = None, **defaults: Any):
    """Register a builder under ``name`` with its parameters' defaults (and allowed values in ``choices``)."""

    def decorate(builder: Callable[..., Graph]) -> Callable[..., Graph]:
        accepted = list(inspect.signature(builder).parameters)
        if sorted(accepted) != sorted(defaults):
            raise TypeError(f"zoo builder {name}: parameters {accepted} differ from defaults {sorted(defaults)}")
        ARCHITECTURES[name] = Architecture(name, builder, dict(defaults), source, dict(choices or {}))
        return builder

    return decorate


def exact(value: Any) -> Any:
    """Floats become exact decimal fractions (0.75 -> 3/4); integral fractions become ints."""
    if isinstance(value, float):
        value = Fraction(str(value))
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def show(value: Any) -> str:
    """A parameter value as a user writes it: ``0.7`` for Fraction(7, 10), ``alpha`` for a symbol."""
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else str(float(value))
    return str(value)


def suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def architecture(name: str) -> Architecture:
    if name not in ARCHITECTURES:
        raise UsageError(f"unknown architecture {name!r}{suggest(name, ARCHITECTURES)}; "
                         f"'costmodel list' shows them all")
    return ARCHITECTURES[name]


def build(name: str, **values: Any) -> Graph:
    """Build zoo architecture ``name`` with parameter ``values`` (the rest at their defaults)."""
    entry = architecture(name)
    for key, value in values.items():
        if key not in entry.defaults:
            raise UsageError(f"{name} has no parameter {key!r}{suggest(key, entry.defaults)}; its parameters "
                             f"are {', '.join(entry.defaults)}")
        allowed = entry.choices.get(key)
        if allowed is not None and exact(value) not in allowed:
            raise UsageError(f"{name} parameter {key} must be one of {', '.join(map(show, allowed))}, "
                             f"got {show(value)}")
    params = {key: exact(values.get(key, default)) for key, default in entry.defaults.items()}
    return entry.builder(**params)
