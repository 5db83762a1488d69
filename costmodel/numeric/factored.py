"""The factored evaluation of a sweep: the network built once with the swept parameters as symbols, its
costs split into per-group factors (``terms.py``), each factor evaluated exactly once per point of its
group's sub-grid (``exact.py``), and the grid combined from them (``combine.py``).

The checks a build makes are kept by building numerically once per *configuration*: the points of a
group's sub-grid where every size and hyper-parameter of the symbolic graph that depends on the group
takes the same values (MobileNet v2's 3,501 widths from 0.25 to 2.0 by 0.0005 have 289). Each
configuration's first point is built with the other groups at their first values, and the built graph must
equal the symbolic one there, node for node: names, ops, wiring, every hyper-parameter and every shape. A
builder that refuses the point refuses the sweep (a UsageError naming it). Where the built graph differs
(rounding makes a block's input and output widths equal and MobileNet v2 adds a shortcut the symbolic
graph lacks), that configuration gets a symbolic graph of its own, built with its group's values fixed,
and the factors of each graph are masked to the configurations it holds for.

Parameters the builder refuses as symbols (ShuffleNet v2's width, a choice of four) are *enumerated*: one
symbolic graph per combination of their values, each masked to it.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..analysis import fused_nodes, node_cost, per_batch_nodes
from ..errors import CostModelError, UsageError
from .exact import BOUND, Evaluator, Unsupported
from .grid import COLUMNS, Grid, one_line
from .terms import Groups, Mixed, Splitter, collect, flat, join_node, names_of

MAX_BLOCKS = 64  # symbolic graphs one sweep builds at most (enumerated values, configurations that differ)
MAX_GROUP_POINTS = 1 << 16  # points of one group's sub-grid (each sub-expression is an array this long)


class Fallback(Exception):
    """The factored evaluation does not apply to this grid: evaluate it point by point instead."""


@dataclass(frozen=True)
class Mask:
    """A factor that is 1 at the configurations ``configs`` of a group and 0 elsewhere (``inverse``: 0 there,
    1 elsewhere)."""

    configs: frozenset
    inverse: bool = False


@dataclass
class Block:
    """A symbolic graph and the configurations it holds for: ``fixed`` are the values it was built with
    (enumerated or a configuration's own), ``masks`` ``{group: configurations}``, ``except`` those taken
    by other blocks (filled in as configurations that differ are found)."""

    graph: Any
    fixed: dict
    masks: dict = field(default_factory=dict)
    excluded: dict = field(default_factory=dict)
    structure: tuple = ()  # of the graph (``_slots``), and where each group's slot values are
    values: list = field(default_factory=list)
    positions: dict = field(default_factory=dict)  # {group or None for constants: slot positions}
    tables: dict = field(default_factory=dict)  # {group: Table of the group's slot values}

    def __post_init__(self):
        self.structure, self.values = _slots(self.graph)


@dataclass
class Group:
    """A group of axes (in row order) and what is evaluated on its sub-grid (the product of its axes)."""

    axes: tuple[str, ...]
    sizes: tuple[int, ...]
    evaluator: Evaluator
    config: np.ndarray | None = None  # configuration of each sub-grid point
    representatives: list = field(default_factory=list)  # first sub-grid point of each configuration
    keys: list = field(default_factory=list)  # per configuration, its slot values (a tuple)

    @property
    def size(self) -> int:
        return math.prod(self.sizes)

    def point(self, grid: Grid, index: int) -> dict:
        """The values of the group's axes at sub-grid point ``index``."""
        out = {}
        for axis, size in zip(reversed(self.axes), reversed(self.sizes)):
            index, at = divmod(index, size)
            out[axis] = grid.values[axis][at]
        return out


@dataclass
class Plan:
    """What ``combine`` needs: the groups and, per column, the terms ``{factors: coefficient}``."""

    grid: Grid
    groups: list[Group]
    terms: dict[str, dict]
    builds: int = 0


def symbol(target: Any, name: str) -> Any:
    """The positive symbol standing for parameter ``name`` (an integer one unless it is a ratio)."""
    from ..symbolic import symbols

    parameter = target.parameters.get(name)
    return symbols(name, integer=parameter is None or parameter.kind != "ratio")


def plan(grid: Grid, progress: Callable | None = None, budget: float | None = None) -> Plan:
    """The factored plan of ``grid`` (see the module doc); ``Fallback`` when it does not apply or
    would cost more than ``budget`` seconds (an estimate of the point-by-point evaluation)."""
    started = time.perf_counter()
    report = progress or (lambda *args: None)
    report("building", 0, 1)
    symbols = {n: symbol(grid.target, n) for n in grid.names}
    enumerated, whole = _enumerated(grid, symbols)
    swept = [n for n in grid.names if n not in enumerated]
    combos = _combinations(grid, enumerated)
    if len(combos) > MAX_BLOCKS:
        raise Fallback(f"{len(combos)} combinations of {', '.join(enumerated)}")
    blocks = [Block(whole, {})] if whole is not None else []
    for combo in combos if whole is None else ():
        blocks.append(Block(_symbolic(grid, {**combo, **{n: symbols[n] for n in swept}}), combo))
        if budget is not None and (time.perf_counter() - started) * len(combos) / len(blocks) > budget:
            raise Fallback("the symbolic builds would take longer than evaluating point by point")
    report("building", 1, 1)
    free = set().union(*(names_of(v) for b in blocks for v in b.values))
    unswept = sorted(free - set(grid.names))
    if unswept:
        raise UsageError(f"sweep: {', '.join(unswept)} {'has' if len(unswept) == 1 else 'have'} no value: give "
                         f"{'it' if len(unswept) == 1 else 'each'} a number or sweep it too")
    costs = [_costs(grid, b.graph) for b in blocks]
    parts, splitter, splits = _groups(grid, enumerated, [b.graph for b in blocks], costs)
    groups = [_group(grid, axes, symbols) for axes in parts]
    index_of = {axis: i for i, g in enumerate(groups) for axis in g.axes}
    if enumerated:
        e = index_of[enumerated[0]]
        for b, combo in zip(blocks, combos):
            b.masks[e] = frozenset({_sub_index(groups[e], grid, combo)})
    for block in blocks:
        _locate(block, index_of)
    _configure(groups, blocks)
    for block in blocks:
        _tabulate(block, groups)
    builds = _verify(grid, groups, blocks, index_of, report, started, budget)
    terms = {c: [] for c in COLUMNS}
    for i, block in enumerate(blocks):
        try:
            split = splits[i] if i < len(splits) else _split(splitter, _costs(grid, block.graph))
        except Mixed:
            raise Fallback("a graph built for one configuration does not split as the others") from None
        masks = tuple(_mask_atoms(block, g) for g in range(len(groups)))
        for column in COLUMNS:
            terms[column] += [(c, tuple(f + m for f, m in zip(factors, masks))) for c, factors in split[column]]
    return Plan(grid, groups, {c: collect(t) for c, t in terms.items()}, builds)


def _mask_atoms(block: Block, g: int) -> tuple:
    """The masks of ``block`` on group ``g``: its configurations, less those other blocks took."""
    atoms = (Mask(block.masks[g]),) if g in block.masks else ()
    return atoms + ((Mask(frozenset(block.excluded[g]), inverse=True),) if block.excluded.get(g) else ())


def _symbolic(grid: Grid, values: dict) -> Any:
    try:
        return grid.target.build(**grid.fixed, **values)
    except CostModelError as error:
        raise Fallback(f"the symbolic build fails: {one_line(error)}") from None


def _enumerated(grid: Grid, symbols: dict) -> tuple[list[str], Any]:
    """(axes the builder refuses as symbols, each tried alone when all at once fails; the graph with every
    axis a symbol, when the builder takes that)."""
    first = {n: grid.values[n][0] for n in grid.names}
    try:
        return [], grid.target.build(**grid.fixed, **symbols)
    except CostModelError:
        pass
    refused = []
    for name in grid.names:
        try:
            grid.target.build(**grid.fixed, **{**first, name: symbols[name]})
        except CostModelError:
            refused.append(name)
    if len(refused) == len(grid.names):
        raise Fallback("the builder takes none of the swept parameters as a symbol")
    return refused, None


def _combinations(grid: Grid, names: list[str]) -> list[dict]:
    combos = [{}]
    for name in names:
        combos = [{**c, name: v} for c in combos for v in grid.values[name]]
        if len(combos) > MAX_BLOCKS:
            break
    return combos


def _costs(grid: Grid, graph: Any) -> list:
    from ..analysis import REGISTRY, _torch_calls

    fused = fused_nodes(graph, grid.fuse)
    calls = _torch_calls(graph) if REGISTRY[grid.convention].tool else {}
    once = per_batch_nodes(graph)
    return [node_cost(n, grid.convention, graph.batch, n.name in fused, calls.get(n.name, "module"), once)
            for n in graph.nodes]


def _slots(graph: Any) -> tuple[tuple, list]:
    """(structure, values) of a graph: node names, ops and wiring; then the batch, the input shapes, and per
    node its hyper-parameters and output shapes, flattened. Two graphs are the same network when both are
    equal."""
    structure, values = [], [graph.batch]
    extend, append = values.extend, values.append
    for name, tensor in graph.inputs.items():
        structure.append(("input", name, len(tensor.shape)))
        extend(tensor.shape)
    for node in graph.nodes:
        lengths = []
        for v in vars(node.op).values():  # a frozen dataclass's fields, in their order
            if type(v) is tuple and all(type(x) is int for x in v):
                extend(v)
                lengths.append(len(v))
            elif isinstance(v, (tuple, list)):
                parts = flat(v)
                extend(parts)
                lengths.append(len(parts))
            else:
                append(v)
                lengths.append(1)
        structure.append((node.name, type(node.op).__name__, tuple((t.node, t.index) for t in node.inputs),
                          tuple(lengths), tuple(len(s) for s in node.outputs)))
        for shape in node.outputs:
            extend(shape)
    return tuple(structure), values


def _groups(grid: Grid, enumerated: list, graphs: list, costs: list) -> tuple[list[tuple], Splitter, list]:
    """The groups of axes (each in row order), joined until every cost splits (``terms.py``); the splitter
    and, per graph, its costs' terms per column."""
    groups = Groups(grid.names)
    groups.join(enumerated)
    for graph in graphs:
        for shape in (t.shape for t in graph.inputs.values()):
            if len(shape) == 3:
                groups.join(names_of(shape[0]))
                groups.join(set().union(*(names_of(d) for d in shape[1:])))
            else:
                groups.join(set().union(*(names_of(d) for d in shape)))
        for node in graph.nodes:
            join_node(groups, node)
    while True:
        parts = groups.parts(grid.names)
        splitter = Splitter({a: i for i, axes in enumerate(parts) for a in axes}, len(parts))
        try:
            return parts, splitter, [_split(splitter, node_costs) for node_costs in costs]
        except Mixed as mixed:
            if len(mixed.names) < 2:
                raise Fallback("a cost holds an irrational number") from None
            groups.join(mixed.names)


def _split(splitter: Splitter, costs: list) -> dict[str, list]:
    """The terms of each column of a graph's node ``costs``."""
    return {c: [t for cost in costs for t in splitter.split(getattr(cost, c))] for c in COLUMNS}


def _group(grid: Grid, axes: tuple, symbols: dict) -> Group:
    """The group of ``axes`` with the exact values of its axes at every point of its sub-grid."""
    sizes = tuple(len(grid.values[a]) for a in axes)
    size = math.prod(sizes)
    if size > MAX_GROUP_POINTS:
        raise Fallback(f"the group {', '.join(axes)} has {size} points")
    env, repeat = {}, size
    for axis, count in zip(axes, sizes):
        repeat //= count
        values = grid.values[axis]
        denominator = math.lcm(*(Fraction(v).denominator for v in values))
        numerators = [int(Fraction(v) * denominator) for v in values]
        big = max(abs(n) for n in numerators) >= BOUND
        column = np.array(numerators, dtype=object if big else np.int64)
        tile = size // (count * repeat)
        env[symbols[axis]] = (np.tile(np.repeat(column, repeat), tile), denominator)
    return Group(axes, sizes, Evaluator(env))


def _sub_index(group: Group, grid: Grid, point: dict) -> int:
    index = 0
    for axis, size in zip(group.axes, group.sizes):
        index = index * size + grid.values[axis].index(point[axis])
    return index


def _locate(block: Block, index_of: dict) -> None:
    """Where each group's slot values are in ``block`` (constants under None)."""
    positions: dict = {}
    for position, value in enumerate(block.values):
        names = names_of(value)
        positions.setdefault(index_of[next(iter(names))] if names else None, []).append(position)
    block.positions = positions


def _whole(evaluator: Evaluator, value: Any, size: int) -> np.ndarray:
    try:
        return np.broadcast_to(np.asarray(evaluator.integers(value)), (size,))
    except Unsupported as error:
        raise Fallback(str(error)) from None


def _columns(block: Block, g: int, group: Group) -> list:
    return [_whole(group.evaluator, block.values[p], group.size) for p in block.positions.get(g, ())]


def _distinct_rows(columns: list, size: int) -> tuple:
    """(the number of each row's distinct values, in order of first appearance; the first row of each), the
    rows being the sub-grid points and ``columns`` their slot values. Whole int64 columns are compared as
    one matrix: a tuple per row would hold a few kB per point (10,000 resolutions: about 100 MB)."""
    if all(c.dtype != object for c in columns):
        matrix = np.stack(columns, axis=1).astype(np.int64, copy=False)
        _, first, inverse = np.unique(matrix, axis=0, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order), dtype=np.int64)
        return rank[inverse.reshape(-1)], first[order].tolist()
    ids: dict = {}
    config, representatives = np.empty(size, dtype=np.int64), []
    for i, row in enumerate(zip(*(c.tolist() for c in columns))):
        k = ids.get(row)
        if k is None:
            k = ids[row] = len(representatives)
            representatives.append(i)
        config[i] = k
    return config, representatives


def _configure(groups: list, blocks: list) -> None:
    """Each group's configurations: the sub-grid points where every block's slot values of the group agree
    (of an enumerated group, each point is one: its block's)."""
    enumerated = {g for b in blocks for g in b.masks}
    for g, group in enumerate(groups):
        if g in enumerated:
            group.config = np.arange(group.size, dtype=np.int64)
            group.representatives = list(range(group.size))
            continue
        columns = [c for block in blocks for c in _columns(block, g, group)]
        if not columns:
            group.config = np.zeros(group.size, dtype=np.int64)
            group.representatives = [0]
            continue
        group.config, group.representatives = _distinct_rows(columns, group.size)


def _tabulate(block: Block, groups: list) -> None:
    """The block's slot values of each group at the group's representatives (what its builds must show)."""
    for g, group in enumerate(groups):
        block.tables[g] = Table(group.representatives, [c[group.representatives] for c in _columns(block, g, group)])


class Table:
    """A group's slot values at its representatives: ``table[index]``, the tuple (Python ints) at sub-grid
    point ``index``, is made when asked (held for every representative, tuples cost a few kB each)."""

    def __init__(self, representatives: list, columns: list):
        self.row = {r: k for k, r in enumerate(representatives)}
        self.matrix = np.stack(columns, axis=1) if columns else None

    def __getitem__(self, index: int) -> tuple:
        return () if self.matrix is None else tuple(self.matrix[self.row[index]].tolist())


def _matches(block: Block, built: Any, at: dict) -> bool:
    """Whether the graph ``built`` at the sub-grid points ``at`` is ``block``'s graph there."""
    structure, values = _slots(built)
    if structure != block.structure or len(values) != len(block.values):
        return False
    for owner, positions in block.positions.items():
        shown = tuple(values[p] for p in positions)
        expected = tuple(block.values[p] for p in positions) if owner is None else block.tables[owner][at[owner]]
        if shown != expected:
            return False
    return True


def _verify(grid: Grid, groups: list, blocks: list, index_of: dict, report: Callable, started: float,
            budget: float | None) -> int:
    """Build every configuration's first point and compare the graph with the symbolic one there. One build
    checks one configuration of every group at once (the i-th of each, the groups with fewer configurations
    starting over); where it differs, each group's configuration is built alone (the others at their first
    point) to find the one whose graph differs, which gets a block of its own. Returns the builds made."""
    total = max(len(g.representatives) for g in groups)
    enumerated = {g for b in blocks for g in b.masks}
    builds, checking = 0, time.perf_counter()
    for i in range(total):
        at = {g: group.representatives[i % len(group.representatives)] for g, group in enumerate(groups)}
        built, builds = _built(grid, groups, at), builds + 1
        if not _matches(_block_for(blocks, groups, at), built, at):
            for g in range(len(groups)):
                alone = {h: (at[g] if h == g else 0) for h in range(len(groups))}
                single, builds = _built(grid, groups, alone), builds + 1
                if not _matches(_block_for(blocks, groups, alone), single, alone):
                    if g in enumerated:
                        raise Fallback("a graph built for enumerated values differs from its symbolic graph")
                    k = int(groups[g].config[at[g]])
                    _differing(grid, groups, blocks, _block_for(blocks, groups, alone), g, k, single, alone,
                               index_of)
            if not _matches(_block_for(blocks, groups, at), built, at):
                raise Fallback("configurations of two groups together build a graph neither predicts")
        report("checking", i + 1, total)
        spent, now = checking - started, time.perf_counter()  # planning so far, then the builds extrapolated
        if budget is not None and i > 3 and spent + (now - checking) * total / (i + 1) > budget:
            raise Fallback("checking the configurations would take longer than evaluating point by point")
    return builds


def _built(grid: Grid, groups: list, at: dict) -> Any:
    """The numeric graph at the sub-grid points ``at`` ``{group: index}`` (a refusal is a UsageError)."""
    point = {**grid.fixed}
    for h, group in enumerate(groups):
        point.update(group.point(grid, at[h]))
    return grid.build(point)


def _block_for(blocks: list, groups: list, at: dict) -> Block:
    """The block that holds for the sub-grid points ``at`` ``{group: index}``."""
    configs = {h: int(groups[h].config[i]) for h, i in at.items()}
    for block in blocks:
        if all(configs[h] in taken for h, taken in block.masks.items()) and \
                not any(configs[h] in taken for h, taken in block.excluded.items()):
            return block
    raise AssertionError("no block holds for a point")  # the masks cover every configuration


def _differing(grid: Grid, groups: list, blocks: list, block: Block, g: int, k: int, built: Any, at: dict,
               index_of: dict) -> None:
    """A block for configuration ``k`` of group ``g``, whose graph ``built`` at ``at`` differs from
    ``block``'s."""
    if len(blocks) >= MAX_BLOCKS:
        raise Fallback("too many configurations build graphs of their own")
    own = groups[g].point(grid, at[g])
    symbols = {a: symbol(grid.target, a) for h, other in enumerate(groups) if h != g for a in other.axes
               if a not in block.fixed}
    masks = dict(block.masks)
    masks[g] = frozenset({k})
    variant = Block(_symbolic(grid, {**block.fixed, **own, **symbols}), {**block.fixed, **own}, masks)
    _locate(variant, index_of)
    if g in variant.positions:
        raise Fallback("a configuration's own symbolic graph still depends on its group")
    _tabulate(variant, groups)
    if not _matches(variant, built, at):
        raise Fallback("a configuration's own symbolic graph differs from its build")
    block.excluded.setdefault(g, set()).add(k)
    blocks.append(variant)
