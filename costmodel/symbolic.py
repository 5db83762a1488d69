"""Symbols for dimensions. sympy is imported here only when a symbol is asked for."""
from __future__ import annotations

from typing import Any

from .errors import UsageError
from .values import check_symbol_name, show


def symbols(names: str, *, integer: bool = True) -> Any:
    """Positive symbols, ``symbols("h w c1 c2")``; integer by default (sizes), ``integer=False`` for
    multipliers such as a width ``alpha``. Returns one symbol for one name, else a tuple.

    Names are separated by spaces or commas; each must read back as itself through ``sympy.sympify``
    (``check_symbol_name``: ``I``, ``E``, ``pi``, ``beta`` are refused), since results
    hold symbols by name. A ``UsageError`` names the bad argument.
    """
    if not isinstance(names, str):
        raise UsageError(f"symbols names must be text such as 'h w c', got {show(names, limit=60)}")
    if not isinstance(integer, bool):
        raise UsageError(f"symbols integer must be true or false, got {show(integer, limit=60)}")
    split = names.replace(",", " ").split()
    if not split:
        raise UsageError(f"symbols names must name at least one symbol, got {show(names, limit=60)}")
    for name in split:
        check_symbol_name(name, "symbols name")
    import sympy

    made = sympy.symbols(split, positive=True, integer=integer or None)
    return made[0] if len(made) == 1 else tuple(made)
