"""Build the ``Graph`` of a checked ``Document``.

Layers are added in order. A layer without ``from`` reads the output of the layer before it in its scope
(the scope's input for the first); ``from`` names ids of the same scope, ``input``, or ``id.N`` for output
N of a multi-output op. A block instance opens a scope named by its id (and ``id.i`` for instance i when
it has ``repeat``), so nodes read ``stage2.0.conv1``; its output is the block's ``output:`` or its last
layer. An instance may read several tensors: inside, ``input.N`` is the N-th and ``inputs`` all of them.
``stage:`` reports the layers under a label; ``when:`` leaves an entry out when false. A ``branches:``
item runs each branch on its input in the scope ``<branch>`` and adds the join node under its own name.

Every error of the library (an op's rule, a shape mismatch) is re-raised at the layer that caused it, with
the node's name; output sizes and the number of layers are held to the limits.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from ..dims import fmt
from ..errors import CostModelError, NodeError
from ..graph import Graph, Tensor
from .arithmetic import ListValue, is_number
from .document import Block, Document
from .entries import Branches, Group, Instance, OpLayer, Reference
from .expressions import ExpressionError, parse_expression
from .limits import MAX_DIMENSION, MAX_NODES, MAX_OUTPUTS, MAX_REPEAT
from .problem import Problem, at, quote
from .values import (
    LIMIT_TEXT,
    LayerNames,
    positive,
    resolve_symbols,
    scalar_value,
    size_value,
    truth_value,
    value_of,
    whole,
)
from .yamltree import Scalar, Sequence, Value


@dataclasses.dataclass
class Scope:
    """The running state of one list of layers: its names, its inputs, what its layers produced."""

    names: dict
    inputs: tuple  # the tensors it reads: the spec's input, or those of a block instance
    produced: dict = dataclasses.field(default_factory=dict)  # id -> Tensor, or tuple for multi-output
    last: tuple | None = None  # (output, entry) of the last layer added


def build_graph(document: Document, values: dict | None) -> Graph:
    symbols = resolve_symbols(document.symbols, values, document.root.key("symbols")
                              if "symbols" in document.root.entries else document.root)
    shape = tuple(positive(size_value(item, symbols, "input size"), item, symbols, "input size")
                  for item in document.input.items)
    batch = 1
    if document.batch is not None:
        batch = positive(size_value(document.batch, symbols, "batch"), document.batch, symbols, "batch")
    try:
        graph = Graph(document.name, shape, batch=batch)
    except CostModelError as error:
        raise at(document.input, str(error)) from None
    builder = _Builder(document, graph, symbols)
    top = Scope(dict(symbols), (graph.input,))
    builder.run(document.entries, top)
    if not len(graph):
        raise at(document.root.key("layers"), "every layer of the spec is left out by its when:, so the network "
                                               "would have no layer")
    last = top.last[0]
    builder.declared.update((tensor.node, tensor.index) for tensor in (last if isinstance(last, tuple) else (last,)))
    builder.check_every_output_is_read()
    return graph


class _Builder:
    def __init__(self, document: Document, graph: Graph, symbols: dict):
        self.blocks = document.blocks
        self.symbols = symbols
        self.graph = graph
        self.prefix: list = []
        self.origins: dict = {}  # node name -> the op layer that made it
        self.declared: set = set()  # (node, index) of the outputs of the network: the last layer's, output: true
        self.stages = 0  # stage: labels in force

    def check_every_output_is_read(self) -> None:
        """Refuse a layer whose output nothing reads (a branch forgotten in a concat's from:) unless it is
        declared an output of the network."""
        read = self.graph.consumers()
        for node in self.graph.nodes:
            for index in range(len(node.outputs)):
                if (node.name, index) in read or (node.name, index) in self.declared:
                    continue
                entry = self.origins[node.name]
                which = f"output {index} of layer" if len(node.outputs) > 1 else "the output of layer"
                raise at(entry.node, f"{which} {quote(node.name)} ({entry.kind}) is never read: take it in a from:, "
                                     f"or mark the layer output: true if it is an output of the network")

    @contextmanager
    def scoped(self, name: str) -> Iterator[None]:
        with self.graph.scope(name):
            self.prefix.append(name)
            try:
                yield
            finally:
                self.prefix.pop()

    def staged(self, stage: Scalar | None, stack: ExitStack) -> None:
        if stage is not None:
            stack.enter_context(self.graph.stage(stage.text))
            self.stages += 1
            stack.callback(self._unstage)

    def _unstage(self) -> None:
        self.stages -= 1

    def run(self, entries: list, scope: Scope) -> None:
        for entry in entries:
            if entry.when is not None:
                names = LayerNames(scope.names, lambda entry=entry: self.inputs(entry, scope), scope.inputs)
                if not truth_value(entry.when, names, "when"):
                    continue
            if not isinstance(entry, Group) and entry.name in scope.produced:
                raise at(entry.node, f"id {quote(entry.name)} is built twice: the when: of its alternatives are "
                                     f"both true here")
            with ExitStack() as stack:
                self.staged(entry.stage, stack)
                if isinstance(entry, Group):
                    self.run(entry.entries, scope)
                elif isinstance(entry, OpLayer):
                    self.add_op(entry, scope)
                elif isinstance(entry, Branches):
                    self.add_branches(entry, scope)
                else:
                    self.instantiate(entry, scope)

    # ----- inputs ---------------------------------------------------------------------------------------------
    def inputs(self, entry: Any, scope: Scope) -> list:
        """The tensors an op layer or block instance reads."""
        if isinstance(entry, Group) or entry.sources is None:
            if scope.last is None:
                if len(scope.inputs) > 1:
                    reader = "this group" if isinstance(entry, Group) else entry.name
                    raise at(entry.node, f"{reader} reads the block's input, which is {len(scope.inputs)} tensors "
                                         f"here: say which with from: {_input_choices(scope)}")
                return list(scope.inputs)
            output, before = scope.last
            if isinstance(output, tuple):
                choices = " or ".join(f"{before.name}.{i}" for i in range(len(output)))
                raise at(entry.node, f"{entry.name} reads the layer before it, {before.name} ({before.kind}), "
                                     f"which has {len(output)} outputs: say which with from: {choices}")
            return [output]
        tensors = []
        for reference in entry.sources:
            if reference.name == "inputs":
                tensors.extend(scope.inputs)
            else:
                tensors.append(self.tensor(reference, scope, entry.name))
        return tensors

    def tensor(self, reference: Reference, scope: Scope, reader: str) -> Tensor:
        if reference.name == "input":
            count = len(scope.inputs)
            if reference.index is None and count > 1:
                raise at(reference.node, f"{reader} reads input, which is {count} tensors here: refer to "
                                         f"{_input_choices(scope)}")
            if reference.index is not None and reference.index >= count:
                which = "one tensor, input (or input.0)" if count == 1 else \
                    f"{count} tensors, input.0 to input.{count - 1}"
                raise at(reference.node, f"{reader} reads input.{reference.index}, but the instance reads {which}")
            return scope.inputs[reference.index or 0]
        if reference.name not in scope.produced:
            raise at(reference.node, f"{reader} reads {quote(reference.name)}, which its when: leaves out here")
        output = scope.produced[reference.name]
        if isinstance(output, tuple):
            if reference.index is None:
                choices = " or ".join(f"{reference.name}.{i}" for i in range(len(output)))
                raise at(reference.node, f"{quote(reference.name)} has {len(output)} outputs: refer to {choices}")
            if reference.index >= len(output):
                raise at(reference.node, f"{quote(reference.name)} has {len(output)} outputs, {reference.name}.0 "
                                         f"to {reference.name}.{len(output) - 1}: there is no "
                                         f"{reference.name}.{reference.index}")
            return output[reference.index]
        if reference.index is not None:
            raise at(reference.node, f"{quote(reference.name)} has a single output: refer to it as "
                                     f"{reference.name}, without .{reference.index}")
        return output

    @staticmethod
    def produce(entry: Any, output: Any, scope: Scope) -> None:
        scope.produced[entry.name] = output
        scope.last = (output, entry)

    # ----- op layers ----------------------------------------------------------------------------------------
    def add_op(self, entry: OpLayer, scope: Scope) -> None:
        names = LayerNames(scope.names, lambda: self.inputs(entry, scope), scope.inputs)
        full = ".".join([*self.prefix, entry.name])
        op_name = entry.op_class.__name__
        arguments = {}
        for field in dataclasses.fields(entry.op_class):
            if field.name in entry.settings:
                kind = entry.op_class.hyper_parameter_kinds[field.name]
                arguments[field.name] = setting(field, kind, entry.settings[field.name][1], names, field.name)
        sections = arguments.get("sections")
        if getattr(entry.op_class, "multiple_outputs", False) and isinstance(sections, int) and sections > MAX_OUTPUTS:
            raise at(entry.settings["sections"][1], f"node {quote(full)} ({op_name}): sections = {sections} would "
                                                    f"make more than {MAX_OUTPUTS} outputs, the limit")
        try:
            op = entry.op_class(**arguments)
        except CostModelError as error:
            where = entry.settings.get(getattr(error, "parameter", None), (None, entry.node))[1]
            raise at(where, str(NodeError(full, op_name, error))) from None
        except (TypeError, ValueError) as error:
            raise at(entry.node, f"node {quote(full)} ({op_name}): {error}") from None
        if entry.op_class.max_inputs == 0:  # a constant: it reads nothing
            if entry.sources:
                raise at(entry.node.get("from"), f"node {quote(full)} ({op_name}) takes no input; leave out from:")
            tensors = []
        else:
            tensors = self.inputs(entry, scope)
        if len(self.graph) >= MAX_NODES:
            raise at(entry.node, f"the spec expands to more than {MAX_NODES} layers, the limit")
        try:
            output = self.graph.add(entry.name, op, *tensors)
        except CostModelError as error:
            raise at(self.culprit(entry, error), str(error)) from None
        node = self.graph.nodes[-1]
        for shape in node.outputs:
            if any(is_number(d) and d > MAX_DIMENSION for d in shape):
                raise at(entry.node, f"node {quote(full)} ({op_name}): output {fmt(shape)} is above the limit of "
                                     f"{LIMIT_TEXT} on sizes")
        self.origins[node.name] = entry
        if _declared_output(entry):
            self.declared.update((node.name, index) for index in range(len(node.outputs)))
        self.produce(entry, output, scope)

    @staticmethod
    def culprit(entry: OpLayer, error: CostModelError) -> Value:
        """Where a library error points: the hyper-parameter it names, ``from`` for inputs, else the layer."""
        parameter = getattr(getattr(error, "cause", None), "parameter", None)
        if parameter in entry.settings:
            return entry.settings[parameter][1]
        if parameter == "inputs" and entry.node.get("from") is not None:
            return entry.node.get("from")
        return entry.node

    # ----- branches ---------------------------------------------------------------------------------------------
    def add_branches(self, entry: Branches, scope: Scope) -> None:
        """Each branch runs on the item's input in a scope named after it (``branch1.conv``); the join node,
        named by the item, reads their outputs in file order. At the top, outside any ``stage:``, the
        branches are reported under the item's name, as a block instance's layers are under its id."""
        (tensor,) = self.inputs(entry, scope)
        outputs = []
        with ExitStack() as stack:
            if not self.prefix and not self.stages:
                stack.enter_context(self.graph.stage(entry.name))
            for branch in entry.branches:
                outputs.append(self.run_branch(entry, branch, tensor, scope))
        if len(self.graph) >= MAX_NODES:
            raise at(entry.node, f"the spec expands to more than {MAX_NODES} layers, the limit")
        try:
            output = self.graph.add(entry.name, entry.op_class(), *outputs)
        except CostModelError as error:
            shapes = ", ".join(f"{branch.name} gives {fmt(tensor.shape)}"
                               for branch, tensor in zip(entry.branches, outputs))
            raise at(entry.node.get("join"), f"{error} ({shapes})") from None
        self.origins[self.graph.nodes[-1].name] = entry
        if _declared_output(entry):
            self.declared.add((output.node, output.index))
        self.produce(entry, output, scope)

    def run_branch(self, entry: Branches, branch: Any, tensor: Tensor, scope: Scope) -> Tensor:
        """The output of one branch: its last layer's, or ``tensor`` for ``input`` (or every layer left out)."""
        if branch.entries is None:
            return tensor
        inner = Scope(scope.names, (tensor,))
        with self.scoped(branch.name):
            self.run(branch.entries, inner)
        if inner.last is None:
            return tensor
        output, last = inner.last
        if isinstance(output, tuple):
            raise at(last.node, f"branch {branch.name} of {quote(entry.name)} ends with {last.name} ({last.kind}), "
                                f"which has {len(output)} outputs; a branch's output is its last layer's")
        return output

    # ----- block instances ----------------------------------------------------------------------------------
    def instantiate(self, entry: Instance, scope: Scope) -> None:
        block = self.blocks[entry.block]
        tensors = tuple(self.inputs(entry, scope))
        count = 1
        if entry.repeat is not None:
            count = size_value(entry.repeat, scope.names, "repeat")
            if not isinstance(count, int):
                raise at(entry.repeat, f"repeat must be a number, but {quote(entry.repeat.text)} depends on "
                                       f"symbols without values")
            if not 1 <= count <= MAX_REPEAT:
                raise at(entry.repeat, f"repeat must be from 1 to {MAX_REPEAT}, got {count}")
            if len(tensors) > 1:
                raise at(entry.node.get("from"), f"an instance with repeat reads one tensor (each instance reads the "
                                                 f"one before), got {len(tensors)} in from:")
        for index, (key, _) in entry.overrides.items():
            if index >= count:
                raise at(key, f"overrides: there is no instance {index}; repeat is {count} (instances 0 to "
                              f"{count - 1})")
        with self.scoped(entry.name):
            before = len(self.graph)
            for index in range(count):
                if index == 1:
                    each = len(self.graph) - before
                    if len(self.graph) + each * (count - 1) > MAX_NODES:
                        raise at(entry.repeat, f"repeat {count} of block {block.name} ({each} layers each) would "
                                               f"make more than {MAX_NODES} layers, the limit")
                with ExitStack() as stack:
                    if entry.repeat is not None:
                        stack.enter_context(self.scoped(str(index)))
                    try:
                        x = self.run_block(block, entry, index, tensors, scope)
                        tensors = (x,)
                    except Problem as problem:
                        where = ".".join(self.prefix)
                        if f"'{where}." not in problem.message and not problem.placed:
                            problem.message += f" (in {where}, an instance of block {block.name})"
                        problem.placed = True
                        raise
        if _declared_output(entry):
            self.declared.add((x.node, x.index))
        self.produce(entry, x, scope)

    def run_block(self, block: Block, entry: Instance, index: int, inputs: tuple, caller: Scope) -> Tensor:
        caller_names = LayerNames(caller.names, lambda: list(inputs), caller.inputs)
        names = dict(self.symbols)  # a block sees the symbols and its own parameters
        overrides = entry.overrides.get(index, (None, {}))[1]
        for parameter in block.parameters:
            given = overrides.get(parameter.name) or entry.args.get(parameter.name)
            if given is not None:
                value = value_of(given[1], caller_names, f"argument {parameter.name}")
            elif parameter.default is not None:
                value = value_of(parameter.default, LayerNames(names, lambda: list(inputs), inputs),
                                     f"parameter {parameter.name} of block {block.name}")
            else:
                which = f" (instance {index})" if entry.repeat is not None else ""
                raise at(entry.node, f"block {block.name} needs argument {parameter.name}{which}; give it in args:")
            names[parameter.name] = value
        inner = Scope(names, inputs)
        self.run(block.entries, inner)
        if block.output is not None:
            output = self.tensor(block.output, inner, f"output of block {block.name}")
        elif inner.last is not None:
            output = inner.last[0]
            if isinstance(output, tuple):
                raise at(block.node, f"block {block.name} ends with {inner.last[1].name}, which has {len(output)} "
                                     f"outputs; name one with output:")
        elif len(inputs) == 1:
            output = inputs[0]
        else:
            raise at(entry.node, f"every layer of block {block.name} is left out by its when: here, and the "
                                 f"instance reads {len(inputs)} tensors: it has no one output")
        return output


def _input_choices(scope: Scope) -> str:
    return " or ".join(f"input.{i}" for i in range(len(scope.inputs))) + ", or inputs for all of them"


def setting(field: dataclasses.Field, kind: str, node: Value, names: LayerNames, what: str) -> Any:
    """A hyper-parameter's value for the op, by the kind its type annotation gives it
    (``Op.hyper_parameter_kinds``): a ``flag`` (bool) takes true/false (or an expression worth 1 or 0), a
    ``text`` (str) takes text as written, a ``number`` (float, such as ``negative_slope``) takes any number; a
    ``size`` is a whole number, an expression, a list of them, or null where the field's default is null."""
    if kind == "flag":
        if isinstance(node, Scalar) and isinstance(node.value, bool):
            return node.value
        if not isinstance(node, Scalar) or not _is_expression(node):
            raise at(node, f"{what} must be true or false, got {node.describe()}")
        value = scalar_value(node, names, what)
        if value not in (0, 1):
            raise at(node, f"{what} must be true or false (1 or 0), but {quote(node.text)} = {value}")
        return bool(value)
    if kind == "text":
        if not (isinstance(node, Scalar) and isinstance(node.value, str)):
            raise at(node, f"{what} must be text, got {node.describe()}")
        return node.value
    if kind == "number":
        value = scalar_value(node, names, what)
        if not is_number(value):
            raise at(node, f"{what} must be a number, got {value}")
        return float(value)
    if isinstance(node, Scalar) and node.value is None:
        if field.default is not None:
            raise at(node, f"{what} must be a number, an expression or a list of them, got null")
        return None
    if isinstance(node, Sequence):
        if not all(isinstance(item, Scalar) for item in node.items):
            raise at(node, f"{what} must be a list of numbers or expressions")
        return tuple(size_value(item, names, what) for item in node.items)
    if not isinstance(node, Scalar):
        raise at(node, f"{what} must be a number, an expression or a list of them, got {node.describe()}")
    value = scalar_value(node, names, what)
    if isinstance(value, ListValue):  # a list-valued parameter or item: kernel: k with k = [1, 7]
        return tuple(whole(item, node, names, what) for item in value)
    return whole(value, node, names, what)



def _declared_output(entry: Any) -> bool:
    """Whether the layer says ``output: true``: its output is an output of the network, read or not."""
    declared = entry.node.get("output")
    return isinstance(declared, Scalar) and declared.value is True


def _is_expression(node: Scalar) -> bool:
    """Whether a scalar reads as a number or an expression."""
    if not isinstance(node.value, str):
        return node.value is not None
    try:
        parse_expression(node.value)
    except ExpressionError:
        return False
    return True
