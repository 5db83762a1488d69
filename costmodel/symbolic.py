"""Symbols for dimensions. sympy is imported here only when a symbol is asked for."""
from __future__ import annotations

from typing import Any


def symbols(names: str, *, integer: bool = True) -> Any:
    """Positive symbols, ``symbols("h w c1 c2")``; integer by default (sizes), ``integer=False`` for
    multipliers such as a width ``alpha``. Returns one symbol for one name, else a tuple."""
    import sympy

    made = sympy.symbols(names, positive=True, integer=integer or None)
    return made
