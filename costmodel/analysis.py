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

Fusion switches change ``mac`` only: ``bn`` folds a BatchNorm into the convolution before it, ``activation``
an activation into the convolution, fully connected layer, addition or folded BatchNorm before it (as
inference engines fuse conv-BN-ReLU, FC-ReLU and add-ReLU), ``shuffle`` merges concat + channel
shuffle + split into the one data movement of the concat (ShuffleNet V2, section 3). A node is folded only
when it is the sole reader of its producer's output. Which op folds into which is what the ops say of
themselves: their ``fusion_role`` and what they ``absorb`` (``costmodel.ops.base``).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Iterable, Mapping

from .dims import exact_ratio
from .errors import CostModelError, NodeError, UsageError
from .values import show, suggest


class LayerNotFound(UsageError, KeyError):
    """``Analysis.layer`` of a name the graph does not hold (a KeyError too, as a mapping's would be)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])
from .graph import Graph, Node
from .ops.base import Op, ReceptiveField, numel

from .conventions import CONVENTIONS, REGISTRY
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
        """flops / mac, exact (a Fraction for numbers); 0 when nothing is moved."""
        if isinstance(self.mac, int) and self.mac == 0:
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
        return any(hasattr(v, "free_symbols") and v.free_symbols for v in self.as_dict().values())


@dataclass(frozen=True)
class LayerCost:
    """One node's costs, with its receptive field and whether fusion removed its mac."""

    node: Node
    cost: Cost
    field: ReceptiveField
    fused: bool = False

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
        layers = tuple(LayerCost(l.node, l.cost.subs(values), l.field, l.fused) for l in self.layers)
        return Analysis(self.graph, self.convention, self.fuse, layers, self.totals.subs(values))


def substitute(value: Any, values: Mapping[Any, Any]) -> Any:
    """``value`` with symbols replaced; sympy integers come back as Python ints."""
    if not hasattr(value, "free_symbols") or not value.free_symbols:
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
    if not isinstance(graph, Graph):
        raise UsageError(f"analyze graph must be a Graph (costmodel.Graph, a zoo build or a loaded spec), got "
                         f"{show(graph, limit=60)}")
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
    rules = REGISTRY[convention]
    calls = _torch_calls(graph) if rules.tool else {}
    batch = graph.batch
    counted_batch = 1 if rules.per_image else batch
    readers = graph.consumers() if fuse else {}
    fields_by_node: dict[str, ReceptiveField] = {name: ReceptiveField.unit() for name in graph.inputs}
    nodes_by_name: dict[str, Node] = {}
    fused_nodes: set[str] = set()
    layers = []
    for node in graph.nodes:
        op = node.op
        inputs = node.input_shapes
        try:
            params = op.params(inputs)
            flops = counted_batch * rules.count(op, inputs, node.outputs, calls.get(node.name, "module"))
            moved = op.elements_read(inputs, node.outputs) + op.elements_written(inputs, node.outputs)
            if len(set(node.inputs)) < len(node.inputs):  # a tensor fed twice is read once
                moved -= sum((numel(t.shape) for t in _repeats(node.inputs)), 0)
            activations = batch * sum((numel(s) for s in node.outputs), 0)
            field = fields_by_node[node.inputs[0].node] if node.inputs else ReceptiveField.unit()
            for tensor in node.inputs[1:]:
                field = field.merge(fields_by_node[tensor.node])
            field = op.receptive_field(field, inputs)
        except CostModelError as error:
            raise NodeError(node.name, op.op_name, error) from error
        fused = bool(fuse) and _is_fused(node, fuse, readers, nodes_by_name, fused_nodes)
        if fused:
            fused_nodes.add(node.name)
        mac = 0 if fused else batch * moved + params
        cost = Cost(flops, params, mac, activations)
        layers.append(LayerCost(node, cost, field, fused))
        fields_by_node[node.name] = field
        nodes_by_name[node.name] = node
    totals = sum((layer.cost for layer in layers), Cost())
    return Analysis(graph, convention, fuse, tuple(layers), totals)


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
