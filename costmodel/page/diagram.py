"""The branches and joins of each block as an SVG drawn here: a layered layout per block.

A block is the scope a node was built in (``Node.block``). Within a block, a node's level is 0 when none of
its inputs comes from the block, else one more than the deepest of those inputs; what comes from outside the
block is one ``in`` box per producer, above level 0. Boxes of one level sit side by side; a line joins each
input to its reader. Only coordinates are made here: the template writes the SVG (its text escaped).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..graph import Graph

BOX_WIDTH, BOX_HEIGHT, GAP_X, GAP_Y = 120, 30, 14, 24
MAX_NODES = 60  # a block larger than this is listed, not drawn


@dataclass(frozen=True)
class Box:
    key: str
    label: str
    kind: str
    x: float
    y: float


@dataclass(frozen=True)
class Diagram:
    block: str
    boxes: tuple[Box, ...]
    lines: tuple[tuple[float, float, float, float], ...]
    width: float
    height: float
    branches: bool  # some node has more than one reader in the block, or more than one input (a join)


def diagrams(graph: Graph) -> list[Diagram]:
    """One ``Diagram`` per block of two or more nodes (at most ``MAX_NODES``), in graph order."""
    blocks: dict[str, list] = {}
    for node in graph.nodes:
        blocks.setdefault(node.block, []).append(node)
    return [_diagram(block, nodes) for block, nodes in blocks.items() if 2 <= len(nodes) <= MAX_NODES]


def _diagram(block: str, nodes: list) -> Diagram:
    inside = {node.name for node in nodes}
    level: dict[str, int] = {}
    outside: list[str] = []
    for node in nodes:
        sources = [t.node for t in node.inputs]
        outside += [s for s in sources if s not in inside and s not in outside]
        level[node.name] = 1 + max((level[s] for s in sources if s in inside), default=0)
    for source in outside:
        level["in:" + source] = 0
    rows: dict[int, list[str]] = {}
    for key in ["in:" + s for s in outside] + [n.name for n in nodes]:
        rows.setdefault(level[key], []).append(key)
    widest = max(len(keys) for keys in rows.values())
    width = widest * (BOX_WIDTH + GAP_X) + GAP_X
    at: dict[str, tuple[float, float]] = {}
    kinds = {node.name: node.op.kind for node in nodes}
    boxes = []
    for row, keys in sorted(rows.items()):
        left = (width - len(keys) * (BOX_WIDTH + GAP_X) + GAP_X) / 2
        for index, key in enumerate(keys):
            x, y = left + index * (BOX_WIDTH + GAP_X), GAP_Y / 2 + row * (BOX_HEIGHT + GAP_Y)
            at[key] = (x, y)
            short = key[3:] if key.startswith("in:") else key[len(block) + 1:] if block else key
            boxes.append(Box(key, short, "in" if key.startswith("in:") else kinds[key], x, y))
    lines, readers = [], {}
    for node in nodes:
        for tensor in node.inputs:
            source = tensor.node if tensor.node in inside else "in:" + tensor.node
            readers[source] = readers.get(source, 0) + 1
            (x1, y1), (x2, y2) = at[source], at[node.name]
            lines.append((x1 + BOX_WIDTH / 2, y1 + BOX_HEIGHT, x2 + BOX_WIDTH / 2, y2))
    branches = any(count > 1 for count in readers.values()) or any(len(n.inputs) > 1 for n in nodes)
    height = (max(rows) + 1) * (BOX_HEIGHT + GAP_Y)
    return Diagram(block, tuple(boxes), tuple(lines), width, height, branches)
