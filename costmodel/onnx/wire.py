"""A reader of the protobuf wire format for the parts of an ONNX model that costs depend on.

Why not ``onnx.load``: importing the ``onnx`` package takes seconds (it loads ml_dtypes), and parsing copies
every weight into memory. Costs need only the graph: nodes, attributes, tensor types and initializer
``dims``. This reader walks the file (memory-mapped) once, jumps over weight bytes, and reads the data of
an initializer only when it has at most ``SMALL_TENSOR`` elements (shape tensors, scalar constants).

Field numbers are those of ``onnx/onnx.proto`` (ModelProto, GraphProto, NodeProto, AttributeProto,
TensorProto, ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto).
Every malformed byte raises ``WireError``; nothing recurses deeper than one subgraph level.
"""
from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from typing import Any

from ..limits import MAX_DIMENSION as MAX_DIM, MAX_NODES

SMALL_TENSOR = 64       # elements: initializers up to this size have their values read
MAX_RANK = 16           # axes of a tensor

# TensorProto.DataType
FLOAT, UINT8, INT8, UINT16, INT16, INT32, INT64, STRING, BOOL, FLOAT16, DOUBLE, UINT32, UINT64 = range(1, 14)
BFLOAT16 = 16
FLOAT_TYPES = frozenset({FLOAT, FLOAT16, DOUBLE, BFLOAT16, *range(17, 25)})
INT_TYPES = frozenset({UINT8, INT8, UINT16, INT16, INT32, INT64, BOOL, UINT32, UINT64})
_RAW_FORMATS = {FLOAT: "f", DOUBLE: "d", INT64: "q", INT32: "i", INT16: "h", INT8: "b", UINT8: "B",
                UINT16: "H", UINT32: "I", UINT64: "Q", BOOL: "?"}


class WireError(Exception):
    """The bytes are not a well-formed ONNX protobuf; ``offset`` says where reading stopped."""

    def __init__(self, message: str, offset: int):
        self.offset = offset
        super().__init__(f"{message} (at byte {offset})")


@dataclass
class TensorDef:
    """An initializer or a tensor attribute: its shape, element type and, when small, its values."""

    name: str = ""
    dims: tuple = ()
    data_type: int = 0
    values: tuple | None = None   # flat, row-major; None when not read (large, external or unknown type)
    external: bool = False


@dataclass
class Attribute:
    name: str
    kind: str          # "float", "int", "string", "tensor", "graph", "floats", "ints", "strings", "other"
    value: Any


@dataclass
class NodeDef:
    name: str = ""
    op_type: str = ""
    domain: str = ""
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    attributes: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)   # metadata_props (costmodel export writes a layer's stage)


@dataclass
class ValueInfo:
    """A tensor's declared type: element type and shape (dims are ints, dim_param strings or None)."""

    name: str = ""
    elem_type: int = 0
    shape: tuple | None = None
    metadata: dict = field(default_factory=dict)   # metadata_props (costmodel export marks weight inputs)


@dataclass
class GraphDef:
    name: str = ""
    nodes: list = field(default_factory=list)
    initializers: list = field(default_factory=list)
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    value_info: list = field(default_factory=list)


@dataclass
class ModelDef:
    ir_version: int = 0
    producer: str = ""
    opsets: dict = field(default_factory=dict)   # domain -> version
    graph: GraphDef | None = None


class _Reader:
    def __init__(self, data):
        self.data = data

    def varint(self, pos: int, end: int) -> tuple[int, int]:
        data = self.data
        result = shift = 0
        while True:
            if pos >= end:
                raise WireError("truncated number", pos)
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result, pos
            shift += 7
            if shift >= 70:
                raise WireError("malformed number", pos)

    def fields(self, pos: int, end: int):
        """Yield ``(field_number, wire_type, value, start)`` for every field of a message; length-delimited
        values come as ``(start, end)`` spans, never copied."""
        while pos < end:
            key, pos = self.varint(pos, end)
            number, wire = key >> 3, key & 7
            if number == 0:
                raise WireError("field number 0", pos)
            if wire == 0:
                value, pos = self.varint(pos, end)
            elif wire == 2:
                length, pos = self.varint(pos, end)
                if pos + length > end:
                    raise WireError(f"a field of {length} bytes runs past the end of its message", pos)
                value = (pos, pos + length)
                pos += length
            elif wire == 5:
                if pos + 4 > end:
                    raise WireError("truncated 32-bit field", pos)
                value = (pos, pos + 4)
                pos += 4
            elif wire == 1:
                if pos + 8 > end:
                    raise WireError("truncated 64-bit field", pos)
                value = (pos, pos + 8)
                pos += 8
            else:
                raise WireError(f"unknown wire type {wire}", pos)
            yield number, wire, value

    def text(self, span) -> str:
        try:
            return bytes(self.data[span[0]:span[1]]).decode("utf-8")
        except UnicodeDecodeError as error:
            raise WireError("text that is not UTF-8", span[0]) from error

    def signed(self, value: int) -> int:
        return value - (1 << 64) if value >= 1 << 63 else value

    def ints(self, wire: int, value, out: list) -> None:
        """Append a repeated int64 field, packed or not."""
        if wire == 0:
            out.append(self.signed(value))
            return
        if wire != 2:
            raise WireError("an integer list of the wrong wire type", 0)
        pos, end = value
        while pos < end:
            number, pos = self.varint(pos, end)
            out.append(self.signed(number))

    def floats(self, wire: int, value, out: list, fmt: str = "<f", size: int = 4) -> None:
        start, end = value
        if (end - start) % size:
            raise WireError("a float list of a length that is not a multiple of its element size", start)
        out.extend(v for (v,) in struct.iter_unpack(fmt, bytes(self.data[start:end])))

    # ----- messages ----------------------------------------------------------------------------------------
    def model(self, end: int) -> ModelDef:
        model = ModelDef()
        graph_span = None
        for number, wire, value in self.fields(0, end):
            if number == 1 and wire == 0:
                model.ir_version = value
            elif number == 2 and wire == 2:
                model.producer = self.text(value)
            elif number == 7 and wire == 2:
                graph_span = value
            elif number == 8 and wire == 2:
                domain, version = "", 0
                for n, w, v in self.fields(*value):
                    if n == 1 and w == 2:
                        domain = self.text(v)
                    elif n == 2 and w == 0:
                        version = self.signed(v)
                model.opsets[domain or "ai.onnx"] = version
        if graph_span is not None:
            model.graph = self.graph(*graph_span)
        return model

    def graph(self, pos: int, end: int) -> GraphDef:
        graph = GraphDef()
        count = 0
        for number, wire, value in self.fields(pos, end):  # count first: a huge graph is refused cheaply
            if number == 1:
                count += 1
                if count > MAX_NODES:
                    raise LimitError(f"the graph has more than {MAX_NODES:,} nodes")
        for number, wire, value in self.fields(pos, end):
            if wire != 2:
                continue
            if number == 1:
                graph.nodes.append(self.node(*value))
            elif number == 2:
                graph.name = self.text(value)
            elif number == 5:
                graph.initializers.append(self.tensor(*value))
            elif number == 15:
                graph.initializers.append(self.sparse_tensor(*value))
            elif number == 11:
                graph.inputs.append(self.value_info(*value))
            elif number == 12:
                graph.outputs.append(self.value_info(*value))
            elif number == 13:
                graph.value_info.append(self.value_info(*value))
        return graph

    def node(self, pos: int, end: int) -> NodeDef:
        node = NodeDef()
        for number, wire, value in self.fields(pos, end):
            if wire != 2:
                continue
            if number == 1:
                node.inputs.append(self.text(value))
            elif number == 2:
                node.outputs.append(self.text(value))
            elif number == 3:
                node.name = self.text(value)
            elif number == 4:
                node.op_type = self.text(value)
            elif number == 7:
                node.domain = self.text(value)
            elif number == 5:
                attribute = self.attribute(*value)
                node.attributes[attribute.name] = attribute
            elif number == 9:
                self._entry(node.metadata, value)
        return node

    def _entry(self, into: dict, span) -> None:
        """A StringStringEntryProto (key 1, value 2) into ``into``."""
        key, text = "", ""
        for n, w, v in self.fields(*span):
            if n == 1 and w == 2:
                key = self.text(v)
            elif n == 2 and w == 2:
                text = self.text(v)
        into[key] = text

    def attribute(self, pos: int, end: int) -> Attribute:
        name, declared = "", 0
        scalars: dict[str, Any] = {}
        ints: list = []
        floats: list = []
        strings: list = []
        for number, wire, value in self.fields(pos, end):
            if number == 1 and wire == 2:
                name = self.text(value)
            elif number == 20 and wire == 0:
                declared = value
            elif number == 2 and wire == 5:
                scalars["float"] = struct.unpack("<f", bytes(self.data[value[0]:value[1]]))[0]
            elif number == 3 and wire == 0:
                scalars["int"] = self.signed(value)
            elif number == 4 and wire == 2:
                scalars["string"] = bytes(self.data[value[0]:value[1]])
            elif number == 5 and wire == 2:
                scalars["tensor"] = self.tensor(*value)
            elif number in (6, 11):
                scalars["graph"] = True
            elif number == 7:
                if wire == 5:
                    floats.append(struct.unpack("<f", bytes(self.data[value[0]:value[1]]))[0])
                elif wire == 2:
                    self.floats(wire, value, floats)
            elif number == 8:
                self.ints(wire, value, ints)
            elif number == 9 and wire == 2:
                strings.append(bytes(self.data[value[0]:value[1]]))
        kinds = {1: "float", 2: "int", 3: "string", 4: "tensor", 5: "graph", 6: "floats", 7: "ints", 8: "strings"}
        kind = kinds.get(declared)
        if kind is None:  # files before IR version 4 may omit the type: infer it from what is set
            kind = next(iter(scalars), None) or ("ints" if ints else "floats" if floats else
                                                 "strings" if strings else "ints")
        value = {"floats": floats, "ints": ints, "strings": strings}.get(kind, scalars.get(kind))
        if value is None:
            kind, value = "other", None
        return Attribute(name, kind, value)

    def tensor(self, pos: int, end: int) -> TensorDef:
        tensor = TensorDef()
        dims: list = []
        raw = None
        typed: list = []
        for number, wire, value in self.fields(pos, end):
            if number == 1:
                self.ints(wire, value, dims)
            elif number == 2 and wire == 0:
                tensor.data_type = value
            elif number == 8 and wire == 2:
                tensor.name = self.text(value)
            elif number == 9 and wire == 2:
                raw = value
            elif number == 14 and wire == 0:
                tensor.external = value == 1
            elif number in (4, 5, 7, 10, 11) and wire in (0, 1, 2, 5):
                typed.append((number, wire, value))
        tensor.dims = tuple(dims)
        for d in tensor.dims:
            if d < 0 or d > MAX_DIM:
                raise LimitError(f"initializer '{tensor.name}' has dimension {d} (dimensions are 0 to {MAX_DIM:,})")
        count = 1
        for d in tensor.dims:
            count *= d
        if count <= SMALL_TENSOR and not tensor.external:
            tensor.values = self._values(tensor, count, raw, typed)
        return tensor

    def _values(self, tensor: TensorDef, count: int, raw, typed: list) -> tuple | None:
        kind = tensor.data_type
        if raw is not None:
            fmt = _RAW_FORMATS.get(kind)
            if fmt is None:
                return None
            size = struct.calcsize(fmt)
            start, stop = raw
            if stop - start != size * count:
                raise WireError(f"initializer '{tensor.name}' has {stop - start} data bytes for {count} "
                                f"elements", start)
            return struct.unpack(f"<{count}{fmt}", bytes(self.data[start:stop]))
        values: list = []
        for number, wire, value in typed:
            if number == 4 and kind == FLOAT:
                if wire == 2:
                    self.floats(wire, value, values)
                elif wire == 5:
                    values.append(struct.unpack("<f", bytes(self.data[value[0]:value[1]]))[0])
            elif number == 10 and kind == DOUBLE:
                if wire == 2:
                    self.floats(wire, value, values, "<d", 8)
                elif wire == 1:
                    values.append(struct.unpack("<d", bytes(self.data[value[0]:value[1]]))[0])
            elif number in (5, 7, 11) and kind in INT_TYPES:
                self.ints(wire, value, values)
        if len(values) != count:
            return None
        if kind == BOOL:
            return tuple(bool(v) for v in values)
        return tuple(values)

    def sparse_tensor(self, pos: int, end: int) -> TensorDef:
        tensor = TensorDef()
        dims: list = []
        for number, wire, value in self.fields(pos, end):
            if number == 3:
                self.ints(wire, value, dims)
            elif number == 1 and wire == 2:
                values = self.tensor(*value)
                tensor.name, tensor.data_type = values.name, values.data_type
        tensor.dims = tuple(dims)
        return tensor

    def value_info(self, pos: int, end: int) -> ValueInfo:
        info = ValueInfo()
        for number, wire, value in self.fields(pos, end):
            if number == 1 and wire == 2:
                info.name = self.text(value)
            elif number == 2 and wire == 2:
                for n, w, v in self.fields(*value):
                    if n == 1 and w == 2:  # tensor_type
                        self._tensor_type(info, v)
            elif number == 4 and wire == 2:
                self._entry(info.metadata, value)
        return info

    def _tensor_type(self, info: ValueInfo, span) -> None:
        for number, wire, value in self.fields(*span):
            if number == 1 and wire == 0:
                info.elem_type = value
            elif number == 2 and wire == 2:
                dims = []
                for n, w, v in self.fields(*value):
                    if n != 1 or w != 2:
                        continue
                    dim = None
                    for dn, dw, dv in self.fields(*v):
                        if dn == 1 and dw == 0:
                            dim = self.signed(dv)
                            if dim < 0 or dim > MAX_DIM:
                                raise LimitError(f"tensor '{info.name}' has dimension {dim} (dimensions are "
                                                 f"0 to {MAX_DIM:,})")
                        elif dn == 2 and dw == 2:
                            dim = self.text(dv)
                    dims.append(dim)
                    if len(dims) > MAX_RANK:
                        raise LimitError(f"tensor '{info.name}' has more than {MAX_RANK} dimensions")
                info.shape = tuple(dims)


class LimitError(Exception):
    """The file is well-formed but beyond the stated limits (nodes, dimensions, rank)."""


def read_model(path) -> ModelDef:
    """Decode ``path`` (a ``.onnx`` file) into a ``ModelDef``; external data is never opened."""
    with open(path, "rb") as handle:
        try:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            raise WireError("the file is empty", 0) from None
    try:
        return _Reader(data).model(len(data))
    finally:
        data.close()


def read_bytes(content: bytes) -> ModelDef:
    """Decode a serialized ModelProto held in memory."""
    return _Reader(memoryview(content)).model(len(content))
