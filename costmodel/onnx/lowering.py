"""The writer behind ``costmodel.onnx.export``: each IR op lowered to the ONNX nodes the importer reads back
as that op (``lower_<kind>``), the tensors named and declared, the weights made; the conventions (names,
weights, stages, batch, refusals) are stated in ``costmodel.onnx.export``."""
from __future__ import annotations

import dataclasses
import math
from typing import Any

from ..errors import ExportError
from ..graph import Graph, Node
from ..progress import stage
from .importer import ROLE_KEY, STAGE_KEY
from .movement_lowering import MovementLowerings, shown as _shown

OPSET = 17
FILE_LIMIT = 2 ** 31  # bytes: protobuf's limit on one message, hence on an ONNX file with its weights inside


def _symbolic(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return any(_symbolic(v) for v in value)
    return bool(getattr(value, "free_symbols", None))


class Writer(MovementLowerings):
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
        weight = self.learned(f"{node.name}.weight", (features, op.out_features), fan_in=features)
        if not op.bias:
            self.add("MatMul", [inputs[0], weight], [node.name], node.name)
            return
        product = f"{node.name}/matmul"
        self.add("MatMul", [inputs[0], weight], [product], node.name)
        bias = self.learned(f"{node.name}.bias", (op.out_features,), fan_in=0)
        self.add("Add", [product, bias], [node.name], f"{node.name}/bias")

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


SAME_INPUTS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "erf": "Erf", "hard_swish": "HardSwish",
               "global_avg_pool": "GlobalAveragePool", "global_max_pool": "GlobalMaxPool", "identity": "Identity"}
BINARY = {"add": "Add", "mul": "Mul", "sub": "Sub", "div": "Div"}  # of two tensors


def written_kinds() -> set[str]:
    """The op kinds the exporter writes (the others are refused, ``REFUSED`` says why)."""
    return set(SAME_INPUTS) | set(BINARY) | {name[len("lower_"):] for name in dir(Writer) if name.startswith("lower_")}


REFUSED = {
    "shift": "ONNX has no shift op (moving channel groups by kernel offsets is many slices and pads, which read "
             "back as many layers)",
    "deform_conv": "ONNX's DeformConv needs opset 19 and an offset input; opset 17 has no deformable convolution",
    "group_norm": "ONNX's GroupNormalization needs opset 18; opset 17 has none",
    "max_unpool": "ONNX MaxUnpool needs the indices of a MaxPool, which this op does not take",
    "unknown": "an imported node of an op type costmodel does not model cannot be written back",
}
