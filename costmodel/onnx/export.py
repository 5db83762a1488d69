"""Any network as an ONNX model (opset 17): ``to_onnx(target) -> onnx.ModelProto``, ``export(target, path)``.

    import costmodel
    costmodel.export("shufflenet_v2", "shufflenet_v2.onnx")             # random weights, seeded
    model = costmodel.to_onnx("net.yaml", weights="zero", width=0.5)     # in memory, nothing written

Each IR node becomes the ONNX nodes that ``costmodel.onnx``'s importer reads back as that node, so that
``costmodel table net.onnx`` gives the same table as the network it was written from (same names, ops,
shapes, flops, params and mac).

**Names.** An ONNX node is named exactly as our node (``stage2.0.conv1``). A layer written as several ONNX
nodes names its main node ``<layer>`` and its helpers ``<layer>/<part>`` (a channel shuffle is
``<layer>/group`` (Reshape), ``<layer>`` (Transpose), ``<layer>/ungroup`` (Reshape); a swish is
``<layer>/sigmoid`` and ``<layer>`` (Mul); a GELU ``<layer>/div``, ``<layer>/erf``, ``<layer>/add``,
``<layer>/mul`` and ``<layer>`` (the final Mul); a fully connected layer with bias on an input of rank
above 1 ``<layer>`` (MatMul) and ``<layer>/bias`` (Add)): whatever comes before the first ``/`` of an ONNX node
name is the layer it belongs to (what ``costmodel measure`` maps ONNX Runtime's profile back with). A
layer's output tensor is named as the layer (``<layer>:<i>`` for output ``i`` of a split), its weights
``<layer>.weight`` and ``<layer>.bias`` (BatchNorm: ``.scale``, ``.bias``, ``.mean``, ``.var``), a
helper's tensors ``<layer>/<part>``; the graph inputs keep their names.

**Weights.** ``weights="random"`` (default) draws every learned tensor from a seeded uniform
distribution scaled by its fan-in (``U(-b, b)``, ``b = sqrt(3/fan_in)``, so activations keep about their
size through the network), biases and BatchNorm shifts are 0, scales 1; ``"zero"`` writes zeros;
``None`` (``--no-weights``) writes no weight at all: each learned tensor and each BatchNorm statistic is
a graph input of its shape instead of an initializer (Netron still shows every shape), marked as such in
its metadata (``costmodel.role: weight``) so that the importer counts it as a parameter. Small constants
the ops need (shapes, clip bounds, GELU's constants) are initializers in every mode. One file holds at
most 2 GB (protobuf's limit): a network with more weights is refused unless written without them.

**Stages.** A layer whose stage is not the first part of its name (``conv1_bn`` reported under ``conv1``)
carries it as the node metadata ``costmodel.stage``, which the importer reads.

**Batch.** The graph's batch N is the first axis of every tensor: the graph's own (1 unless it says), or
``batch=4``; ``batch="N"`` writes the symbolic dimension ``N``, which the importer reads as the parameter
``N`` (ONNX Runtime then runs any batch).

**Refused.** A network with symbolic sizes (``-s resolution=r``) and the ops ONNX opset 17 has no faithful
form for (``shift``, ``deform_conv``, ``group_norm``, ``max_unpool``, a ``constant`` other than a learned
one read by Concat, ``layer_norm`` / ``instance_norm`` without affine parameters, Add or Mul of more than
two tensors, ...) are refused with an ``ExportError`` naming the
node, the op and the reason; no file is written.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import ExportError, UsageError
from ..graph import Graph
from ..progress import stage
from .lowering import FILE_LIMIT, OPSET, REFUSED, Writer, written_kinds

WEIGHTS = ("random", "zero", None)
__all__ = ["to_onnx", "export", "layer_of", "output_path", "written_kinds", "REFUSED", "OPSET", "WEIGHTS"]


def _onnx():
    try:
        import onnx
    except ImportError:
        raise UsageError("ONNX export needs the onnx package: pip install 'costmodel[onnx]'") from None
    return onnx


def to_onnx(target: Any, *, weights: str | None = "random", opset: int = OPSET, seed: int = 0,
            batch: Any = None, **values: Any):
    """The ``onnx.ModelProto`` of ``target`` (a Graph, zoo name, spec or ONNX path, or a graph factory, built
    with ``values`` as ``costmodel.load`` does), checked with ``onnx.checker.check_model(full_check=True)``.

    Args:
        target: what to export; a ``Graph`` is exported as it is (``values`` must then be empty).
        weights: ``"random"`` (seeded by ``seed``), ``"zero"``, or ``None`` for no weights (graph inputs
            of the weights' shapes instead of initializers).
        opset: the ONNX opset to declare; only 17 is written.
        seed: picks the random weights (the same number, the same weights).
        batch: ``None`` writes the graph's batch size, a number another one; a name (``"N"``) writes a
            symbolic batch dimension.
    """
    if weights not in WEIGHTS:
        raise UsageError(f"export weights must be 'random', 'zero' or None, got {weights!r}")
    if opset != OPSET:
        raise UsageError(f"export writes ONNX opset {OPSET} only, got opset {opset!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"export seed must be a whole number at least 0, got {seed!r}")
    if batch is not None and not (isinstance(batch, str) and batch.isidentifier()) and \
            not (type(batch) is int and batch >= 1):
        raise UsageError(f"export batch must be None, a positive whole number or a name such as 'N', got {batch!r}")
    onnx = _onnx()
    if isinstance(target, Graph):
        if values:
            raise UsageError(f"export of a Graph takes no values, got {', '.join(values)}")
        graph = target
    else:
        from ..targets import load

        graph = load(target, **values)
    model = Writer(graph, onnx, weights, seed, batch).model()
    if model.ByteSize() >= FILE_LIMIT:
        raise ExportError(f"graph '{graph.name}': the model would take {model.ByteSize() / 2 ** 30:.1f} GB, above "
                          f"the 2 GB an ONNX file holds; write it without weights (--no-weights)")
    try:
        with stage("checking ONNX"):
            onnx.checker.check_model(model, full_check=True)
    except Exception as error:  # a bug of ours, never the user's: say what the checker said
        first = " ".join(str(error).split())[:300]
        raise ExportError(f"graph '{graph.name}': the ONNX model written fails onnx.checker ({first}); "
                          f"this is a bug in costmodel's exporter") from None
    return model


def layer_of(onnx_node_name: str) -> str:
    """The layer an ONNX node of an exported model belongs to: its name up to the first ``/``
    (``stage2.0.shuffle/group`` -> ``stage2.0.shuffle``)."""
    return onnx_node_name.split("/", 1)[0]


def output_path(path: str | os.PathLike, what: str = "") -> Path:
    """``path`` as the file to write, refused when it is a directory or its folder does not exist;
    ``what`` prefixes the messages (``-o`` on the command line)."""
    where = Path(path)
    label = f"{what} {path}" if what else str(path)
    try:
        if where.is_dir():
            raise UsageError(f"{label}: is a directory; give the path of the ONNX file to write")
        if not where.parent.is_dir():
            raise UsageError(f"{label}: the folder {where.parent} does not exist")
    except OSError as error:  # a name too long, a loop of links
        raise UsageError(f"{label}: cannot write the ONNX file ({error.strerror or error})") from None
    return where


def export(target: Any, path: str | os.PathLike, *, weights: str | None = "random", opset: int = OPSET,
           seed: int = 0, batch: Any = None, **values: Any) -> Path:
    """Write ``to_onnx(target, ...)`` to ``path`` (see ``to_onnx``); returns the path. Nothing is written
    when the network cannot be exported."""
    where = output_path(path)
    model = to_onnx(target, weights=weights, opset=opset, seed=seed, batch=batch, **values)
    data = model.SerializeToString()
    partial = None  # written beside the target, renamed once whole: a failed write leaves no file
    try:
        with tempfile.NamedTemporaryFile("wb", dir=where.parent, prefix=".costmodel-", suffix=".onnx",
                                         delete=False) as handle:
            partial = handle.name
            handle.write(data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(partial, 0o666 & ~mask)  # the mode a plain open() gives, not the temporary file's 0600
        os.replace(partial, where)
    except OSError as error:
        if partial is not None and os.path.exists(partial):
            os.unlink(partial)
        raise UsageError(f"{path}: cannot write the ONNX file ({error.strerror or error})") from None
    return where
