"""ONNX graph -> costmodel Graph: one handler per op type, constants folded, shapes checked.

Values flowing through the import are either activations or ``Const`` (initializers, Constant nodes and
the shape arithmetic computed from them, shapes with the values known when small). An activation is a
``costmodel.graph.Tensor`` of the IR, whose shape is per sample, and a
``costmodel.onnx.batch.Layout`` saying where the batch N sits in its ONNX shape: first for every
convolutional export (``[N, *tensor.shape]``, the standard layout), elsewhere or merged into another axis
after attention's transposes and reshapes (``[L, N, E]``, ``[N*windows, w*w, C]``), or nowhere for a tensor
computed from constants only; costs stay per sample times N either way (see ``costmodel.onnx.batch``).
Handlers that read ``NodeContext.activation`` get the standard layout or refuse the node; the
layout-aware ones (views, element-wise ops, MatMul, Softmax, normalisations, reductions) read
``NodeContext.placed`` and say where N goes in their output.

A node all of whose inputs are constant is folded by its folder (``@folds``); any other node goes to its
handler (``@handles``), which adds IR nodes. Handlers are small functions reading attributes through
``Attributes``, whose errors name the attribute and the values seen; every error leaves as a
``costmodel.errors.ModelError`` that starts with the file and the ONNX node name.
"""
from __future__ import annotations

import heapq
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Callable

from ..dims import fmt, surely_different
from ..errors import CostModelError, ModelError, NodeError, OpError
from ..graph import Graph, Tensor
from ..ops.base import Op
from . import wire
from .batch import STANDARD, Layout, LayoutError
from .names import Namer, identifier, tensor_name

Handler = Callable[["NodeContext"], None]
HANDLERS: dict[str, Handler] = {}
STAGE_KEY = "costmodel.stage"   # node metadata: the stage of the layer (costmodel export)
ROLE_KEY = "costmodel.role"     # graph input metadata: "weight" for a weight written without values
SHAPE_READERS = ("Shape", "Size")  # folded whatever their input: they read only its shape
FOLDERS: dict[str, Handler] = {}


def _register(table: dict, op_types: tuple[str, ...]):
    def decorate(function: Handler) -> Handler:
        for op_type in op_types:
            if op_type in table:
                raise ValueError(f"ONNX op {op_type} has two handlers: {table[op_type].__name__} and "
                                 f"{function.__name__}")
            table[op_type] = function
        return function
    return decorate


def handles(*op_types: str):
    """Register a handler that turns nodes of these op types into IR nodes (refuses a second handler)."""
    return _register(HANDLERS, op_types)


def folds(*op_types: str):
    """Register a folder that evaluates nodes of these op types whose inputs are all constant."""
    return _register(FOLDERS, op_types)


class Unsupported(CostModelError):
    """A node whose op type, or whose attributes, we cannot cost (an unknown op under ``allow_unknown``)."""


class UnsupportedOps(ModelError):
    """The op types of a model that have no handler: ``ops`` maps each to its count and first node's name."""

    def __init__(self, message: str, ops: dict):
        super().__init__(message)
        self.ops = ops


@dataclass(frozen=True)
class Const:
    """A constant tensor: full ONNX shape, element type, and flat values when known (ints, exact numbers,
    sympy expressions for symbolic sizes, floats); ``initializer`` when it holds one (learned, if a float
    tensor)."""

    shape: tuple
    dtype: int
    values: tuple | None = None
    initializer: bool = False
    source: str = ""   # the initializer it holds (what a Constant node made of it is named after)

    @property
    def numel(self) -> int:
        count = 1
        for d in self.shape:
            count *= d
        return count

    @property
    def is_float(self) -> bool:
        return self.dtype in wire.FLOAT_TYPES


@dataclass(frozen=True)
class UnknownNode:
    """A node counted as zero flops under ``allow_unknown``."""

    name: str          # the ONNX node name
    op_type: str
    node: str          # the IR node it became


@dataclass
class ImportReport:
    """What the import did besides the graph: the opsets read, nodes folded away (shape arithmetic,
    Constant, Identity, Dropout, the parts of recognised patterns), unknown nodes counted as zero, and how
    many tensors had their shapes compared with the file's value_info (all agreed, or the import fails)."""

    file: str
    producer: str = ""
    opset: int = 0
    onnx_nodes: int = 0
    folded: int = 0
    shapes_checked: int = 0
    unknown: list = field(default_factory=list)
    parameters: dict = field(default_factory=dict)   # symbol parameter name -> the dim_param it stands for


class Attributes:
    """Typed access to a node's attributes; errors name the attribute, what it must be and what it is."""

    def __init__(self, node: wire.NodeDef):
        self._attributes = node.attributes

    def __contains__(self, name: str) -> bool:
        return name in self._attributes

    def _get(self, name: str, kinds: tuple[str, ...]):
        attribute = self._attributes.get(name)
        if attribute is None:
            return None
        if attribute.kind not in kinds:
            raise ModelError(f"attribute '{name}' must be {' or '.join(kinds)}, got {attribute.kind}")
        return attribute.value

    def int(self, name: str, default: int | None = None, *, minimum: int | None = None,
            choices: tuple | None = None) -> int | None:
        value = self._get(name, ("int",))
        value = default if value is None else value
        if value is not None and minimum is not None and value < minimum:
            raise ModelError(f"attribute '{name}' must be at least {minimum}, got {value}")
        if value is not None and choices is not None and value not in choices:
            raise ModelError(f"attribute '{name}' must be one of {', '.join(map(str, choices))}, got {value}")
        return value

    def float(self, name: str, default: float | None = None) -> float | None:
        value = self._get(name, ("float",))
        return default if value is None else value

    def ints(self, name: str, default: tuple | None = None, *, length: int | None = None,
             minimum: int | None = None) -> tuple | None:
        value = self._get(name, ("ints",))
        if value is None:
            return default
        value = tuple(value)
        if length is not None and len(value) != length:
            raise ModelError(f"attribute '{name}' must have {length} values, got {list(value)}")
        if minimum is not None and any(v < minimum for v in value):
            raise ModelError(f"attribute '{name}' values must be at least {minimum}, got {list(value)}")
        return value

    def floats(self, name: str, default: tuple | None = None) -> tuple | None:
        value = self._get(name, ("floats",))
        return default if value is None else tuple(value)

    def string(self, name: str, default: str | None = None, *, choices: tuple | None = None) -> str | None:
        value = self._get(name, ("string",))
        value = default if value is None else value.decode("utf-8", "replace")
        if value is not None and choices is not None and value not in choices:
            raise ModelError(f"attribute '{name}' must be one of {', '.join(choices)}, got {value!r}")
        return value

    def tensor(self, name: str) -> wire.TensorDef | None:
        return self._get(name, ("tensor",))


class NodeContext:
    """What a handler sees of one ONNX node: its inputs as values, its attributes, and the graph to add to."""

    def __init__(self, importer: "Importer", node: wire.NodeDef, index: int):
        self.importer = importer
        self.node = node
        self.index = index
        self.op_type = node.op_type
        self.opset = importer.opset
        self.attr = Attributes(node)
        self.batch = importer.batch
        self.added = 0

    # ----- inputs ------------------------------------------------------------------------------------------
    @property
    def input_count(self) -> int:
        return len(self.node.inputs)

    def value(self, index: int):
        """Input ``index`` (a Tensor or a Const), or None when absent."""
        if index >= len(self.node.inputs) or not self.node.inputs[index]:
            return None
        return self.importer.values[self.node.inputs[index]]

    def activation(self, index: int = 0, what: str = "input") -> Tensor:
        """Input ``index``, an activation with the batch first (``[N, *shape]``)."""
        tensor, layout = self.placed(index, what)
        if not layout.standard:
            raise Unsupported(f"{what} {index} has {layout.describe()} of its ONNX shape "
                              f"{fmt(layout.onnx_shape(tensor.shape, self.batch))}; {self.op_type} is supported "
                              f"only with the batch first")
        return tensor

    def placed(self, index: int = 0, what: str = "input") -> tuple[Tensor, Layout]:
        """Input ``index``, an activation, and its layout (where the batch sits in its ONNX shape)."""
        value = self.value(index)
        if not isinstance(value, Tensor):
            state = "missing" if value is None else "a constant"
            raise Unsupported(f"{what} {index} is {state}; it must be a tensor computed from the graph inputs")
        return value, self.layout(index)

    def layout(self, index: int) -> Layout:
        """The layout of input ``index`` (the standard one for a constant or a missing input)."""
        name = self.node.inputs[index] if index < len(self.node.inputs) else ""
        return self.importer.layouts.get(name, STANDARD)

    def const(self, index: int, what: str) -> Const | None:
        value = self.value(index)
        if value is not None and not isinstance(value, Const):
            raise Unsupported(f"{what} (input {index}) must be a constant (an initializer), but it is computed "
                              f"from the graph inputs")
        return value

    def known(self, index: int, what: str) -> tuple | None:
        """The values of constant input ``index`` (None when the input is absent)."""
        value = self.const(index, what)
        if value is None:
            return None
        if value.values is None:
            raise Unsupported(f"{what} (input {index}) has no values we can read (it has {value.numel} "
                              f"elements; we read constants of up to {wire.SMALL_TENSOR})")
        return value.values

    def axes(self, index: int, attribute: str = "axes") -> tuple | None:
        """Axes given as an attribute (older opsets) or as input ``index`` (newer ones)."""
        if attribute in self.attr:
            return self.attr.ints(attribute)
        values = self.known(index, attribute)
        return None if values is None else tuple(int(v) for v in values)

    def attr_of(self, node: wire.NodeDef) -> Attributes:
        """The attributes of another node (a part of a matched pattern)."""
        return Attributes(node)

    def rank(self, tensor: Tensor, layout: Layout = STANDARD) -> int:
        """The ONNX rank of an activation (its per-sample rank plus the batch axis, in the standard layout)."""
        return layout.rank(tensor.shape)

    def axis(self, axis: int, rank: int, what: str = "axis") -> int:
        """``axis`` (negative counts from the end) as a non-negative axis of a rank-``rank`` tensor."""
        if not -rank <= axis < rank:
            raise ModelError(f"{what} {axis} is out of range for a tensor of rank {rank}")
        return axis % rank

    def sample_axis(self, axis: int, tensor: Tensor, what: str = "axis", layout: Layout = STANDARD) -> tuple:
        """``(per-sample axis, layout)`` of an op along ONNX ``axis`` of an activation: the layout keeps the
        candidates whose batch is elsewhere, and an axis that surely holds the batch is refused."""
        axis = self.axis(axis, self.rank(tensor, layout), what)
        if layout.standard and axis == 0:
            raise Unsupported(f"{what} 0 is the batch axis; costs are per sample, so ops along it are not "
                              f"supported")
        layout = layout.avoiding({axis}, self.op_type)
        return layout.sample_axis(axis), layout

    def full_shape(self, tensor: Tensor, layout: Layout = STANDARD) -> tuple:
        """The ONNX shape of an activation."""
        return layout.onnx_shape(tensor.shape, self.batch)

    # ----- outputs -----------------------------------------------------------------------------------------
    def add(self, op: Op, *inputs: Tensor, named_after: str | None = None):
        """Add an IR node named after this ONNX node (or after ``named_after``, an initializer's name); returns
        its output (a tuple for multi-output ops)."""
        parts = self.importer.namer.name(named_after or self.node.name, op.kind, self.index)
        graph = self.importer.graph
        with ExitStack() as stack:
            stage = self.stage()
            if stage:
                stack.enter_context(graph.stage(stage))
            for part in parts[:-1]:
                stack.enter_context(graph.scope(part))
            result = graph.add(parts[-1], op, *inputs)
        self.added += 1
        return result

    def stage(self) -> str:
        """The stage this node's layers are reported under, when the file says (``costmodel export`` writes
        it as the metadata ``costmodel.stage`` where it is not the first scope of the name), else ``""``."""
        for node in (self.node, *getattr(self.node, "parts", ())):
            stage = node.metadata.get(STAGE_KEY, "")
            if stage:
                return stage
        return ""

    def output(self, value, index: int = 0, layout: Layout = STANDARD) -> None:
        """Output ``index`` is ``value`` (an activation with ``layout``, or a Const)."""
        if index < len(self.node.outputs) and self.node.outputs[index]:
            name = self.node.outputs[index]
            self.importer.values[name] = value
            if isinstance(value, Tensor) and not layout.standard:
                self.importer.layouts[name] = layout
            else:
                self.importer.layouts.pop(name, None)

    def alias(self, index: int = 0, layout: Layout | None = None) -> None:
        """The node passes input ``index`` on unchanged (Identity, Dropout, a no-op view), in its layout
        unless ``layout`` says otherwise."""
        self.output(self.value(index), 0, self.layout(index) if layout is None else layout)

    def unused_outputs(self, first: int, what: str) -> None:
        """Refuse a node whose outputs from ``first`` on are read (e.g. MaxPool's indices)."""
        for name in self.node.outputs[first:]:
            if name and self.importer.readers.get(name):
                raise Unsupported(f"its output '{name}' ({what}) is used; we cannot cost that")


class Importer:
    """Runs the handlers over a decoded model; see ``import_model``."""

    def __init__(self, model: wire.ModelDef, file: str, values: dict[str, Any], allow_unknown: bool):
        if model.graph is None:
            raise ModelError(f"{file}: not an ONNX model (it has no graph)")
        self.model = model
        self.file = file
        self.allow_unknown = allow_unknown
        self.opset = model.opsets.get("ai.onnx", model.opsets.get("", 0))
        if not self.opset:
            raise ModelError(f"{file}: the model imports no version of the standard ONNX operator set")
        self.report = ImportReport(file, model.producer, self.opset, len(model.graph.nodes))
        self.values: dict[str, Any] = {}
        self.layouts: dict[str, Layout] = {}   # activations whose batch is not first (absent: standard)
        self.readers: dict[str, int] = {}
        self.declared: dict[str, tuple] = {}
        self.namer = Namer(onnx_names=[node.name for node in model.graph.nodes],
                           exported=model.producer == "costmodel")
        self.symbols = input_symbols(model.graph)
        self.dim_values: dict[str, Any] = {}   # dim_param -> what it stands for in this build
        self._set_inputs(values)

    # ----- inputs and parameters ---------------------------------------------------------------------------
    def _set_inputs(self, settings: dict[str, Any]) -> None:
        from .target import dimension_value

        graph = self.model.graph
        for tensor in graph.initializers:
            self.values[tensor.name] = Const(tensor.dims, tensor.data_type, tensor.values, True, tensor.name)
        for param, name in self.symbols.items():
            self.report.parameters[name] = param
            self.dim_values[param] = dimension_value(name, settings.get(name))
        for info in graph.inputs:  # a weight written without its values (costmodel export --no-weights)
            if info.metadata.get(ROLE_KEY) == "weight" and info.name not in self.values and info.shape \
                    and all(isinstance(d, int) for d in info.shape):
                self.values[info.name] = Const(tuple(info.shape), info.elem_type, None, True, info.name)
        activations = [info for info in graph.inputs if info.name not in self.values]
        if not activations:
            raise ModelError(f"{self.file}: the graph has no inputs other than initializers")
        batch = None
        shapes = []
        for info in activations:
            if info.shape is None or not info.shape:
                raise ModelError(f"{self.file}: graph input '{info.name}' has no shape; costs need the input "
                                 f"sizes")
            shape = tuple(self._dim(info.name, axis, d) for axis, d in enumerate(info.shape))
            if batch is None:
                batch = shape[0]
            elif surely_different(shape[0], batch):
                raise ModelError(f"{self.file}: graph inputs disagree on the batch (first) dimension: "
                                 f"{fmt(batch)} and {fmt(shape[0])} for '{info.name}'")
            shapes.append((info, shape))
        self.batch = batch
        first, shape = shapes[0]
        try:
            self.graph = Graph(tensor_name(graph.name, "model"), shape[1:], batch=batch,
                               input_name=tensor_name(first.name, "input"))
            self.values[first.name] = self.graph.input
            for info, other in shapes[1:]:
                self.values[info.name] = self.graph.add_input(tensor_name(info.name, f"input{len(self.values)}"),
                                                              other[1:])
        except CostModelError as error:
            raise ModelError(f"{self.file}: {error}") from error
        self.namer.used.update(self.graph.inputs)

    def _dim(self, tensor: str, axis: int, dim) -> Any:
        if isinstance(dim, int):
            if dim < 1:
                raise ModelError(f"{self.file}: graph input '{tensor}' has size {dim} on axis {axis}; sizes must "
                                 f"be at least 1")
            return dim
        if dim is None:
            raise ModelError(f"{self.file}: graph input '{tensor}' has an unnamed dynamic size on axis {axis}; "
                             f"give it a name (a dim_param) or a number")
        return self.dim_values[dim]

    # ----- the pass ----------------------------------------------------------------------------------------
    def run(self) -> tuple[Graph, ImportReport]:
        from . import handlers  # noqa: F401  (registers the handlers)
        from .patterns import find_patterns

        graph = self.model.graph
        for info in (*graph.value_info, *graph.outputs):
            if info.shape is not None:
                self.declared[info.name] = info.shape
        nodes = ordered_nodes(graph, self.file, set(self.values))
        for node in nodes:
            for name in node.inputs:
                if name:
                    self.readers[name] = self.readers.get(name, 0) + 1
        plan = find_patterns(nodes, self.readers, self.values)
        self._refuse_unknown(plan)
        for index, node in enumerate(plan):
            self._run_node(node, index)
        for info in graph.outputs:
            if info.name not in self.values:
                raise ModelError(f"{self.file}: graph output '{info.name}' is produced by no node")
        self.report.folded = self.report.onnx_nodes - self._costed
        return self.graph, self.report

    _costed = 0  # ONNX nodes that became IR nodes

    def _run_node(self, node: wire.NodeDef, index: int) -> None:
        from .patterns import PATTERNS, Matched, NoMatch

        context = NodeContext(self, node, index)
        if isinstance(node, Matched):
            try:
                PATTERNS[node.pattern](context)
            except NoMatch:
                for part in node.parts:
                    self._run_node(part, index)
                return
            except LayoutError as error:
                raise self._located(node, Unsupported(str(error))) from error
            except CostModelError as error:
                raise self._located(node, error) from error
            self._costed += 1
            self._check_declared(node)
            return
        try:
            values = [context.value(i) for i in range(len(node.inputs))]
            constant = node.op_type in FOLDERS and (node.op_type in SHAPE_READERS or
                                                    all(v is None or isinstance(v, Const) for v in values))
            if node.domain not in ("", "ai.onnx"):
                raise Unsupported(f"op domain '{node.domain}' is not the standard one")
            if constant:
                FOLDERS[node.op_type](context)
            elif node.op_type in HANDLERS:
                HANDLERS[node.op_type](context)
            else:
                raise Unsupported(f"{node.op_type} on tensors computed from the graph inputs is not supported")
        except LayoutError as error:
            if not self.allow_unknown:
                raise self._located(node, Unsupported(str(error))) from error
            self._opaque(context, str(error))
        except Unsupported as error:
            if not self.allow_unknown:
                raise self._located(node, error) from error
            self._opaque(context, str(error))
        except CostModelError as error:
            raise self._located(node, error) from error
        except (ArithmeticError, IndexError, KeyError, TypeError, ValueError, RecursionError) as error:
            # a safety net: every malformed node should have met a check; say so plainly if one did not
            raise self._located(node, ModelError(f"cannot read this node ({type(error).__name__}: "
                                                 f"{' '.join(str(error).split())}); the file may be malformed")) from error
        for name in node.outputs:
            if name and name not in self.values:
                raise self._located(node, ModelError(f"output '{name}' was not computed"))
        self._check_declared(node)
        if context.added:
            self._costed += 1

    def _located(self, node: wire.NodeDef, error: Exception) -> ModelError:
        detail = str(error)
        if isinstance(error, NodeError):
            detail = detail[len(f"node '{error.node}' ({error.op}): "):]
            if isinstance(error.cause, OpError):
                detail = f"{error.cause.op} {detail}"
        if detail.startswith(f"{self.file}: "):
            return error if isinstance(error, ModelError) else ModelError(detail)
        label = node.name or f"#{self.model.graph.nodes.index(node) if node in self.model.graph.nodes else '?'}"
        return ModelError(f"{self.file}: node '{label}' ({node.op_type}): {detail}")

    def _opaque(self, context: NodeContext, reason: str) -> None:
        from ..ops.imported import Opaque

        node = context.node
        inputs = [v for v in (context.value(i) for i in range(len(node.inputs))) if isinstance(v, Tensor)]
        if any(not context.layout(i).standard for i in range(len(node.inputs))
               if isinstance(context.value(i), Tensor)):
            raise self._located(node, ModelError(f"{reason}; counting it as unknown needs its inputs with the "
                                                 f"batch first, but an input has it elsewhere"))
        shapes = []
        for name in node.outputs:
            declared = self.declared.get(name)
            dims = None if not declared else tuple(self._declared_dim(d) for d in declared)
            if dims is None or any(d is None for d in dims):
                raise self._located(node, ModelError(
                    f"{reason}; counting it as unknown needs its output shapes, but the file does not give "
                    f"the shape of '{name}' (run ONNX shape inference on the model first)"))
            shapes.append(dims[1:])
        op = Opaque(node.op_type, tuple(shapes))
        try:
            result = context.add(op, *inputs)
        except CostModelError as error:
            raise self._located(node, error) from error
        outputs = result if isinstance(result, tuple) else (result,)
        for i, tensor in enumerate(outputs):
            context.output(tensor, i)
        self.report.unknown.append(UnknownNode(node.name, node.op_type, outputs[0].node))

    def _declared_dim(self, dim):
        if isinstance(dim, int):
            return dim
        if isinstance(dim, str) and dim in self.dim_values:
            return self.dim_values[dim]
        return None

    def _check_declared(self, node: wire.NodeDef) -> None:
        """Compare each output's shape by our rules with the file's value_info, where it has one."""
        for name in node.outputs:
            declared = self.declared.get(name)
            value = self.values.get(name)
            if declared is None or value is None:
                continue
            ours = self.layouts.get(name, STANDARD).onnx_shape(value.shape, self.batch) \
                if isinstance(value, Tensor) else tuple(value.shape)
            theirs = tuple(self._declared_dim(d) for d in declared)
            if len(ours) != len(theirs) or any(t is not None and surely_different(o, t)
                                               for o, t in zip(ours, theirs)):
                shown = "[" + ", ".join(str(d) if d is not None else "?" for d in declared) + "]"
                raise self._located(node, ModelError(
                    f"output '{name}' has shape {fmt(ours)} by our rules, but the file's value_info says "
                    f"{shown}"))
            self.report.shapes_checked += 1

    def _refuse_unknown(self, nodes: list) -> None:
        """One error naming every op type we cannot handle, with its count and first node."""
        if self.allow_unknown:
            return
        constant = set(self.values) - {name for name, v in self.values.items() if isinstance(v, Tensor)}
        missing: dict[str, list] = {}
        from .patterns import Matched

        def parts(nodes):
            for node in nodes:
                if isinstance(node, Matched) and all(not name or name in constant for name in node.inputs):
                    yield from node.parts   # on constants it cannot fit: its parts are folded one by one
                else:
                    yield node

        for node in parts(nodes):
            if isinstance(node, Matched):  # a recognised layer (its parts are checked if it does not fit)
                continue
            op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
            inputs_constant = all(not name or name in constant for name in node.inputs)
            foldable = node.op_type in FOLDERS and (inputs_constant or node.op_type in SHAPE_READERS)
            if node.domain in ("", "ai.onnx") and (node.op_type in HANDLERS or foldable):
                if foldable:
                    constant.update(n for n in node.outputs if n)
                continue
            missing.setdefault(op, []).append(node)
        if missing:
            listed = "; ".join(f"{op} ({len(found)} node{'s' if len(found) > 1 else ''}, first "
                               f"'{found[0].name}')" for op, found in sorted(missing.items()))
            raise UnsupportedOps(f"{self.file}: unsupported ONNX op{'s' if len(missing) > 1 else ''}: {listed}",
                                 {op: (len(found), found[0].name) for op, found in missing.items()})


def input_symbols(graph: wire.GraphDef) -> dict[str, str]:
    """dim_param of the graph inputs -> the parameter name it is set by (itself when a valid name)."""
    initializers = {t.name for t in graph.initializers}
    names: dict[str, str] = {}
    for info in graph.inputs:
        if info.name in initializers or not info.shape:
            continue
        rank = len(info.shape)
        for axis, dim in enumerate(info.shape):
            if not isinstance(dim, str) or dim in names:
                continue
            fallback = "batch" if axis == 0 else {2: "height", 3: "width"}.get(axis, f"size{axis}") \
                if rank == 4 else ("batch" if axis == 0 else f"size{axis}")
            name = identifier(dim, fallback)
            base, count = name, 2
            while name in names.values():
                name = f"{base}{count}"
                count += 1
            names[dim] = name
    return names


def ordered_nodes(graph: wire.GraphDef, file: str, available: set) -> list:
    """The nodes in an order where each input exists before it is read; refuses cycles, tensors read but
    never made, and tensors made twice."""
    producer: dict[str, wire.NodeDef] = {}
    for node in graph.nodes:
        for name in node.outputs:
            if not name:
                continue
            if name in producer or name in available:
                raise ModelError(f"{file}: node '{node.name}' ({node.op_type}): output '{name}' is also made "
                                 f"elsewhere (each tensor must have one producer)")
            producer[name] = node
    for node in graph.nodes:
        for name in node.inputs:
            if name and name not in producer and name not in available:
                raise ModelError(f"{file}: node '{node.name}' ({node.op_type}): input '{name}' is made by no "
                                 f"node, initializer or graph input")
    waiting: dict[int, int] = {}
    readers: dict[str, list] = {}
    for index, node in enumerate(graph.nodes):
        needed = {name for name in node.inputs if name and name not in available}
        waiting[index] = len(needed)
        for name in needed:
            readers.setdefault(name, []).append(index)
    ready = [index for index, count in waiting.items() if count == 0]  # ascending: already a heap
    order = []
    while ready:
        index = heapq.heappop(ready)  # the earliest ready node: the file's own order when it is sorted
        node = graph.nodes[index]
        order.append(node)
        for name in node.outputs:
            for reader in readers.get(name, ()):
                waiting[reader] -= 1
                if waiting[reader] == 0:
                    heapq.heappush(ready, reader)
    if len(order) < len(graph.nodes):
        stuck = [n for i, n in enumerate(graph.nodes) if waiting[i] > 0]
        listed = ", ".join(f"'{n.name}' ({n.op_type})" for n in stuck[:5])
        raise ModelError(f"{file}: the graph has a cycle: {len(stuck)} node(s) wait on each other, e.g. {listed}")
    return order
