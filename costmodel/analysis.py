"""analyze(graph) -> per-node costs and totals, exact ints for numeric graphs, sympy when symbolic.

Per node, with N the batch:

* ``flops``  = N * the op's count under the convention (``paper``: multiply-adds of convolutions and fully
  connected layers; ``all``: every op's; a tool's name: what that tool counts, from its rule table in
  ``costmodel.conventions``; ``torch`` counts 2 per multiply-add, ``ptflops`` per image whatever N)
* ``params`` = the op's learnable parameters (never scaled by N)
* ``mac``    = N * (elements read + elements written) + params, or 0 for a node fused away; a tensor
  that reaches a node twice (``x + x``) is read once
* ``activations`` = N * elements of the node's outputs
* ``intensity`` = flops / mac (multiply-adds per element moved)

N is 1 instead for a node the same for every sample: a ``Constant``, and a node all of whose inputs are such
(a computation on constants runs once per batch). A per-sample node that reads such a tensor reads it once:
its ``mac`` is N * (elements moved less that tensor's) + that tensor's + params.

Fusion switches change ``mac`` only: ``bn`` folds a BatchNorm into the convolution before it, ``activation``
an activation into the convolution, fully connected layer, addition or folded BatchNorm before it (as
inference engines fuse conv-BN-ReLU, FC-ReLU and add-ReLU), ``shuffle`` merges concat + channel
shuffle + split into the one data movement of the concat (ShuffleNet V2, section 3). A node is folded only
when it is the sole reader of its producer's output. Which op folds into which is what the ops say of
themselves: their ``fusion_role`` and what they ``absorb`` (``costmodel.ops.base``).
"""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field, fields
from typing import Any, Iterable, Mapping

from .dims import exact_ratio
from .errors import CostModelError, NodeError, UsageError
from .progress import stage
from .values import is_expression, is_symbolic, show, suggest


class LayerNotFound(UsageError, KeyError):
    """``Analysis.layer`` of a name the graph does not hold (a KeyError too, as a mapping's would be)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])
from .graph import Graph, Node
from .ops.base import Op, ReceptiveField, numel

from .conventions import CONVENTIONS, REGISTRY

#: How an Analysis shows itself, filled in by ``costmodel.report`` (a floor above, which may import this
#: one and not the reverse): ``"table"`` -> its layer Table, ``"html"`` -> that table as HTML.
DISPLAYS: dict[str, Any] = {}
FUSIONS = ("bn", "activation", "shuffle")
FOLDED_ROLES = {"bn": ("normalisation",), "activation": ("activation",),  # fusion switch -> the op roles it folds
                "shuffle": ("channel shuffle", "channel split")}


@dataclass(frozen=True)
class Cost:
    """A cost record that adds up; fields are ints or sympy expressions."""

    flops: Any = 0
    params: Any = 0
    mac: Any = 0
    activations: Any = 0

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(self.flops + other.flops, self.params + other.params, self.mac + other.mac,
                    self.activations + other.activations)

    @property
    def intensity(self) -> Any:
        """flops / mac, exact (a Fraction for numbers); 0 when nothing is moved or nothing is computed
        (``0 / mac`` in sympy asks whether a closed form with floors can vanish: slow, and never needed)."""
        if any(isinstance(value, int) and value == 0 for value in (self.flops, self.mac)):
            return 0
        return exact_ratio(self.flops, self.mac)

    def mac_bytes(self, bytes_per_element: int = 4) -> Any:
        return self.mac * bytes_per_element

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def subs(self, values: Mapping[Any, Any]) -> "Cost":
        return Cost(*(substitute(getattr(self, f.name), values) for f in fields(self)))

    @property
    def is_symbolic(self) -> bool:
        return any(is_symbolic(v) for v in self.as_dict().values())

    def _repr_latex_(self) -> str | None:
        """Jupyter: a symbolic cost as typeset formulas (``sympy.latex``); numbers are left to the plain repr."""
        if not self.is_symbolic:
            return None
        import sympy

        lines = [rf"\mathrm{{{f.name}}} &= {sympy.latex(getattr(self, f.name))}" for f in fields(self)]
        return r"$\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}$"


class ReceptiveFields:
    """The receptive field of every node of a graph, computed on first use (closed forms of fields are
    ``Max`` expressions that sympy is slow to build, and most analyses never look at them)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._fields: dict[str, ReceptiveField] | None = None

    def __getitem__(self, name: str) -> ReceptiveField:
        if self._fields is None:
            self._fields = receptive_fields(self.graph)
        return self._fields[name]


def receptive_fields(graph: Graph) -> dict[str, ReceptiveField]:
    """Node name -> the receptive field of its output on the graph input (branches merged where they join)."""
    fields: dict[str, ReceptiveField] = {name: ReceptiveField.unit() for name in graph.inputs}
    for node in graph.nodes:
        try:
            seen = fields[node.inputs[0].node] if node.inputs else ReceptiveField.unit()
            for tensor in node.inputs[1:]:
                seen = seen.merge(fields[tensor.node])
            fields[node.name] = node.op.receptive_field(seen, node.input_shapes)
        except CostModelError as error:
            raise NodeError(node.name, node.op.op_name, error) from error
    return fields


@dataclass(frozen=True)
class LayerCost:
    """One node's costs, with its receptive field, whether fusion removed its mac, and whether it is counted
    once per batch (a constant, or computed from constants alone). ``receptive`` is the field itself or the
    graph's ``ReceptiveFields``, which compute it when ``field`` is read."""

    node: Node
    cost: Cost
    receptive: Any = dataclass_field(default=None, repr=False, compare=False)
    fused: bool = False
    per_batch: bool = False

    @property
    def field(self) -> ReceptiveField:
        if isinstance(self.receptive, ReceptiveFields):
            return self.receptive[self.node.name]
        return self.receptive

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def op(self) -> Op:
        return self.node.op

    @property
    def stage(self) -> str:
        return self.node.stage

    def __getattr__(self, item: str) -> Any:  # flops, params, mac, activations, intensity
        if item in ("flops", "params", "mac", "activations", "intensity"):
            return getattr(self.cost, item)
        raise AttributeError(item)


@dataclass(frozen=True)
class Analysis:
    """The result of ``analyze``: ``layers`` in graph order and their ``totals``."""

    graph: Graph
    convention: str
    fuse: frozenset
    layers: tuple[LayerCost, ...]
    totals: Cost

    def _repr_html_(self) -> str | None:
        """Jupyter: the layer table as HTML, every name escaped (``costmodel.render``)."""
        show_html = DISPLAYS.get("html")
        return show_html(self) if show_html else None

    def to_pandas(self):
        """The layer table as a ``pandas.DataFrame`` (pandas is optional: ``pip install pandas``)."""
        return DISPLAYS["table"](self).to_pandas()

    def layer(self, name: str) -> LayerCost:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise LayerNotFound(f"analysis of '{self.graph.name}' has no layer {show(name, limit=80)}"
                            f"{suggest(name, [layer.name for layer in self.layers])}")

    def group_by(self, key: str = "stage") -> dict[str, Cost]:
        """Totals per ``stage``, per op ``kind`` or per op ``category``, in order of first appearance."""
        keyers = {"stage": lambda l: l.stage, "kind": lambda l: l.op.kind, "category": lambda l: l.op.category}
        if key not in keyers:
            raise UsageError(f"group_by takes one of {', '.join(keyers)}, got {key!r}")
        groups: dict[str, Cost] = {}
        for layer in self.layers:
            k = keyers[key](layer)
            groups[k] = groups.get(k, Cost()) + layer.cost
        return groups

    def subs(self, values: Mapping[Any, Any]) -> "Analysis":
        """Substitute values for symbols (by name or Symbol) in every cost."""
        layers = tuple(LayerCost(l.node, l.cost.subs(values), l.receptive, l.fused, l.per_batch)
                       for l in self.layers)
        return Analysis(self.graph, self.convention, self.fuse, layers, self.totals.subs(values))


def substitute(value: Any, values: Mapping[Any, Any]) -> Any:
    """``value`` with symbols replaced; sympy integers come back as Python ints."""
    if not is_expression(value) or not value.free_symbols:
        return value
    by_name = {str(s): s for s in value.free_symbols}
    mapping = {by_name.get(str(k), k): v for k, v in values.items() if str(k) in by_name}
    result = value.subs(mapping)
    if getattr(result, "is_Integer", False):
        return int(result)
    return result


def analyze(graph: Graph, convention: str = "paper", fuse: Iterable[str] = ()) -> Analysis:
    """Cost every node of ``graph`` under ``convention`` (``paper``, ``all`` or a tool's name: ``ptflops``,
    ``ptflops-aten``, ``fvcore``, ``thop``, ``torchinfo``, ``torch``) with the given fusions."""
    costs, fuse, fused = _node_costs(graph, convention, fuse)
    fields = ReceptiveFields(graph)
    once = per_batch_nodes(graph)
    layers = tuple(LayerCost(node, cost, fields, node.name in fused, node.name in once)
                   for node, cost in zip(graph.nodes, costs))
    return Analysis(graph, convention, fuse, layers, add_costs(costs))


def totals(graph: Graph, convention: str = "paper", fuse: Iterable[str] = ()) -> Cost:
    """``analyze(graph, convention, fuse).totals``, without keeping the layers (what a sweep needs)."""
    return add_costs(_node_costs(graph, convention, fuse)[0])


def _node_costs(graph: Graph, convention: Any, fuse: Any) -> tuple[list, frozenset, set]:
    """(each node's cost, the fusions, the names of the fused nodes), the arguments checked first."""
    fuse = _checked(graph, convention, fuse)
    fused = fused_nodes(graph, fuse)
    rules = REGISTRY[convention]
    calls = _torch_calls(graph) if rules.tool else {}
    once = per_batch_nodes(graph)
    with stage("analysing", len(graph.nodes)) as step:
        costs = []
        for node in graph.nodes:
            costs.append(node_cost(node, convention, graph.batch, node.name in fused, calls.get(node.name, "module"),
                                   once))
            step()
    if graph.relaxed:  # built without rounding rules: drop what is left of them (costmodel.dims.relaxed)
        from .symbolic import drop_rounding

        costs = [Cost(*(drop_rounding(v) for v in c.as_dict().values())) if c.is_symbolic else c for c in costs]
    return costs, fuse, fused


def per_batch_nodes(graph: Graph) -> frozenset:
    """Names of the nodes the same for every sample: constants (ops not ``per_sample``) and the nodes all of
    whose inputs are such; the analysis counts them once per batch."""
    once: set[str] = set()
    for node in graph.nodes:
        if not node.op.per_sample or (node.inputs and all(t.node in once for t in node.inputs)):
            once.add(node.name)
    return frozenset(once)


def node_cost(node: Node, convention: str, batch: Any = 1, fused: bool = False, call: str = "module",
              per_batch: frozenset = frozenset()) -> Cost:
    """One node's costs (see the module doc): its op's rules on its shapes under ``convention``, scaled by
    the ``batch`` unless the node is among the graph's ``per_batch`` nodes (``per_batch_nodes``); the
    constants it reads are read once. ``call`` is how a tool's convention sees the node
    (``costmodel.conventions``)."""
    op, inputs = node.op, node.input_shapes
    rules = REGISTRY[convention]
    once = node.name in per_batch
    scale = 1 if once else batch
    try:
        params = op.params(inputs)
        flops = (1 if rules.per_image or once else batch) * rules.count(op, inputs, node.outputs, call)
        moved = op.elements_read(inputs, node.outputs) + op.elements_written(inputs, node.outputs)
        if len(set(node.inputs)) < len(node.inputs):  # a tensor fed twice is read once
            moved -= sum((numel(t.shape) for t in _repeats(node.inputs)), 0)
        read_once = sum((numel(t.shape) for t in set(node.inputs) if t.node in per_batch), 0) \
            if per_batch and not once else 0
        activations = scale * sum((numel(s) for s in node.outputs), 0)
    except CostModelError as error:
        raise NodeError(node.name, op.op_name, error) from error
    return Cost(flops, params, 0 if fused else scale * (moved - read_once) + read_once + params, activations)


def add_costs(costs: list) -> Cost:
    """The sum of ``costs``; symbolic fields are added in one sympy ``Add`` (adding them one by one costs
    time quadratic in the number of terms)."""
    return Cost(*(_total([getattr(c, f.name) for c in costs]) for f in fields(Cost)))


def _total(values: list) -> Any:
    symbolic = [v for v in values if is_expression(v)]
    if not symbolic:
        return sum(values, 0)
    import sympy  # a symbolic value was made by a caller who imported sympy already

    total = sympy.Add(*symbolic, sum((v for v in values if not is_expression(v)), 0))
    return int(total) if total.is_Integer else total


def fused_nodes(graph: Graph, fuse: frozenset) -> set[str]:
    """Names of the nodes the fusion switches fold into their producers (their mac is 0)."""
    if not fuse:
        return set()
    readers = graph.consumers()
    nodes_by_name: dict[str, Node] = {}
    fused: set[str] = set()
    for node in graph.nodes:
        if _is_fused(node, fuse, readers, nodes_by_name, fused):
            fused.add(node.name)
        nodes_by_name[node.name] = node
    return fused


def _checked(graph: Any, convention: Any, fuse: Any) -> frozenset:
    """The fusions as a frozenset, once graph, convention and fuse are checked."""
    if not isinstance(graph, Graph):
        raise UsageError(f"analyze graph must be a Graph (costmodel.Graph, a zoo build or a loaded spec), got "
                         f"{show(graph, limit=60)}")
    return check_convention(convention, fuse)


def check_convention(convention: Any, fuse: Any = ()) -> frozenset:
    """The fusions as a frozenset, once ``convention`` and ``fuse`` are checked (one UsageError each)."""
    if not isinstance(convention, str) or convention not in CONVENTIONS:
        raise UsageError(f"convention must be one of {', '.join(CONVENTIONS)}, got {show(convention, limit=60)}"
                         f"{suggest(convention, CONVENTIONS) if isinstance(convention, str) else ''}")
    if isinstance(fuse, str) or not isinstance(fuse, (list, tuple, set, frozenset)):
        raise UsageError(f"fuse must be a list of fusions among {', '.join(FUSIONS)}, got {show(fuse, limit=60)}")
    if not all(isinstance(f, str) for f in fuse):
        raise UsageError(f"fuse must be a list of fusions among {', '.join(FUSIONS)}, got {show(list(fuse), limit=60)}")
    fuse = frozenset(fuse)
    unknown = sorted(fuse - set(FUSIONS))
    if unknown:
        raise UsageError(f"fusion must be among {', '.join(FUSIONS)}, got {', '.join(unknown)}")
    return fuse


def _torch_calls(graph: Graph) -> dict[str, str]:
    from .conventions.torchvision import calls
    return calls(graph)


def _repeats(tensors) -> list:
    """Each tensor as often as it occurs beyond its first time."""
    seen, repeated = set(), []
    for tensor in tensors:
        if tensor in seen:
            repeated.append(tensor)
        seen.add(tensor)
    return repeated


def _is_fused(node: Node, fuse: frozenset, readers: dict, nodes: dict[str, Node], fused: set[str]) -> bool:
    """Whether ``node`` folds into its producer under the fusion switches (see the module docstring).

    It does when a switch folds the node's ``fusion_role``, the producer ``absorbs`` that role and is the
    node's sole input, the node its sole reader, and the producer is not itself foldable or was folded
    (conv-BN-ReLU: the ReLU folds into the BatchNorm only once that folded into the convolution).
    """
    role = node.op.fusion_role
    if not role or not any(role in FOLDED_ROLES[switch] for switch in fuse) or len(node.inputs) != 1:
        return False
    source = node.inputs[0]
    producer = nodes.get(source.node)
    if producer is None or readers.get((source.node, source.index), 0) != 1:
        return False
    if role not in producer.op.absorbs:
        return False
    return not producer.op.fusion_role or producer.name in fused
