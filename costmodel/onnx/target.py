"""An ONNX file as a buildable target: its symbolic input sizes (dim_params) are its parameters."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelError, UsageError
from ..graph import Graph
from ..targets import Target
from ..values import Parameter


def dimension_value(name: str, value: Any) -> Any:
    """A size set for parameter ``name``: a positive int or a sympy expression; None makes it a symbol."""
    if value is None:
        import sympy

        return sympy.Symbol(name, positive=True, integer=True)
    if isinstance(value, bool) or not (isinstance(value, int) or hasattr(value, "free_symbols")):
        raise UsageError(f"parameter {name} must be a positive whole number or a symbol, got {value!r}")
    if getattr(value, "is_Integer", False):
        value = int(value)
    if isinstance(value, int) and value < 1:
        raise UsageError(f"parameter {name} must be a positive whole number or a symbol, got {value}")
    return value


@dataclass(frozen=True)
class Imported:
    """An imported model: the IR graph and the record of what the import did."""

    graph: Graph
    report: Any  # ImportReport


class OnnxTarget(Target):
    """``target("model.onnx")``: the file decoded once; its dim_params are ``whole`` parameters whose
    default (None) keeps them symbols; ``build`` makes the graph, ``imported`` also the report."""

    def __init__(self, path: str | os.PathLike, *, allow_unknown: bool = False):
        from .importer import input_symbols

        self.path = Path(path)
        self.file = str(path)
        self.allow_unknown = allow_unknown
        self.model = decode(self.path, self.file)
        symbols = input_symbols(self.model.graph) if self.model.graph is not None else {}
        super().__init__(self.path.stem, [Parameter(name, None, "whole", doc=f"the model's dynamic size '{param}'")
                                          for param, name in symbols.items()], check_ranges=True)

    def imported(self, **values) -> Imported:
        """The graph and the ``ImportReport`` for ``values``."""
        from .importer import Importer

        typed = self.typed(values)
        sizes = {name: dimension_value(name, typed.get(name)) for name in self.parameters}
        graph, report = Importer(self.model, self.file, sizes, self.allow_unknown).run()
        return Imported(graph, report)

    def _build(self, typed: dict) -> Graph:
        return self.imported(**typed).graph

    def __repr__(self) -> str:
        return f"OnnxTarget({self.file!r})"


def decode(path: Path, file: str):
    """The decoded model, or a ``ModelError`` saying why the file cannot be read."""
    from .wire import LimitError, WireError, read_model

    try:
        return read_model(path)
    except WireError as error:
        raise ModelError(f"{file}: not an ONNX model, or a damaged one: {error}") from None
    except LimitError as error:
        raise ModelError(f"{file}: {error}") from None
    except OSError as error:
        raise ModelError(f"{file}: cannot be read: {error.strerror or error}") from None


def onnx_target(path: str | os.PathLike, *, allow_unknown: bool = False) -> OnnxTarget:
    """The target of an ONNX file (see ``OnnxTarget``); errors are ``ModelError``."""
    if not Path(path).is_file():
        raise ModelError(f"{path}: no such file")
    return OnnxTarget(path, allow_unknown=allow_unknown)
