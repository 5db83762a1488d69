"""Any ``Graph`` -> the text of a spec that ``load_spec`` reads back
into the same graph: the same node names, ops, stages, shapes, and so the same table.

    from costmodel.spec import write_spec
    text = write_spec(graph)            # YAML, one line per layer, shapes in comments

Layout: the graph's scopes become blocks. A scope (``features.3`` of ``features.3.conv.0``) is written as a
block instance when the spec format can carry it: its nodes are consecutive, they read one tensor from
outside it, and at most one of its tensors is read outside it (its output). A scope that cannot be carried
is flattened into the nearest scope that can: its nodes keep their place, and their ids join the rest of
the dotted name with ``_`` (``layer1.0.conv1`` -> id ``0_conv1`` in the block of ``layer1``), with a
``# was ...`` comment. Blocks with the same text are written once; instances ``0`` to ``n-1`` of one block,
each reading the one before, become one instance with ``repeat: n``.

Values are written exactly: whole numbers, pairs as lists (or one number when both are equal), true/false,
floats as the shortest decimal that reads back as the same float, symbols and closed forms as expressions
of the spec syntax (``floor``, ``ceil``, ``min``, ``max``, ``%``, ``sqrt``, exact fractions). Names and
labels are plain YAML only when they cannot read as anything but themselves, double-quoted with escapes
otherwise, so nothing in a name becomes YAML syntax.
"""
from __future__ import annotations

import dataclasses
import math
import re
from fractions import Fraction
from typing import Any

from ..errors import GraphError
from ..graph import Graph, Node, Tensor

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLAIN_TEXT = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*(\.[0-9]+)?$")
_PLAIN_TEXT = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*(\.[0-9]+)?$")
_YAML_WORDS = frozenset("""y n yes no on off true false null""".split())
_LAYER_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")
# characters PyYAML reads in a document (anything else is escaped in a double-quoted scalar)
_YAML_PRINTABLE = re.compile("[\x20-\x7E\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def write_spec(graph: Graph) -> str:
    """The spec text of ``graph``: ``load_spec(write_spec(graph))`` has the same nodes (names, ops, inputs,
    output shapes, stages), hence the same flops, params and mac per layer and in total.

    Raises ``GraphError`` for what a spec cannot hold (several graph inputs, a symbol
    name the spec reader refuses, a stage or graph name that is not one line of printable text, an op value
    with no spec spelling), naming the node and the value.
    """
    return _Writer(graph).text()


# ----- scalars ----------------------------------------------------------------------------------------------
def quoted(text: str) -> str:
    """``text`` as a YAML scalar that reads back as exactly this string: plain when it is a simple name that
    YAML reads as itself, else double-quoted with every special or unprintable character escaped."""
    if _PLAIN_TEXT.match(text) and text.lower() not in _YAML_WORDS:
        return text
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif _YAML_PRINTABLE.fullmatch(char) and char.isprintable():
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def expression(value: Any) -> str:
    """A number or sympy expression in the spec's expression syntax (reads back as the same value)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    text = _sympy_text(value)
    if value.has(_sympy_module().Piecewise) and not _reads_back(text, value):
        raise GraphError(f"the value {value} has no spelling in the spec's expressions (the closest, {text}, "
                         f"computes another expression)")
    return text


def _sympy_module():
    import sympy
    return sympy


def _reads_back(text: str, value: Any) -> bool:
    """Whether the spec's expression walker computes ``value`` from ``text`` (its symbols as themselves)."""
    from .expressions import ExpressionError, evaluate, parse_expression, step_budget

    sympy = _sympy_module()
    try:
        with step_budget():
            computed = evaluate(parse_expression(text), {s.name: s for s in value.free_symbols})
    except (ExpressionError, ArithmeticError, ValueError, TypeError):
        return False
    return computed == value or sympy.piecewise_fold(computed) == sympy.piecewise_fold(value)


def _sympy_text(expr: Any) -> str:
    import sympy

    if expr.is_Integer:
        return str(int(expr))
    if expr.is_Rational:
        return f"{expr.p}/{expr.q}"
    if expr.is_Symbol:
        return _PLACEHOLDERS.get(expr, expr.name)
    args = expr.args
    if expr.is_Add:
        terms = sorted(args, key=sympy.default_sort_key)
        text = _sympy_text(terms[0])
        for term in terms[1:]:
            coefficient, rest = term.as_coeff_Mul()
            if coefficient.is_negative:
                text += " - " + _factor(-term, sympy)
            else:
                text += " + " + _factor(term, sympy, inside_add=True)
        return text
    if expr.is_Mul:
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient.is_negative:
            return "-" + _factor(-expr, sympy)
        numerator, denominator = [], []
        for factor in expr.as_ordered_factors():
            if factor.is_Rational and not factor.is_Integer:
                numerator.append(sympy.Integer(factor.p))
                denominator.append(sympy.Integer(factor.q))
            elif factor.is_Pow and factor.exp.is_Integer and factor.exp < 0:
                denominator.append(factor.base ** -factor.exp)
            else:
                numerator.append(factor)
        numerator = [f for f in numerator if f != 1]
        text = "*".join(_factor(f, sympy) for f in numerator) or "1"
        for factor in denominator:
            text += "/" + _atom(factor, sympy)
        return text
    if expr.is_Pow:
        if expr.exp == sympy.Rational(1, 2):
            return f"sqrt({_sympy_text(expr.base)})"
        if expr.exp.is_Integer and expr.exp < 0:
            return f"1/{_atom(expr.base ** -expr.exp, sympy)}"
        if expr.exp.is_Integer:
            return f"{_atom(expr.base, sympy)}**{int(expr.exp)}"
    functions = {sympy.floor: "floor", sympy.ceiling: "ceil", sympy.Min: "min", sympy.Max: "max"}
    if expr.func in functions:
        return f"{functions[expr.func]}({', '.join(_sympy_text(a) for a in args)})"
    if expr.func is sympy.Piecewise:
        text = _rounding_text(expr, sympy)
        if text is not None:
            return text
    if expr.func is sympy.Mod:
        return f"{_atom(args[0], sympy)} % {_atom(args[1], sympy)}"
    raise GraphError(f"the value {expr} has no spelling in the spec's expressions (they take numbers, symbols, "
                     f"+ - * / // % **, floor, ceil, min, max, sqrt)")


def _rounding_text(expr: Any, sympy) -> str | None:
    """``expr`` written with ``make_divisible`` (the MobileNet v2/v3 channel rounding) when it is
    ``g(make_divisible(value, divisor, min_value))`` for some expression ``g``, its branches folded
    (``Piecewise((g(r + divisor), r < 9/10*value), (g(r), True))``), else None. Every candidate is checked by
    first candidate is taken: ``expression`` checks the whole text by reading it back."""
    if len(expr.args) != 2 or expr.args[1][1] is not sympy.true:
        return None
    otherwise, condition = expr.args[1][0], expr.args[0][1]
    for rounded in sympy.preorder_traversal(condition):
        if rounded.func is sympy.Max and len(rounded.args) == 2 and any(a.is_Integer for a in rounded.args):
            minimum = next(a for a in rounded.args if a.is_Integer)
            term = next(a for a in rounded.args if not a.is_Integer)
        elif rounded.is_Mul:
            minimum, term = None, rounded
        else:
            continue
        divisor, floored = term.as_coeff_Mul()
        if not (divisor.is_Integer and divisor >= 1 and floored.func is sympy.floor):
            continue
        value = sympy.expand(divisor * floored.args[0] - divisor / 2)
        placeholder = sympy.Dummy("rounded", positive=True, integer=True)
        outer = otherwise.subs(rounded, placeholder)
        if rounded not in sympy.preorder_traversal(outer):
            call = f"make_divisible({_sympy_text(value)}, {divisor}, {minimum if minimum is not None else divisor})"
            _PLACEHOLDERS[placeholder] = call
            try:
                return _sympy_text(outer)
            finally:
                del _PLACEHOLDERS[placeholder]
    return None


_PLACEHOLDERS: dict = {}


def _atom(expr: Any, sympy) -> str:
    """Text of ``expr`` that binds tighter than any operator."""
    text = _sympy_text(expr)
    if expr.is_Symbol or (expr.is_Integer and expr >= 0) or expr.func in (sympy.floor, sympy.ceiling, sympy.Min,
                                                                           sympy.Max, sympy.Piecewise):
        return text
    if expr.is_Pow and expr.exp == sympy.Rational(1, 2):
        return text
    return f"({text})"


def _factor(expr: Any, sympy, inside_add: bool = False) -> str:
    """Text of ``expr`` as a factor of a product (parenthesised when it is a sum or a remainder)."""
    if expr.is_Add or expr.func is sympy.Mod or (expr.is_Rational and not expr.is_Integer) \
            or (expr.is_Number and expr.is_negative):
        return f"({_sympy_text(expr)})"
    return _sympy_text(expr)


def is_plain_number(value: Any) -> bool:
    return isinstance(value, int) or getattr(value, "is_Integer", False)


def value_text(value: Any, owner: str, field: str) -> str:
    """One op field's value as YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise GraphError(f"node '{owner}': {field} = {value} has no spelling in a spec (numbers are finite)")
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(value_text(item, owner, field) for item in value) + "]"
    if is_plain_number(value):
        return str(int(value))
    if isinstance(value, Fraction) or hasattr(value, "free_symbols"):
        return quoted_expression(expression(value))
    raise GraphError(f"node '{owner}': {field} = {value!r} has no spelling in a spec (a number, an expression, "
                     f"true/false, text or a list of them)")


def quoted_expression(text: str) -> str:
    """An expression as a flow-safe YAML scalar: plain for a whole number, double-quoted otherwise."""
    return text if re.fullmatch(r"-?[0-9]+", text) else quoted(text)


def shape_text(shape: tuple) -> str:
    return "[" + ", ".join(expression(d) for d in shape) + "]"


# ----- the graph's scopes -----------------------------------------------------------------------------------
@dataclasses.dataclass
class _Scope:
    path: tuple  # the scope's dotted name, split
    indices: list  # positions of its nodes in graph.nodes
    input: tuple | None = None  # the one tensor (node, index) it reads from outside
    output: tuple | None = None  # the one tensor of it read outside (None: nothing is)


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
        self.blocks: dict = {}  # (text, inherited stage) -> block name
        self.block_texts: list = []
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
                    or path[-1] == "input":
                continue
            inside = {self.nodes[i].name for i in indices}
            outside_inputs = {(t.node, t.index) for i in indices for t in self.nodes[i].inputs
                              if t.node not in inside}
            read_outside = {(t.node, t.index) for j, node in enumerate(self.nodes) if not
                            indices[0] <= j <= indices[-1] for t in node.inputs if t.node in inside}
            if len(outside_inputs) != 1 or len(read_outside) > 1:
                continue
            last = self.nodes[indices[-1]]
            if not read_outside and len(last.outputs) != 1:
                continue
            kept[path] = _Scope(path, indices, next(iter(outside_inputs)),
                                next(iter(read_outside)) if read_outside else None)
        return kept

    # ----- text ---------------------------------------------------------------------------------------------
    def text(self) -> str:
        graph = self.graph
        for where, value in (("batch", graph.batch), *((f"input size {i}", d) for i, d in
                                                         enumerate(graph.input.shape))):
            self._note_symbols(value, where)
        body = self._entries((), list(range(len(self.nodes))), self.input_key, None, top=True)
        if not graph.name.isprintable():
            raise GraphError(f"graph name {graph.name!r} is not one line of printable text; a spec cannot hold it")
        lines = [f"# costmodel spec of {graph.name} ({len(self.nodes)} layers), written by costmodel convert",
                 f"name: {quoted(graph.name)}"]
        if graph.batch != 1:
            lines.append(f"batch: {quoted_expression(expression(graph.batch))}")
        if self.symbols:
            lines.append("symbols:")
            for name, integer in self.symbols.items():
                lines.append(f"  {quoted(name)}: null" if integer else f"  {quoted(name)}: {{integer: false}}")
        lines.append(f"input: [{', '.join(quoted_expression(expression(d)) for d in graph.input.shape)}]")
        if self.block_texts:
            lines.append("blocks:")
            for block in self.block_texts:
                lines.extend(block)
        lines.append("layers:")
        lines.extend(body)
        return "\n".join(lines) + "\n"

    def _note_symbols(self, value: Any, where: str) -> None:
        from ..spec.document import RESERVED
        from ..spec.values import misreading

        for symbol in getattr(value, "free_symbols", ()):
            name = symbol.name
            if name in self.symbols:
                continue
            import keyword

            if not _PLAIN.match(name) or keyword.iskeyword(name) or name in RESERVED or misreading(name):
                raise GraphError(f"graph '{self.graph.name}': symbol {name!r} (in {where}) is not a name a spec can "
                                 f"declare (letters, digits and '_', not a keyword, a function of expressions or "
                                 f"a name sympy reads as something else)")
            self.symbols[name] = bool(symbol.is_integer)

    def _entries(self, path: tuple, indices: list, scope_input: tuple, inherited: str | None, *,
                 top: bool = False, scope_output: tuple | None = None) -> list:
        """The layer lines of scope ``path`` (its nodes at ``indices``), indented for a block or the top."""
        indent = "  " if top else "      "
        lines: list = []
        ids: dict = {}  # (node, index) of tensors made in this scope -> reference text
        taken = {"input"}
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
        previous: tuple | None = scope_input
        for entry in entries:
            kind = entry[0]
            if kind == "op":
                node = entry[1]
                local = node.name.split(".")[len(path):]
                was = ""
                if len(local) == 1:
                    name = local[0]
                else:
                    name = _free_name("_".join(local), taken)
                    was = f"  (was {node.name})"
                written = ".".join([*path, name])
                sources = [self._reference(t, scope_input, ids, node.name) for t in node.inputs]
                fields = self._fields(node)
                items = [f"id: {quoted(name)}", f"kind: {node.op.kind}", *fields]
                if not (len(node.inputs) == 1 and previous is not None and
                        (node.inputs[0].node, node.inputs[0].index) == previous):
                    items.append("from: " + (sources[0] if len(sources) == 1 else f"[{', '.join(sources)}]"))
                stage = self._stage(node, written, inherited)
                if stage is not None:
                    items.append(f"stage: {stage}")
                implied_output = node is self.nodes[indices[-1]] and (top or scope_output is None)
                if self._unread(node) and not implied_output:
                    items.append("output: true")
                comment = " + ".join(shape_text(t.shape) for t in node.inputs) + " -> " + \
                    ", ".join(shape_text(s) for s in node.outputs) + was
                lines.append(f"{indent}- {{{', '.join(items)}}}  # {comment}")
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
                if first.input != previous:
                    items.append(f"from: {self._reference_key(first.input, scope_input, ids, name)}")
                if stage is not None:
                    items.append(f"stage: {quoted(stage)}")
                out = last.output or (self.nodes[last.indices[-1]].name, 0)
                if last.output is None and not (top and last.indices[-1] == len(self.nodes) - 1):
                    items.append("output: true")
                in_shape = self._shape(first.input)
                lines.append(f"{indent}- {{{', '.join(items)}}}  # {shape_text(in_shape)} -> "
                             f"{shape_text(self._shape(out))}")
                ids[out] = quoted(name)
                previous = out
        self._scope_ids = ids
        return lines

    def _shape(self, key: tuple) -> tuple:
        if key == self.input_key:
            return self.graph.input.shape
        return self.graph.node(key[0]).outputs[key[1]]

    def _reference(self, tensor: Tensor, scope_input: tuple, ids: dict, reader: str) -> str:
        return self._reference_key((tensor.node, tensor.index), scope_input, ids, reader)

    def _reference_key(self, key: tuple, scope_input: tuple, ids: dict, reader: str) -> str:
        if key in ids:
            return ids[key]
        if key == scope_input:
            return "input"
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
        lines = self._entries(scope.path, scope.indices, scope.input, inherited, scope_output=scope.output)
        ids = self._scope_ids
        output = ""
        last = (self.nodes[scope.indices[-1]].name, 0)
        if scope.output is not None and scope.output != last:
            output = f"    output: {ids[scope.output]}\n"
        key = ("\n".join(lines), output, inherited)
        if key in self.blocks:
            return self.blocks[key]
        base = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(scope.path))
        if not _PLAIN.match(base) or base.lower() in _YAML_WORDS or _reserved(base):
            base = "block_" + base
        name = _free_name(base, self.block_names)
        self.blocks[key] = name
        text = [f"  {name}:"]
        if output:
            text.append(output.rstrip("\n"))
        text.append("    layers:")
        text.extend(lines)
        self.block_texts.append(text)
        return name

    def _fields(self, node: Node) -> list:
        op = node.op
        cls = type(op)
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


__all__ = ["write_spec", "quoted", "expression"]
