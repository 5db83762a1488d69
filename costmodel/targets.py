"""What the command line points at: a zoo name or a spec file, with ``-s NAME=VALUE`` settings.

A value is a number (``224``, ``0.75``, ``3/4``: exact, never a float), a symbol name (``alpha``: kept
symbolic) or, for a text parameter such as ``variant``, a word. Nothing a user writes is evaluated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import UsageError
from .graph import Graph

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # no leading underscore: our JSON is read back by sympify
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(/\d+)?$")


@dataclass(frozen=True)
class Target:
    """A built graph with the name and parameter values it was built from."""

    name: str
    graph: Graph
    parameters: dict[str, Any]


def parse_settings(settings: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``["width=0.5", "resolution=r"]`` -> ``{"width": "0.5", "resolution": "r"}`` (values still text)."""
    parsed: dict[str, str] = {}
    for setting in settings:
        name, sep, value = setting.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not _NAME.match(name) or not value:
            raise UsageError(f"-s expects NAME=VALUE with VALUE a number or a symbol name, got {setting!r}")
        if name in parsed:
            raise UsageError(f"-s sets {name} twice ({parsed[name]} and {value})")
        parsed[name] = value
    return parsed


def parse_value(name: str, text: str, default: Any = None) -> Any:
    """The value of ``-s name=text``, typed after the parameter's ``default``.

    A bool parameter takes true/false/yes/no/1/0; a text parameter (``variant``) takes the word; any other
    takes an exact number (``0.75`` is 3/4) or a symbol name, made a positive symbol (an integer one unless
    the default is fractional, as a width multiplier is).
    """
    if isinstance(default, bool):
        words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if text.lower() not in words:
            raise UsageError(f"-s {name}: expected true or false, got {text!r}")
        return words[text.lower()]
    if isinstance(default, str):
        return text
    if _NUMBER.match(text):
        try:
            value = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise UsageError(f"-s {name}: {text!r} is not a number") from None
        return value.numerator if value.denominator == 1 else value
    if _SYMBOL.match(text):
        import sympy

        integer = default is None or isinstance(default, int)
        return sympy.Symbol(text, positive=True, integer=integer or None)
    raise UsageError(f"-s {name}: {text!r} is neither a number nor a symbol name (a letter, then letters, "
                     f"digits or _)")


def is_spec_path(target: str) -> bool:
    return target.endswith((".yaml", ".yml")) or "/" in target or Path(target).is_file()


def resolve(target: str, settings: dict[str, str]) -> Target:
    """Build ``target`` (zoo name or spec path) with the ``-s`` settings."""
    from .zoo import ARCHITECTURES, build
    from .zoo.registry import suggest

    if target in ARCHITECTURES:
        entry = ARCHITECTURES[target]
        values = {key: parse_value(key, text, entry.defaults.get(key)) for key, text in settings.items()}
        graph = build(target, **values)
        return Target(target, graph, {**entry.defaults, **values})
    if is_spec_path(target):
        path = Path(target)
        if not path.is_file():
            raise UsageError(f"no spec file {target!r}")
        from .spec import load_spec, spec_symbols

        graph = load_spec(path, dict(settings))  # the spec's own safe parser reads the texts
        return Target(graph.name, graph, spec_symbols(path, dict(settings)))
    raise UsageError(f"unknown architecture {target!r}{suggest(target, ARCHITECTURES)} and no spec file of "
                     f"that name; 'costmodel list' shows the architectures")
