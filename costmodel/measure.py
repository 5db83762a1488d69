"""``measure(graph)``: run a network in ONNX Runtime on this machine and time it, in total and per layer.

The graph is exported in memory (``costmodel.onnx.export``: ONNX node names are our node names, a layer
written as several ONNX nodes names them ``<layer>/<part>``) and run on the CPU with ``threads`` intra- and
inter-op threads (1 by default), batch 1, full graph optimisation:

* **wall time**: ``warmup`` runs, then ``runs`` timed runs of ``session.run``; their median, quartiles,
  minimum and maximum; and, on one thread, the median CPU time of the calling thread (ONNX Runtime computes
  on it: this is the run's time without the turns other processes took on a busy machine);
* **per layer**: a second session with ONNX Runtime's profiler on (``SessionOptions.enable_profiling``)
  runs ``profile_runs`` more times; each kernel's time per run (the median over those runs) is given to the
  layer it computes. ONNX Runtime rewrites the graph first: it fuses nodes (Conv + BatchNorm + ReLU into one
  ``FusedConv``, a residual Add into the convolution before it), removes some (Identity, Flatten before a
  Gemm) and inserts layout changes (``ReorderInput`` / ``ReorderOutput`` around its blocked-channel
  ``NCHWc`` kernels). The rewritten graph is read back (``SessionOptions.optimized_model_filepath``) and
  every kernel is traced to our nodes through its name and tensors: a fused kernel's time goes to the
  first node it computes and its row says which nodes it fuses (``fused: conv1+bn1+relu1``); a layout change
  goes to the layer that needs it; a node ONNX Runtime removed takes no time and says so.

Profiling slows small kernels down, so the per-layer times add up to more than the wall time; both are
reported. onnx and onnxruntime are optional (``pip install 'costmodel[measure]'``) and load only here.
"""
from __future__ import annotations

import json
import os
import statistics
import tempfile
from dataclasses import dataclass, field
from typing import Any

from .device.calibrate import have_onnxruntime
from .errors import UsageError
from .graph import Graph

MAX_RUNS = 100_000
INSTALL = "costmodel measure needs onnx and onnxruntime: pip install 'costmodel[measure]'"


@dataclass(frozen=True)
class LayerMeasure:
    """One of our nodes: its median ``seconds`` per run (from the profile), the ONNX Runtime kernels given to
    it (op types), the other nodes a kernel of it fused (``fused``), or the node it was fused into
    (``into``), and whether ONNX Runtime removed it."""

    name: str
    op: str
    seconds: float
    kernels: tuple[str, ...] = ()
    fused: tuple[str, ...] = ()
    into: str = ""
    removed: bool = False
    layout: int = 0  # layout changes (ReorderInput/ReorderOutput) given to it

    @property
    def note(self) -> str:
        """What ONNX Runtime did with the node, in words (``fused: conv1+bn1+relu1``)."""
        parts = []
        if self.fused:
            parts.append("fused: " + "+".join((self.name, *self.fused)))
        if self.into:
            parts.append(f"in {self.into}")
        if self.removed:
            parts.append("removed by ONNX Runtime")
        if self.layout:
            parts.append(f"{self.layout} layout change{'s' if self.layout > 1 else ''}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Measurement:
    """What ``measure`` found: wall times of every timed run, per-layer times, and how they were taken."""

    name: str
    wall: tuple[float, ...]
    layers: tuple[LayerMeasure, ...]
    threads: int
    warmup: int
    profile_runs: int
    onnxruntime: str
    unattributed: float = 0.0  # seconds per run of kernels traced to none of our nodes
    cpu: tuple[float, ...] = ()  # the calling thread's CPU seconds of each timed run
    info: dict = field(default_factory=dict, compare=False)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float | None:
        """The median CPU seconds of the calling thread per run: on one thread ONNX Runtime computes there,
        so this is the run's time without the turns other processes took (None with more threads)."""
        return statistics.median(self.cpu) if self.cpu and self.threads == 1 else None

    @property
    def quartiles(self) -> tuple[float, float]:
        """The lower and upper quartiles of the wall times (the interquartile range is their difference)."""
        if len(self.wall) < 2:
            return self.wall[0], self.wall[0]
        q = statistics.quantiles(self.wall, n=4, method="inclusive")
        return q[0], q[2]

    @property
    def profiled_total(self) -> float:
        """The per-layer times summed (profiled runs; more than ``median``: profiling costs time)."""
        return sum(layer.seconds for layer in self.layers) + self.unattributed

    def seconds(self) -> dict[str, float]:
        """Our node name -> measured seconds per run."""
        return {layer.name: layer.seconds for layer in self.layers}

    def as_dict(self) -> dict[str, Any]:
        q1, q3 = self.quartiles
        return {"name": self.name, "onnxruntime": self.onnxruntime, "threads": self.threads, "batch": 1,
                "warmup": self.warmup, "runs": len(self.wall), "profile_runs": self.profile_runs,
                "wall": {"median": self.median, "q1": q1, "q3": q3, "min": min(self.wall), "max": max(self.wall)},
                "cpu": {"median": self.cpu_median},
                "profiled_total": self.profiled_total, "unattributed": self.unattributed,
                "layers": [{"name": l.name, "op": l.op, "seconds": l.seconds, "kernels": list(l.kernels),
                            "fused": list(l.fused), "into": l.into or None, "removed": l.removed,
                            "layout_changes": l.layout, "note": l.note} for l in self.layers]}


def check_counts(runs: int, warmup: int, threads: int, profile_runs: int | None = None) -> None:
    """Runs at least 1, warm-up runs 0 or more, threads at least 1 (all at most ``MAX_RUNS``)."""
    for name, value, low in (("runs", runs, 1), ("warmup", warmup, 0), ("threads", threads, 1),
                             ("profile_runs", profile_runs if profile_runs is not None else 1, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_RUNS:
            raise UsageError(f"measure {name} must be a whole number from {low} to {MAX_RUNS}, got {value!r}")
    if threads > 1024:
        raise UsageError(f"measure threads must be at most 1024, got {threads}")


def onnx_model(graph: Graph):
    """The ONNX model of ``graph`` in memory (``costmodel.onnx.export.to_onnx``; random seeded weights, batch 1)."""
    from .onnx.export import to_onnx

    return to_onnx(graph, batch=1)


def measure(graph: Graph, *, threads: int = 1, runs: int = 20, warmup: int = 5, profile_runs: int | None = None,
            model: Any = None) -> Measurement:
    """Time ``graph`` in ONNX Runtime (see the module doc): ``runs`` timed runs after ``warmup``, then
    ``profile_runs`` (default ``min(runs, 10)``) profiled runs for the per-layer times (0: none, and no
    per-layer rows). ``model`` is the ONNX ``ModelProto`` to run instead of the export (its node names must
    be ours or ``<node>/<part>``)."""
    if profile_runs is None:
        profile_runs = min(runs, 10)
    check_counts(runs, warmup, threads, profile_runs or None)
    if not have_onnxruntime():
        raise UsageError(INSTALL)
    import onnx
    import onnxruntime

    from .device.bench import feeds, session, timed_pair

    if model is None:
        model = onnx_model(graph)
    data = model.SerializeToString()
    inputs = feeds(model)
    with tempfile.TemporaryDirectory(prefix="costmodel-measure-") as folder:
        optimized_path = os.path.join(folder, "optimized.onnx")
        try:
            timed = session(data, threads)
        except Exception as error:  # onnxruntime's own exception types vary between versions
            raise UsageError(f"ONNX Runtime cannot run {graph.name}: {_first_line(error)}") from None
        run = lambda: timed.run(None, inputs)  # noqa: E731
        for _ in range(warmup):
            run()
        wall, cpu = zip(*(timed_pair(run) for _ in range(runs)))
        if profile_runs == 0:
            return Measurement(graph.name, wall, (), threads, warmup, 0, onnxruntime.__version__, cpu=cpu)
        # the profiled session saves its own rewritten graph: the names of the nodes ONNX Runtime creates
        # (ReorderOutput_token_163, HardSigmoid_192) differ from one session to the next
        profiled = session(data, threads, profile_prefix=os.path.join(folder, "profile"), optimized=optimized_path)
        optimized = onnx.load(optimized_path, load_external_data=False)
        for _ in range(warmup + profile_runs):
            profiled.run(None, inputs)
        trace_path = profiled.end_profiling()
        with open(trace_path, encoding="utf-8") as handle:
            trace = json.load(handle)
    kernels = kernel_times(trace, skip=warmup)
    layers, unattributed = attribute(graph, model, optimized, kernels)
    return Measurement(graph.name, wall, layers, threads, warmup, profile_runs, onnxruntime.__version__,
                       unattributed, cpu)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


def kernel_times(trace: list, skip: int = 0) -> dict[str, tuple[str, float]]:
    """ONNX Runtime kernel name -> (op type, median seconds per run) from a profile trace, leaving out the
    first ``skip`` runs. A run is a ``model_run`` event; a kernel, a ``Node`` event named ``<node>_kernel_time``."""
    runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in trace
                  if e.get("cat") == "Session" and e.get("name") == "model_run")
    runs = runs[skip:] if len(runs) > skip else runs
    per_run: list[dict[str, float]] = [{} for _ in runs]
    ops: dict[str, str] = {}
    for event in trace:
        name = event.get("name", "")
        if event.get("cat") != "Node" or not name.endswith("_kernel_time"):
            continue
        node = name[:-len("_kernel_time")]
        ops[node] = event.get("args", {}).get("op_name", "")
        ts = event["ts"]
        for i, (start, end) in enumerate(runs):
            if start <= ts <= end:
                per_run[i][node] = per_run[i].get(node, 0.0) + event["dur"] * 1e-6
                break
    return {node: (ops[node], statistics.median(r.get(node, 0.0) for r in per_run) if per_run else 0.0)
            for node in ops}


def attribute(graph: Graph, model, optimized, kernels: dict[str, tuple[str, float]]):
    """Our nodes' ``LayerMeasure`` rows (graph order) and the seconds traced to none of them.

    Every node of ``model`` is traced to the kernel (a node of ONNX Runtime's rewritten graph ``optimized``)
    that computes it: the kernel named after it (its name, or its name with a prefix or suffix ONNX Runtime
    adds: ``fused fc6``, ``relu1_nchwc``), else the kernel that now writes its output, else the kernel of the node that reads its
    output (a BatchNorm between a convolution and its ReLU), else none (removed). A kernel's time goes to the
    first node, in graph order, of the kernel's op type traced to it (else the first); the others are fused
    into that one. A kernel ONNX Runtime
    created (a layout change) serves the kernel that reads its output (``ReorderInput``) or that wrote its
    input (otherwise). ``model`` node names are ours or ``<ours>/<part>``."""
    from .onnx.export import layer_of

    ours = {node.name: node for node in graph.nodes}
    order = {node.name: i for i, node in enumerate(model.graph.node)}
    original = {node.name: node for node in model.graph.node}

    def our_name(onnx_name: str | None) -> str | None:
        if onnx_name is None:
            return None
        if onnx_name in ours:
            return onnx_name
        head = layer_of(onnx_name)
        return head if head in ours else None

    opt_nodes = list(optimized.graph.node)
    writer = {out: n for n in opt_nodes for out in n.output}
    readers: dict[str, list] = {}
    for n in opt_nodes:
        for name in n.input:
            readers.setdefault(name, []).append(n)
    ranked = sorted(original, key=len, reverse=True)

    def own(name: str) -> str | None:
        """The model node an optimized node is named after: its name, less a prefix ONNX Runtime adds
        (``fused fc6``), less a suffix (``relu1_nchwc``)."""
        for candidate in (name, name.rpartition(" ")[2]):
            if candidate in original:
                return candidate
            found = next((c for c in ranked if candidate.startswith(c + "_")), None)
            if found is not None:
                return found
        return None

    # nodes ONNX Runtime inlined from a function (HardSwish -> HardSigmoid, Mul) have no name in the saved
    # graph and <OpType>_<index> in the profile: matched in order, op type by op type
    opt_names = {n.name for n in opt_nodes if n.name}
    spare: dict[str, list[str]] = {}
    for name, (op_type, _) in kernels.items():
        head, _, index = name.rpartition("_")
        if name not in opt_names and head == op_type and index.isdigit():
            spare.setdefault(op_type, []).append(name)
    for names in spare.values():
        names.sort(key=lambda k: int(k.rpartition("_")[2]))
    key = {}
    for i, n in enumerate(opt_nodes):
        key[id(n)] = n.name or (spare[n.op_type].pop(0) if spare.get(n.op_type) else f"#{i}")
    model_writer = {out: name for name, node in original.items() for out in node.output}

    def own_node(node, seen=()) -> str | None:
        """The model node an optimized node is (a node without a name: the one whose tensor it writes, or
        whose writer reads its output)."""
        if node.name:
            return own(node.name)
        for out in node.output:
            if out in model_writer:
                return model_writer[out]
        if id(node) in seen:
            return None
        for reader in (r for out in node.output for r in readers.get(out, [])):
            found = own_node(reader, (*seen, id(node)))
            if found is not None:
                return found
        return None

    named = {}
    for n in opt_nodes:
        mine = own_node(n)
        if mine is not None:
            named.setdefault(mine, n)

    def compute(node, seen=()):
        """The computing kernel behind an optimized node (itself, or for a layout change its neighbour)."""
        if own_node(node) is not None or id(node) in seen:
            return node if own_node(node) is not None else None
        seen = (*seen, id(node))
        if node.op_type == "ReorderInput":
            nexts = [r for out in node.output for r in readers.get(out, [])]
        else:
            nexts = [writer[i] for i in node.input if i in writer] + \
                    [r for out in node.output for r in readers.get(out, [])]
        for other in nexts:
            found = compute(other, seen)
            if found is not None:
                return found
        return None

    model_readers: dict[str, list] = {}
    for n in model.graph.node:
        for name in n.input:
            model_readers.setdefault(name, []).append(n)
    fates: dict[str, Any] = {}

    def fate(name: str, seen=()):
        if name in fates:
            return fates[name]
        found = named.get(name)
        node = original[name]
        if found is None:
            for out in node.output:
                if out in writer:
                    found = compute(writer[out])
                    if found is not None:
                        break
        if found is None and name not in seen:
            for reader in (r for out in node.output for r in model_readers.get(out, [])):
                found = fate(reader.name, (*seen, name))
                if found is not None:
                    break
        fates[name] = found
        return found

    covered: dict[str, list[str]] = {}
    for name in original:
        kernel = fate(name)
        if kernel is not None:
            covered.setdefault(key[id(kernel)], []).append(name)
    kernel_type = {key[id(n)]: n.op_type for n in opt_nodes}

    def first(kernel: str, names: list[str]) -> str:
        """The node a kernel is reported under: the first, in graph order, of its own op type (a Conv
        kernel that took in the Add before it is the convolution's), else the first."""
        same = [n for n in names if original[n].op_type == kernel_type.get(kernel)]
        return min(same or names, key=order.get)

    host = {k: first(k, names) for k, names in covered.items()}

    seconds: dict[str, float] = {}
    kinds: dict[str, list[str]] = {}
    layout: dict[str, int] = {}
    unattributed = 0.0
    for n in opt_nodes:
        op_type, spent = kernels.get(key[id(n)], (n.op_type, 0.0))
        kernel = compute(n)
        target = our_name(host.get(key[id(kernel)]) or own_node(kernel)) if kernel is not None else None
        if target is None:
            unattributed += spent
            continue
        seconds[target] = seconds.get(target, 0.0) + spent
        if kernel is not n:
            layout[target] = layout.get(target, 0) + 1
        else:
            kinds.setdefault(target, []).append(op_type)
    timed = set(key.values())
    unattributed += sum(spent for name, (_, spent) in kernels.items() if name not in timed)
    fused_into: dict[str, str] = {}
    for kernel, names in covered.items():
        target = our_name(host[kernel])
        for name in names:
            mine = our_name(name)
            if mine is not None and target is not None and mine != target:
                fused_into.setdefault(mine, target)
    fused: dict[str, list[str]] = {}
    for mine, target in fused_into.items():
        if mine not in fused.get(target, []):
            fused.setdefault(target, []).append(mine)
    traced = {our_name(name) for names in covered.values() for name in names}
    rows = []
    for name, node in ours.items():
        into = fused_into.get(name, "") if name not in seconds else ""
        rows.append(LayerMeasure(name, node.op.kind, seconds.get(name, 0.0),
                                 tuple(dict.fromkeys(kinds.get(name, ()))), tuple(fused.get(name, ())), into,
                                 name not in traced and name not in seconds, layout.get(name, 0)))
    return tuple(rows), unattributed
