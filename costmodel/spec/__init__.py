"""Hand-written YAML layer specs -> ``Graph``, safely, with exact errors.

    from costmodel.spec import load_spec, read
    graph = load_spec("net.yaml", {"c1": 128})        # values override the symbols' defaults
    spec = read("net.yaml")                           # read once, build for many values:
    graphs = [spec.build({"c1": c}) for c in (64, 128)]

The format is documented in ``docs/spec.md``; the examples shipped in ``costmodel/examples/`` show it.
Nothing in a spec is executed: YAML is read as plain data (``costmodel.spec.yamltree``) and expressions are
computed by our own walker over a whitelisted syntax tree (``costmodel.spec.expressions``).

Every mistake raises ``SpecError``, whose text is one line
``FILE:LINE:COL: what is wrong (values seen)``; no other exception escapes. The stages:
``costmodel.spec.yamltree`` (YAML -> located tree) -> ``costmodel.spec.document`` and
``costmodel.spec.entries`` (structure, names, references) -> ``costmodel.spec.builder`` (values, shapes, the graph).
The way back, a graph as a spec, is ``write_spec`` (``costmodel.spec.writer``, the layout;
``costmodel.spec.spelling``, values and names as spec text).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..graph import Graph
from . import limits
from .builder import build_graph
from .document import read_document
from .expressions import step_budget
from .problem import Problem
from .values import resolve_symbols
from .writer import write_spec
from .yamltree import read_tree

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_spec(path_or_text: Any, values: Mapping[str, Any] | None = None, *, filename: str | None = None) -> Graph:
    """Read a spec and build its graph.

    ``path_or_text``: a path (``str`` without a line break, or ``os.PathLike``), or the spec's text (a
    ``str`` holding at least one line break, or ``bytes`` of UTF-8). ``values`` maps declared symbol names to ints, Fractions,
    floats (read as exact decimals), sympy expressions, or text (an expression whose names become new
    symbols: ``"alpha"``); symbols without value take their default or stay symbolic. ``filename`` names
    the spec in error messages (default: the path, or ``<spec>`` for text).

    Raises ``SpecError`` for every mistake, and nothing else.
    """
    _check_values(values, path_or_text, filename)
    return read(path_or_text, filename=filename).build(values)


def spec_symbols(path_or_text: Any, values: Mapping[str, Any] | None = None, *,
                 filename: str | None = None) -> dict:
    """The declared symbols of a spec and the values they take with ``values`` (see ``load_spec``):
    ints or Fractions, sympy expressions, or sympy symbols for those left without value."""
    _check_values(values, path_or_text, filename)
    return read(path_or_text, filename=filename).values(values)


@dataclass(frozen=True)
class DeclaredSymbol:
    """A symbol a spec declares: its name, whether it is a whole number, and whether it has a default."""

    name: str
    integer: bool
    has_default: bool


class SpecFile:
    """A spec read and checked once; ``build`` makes its graph for any values of its symbols.

    ``name`` is the graph's name, ``shown`` names the spec in error messages, ``symbols`` lists the
    declared symbols (``DeclaredSymbol``) in order.
    """

    def __init__(self, document: Any, root: Any, shown: str):
        self._document, self._root, self.shown = document, root, shown
        self.name = document.name
        self.symbols = tuple(DeclaredSymbol(s.name, s.integer, s.default is not None) for s in document.symbols)

    def _anchor(self) -> Any:
        return self._root.key("symbols") if "symbols" in self._root.entries else self._root

    def values(self, values: Mapping[str, Any] | None = None) -> dict:
        """Each symbol's value with ``values`` given: the caller's, else its default, else a sympy symbol."""
        return _located(self.shown, lambda: resolve_symbols(self._document.symbols, values, self._anchor()))

    def defaults(self) -> dict:
        """The default of each symbol that has one (a symbol only where a default uses a symbol without one)."""
        declared = [s for s in self._document.symbols if s.default is not None]
        try:
            return _located(self.shown, lambda: resolve_symbols(declared, None, self._anchor()))
        except SpecError:  # a default uses a symbol without default: resolve them all
            every = self.values()
            return {s.name: every[s.name] for s in declared}

    def build(self, values: Mapping[str, Any] | None = None) -> Graph:
        """The graph with ``values`` for some of the symbols (see ``load_spec``)."""
        return _located(self.shown, lambda: build_graph(self._document, values))


def read(path_or_text: Any, *, filename: str | None = None) -> SpecFile:
    """Read and check a spec once (a path or a spec's text, as ``load_spec`` takes); raises SpecError."""
    text, shown, stem = _source(path_or_text, filename)

    def parse():
        root = read_tree(text)
        return SpecFile(read_document(root, stem), root, shown)

    return _located(shown, parse)


def _check_values(values: Any, path_or_text: Any, filename: str | None) -> None:
    if values is not None and not isinstance(values, Mapping):
        shown = _source(path_or_text, filename)[1]
        raise SpecError(f"values must map symbol names to values, got {type(values).__name__}", shown)


def _located(shown: str, then) -> Any:
    try:
        with step_budget():
            return then()
    except Problem as problem:
        raise SpecError(problem.message, shown, problem.line, problem.col) from None
    except (ArithmeticError, AttributeError, IndexError, KeyError, TypeError, ValueError, RecursionError) as error:
        # a safety net: every mistake should have met a check above; say so plainly if one did not
        raise SpecError(f"internal error while reading the spec ({type(error).__name__}: "
                        f"{' '.join(str(error).split())}); please report it", shown) from None


def _source(path_or_text: Any, filename: str | None) -> tuple[str, str, str]:
    """(text, name for messages, default graph name) of a path or a spec text."""
    if filename is not None and not isinstance(filename, str):
        raise SpecError(f"filename must be text (the name errors show), got {type(filename).__name__}", "<spec>")
    if isinstance(path_or_text, bytes):
        return _decode(path_or_text, filename or "<spec>"), filename or "<spec>", \
            Path(filename).stem if filename else "spec"
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return path_or_text, filename or "<spec>", Path(filename).stem if filename else "spec"
    if not isinstance(path_or_text, (str, os.PathLike)):
        raise SpecError(f"load_spec takes a path or the text of a spec, got {type(path_or_text).__name__}",
                        filename or "<spec>")
    path = Path(path_or_text)
    shown = filename or str(path_or_text)
    try:
        with open(path, "rb") as handle:
            data = handle.read(4 * limits.MAX_SPEC_CHARS + 1)
    except OSError as error:
        raise SpecError(f"cannot read the spec file ({error.strerror or error})", shown) from None
    except ValueError:  # a path holding a null character
        raise SpecError("cannot read the spec file (its path holds a null character)", repr(shown)) from None
    if len(data) > 4 * limits.MAX_SPEC_CHARS:
        raise SpecError(f"the spec file is larger than the limit of {limits.MAX_SPEC_CHARS} characters", shown)
    return _decode(data, shown), shown, path.stem


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        col = len(data[data.rfind(b"\n", 0, error.start) + 1:error.start].decode("utf-8", "replace")) + 1
        raise SpecError(f"the spec is not UTF-8 text: byte 0x{data[error.start]:02x} cannot be read", shown,
                        line, col) from None


__all__ = ["EXAMPLES", "DeclaredSymbol", "SpecFile", "limits", "load_spec", "read", "spec_symbols", "write_spec"]
