"""Micro-benchmarks of single ops in ONNX Runtime, each op built twice from one description: as a costmodel
``Graph`` (whose analysis gives the features the device model reads) and as a tiny ONNX model written with
``onnx.helper`` (``copies`` independent copies of the op, or a chain of them, so that one run times several
nodes and the per-run overhead of ``session.run`` is spread). onnx, onnxruntime and numpy load lazily.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..graph import Graph
from ..ops import (Add, AvgPool2d, ChannelShuffle, Concat, Conv2d, Flatten, GlobalAvgPool, HardSwish, Linear,
                   MaxPool2d, Mul, ReLU, Sigmoid, Split)

OPSET = 17
# ONNX Runtime on one thread computes on the calling thread: its CPU time is the op's time, whatever else
# the machine runs (wall time counts the other processes' turns too)
CLOCK = time.thread_time


@dataclass(frozen=True)
class Case:
    """One micro-benchmark: an op ``kind`` with its sizes (``c``, ``c_out``, ``hw``, ``k``, ``stride``,
    ``groups``); ``layers()`` are its costmodel layers, ``model(copies)`` its ONNX model."""

    kind: str
    c: int
    hw: int = 1
    c_out: int = 0
    k: int = 1
    stride: int = 1
    groups: int = 1
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        sizes = f"{self.c}->{self.c_out}" if self.c_out else f"{self.c}"
        more = "".join(f" {k}{v}" for k, v in (("k", self.k), ("s", self.stride), ("g", self.groups)) if v != 1)
        return f"{self.kind} {sizes} @{self.hw}{more}"

    @property
    def chained(self) -> bool:
        """Whether copies run one after the other (the op keeps its input's shape; a pair of convolutions
        c -> c_out -> c does), as layers of a network do: ONNX Runtime then moves data between layouts only
        where the op itself asks for it. Ops that change the shape run side by side, each on its own input."""
        return self.stride == 1 and self.kind not in ("fc", "global_pool", "flatten", "concat", "split")

    def graph(self) -> Graph:
        """One unit of the benchmark as a costmodel graph: the op, or for a convolution with ``c_out != c``
        chained, the pair ``c -> c_out -> c`` (ShuffleNet V2's G1 block)."""
        g = Graph(self.kind, (self.c, self.hw, self.hw) if self.kind != "fc" else (self.c,))
        x = g.input
        pad = self.k // 2
        if self.kind == "conv":
            widths = [self.c_out, self.c] if self.chained and self.c_out != self.c else [self.c_out]
            for i, width in enumerate(widths):
                x = g.add(f"op{i}", Conv2d(width, kernel=self.k, stride=self.stride, padding=pad,
                                           groups=self.groups, bias=True), x)
                x = g.add(f"op{i}_relu", ReLU(), x)
        elif self.kind == "fc":
            g.add("op", Linear(self.c_out), x)
        elif self.kind in ("relu", "sigmoid", "hard_swish"):
            g.add("op", {"relu": ReLU, "sigmoid": Sigmoid, "hard_swish": HardSwish}[self.kind](), x)
        elif self.kind in ("add", "concat"):
            g.add("op", Add() if self.kind == "add" else Concat(), x, g.add("other", ReLU(), x))
        elif self.kind == "scale":  # squeeze-and-excitation's channel scale: [C, H, W] * [C, 1, 1]
            g.add("op", Mul(), x, g.add("other", GlobalAvgPool(), x))
        elif self.kind in ("max_pool", "avg_pool"):
            pool = MaxPool2d if self.kind == "max_pool" else AvgPool2d
            g.add("op", pool(self.k, stride=self.stride, padding=pad), x)
        elif self.kind == "global_pool":
            g.add("op", GlobalAvgPool(), x)
        elif self.kind == "split":
            g.add("op", Split(2), x)
        elif self.kind == "shuffle":
            g.add("op", ChannelShuffle(2), x)
        elif self.kind == "flatten":
            g.add("op", Flatten(), x)
        else:
            raise ValueError(f"unknown benchmark kind {self.kind!r}")
        return g

    def layers(self):
        """The layers of one unit, analysed as the device model analyses a network (BatchNorm and
        activations fused into the convolution before them); helper layers (``other``) are left out."""
        from .model import analysed

        return [layer for layer in analysed(self.graph()).layers if layer.name.startswith("op")]

    # ---- the ONNX side ------------------------------------------------------------------------------------
    def model(self, copies: int):
        """An ONNX model of ``copies`` units of this op: chained (``chained``) or side by side, each on its own
        graph input (identical nodes on one input would be merged by common-subexpression elimination)."""
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper

        rng = np.random.default_rng(0)
        nodes, inits, inputs, outputs = [], [], [], []
        shape = [1, self.c] + ([self.hw, self.hw] if self.kind != "fc" else [])

        def tensor(name):
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
            return name

        def constant(value, dtype=np.float32):
            name = f"k{len(inits)}"
            inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
            return name

        def node(op, ins, n_out=1, **attrs):
            outs = [f"t{len(nodes)}_{j}" for j in range(n_out)]
            nodes.append(helper.make_node(op, ins, outs, name=f"n{len(nodes)}", **attrs))
            return outs[0] if n_out == 1 else outs

        pads = [self.k // 2] * 4
        other = tensor("z") if self.kind == "add" and self.chained else None

        def unit(x):
            if self.kind == "conv":
                widths = [self.c_out, self.c] if self.chained and self.c_out != self.c else [self.c_out]
                c_in = self.c
                for width in widths:
                    w = constant(rng.standard_normal([width, c_in // self.groups, self.k, self.k]) * 0.05)
                    x = node("Conv", [x, w, constant(rng.standard_normal([width]) * 0.05)],
                             kernel_shape=[self.k] * 2, strides=[self.stride] * 2, pads=pads, group=self.groups)
                    x = node("Relu", [x])
                    c_in = width
                return [x]
            if self.kind == "fc":
                return [node("Gemm", [x, constant(rng.standard_normal([self.c_out, self.c]) * 0.05),
                                      constant(rng.standard_normal([self.c_out]) * 0.05)], transB=1)]
            if self.kind in ("relu", "sigmoid", "hard_swish", "global_pool", "flatten"):
                op = {"relu": "Relu", "sigmoid": "Sigmoid", "hard_swish": "HardSwish", "flatten": "Flatten",
                      "global_pool": "GlobalAveragePool"}[self.kind]
                return [node(op, [x], **({"axis": 1} if op == "Flatten" else {}))]
            if self.kind == "add":
                return [node("Add", [x, other or tensor(f"z{len(inputs)}")])]
            if self.kind == "concat":
                return [node("Concat", [x, tensor(f"z{len(inputs)}")], axis=1)]
            if self.kind == "scale":
                return [node("Mul", [x, constant(rng.standard_normal([1, self.c, 1, 1]))])]
            if self.kind in ("max_pool", "avg_pool"):
                return [node("MaxPool" if self.kind == "max_pool" else "AveragePool", [x],
                             kernel_shape=[self.k] * 2, strides=[self.stride] * 2, pads=pads)]
            if self.kind == "split":
                return node("Split", [x, constant([self.c // 2] * 2, np.int64)], 2, axis=1)
            if self.kind == "shuffle":
                x = node("Reshape", [x, constant([1, 2, self.c // 2, self.hw, self.hw], np.int64)])
                x = node("Transpose", [x], perm=[0, 2, 1, 3, 4])
                return [node("Reshape", [x, constant([1, self.c, self.hw, self.hw], np.int64)])]
            raise ValueError(f"unknown benchmark kind {self.kind!r}")

        if self.chained:
            x = tensor("x")
            for _ in range(copies):
                x, = unit(x)
            outputs = [x]
        elif self.kind == "conv":  # distinct weights: never merged, and one layout change of the input for all
            x = tensor("x")
            for _ in range(copies):
                outputs += unit(x)
        else:
            for i in range(copies):
                outputs += unit(tensor(f"x{i}"))
        graph_outputs = [helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in outputs]
        graph = helper.make_graph(nodes, self.kind, inputs, graph_outputs, inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def session(model_bytes: bytes, threads: int = 1, profile_prefix: str | None = None, optimized: str | None = None):
    """An ONNX Runtime CPU session on ``threads`` intra- and inter-op threads, full graph optimisation."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = threads
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    if profile_prefix is not None:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    if optimized is not None:
        options.optimized_model_filepath = optimized
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def time_runs(run, runs: int, warmup: int, budget: float | None = None, clock=time.perf_counter) -> list[float]:
    """Seconds of each of ``runs`` calls of ``run`` after ``warmup`` calls, read on ``clock`` (wall time by
    default; ``time.thread_time``: this thread's CPU time); with ``budget`` (wall seconds) at most as many
    runs as fit in it, at least 5."""
    for _ in range(warmup):
        run()
    times = []
    start = time.perf_counter()
    for i in range(runs):
        t = clock()
        run()
        times.append(clock() - t)
        if budget is not None and i >= 4 and time.perf_counter() - start > budget:
            break
    return times


def timed_pair(run, clocks=(time.perf_counter, time.thread_time)) -> tuple[float, float]:
    """(wall seconds, this thread's CPU seconds) of one call of ``run``."""
    wall, cpu = clocks
    w, c = wall(), cpu()
    run()
    return wall() - w, cpu() - c


def feeds(model) -> dict:
    import numpy as np

    rng = np.random.default_rng(1)
    out = {}
    for value in model.graph.input:
        dims = [d.dim_value or 1 for d in value.type.tensor_type.shape.dim]
        out[value.name] = rng.standard_normal(dims).astype(np.float32)
    return out


def quartile(times: list[float]) -> float:
    """The lower quartile of ``times``."""
    ordered = sorted(times)
    return ordered[(len(ordered) - 1) // 4]


def time_case(case: Case, copies: int, runs: int = 15, warmup: int = 2, budget: float = 0.3) -> float:
    """CPU seconds of one copy of ``case``'s op: runs of ``copies`` copies and of one copy alternate, and the
    median of their paired differences over ``copies - 1`` is the time of a copy (the per-run overhead and
    slow changes of the machine's load cancel out). Should noise make it no more than a tenth of a copy's
    share of the many-copy run, that share is used instead. With ``copies == 1``: the runs' lower quartile."""
    import statistics

    def runner(n):
        model = case.model(n)
        s = session(model.SerializeToString())
        binding = s.io_binding()
        for name, value in feeds(model).items():
            binding.bind_cpu_input(name, value)
        for output in s.get_outputs():
            binding.bind_output(output.name, "cpu")
        return lambda: s.run_with_iobinding(binding)

    many = runner(copies)
    if copies == 1:
        return quartile(time_runs(many, runs, warmup, budget, CLOCK))
    one = runner(1)
    for _ in range(warmup):
        one()
        many()
    pairs, start = [], time.perf_counter()
    for i in range(runs):
        t = CLOCK()
        one()
        middle = CLOCK()
        many()
        pairs.append((middle - t, CLOCK() - middle))
        if i >= 4 and time.perf_counter() - start > budget:
            break
    per_copy = statistics.median(m - o for o, m in pairs) / (copies - 1)
    share = quartile([m for _, m in pairs]) / copies
    return per_copy if per_copy > 0.1 * share else share


def overhead(runs: int = 15) -> float:
    """Median CPU seconds of one ``session.run`` of a model of one ReLU on one element: the fixed cost of an
    inference call (``Device.run_overhead``)."""
    import statistics

    case = Case("relu", 1, 1)
    model = case.model(1)
    s = session(model.SerializeToString())
    inputs = feeds(model)
    return statistics.median(time_runs(lambda: s.run(None, inputs), max(runs, 50), 5, 0.2, CLOCK))
