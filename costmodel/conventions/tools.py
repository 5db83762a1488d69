"""What ptflops, fvcore, thop, torchinfo and FlopCounterMode count per op: one rule table per tool.

Each rule was read from the tool's source at the pinned version (``costmodel.conventions.TOOL_VERSIONS``)
and checked against its counts on torchvision networks (``tests/data/tool_counts.json``, recorded by
``benchmarks/tool_counts.py``). Shapes are per sample, ``(C, H, W)`` or ``(F,)``; "per element" is per
element of the op's input unless the rule says output. ``ours`` is the op's own multiply-adds (the ``all``
convention's rule: ``k_h·k_w·(C/g)·C'·H'·W'`` for a convolution, ``in·out`` for a linear layer).
The kinds a table leaves out count 0: the tool has no rule for them (ptflops and thop treat unknown modules
as zero-ops, fvcore skips unsupported aten ops with a warning, FlopCounterMode counts only matrix products).
"""
from __future__ import annotations

from ..dims import product
from ..ops.base import numel
from . import Convention, Rule

CONV_KINDS = ("conv", "conv_transpose", "deform_conv")


def _ours(op, inputs, outputs, call):
    return op.multiply_adds(inputs, outputs)


def _twice_ours(op, inputs, outputs, call):
    return 2 * op.multiply_adds(inputs, outputs)


def _output_bias(op, inputs, outputs):
    """One addition per output element when the layer has a bias."""
    return numel(outputs[0]) if getattr(op, "bias", False) else 0


def _ours_plus_bias(op, inputs, outputs, call):
    return op.multiply_adds(inputs, outputs) + _output_bias(op, inputs, outputs)


def _per_input(scale):
    return lambda op, inputs, outputs, call: scale * numel(inputs[0])


def _per_output(scale):
    return lambda op, inputs, outputs, call: scale * numel(outputs[0])


def _module_twice(op, inputs, outputs, call):
    """A module whose forward calls a patched functional is counted by both: 2 per element, 1 when functional."""
    return (2 if call == "module" else 1 if call == "functional" else 0) * numel(inputs[0])


def _module_twice_output(op, inputs, outputs, call):
    return (2 if call == "module" else 1 if call == "functional" else 0) * numel(outputs[0])


def _module_only(op, inputs, outputs, call):
    return numel(outputs[0]) if call == "module" else 0


def _functional_only(op, inputs, outputs, call):
    return numel(outputs[0]) if call in ("module", "functional") else 0


def _torch_add(op, inputs, outputs, call):
    return numel(outputs[0]) if call == "functional" else 0


def _thop_adaptive_pool(op, inputs, outputs, call):
    """(window + 1) per output element: H·W/(H'·W') additions and one division."""
    return (product(inputs[0][1:]) + 1) * inputs[0][0] if call == "module" else 0


def _thop_upsample(op, inputs, outputs, call):
    return (11 if op.mode == "bilinear" else 1) * numel(outputs[0]) if call == "module" else 0


def _thop_conv(op, inputs, outputs, call):
    """numel(output)·(C/g)·k_h·k_w: the weights per output position, for a transposed one too."""
    kh, kw = op.kernel
    return numel(outputs[0]) * (inputs[0][0] // op.groups) * kh * kw


def _module(rule):
    """The rule when the op is an nn module, 0 when functional (a hook-based tool sees modules only)."""
    return lambda op, inputs, outputs, call: rule(op, inputs, outputs, call) if call == "module" else 0


def _torchinfo(op, inputs, outputs, call):
    """Its parameters, times the output positions H'·W' for a convolution (torchinfo's LayerInfo.calculate_macs)."""
    if call != "module":
        return 0
    params = op.params(inputs)
    if op.kind in CONV_KINDS:
        return params * product(outputs[0][1:])
    return params * (product(outputs[0][:-1]) if getattr(op, "any_rank", False) else 1)


def _fvcore_upsample(op, inputs, outputs, call):
    return (4 if op.mode == "bilinear" else 1) * numel(outputs[0])


def _bias_linear(op, inputs, outputs, call):
    return op.multiply_adds(inputs, outputs) + (numel(outputs[0]) if op.bias else 0)


def _affine(with_affine, without):
    """Per input element: ``with_affine`` when the op has a learned scale (``affine``), else ``without``."""
    return lambda op, inputs, outputs, call: (with_affine if op.affine else without) * numel(inputs[0])


def _thop_softmax(op, inputs, outputs, call):
    """(3·n - 1) per softmax of n elements: n exponentials, n - 1 additions, n divisions."""
    n = inputs[0][op.axis]
    return (numel(inputs[0]) // n) * (3 * n - 1) if call == "module" else 0


FVCORE_EXACT_EINSUMS = ("abc,abd->acd", "abc,adc->adb")  # with the batch index first, letters renamed in order


def _fvcore_einsum(op, inputs, outputs, call):
    """fvcore counts two einsums exactly; any other as numpy's einsum_path prints its cost (to 4 significant
    digits, 2 per multiply-add with a contracted index), halved and floored."""
    terms, output = op.equation.split("->")
    batched = ",".join("@" + term for term in terms.split(",")) + "->@" + output
    renamed = {letter: chr(97 + i) for i, letter in enumerate(dict.fromkeys(c for c in batched if c != ","
                                                                            and c != "-" and c != ">"))}
    exact = op.multiply_adds(inputs, outputs)
    if "".join(renamed.get(c, c) for c in batched) in FVCORE_EXACT_EINSUMS or not isinstance(exact, int):
        return exact
    contracted = bool(set(terms.replace(",", "")) - set(output))
    return int(float(f"{exact * (2 if contracted else 1):.3e}") // 2)


CONV_OURS = Rule("ours (bias not counted)", _ours)
CONV_BIAS = Rule("ours + C'·H'·W' with a bias", _ours_plus_bias)
LINEAR_BIAS = Rule("in·out + out with a bias", _bias_linear)
MATMUL = Rule("ours (M·K·N per product)", _ours)

PTFLOPS = Convention(
    "ptflops", "ptflops' default (pytorch) backend: module hooks plus patched torch.nn.functional calls",
    per_image=True, tool="ptflops 0.7.5",
    run='get_model_complexity_info(model, (3, 224, 224), as_strings=False, backend="pytorch")',
    rules={
        "conv": CONV_BIAS, "conv_transpose": Rule("ours (input positions) + C'·H'·W' with a bias", _ours_plus_bias),
        "linear": LINEAR_BIAS, "matmul": MATMUL,
        "batch_norm": Rule("2 per element (module hook)", _module(_per_input(2))),
        "layer_norm": Rule("1 per element (its hook doubles for `affine`, which nn.LayerNorm lacks)",
                           _module(_per_input(1))),
        "group_norm": Rule("2 per element (1 without affine)", _module(_affine(2, 1))),
        "instance_norm": Rule("2 per element (1 without affine)", _module(_affine(2, 1))),
        "relu": Rule("nn.ReLU 2 per element (hook and patched F.relu), F.relu 1", _module_twice),
        "prelu": Rule("nn.PReLU 2 per element, F.prelu 1", _module_twice),
        "gelu": Rule("nn.GELU 2 per element, F.gelu 1", _module_twice),
        "relu6": Rule("1 per element (nn.ReLU6 runs F.hardtanh, not patched; F.relu6 1)", _functional_only),
        "leaky_relu": Rule("1 per element (module hook only)", _module_only),
        "swish": Rule("1 per element (patched F.silu)", _functional_only),
        "max_pool": Rule("nn.MaxPool2d 2 per input element (hook and patched F.max_pool2d), F 1", _module_twice),
        "avg_pool": Rule("nn.AvgPool2d 2 per input element, F.avg_pool2d 1", _module_twice),
        "global_avg_pool": Rule("nn.AdaptiveAvgPool2d 2 per input element, F.adaptive_avg_pool2d 1, "
                                "x.mean 0", _module_twice),
        "upsample": Rule("nn.Upsample 2 per output element, F.interpolate 1", _module_twice_output),
        "softmax": Rule("1 per element (patched F.softmax)", _functional_only),
        "add": Rule("torch.add 1 per output element; the + operator 0", _torch_add),
        "mul": Rule("torch.mul 1 per output element; the * operator 0", _torch_add),
    })

PTFLOPS_ATEN = Convention(
    "ptflops-aten", "ptflops' aten backend: aten.convolution, mm, matmul, addmm, bmm only",
    per_image=True, tool="ptflops 0.7.5",
    run='get_model_complexity_info(model, (3, 224, 224), as_strings=False, backend="aten")',
    rules={"conv": CONV_BIAS, "conv_transpose": CONV_BIAS, "linear": LINEAR_BIAS, "matmul": MATMUL,
           "einsum": Rule("ours (it runs as aten.bmm)", _ours)})

FVCORE = Convention(
    "fvcore", "fvcore's FlopCountAnalysis: its handlers per traced aten op (one per multiply-add)",
    tool="fvcore 0.1.5.post20221221", run="FlopCountAnalysis(model, x).total()",
    rules={
        "conv": CONV_OURS, "conv_transpose": CONV_OURS, "linear": Rule("in·out (bias not counted)", _ours),
        "matmul": MATMUL,
        "einsum": Rule("numpy's einsum_path cost to 4 digits, halved (two bmm-like forms exactly)", _fvcore_einsum),
        "batch_norm": Rule("2 per element in eval mode (1 without affine)", _per_input(2)),
        "layer_norm": Rule("5 per element (4 without affine)", _affine(5, 4)),
        "group_norm": Rule("5 per element (4 without affine)", _affine(5, 4)),
        "instance_norm": Rule("5 per element (4 without affine)", _affine(5, 4)),
        "global_avg_pool": Rule("aten::adaptive_avg_pool2d 1 per input element; x.mean 0 (unsupported)",
                                lambda op, inputs, outputs, call: numel(inputs[0]) if call != "method" else 0),
        "upsample": Rule("nearest 1, bilinear 4 per output element", _fvcore_upsample),
    })

THOP = Convention(
    "thop", "thop's profile: module hooks on leaf modules (one per multiply-add)",
    tool="thop 0.1.1.post2209072238", run="profile(model, (x,))",
    rules={
        "conv": Rule("numel(output)·(C/g)·k_h·k_w (bias not counted)", _module(_thop_conv)),
        "conv_transpose": Rule("weights per OUTPUT position: numel(output)·(C/g)·k_h·k_w", _module(_thop_conv)),
        "linear": Rule("in·out (bias not counted)", _module(_ours)),
        "batch_norm": Rule("4 per element (2, doubled for affine)", _module(_per_input(4))),
        "layer_norm": Rule("4 per element (2 without affine)", _module(_affine(4, 2))),
        "instance_norm": Rule("4 per element (2 without affine)", _module(_affine(4, 2))),
        "softmax": Rule("(3·n - 1) per softmax of n elements", _thop_softmax),
        "prelu": Rule("1 per element", _module(_per_input(1))),
        "avg_pool": Rule("1 per output element", _module(_per_output(1))),
        "global_avg_pool": Rule("nn.AdaptiveAvgPool2d (H·W/(H'·W') + 1) per output element; functional 0",
                                _thop_adaptive_pool),
        "upsample": Rule("nearest 1, bilinear 11 per output element", _thop_upsample),
    })

_TORCHINFO_RULE = Rule("its parameters (weights + bias elements, BatchNorm 2·C), times H'·W' for a convolution",
                       _torchinfo)
TORCHINFO = Convention(
    "torchinfo", "torchinfo's summary: Mult-Adds from each leaf module's parameters",
    tool="torchinfo 1.8.0", run="summary(model, input_data=x, verbose=0).total_mult_adds",
    rules={kind: _TORCHINFO_RULE for kind in ("conv", "conv_transpose", "linear", "batch_norm",
                                               "layer_norm", "group_norm", "instance_norm", "prelu")})

TORCH = Convention(
    "torch", "PyTorch's FlopCounterMode: 2 per multiply-add of matrix products and convolutions",
    unit="flops (2 per multiply-add)", tool="FlopCounterMode of torch 2.13.0",
    run="with FlopCounterMode(display=False) as counter: model(x); counter.get_total_flops()",
    rules={"conv": Rule("2 × ours (bias not counted)", _twice_ours),
           "conv_transpose": Rule("2 × ours (bias not counted)", _twice_ours),
           "linear": Rule("2·in·out (bias not counted)", _twice_ours),
           "matmul": Rule("2 × ours", _twice_ours), "einsum": Rule("2 × ours (it runs as aten.bmm)", _twice_ours)})

TOOL_CONVENTIONS = (PTFLOPS, PTFLOPS_ATEN, FVCORE, THOP, TORCHINFO, TORCH)
