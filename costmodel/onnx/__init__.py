"""Reading ONNX models into the IR, without the onnx package and without loading any weight.

    from costmodel.onnx import onnx_target
    target = onnx_target("mobilenet_v2.onnx")     # its dynamic sizes (dim_params) are its parameters
    graph = target.build(batch=1)                 # a costmodel Graph; sizes left out stay symbols
    imported = target.imported()                  # the graph and its ImportReport

See ``docs/import.md`` for what is supported and how params are counted.
"""
from .importer import FOLDERS, HANDLERS, ImportReport, UnknownNode, UnsupportedOps, folds, handles
from .target import Imported, OnnxTarget, onnx_target

__all__ = ["supported_ops_table", "onnx_target", "OnnxTarget", "Imported", "ImportReport", "UnknownNode",
           "UnsupportedOps", "HANDLERS", "FOLDERS", "handles", "folds"]


def supported_ops_table() -> str:
    """The Markdown table of supported ONNX op types, generated from the handler and folder registries."""
    from . import handlers  # noqa: F401  (registers them)

    rows = ["| ONNX op | becomes | on constants |", "|---|---|---|"]
    for op_type in sorted(set(HANDLERS) | set(FOLDERS)):
        handler = HANDLERS.get(op_type)
        first = (lambda f: (f.__doc__ or "").strip().split("\n\n")[0].replace("\n", " "))
        what = first(handler) if handler else f"folded away: {first(FOLDERS[op_type]) or 'shape arithmetic'}"
        what = " ".join(what.replace("|", "\\|").split())
        rows.append(f"| {op_type} | {what} | {'folded' if op_type in FOLDERS else ''} |")
    return "\n".join(rows) + "\n"
