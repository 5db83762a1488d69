"""Symbols for dimensions. sympy is imported here only when a symbol is asked for."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from .errors import UsageError
from .values import check_symbol_name, show


def symbols(names: str, *, integer: bool = True) -> Any:
    """Positive symbols, ``symbols("h w c1 c2")``; integer by default (sizes), ``integer=False`` for
    multipliers such as a width ``alpha``. Returns one symbol for one name, else a tuple.

    Names are separated by spaces or commas; each must read back as itself through ``sympy.sympify``
    (``check_symbol_name``: ``I``, ``E``, ``pi`` are refused; ``beta``, ``gamma``, ``zeta`` and
    ``lambda`` are spelled as their Greek letters, ``β`` …), since results
    hold symbols by name. A ``UsageError`` names the bad argument.
    """
    if not isinstance(names, str):
        raise UsageError(f"symbols names must be text such as 'h w c', got {show(names, limit=60)}")
    if not isinstance(integer, bool):
        raise UsageError(f"symbols integer must be true or false, got {show(integer, limit=60)}")
    split = names.replace(",", " ").split()
    if not split:
        raise UsageError(f"symbols names must name at least one symbol, got {show(names, limit=60)}")
    split = [check_symbol_name(name, "symbols name") for name in split]
    import sympy

    made = sympy.symbols(split, positive=True, integer=integer or None)
    return made[0] if len(made) == 1 else tuple(made)


def drop_rounding(value: Any) -> Any:
    """``value`` without rounding rules, what ``load(..., relax=True)`` reports: ``floor(x)`` and
    ``ceiling(x)`` become ``x``, ``Max``/``Min`` of symbols and numbers keep the symbolic arguments
    (``Max(8, 32*alpha)`` -> ``32*alpha``), a ``Piecewise`` its last (default) branch; then expanded into a
    polynomial. Numbers pass unchanged."""
    if not getattr(value, "free_symbols", None):
        return value
    import sympy

    def symbolic_args(expr: Any) -> Any:
        kept = [a for a in expr.args if a.free_symbols]
        return expr.func(*kept) if kept else expr

    value = value.replace(lambda e: isinstance(e, sympy.Piecewise), lambda e: e.args[-1][0])
    value = value.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)), lambda e: e.args[0])
    value = value.replace(lambda e: isinstance(e, (sympy.Max, sympy.Min)), symbolic_args)
    return sympy.expand(value)


def readable(value: Any) -> Any:
    """A closed form as a person reads it: the symbolic factors common to every term of a sum pulled out
    (``10752*alpha**2*b**2 + 1024000*alpha`` -> ``alpha*(10752*alpha*b**2 + 1024000)``), whole-number
    coefficients left as they are (``11264*k**2 + 864`` stays, rather than ``32*(352*k**2 + 27)``); the same
    value. Floors and maxima that the symbols' assumptions decide are gone already: sympy resolves
    ``floor(16*k - 1/2)`` to ``16*k - 1`` for an integer ``k``. Numbers pass unchanged. Shallow, so fast:
    one pass over the top-level terms (``sympy.factor_terms`` takes seconds on nested floors)."""
    if not getattr(value, "is_Add", False):
        return value
    return _factored(value)


@lru_cache(maxsize=4096)
def _factored(value: Any) -> Any:
    powers = [term.as_powers_dict() for term in value.args]
    common = {}
    for base in powers[0]:
        exponents = [p.get(base, 0) for p in powers]
        if not base.is_Number and base.free_symbols and all(getattr(e, "is_Integer", False) and e > 0 for e in exponents):
            common[base] = min(exponents)
    if not common:
        return value
    import sympy

    factor = sympy.Mul(*(base ** exponent for base, exponent in common.items()))
    rest = sympy.Add(*(term / factor for term in value.args))
    return sympy.Mul(factor, rest)


def at_least(value: Any, bounds: dict) -> Any:
    """``value`` with the maxima and minima that lower bounds on its symbols decide resolved: ``bounds``
    maps a symbol (or its name) to a number it is at least. ``Max(8, floor(32*alpha))`` with
    ``alpha >= 1/4`` is ``floor(32*alpha)``. In each ``Max``/``Min`` (only there: fast on long sums) the
    symbol is written ``bound + t`` with ``t`` nonnegative (an integer when both are), sympy decides what it
    can, and ``t`` goes back to ``symbol - bound``. Numbers pass unchanged."""
    free = {str(s): s for s in getattr(value, "free_symbols", ()) or ()}
    chosen = [(free[str(name)], low) for name, low in bounds.items() if str(name) in free]
    if not chosen:
        return value
    import sympy

    if not value.has(sympy.Max, sympy.Min):
        return value
    key = tuple((symbol, sympy.nsimplify(low)) for symbol, low in chosen)
    return value.replace(lambda e: isinstance(e, (sympy.Max, sympy.Min)), lambda e: _decided(e, key))


@lru_cache(maxsize=1024)
def _decided(extreme: Any, bounds: tuple) -> Any:
    """One ``Max``/``Min`` under the lower ``bounds`` ((symbol, number) pairs), or as it was if undecided."""
    import sympy

    shifts = [(symbol, low, sympy.Dummy("excess", nonnegative=True,
                                        integer=bool(symbol.is_integer and low.is_integer) or None))
              for symbol, low in bounds]
    shifted = extreme.subs({symbol: low + excess for symbol, low, excess in shifts})
    if shifted.has(sympy.Max, sympy.Min):
        return extreme
    return shifted.subs({excess: symbol - low for symbol, low, excess in shifts})
