"""Any network as an ONNX model (opset 17): ``to_onnx(target) -> onnx.ModelProto``, ``export(target, path)``.

    import costmodel
    costmodel.export("shufflenet_v2", "shufflenet_v2.onnx")             # random weights, seeded
    model = costmodel.to_onnx("net.yaml", weights="zero", width=0.5)     # in memory, nothing written

Each IR node becomes the ONNX nodes that ``costmodel.onnx``'s importer reads back as that node, so that
``costmodel table net.onnx`` gives the same table as the network it was written from (same names, ops,
shapes, flops, params and mac).

**Names.** An ONNX node is named exactly as our node (``stage2.0.conv1``). A layer written as several ONNX
nodes names its main node ``<layer>`` and its helpers ``<layer>/<part>`` (a channel shuffle is
``<layer>/group`` (Reshape), ``<layer>`` (Transpose), ``<layer>/ungroup`` (Reshape); a swish is
``<layer>/sigmoid`` and ``<layer>`` (Mul); a GELU ``<layer>/div``, ``<layer>/erf``, ``<layer>/add``,
``<layer>/mul`` and ``<layer>`` (the final Mul)): whatever comes before the first ``/`` of an ONNX node
name is the layer it belongs to (what ``costmodel measure`` maps ONNX Runtime's profile back with). A
layer's output tensor is named as the layer (``<layer>:<i>`` for output ``i`` of a split), its weights
``<layer>.weight`` and ``<layer>.bias`` (BatchNorm: ``.scale``, ``.bias``, ``.mean``, ``.var``), a
helper's tensors ``<layer>/<part>``; the graph inputs keep their names.

**Weights.** ``weights="random"`` (default) draws every learned tensor from a seeded uniform
distribution scaled by its fan-in (``U(-b, b)``, ``b = sqrt(3/fan_in)``, so activations keep about their
size through the network), biases and BatchNorm shifts are 0, scales 1; ``"zero"`` writes zeros;
``None`` (``--no-weights``) writes no weight at all: each learned tensor and each BatchNorm statistic is
a graph input of its shape instead of an initializer (Netron still shows every shape), marked as such in
its metadata (``costmodel.role: weight``) so that the importer counts it as a parameter. Small constants
the ops need (shapes, clip bounds, GELU's constants) are initializers in every mode. One file holds at
most 2 GB (protobuf's limit): a network with more weights is refused unless written without them.

**Stages.** A layer whose stage is not the first part of its name (``conv1_bn`` reported under ``conv1``)
carries it as the node metadata ``costmodel.stage``, which the importer reads.

**Batch.** The graph's batch N is the first axis of every tensor: the graph's own (1 unless it says), or
``batch=4``; ``batch="N"`` writes the symbolic dimension ``N``, which the importer reads as the parameter
``N`` (ONNX Runtime then runs any batch).

**Refused.** A network with symbolic sizes (``-s resolution=r``) and the ops ONNX opset 17 has no faithful
form for (``shift``, ``deform_conv``, ``group_norm``, ``max_unpool``, a ``constant`` other than a learned
one read by Concat, ``layer_norm`` / ``instance_norm`` without affine parameters, a Linear with bias on a
rank > 1 input, Add or Mul of more than two tensors, ...) are refused with an ``ExportError`` naming the
node, the op and the reason; no file is written.
"""
from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

from ..errors import ExportError, UsageError
from ..graph import Graph, Node
from ..progress import stage
from .importer import ROLE_KEY, STAGE_KEY

OPSET = 17
WEIGHTS = ("random", "zero", None)
INT64_MAX = 2 ** 63 - 1
FILE_LIMIT = 2 ** 31  # bytes: protobuf's limit on one message, hence on an ONNX file with its weights inside


def _onnx():
    try:
        import onnx
    except ImportError:
        raise UsageError("ONNX export needs the onnx package: pip install 'costmodel[onnx]'") from None
    return onnx


def to_onnx(target: Any, *, weights: str | None = "random", opset: int = OPSET, seed: int = 0,
            batch: Any = None, **values: Any):
    """The ``onnx.ModelProto`` of ``target`` (a Graph, zoo name, spec or ONNX path, or a graph factory, built
    with ``values`` as ``costmodel.load`` does), checked with ``onnx.checker.check_model(full_check=True)``.

    Args:
        target: what to export; a ``Graph`` is exported as it is (``values`` must then be empty).
        weights: ``"random"`` (seeded by ``seed``), ``"zero"``, or ``None`` for no weights (graph inputs
            of the weights' shapes instead of initializers).
        opset: the ONNX opset to declare; only 17 is written.
        seed: picks the random weights (the same number, the same weights).
        batch: ``None`` writes the graph's batch size, a number another one; a name (``"N"``) writes a
            symbolic batch dimension.
    """
    if weights not in WEIGHTS:
        raise UsageError(f"export weights must be 'random', 'zero' or None, got {weights!r}")
    if opset != OPSET:
        raise UsageError(f"export writes ONNX opset {OPSET} only, got opset {opset!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"export seed must be a whole number at least 0, got {seed!r}")
    if batch is not None and not (isinstance(batch, str) and batch.isidentifier()) and \
            not (type(batch) is int and batch >= 1):
        raise UsageError(f"export batch must be None, a positive whole number or a name such as 'N', got {batch!r}")
    onnx = _onnx()
    if isinstance(target, Graph):
        if values:
            raise UsageError(f"export of a Graph takes no values, got {', '.join(values)}")
        graph = target
    else:
        from ..targets import load

        graph = load(target, **values)
    model = _Writer(graph, onnx, weights, seed, batch).model()
    if model.ByteSize() >= FILE_LIMIT:
        raise ExportError(f"graph '{graph.name}': the model would take {model.ByteSize() / 2 ** 30:.1f} GB, above "
                          f"the 2 GB an ONNX file holds; write it without weights (--no-weights)")
    try:
        with stage("checking ONNX"):
            onnx.checker.check_model(model, full_check=True)
    except Exception as error:  # a bug of ours, never the user's: say what the checker said
        first = " ".join(str(error).split())[:300]
        raise ExportError(f"graph '{graph.name}': the ONNX model written fails onnx.checker ({first}); "
                          f"this is a bug in costmodel's exporter") from None
    return model


def layer_of(onnx_node_name: str) -> str:
    """The layer an ONNX node of an exported model belongs to: its name up to the first ``/``
    (``stage2.0.shuffle/group`` -> ``stage2.0.shuffle``)."""
    return onnx_node_name.split("/", 1)[0]


def output_path(path: str | os.PathLike, what: str = "") -> Path:
    """``path`` as the file to write, refused when it is a directory or its folder does not exist;
    ``what`` prefixes the messages (``-o`` on the command line)."""
    where = Path(path)
    label = f"{what} {path}" if what else str(path)
    try:
        if where.is_dir():
            raise UsageError(f"{label}: is a directory; give the path of the ONNX file to write")
        if not where.parent.is_dir():
            raise UsageError(f"{label}: the folder {where.parent} does not exist")
    except OSError as error:  # a name too long, a loop of links
        raise UsageError(f"{label}: cannot write the ONNX file ({error.strerror or error})") from None
    return where


def export(target: Any, path: str | os.PathLike, *, weights: str | None = "random", opset: int = OPSET,
           seed: int = 0, batch: Any = None, **values: Any) -> Path:
    """Write ``to_onnx(target, ...)`` to ``path`` (see ``to_onnx``); returns the path. Nothing is written
    when the network cannot be exported."""
    where = output_path(path)
    model = to_onnx(target, weights=weights, opset=opset, seed=seed, batch=batch, **values)
    data = model.SerializeToString()
    try:
        with open(where, "wb") as handle:
            handle.write(data)
    except OSError as error:
        raise UsageError(f"{path}: cannot write the ONNX file ({error.strerror or error})") from None
    return where


def _symbolic(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return any(_symbolic(v) for v in value)
    return bool(getattr(value, "free_symbols", None))


class _Writer:
    """Builds the ModelProto node by node; ``lower_<kind>`` methods write one IR op each."""

    def __init__(self, graph: Graph, onnx, weights, seed: int, batch):
        import numpy

        self.graph = graph
        self.onnx = onnx
        self.helper = onnx.helper
        self.numpy = numpy
        self.weights = weights
        self.rng = numpy.random.default_rng(seed)
        self.batch = batch if batch is not None else graph.batch
        self.nodes: list = []
        self.initializers: list = []
        self.weight_inputs: list = []
        self.value_info: list = []
        self.names: dict[tuple[str, int], str] = {}
        self.weight_bytes = 0
        self._shared: dict[tuple, str] = {}

    # ----- the model ---------------------------------------------------------------------------------------
    def model(self):
        helper, onnx = self.helper, self.onnx
        graph = self.graph
        if _symbolic(self.batch):
            raise ExportError(f"graph '{graph.name}': the batch {graph.batch} is symbolic; ONNX export needs a "
                              f"number, or a name for a symbolic batch dimension (export batch=1 or batch='N')")
        inputs = []
        for name, tensor in graph.inputs.items():
            if _symbolic(tensor.shape):
                raise ExportError(f"graph '{graph.name}': input '{name}' has the symbolic shape "
                                  f"{_shown(tensor.shape)}; ONNX export needs numbers (set every symbol with -s)")
            self.names[(name, 0)] = name
            inputs.append(self._info(name, tensor.shape))
        readers = graph.consumers()
        outputs = []
        with stage("writing ONNX", len(graph)) as step:
            for node in graph:
                self._node(node, readers, outputs)
                step()
        if not outputs:
            raise ExportError(f"graph '{graph.name}': no node output is left unread; nothing to export")
        onnx_graph = helper.make_graph(self.nodes, graph.name, inputs + self.weight_inputs, outputs,
                                       initializer=self.initializers, value_info=self.value_info)
        model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="costmodel",
                                  doc_string=f"{graph.name}, written by costmodel export")
        model.ir_version = 8  # opset 17's IR version: readable by every ONNX Runtime from 1.12
        return model

    def _node(self, node: Node, readers: dict, outputs: list) -> None:
        """Write one IR node and declare its outputs (graph outputs when nothing reads them)."""
        self._check_numeric(node)
        lower = self.lowering(node.op.kind)
        if lower is None:
            raise self.refuse(node, REFUSED.get(node.op.kind, "ONNX opset 17 has no op this can be written as"))
        for index in range(len(node.outputs)):
            self.names[(node.name, index)] = node.name if len(node.outputs) == 1 else f"{node.name}:{index}"
        self.layer = node
        lower(node, node.op, [self.names[(t.node, t.index)] for t in node.inputs])
        if node.op.kind == "constant":
            return  # an initializer (or a weight input), already declared
        for index, shape in enumerate(node.outputs):
            info = self._info(self.names[(node.name, index)], shape)
            (self.value_info if readers.get((node.name, index)) else outputs).append(info)

    def lowering(self, kind: str):
        """The method writing op ``kind`` (``lower_<kind>``, or one ONNX node of the same inputs), or None."""
        if kind in SAME_INPUTS:
            return lambda node, op, inputs: self.add(SAME_INPUTS[kind], inputs, [node.name], node.name)
        if kind in BINARY:
            return lambda node, op, inputs: self._binary(BINARY[kind], node, inputs)
        return getattr(self, f"lower_{kind}", None)

    def _check_numeric(self, node: Node) -> None:
        for index, shape in enumerate(node.outputs):
            if _symbolic(shape):
                raise self.refuse(node, f"its output {_shown(shape)} is symbolic; ONNX export needs numbers "
                                        f"(set every symbol with -s)")
        for field in dataclasses.fields(node.op):
            if _symbolic(getattr(node.op, field.name)):
                raise self.refuse(node, f"its {field.name} {getattr(node.op, field.name)} is symbolic; ONNX "
                                        f"export needs numbers (set every symbol with -s)")

    def refuse(self, node: Node, reason: str) -> ExportError:
        return ExportError(f"cannot export node '{node.name}' ({node.op.op_name}): {reason}")

    def _info(self, name: str, shape: tuple, doc: str = ""):
        info = self.helper.make_tensor_value_info(name, self.onnx.TensorProto.FLOAT, [self.batch, *shape])
        if doc:
            info.doc_string = doc
        return info

    # ----- tensors -----------------------------------------------------------------------------------------
    def add(self, op_type: str, inputs: list, outputs: list, name: str, **attributes) -> None:
        made = self.helper.make_node(op_type, inputs, outputs, name=name, **attributes)
        layer = self.layer
        if layer.stage != layer.name.split(".")[0]:  # a stage the name does not say: the importer reads it
            self.helper.set_metadata_props(made, {STAGE_KEY: layer.stage})
        self.nodes.append(made)

    def learned(self, name: str, shape: tuple, fan_in: int | None = None, fill: float | None = None) -> str:
        """A learned tensor (or a BatchNorm statistic): random ``U(-b, b)``, ``b = sqrt(3/fan_in)``, or
        ``fill``; zeros with ``weights="zero"`` (statistics keep ``fill``); a graph input without weights."""
        numpy = self.numpy
        shape = tuple(int(d) for d in shape)
        if self.weights is None:
            info = self.helper.make_tensor_value_info(name, self.onnx.TensorProto.FLOAT, list(shape))
            info.doc_string = "a weight, written without its values (costmodel export --no-weights)"
            self.helper.set_metadata_props(info, {ROLE_KEY: "weight"})
            self.weight_inputs.append(info)
            return name
        self.weight_bytes += 4 * math.prod(shape)
        if self.weight_bytes >= FILE_LIMIT:  # refused before the values are made (they would not fit anyway)
            raise self.refuse(self.layer, f"the weights up to this layer take {self.weight_bytes / 2 ** 30:.1f} GB, "
                                          f"above the 2 GB an ONNX file holds; write it without weights (--no-weights)")
        if self.weights == "zero" and fan_in is not None:
            array = numpy.zeros(shape, numpy.float32)
        elif fan_in is not None:
            array = self.uniform(shape, fan_in)
        else:
            array = numpy.full(shape, fill, numpy.float32)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def uniform(self, shape: tuple, fan_in: int):
        """float32 draws from ``U(-b, b)``, ``b = sqrt(3/fan_in)`` (drawn in float32: VGG-16's 138M in a second)."""
        bound = self.numpy.float32(math.sqrt(3 / max(1, fan_in)))
        array = self.rng.random(shape, dtype=self.numpy.float32)
        array *= 2 * bound
        array -= bound
        return array

    def fixed(self, name: str, values, dtype: str = "int64", shape: tuple | None = None) -> str:
        """A small constant initializer (a shape, axes, a bound), written in every weights mode."""
        numpy = self.numpy
        array = numpy.array(values, dtype=dtype)
        if shape is not None:
            array = array.reshape(shape)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def scalar(self, name: str, value: float) -> str:
        return self.fixed(name, value, "float32", ())

    @staticmethod
    def axis(axis: int) -> int:
        """A per-sample axis as an ONNX axis (the batch is axis 0); a negative one counts from the end."""
        return axis + 1 if axis >= 0 else axis

    # ----- convolutions, fully connected, pooling ----------------------------------------------------------
    def lower_conv(self, node, op, inputs):
        c_in = node.inputs[0].shape[0]
        kh, kw = op.kernel
        weight = self.learned(f"{node.name}.weight", (op.out_channels, c_in // op.groups, kh, kw),
                              fan_in=c_in // op.groups * kh * kw)
        parts = [inputs[0], weight] + ([self.learned(f"{node.name}.bias", (op.out_channels,), fan_in=0)]
                                       if op.bias else [])
        self.add("Conv", parts, [node.name], node.name, kernel_shape=[kh, kw], strides=list(op.stride),
                 pads=[*op.padding, *op.padding], dilations=list(op.dilation), group=op.groups)

    def lower_conv_transpose(self, node, op, inputs):
        c_in = node.inputs[0].shape[0]
        kh, kw = op.kernel
        weight = self.learned(f"{node.name}.weight", (c_in, op.out_channels // op.groups, kh, kw),
                              fan_in=c_in // op.groups * kh * kw)
        parts = [inputs[0], weight] + ([self.learned(f"{node.name}.bias", (op.out_channels,), fan_in=0)]
                                       if op.bias else [])
        self.add("ConvTranspose", parts, [node.name], node.name, kernel_shape=[kh, kw], strides=list(op.stride),
                 pads=[*op.padding, *op.padding], dilations=list(op.dilation), group=op.groups,
                 output_padding=list(op.output_padding))

    def lower_linear(self, node, op, inputs):
        shape = node.inputs[0].shape
        features = shape[-1]
        if len(shape) == 1:
            weight = self.learned(f"{node.name}.weight", (op.out_features, features), fan_in=features)
            parts = [inputs[0], weight] + ([self.learned(f"{node.name}.bias", (op.out_features,), fan_in=0)]
                                           if op.bias else [])
            self.add("Gemm", parts, [node.name], node.name, transB=1)
            return
        if op.bias:
            raise self.refuse(node, f"a fully connected layer with bias on the rank-{len(shape)} input "
                                    f"{_shown(shape)} is a MatMul and an Add in ONNX, which read back as two layers")
        weight = self.learned(f"{node.name}.weight", (features, op.out_features), fan_in=features)
        self.add("MatMul", [inputs[0], weight], [node.name], node.name)

    def _window(self, node, op, op_type):
        inputs = [self.names[(t.node, t.index)] for t in node.inputs]
        self.add(op_type, inputs, [node.name], node.name, kernel_shape=list(op.kernel), strides=list(op.stride),
                 pads=[*op.padding, *op.padding], ceil_mode=int(op.ceil_mode))

    def lower_max_pool(self, node, op, inputs):
        self._window(node, op, "MaxPool")

    def lower_avg_pool(self, node, op, inputs):
        self._window(node, op, "AveragePool")

    def lower_reduce_mean(self, node, op, inputs):
        self._reduce(node, op, inputs, "ReduceMean")

    def lower_reduce_l2(self, node, op, inputs):
        self._reduce(node, op, inputs, "ReduceL2")

    def _reduce(self, node, op, inputs, op_type):
        rank = len(node.inputs[0].shape)
        axes = range(rank) if op.axes is None else [a % rank for a in op.axes]
        self.add(op_type, inputs, [node.name], node.name, axes=[a + 1 for a in axes], keepdims=int(op.keepdims))

    # ----- normalisations ----------------------------------------------------------------------------------
    def lower_batch_norm(self, node, op, inputs):
        c = node.inputs[0].shape[0]
        scale = self.learned(f"{node.name}.scale", (c,), fill=1.0)
        bias = self.learned(f"{node.name}.bias", (c,), fill=0.0)
        if self.weights == "zero":
            scale, bias = (self._zero_learned(name) for name in (scale, bias))
        mean = self.learned(f"{node.name}.mean", (c,), fill=0.0)
        var = self.learned(f"{node.name}.var", (c,), fill=1.0)
        self.add("BatchNormalization", [inputs[0], scale, bias, mean, var], [node.name], node.name)

    def _zero_learned(self, name: str) -> str:
        """Replace the just-written initializer ``name`` by zeros (a learned scale or shift, weights "zero")."""
        tensor = next(t for t in self.initializers if t.name == name)
        array = self.numpy.zeros(tuple(tensor.dims), self.numpy.float32)
        self.initializers[self.initializers.index(tensor)] = self.onnx.numpy_helper.from_array(array, name)
        return name

    def _affine(self, node, shape: tuple, bias: bool = True) -> list:
        scale = self.learned(f"{node.name}.weight", shape, fill=1.0)
        parts = [scale]
        if bias:
            parts.append(self.learned(f"{node.name}.bias", shape, fill=0.0))
        if self.weights == "zero":
            parts = [self._zero_learned(p) for p in parts]
        return parts

    def lower_layer_norm(self, node, op, inputs):
        if not op.affine:
            raise self.refuse(node, "ONNX LayerNormalization always has a scale; without affine parameters it "
                                    "would read back with params")
        shape = node.inputs[0].shape[-op.normalized_dims:]
        self.add("LayerNormalization", [inputs[0], *self._affine(node, shape, op.bias)], [node.name], node.name,
                 axis=-op.normalized_dims)

    def lower_instance_norm(self, node, op, inputs):
        if not op.affine:
            raise self.refuse(node, "ONNX InstanceNormalization always has a scale and a shift; without affine "
                                    "parameters it would read back with params")
        c = node.inputs[0].shape[0]
        self.add("InstanceNormalization", [inputs[0], *self._affine(node, (c,))], [node.name], node.name)

    def lower_lrn(self, node, op, inputs):
        self.add("LRN", inputs, [node.name], node.name, size=op.size, alpha=1e-4, beta=0.75, bias=1.0)

    # ----- activations ---------------------------------------------------------------------------------------
    def _unary(self, op_type, node, inputs, **attributes):
        self.add(op_type, inputs, [node.name], node.name, **attributes)

    def lower_hard_sigmoid(self, node, op, inputs):
        self._unary("HardSigmoid", node, inputs, alpha=1 / 6, beta=0.5)

    def lower_leaky_relu(self, node, op, inputs):
        self._unary("LeakyRelu", node, inputs, alpha=float(op.negative_slope))

    def lower_relu6(self, node, op, inputs):
        self._clip(node, inputs, 0.0, 6.0)

    def lower_clip(self, node, op, inputs):
        self._clip(node, inputs, op.min, op.max)

    def _clip(self, node, inputs, low: float, high: float):
        bounds = [self.scalar(f"{node.name}/min", low) if low != -math.inf else "",
                  self.scalar(f"{node.name}/max", high) if high != math.inf else ""]
        while bounds and not bounds[-1]:
            bounds.pop()
        self.add("Clip", [inputs[0], *bounds], [node.name], node.name)

    def lower_prelu(self, node, op, inputs):
        shape = node.inputs[0].shape
        slope_shape = (1,) if op.channels == 1 else (op.channels,) + (1,) * (len(shape) - 1)
        slope = self.learned(f"{node.name}.weight", slope_shape, fill=0.25)
        if self.weights == "zero":
            self._zero_learned(slope)
        self.add("PRelu", [inputs[0], slope], [node.name], node.name)

    def lower_swish(self, node, op, inputs):
        gate = f"{node.name}/sigmoid"
        self.add("Sigmoid", inputs, [gate], gate)
        self.add("Mul", [inputs[0], gate], [node.name], node.name)

    def lower_gelu(self, node, op, inputs):
        x, name = inputs[0], node.name
        self.add("Div", [x, self.scalar(f"{name}/sqrt2", math.sqrt(2))], [f"{name}/div"], f"{name}/div")
        self.add("Erf", [f"{name}/div"], [f"{name}/erf"], f"{name}/erf")
        self.add("Add", [f"{name}/erf", self.scalar(f"{name}/one", 1.0)], [f"{name}/add"], f"{name}/add")
        self.add("Mul", [x, f"{name}/add"], [f"{name}/mul"], f"{name}/mul")
        self.add("Mul", [f"{name}/mul", self.scalar(f"{name}/half", 0.5)], [name], name)

    def lower_softmax(self, node, op, inputs):
        self._unary("Softmax", node, inputs, axis=self.axis(op.axis))

    # ----- element-wise of two tensors, and with a constant -------------------------------------------------
    def _binary(self, op_type, node, inputs):
        if len(inputs) != 2:
            raise self.refuse(node, f"it takes {len(inputs)} inputs, and ONNX {op_type} takes two (a chain of "
                                    f"{op_type} nodes would read back as {len(inputs) - 1} layers)")
        self.add(op_type, inputs, [node.name], node.name)

    def _learned_operand(self, node, op, inputs, op_type, suffix, fill):
        if math.prod(op.shape) == 1:
            raise self.refuse(node, f"its learned tensor {_shown(op.shape)} holds one number, which ONNX readers "
                                    f"take for a fixed constant (its parameter would be lost)")
        tensor = self.learned(f"{node.name}.{suffix}", op.shape, fan_in=None, fill=fill)
        if self.weights == "zero":
            self._zero_learned(tensor)
        self.add(op_type, [inputs[0], tensor], [node.name], node.name)

    def lower_layer_scale(self, node, op, inputs):
        self._learned_operand(node, op, inputs, "Mul", "weight", 1.0)

    def lower_bias_add(self, node, op, inputs):
        self._learned_operand(node, op, inputs, "Add", "bias", 0.0)

    def lower_constant_arithmetic(self, node, op, inputs):
        value = f"{node.name}/value"
        shape = tuple(int(d) for d in op.shape)
        if math.prod(shape) <= 1:
            self.fixed(value, [1.0] * math.prod(shape), "float32", shape)
        else:  # a Constant node, not an initializer: a float initializer of several values is learned
            array = self.numpy.ones(shape, self.numpy.float32)
            self.add("Constant", [], [value], value, value=self.onnx.numpy_helper.from_array(array, value))
        self.add(op.operation.capitalize(), [inputs[0], value], [node.name], node.name)

    # ----- data movement ------------------------------------------------------------------------------------
    def lower_constant(self, node, op, inputs):
        """A learned constant read only by Concats (ViT's class token): an initializer named as the node, its
        batch axis a copy per sample; no ONNX node (the importer makes the Constant when it reaches the Concat)."""
        readers = [n for n in self.graph if any(t.node == node.name for t in n.inputs)]
        if not op.learned or not readers or any(n.op.kind != "concat" for n in readers):
            raise self.refuse(node, "a constant becomes an ONNX initializer, which the importer reads back as part "
                                    "of the op that reads it; only a learned one read by Concat comes back as itself")
        if not isinstance(self.batch, int):
            raise self.refuse(node, "a learned constant concatenated per sample needs the batch size as a number")
        shape = tuple(int(d) for d in op.shape)
        if self.weights is None:
            self.learned(node.name, (self.batch, *shape))
            return
        numpy = self.numpy
        if self.weights == "zero":
            one = numpy.zeros((1, *shape), numpy.float32)
        else:
            one = self.uniform((1, *shape), shape[-1])
        self.initializers.append(self.onnx.numpy_helper.from_array(numpy.repeat(one, self.batch, 0), node.name))

    def lower_concat(self, node, op, inputs):
        self.add("Concat", inputs, [node.name], node.name, axis=self.axis(op.axis))

    def lower_split(self, node, op, inputs):
        shape = node.inputs[0].shape
        if op.axis % len(shape) != 0 or len(shape) != 3:
            raise self.refuse(node, f"a split along axis {op.axis} of {_shown(shape)}: ONNX readers take splits "
                                    f"along the channels of [C, H, W] only")
        sizes = [out[0] for out in node.outputs]
        outputs = [self.names[(node.name, i)] for i in range(len(node.outputs))]
        self.add("Split", [inputs[0], self.fixed(f"{node.name}/sizes", sizes)], outputs, node.name, axis=1)

    def lower_channel_shuffle(self, node, op, inputs):
        c, h, w = node.inputs[0].shape
        g, name = op.groups, node.name
        self.add("Reshape", [inputs[0], self.fixed(f"{name}/grouped_shape", [0, g, c // g, h, w])],
                 [f"{name}/group"], f"{name}/group")
        self.add("Transpose", [f"{name}/group"], [f"{name}/transposed"], name, perm=[0, 2, 1, 3, 4])
        self.add("Reshape", [f"{name}/transposed", self.fixed(f"{name}/shape", [0, c, h, w])], [name],
                 f"{name}/ungroup")

    def lower_flatten(self, node, op, inputs):
        self.add("Flatten", inputs, [node.name], node.name, axis=1)

    def lower_reshape(self, node, op, inputs):
        target = [0, *node.outputs[0]]
        self.add("Reshape", [inputs[0], self.fixed(f"{node.name}/shape", target)], [node.name], node.name)

    def lower_squeeze(self, node, op, inputs):
        shape = node.inputs[0].shape
        if op.axes is None:
            axes = [i for i, d in enumerate(shape) if d == 1]
        else:
            axes = sorted(a % len(shape) for a in op.axes)
        self.add("Squeeze", [inputs[0], self.fixed(f"{node.name}/axes", [a + 1 for a in axes])], [node.name],
                 node.name)

    def lower_unsqueeze(self, node, op, inputs):
        rank = len(node.outputs[0])
        axes = sorted(a % rank for a in op.axes)
        self.add("Unsqueeze", [inputs[0], self.fixed(f"{node.name}/axes", [a + 1 for a in axes])], [node.name],
                 node.name)

    def lower_transpose(self, node, op, inputs):
        self.add("Transpose", inputs, [node.name], node.name, perm=[0, *(p + 1 for p in op.perm)])

    def lower_pad(self, node, op, inputs):
        rank = len(node.inputs[0].shape)
        pads = [0, *op.pads[:rank], 0, *op.pads[rank:]]
        self.add("Pad", [inputs[0], self.fixed(f"{node.name}/pads", pads)], [node.name], node.name, mode=op.mode)

    def lower_slice(self, node, op, inputs):
        stop = op.stop if op.stop is not None else (INT64_MAX if op.step > 0 else -INT64_MAX)
        name = node.name
        parts = [self.fixed(f"{name}/starts", [op.start]), self.fixed(f"{name}/ends", [stop]),
                 self.fixed(f"{name}/axes", [self.axis(op.axis)]), self.fixed(f"{name}/steps", [op.step])]
        self.add("Slice", [inputs[0], *parts], [name], name)

    def lower_gather(self, node, op, inputs):
        indices = self.fixed(f"{node.name}/indices", self.numpy.zeros(tuple(op.indices), "int64"))
        self.add("Gather", [inputs[0], indices], [node.name], node.name, axis=self.axis(op.axis))

    def lower_expand(self, node, op, inputs):
        shape = node.inputs[0].shape
        if len(op.shape) != len(shape):
            raise self.refuse(node, f"expanding {_shown(shape)} to {_shown(op.shape)} adds axes in front of the "
                                    f"batch's in ONNX (only an expand that keeps the rank can be written)")
        self.add("Expand", [inputs[0], self.fixed(f"{node.name}/shape", [1, *op.shape])], [node.name], node.name)

    def lower_upsample(self, node, op, inputs):
        c, h, w = node.outputs[0]
        mode = "nearest" if op.mode == "nearest" else "linear"
        name = node.name
        if op.size is None and all(isinstance(s, int) for s in op.scale):
            scales = self.fixed(f"{name}/scales", [1.0, 1.0, *map(float, op.scale)], "float32")
            self.add("Resize", [inputs[0], "", scales], [name], name, mode=mode)
        else:  # an output size (or a fractional scale, whose float32 could round the size the other way)
            if not isinstance(self.batch, int):
                raise self.refuse(node, "a resize to a size needs the batch size as a number (not batch='N')")
            sizes = self.fixed(f"{name}/sizes", [self.batch, c, h, w])
            self.add("Resize", [inputs[0], "", "", sizes], [name], name, mode=mode)

    def lower_matmul(self, node, op, inputs):
        left, right = (t.shape for t in node.inputs)
        if len(left) < 2 or len(right) < 2:
            raise self.refuse(node, f"a product of {_shown(left)} and {_shown(right)}: ONNX readers take a MatMul "
                                    f"of two activations with at least two axes each besides the batch")
        if len(left) != len(right):
            raise self.refuse(node, f"operands of different ranks {_shown(left)} and {_shown(right)}")
        self.add("MatMul", inputs, [node.name], node.name)

    def lower_einsum(self, node, op, inputs):
        letters = set(op.equation.replace(",", "").replace("->", "").replace(" ", ""))
        batch = next(c for c in "nbzyxwvutsrqponmlkjihgfedca" if c not in letters)
        left, output = op.equation.replace(" ", "").split("->")
        equation = ",".join(batch + term for term in left.split(",")) + "->" + batch + output
        self.add("Einsum", inputs, [node.name], node.name, equation=equation)


SAME_INPUTS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "erf": "Erf", "hard_swish": "HardSwish",
               "global_avg_pool": "GlobalAveragePool", "global_max_pool": "GlobalMaxPool", "identity": "Identity"}
BINARY = {"add": "Add", "mul": "Mul", "sub": "Sub", "div": "Div"}  # of two tensors


def written_kinds() -> set[str]:
    """The op kinds the exporter writes (the others are refused, ``REFUSED`` says why)."""
    return set(SAME_INPUTS) | set(BINARY) | {name[len("lower_"):] for name in dir(_Writer) if name.startswith("lower_")}


REFUSED = {
    "shift": "ONNX has no shift op (moving channel groups by kernel offsets is many slices and pads, which read "
             "back as many layers)",
    "deform_conv": "ONNX's DeformConv needs opset 19 and an offset input; opset 17 has no deformable convolution",
    "group_norm": "ONNX's GroupNormalization needs opset 18; opset 17 has none",
    "max_unpool": "ONNX MaxUnpool needs the indices of a MaxPool, which this op does not take",
    "unknown": "an imported node of an op type costmodel does not model cannot be written back",
}


def _shown(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"
