"""Cross-check costmodel's ONNX import against PyTorch on torchvision's classification models.

Needs torch==2.13.0, torchvision==0.28.0 and onnx in a SEPARATE venv, and costmodel on the path
(see benchmarks/README.md):

    PYTHONPATH=. /work/torchvenv/bin/python benchmarks/onnx_crosscheck.py check [MODEL ...]
    PYTHONPATH=. /work/torchvenv/bin/python benchmarks/onnx_crosscheck.py check --models-dir DIR
    PYTHONPATH=. /work/torchvenv/bin/python benchmarks/onnx_crosscheck.py export --out DIR [MODEL ...]
    PYTHONPATH=. /work/torchvenv/bin/python benchmarks/onnx_crosscheck.py export --out DIR --references-only MODEL ...
    PYTHONPATH=. /work/torchvenv/bin/python benchmarks/onnx_crosscheck.py export --out DIR --dynamic-batch MODEL ...

Every model is built with random weights (``weights=None``; nothing is downloaded), in eval mode, on a
1x3x224x224 input (1x3x299x299 for inception_v3), and exported with
``torch.onnx.export(model, x, path, dynamo=False, opset_version=17)``.

The references, computed from the torch model, never from the ONNX file costmodel reads:

* flops: PyTorch's ``FlopCounterMode`` total divided by 2 (it counts a multiply and an add as 2), in total and
  per module; and, per conv / linear module, the multiply-adds computed from the module's shapes by a forward
  hook: ``out.numel() * (c_in / groups) * prod(kernel)`` for a convolution, ``out.numel() * in_features`` for
  a linear layer (biases excluded, as in costmodel's ``paper`` convention). Attention is run as the exporter
  traces it (``traced_attention``: no MultiheadAttention fast path, the math kernel of
  scaled_dot_product_attention), else FlopCounterMode misses it.
* params: ``sum(p.numel() for p in model.parameters())``, and the elements of the exported file's learnable
  initializers: those consumed as Conv / ConvTranspose / Gemm / MatMul weights and biases, as the scale and
  bias of BatchNormalization / LayerNormalization / InstanceNormalization / GroupNormalization (never the
  running mean and variance), as PRelu slopes, and float tensors of more than one element added to or
  multiplied with an activation (biases after a MatMul, layer-scale tensors, position embeddings) or
  expanded and concatenated to one (class tokens); never a torch buffer. In eval mode the exporter folds BatchNorm into the
  preceding conv, so the second number is smaller than the first for most networks.

``check`` imports each file with ``costmodel.load`` and compares, per conv and linear layer and in total,
costmodel's ``paper`` flops with FlopCounterMode / 2, and costmodel's params with the learnable
initializers. It prints one row per model and exits 1 on any mismatch. ``export`` only writes the files
and ``reference.json`` (a scratch area to share; nothing is compared).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import sys
import tempfile
import time
import traceback
from pathlib import Path

import torch
from torch import nn


def _tolerate_missing_compiled_ops() -> None:
    """torchvision's compiled ops (nms, roi_align, ...) fail to register with some CPU torch builds;
    the classification models never use them, so their fake-tensor registrations are allowed to fail."""
    original = torch.library.register_fake

    def register_fake(op, func=None, /, *args, **kwargs):
        if func is not None:
            try:
                return original(op, func, *args, **kwargs)
            except RuntimeError:
                return func
        decorator = original(op, *args, **kwargs)

        def tolerant(f):
            try:
                return decorator(f)
            except RuntimeError:
                return f

        return tolerant

    torch.library.register_fake = register_fake


_tolerate_missing_compiled_ops()
torch.set_num_threads(1)  # the machine is shared; two threads per process only oversubscribe it
import torchvision.models  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

FIRST_MODELS = ("mobilenet_v2", "shufflenet_v2_x1_0", "resnet50")
# Built without their auxiliary classifiers: in eval mode those are never run, so they are absent from the
# exported file, and sum(p.numel()) would count their weights.
BUILD_OPTIONS = {"googlenet": {"aux_logits": False, "init_weights": True},
                 "inception_v3": {"aux_logits": False, "init_weights": True}}
CONV_TYPES = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


# Exported last: the largest and slowest to export (and the transformers, least likely to export).
HEAVY_LAST = ("vgg", "densenet161", "densenet201", "resnet152", "resnext101", "wide_resnet101", "efficientnet_b5",
              "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_m", "efficientnet_v2_l", "convnext_base",
              "convnext_large", "regnet_x_16gf", "regnet_y_16gf", "regnet_x_32gf", "regnet_y_32gf", "swin",
              "maxvit", "vit_b", "vit_l", "regnet_y_128gf", "vit_h")


def classification_models() -> list[str]:
    """torchvision's classification models, the smaller ones first."""
    names = list(torchvision.models.list_models(module=torchvision.models))

    def heaviness(name):
        return next((i + 1 for i, prefix in enumerate(HEAVY_LAST) if name.startswith(prefix)), 0)

    return sorted(names, key=heaviness)


def input_shape(name: str) -> tuple[int, int, int, int]:
    side = 299 if name == "inception_v3" else 224
    return (1, 3, side, side)


def build(name: str) -> nn.Module:
    """The model with random weights, every parameter made distinct from every other: the exporter stores
    equal initializers once (behind Identity nodes), and a fresh model has many (norm scales of ones, zero
    biases), which real trained weights never are."""
    torch.manual_seed(0)
    model = torchvision.models.get_model(name, weights=None, **BUILD_OPTIONS.get(name, {})).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.rand_like(parameter), alpha=1e-3)
    return model


def layer_flops(module: nn.Module, output: torch.Tensor) -> int:
    """Multiply-adds of one conv / linear module from its shapes, biases excluded."""
    if isinstance(module, CONV_TYPES):
        if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
            # each input element meets every kernel tap of its output-channel group
            raise NotImplementedError("no torchvision classification model has a transposed convolution")
        return output.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)
    return output.numel() * module.in_features


@contextlib.contextmanager
def traced_attention():
    """Run attention the way the exporter traces it, so that FlopCounterMode sees the same arithmetic.

    In eval mode without gradients ``nn.MultiheadAttention`` (ViT) takes a fast path, one
    ``aten._native_multi_head_attention`` call that FlopCounterMode does not count (ViT-B/16 would read
    11.27 G multiply-adds: its projections and attention products missing); and on the CPU
    ``F.scaled_dot_product_attention`` runs ``aten._scaled_dot_product_flash_attention_for_cpu``, which it
    does not count either. The exporter writes the slow path: the in/out projections as MatMul/Gemm and
    attention as MatMul, Softmax, MatMul. With the fast path off and the math kernel chosen, FlopCounterMode
    counts those as addmm and bmm (ViT-B/16: 17.56 G, the published figure)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    fast = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with sdpa_kernel(SDPBackend.MATH):
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fast)


def torch_reference(model: nn.Module, shape) -> dict:
    """FlopCounterMode / 2 in total and per module, hook-computed multiply-adds per conv / linear module,
    and sum(p.numel())."""
    hooked: dict[str, dict] = {}
    handles = []
    for module_name, module in model.named_modules():
        if isinstance(module, CONV_TYPES + (nn.Linear,)):
            def hook(mod, inputs, output, module_name=module_name):
                entry = hooked.setdefault(module_name, {"type": type(mod).__name__, "calls": 0, "flops": 0})
                entry["calls"] += 1
                entry["flops"] += layer_flops(mod, output)
                entry["input"] = list(inputs[0].shape)
                entry["output"] = list(output.shape)
            handles.append(module.register_forward_hook(hook))
    x = torch.randn(*shape)
    try:
        with torch.no_grad(), traced_attention(), FlopCounterMode(display=False) as counter:
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    root = type(model).__name__ + "."
    per_module = {}
    for key, by_op in counter.get_flop_counts().items():
        if key.startswith(root):
            per_module[key[len(root):]] = {str(op): count // 2 for op, count in by_op.items()}
    for module_name, entry in hooked.items():
        counted = per_module.get(module_name, {})
        entry["flop_counter"] = sum(counted.values())
    return {"input_shape": list(shape),
            "flop_counter_total": counter.get_total_flops() // 2,
            "torch_params": sum(p.numel() for p in model.parameters()),
            "layers": hooked,
            "flop_counter_per_module": per_module}


def export(model: nn.Module, shape, path: Path, opset: int = 17, dynamic: bool = False,
           batch_only: bool = False) -> None:
    options = {"input_names": ["input"], "output_names": ["output"]}
    if dynamic:
        options["dynamic_axes"] = {"input": {0: "batch"} if batch_only else {0: "batch", 2: "height", 3: "width"}}
    torch.onnx.export(model, torch.randn(*shape), str(path), dynamo=False, opset_version=opset, **options)


# --- learnable initializers of an ONNX file (read with onnx, independently of costmodel) ---------------
LEARNABLE_INPUTS = {"Conv": (1, 2), "ConvTranspose": (1, 2), "Gemm": (1, 2), "BatchNormalization": (1, 2),
                    "LayerNormalization": (1, 2), "InstanceNormalization": (1, 2),
                    "GroupNormalization": (1, 2), "PRelu": (1,)}
ELEMENTWISE_PARAMETER_OPS = ("Add", "Mul", "Sub", "Concat", "Expand")
FLOAT_TYPES = (1, 10, 11, 16)  # FLOAT, FLOAT16, DOUBLE, BFLOAT16


def learnable_initializers(path: Path, buffers=frozenset()) -> dict:
    """Elements of the learnable initializers of an ONNX file, counted per consuming node (an initializer
    reached through Identity nodes counts as the initializer), with a breakdown by consuming op.

    ``buffers`` are the torch model's buffer names (``model.named_buffers()``): the exporter names an
    initializer after the parameter or buffer it holds, and a buffer is never learnable, whatever reads it
    (Swin v2's ``relative_coords_table``, the input of its relative-position MLP, is a MatMul operand)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    initializers = {t.name: t for t in model.graph.initializer}
    source = {name: name for name in initializers}
    for node in model.graph.node:
        if node.op_type == "Identity" and node.input[0] in source:
            source[node.output[0]] = source[node.input[0]]
    by_op: dict[str, int] = {}
    for node in model.graph.node:
        for index, name in enumerate(node.input):
            if name not in source or node.op_type == "Identity" or source[name] in buffers:
                continue
            tensor = initializers[source[name]]
            numel = math.prod(tensor.dims)
            learnable = (index in LEARNABLE_INPUTS.get(node.op_type, ())
                         or node.op_type == "MatMul"
                         or (node.op_type in ELEMENTWISE_PARAMETER_OPS and tensor.data_type in FLOAT_TYPES
                             and numel > 1))
            if learnable:
                by_op[node.op_type] = by_op.get(node.op_type, 0) + numel
    everything = sum(math.prod(t.dims) for t in initializers.values())
    return {"learnable_initializers": sum(by_op.values()), "learnable_by_op": by_op,
            "all_initializer_elements": everything, "initializer_count": len(initializers)}


def buffer_names(model: nn.Module) -> frozenset:
    return frozenset(name for name, _ in model.named_buffers())


def export_with_reference(name: str, directory: Path, log, keep_file: bool = False) -> dict:
    """Build, count and export one model into directory/<name>.onnx (with ``keep_file``, count only: the file
    exported before is kept); returns its reference record."""
    started = time.perf_counter()
    model = build(name)
    shape = input_shape(name)
    record = torch_reference(model, shape)
    path = directory / f"{name}.onnx"
    if not keep_file:
        export(model, shape, path)
    record.update(learnable_initializers(path, buffer_names(model)))
    record["file"] = path.name
    record["seconds"] = round(time.perf_counter() - started, 1)
    log(f"{name}: flops {record['flop_counter_total']:,}  torch params {record['torch_params']:,}  "
        f"learnable initializers {record['learnable_initializers']:,}  ({record['seconds']} s)")
    return record


def write_variants(directory: Path, reference: dict, log) -> None:
    """Dynamic-axes mobilenet_v2 and opset-11 exports of mobilenet_v2 and shufflenet_v2_x1_0."""
    model = build("mobilenet_v2")
    export(model, input_shape("mobilenet_v2"), directory / "mobilenet_v2_dynamic.onnx", dynamic=True)
    entry = {"file": "mobilenet_v2_dynamic.onnx", "dynamic_axes": {"input": ["batch", 0, "height", "width"]},
             "static_flop_counter_total": {}}
    for side in (160, 224, 320):
        entry["static_flop_counter_total"][str(side)] = torch_reference(model, (1, 3, side, side))[
            "flop_counter_total"]
    entry.update(learnable_initializers(directory / "mobilenet_v2_dynamic.onnx", buffer_names(model)))
    reference["variants"]["mobilenet_v2_dynamic"] = entry
    log(f"mobilenet_v2_dynamic: static flops at 160/224/320 {entry['static_flop_counter_total']}")
    for name in ("mobilenet_v2", "shufflenet_v2_x1_0"):
        path = directory / f"{name}_opset11.onnx"
        model = build(name)
        export(model, input_shape(name), path, opset=11)
        entry = {"file": path.name, "opset": 11, "same_reference_as": name}
        entry.update(learnable_initializers(path, buffer_names(model)))
        reference["variants"][f"{name}_opset11"] = entry
        log(f"{name}_opset11: written")


def write_dynamic_batch(name: str, directory: Path, reference: dict, log) -> None:
    """``<name>_dynamic_batch.onnx``, exported with a dynamic batch only, and FlopCounterMode / 2 of the torch
    model at batches 1 and 2 (attention reshapes the batch: its closed form must hold at both)."""
    model = build(name)
    shape = input_shape(name)
    path = directory / f"{name}_dynamic_batch.onnx"
    export(model, shape, path, dynamic=True, batch_only=True)
    entry = {"file": path.name, "dynamic_axes": {"input": ["batch"]}, "batch_flop_counter_total": {}}
    for batch in (1, 2):
        entry["batch_flop_counter_total"][str(batch)] = torch_reference(model, (batch, *shape[1:]))[
            "flop_counter_total"]
    entry.update(learnable_initializers(path, buffer_names(model)))
    reference["variants"][f"{name}_dynamic_batch"] = entry
    log(f"{name}_dynamic_batch: flops at batch 1 and 2 {entry['batch_flop_counter_total']}")


def export_command(args) -> int:
    directory = Path(args.out)
    directory.mkdir(parents=True, exist_ok=True)
    reference_path = directory / "reference.json"
    reference = json.loads(reference_path.read_text()) if reference_path.exists() else {}
    reference.setdefault("models", {})
    reference.setdefault("variants", {})
    reference.setdefault("failures", {})
    reference["environment"] = {"torch": torch.__version__, "torchvision": torchvision.__version__,
                                "export": "torch.onnx.export(model, x, path, dynamo=False, opset_version=17)",
                                "build_options": BUILD_OPTIONS}

    def save():
        reference_path.write_text(json.dumps(reference, indent=1, sort_keys=True))

    def log(line):
        print(line, flush=True)

    names = args.models or list(FIRST_MODELS) + [n for n in classification_models() if n not in FIRST_MODELS]
    if args.dynamic_batch:
        for name in args.models:
            write_dynamic_batch(name, directory, reference, log)
            save()
            gc.collect()
        return 0
    for name in names:
        if name in reference["models"] and not (args.force or args.references_only):
            continue
        if args.references_only and not (directory / f"{name}.onnx").is_file():
            log(f"{name}: no file to recount (export it first)")
            continue
        try:
            reference["models"][name] = export_with_reference(name, directory, log, args.references_only)
            reference["failures"].pop(name, None)
        except Exception as error:  # noqa: BLE001 - a model that fails to export is listed with its reason
            reason = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
            reference["failures"][name] = reason
            log(f"{name}: FAILED {reason}")
            if args.verbose:
                traceback.print_exc()
        save()
        gc.collect()
        if name == FIRST_MODELS[-1] and not args.models:
            write_variants(directory, reference, log)
            save()
    return 0


# --- the comparison with costmodel -----------------------------------------------------------------------
def import_with_costmodel(path: Path, **values):
    """The costmodel graph of an ONNX file, through the public ``costmodel.load``."""
    import costmodel

    return costmodel.load(str(path), **values)


def owner_module(layer_name: str, modules: set[str]) -> str:
    """The torch module a costmodel layer came from: the longest dotted prefix of its name that is a module
    path (``features.3.conv.0.0`` -> ``features.3.conv.0.0``; ``layer1.0.relu_1`` -> ``layer1.0.relu_1``; a
    name the importer made unique with a suffix, ``fc_matmul``, -> ``fc``). "" for the root."""
    parts = layer_name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        while candidate:
            if candidate in modules:
                return candidate
            head, sep, _ = candidate.rpartition("_")
            if not sep or head.endswith("."):
                break
            candidate = head
    return ""


def compare(name: str, reference: dict, graph) -> dict:
    """Compare one imported graph with its torch reference: totals, and flops per torch module."""
    import costmodel

    analysis = costmodel.analyze(graph, "paper")
    modules = set(reference["flop_counter_per_module"]) | set(reference["layers"])
    ours_by_module: dict[str, int] = {}
    for layer in analysis.layers:
        if layer.flops:
            owner = owner_module(layer.name, modules)
            ours_by_module[owner] = ours_by_module.get(owner, 0) + layer.flops
    mismatches = []
    compared = 0
    for module_name, entry in reference["layers"].items():
        compared += 1
        ours = ours_by_module.pop(module_name, 0)
        if ours != entry["flops"] or entry["flop_counter"] != entry["flops"]:
            mismatches.append(f"{module_name} ({entry['type']} {entry['input']} -> {entry['output']}): ours "
                              f"{ours:,}, from its shapes {entry['flops']:,}, FlopCounterMode/2 "
                              f"{entry['flop_counter']:,}")
    # what is left: multiply-adds of functional matmuls (attention), owned by a module that is not a conv or
    # linear layer; FlopCounterMode's count for that module less its conv / linear descendants' is the reference
    for module_name, ours in ours_by_module.items():
        compared += 1
        counted = sum(reference["flop_counter_per_module"].get(module_name, {}).values()) if module_name else (
            reference["flop_counter_total"])
        inside = [entry["flops"] for layer_name, entry in reference["layers"].items()
                  if not module_name or layer_name.startswith(module_name + ".")]
        expected = counted - sum(inside)
        if ours != expected:
            where = module_name or "(root)"
            mismatches.append(f"{where} (functional ops): ours {ours:,}, FlopCounterMode/2 less its conv/linear "
                              f"layers {expected:,}")
    totals = analysis.totals
    return {"model": name, "flops": totals.flops, "reference_flops": reference["flop_counter_total"],
            "params": totals.params, "initializers": reference["learnable_initializers"],
            "torch_params": reference["torch_params"], "compared": compared, "mismatches": mismatches}


def is_equal(row: dict) -> bool:
    return (row["flops"] == row["reference_flops"] and row["params"] == row["initializers"]
            and not row["mismatches"])


def print_table(rows: list[dict]) -> None:
    header = ("model", "flops ours", "torch/2", "equal?", "params ours", "initializers", "equal?", "layers",
              "mismatches")
    lines = [header]
    for row in rows:
        if "error" in row:
            lines.append((row["model"], "import failed", "", "", "", "", "", "", "-"))
            continue
        lines.append((row["model"], f"{row['flops']:,}", f"{row['reference_flops']:,}",
                      "yes" if row["flops"] == row["reference_flops"] else "NO", f"{row['params']:,}",
                      f"{row['initializers']:,}", "yes" if row["params"] == row["initializers"] else "NO",
                      str(row["compared"]), str(len(row["mismatches"]))))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                        enumerate(zip(line, widths))).rstrip())


def check_model(name: str, reference: dict, path: Path) -> dict:
    try:
        graph = import_with_costmodel(path)
    except Exception as error:  # noqa: BLE001 - reported as this model's row
        return {"model": name, "error": f"{type(error).__name__}: {error}"}
    return compare(name, reference, graph)


def check_dynamic(path: Path, statics: dict, log) -> list[str]:
    """A dynamic-axes mobilenet_v2 gives, at 160, 224 and 320, the static FlopCounterMode counts."""
    import costmodel

    problems = []
    for side, expected in statics.items():
        side = int(side)
        totals = costmodel.analyze(import_with_costmodel(path, batch=1, height=side, width=side)).totals
        if totals.flops != expected:
            problems.append(f"{path.name} at {side}x{side}: ours {totals.flops:,}, FlopCounterMode/2 {expected:,}")
    symbolic = costmodel.analyze(import_with_costmodel(path)).totals.flops
    free = ", ".join(sorted(str(symbol) for symbol in getattr(symbolic, "free_symbols", ())))
    log(f"{path.name}: flops a closed form in {free or 'nothing (NOT symbolic)'}; at 160/224/320 "
        f"{'equal to the static counts' if not problems else 'DIFFERENT'}")
    return problems


def check_dynamic_batch(path: Path, entry: dict, log) -> list[str]:
    """A dynamic-batch export gives a closed form in ``batch`` that equals FlopCounterMode / 2 at batches 1 and
    2, and the learnable initializers as params."""
    import costmodel

    problems = []
    for batch, expected in entry["batch_flop_counter_total"].items():
        totals = costmodel.analyze(import_with_costmodel(path, batch=int(batch))).totals
        if totals.flops != expected:
            problems.append(f"{path.name} at batch {batch}: ours {totals.flops:,}, FlopCounterMode/2 {expected:,}")
        if totals.params != entry["learnable_initializers"]:
            problems.append(f"{path.name} at batch {batch}: params ours {totals.params:,}, learnable initializers "
                            f"{entry['learnable_initializers']:,}")
    symbolic = costmodel.analyze(import_with_costmodel(path)).totals.flops
    log(f"{path.name}: flops {symbolic}; at batch 1 and 2 "
        f"{'equal to FlopCounterMode/2' if not problems else 'DIFFERENT'}")
    return problems


def check_from_torch(mobilenet_file: Path, log) -> list[str]:
    """costmodel.from_torch(mobilenet_v2) gives the same layers and totals as importing the exported file."""
    import costmodel

    from_file = costmodel.analyze(import_with_costmodel(mobilenet_file))
    in_memory = costmodel.analyze(costmodel.from_torch(build("mobilenet_v2"), input_shape("mobilenet_v2")))
    problems = []
    if in_memory.totals != from_file.totals:
        problems.append(f"from_torch(mobilenet_v2) totals {in_memory.totals} != file import {from_file.totals}")
    rows = [(l.name, l.flops, l.params) for l in in_memory.layers]
    if rows != [(l.name, l.flops, l.params) for l in from_file.layers]:
        problems.append("from_torch(mobilenet_v2) layers differ from the file import's")
    log(f"from_torch(mobilenet_v2): {len(rows)} layers, totals "
        f"{'equal to the file import' if not problems else 'DIFFERENT'}")
    return problems


def check_command(args) -> int:
    def log(line):
        print(line, flush=True)

    if args.models_dir:
        directory = Path(args.models_dir)
        reference = json.loads((directory / "reference.json").read_text())
    else:
        directory = Path(tempfile.mkdtemp(prefix="onnx_crosscheck_"))
        reference = {"models": {}, "variants": {}, "failures": {}}
        names = args.models or list(FIRST_MODELS) + [n for n in classification_models() if n not in FIRST_MODELS]
        for name in names:
            try:
                reference["models"][name] = export_with_reference(name, directory, log)
            except Exception as error:  # noqa: BLE001 - listed below with the reason
                reference["failures"][name] = f"{type(error).__name__}: {str(error).strip()[:200]}"
            gc.collect()
        if not args.models or "mobilenet_v2" in args.models:
            write_variants(directory, reference, log)
    names = [n for n in (args.models or reference["models"]) if n in reference["models"]]
    rows = []
    for name in names:
        started = time.perf_counter()
        rows.append(check_model(name, reference["models"][name], directory / reference["models"][name]["file"]))
        log(f"checked {name} in {time.perf_counter() - started:.1f} s")
    problems = []
    for variant, entry in reference["variants"].items():
        if "same_reference_as" in entry and entry["same_reference_as"] in reference["models"]:
            row = check_model(variant, reference["models"][entry["same_reference_as"]], directory / entry["file"])
            row["initializers"] = entry["learnable_initializers"]
            rows.append(row)
        elif "static_flop_counter_total" in entry or "batch_flop_counter_total" in entry:
            try:
                if "static_flop_counter_total" in entry:
                    problems += check_dynamic(directory / entry["file"], entry["static_flop_counter_total"], log)
                else:
                    problems += check_dynamic_batch(directory / entry["file"], entry, log)
            except Exception as error:  # noqa: BLE001
                problems.append(f"{entry['file']}: {type(error).__name__}: {error}")
    if "mobilenet_v2" in reference["models"] and not args.skip_from_torch:
        try:
            problems += check_from_torch(directory / reference["models"]["mobilenet_v2"]["file"], log)
        except Exception as error:  # noqa: BLE001
            problems.append(f"from_torch(mobilenet_v2): {type(error).__name__}: {error}")
    print()
    print_table(rows)
    failed = [row for row in rows if "error" in row or not is_equal(row)]
    for row in failed:
        print(f"\n{row['model']}:")
        if "error" in row:
            print(f"  import failed: {row['error']}")
            continue
        if row["params"] != row["initializers"]:
            print(f"  params ours {row['params']:,}, learnable initializers {row['initializers']:,} "
                  f"(torch sum(p.numel()) {row['torch_params']:,})")
        for line in row["mismatches"]:
            print(f"  {line}")
    for line in problems:
        print(f"\n{line}")
    if reference["failures"]:
        print("\nnot exported (torch.onnx.export, dynamo=False, opset 17):")
        for name, reason in sorted(reference["failures"].items()):
            print(f"  {name}: {reason}")
    equal = len(rows) - len(failed)
    print(f"\n{equal} of {len(rows)} files agree exactly; {len(problems)} other problems")
    return 1 if failed or problems else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    exporting = commands.add_parser("export", help="write <model>.onnx files and reference.json")
    exporting.add_argument("--out", required=True)
    exporting.add_argument("--force", action="store_true", help="redo models already in reference.json")
    exporting.add_argument("--dynamic-batch", action="store_true",
                           help="write <model>_dynamic_batch.onnx (the batch a dim_param) and its counts at batch 1, 2")
    exporting.add_argument("--references-only", action="store_true",
                           help="recount the torch references of files already exported, keeping the files")
    exporting.add_argument("--verbose", action="store_true")
    exporting.add_argument("models", nargs="*")
    checking = commands.add_parser("check", help="compare costmodel's import with the torch references")
    checking.add_argument("--models-dir", help="a directory written by `export` (else export into a temp dir)")
    checking.add_argument("--skip-from-torch", action="store_true", help="do not check costmodel.from_torch")
    checking.add_argument("models", nargs="*")
    args = parser.parse_args(argv)
    if args.command == "export":
        return export_command(args)
    return check_command(args)


if __name__ == "__main__":
    sys.exit(main())
