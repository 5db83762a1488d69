"""The device model: predicted seconds per node from its multiply-adds, its memory access and its op class.

Each node of a network is analysed as an inference engine runs it (convention ``paper``, BatchNorm and
activations fused into the convolution or fully connected layer before them: ``analyze(graph, "paper",
("bn", "activation"))``). A node of op class ``k`` with ``flops`` multiply-adds and ``bytes = 4 * mac``
(float32) then takes

    t = t0_k + flops / F_k + bytes / B_k          (combine "sum", the calibrated devices)
    t = t0_k + max(flops / F_k, bytes / B_k)      (combine "max", the rooflines "cpu" and "gpu")

where ``F_k`` (multiply-adds per second) and ``B_k`` (bytes per second) are the class's rates for an
*aligned* node and its ``misaligned_*`` rates for a *slow* one: a convolution or fully connected layer whose
channels (per group) are not a multiple of the device's ``alignment`` (the vector width ``v``, 8 float32
lanes with AVX2, 16 with AVX-512, or a divisor of it that calibration finds fits better: ONNX Runtime pads
multiples of 4 to its 8-wide blocks and runs other channel counts on slower code), an element-wise node
that computes a transcendental (sigmoid, swish, hard-swish, ...). For convolutions and fully connected layers ``flops`` is the padded
count: the layer's multiply-adds times ``(ceil(a/v)*v / a) * (ceil(b/v)*v / b)`` for its input and output
channels per group ``a`` and ``b`` (``padding_waste``; a depthwise convolution pads its channels once).
A node whose ``bytes`` exceed the device's ``cache_bytes`` (the per-core L2 cache) adds ``bytes / B_far_k``:
its tensors stream from the next cache level or memory. A rate of ``None`` leaves its term out. A node fused away costs 0. The
whole network takes ``sum(t) + run_overhead`` (the fixed cost of one inference call).

The classes (``CLASSES``): ``conv`` (dense k x k, k > 1), ``conv1x1``, ``depthwise`` (groups = input
channels), ``group_conv`` (1 < groups < channels), ``fc`` (fully connected and matrix products),
``elementwise`` (activations, BatchNorm left unfused, add, mul), ``pool`` and ``movement`` (concat, split,
shuffle, flatten, reshape).

Devices come from ``costmodel.device.files.load_device(name or path)``: the named profiles and device files.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..analysis import Analysis, LayerCost, analyze
from ..errors import UsageError
from ..graph import Graph
from ..values import show

CLASSES = ("conv", "conv1x1", "depthwise", "group_conv", "fc", "elementwise", "pool", "movement")
COMBINES = ("sum", "max")
BYTES_PER_ELEMENT = 4  # float32
FORMAT = "costmodel-device"
VERSION = 1
TRANSCENDENTAL = frozenset({"sigmoid", "swish", "hard_swish", "hard_sigmoid", "gelu", "tanh", "softmax", "exp",
                            "mish", "elu", "selu", "softplus", "erf", "lrn"})
RATE_FIELDS = ("flops_per_s", "bytes_per_s", "misaligned_flops_per_s", "misaligned_bytes_per_s", "far_bytes_per_s")


@dataclass(frozen=True)
class Rates:
    """One op class: fixed seconds per node ``t0``, then multiply-adds/s and bytes/s of aligned nodes and of
    slow (misaligned or transcendental) ones; ``None`` for a rate leaves its term out of ``t``."""

    t0: float = 0.0
    flops_per_s: float | None = None
    bytes_per_s: float | None = None
    misaligned_flops_per_s: float | None = None
    misaligned_bytes_per_s: float | None = None
    far_bytes_per_s: float | None = None

    def seconds(self, flops: float, nbytes: float, slow: bool, combine: str = "sum", far: bool = False) -> float:
        """``t0 + flops / F + bytes / B`` (or ``t0 + max(...)``), with the misaligned rates when ``slow``, and
        ``+ bytes / B_far`` when ``far`` (the node's bytes exceed the cache)."""
        f_rate = self.misaligned_flops_per_s if slow else self.flops_per_s
        b_rate = self.misaligned_bytes_per_s if slow else self.bytes_per_s
        compute = flops / f_rate if f_rate and flops else 0.0
        memory = nbytes / b_rate if b_rate and nbytes else 0.0
        if far and self.far_bytes_per_s and nbytes:
            memory += nbytes / self.far_bytes_per_s
        return self.t0 + (max(compute, memory) if combine == "max" else compute + memory)


@dataclass(frozen=True)
class LayerTime:
    """A node's predicted ``seconds``, its op class and whether it ran at the slow rates."""

    name: str
    op_class: str
    slow: bool
    seconds: float
    fused: bool = False


@dataclass(frozen=True)
class Prediction:
    """Predicted seconds of every node (``layers``, graph order) and of one inference (``total`` =
    the nodes' sum + the device's ``run_overhead``)."""

    device: str
    layers: tuple[LayerTime, ...]
    run_overhead: float

    @property
    def total(self) -> float:
        return sum(layer.seconds for layer in self.layers) + self.run_overhead

    @property
    def seconds(self) -> dict[str, float]:
        """Node name -> predicted seconds."""
        return {layer.name: layer.seconds for layer in self.layers}

    def share(self, names) -> float:
        """The share of the nodes ``names`` in the nodes' summed time (0 to 1)."""
        names = set(names)
        whole = sum(layer.seconds for layer in self.layers)
        return sum(layer.seconds for layer in self.layers if layer.name in names) / whole if whole else 0.0

    def by_class(self) -> dict[str, float]:
        """Op class -> predicted seconds, in order of first appearance."""
        out: dict[str, float] = {}
        for layer in self.layers:
            out[layer.op_class] = out.get(layer.op_class, 0.0) + layer.seconds
        return out


@dataclass(frozen=True)
class Device:
    """A device model (see the module doc for the formula): per op class its ``Rates``, how compute and
    memory time combine (``sum`` or ``max``), the vector width ``v`` in float32 lanes, the fixed seconds of
    one inference call, and where its numbers come from."""

    name: str
    classes: dict[str, Rates]
    combine: str = "sum"
    vector_width: int = 8
    run_overhead: float = 0.0
    description: str = ""
    info: dict = field(default_factory=dict, compare=False)
    cache_bytes: int = 0  # a node moving more bytes than this adds bytes / far_bytes_per_s (0: never)
    alignment: int = 0  # channels per group must be multiples of this to be aligned (0: the vector width)

    def layer_time(self, layer: LayerCost) -> LayerTime:
        """The predicted seconds of one analysed node (analysed as ``analysed`` does)."""
        kind = device_class(layer)
        slow = is_slow(layer, self.alignment or self.vector_width)
        if layer.fused:
            return LayerTime(layer.name, kind, slow, 0.0, True)
        flops = _number(layer, "flops") * padding_waste(layer, self.vector_width)
        mac = _number(layer, "mac")
        nbytes = BYTES_PER_ELEMENT * mac
        far = bool(self.cache_bytes) and nbytes > self.cache_bytes
        seconds = self.classes[kind].seconds(flops, nbytes, slow, self.combine, far)
        return LayerTime(layer.name, kind, slow, seconds)

    def predict(self, graph: Graph | Analysis) -> Prediction:
        """Predicted seconds of every node of ``graph`` (or of an analysis' graph) at batch 1 or its batch."""
        if isinstance(graph, Analysis):
            graph = graph.graph
        if not isinstance(graph, Graph):
            raise UsageError(f"predict takes a Graph or an Analysis, got {type(graph).__name__}")
        layers = tuple(self.layer_time(layer) for layer in analysed(graph).layers)
        return Prediction(self.name, layers, self.run_overhead)

    def as_dict(self) -> dict[str, Any]:
        """The device file's content (``save`` writes it as JSON)."""
        return {"format": FORMAT, "version": VERSION, "name": self.name, "description": self.description,
                "combine": self.combine, "vector_width": self.vector_width, "run_overhead": self.run_overhead,
                "cache_bytes": self.cache_bytes, "alignment": self.alignment or self.vector_width,
                "classes": {k: {"t0": r.t0, **{f: getattr(r, f) for f in RATE_FIELDS}}
                            for k, r in self.classes.items()},
                **({"info": self.info} if self.info else {})}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the device file to ``path`` (its folder made if missing); returns the path."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(self.as_dict(), indent=1) + "\n", encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write device file {show(str(path), limit=80)}: "
                             f"{error.strerror or error}") from None
        return path


def analysed(graph: Graph) -> Analysis:
    """``graph`` analysed as an inference engine runs it: convention ``paper``, BatchNorm and activations
    fused into the layer before them (the device model's view of every network and micro-benchmark)."""
    return analyze(graph, "paper", ("bn", "activation"))


def device_class(layer: LayerCost) -> str:
    """The op class of a node (``CLASSES``): convolutions by kernel and groups, then by the op's category."""
    op = layer.op
    category = op.category
    if category == "conv":
        groups = getattr(op, "groups", 1)
        c_in = layer.node.input_shapes[0][0]
        if groups == 1:
            return "conv1x1" if tuple(getattr(op, "kernel", (0, 0))) == (1, 1) else "conv"
        return "depthwise" if groups == c_in else "group_conv"
    if category in ("fc", "matmul"):
        return "fc"
    if category in ("pool", "movement", "elementwise"):
        return category
    return "elementwise"


def is_slow(layer: LayerCost, vector_width: int) -> bool:
    """Whether a node runs at its class's misaligned rates: a convolution or fully connected layer with
    channels per group (in or out) not a multiple of ``vector_width`` (the device's ``alignment``), an
    element-wise transcendental."""
    kind = device_class(layer)
    if kind == "elementwise":
        return layer.op.kind in TRANSCENDENTAL
    if kind not in ("conv", "conv1x1", "depthwise", "group_conv", "fc"):
        return False
    c_in = layer.node.input_shapes[0][0]
    c_out = layer.node.outputs[0][0]
    groups = getattr(layer.op, "groups", 1) if kind == "group_conv" else 1
    if kind == "depthwise":
        return not _multiple(c_in, vector_width)
    return not (_multiple(c_in // groups if isinstance(c_in, int) else c_in, vector_width)
                and _multiple(c_out // groups if isinstance(c_out, int) else c_out, vector_width))


def padding_waste(layer: LayerCost, vector_width: int) -> float:
    """How many more multiply-adds a SIMD kernel does than the layer counts when it pads channels to the
    vector width ``v``: ``(ceil(a / v) * v / a) * (ceil(b / v) * v / b)`` for a convolution's or fully
    connected layer's input and output channels per group ``a``, ``b`` (a depthwise convolution: its
    channels once); 1 for every other op and whenever the channels are multiples of ``v``."""
    kind = device_class(layer)
    if kind not in ("conv", "conv1x1", "depthwise", "group_conv", "fc"):
        return 1.0
    c_in, c_out = layer.node.input_shapes[0][0], layer.node.outputs[0][0]
    if not isinstance(c_in, int) or not isinstance(c_out, int):
        return 1.0
    groups = getattr(layer.op, "groups", 1) if kind == "group_conv" else 1
    if kind == "depthwise":
        return _padded(c_in, vector_width) / c_in
    a, b = c_in // groups, c_out // groups
    return (_padded(a, vector_width) / a) * (_padded(b, vector_width) / b)


def _padded(value: int, width: int) -> int:
    return -(-value // width) * width


def _multiple(value: Any, width: int) -> bool:
    return isinstance(value, int) and value % width == 0


def _number(layer: LayerCost, name: str) -> float:
    value = getattr(layer, name)
    if isinstance(value, int):
        return float(value)
    if getattr(value, "free_symbols", None):
        raise UsageError(f"the device model needs numbers, but {name} of layer {layer.name} is "
                         f"{show(value, limit=60)}: give every symbol a value")
    return float(value)


def duration(seconds: float) -> str:
    """Seconds as a person reads them: ``812 ns``, ``12.3 us``, ``4.56 ms``, ``1.23 s`` (3 significant digits)."""
    if not math.isfinite(seconds):
        return str(seconds)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"
