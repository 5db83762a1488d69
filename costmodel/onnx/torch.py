"""``from_torch``: a PyTorch module's graph, by way of an ONNX export held in memory.

PyTorch is imported only when ``from_torch`` is called (``pip install torch``); nothing else in
costmodel imports it.
"""
from __future__ import annotations

import io
from typing import Any, Sequence

from ..errors import ModelError, UsageError
from ..graph import Graph

EXPORT_DEFAULTS = {"dynamo": False, "opset_version": 17}
SOURCE = "<from_torch>"


def check_input_shape(input_shape: Any) -> tuple[int, ...]:
    """``input_shape`` as a tuple of positive ints, batch first: ``(1, 3, 224, 224)``."""
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise UsageError(f"from_torch: input_shape must be a sequence of sizes, batch first, such as "
                         f"(1, 3, 224, 224), got {input_shape!r}")
    if len(input_shape) < 2:
        raise UsageError(f"from_torch: input_shape needs a batch and at least one more dimension, such as "
                         f"(1, 3, 224, 224), got {tuple(input_shape)!r}")
    for axis, size in enumerate(input_shape):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise UsageError(f"from_torch: input_shape[{axis}] must be a positive whole number, got {size!r} "
                             f"in {tuple(input_shape)!r}")
    return tuple(input_shape)


def from_torch(module: Any, input_shape: Sequence[int], **export_options: Any) -> Graph:
    """The costmodel graph of a PyTorch module, through an ONNX export held in memory.

    Exports ``module`` with ``torch.onnx.export(module, torch.randn(*input_shape), buffer, dynamo=False,
    opset_version=17, **export_options)`` (``export_options`` override those two and may add others, such as
    ``dynamic_axes={"input": {0: "batch"}}`` with ``input_names=["input"]``: a dynamic size becomes a symbol),
    then imports the bytes as ``costmodel.load`` imports a ``.onnx`` file. As for any export,
    ``params`` counts the exported initializers: BatchNorm folded into the preceding convolution (eval mode)
    leaves fewer of them than ``sum(p.numel() for p in module.parameters())``.
    """
    shape = check_input_shape(input_shape)
    try:
        import torch
    except ImportError:
        raise UsageError("from_torch needs PyTorch, which is not installed: pip install torch") from None
    if not isinstance(module, torch.nn.Module):
        raise UsageError(f"from_torch: module must be a torch.nn.Module, got {type(module).__name__}")
    options = {**EXPORT_DEFAULTS, **export_options}
    buffer = io.BytesIO()
    try:
        torch.onnx.export(module, torch.randn(*shape), buffer, **options)
    except Exception as error:  # torch raises many kinds; the user needs the first line, not a traceback
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ModelError(f"{SOURCE}: torch.onnx.export of {type(module).__name__} with input {shape} "
                         f"failed: {type(error).__name__}: {message}") from None
    return import_bytes(buffer.getvalue(), SOURCE)


def import_bytes(content: bytes, source: str) -> Graph:
    """The graph of a serialized ONNX model held in memory; a dynamic size stays a symbol of its name."""
    from .importer import Importer, input_symbols
    from .target import dimension_value
    from .wire import LimitError, WireError, read_bytes

    try:
        model = read_bytes(content)
    except (WireError, LimitError) as error:
        raise ModelError(f"{source}: the exported model cannot be read: {error}") from None
    symbols = input_symbols(model.graph) if model.graph is not None else {}
    values = {name: dimension_value(name, None) for name in symbols.values()}
    graph, _report = Importer(model, source, values, False).run()
    return graph
