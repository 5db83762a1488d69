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


def costmodel_counts(model: str, tool: str) -> dict:
    from costmodel.conventions.torchvision import tool_counts
    return tool_counts(model, tool)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("record", "check"))
    parser.add_argument("models", nargs="*", default=list(MODELS))
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
            records["models"][name] = measure(name)
            RECORDS.parent.mkdir(parents=True, exist_ok=True)
            RECORDS.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
        print(f"wrote {os.path.relpath(RECORDS)}")
        return 0
    records = json.loads(RECORDS.read_text())
    problems = []
    for name in args.models:
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
