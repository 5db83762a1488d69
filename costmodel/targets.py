"""One typed way in: ``target`` turns a zoo name, a spec path, an ONNX path, a graph factory or a Graph
into a ``Target`` (its parameters and a ``build``), and ``load`` builds it.

    import costmodel
    graph = costmodel.load("mobilenet_v2", width=Fraction(3, 4), resolution=160)
    graph = costmodel.load("net.yaml", c1=128)
    graph = costmodel.load(my_factory, width=0.5)     # def my_factory(width=1.0, resolution=224) -> Graph

Values are typed: ints, ``Fraction``, floats (read as exact decimals: 0.75 is 3/4), sympy expressions,
bools for flags, words for choices. Nothing here reads command-line text; the CLI parses ``-s`` and
``--grid`` into these values (``costmodel.cli.settings``).
"""
from __future__ import annotations

import inspect
import os
import typing
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .errors import CostModelError, UsageError
from .graph import Graph
from .values import Parameter, as_rational, is_number, kind_of, show, suggest

class Target:
    """Something that can be built into a ``Graph``: its ``name``, its ``parameters``
    (name -> ``Parameter``) and ``builder``, called with the given values, checked and made exact.

    ``check_ranges``: also refuse numbers a kind does not allow (a whole parameter at 2.5 or 0, a ratio at
    0); zoo networks and specs check their own values, with the constraint each parameter has.
    """

    def __init__(self, name: str, parameters: Iterable[Parameter] = (), builder: Callable[..., Graph] | None = None,
                 *, check_ranges: bool = False):
        self.name = name
        self.parameters = {p.name: p for p in parameters}
        self._builder = builder
        self._check_ranges = check_ranges

    def __repr__(self) -> str:
        return f"Target({self.name!r}, parameters={list(self.parameters)})"

    def typed(self, values: Mapping[str, Any]) -> dict:
        """The given ``values`` checked against the parameters and made exact (floats -> decimal Fractions,
        integral Fractions -> ints); defaults are not filled in."""
        typed = {}
        for key, value in values.items():
            if key not in self.parameters:
                listed = ", ".join(self.parameters) or "none"
                raise UsageError(f"{self.name} has no parameter {show(key)}{suggest(key, self.parameters)}; its "
                                 f"parameters are {listed}")
            typed[key] = self._value(self.parameters[key], value)
        return typed

    def values(self, **values: Any) -> dict:
        """Every parameter's value with ``values`` given: the given ones typed, the others at their default."""
        typed = self.typed(values)
        return {name: typed.get(name, p.default) for name, p in self.parameters.items()}

    def build(self, **values: Any) -> Graph:
        """The graph with ``values`` for some parameters (the others at their defaults)."""
        return self._build(self.typed(values))

    def check(self, **values: Any) -> dict:
        """``values`` typed and checked as ``build`` checks each parameter's value, without building (a
        sweep checks every grid value so, and builds one point per distinct graph)."""
        return self.typed(values)

    def _build(self, typed: dict) -> Graph:
        if self._builder is None:
            raise NotImplementedError(f"target {self.name} has no builder")
        return self._builder(**typed)

    def _value(self, parameter: Parameter, value: Any) -> Any:
        if self._check_ranges:
            return parameter.check(self.name, value)
        what = f"{self.name} {parameter.name}"
        if parameter.kind == "flag" and not isinstance(value, bool):
            raise UsageError(f"{what} must be true or false, got {show(value)}")
        if parameter.kind == "choice" and not isinstance(value, str):
            raise UsageError(f"{what} must be a word, got {show(value)}")
        if parameter.kind in ("whole", "ratio"):
            value = _exact(value, what)
        if parameter.choices and value not in parameter.choices:
            listed = ", ".join(c if isinstance(c, str) else show(c) for c in parameter.choices)
            raise UsageError(f"{what} must be one of {listed}, got {show(value)}")
        return value


class _SpecTarget(Target):
    """A spec file read once; its parameters are the declared symbols (kind ``whole`` unless declared
    ``integer: false``). Values reach the spec's own checks, which name the file, line and column."""

    def __init__(self, spec: Any):
        self.spec = spec
        defaults = spec.defaults()
        super().__init__(spec.name, [Parameter(s.name, defaults.get(s.name), "whole" if s.integer else "ratio")
                                     for s in spec.symbols])

    def typed(self, values: Mapping[str, Any]) -> dict:
        # an undeclared name is left to the spec, whose error points at the file's symbols
        known = super().typed({k: v for k, v in values.items() if k in self.parameters})
        return {k: known.get(k, v) for k, v in values.items()}

    def values(self, **values: Any) -> dict:
        return self.spec.values(self.typed(values))

    def check(self, **values: Any) -> dict:
        typed = self.typed(values)
        self.spec.values(typed)  # the spec's checks of its symbols' values, located in the file
        return typed

    def _build(self, typed: dict) -> Graph:
        return self.spec.build(typed)


def target(obj: Any, *, allow_unknown: bool = False) -> Target:
    """The ``Target`` of ``obj``: a Target (itself), a zoo name, a spec path (``.yaml``/``.yml``, a path
    with a directory, or an existing file), an ONNX path (``.onnx``), a callable returning a Graph (its
    parameters are its arguments, their kinds read from their defaults), or a Graph (no parameters).

    ``allow_unknown`` (ONNX files only): nodes of op types costmodel has no rule for count 0 flops (their
    mac: inputs + outputs) instead of failing the build; the import report lists them."""
    found = _target(obj)
    if not allow_unknown or getattr(found, "allow_unknown", False):
        return found
    if not hasattr(found, "allow_unknown"):
        raise UsageError(f"allow_unknown applies to ONNX files only, and {show(found.name)} is not one")
    import copy

    found = copy.copy(found)  # the caller's target is left as it was
    found.allow_unknown = True
    return found


def _target(obj: Any) -> Target:
    if isinstance(obj, Target):
        return obj
    if isinstance(obj, Graph):
        return Target(obj.name, (), lambda: obj)
    if isinstance(obj, (str, os.PathLike)):
        return _path_target(obj)
    if callable(obj):
        return factory_target(obj)
    raise UsageError(f"cannot build {type(obj).__name__} {obj!r}: give a zoo name, a spec or ONNX path, a "
                     f"function returning a Graph, or a Graph")


def load(obj: Any, *, allow_unknown: bool = False, relax: bool = False, **values: Any) -> Graph:
    """``target(obj, allow_unknown=allow_unknown).build(**values)``: the graph of a zoo name, a spec or ONNX
    path, or a graph factory.

    ``relax=True`` builds it without rounding rules, for closed forms to hold against a paper's: symbolic
    channels are ``width*c`` (no floor, no minimum of 8, no rounding to multiples of 8), a symbolic size
    through a window of stride ``s`` is ``n/s``, and ``costmodel.analysis.analyze`` drops whatever
    rounding is left (``costmodel.symbolic.drop_rounding``). MobileNet v1 relaxed at ``width=alpha``
    gives ``Dk*Dk*alpha*M*DF*DF + alpha*N*alpha*M*DF*DF`` per separable layer, the paper's formula. Numeric
    values keep the exact rules."""
    if not isinstance(relax, bool):
        raise UsageError(f"load relax must be true or false, got {show(relax, limit=60)}")
    from .dims import relaxed

    with relaxed(relax):
        return target(obj, allow_unknown=allow_unknown).build(**values)


def _path_target(obj: str | os.PathLike) -> Target:
    from .zoo import ARCHITECTURES

    text = os.fspath(obj)
    if isinstance(obj, str) and text in ARCHITECTURES:
        return zoo_target(text)
    if text.lower().endswith(".onnx"):
        return _onnx_target(text)
    if not isinstance(obj, str) or text.endswith((".yaml", ".yml")) or "/" in text or _is_file(text):
        if not _is_file(text):
            raise UsageError(f"no spec file {show(text, limit=120)}")
        from .spec import read

        return _SpecTarget(read(text))
    raise UsageError(f"unknown architecture {show(text, limit=120)}{suggest(text, ARCHITECTURES)} and no spec file of "
                     f"that name; 'costmodel list' shows the architectures")


class _ZooTarget(Target):
    """A zoo architecture: the registry checks and types its values; defaults are shown as registered."""

    def __init__(self, entry: Any):
        from .zoo import build

        self.entry = entry
        parameters = getattr(entry, "parameters", None)  # the registry's typed parameters, where it has them
        if parameters is None:
            parameters = {key: Parameter.from_default(key, default, tuple(entry.choices.get(key, ())))
                          for key, default in entry.defaults.items()}
        super().__init__(entry.name, parameters.values(), lambda **values: build(entry.name, **values))

    def values(self, **values: Any) -> dict:
        return {**self.entry.defaults, **self.typed(values)}

    def check(self, **values: Any) -> dict:
        return {key: self.entry.parameters[key].check(self.name, value) for key, value in self.typed(values).items()}


def zoo_target(name: str) -> Target:
    """The Target of zoo architecture ``name``: its registered parameters (kind from each default: a float
    is a ratio, an int a whole number, a bool a flag, a word a choice) and allowed values."""
    from .zoo import architecture

    return _ZooTarget(architecture(name))


def factory_target(factory: Callable[..., Graph], name: str | None = None) -> Target:
    """The Target of a function returning a Graph: one parameter per argument, its kind read from its default
    (bool: flag, int: whole, float or Fraction: ratio) or, without default, from its annotation (float or
    Fraction: ratio; bool: flag; else whole). A word argument is a choice: annotate it ``Literal["a", "b"]``.
    Values are checked (whole numbers at least 1, positive ratios, the listed words)."""
    name = name or getattr(factory, "__name__", None) or type(factory).__name__
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        raise UsageError(f"cannot read the arguments of {name}") from None
    parameters = []
    for argument in signature.parameters.values():
        if argument.kind in (argument.VAR_POSITIONAL, argument.VAR_KEYWORD, argument.POSITIONAL_ONLY):
            continue
        default = None if argument.default is argument.empty else argument.default
        choices = tuple(typing.get_args(argument.annotation)) \
            if typing.get_origin(argument.annotation) is typing.Literal else ()
        if choices or isinstance(default, str):
            if not choices:
                raise UsageError(f"{name} parameter {argument.name} takes words: list them in its annotation, "
                                 f"Literal[{default!r}, ...]")
            parameters.append(Parameter(argument.name, default, "choice", choices))
        else:
            kind = kind_of(default) if default is not None else _annotated_kind(argument.annotation)
            parameters.append(Parameter(argument.name, default, kind))

    def build(**values: Any) -> Graph:
        missing = [p.name for p in parameters if p.default is None and p.name not in values]
        if missing:
            raise UsageError(f"{name} parameter {missing[0]} needs a value (it has no default)")
        try:
            graph = factory(**values)
        except CostModelError:
            raise
        except Exception as error:  # noqa: BLE001 - the user's code: one line naming it and the values
            shown = ", ".join(f"{k}={show(v)}" for k, v in values.items())
            raise UsageError(f"{name}({shown}) raised {type(error).__name__}: {' '.join(str(error).split())}") \
                from None
        if not isinstance(graph, Graph):
            raise UsageError(f"{name} returned {type(graph).__name__}, not a Graph")
        return graph

    return Target(name, parameters, build, check_ranges=True)


def _is_file(text: str) -> bool:
    """Whether ``text`` names a file; a name the system cannot look up (too long, a NUL) names none."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def _onnx_target(path: str) -> Target:
    if not _is_file(path):
        raise UsageError(f"no ONNX file {show(path, limit=120)}")
    try:
        from .onnx import onnx_target
    except ImportError as error:
        if error.name is not None and (error.name == "onnx" or error.name.startswith("onnx.")):
            raise UsageError("reading .onnx files needs the onnx package: pip install 'costmodel[onnx]'") from None
        if error.name == __package__ + ".onnx":
            raise UsageError(f"cannot read {path!r}: this version of costmodel does not read ONNX files") from None
        raise
    return onnx_target(path)


def _annotated_kind(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return {"bool": "flag", "str": "choice", "float": "ratio", "Fraction": "ratio"}.get(text, "whole")


def _exact(value: Any, what: str) -> Any:
    """An exact number (int or Fraction; a float is the decimal it writes) or a sympy expression; refuses
    text, bools and other objects (the library never reads text as a number)."""
    value = as_rational(value)
    if is_number(value) or (type(value).__module__.startswith("sympy") and hasattr(value, "free_symbols")):
        return value
    if isinstance(value, float):
        raise UsageError(f"{what} must be a finite number, got {show(value)}")
    if not isinstance(value, (bool, str, bytes)) and hasattr(value, "__index__"):
        return int(value.__index__())  # numpy integers and the like
    raise UsageError(f"{what} must be a number or a sympy expression, got {show(value)}")

