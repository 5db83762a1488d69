"""Totals as sums of products of per-group factors, and the groups of parameters that make it possible.

A sweep's parameters fall into *groups*: two parameters share a group when some size of the network, some
op's hyper-parameter, or some inseparable part of a cost depends on both (``floor(width * resolution)``)
or when one op's rules may relate them. Parameters of different groups then meet only in products, so
every total is ``sum_t c_t * prod_g F[t, g](parameters of group g)``: each factor ``F[t, g]`` is evaluated
once per point of its group's own sub-grid, and the grid is their combination (``combine.py``).

What an op relates is its fact ``spatial_fields`` (``costmodel.ops.base``): on ``[C, H, W]`` tensors, the
listed fields and the heights and widths are one side, the other fields and the channels the other, and
its rules never mix the two sides (a Conv2d checks groups against channels and its kernel against the
padded height). An op that states no such fact joins every parameter it sees into one group.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any, Iterable


class Mixed(Exception):
    """An expression that is not a sum of products of single-group factors: ``names`` must share a group."""

    def __init__(self, names: set):
        super().__init__(f"inseparable in {sorted(names)}")
        self.names = names


class Groups:
    """Union-find over parameter names: which parameters must be evaluated together."""

    def __init__(self, names: Iterable[str]):
        self.parent = {n: n for n in names}

    def find(self, name: str) -> str:
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return self.parent[name]

    def join(self, names: Iterable[str]) -> None:
        roots = [self.find(n) for n in names if n in self.parent]
        for root in roots[1:]:
            self.parent[root] = roots[0]

    def parts(self, order: Iterable[str]) -> list[tuple[str, ...]]:
        """The groups, each in ``order``, ordered by their first member."""
        found: dict[str, list] = {}
        for name in order:
            found.setdefault(self.find(name), []).append(name)
        return [tuple(members) for members in found.values()]


def names_of(value: Any) -> set[str]:
    """Names of the free symbols of a value (none for numbers, words and flags)."""
    return {str(s) for s in getattr(value, "free_symbols", ())}


def flat(value: Any) -> list:
    """A field's value as a flat list (pairs, lists of sizes)."""
    if isinstance(value, (tuple, list)):
        return [x for v in value for x in flat(v)]
    return [value]


def join_node(groups: Groups, node: Any) -> None:
    """Join the parameters one node relates (see the module doc)."""
    shapes = list(node.input_shapes) + list(node.outputs)
    spatial_fields = getattr(node.op, "spatial_fields", None)
    fields = {f.name: getattr(node.op, f.name) for f in dataclasses.fields(node.op)}
    if spatial_fields is None or any(len(s) not in (1, 3) for s in shapes):
        groups.join(set().union(*(names_of(d) for s in shapes for d in s),
                                *(names_of(v) for f in fields.values() for v in flat(f))))
        return
    channel, spatial = set(), set()
    for shape in shapes:
        for position, dim in enumerate(shape):
            (spatial if position and len(shape) == 3 else channel).update(names_of(dim))
    for name, value in fields.items():
        for v in flat(value):
            (spatial if name in spatial_fields else channel).update(names_of(v))
    relations = node.op.channel_relations(node.input_shapes, node.outputs)
    for related in [channel] if relations is None else relations:
        groups.join(set().union(*(names_of(v) for v in related)) if relations is not None else related)
    for dim in (d for s in shapes for d in (s if len(s) == 1 else s[:1])):
        groups.join(names_of(dim))  # one size's symbols are evaluated together
    groups.join(spatial)


class Splitter:
    """Splits expressions into terms ``(coefficient, factors)``: ``factors`` holds per group a tuple of
    expressions whose product is that group's factor. ``group_of`` maps a symbol name to its group index."""

    def __init__(self, group_of: dict[str, int], count: int):
        import sympy

        self.sympy, self.group_of, self.count = sympy, group_of, count
        self.free: dict = {}

    def _groups(self, e: Any) -> set[int]:
        found = self.free.get(e)
        if found is None:
            found = self.free[e] = {self.group_of[str(s)] for s in e.free_symbols}
        return found

    def split(self, e: Any) -> list[tuple[Fraction, tuple]]:
        empty = ((),) * self.count
        if isinstance(e, int):
            return [(Fraction(e), empty)] if e else []
        if not e.free_symbols:
            if not e.is_Rational:
                raise Mixed(set())  # an irrational constant: no exact integer evaluation
            return [(Fraction(int(e.p), int(e.q)), empty)] if e else []
        groups = self._groups(e)
        if len(groups) == 1:
            (g,) = groups
            coefficient, rest = e.as_coeff_Mul()
            if not coefficient.is_Rational:
                raise Mixed(set())
            return [(Fraction(int(coefficient.p), int(coefficient.q)),
                     tuple((rest,) if i == g else () for i in range(self.count)))]
        if e.is_Add:
            return [t for a in e.args for t in self.split(a)]
        if e.is_Mul or (e.is_Pow and e.exp.is_Integer and e.exp > 0):
            parts = e.args if e.is_Mul else (e.base,) * int(e.exp)
            terms = [(Fraction(1), empty)]
            for part in parts:
                terms = [(c1 * c2, tuple(f1 + f2 for f1, f2 in zip(k1, k2)))
                         for c1, k1 in terms for c2, k2 in self.split(part)]
            return terms
        raise Mixed({str(s) for s in e.free_symbols})


def collect(terms: Iterable[tuple[Fraction, tuple]]) -> dict[tuple, Fraction]:
    """Terms with equal factors added up: ``{factors: coefficient}``, each group's factor in a canonical
    order, zero coefficients dropped."""
    collected: dict[tuple, Fraction] = {}
    for coefficient, factors in terms:
        key = tuple(tuple(sorted(f, key=hash)) for f in factors)
        collected[key] = collected.get(key, Fraction(0)) + coefficient
    return {k: c for k, c in collected.items() if c}
