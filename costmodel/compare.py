"""What each counter prints for one network, how far it is from ``paper``, and which ops make the difference;
and ``tool_counts``, costmodel's counts laid out as the tools' recorded ones (``tests/data/tool_counts.json``).

``compare(graph)`` analyses the graph under ``paper`` and under every tool convention (``TOOLS``) and returns
``{"name", "counts", "differences"}``: ``counts`` maps ``paper`` and each tool to its count (an int, or a
sympy expression when the graph keeps sizes symbolic: each tool's closed form); ``differences`` lists, per
tool and op kind whose count differs from ``paper``'s, the nodes, both counts, the difference, its share of
the tool's whole difference and the tool's rule for that kind (from its rule table).
"""
from __future__ import annotations

from typing import Any

from .analysis import analyze
from .progress import stage
from .targets import load

from .conventions import REGISTRY, TOOLS
from .conventions.torchvision import NETWORKS, TORCHVISION_NAMES, binding


def _by_kind(analysis) -> dict[str, tuple[Any, int]]:
    kinds: dict[str, tuple[Any, int]] = {}
    for layer in analysis.layers:
        count, nodes = kinds.get(layer.op.kind, (0, 0))
        kinds[layer.op.kind] = (count + layer.flops, nodes + 1)
    return kinds


def plain(value: Any) -> Any:
    """A sympy integer (a closed form that came out constant) as an int."""
    return int(value) if getattr(value, "is_Integer", False) else value


def _share(part: Any, whole: Any) -> Any:
    if isinstance(part, int) and isinstance(whole, int):
        return round(part / whole, 4) if whole else 0.0
    return None  # symbolic: the share depends on the sizes


def compare(graph, fuse=()) -> dict[str, Any]:
    """Counts of ``paper`` and of every tool for ``graph``, and the op kinds behind each difference."""
    with stage("analysing", (1 + len(TOOLS)) * len(graph.nodes)):
        paper = analyze(graph, "paper", fuse)
        analyses = {tool: analyze(graph, tool, fuse) for tool in TOOLS}
    paper_kinds = _by_kind(paper)
    counts = {"paper": plain(paper.totals.flops)}
    differences = []
    for tool, analysis in analyses.items():
        counts[tool] = plain(analysis.totals.flops)
        whole = plain(analysis.totals.flops - paper.totals.flops)
        convention = REGISTRY[tool]
        for kind, (count, nodes) in _by_kind(analysis).items():
            theirs = paper_kinds[kind][0]
            difference = plain(count - theirs)
            if difference == 0:
                continue
            differences.append({"tool": tool, "op": kind, "nodes": nodes, "count": plain(count),
                                "paper": plain(theirs),
                                "difference": difference, "share": _share(difference, whole),
                                "rule": convention.rule(kind).text})
    return {"name": graph.name, "counts": counts, "differences": differences}


def tool_counts(model: str, tool: str, **values: Any) -> dict:
    """costmodel's count under ``tool``'s convention for torchvision's ``model``: the total and, per torch
    module path, the sum of its nodes' counts (the layout of ``tests/data/tool_counts.json``)."""
    zoo = TORCHVISION_NAMES[model]
    zoo_values = NETWORKS[zoo][1]
    graph = load(zoo, **zoo_values, **values)
    mapping = binding(graph)
    if mapping is None:
        raise ValueError(f"zoo graph {zoo} {zoo_values} no longer maps onto torchvision's {model}")
    analysis = analyze(graph, tool)
    modules: dict[str, int] = {}
    for layer in analysis.layers:
        if layer.flops:
            path = mapping[layer.name][0]
            modules[path] = modules.get(path, 0) + int(layer.flops)
    return {"total": int(analysis.totals.flops), "modules": dict(sorted(modules.items()))}
