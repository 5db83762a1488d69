"""The architecture, checked by walking every module's imports with ``ast`` (imports inside functions too):

    errors, dims, symbolic, values, limits   <- ops <- graph <- analysis
    <- report, render, numeric, derivations and the front doors (zoo, spec, onnx, targets)
    <- plots <- cli

A module imports only from its own floor or those below. Only ``costmodel/cli/`` and ``__main__.py`` import
the CLI; ``numeric`` and ``plots`` take typed values and never import what parses command-line text.
Run it alone with ``pytest tests/test_layers.py``; docs/architecture.md describes the same floors.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "costmodel"

# floor of each top-level part of the package (a module or a subpackage), lowest first
FLOORS = {
    "errors": 0, "dims": 0, "symbolic": 0, "values": 0, "limits": 0, "progress": 0,
    "ops": 1,
    "graph": 2, "conventions": 2,
    "analysis": 3,
    "report": 4, "render": 4, "tree": 4, "columns": 4, "numeric": 4, "derivations": 4, "zoo": 4, "spec": 4, "onnx": 4, "targets": 4,
    "compare": 4, "differences_page": 4, "guidelines": 4, "device": 4, "measure": 4,
    "plots": 5, "page": 5,
    "cli": 6,
    "__main__": 7,
}
PUBLIC_API = "__init__"  # costmodel/__init__.py: the public API, over every floor but plots and cli
TEXT_PARSERS = ("costmodel.cli", "costmodel.spec.expressions")  # what reads command-line text
TYPED_FRONT_DOOR = {"Parameter", "Target", "factory_target", "load", "target", "zoo_target"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, set, int]]:
    """(imported module, names imported from it, line) for every import in ``path``, relative ones resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, set(), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = {alias.name for alias in node.names}
            found.append((module, names, node.lineno))
            if node.module is None:  # from . import plots: the names that are modules
                found += [(f"{module}.{n}", set(), node.lineno) for n in names if is_module(f"{module}.{n}")]
    return [(m, names, line) for m, names, line in found if m == "costmodel" or m.startswith("costmodel.")]


def is_module(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def part(module: str) -> str:
    """The top-level part of costmodel a module belongs to (``costmodel.zoo.mobilenet`` -> ``zoo``)."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else PUBLIC_API


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_part_has_a_floor():
    unknown = {part(module_name(p)) for p in MODULES} - set(FLOORS) - {PUBLIC_API}
    assert not unknown, f"add {sorted(unknown)} to FLOORS here and to docs/architecture.md"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_lower_floors_never_import_upper_ones(path):
    source = part(module_name(path))
    for module, names, line in imports(path):
        target = part(module)
        if target == PUBLIC_API:
            # `from costmodel import X` / `from .. import X`: only the version, or a part named as a module
            targets = {n for n in names if n in FLOORS}
            assert source == PUBLIC_API or names <= {"__version__"} | targets, \
                f"{path.name}:{line} imports {sorted(names)} from the public API; import from the module that owns it"
            continue
        if source == PUBLIC_API:
            assert FLOORS[target] < FLOORS["plots"], f"costmodel/__init__.py:{line} imports {module}"
            continue
        assert FLOORS[target] <= FLOORS[source], \
            f"{path.relative_to(PACKAGE)}:{line}: {source} (floor {FLOORS[source]}) imports {module} " \
            f"(floor {FLOORS[target]})"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_cli_imports_the_cli(path):
    if part(module_name(path)) in ("cli", "__main__"):
        return
    for module, _, line in imports(path):
        assert part(module) != "cli", f"{path.relative_to(PACKAGE)}:{line} imports {module}"


@pytest.mark.parametrize("path", [p for p in MODULES if part(module_name(p)) in ("numeric", "plots")],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_numeric_and_plots_take_typed_values(path):
    for module, names, line in imports(path):
        assert not module.startswith(TEXT_PARSERS), f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        if module == "costmodel.targets":
            assert names <= TYPED_FRONT_DOOR, f"{path.relative_to(PACKAGE)}:{line} imports {sorted(names)}"


def test_the_walk_sees_what_it_checks():
    """The checks above would pass on nothing: make sure the walk finds the imports it must."""
    found = {module for module, _, _ in imports(PACKAGE / "numeric" / "grid.py")}
    assert "costmodel.targets" in found and "costmodel.analysis" in found
    cli = {module for module, _, _ in imports(PACKAGE / "cli" / "settings.py")}
    assert "costmodel.spec.expressions" in cli and "costmodel.targets" in cli
    main = {module for module, _, _ in imports(PACKAGE / "__main__.py")}
    assert "costmodel.cli" in main
