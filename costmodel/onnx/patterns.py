"""Node patterns that are one layer of ours: they become one row, not several.

* Reshape [N, g, C/g, H, W] -> Transpose (0, 2, 1, 3, 4) -> Reshape [N, C, H, W]: ChannelShuffle(g)
* x * Sigmoid(x): Swish;  x * HardSigmoid(x) (alpha 1/6, beta 1/2): HardSwish
* x / sqrt(2) -> Erf -> + 1 -> x * . -> * 1/2: GELU (PyTorch's export of the exact GELU)
* MatMul ``<layer>`` -> Add ``<layer>/bias`` of a constant weight and bias: Linear with bias (costmodel
  export's fully connected layer on an input of rank above 1)
* 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))), x^3 as x * (x * x) or Pow(x, 3): GELU (the tanh
  approximation, PyTorch's ``approximate="tanh"``)

The structure is matched before the pass (each inner tensor read by the next node only); the values
(shapes, constants) are checked when the group is reached, and a group that does not fit is costed node by
node as if it had not matched.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..dims import surely_different
from . import wire
from .importer import Const, NodeContext, Unsupported


class NoMatch(Exception):
    """The group's values do not fit the pattern; cost its nodes one by one."""


@dataclass
class Matched(wire.NodeDef):
    """A group of nodes standing for one layer; ``inputs`` are the group's inputs, the main one first."""

    pattern: str = ""
    parts: list = field(default_factory=list)


def find_patterns(nodes: list, readers: dict, values: dict) -> list:
    """The node list with every matched group replaced by one ``Matched`` node at its last node."""
    consumers: dict[str, list] = {}
    for node in nodes:
        for name in node.inputs:
            if name:
                consumers.setdefault(name, []).append(node)

    def sole(node, op_type):
        if len(node.outputs) < 1 or readers.get(node.outputs[0], 0) != 1:
            return None
        (after,) = consumers[node.outputs[0]]
        return after if after.op_type == op_type and after.domain in ("", "ai.onnx") else None

    def other(node, name):
        rest = [n for n in node.inputs if n != name]
        return rest[0] if len(rest) == 1 else None

    producers = {name: node for node in nodes for name in node.outputs if name}
    groups: dict[int, Matched] = {}
    taken: set[int] = set()
    for node in nodes:
        if id(node) in taken or node.domain not in ("", "ai.onnx"):
            continue
        group = None
        if node.op_type == "Reshape":
            transpose = sole(node, "Transpose")
            second = transpose and sole(transpose, "Reshape")
            if second and second.inputs[0] == transpose.outputs[0]:
                group = Matched(node.name, "", "", [node.inputs[0], node.inputs[1], second.inputs[1]],
                                list(second.outputs), pattern="channel_shuffle", parts=[node, transpose, second])
        elif node.op_type in ("Sigmoid", "HardSigmoid"):
            mul = sole(node, "Mul")
            if mul and sorted(mul.inputs) == sorted([node.inputs[0], node.outputs[0]]):
                group = Matched(node.name, "", "", [node.inputs[0]], list(mul.outputs),
                                pattern="swish" if node.op_type == "Sigmoid" else "hard_swish", parts=[node, mul])
        elif node.op_type == "Div":
            erf = sole(node, "Erf")
            add = erf and sole(erf, "Add")
            mul = add and sole(add, "Mul")
            half = mul and sole(mul, "Mul")
            x = node.inputs[0]
            constants = half and [node.inputs[1], other(add, erf.outputs[0]), other(half, mul.outputs[0])]
            if half and sorted(mul.inputs) == sorted([x, add.outputs[0]]) and all(constants):
                group = Matched(node.name, "", "", [x, *constants], list(half.outputs), pattern="gelu",
                                parts=[node, erf, add, mul, half])
        elif node.op_type == "Tanh":
            group = _tanh_gelu(node, producers, sole)
        elif node.op_type == "MatMul":
            add = sole(node, "Add")
            if add and add.name == f"{node.name}/bias" and other(add, node.outputs[0]):
                group = Matched(node.name, "", "", [node.inputs[0], node.inputs[1], other(add, node.outputs[0])],
                                list(add.outputs), pattern="linear_bias", parts=[node, add])
        if group is not None and any(id(part) in taken for part in group.parts):
            group = None
        if group is not None:
            group.op_type = "+".join(part.op_type for part in group.parts)
            taken.update(id(part) for part in group.parts)
            groups[id(group.parts[-1])] = group
    return [groups.get(id(node), node) for node in nodes if id(node) not in taken or id(node) in groups]


def _tanh_gelu(tanh, producers: dict, sole) -> Matched | None:
    """The tanh-approximation GELU around ``tanh``, or None; the constants are checked when costed."""
    def made(name, op_type):
        node = producers.get(name)
        return node if node is not None and node.op_type == op_type and node.domain in ("", "ai.onnx") and \
            len(node.inputs) == 2 else None

    def split(node, op_type):  # (the operand made by an op_type node, that node, the other operand)
        for i in (0, 1):
            inner = made(node.inputs[i], op_type)
            if inner is not None and sole(inner, node.op_type) is node:
                return inner, node.inputs[1 - i]
        return None, None

    inner = made(tanh.inputs[0], "Mul")
    if inner is None or sole(inner, "Tanh") is not tanh:
        return None
    shifted, beta = split(inner, "Add")                   # sqrt(2/pi) * (x + 0.044715 x^3)
    scaled, x = split(shifted, "Mul") if shifted else (None, None)   # x + 0.044715 x^3
    if scaled is None:
        return None
    cube = None
    for i in (0, 1):
        candidate = producers.get(scaled.inputs[i])
        if candidate is not None and candidate.op_type in ("Mul", "Pow") and sole(candidate, "Mul") is scaled:
            cube, kappa = candidate, scaled.inputs[1 - i]
    if cube is None:
        return None
    parts, extra = [], []
    if cube.op_type == "Pow":
        if cube.inputs[0] != x:
            return None
        extra = [cube.inputs[1]]
    else:
        square, rest = split(cube, "Mul")
        if square is None or rest != x or list(square.inputs) != [x, x]:
            return None
        parts.append(square)
    plus = sole(tanh, "Add")
    times = plus and sole(plus, "Mul")
    half = times and sole(times, "Mul")
    if not half or x not in times.inputs:
        return None
    one = [n for n in plus.inputs if n != tanh.outputs[0]]
    halves = [n for n in half.inputs if n != times.outputs[0]]
    if len(one) != 1 or len(halves) != 1 or sorted(times.inputs) != sorted([x, plus.outputs[0]]):
        return None
    parts += [cube, scaled, shifted, inner, tanh, plus, times, half]
    return Matched(parts[0].name, "", "", [x, kappa, beta, one[0], halves[0], *extra], list(half.outputs),
                   pattern="tanh_gelu", parts=parts)


def _scalar(ctx: NodeContext, index: int, expected: float) -> None:
    value = ctx.value(index)
    if not isinstance(value, Const) or value.values is None or len(value.values) != 1 \
            or not math.isclose(float(value.values[0]), expected, rel_tol=1e-3):
        raise NoMatch


def channel_shuffle(ctx: NodeContext) -> None:
    from ..ops import ChannelShuffle
    from .views import reshaped

    x = ctx.value(0)
    first, transpose, _ = ctx.node.parts
    if ctx.attr_of(transpose).ints("perm") != (0, 2, 1, 3, 4) or not isinstance(ctx.value(1), Const) \
            or not isinstance(ctx.value(2), Const) or ctx.value(1).values is None or ctx.value(2).values is None:
        raise NoMatch
    if len(getattr(x, "shape", ())) != 3:
        raise NoMatch
    if not ctx.layout(0).standard:
        raise NoMatch
    try:
        grouped, first_layout = reshaped(ctx, x, tuple(ctx.value(1).values))
        back, back_layout = reshaped(ctx, x, tuple(ctx.value(2).values))
    except Unsupported:
        raise NoMatch from None
    if not (first_layout.standard and back_layout.standard):
        raise NoMatch
    channels, h, w = x.shape
    if len(grouped) != 4 or any(surely_different(a, b) for a, b in zip(grouped[2:], (h, w))) \
            or surely_different(grouped[0] * grouped[1], channels) or tuple(back) != tuple(x.shape):
        raise NoMatch
    ctx.output(ctx.add(ChannelShuffle(groups=grouped[0]), x))


def swish(ctx: NodeContext) -> None:
    from ..ops import Swish

    x, layout = ctx.placed(0)
    ctx.output(ctx.add(Swish(), x), 0, layout)


def hard_swish(ctx: NodeContext) -> None:
    from ..ops import HardSwish

    sigmoid = ctx.attr_of(ctx.node.parts[0])
    if not math.isclose(sigmoid.float("alpha", 0.2), 1 / 6, rel_tol=1e-3) or sigmoid.float("beta", 0.5) != 0.5:
        raise NoMatch
    x, layout = ctx.placed(0)
    ctx.output(ctx.add(HardSwish(), x), 0, layout)


def gelu(ctx: NodeContext) -> None:
    _scalar(ctx, 1, math.sqrt(2))
    _scalar(ctx, 2, 1.0)
    _scalar(ctx, 3, 0.5)
    try:
        from ..ops import GELU
    except ImportError:
        raise NoMatch from None
    x, layout = ctx.placed(0)
    ctx.output(ctx.add(GELU(), x), 0, layout)


def tanh_gelu(ctx: NodeContext) -> None:
    from ..ops import GELU

    for index, expected in ((1, 0.044715), (2, math.sqrt(2 / math.pi)), (3, 1.0), (4, 0.5)):
        _scalar(ctx, index, expected)
    if len(ctx.node.inputs) > 5:
        _scalar(ctx, 5, 3.0)
    x, layout = ctx.placed(0)
    ctx.output(ctx.add(GELU(), x), 0, layout)


def linear_bias(ctx: NodeContext) -> None:
    """MatMul ``<layer>`` of a [K, M] weight whose one reader is the Add ``<layer>/bias`` of an [M] bias: one
    Linear with bias (how ``costmodel export`` writes a fully connected layer on an input of rank above 1)."""
    from ..ops import Linear

    weight, bias = ctx.value(1), ctx.value(2)
    if not isinstance(weight, Const) or not isinstance(bias, Const) or len(weight.shape) != 2 \
            or tuple(bias.shape) != (weight.shape[1],) or not bias.is_float:
        raise NoMatch
    x, layout = ctx.placed(0)
    if not x.shape or surely_different(x.shape[-1], weight.shape[0]):
        raise NoMatch
    layout = layout.avoiding({ctx.rank(x, layout) - 1}, "MatMul (contracting the last axis)")
    ctx.output(ctx.add(Linear(weight.shape[1], bias=True, any_rank=len(x.shape) > 1), x), 0, layout)


PATTERNS = {"channel_shuffle": channel_shuffle, "linear_bias": linear_bias, "swish": swish, "hard_swish": hard_swish, "gelu": gelu,
            "tanh_gelu": tanh_gelu}
