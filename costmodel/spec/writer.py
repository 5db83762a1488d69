"""Any ``Graph`` -> the text of a spec that ``load_spec`` reads back
into the same graph: the same node names, ops, stages, shapes, and so the same table.

    from costmodel.spec import write_spec
    text = write_spec(graph)            # YAML, one line per layer, shapes in comments

Layout: one line per layer, its input and output shapes in a comment; the graph's scopes become blocks. A
scope (``features.3`` of ``features.3.conv.0``) is written as a block instance when a spec block can carry
it: its nodes are consecutive, none of them is named like the scope itself, no part of its name is
``input`` or ``inputs``, and at most one of its tensors is read outside it (its output). It may read any
number of tensors from outside: the instance's ``from:`` lists them, and inside the block they are
``input`` (one), or ``input.0``, ``input.1``, ... and ``inputs`` for all of them in order (DenseNet's dense
layers). A scope that cannot be carried is flattened into the nearest scope that can: its nodes keep their
place, and their ids join the rest of the dotted name with ``_`` (``layer1.0.conv1`` -> id ``0_conv1`` in
the block of ``layer1``), with ``(was ...)`` in the comment. Scopes whose layer lines are the same
(comments aside) share one block, named after the first of them; its comments show that one's shapes.

Values and names are spelt by ``costmodel.spec.spelling``: exactly, and never as YAML syntax.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

from ..errors import GraphError
from ..graph import Graph, Node
from ..ops import OPS
from .entries import INPUT_WORDS
from .spelling import PLAIN, YAML_WORDS, expression, inputs_text, quoted, quoted_expression, shape_text, value_text


def write_spec(graph: Graph) -> str:
    """The spec text of ``graph``: ``load_spec(write_spec(graph))`` has the same nodes (names, ops, inputs,
    output shapes, stages), hence the same flops, params and mac per layer and in total.

    Raises ``GraphError`` for what a spec cannot hold (several graph inputs, a symbol
    name the spec reader refuses, a stage or graph name that is not one line of printable text, an op value
    with no spec spelling), naming the node and the value.
    """
    return _Writer(graph).text()


# ----- the graph's scopes -----------------------------------------------------------------------------------
@dataclasses.dataclass
class _Scope:
    path: tuple  # the scope's dotted name, split
    indices: list  # positions of its nodes in graph.nodes
    inputs: tuple = ()  # the tensors (node, index) it reads from outside, in the order its layers first read them
    output: tuple | None = None  # the one tensor of it read outside (None: nothing is)


@dataclasses.dataclass
class _Block:
    """A block of the spec: its layer lines (code, comment), its ``output:``, the scopes that run it."""

    name: str
    first: str  # the first scope written as an instance of it, whose shapes the comments show
    lines: list
    output: str | None
    order: int
    instances: int = 1

    def text(self) -> list:
        head = f"  {self.name}:"
        if self.instances > 1:
            head += f"  # {self.instances} instances; the shapes are those of {self.first}"
        return [head, *([f"    output: {self.output}"] if self.output else []), "    layers:",
                *_commented(self.lines)]


def _commented(lines: list) -> list:
    return [f"{code}  # {comment}" for code, comment in lines]


class _Writer:
    def __init__(self, graph: Graph):
        if len(graph.inputs) != 1:
            raise GraphError(f"graph '{graph.name}' has {len(graph.inputs)} inputs ({', '.join(graph.inputs)}); a "
                             f"spec has one input")
        self.graph = graph
        self.input_key = (graph.input.node, graph.input.index)
        self.nodes = graph.nodes
        self.position = {node.name: i for i, node in enumerate(self.nodes)}
        self.read = graph.consumers()
        self.symbols: dict = {}
        self.blocks: dict = {}  # (layer lines without comments, output, inherited stage) -> _Block
        self._entered = 0
        self.block_names: set = set()
        self.kept = self._carried_scopes()

    # which scopes become block instances
    def _carried_scopes(self) -> dict:
        members: dict = {}
        for i, node in enumerate(self.nodes):
            parts = tuple(node.name.split("."))
            for depth in range(1, len(parts)):
                members.setdefault(parts[:depth], []).append(i)
        names = set(self.position)
        kept: dict = {}
        for path in sorted(members, key=len):
            if len(path) > 1 and path[:-1] not in kept:
                continue  # inside a flattened scope: flattened too
            indices = members[path]
            if indices != list(range(indices[0], indices[-1] + 1)) or ".".join(path) in names \
                    or path[-1] in INPUT_WORDS:
                continue
            inside = {self.nodes[i].name for i in indices}
            outside_inputs = dict.fromkeys((t.node, t.index) for i in indices for t in self.nodes[i].inputs
                                           if t.node not in inside)
            read_outside = {(t.node, t.index) for j, node in enumerate(self.nodes) if not
                            indices[0] <= j <= indices[-1] for t in node.inputs if t.node in inside}
            if len(read_outside) > 1:
                continue
            last = self.nodes[indices[-1]]
            if not read_outside and len(last.outputs) != 1:
                continue
            kept[path] = _Scope(path, indices, tuple(outside_inputs),
                                next(iter(read_outside)) if read_outside else None)
        return kept

    # ----- text ---------------------------------------------------------------------------------------------
    def text(self) -> str:
        graph = self.graph
        for where, value in (("batch", graph.batch), *((f"input size {i}", d) for i, d in
                                                         enumerate(graph.input.shape))):
            self._note_symbols(value, where)
        body, _ = self._entries((), list(range(len(self.nodes))), (self.input_key,), None, top=True)
        if not graph.name.isprintable():
            raise GraphError(f"graph name {graph.name!r} is not one line of printable text; a spec cannot hold it")
        lines = [f"# costmodel spec of {graph.name} ({len(self.nodes)} layers), written by costmodel convert.",
                 "# layers: is the network, one line per layer with its input -> output shapes in the comment.",
                 "# A line with block: runs that block (under blocks:); its layers are named <id>.<their id>.",
                 f"name: {quoted(graph.name)}"]
        if graph.batch != 1:
            lines.append(f"batch: {quoted_expression(expression(graph.batch))}")
        if self.symbols:
            lines.append("symbols:")
            for name, integer in self.symbols.items():
                lines.append(f"  {quoted(name)}: null" if integer else f"  {quoted(name)}: {{integer: false}}")
        lines.append(f"input: [{', '.join(quoted_expression(expression(d)) for d in graph.input.shape)}]")
        lines.append("layers:")
        lines.extend(_commented(body))
        if self.blocks:
            lines.append("blocks:")
            for block in sorted(self.blocks.values(), key=lambda block: block.order):
                lines.extend(block.text())
        return "\n".join(lines) + "\n"

    def _note_symbols(self, value: Any, where: str) -> None:
        from ..spec.document import RESERVED
        from ..spec.values import misreading

        for symbol in getattr(value, "free_symbols", ()):
            name = symbol.name
            if name in self.symbols:
                continue
            import keyword

            if not PLAIN.match(name) or keyword.iskeyword(name) or name in RESERVED or misreading(name):
                raise GraphError(f"graph '{self.graph.name}': symbol {name!r} (in {where}) is not a name a spec can "
                                 f"declare (letters, digits and '_', not a keyword, a function of expressions or "
                                 f"a name sympy reads as something else)")
            self.symbols[name] = bool(symbol.is_integer)

    def _entries(self, path: tuple, indices: list, scope_inputs: tuple, inherited: str | None, *,
                 top: bool = False, scope_output: tuple | None = None) -> list:
        """The layer lines of scope ``path`` (its nodes at ``indices``, reading the tensors ``scope_inputs``
        from outside), indented for a block or the top."""
        indent = "  " if top else "      "
        lines: list = []
        ids: dict = {}  # (node, index) of tensors made in this scope -> reference text
        taken = set(INPUT_WORDS)
        entries: list = []  # (kind, start, payload)
        i = 0
        while i < len(indices):
            node = self.nodes[indices[i]]
            parts = tuple(node.name.split("."))
            child = parts[:len(path) + 1]
            if len(parts) > len(path) + 1 and child in self.kept:
                scope = self.kept[child]
                entries.append(("instance", scope))
                i += len(scope.indices)
            else:
                entries.append(("op", node))
                i += 1
        for kind, payload in entries:
            if kind == "instance":
                taken.add(payload.path[-1])
            elif len(payload.name.split(".")) == len(path) + 1:
                taken.add(payload.name.split(".")[-1])
        previous: tuple | None = scope_inputs[0] if len(scope_inputs) == 1 else None
        for entry in entries:
            kind = entry[0]
            if kind == "op":
                node = entry[1]
                local = node.name.split(".")[len(path):]
                was = ""
                if len(local) == 1 and local[0] not in INPUT_WORDS:
                    name = local[0]
                else:
                    name = _free_name("_".join(local), taken)
                    was = f"  (was {node.name})"
                written = ".".join([*path, name])
                sources = self._references([(t.node, t.index) for t in node.inputs], scope_inputs, ids, node.name)
                fields = self._fields(node)
                items = [f"id: {quoted(name)}", f"kind: {node.op.kind}", *fields]
                if node.inputs and not (len(node.inputs) == 1 and previous is not None and
                                        (node.inputs[0].node, node.inputs[0].index) == previous):
                    items.append("from: " + (sources[0] if len(sources) == 1 else f"[{', '.join(sources)}]"))
                stage = self._stage(node, written, inherited)
                if stage is not None:
                    items.append(f"stage: {stage}")
                implied_output = node is self.nodes[indices[-1]] and (top or scope_output is None)
                if self._unread(node) and not implied_output:
                    items.append("output: true")
                comment = inputs_text([t.shape for t in node.inputs]) + " -> " + \
                    ", ".join(shape_text(s) for s in node.outputs) + was
                lines.append((f"{indent}- {{{', '.join(items)}}}", comment))
                if len(node.outputs) == 1:
                    ids[(node.name, 0)] = quoted(name)
                    previous = (node.name, 0)
                else:
                    for k in range(len(node.outputs)):
                        ids[(node.name, k)] = quoted(f"{name}.{k}")
                    previous = None
            else:
                scope = first = last = entry[1]
                name = scope.path[-1]
                stage, inner = self._instance_stage(scope, inherited)
                block = self._block(scope, inner)
                items = [f"id: {quoted(name)}", f"block: {block}"]
                if first.inputs != (previous,):
                    sources = self._references(list(first.inputs), scope_inputs, ids, name)
                    items.append("from: " + (sources[0] if len(sources) == 1 else f"[{', '.join(sources)}]"))
                if stage is not None:
                    items.append(f"stage: {quoted(stage)}")
                out = last.output or (self.nodes[last.indices[-1]].name, 0)
                if last.output is None and not (last.indices[-1] == indices[-1] and (top or scope_output is None)):
                    items.append("output: true")
                in_shapes = inputs_text([self._shape(key) for key in first.inputs])
                lines.append((f"{indent}- {{{', '.join(items)}}}", f"{in_shapes} -> {shape_text(self._shape(out))}"))
                ids[out] = quoted(name)
                previous = out
        return lines, ids

    def _shape(self, key: tuple) -> tuple:
        if key == self.input_key:
            return self.graph.input.shape
        return self.graph.node(key[0]).outputs[key[1]]

    def _references(self, keys: list, scope_inputs: tuple, ids: dict, reader: str) -> list:
        """The ``from`` items of a layer reading the tensors ``keys``: ids of the scope, ``input`` (``input.N``
        when the scope reads several), and ``inputs`` for all of them in order at the start."""
        if len(scope_inputs) > 1 and tuple(keys[:len(scope_inputs)]) == scope_inputs:
            return ["inputs", *self._references(keys[len(scope_inputs):], scope_inputs, ids, reader)]
        return [self._reference_key(key, scope_inputs, ids, reader) for key in keys]

    def _reference_key(self, key: tuple, scope_inputs: tuple, ids: dict, reader: str) -> str:
        if key in ids:
            return ids[key]
        if key in scope_inputs:
            return "input" if len(scope_inputs) == 1 else f"input.{scope_inputs.index(key)}"
        raise GraphError(f"graph '{self.graph.name}': node '{reader}' reads {key[0]} output {key[1]}, which its "
                         f"scope cannot reach (an internal error of the spec writer; please report it)")

    def _unread(self, node: Node) -> bool:
        return any((node.name, k) not in self.read for k in range(len(node.outputs)))

    def _stage(self, node: Node, written: str, inherited: str | None) -> str | None:
        default = inherited if inherited is not None else written.split(".")[0]
        if node.stage == default:
            return None
        if not str(node.stage).isprintable():
            raise GraphError(f"node '{node.name}': stage {node.stage!r} is not one line of printable text; a spec "
                             f"cannot hold it")
        return quoted(str(node.stage))

    def _instance_stage(self, scopes: Any, inherited: str | None) -> tuple:
        """The ``stage:`` of an instance (None: the default serves) and the stage its layers inherit."""
        scopes = scopes if isinstance(scopes, list) else [scopes]
        stages = {self.nodes[i].stage for s in scopes for i in s.indices}
        default = inherited if inherited is not None else scopes[0].path[0]
        if len(stages) == 1:
            stage = next(iter(stages))
            if stage != default:
                if not str(stage).isprintable():
                    raise GraphError(f"node '{self.nodes[scopes[0].indices[0]].name}': stage {stage!r} is not one "
                                     f"line of printable text; a spec cannot hold it")
                return stage, stage
        return None, default

    def _block(self, scope: _Scope, inherited: str) -> str:
        """The name of the block scope ``scope`` is an instance of: one per distinct text (comments aside)."""
        order = self._entered  # blocks are listed parent first, in the order the layers reach them
        self._entered += 1
        lines, ids = self._entries(scope.path, scope.indices, scope.inputs, inherited, scope_output=scope.output)
        output = None
        last = (self.nodes[scope.indices[-1]].name, 0)
        if scope.output is not None and scope.output != last:
            output = ids[scope.output]
        key = (tuple(code for code, _ in lines), output, inherited)
        if key in self.blocks:
            self.blocks[key].instances += 1
            return self.blocks[key].name
        base = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(scope.path))
        if not PLAIN.match(base) or base.lower() in YAML_WORDS or _reserved(base):
            base = "block_" + base
        self.blocks[key] = _Block(_free_name(base, self.block_names), ".".join(scope.path), lines, output, order)
        return self.blocks[key].name

    def _fields(self, node: Node) -> list:
        op = node.op
        cls = type(op)
        if OPS.get(op.kind) is not cls:
            raise GraphError(f"node '{node.name}': op {cls.__name__} ({op.kind}) is not an op a spec can name (the "
                             f"kinds of costmodel.ops.OPS); a spec cannot hold it")
        written: dict = {}
        for field in dataclasses.fields(cls):
            if not field.init:
                continue
            value = getattr(op, field.name)
            self._note_symbols(value, f"{field.name} of node '{node.name}'")
            default = field.default
            if default is not dataclasses.MISSING and _same(value, default):
                continue
            if isinstance(value, tuple) and len(value) == 2 and _same(value[0], value[1]):
                try:
                    if cls(**{**_given(op, cls, written), field.name: value[0]}) == op:
                        if default is not dataclasses.MISSING and _same(value[0], default):
                            continue
                        written[field.name] = value[0]
                        continue
                except Exception:  # the op does not take a single value for this field
                    pass
            written[field.name] = value
        return [f"{name}: {value_text(value, node.name, name)}" for name, value in written.items()]


def _given(op, cls, written: dict) -> dict:
    return {f.name: getattr(op, f.name) for f in dataclasses.fields(cls) if f.init}


def _same(a: Any, b: Any) -> bool:
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    try:
        return bool(a == b)
    except TypeError:
        return False


def _reserved(name: str) -> bool:
    import keyword

    from ..spec.document import RESERVED
    return keyword.iskeyword(name) or name in RESERVED


def _free_name(base: str, taken: set) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


__all__ = ["write_spec"]
