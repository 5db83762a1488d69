"""An ONNX file as a buildable target: its symbolic input sizes (dim_params) are its parameters."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelError, UsageError
from ..graph import Graph

try:
    from ..targets import Parameter
except ImportError:  # the front door's Parameter, until it lands
    @dataclass(frozen=True)
    class Parameter:  # type: ignore[no-redef]
        name: str
        default: Any
        kind: str
        choices: tuple = ()
        doc: str = ""


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


class OnnxTarget:
    """``target("model.onnx")``: the file decoded once; :meth:`build` makes the graph for given sizes."""

    def __init__(self, path: str | os.PathLike, *, allow_unknown: bool = False):
        from .importer import input_symbols

        self.path = Path(path)
        self.file = str(path)
        self.name = self.path.stem
        self.allow_unknown = allow_unknown
        self.model = decode(self.path, self.file)
        symbols = input_symbols(self.model.graph) if self.model.graph is not None else {}
        self.parameters = {
            name: Parameter(name, None, "whole", doc=f"the model's dynamic size '{param}'")
            for param, name in symbols.items()}

    def values(self, **values) -> dict:
        """The parameter values a build uses: those given, the others as symbols of their own name."""
        from ..values import suggest

        for key in values:
            if key not in self.parameters:
                have = ", ".join(self.parameters) or "none"
                raise UsageError(f"{self.name} has no parameter {key!r}{suggest(key, self.parameters)}; its "
                                 f"parameters: {have}")
        return {name: dimension_value(name, values.get(name)) for name in self.parameters}

    def imported(self, **values) -> Imported:
        from .importer import Importer

        checked = self.values(**values)
        graph, report = Importer(self.model, self.file, checked, self.allow_unknown).run()
        return Imported(graph, report)

    def build(self, **values) -> Graph:
        return self.imported(**values).graph

    def __repr__(self) -> str:
        return f"OnnxTarget({self.file!r})"


def decode(path: Path, file: str):
    """The decoded model, or a :class:`ModelError` saying why the file cannot be read."""
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
    """The target of an ONNX file (see :class:`OnnxTarget`); errors are :class:`ModelError`."""
    if not Path(path).is_file():
        raise ModelError(f"{path}: no such file")
    return OnnxTarget(path, allow_unknown=allow_unknown)
