"""costmodel: flops (multiply-adds), params and mac (memory access cost) of convolutional networks,
as exact integers or sympy closed forms, without any deep-learning framework."""
from .analysis import CONVENTIONS, FUSIONS, Analysis, Cost, LayerCost, analyze
from .errors import CostModelError, ExportError, GraphError, NodeError, OpError, SpecError, UsageError
from .graph import Graph, Node, Tensor
from .guidelines import (THRESHOLDS, Check, G1Finding, G2Finding, G3Finding, G4Finding, GroupAlternative, Summary,
                         check)
from .report import Table, table  # also how an Analysis displays itself (Analysis._repr_html_)
from .ops import (OPS, Add, AvgPool2d, BatchNorm, ChannelShuffle, Concat, Conv2d, ConvTranspose2d,
                  DeformableConv2d, Flatten, GlobalAvgPool, HardSigmoid, HardSwish, Identity, LeakyReLU, Linear,
                  LocalResponseNorm,
                  MaxPool2d, MaxUnpool2d, Mul, ReLU, ReLU6, Shift, Sigmoid, Split, Swish, Upsample, depthwise)
from .symbolic import symbols
from .targets import Parameter, Target, load, target

__version__ = "0.1.0"

__all__ = ["CONVENTIONS", "FUSIONS", "Analysis", "Cost", "LayerCost", "analyze", "CostModelError",
           "GraphError", "NodeError", "OpError", "SpecError", "UsageError", "Graph", "Node", "Tensor", "OPS",
           "Add", "AvgPool2d", "BatchNorm", "ChannelShuffle", "Concat", "Conv2d", "ConvTranspose2d",
           "DeformableConv2d", "Flatten", "GlobalAvgPool", "HardSigmoid", "HardSwish", "Identity", "LeakyReLU",
           "Linear", "LocalResponseNorm", "MaxPool2d", "MaxUnpool2d", "Mul", "ReLU", "ReLU6", "Shift", "Sigmoid", "Split", "Swish",
           "Upsample", "depthwise", "symbols", "check", "Check", "THRESHOLDS", "G1Finding", "G2Finding", "G3Finding",
           "G4Finding", "GroupAlternative", "Summary", "Parameter", "Target", "load", "target", "Table", "table", "sweep", "iter_sweep",
           "from_torch", "make_divisible", "export", "to_onnx", "ExportError", "Device", "Prediction", "load_device",
           "calibrate", "measure_graph", "Measurement"]

_DEVICE = ("Device", "Prediction", "load_device", "calibrate")


def __getattr__(name: str):
    if name in ("sweep", "iter_sweep"):  # the sweep's modules load only when sweeping
        from . import numeric

        return getattr(numeric, name)
    if name == "from_torch":  # torch loads only inside from_torch
        from .onnx.torch import from_torch

        return from_torch
    if name in ("export", "to_onnx"):  # onnx loads only when exporting
        from .onnx import export as exporter

        return getattr(exporter, name)
    if name in _DEVICE:  # the device model and its calibration load only when asked for
        from . import device

        return getattr(device, name)
    if name in ("measure_graph", "Measurement"):  # onnx and onnxruntime load only inside measure_graph
        from .measure import Measurement, measure

        return measure if name == "measure_graph" else Measurement
    if name == "make_divisible":  # the zoo's builders load only when asked for
        from .zoo.common import make_divisible

        return make_divisible
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
