"""The graph IR: named nodes on NCHW tensors, built in order (so the node list is topologically sorted).

    g = Graph("block", input_shape=(c1, h, w))
    with g.scope("stage2"), g.scope("0"):
        y = g.add("conv1", Conv2d(c2, kernel=1), g.input)      # node 'stage2.0.conv1'
    left, right = g.add("split", Split(2), y)                   # multi-output ops return a tuple

Shapes are inferred when a node is added; a violated rule raises ``NodeError`` naming the node.
Dimensions are ints or sympy expressions; the batch is the graph's and never part of a shape.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from . import limits
from .dims import Shape, TooLarge, as_dim, fmt, is_relaxed, surely_below
from .errors import CostModelError, GraphError, NodeError
from .ops.base import Op
from .progress import count
from .values import show

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class Tensor:
    """One output of a node (or a graph input): who made it, which output, and its per-sample shape."""

    node: str
    index: int
    shape: Shape
    graph_id: int = field(compare=False, repr=False, default=0)

    @property
    def channels(self):
        return self.shape[0]


@dataclass(frozen=True)
class Node:
    """A node: full dotted name, op, input tensors, output shapes, and the stage it is reported under."""

    name: str
    op: Op
    inputs: tuple[Tensor, ...]
    outputs: tuple[Shape, ...]
    stage: str

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return tuple(t.shape for t in self.inputs)

    @property
    def block(self) -> str:
        """The scope the node was built in (``stage2.0`` for ``stage2.0.conv1``)."""
        return self.name.rpartition(".")[0]


class Graph:
    """A network under construction and, once built, under analysis.

    ``input_shape`` is ``(C, H, W)`` (or any per-sample shape); ``batch`` is N, an int or a symbol.
    """

    def __init__(self, name: str, input_shape: Shape, *, batch: Any = 1, input_name: str = "input"):
        if not isinstance(name, str):
            raise GraphError(f"Graph name must be text, got {show(name, limit=60)}")
        self.name = name
        self.relaxed = is_relaxed()  # built without rounding rules (costmodel.dims.relaxed)
        try:
            self.batch = as_dim(batch, "batch")
            shape = self._shape(input_shape)
        except TypeError as error:
            raise GraphError(f"graph '{name}': {error}") from error
        for d in (self.batch, *shape):
            if surely_below(d, 1):
                raise GraphError(f"graph '{name}': sizes must be positive, got input {fmt(shape)} batch "
                                 f"{fmt(self.batch)}")
        self.nodes: list[Node] = []
        self._names: dict[str, Node] = {}
        self._scopes: list[str] = []
        self._stages: list[str] = []
        self.inputs: dict[str, Tensor] = {}
        self.add_input(input_name, shape)

    # ----- building -----------------------------------------------------------------------------------------
    @property
    def input(self) -> Tensor:
        """The first graph input."""
        return next(iter(self.inputs.values()))

    def add_input(self, name: str, shape: Shape) -> Tensor:
        self._check_name(name)
        if name in self.inputs or name in self._names:
            raise GraphError(f"graph '{self.name}': input name '{name}' is used twice")
        try:
            shape = self._shape(shape)
        except TypeError as error:
            raise GraphError(f"graph '{self.name}': input '{name}': {error}") from None
        if any(surely_below(d, 1) for d in shape):
            raise GraphError(f"graph '{self.name}': input '{name}': sizes must be positive, got {fmt(shape)}")
        tensor = Tensor(name, 0, shape, id(self))
        self.inputs[name] = tensor
        return tensor

    @contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Prefix the names of nodes added inside with ``name.``; the outermost scope is the stage."""
        self._check_name(str(name))
        self._scopes.append(str(name))
        try:
            yield
        finally:
            self._scopes.pop()

    @contextmanager
    def stage(self, label: str) -> Iterator[None]:
        """Report nodes added inside under stage ``label`` without prefixing their names."""
        self._stages.append(label)
        try:
            yield
        finally:
            self._stages.pop()

    def add(self, name: str | None, op: Op, *inputs: Tensor) -> Any:
        """Add a node; return its output tensor (a tuple of them for multi-output ops such as Split)."""
        if not isinstance(op, Op):
            raise GraphError(f"graph '{self.name}': add() takes an op such as Conv2d(...), got "
                             f"{show(op, limit=60)}")
        if len(self.nodes) >= limits.MAX_NODES:
            raise GraphError(f"graph '{self.name}': more than {limits.MAX_NODES} nodes (the limit MAX_NODES)")
        if name is None:
            name = f"{op.kind}{len(self.nodes)}"
        if name not in _GOOD_NAMES:
            self._check_name(name)
        full = ".".join([*self._scopes, name]) if self._scopes else name
        if full in self._names or full in self.inputs:
            raise GraphError(f"graph '{self.name}': node name '{full}' is used twice")
        graph_id = id(self)
        for tensor in inputs:
            if type(tensor) is not Tensor or tensor.graph_id != graph_id:
                raise GraphError(f"node '{full}' ({op.op_name}): input {tensor!r} is not a tensor of graph "
                                 f"'{self.name}'")
        try:
            op.check_arity(len(inputs))
            outputs = tuple(shape if _plain(shape) else self._checked_output(op, shape, inputs)
                            for shape in op.output_shapes(tuple(t.shape for t in inputs)))
        except CostModelError as error:
            raise NodeError(full, op.op_name, error) from error
        stage = self._stages[-1] if self._stages else (self._scopes[0] if self._scopes else name)
        node = Node(full, op, inputs, outputs, stage)
        self.nodes.append(node)
        self._names[full] = node
        count("building")
        if not op.multiple_outputs:
            return Tensor(full, 0, outputs[0], graph_id)
        return tuple(Tensor(full, i, s, graph_id) for i, s in enumerate(outputs))

    def _checked_output(self, op: Op, shape: Shape, inputs: tuple) -> Shape:
        """An output shape of sizes (ints or symbols) within the limit, none surely empty."""
        shape = self._output_shape(op, shape)
        if any(surely_below(d, 1) for d in shape):
            raise op.fail("output", f"would be empty: {fmt(shape)} from input "
                                    + " and ".join(fmt(t.shape) for t in inputs))
        return shape

    def node(self, name: str) -> Node:
        try:
            return self._names[name]
        except KeyError:
            raise GraphError(f"graph '{self.name}' has no node '{name}'") from None

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def consumers(self) -> dict[tuple[str, int], int]:
        """How many node inputs read each tensor ``(node, index)``."""
        counts: dict[tuple[str, int], int] = {}
        for node in self.nodes:
            for tensor in node.inputs:
                key = (tensor.node, tensor.index)
                counts[key] = counts.get(key, 0) + 1
        return counts

    @staticmethod
    def _output_shape(op: Op, shape: Shape) -> Shape:
        try:
            return tuple(as_dim(d, "output size") for d in shape)
        except TooLarge:
            raise op.fail("output", f"{fmt(tuple(shape))} is above the limit of 2**31 on sizes") from None

    @staticmethod
    def _shape(shape: Any) -> Shape:
        """A shape given as a tuple or list of sizes, each checked by ``as_dim``."""
        if not isinstance(shape, (tuple, list)):
            raise TypeError(f"a shape must be a tuple of sizes such as (3, 224, 224), got {show(shape, limit=60)}")
        return tuple(as_dim(d, "input shape") for d in shape)

    def _check_name(self, name: str) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise GraphError(f"graph '{self.name}': names are letters, digits, '_' and '-', got "
                             f"{show(name, limit=60)}")
        if len(_GOOD_NAMES) < 10_000:
            _GOOD_NAMES.add(name)


_GOOD_NAMES: set[str] = set()  # names that passed the check (builders use the same few over and over)


def _plain(shape: Any) -> bool:
    """A tuple of whole sizes from 1 to the limit: an output shape that needs no further check."""
    return type(shape) is tuple and all(type(d) is int and 1 <= d <= limits.MAX_DIMENSION for d in shape)
