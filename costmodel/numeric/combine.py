"""The grid's totals from a factored plan, chunk by chunk, in row order, exactly.

A column's total is ``sum_t c_t * prod_g F[t, g]`` (``terms.py``). Each factor is an integer array over its
group's sub-grid (over a scalar denominator, folded into ``c_t``); the coefficients are brought to whole
numbers ``a_t = c_t * L`` with ``L`` the lcm of their denominators, and the sum is divided by ``L`` at the end
(exactly: a remainder would be a bug, and is refused). When the last axes of the grid are one group
(MobileNet v2's resolution), the rows of a chunk are a matrix product: the other groups' factors, summed
per distinct factor of the last group, times those factors (``outer x K`` by ``K x inner``). int64 is used
where a bound on every sum stays below 2**63, Python ints (object arrays) beyond: never a wrapped number.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Iterator

import numpy as np

from .exact import BOUND, add, largest as _largest, multiply, reduced, scalar_denominator
from .factored import Group, Mask, Plan
from .grid import COLUMNS, Rows


class Factors:
    """Each group's factor arrays, made once: the product of a factor's expressions (and masks)."""

    def __init__(self, groups: list[Group]):
        self.groups = groups
        self.made: dict = {}

    def __call__(self, g: int, atoms: tuple) -> tuple:
        key = (g, atoms)
        found = self.made.get(key)
        if found is None:
            found = self.made[key] = self._make(self.groups[g], atoms)
        return found

    @staticmethod
    def _make(group: Group, atoms: tuple) -> tuple:
        n, d = 1, 1
        for atom in atoms:
            if isinstance(atom, Mask):
                inside = np.isin(group.config, list(atom.configs))
                n = multiply(n, (~inside if atom.inverse else inside).astype(np.int64))
                continue
            an, ad = scalar_denominator(*group.evaluator.value(atom))
            n, d = multiply(n, an), d * ad
        n, d = reduced(n, d)
        if isinstance(n, np.ndarray) and n.shape != (group.size,):
            n = np.broadcast_to(n, (group.size,))
        return n, d


class Column:
    """One column's terms, ready to combine: whole coefficients, the common denominator, and the terms
    grouped by their factor of the inner group (``inner`` is None when there is none)."""

    def __init__(self, terms: dict, factors: Factors, inner: int | None):
        weighted = []
        for key, coefficient in terms.items():
            parts = [factors(g, atoms) for g, atoms in enumerate(key)]
            weighted.append((coefficient / math.prod(d for _, d in parts), [n for n, _ in parts]))
        self.denominator = math.lcm(*(c.denominator for c, _ in weighted)) if weighted else 1
        by_inner: dict = {}
        for (coefficient, arrays), key in zip(weighted, terms):
            whole = int(coefficient * self.denominator)
            inner_key = key[inner] if inner is not None else ()
            by_inner.setdefault(inner_key, ([], arrays[inner] if inner is not None else 1))[0].append(
                (whole, [a for g, a in enumerate(arrays) if g != inner]))
        self.outer_groups = [g for g in range(len(factors.groups)) if g != inner]
        self.parts = list(by_inner.values())  # (terms (a_t, outer arrays), inner array)

    def block(self, outer_index: dict, inner_slice: slice | None, inner_size: int) -> np.ndarray:
        """Totals of the rows ``outer rows x inner[inner_slice]``, flattened in row order (outer slower).
        ``outer_index`` maps each outer group to the sub-grid index of every outer row."""
        rows = len(next(iter(outer_index.values()))) if outer_index else 1
        weights, inners = [], []
        for terms, inner in self.parts:
            total = 0
            for whole, arrays in terms:
                value = whole
                for g, array in zip(self.outer_groups, arrays):
                    value = multiply(value, array[outer_index[g]] if isinstance(array, np.ndarray) else array)
                total = add(total, value)
            weights.append(np.broadcast_to(np.asarray(total, dtype=_dtype(total)), (rows,)))
            if isinstance(inner, np.ndarray):
                inners.append(inner[inner_slice] if inner_slice is not None else inner)
            else:
                inners.append(np.full(inner_size, inner, dtype=object if abs(inner) >= BOUND else np.int64))
        if not weights:
            result = np.zeros((rows, inner_size), dtype=np.int64)
        else:
            left, right = np.stack(weights, axis=1), np.stack(inners, axis=0)
            bound = sum(_largest(w) * _largest(i) for w, i in zip(weights, inners))
            if bound >= BOUND or left.dtype == object or right.dtype == object:
                left, right = left.astype(object), right.astype(object)
            result = left @ right
        result = result.reshape(-1)
        if self.denominator != 1:
            if np.any(result % self.denominator != 0):
                raise ArithmeticError("sweep: a total is not a whole number (please report it)")
            result = result // self.denominator
        return result


def _dtype(value) -> type:
    return object if (isinstance(value, np.ndarray) and value.dtype == object) or \
        (isinstance(value, int) and abs(value) >= BOUND) else np.int64


class Combination:
    """A plan with every factor made (``Unsupported`` shows here, before any row is written)."""

    def __init__(self, plan: Plan):
        grid, groups = plan.grid, plan.groups
        last = next(g for g, group in enumerate(groups) if grid.names[-1] in group.axes)
        self.inner = last if grid.names[len(grid.names) - len(groups[last].axes):] == groups[last].axes else None
        factors = Factors(groups)
        self.plan, self.columns = plan, {c: Column(plan.terms[c], factors, self.inner) for c in COLUMNS}

    def rows(self, chunk: int) -> Iterator[Rows]:
        """The rows, about ``chunk`` at a time, in row order."""
        return _rows(self.plan, self.inner, self.columns, chunk)


def _rows(plan: Plan, inner: int | None, columns: dict, chunk: int) -> Iterator[Rows]:
    grid, groups = plan.grid, plan.groups
    inner_size = groups[inner].size if inner is not None else 1
    outer_names = grid.names[:len(grid.names) - (len(groups[inner].axes) if inner is not None else 0)]
    outer_sizes = tuple(len(grid.values[n]) for n in outer_names)
    outer_total = math.prod(outer_sizes)
    position = {n: i for i, n in enumerate(grid.names)}
    step_outer = max(1, chunk // inner_size)
    step_inner = inner_size if inner_size <= chunk else chunk
    for o_lo in range(0, outer_total, step_outer):
        o_hi = min(outer_total, o_lo + step_outer)
        outer_axes = np.unravel_index(np.arange(o_lo, o_hi), outer_sizes) if outer_names else ()
        outer_index = {}
        for g, group in enumerate(groups):
            if g == inner:
                continue
            index = np.zeros(o_hi - o_lo, dtype=np.int64)
            for axis, size in zip(group.axes, group.sizes):
                index = index * size + outer_axes[outer_names.index(axis)]
            outer_index[g] = index
        for i_lo in range(0, inner_size, step_inner):
            i_hi = min(inner_size, i_lo + step_inner)
            piece = slice(i_lo, i_hi) if (i_lo, i_hi) != (0, inner_size) else None
            totals = [columns[c].block(outer_index, piece, i_hi - i_lo) for c in COLUMNS]
            indices = [None] * len(grid.names)
            count = (o_hi - o_lo) * (i_hi - i_lo)
            for k, name in enumerate(outer_names):
                indices[position[name]] = np.repeat(outer_axes[k], i_hi - i_lo)
            if inner is not None:
                inner_axes = np.unravel_index(np.arange(i_lo, i_hi), groups[inner].sizes)
                for k, name in enumerate(groups[inner].axes):
                    indices[position[name]] = np.tile(inner_axes[k], o_hi - o_lo)
            start = o_lo * inner_size + i_lo
            yield Rows(start, indices, totals, count)
