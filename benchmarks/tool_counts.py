"""Run ptflops, fvcore, thop, torchinfo and PyTorch's FlopCounterMode on torchvision models and record, per tool,
what it prints in total and per module; or check those records against the tools and against costmodel.

Needs the pinned tools in a SEPARATE venv (torch only there):

    /work/torchvenv/bin/pip install ptflops==0.7.5 fvcore==0.1.5.post20221221 thop==0.1.1.post2209072238 \\
        torchinfo==1.8.0                    # beside torch 2.13.0+cpu and torchvision 0.28.0

    PYTHONPATH=. /work/torchvenv/bin/python benchmarks/tool_counts.py record   # rewrite the records
    PYTHONPATH=. /work/torchvenv/bin/python benchmarks/tool_counts.py check    # tools == records == costmodel

``record`` writes ``tests/data/tool_counts.json``, the figures the tests pin (``tests/test_compat.py``).
``check`` runs every tool again, and exits 1 (naming model, tool and module) if any tool's count differs from
the records, or costmodel's ``--convention TOOL`` differs from the tool, in total or per module.

Each model: ``torchvision.models.<name>(weights=None)``, eval mode, one 1x3x224x224 input. Per tool:

* ``ptflops``: ``get_model_complexity_info(model, (3, 224, 224), as_strings=False, backend="pytorch")`` (its
  total, multiply-adds per image); per module the module hooks' ``__flops__`` (read just before ptflops deletes
  them) plus the counts of its patched functionals (F.relu, F.adaptive_avg_pool2d, ...), which ptflops adds to
  its total only: each is attributed here to the module whose forward called it.
* ``ptflops-aten``: the same with ``backend="aten"``; ptflops reports only the root's children, so each aten
  op's count (ptflops' own handler's value) is attributed to the innermost module running.
* ``fvcore``: ``FlopCountAnalysis(model, x).total()`` (one per multiply-add); per module ``by_module()``.
* ``thop``: ``profile(model, (x,), ret_layer_info=True)``: total_ops (one per multiply-add) and per module.
* ``torchinfo``: ``summary(model, input_data=x, verbose=0).total_mult_adds``; per leaf layer ``macs``.
* ``torch``: ``FlopCounterMode`` around the forward pass, ``get_total_flops()`` (2 per multiply-add) and
  ``get_flop_counts()`` per module.

Per module means the module's own count: the tool's count for the module less its children's, so that every
count appears once, at the innermost module (a leaf, or the module whose forward runs a functional op, "" for
the model's own forward). A module run several times (ResNet's ``relu``) holds the sum of its runs.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import sys
import warnings
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
RECORDS = HERE.parent / "tests" / "data" / "tool_counts.json"
MODELS = ("mobilenet_v2", "shufflenet_v2_x1_0", "resnet50", "mobilenet_v3_large", "squeezenet1_0")
TOOLS = ("ptflops", "ptflops-aten", "fvcore", "thop", "torchinfo", "torch")
PINNED = {"torch": "2.13.0", "torchvision": "0.28.0", "ptflops": "0.7.5", "fvcore": "0.1.5.post20221221",
          "thop": "0.1.1.post2209072238", "torchinfo": "1.8.0"}


sys.path.insert(0, str(HERE))
import onnx_crosscheck  # noqa: E402,F401  its _tolerate_missing_compiled_ops() runs first, then torchvision loads
import torchvision.models  # noqa: E402


def versions() -> dict[str, str]:
    from importlib.metadata import version
    # thop's metadata spells its version 0.1.1-2209072238, which pip normalises to 0.1.1.post2209072238
    return {name: version(name).replace("-", ".post") for name in PINNED}


class ModuleStack:
    """The innermost running module's name, kept by global forward hooks while active."""

    def __init__(self, model: nn.Module):
        self.names = {id(m): name for name, m in model.named_modules()}
        self.stack: list[str] = []
        self.handles = []

    def __enter__(self):
        def enter(module, args):
            self.stack.append(self.names.get(id(module), "?"))

        def leave(module, args, output):
            self.stack.pop()

        pre = torch.nn.modules.module.register_module_forward_pre_hook(enter)
        post = torch.nn.modules.module.register_module_forward_hook(leave)
        self.handles = [pre, post]
        return self

    def __exit__(self, *exc):
        for handle in self.handles:
            handle.remove()

    @property
    def current(self) -> str:
        return self.stack[-1] if self.stack else ""


def _add(table: dict, site: str, count) -> None:
    count = int(count)
    if count:
        table[site] = table.get(site, 0) + count


def _own(hierarchical: dict[str, int]) -> dict[str, int]:
    """Each module's count less its children's (names are dotted paths, "" the root)."""
    own = {}
    for name, count in hierarchical.items():
        children = [c for c in hierarchical if c != name and _parent(c, hierarchical) == name]
        _add(own, name, count - sum(hierarchical[c] for c in children))
    return own


def _parent(name: str, names) -> str | None:
    parts = name.split(".")
    for cut in range(len(parts) - 1, -1, -1):
        candidate = ".".join(parts[:cut])
        if candidate in names:
            return candidate
    return None


def run_ptflops(model, x, backend: str):
    import ptflops.pytorch_engine as engine
    import ptflops.aten_engine as aten_engine
    from ptflops import get_model_complexity_info

    names = {id(m): name for name, m in model.named_modules()}
    sites: dict[str, int] = {}
    stack = ModuleStack(model)

    def attributed(handler):  # the tool's own handler, its count also noted against the running module
        def handle(*args, **kwargs):
            count = handler(*args, **kwargs)
            _add(sites, stack.current, count)
            return count
        return handle

    if backend == "pytorch":
        original_remove = engine.remove_flops_counter_variables

        def snapshot_then_remove(module):
            if hasattr(module, "__flops__"):
                _add(sites, names[id(module)], module.__flops__)
            original_remove(module)

        patched = {}
        for mapping in (engine.FUNCTIONAL_MAPPING, engine.TENSOR_OPS_MAPPING):
            for key, handler in list(mapping.items()):
                patched[(id(mapping), key)] = (mapping, handler)
                mapping[key] = attributed(handler)
        engine.remove_flops_counter_variables = snapshot_then_remove
        try:
            with stack, contextlib.redirect_stdout(io.StringIO()):
                total, _ = get_model_complexity_info(model, tuple(x.shape[1:]), as_strings=False,
                                                     print_per_layer_stat=False, backend="pytorch")
        finally:
            engine.remove_flops_counter_variables = original_remove
            for (_, key), (mapping, handler) in patched.items():
                mapping[key] = handler
    else:
        original_ops = dict(aten_engine.ATEN_OPS_MAPPING)

        for key, handler in original_ops.items():
            aten_engine.ATEN_OPS_MAPPING[key] = attributed(handler)
        try:
            with stack, contextlib.redirect_stdout(io.StringIO()):
                total, _ = get_model_complexity_info(model, tuple(x.shape[1:]), as_strings=False,
                                                     print_per_layer_stat=False, backend="aten")
        finally:
            aten_engine.ATEN_OPS_MAPPING.update(original_ops)
    return int(total), sites


def run_fvcore(model, x):
    from fvcore.nn import FlopCountAnalysis
    analysis = FlopCountAnalysis(model, x)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        total = analysis.total()
        by_module = dict(analysis.by_module())
    return int(total), _own({name: int(count) for name, count in by_module.items()})


def run_thop(model, x):
    from thop import profile
    with contextlib.redirect_stdout(io.StringIO()):
        total, _, tree = profile(model, (x,), verbose=False, ret_layer_info=True)
    sites: dict[str, int] = {}

    def walk(prefix, children):
        for name, (ops, _params, grandchildren) in children.items():
            path = f"{prefix}.{name}" if prefix else name
            if grandchildren:
                walk(path, grandchildren)
            else:
                _add(sites, path, ops)

    walk("", tree)
    if total != int(total):
        raise SystemExit(f"thop total {total} is not a whole number")
    return int(total), sites


def run_torchinfo(model, x):
    from torchinfo import summary
    names = {id(m): name for name, m in model.named_modules()}
    stats = summary(model, input_data=x, verbose=0)
    sites: dict[str, int] = {}
    for layer in stats.summary_list:
        if layer.is_leaf_layer:
            _add(sites, names[id(layer.module)], layer.macs)
    return int(stats.total_mult_adds), sites


def run_torch(model, x):
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter:
        model(x)
    root = type(model).__name__
    hierarchical = {}
    for name, ops in counter.get_flop_counts().items():
        if name == "Global":
            continue
        path = "" if name == root else name[len(root) + 1:] if name.startswith(root + ".") else name
        hierarchical[path] = sum(int(v) for v in ops.values())
    return int(counter.get_total_flops()), _own(hierarchical)


RUNNERS = {"ptflops": lambda m, x: run_ptflops(m, x, "pytorch"), "ptflops-aten": lambda m, x: run_ptflops(m, x, "aten"),
           "fvcore": run_fvcore, "thop": run_thop, "torchinfo": run_torchinfo, "torch": run_torch}


class Pair(nn.Module):
    """Two activations into one functional op (``x + y``, ``torch.matmul``), as a model of its own."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x, y):
        return self.function(x, y)


# one op each: (name, torch model as written here, costmodel op kind, its fields, per-sample input shapes)
SINGLE_OPS = [
    ("conv_bias", "nn.Conv2d(32, 64, 3, padding=1)", "conv", {"out_channels": 64, "kernel": 3, "padding": 1,
                                                              "bias": True}, [[32, 28, 28]]),
    ("conv_grouped", "nn.Conv2d(32, 64, 3, stride=2, padding=1, groups=4, bias=False)", "conv",
     {"out_channels": 64, "kernel": 3, "stride": 2, "padding": 1, "groups": 4}, [[32, 28, 28]]),
    ("conv_transpose", "nn.ConvTranspose2d(32, 16, 2, stride=2, bias=False)", "conv_transpose",
     {"out_channels": 16, "kernel": 2, "stride": 2}, [[32, 14, 14]]),
    ("conv_transpose_bias", "nn.ConvTranspose2d(32, 16, 2, stride=2)", "conv_transpose",
     {"out_channels": 16, "kernel": 2, "stride": 2, "bias": True}, [[32, 14, 14]]),
    ("linear_no_bias", "nn.Linear(256, 100, bias=False)", "linear", {"out_features": 100, "bias": False}, [[256]]),
    ("batch_norm", "nn.BatchNorm2d(32)", "batch_norm", {}, [[32, 28, 28]]),
    ("layer_norm", "nn.LayerNorm(64)", "layer_norm", {"normalized_dims": 1}, [[49, 64]]),
    ("group_norm", "nn.GroupNorm(4, 32)", "group_norm", {"groups": 4}, [[32, 28, 28]]),
    ("instance_norm", "nn.InstanceNorm2d(32)", "instance_norm", {"affine": False}, [[32, 28, 28]]),
    ("instance_norm_affine", "nn.InstanceNorm2d(32, affine=True)", "instance_norm", {"affine": True},
     [[32, 28, 28]]),
    ("relu", "nn.ReLU()", "relu", {}, [[32, 28, 28]]),
    ("relu6", "nn.ReLU6()", "relu6", {}, [[32, 28, 28]]),
    ("leaky_relu", "nn.LeakyReLU()", "leaky_relu", {}, [[32, 28, 28]]),
    ("prelu", "nn.PReLU()", "prelu", {}, [[32, 28, 28]]),
    ("gelu", "nn.GELU()", "gelu", {}, [[32, 28, 28]]),
    ("sigmoid", "nn.Sigmoid()", "sigmoid", {}, [[32, 28, 28]]),
    ("swish", "nn.SiLU()", "swish", {}, [[32, 28, 28]]),
    ("hard_swish", "nn.Hardswish()", "hard_swish", {}, [[32, 28, 28]]),
    ("hard_sigmoid", "nn.Hardsigmoid()", "hard_sigmoid", {}, [[32, 28, 28]]),
    ("tanh", "nn.Tanh()", "tanh", {}, [[32, 28, 28]]),
    ("max_pool", "nn.MaxPool2d(3, 2, 1)", "max_pool", {"kernel": 3, "stride": 2, "padding": 1}, [[32, 28, 28]]),
    ("avg_pool", "nn.AvgPool2d(2)", "avg_pool", {"kernel": 2}, [[32, 28, 28]]),
    ("adaptive_avg_pool", "nn.AdaptiveAvgPool2d(1)", "global_avg_pool", {}, [[32, 7, 7]]),
    ("upsample_nearest", "nn.Upsample(scale_factor=2)", "upsample", {"scale": 2}, [[16, 14, 14]]),
    ("upsample_bilinear", 'nn.Upsample(scale_factor=2, mode="bilinear")', "upsample",
     {"scale": 2, "mode": "bilinear"}, [[16, 14, 14]]),
    ("softmax", "nn.Softmax(dim=-1)", "softmax", {"axis": -1}, [[49, 64]]),
    ("add", "Pair(lambda x, y: x + y)", "add", {}, [[32, 28, 28], [32, 28, 28]]),
    ("mul", "Pair(lambda x, y: x * y)", "mul", {}, [[32, 28, 28], [32, 1, 1]]),
    ("matmul", "Pair(lambda a, b: torch.matmul(a, b))", "matmul", {}, [[49, 64], [64, 32]]),
    ("einsum", 'Pair(lambda q, k: torch.einsum("bhid,bhjd->bhij", q, k))', "einsum",
     {"equation": "hid,hjd->hij"}, [[4, 49, 16], [4, 49, 16]]),
]


def build_single(torch_text: str, shapes) -> tuple[nn.Module, tuple]:
    torch.manual_seed(0)
    model = nn.Sequential(eval(torch_text)) if not torch_text.startswith("Pair") else eval(torch_text)
    return model.eval(), tuple(torch.rand(1, *shape) for shape in shapes)


def single_graph(kind: str, fields: dict, shapes):
    """The costmodel graph of one op (the same few lines are in tests/test_compat.py)."""
    import costmodel
    graph = costmodel.Graph("single", shapes[0])
    extra = [graph.add_input(f"input{i}", shape) for i, shape in enumerate(shapes[1:], 1)]
    graph.add("op", costmodel.OPS[kind](**fields), graph.input, *extra)
    return graph


def run_single(tool: str, model, inputs) -> int:
    """One tool's total on a model of several inputs (ptflops takes them as keyword arguments)."""
    if tool.startswith("ptflops"):
        from ptflops import get_model_complexity_info
        names = ("x", "y") if len(inputs) == 2 else ()
        constructor = (lambda _: dict(zip(names, inputs))) if names else None
        with contextlib.redirect_stdout(io.StringIO()):
            total, _ = get_model_complexity_info(model, tuple(inputs[0].shape[1:]), as_strings=False,
                                                 print_per_layer_stat=False, input_constructor=constructor,
                                                 backend="pytorch" if tool == "ptflops" else "aten")
        return int(total)
    if tool == "fvcore":
        from fvcore.nn import FlopCountAnalysis
        analysis = FlopCountAnalysis(model, inputs)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return int(analysis.total())
    if tool == "thop":
        from thop import profile
        with contextlib.redirect_stdout(io.StringIO()):
            total = profile(model, inputs, verbose=False)[0]
        return int(total)
    if tool == "torchinfo":
        from torchinfo import summary
        return int(summary(model, input_data=list(inputs), verbose=0).total_mult_adds)
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter:
        model(*inputs)
    return int(counter.get_total_flops())


def measure_single() -> dict:
    results = {}
    for name, torch_text, kind, fields, shapes in SINGLE_OPS:
        counts = {}
        for tool in TOOLS:
            model, inputs = build_single(torch_text, shapes)
            with torch.no_grad():
                counts[tool] = run_single(tool, model, inputs)
        results[name] = {"torch": torch_text, "op": kind, "fields": fields, "inputs": shapes, "counts": counts}
        print(f"{name:22s} " + " ".join(f"{tool}={n:,}" for tool, n in counts.items()), flush=True)
    return results


def build(name: str) -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    return model, torch.rand(1, 3, 224, 224)


def measure(name: str, tools=TOOLS) -> dict:
    results = {}
    for tool in tools:
        model, x = build(name)  # fresh: some tools leave buffers or hooks behind
        with torch.no_grad():
            total, sites = RUNNERS[tool](model, x)
        if sum(sites.values()) != total:
            raise SystemExit(f"{name} {tool}: per-module counts sum to {sum(sites.values())}, total {total}")
        results[tool] = {"total": total, "modules": dict(sorted(sites.items()))}
        print(f"{name:20s} {tool:13s} {total:>14,}", flush=True)
    return results


def compare(expected: dict, seen: dict, what: str) -> list[str]:
    problems = []
    if expected["total"] != seen["total"]:
        problems.append(f"{what}: total {seen['total']:,}, expected {expected['total']:,}")
    for site in sorted(set(expected["modules"]) | set(seen["modules"])):
        a, b = expected["modules"].get(site, 0), seen["modules"].get(site, 0)
        if a != b:
            problems.append(f"{what}: module {site or '(model)'!r} {b:,}, expected {a:,}")
    return problems


def check_single(recorded: dict) -> list[str]:
    import costmodel
    problems = []
    for name, seen in measure_single().items():
        graph = single_graph(seen["op"], seen["fields"], seen["inputs"])
        for tool, count in seen["counts"].items():
            if recorded[name]["counts"][tool] != count:
                problems.append(f"single op {name} {tool}: tool {count:,}, records {recorded[name]['counts'][tool]:,}")
            ours = costmodel.analyze(graph, tool).totals.flops
            if ours != count:
                problems.append(f"single op {name} {tool}: costmodel {ours:,}, tool {count:,}")
    return problems


def costmodel_counts(model: str, tool: str) -> dict:
    from costmodel.compare import tool_counts
    return tool_counts(model, tool)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("record", "check"))
    parser.add_argument("models", nargs="*", default=[*MODELS, "single"],
                        help=f"among {', '.join(MODELS)} and 'single' (one op each); default all")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    seen_versions = versions()
    off = {k: v for k, v in seen_versions.items() if v.split("+")[0] != PINNED[k]}
    if off:
        raise SystemExit(f"versions differ from the pinned ones: {off} (pinned {PINNED})")
    if args.action == "record":
        records = json.loads(RECORDS.read_text()) if RECORDS.exists() else {"models": {}}
        records["versions"] = seen_versions
        records["input"] = [1, 3, 224, 224]
        for name in args.models:
            if name == "single":
                records["single_ops"] = measure_single()
            else:
                records["models"][name] = measure(name)
            RECORDS.parent.mkdir(parents=True, exist_ok=True)
            RECORDS.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
        print(f"wrote {os.path.relpath(RECORDS)}")
        return 0
    records = json.loads(RECORDS.read_text())
    problems = []
    for name in args.models:
        if name == "single":
            problems += check_single(records["single_ops"])
            continue
        seen = measure(name)
        for tool in TOOLS:
            problems += compare(records["models"][name][tool], seen[tool], f"{name} {tool} (tool vs records)")
            problems += compare(seen[tool], costmodel_counts(name, tool), f"{name} {tool} (costmodel vs tool)")
    for problem in problems:
        print("MISMATCH", problem)
    print(f"{len(problems)} differences" if problems else "every count agrees: tools, records and costmodel")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
