"""The zoo's registry: each architecture builder registers its name, parameters, defaults and source.

    @register("mobilenet_v1", source="Howard et al. 2017, Table 1", width=1.0, resolution=224, classes=1000)
    def mobilenet_v1(width, resolution, classes) -> Graph: ...

Each parameter's kind follows from its default (``kind_of``: an int is ``whole``, a
float or Fraction ``ratio``, a bool ``flag``, a str ``choice``); ``choices`` lists allowed values where they
are few. ``register`` returns the builder wrapped so that every call, through ``build`` or direct, has
its values typed and checked first (decimals become exact fractions, ``0.75`` -> ``Fraction(3, 4)``: no
float reaches a builder), with one ``UsageError`` per mistake whatever the network
(``mobilenet_v2 classes must be a whole number, at least 1, got 2.5``). A builder checks only what is its
own (a resolution that must be a multiple of 32, widths that do not split into groups). Every number is
bounded before anything is built (``limits``: a whole number at most ``MAX_DIMENSION``,
``blocks`` at most ``MAX_BLOCKS``), every symbol's name must read back as itself.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Any, Callable

from .. import limits
from ..errors import UsageError
from ..graph import Graph
from ..values import Parameter, show, suggest


@dataclass(frozen=True)
class Architecture:
    """A zoo entry: its (checking) builder, its parameters (name, default, kind, choices), its source."""

    name: str
    builder: Callable[..., Graph]
    parameters: dict[str, Parameter]
    source: str
    defaults: dict[str, Any]  # as registered (``width=1.0``), for listings

    @property
    def summary(self) -> str:
        return (self.builder.__doc__ or "").strip().splitlines()[0]

    @property
    def choices(self) -> dict[str, tuple]:
        return {name: p.choices for name, p in self.parameters.items() if p.choices}


ARCHITECTURES: dict[str, Architecture] = {}

#: whole-number parameters with a bound below ``MAX_DIMENSION``: each block adds nodes
MAXIMA = {"blocks": limits.MAX_BLOCKS}


def register(name: str, *, source: str, choices: dict[str, tuple] | None = None, **defaults: Any):
    """Register a builder under ``name`` with its parameters' defaults (and allowed values in ``choices``)."""
    choices = dict(choices or {})

    def decorate(builder: Callable[..., Graph]) -> Callable[..., Graph]:
        if name in ARCHITECTURES:
            raise TypeError(f"zoo builder {name} is registered twice")
        signature = inspect.signature(builder)
        if sorted(signature.parameters) != sorted(defaults) or not set(choices) <= set(defaults):
            raise TypeError(f"zoo builder {name}: parameters {list(signature.parameters)} differ from defaults "
                            f"{sorted(defaults)} or choices {sorted(choices)}")
        parameters = {key: Parameter.from_default(key, default, choices.get(key, ()),
                                                  maximum=MAXIMA.get(key, limits.MAX_DIMENSION))
                      for key, default in defaults.items()}
        for parameter in parameters.values():
            parameter.check(name, parameter.default)  # a default its own checks refuse is a typo

        @functools.wraps(builder)
        def checked(*args: Any, **kwargs: Any) -> Graph:
            # parameters left out take their defaults; every value is checked and typed first
            try:
                given = signature.bind_partial(*args, **kwargs).arguments
            except TypeError as error:
                raise UsageError(f"{name}: {error}") from None
            values = {key: given.get(key, defaults[key]) for key in signature.parameters}
            return builder(**{key: parameters[key].check(name, value) for key, value in values.items()})

        ARCHITECTURES[name] = Architecture(name, checked, parameters, source, dict(defaults))
        return checked

    return decorate


def architecture(name: str) -> Architecture:
    if name not in ARCHITECTURES:
        raise UsageError(f"unknown architecture {show(name)}{suggest(name, ARCHITECTURES)}; "
                         f"'costmodel list' shows them all")
    return ARCHITECTURES[name]


def build(name: str, **values: Any) -> Graph:
    """Build zoo architecture ``name`` with parameter ``values`` (the rest at their defaults)."""
    entry = architecture(name)
    for key in values:
        if key not in entry.parameters:
            raise UsageError(f"{name} has no parameter {show(key)}{suggest(key, entry.parameters)}; its parameters "
                             f"are {', '.join(entry.parameters)}")
    return entry.builder(**values)
