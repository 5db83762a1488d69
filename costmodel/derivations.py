"""The papers' closed forms, each obtained by analysing a small graph with symbolic sizes, then checked.

Nothing here is typed in as a result: every expression on the left of a check comes from
``costmodel.analyze``; the right-hand sides are the formulas printed in the papers (Howard et al. 2017,
MobileNets; Zhang et al. 2018, ShuffleNet; Ma et al. 2018, ShuffleNet V2), and sympy decides whether the two
agree (by simplifying their difference to zero, not by trying numbers).

``DERIVATIONS`` maps each name to a function returning a ``Derivation``; ``derive(name)`` runs one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import sympy

from .analysis import analyze
from .errors import UsageError
from .graph import Graph
from .ops import ChannelShuffle, Conv2d, Linear


@dataclass(frozen=True)
class Derivation:
    """A derivation: what was analysed, the expressions obtained, and the checks that sympy made."""

    name: str
    title: str
    source: str
    steps: tuple[tuple[str, Any], ...]
    checks: tuple[tuple[str, bool], ...]

    @property
    def holds(self) -> bool:
        return all(ok for _, ok in self.checks)

    def step(self, label: str) -> Any:
        return dict(self.steps)[label]

    def text(self) -> str:
        lines = [f"{self.name}: {self.title}", f"  source: {self.source}"]
        width = max(len(label) for label, _ in self.steps)
        lines += [f"  {label.ljust(width)} = {value}" for label, value in self.steps]
        lines += [f"  [{'ok' if ok else 'FAILED'}] {what}" for what, ok in self.checks]
        return "\n".join(lines)


def _same(a: Any, b: Any) -> bool:
    return sympy.simplify(sympy.expand(a - b)) == 0


def _pos(names: str, integer: bool = True):
    return sympy.symbols(names, positive=True, integer=integer or None)


def conv_cost() -> Derivation:
    """Standard convolution: params ``k^2 Cin Cout``, flops ``k^2 Cin Cout H W``; FC as k = 1."""
    k, c_in, c_out, h, w = _pos("k C_in C_out H W")
    g = Graph("conv", (c_in, h + k - 1, w + k - 1))  # unpadded input that yields an H x W output
    g.add("conv", Conv2d(c_out, kernel=k), g.input)
    conv = analyze(g).totals
    fc_graph = Graph("fc", (c_in,))
    fc_graph.add("fc", Linear(c_out, bias=False), fc_graph.input)
    fc = analyze(fc_graph).totals
    return Derivation(
        "conv-cost", "parameters and multiply-adds of a standard convolution (biases left out)",
        "Howard et al. 2017, MobileNets, section 3.1 (standard convolution cost)",
        (("conv params", conv.params), ("conv flops", conv.flops), ("fc params", fc.params),
         ("fc flops", fc.flops)),
        (("conv params == k^2*C_in*C_out", _same(conv.params, k**2 * c_in * c_out)),
         ("conv flops == k^2*C_in*C_out*H*W", _same(conv.flops, k**2 * c_in * c_out * h * w)),
         ("fc == conv with k = 1 on a 1x1 map",
          _same(fc.flops, conv.flops.subs({k: 1, h: 1, w: 1})) and _same(fc.params, conv.params.subs(k, 1)))))


def _separable(c_in, c_out, k, h, w):
    """(depthwise k x k then pointwise 1 x 1, standard k x k) analysed on a padded H x W input."""
    pad = (k - 1) // 2 if isinstance(k, int) else 0
    size = (h, w) if isinstance(k, int) else (h + k - 1, w + k - 1)
    separable = Graph("separable", (c_in, *size))
    x = separable.add("depthwise", Conv2d(c_in, kernel=k, padding=pad, groups=c_in), separable.input)
    separable.add("pointwise", Conv2d(c_out, kernel=1), x)
    standard = Graph("standard", (c_in, *size))
    standard.add("conv", Conv2d(c_out, kernel=k, padding=pad), standard.input)
    return analyze(separable).totals, analyze(standard).totals


def depthwise_separable() -> Derivation:
    """Depthwise separable vs standard: 795 vs 6,912 params for 3 -> 256 with 3x3; ratio 1/Cout + 1/K^2."""
    example_sep, example_std = _separable(3, 256, 3, 224, 224)
    k, c_in, c_out, h, w = _pos("K C_in C_out H W")
    sep, std = _separable(c_in, c_out, k, h, w)
    ratio = sympy.simplify(sep.flops / std.flops)
    params_ratio = sympy.simplify(sep.params / std.params)
    return Derivation(
        "depthwise-separable", "depthwise separable convolution against a standard one",
        "Howard et al. 2017, MobileNets, section 3.1 (the ratio); 3 -> 256 with 3x3 as a worked example",
        (("params, 3->256 3x3 separable", example_sep.params), ("params, 3->256 3x3 standard", example_std.params),
         ("flops separable", sep.flops), ("flops standard", std.flops), ("flops ratio", ratio),
         ("params ratio", params_ratio)),
        (("3*3*3 + 3*1*1*256 == 795", example_sep.params == 795),
         ("3*3*3*256 == 6912", example_std.params == 6912),
         ("flops ratio == 1/C_out + 1/K^2", _same(ratio, 1 / c_out + 1 / k**2)),
         ("params ratio == 1/C_out + 1/K^2", _same(params_ratio, 1 / c_out + 1 / k**2))))


def mobilenet_width_resolution() -> Derivation:
    """MobileNet v1 layer cost with width alpha and resolution beta."""
    d_k, m, n, d_f = _pos("D_K M N D_F")
    alpha, beta = _pos("alpha beta", integer=False)
    # the network's scaled sizes are whole numbers: analyse with integer stand-ins, then substitute
    a_m, a_n, b_f = _pos("aM aN bDF")
    g = Graph("mobilenet_layer", (a_m, b_f + d_k - 1, b_f + d_k - 1))
    x = g.add("depthwise", Conv2d(a_m, kernel=d_k, groups=a_m), g.input)
    g.add("pointwise", Conv2d(a_n, kernel=1), x)
    flops = analyze(g).totals.flops.subs({a_m: alpha * m, a_n: alpha * n, b_f: beta * d_f})
    paper = d_k * d_k * alpha * m * beta * d_f * beta * d_f + alpha * n * alpha * m * beta * d_f * beta * d_f
    return Derivation(
        "mobilenet-width-resolution", "a depthwise separable layer of MobileNet v1 with width alpha, resolution beta",
        "Howard et al. 2017, MobileNets, sections 3.3-3.4 (width and resolution multipliers)",
        (("flops", sympy.factor(flops)),),
        (("flops == D_K*D_K*alpha*M*beta*D_F*beta*D_F + alpha*N*alpha*M*beta*D_F*beta*D_F",
          _same(flops, paper)),))


def mac_bound() -> Derivation:
    """G1: a 1x1 conv's mac is at least 2 sqrt(hwB) + B/hw at fixed flops B, with equality iff c1 = c2."""
    h, w, c1, c2 = _pos("h w c1 c2")
    g = Graph("pointwise", (c1, h, w))
    g.add("conv", Conv2d(c2, kernel=1), g.input)
    cost = analyze(g).totals
    flops, mac = cost.flops, cost.mac
    bound = 2 * sympy.sqrt(h * w * flops) + flops / (h * w)
    gap = sympy.expand(mac - bound)
    square = h * w * (sympy.sqrt(c1) - sympy.sqrt(c2)) ** 2
    equality = sympy.solve(sympy.Eq(gap, 0), c2)
    return Derivation(
        "mac-bound", "G1: equal channel width minimises memory access cost",
        "Ma et al. 2018, ShuffleNet V2, section 2 (G1)",
        (("B = flops", flops), ("mac", sympy.factor(mac - c1 * c2) + c1 * c2),
         ("bound 2*sqrt(h*w*B) + B/(h*w)", bound), ("mac - bound", sympy.factor(gap)),
         ("mac - bound as a square", square), ("equality when c2", equality[0] if len(equality) == 1 else equality)),
        (("mac == h*w*(c1 + c2) + c1*c2", _same(mac, h * w * (c1 + c2) + c1 * c2)),
         ("mac - bound == h*w*(sqrt(c1) - sqrt(c2))**2, a square, so mac >= bound", _same(gap, square)),
         ("mac == bound exactly when c1 == c2", equality == [c1])))


def mac_group() -> Derivation:
    """G2: a 1x1 group conv's mac is ``hw*c1 + B*g/c1 + B/hw``, increasing in g at fixed B and c1."""
    h, w, c1, c2, groups = _pos("h w c1 c2 g")
    b = _pos("B")
    g = Graph("group_pointwise", (c1, h, w))
    g.add("conv", Conv2d(c2, kernel=1, groups=groups), g.input)
    cost = analyze(g).totals
    in_b = sympy.simplify(cost.mac.subs(c2, sympy.solve(sympy.Eq(cost.flops, b), c2)[0]))
    slope = sympy.simplify(sympy.diff(in_b, groups))
    return Derivation(
        "mac-group", "G2: excessive group convolution increases memory access cost",
        "Ma et al. 2018, ShuffleNet V2, section 2 (G2)",
        (("B = flops", cost.flops), ("mac", cost.mac), ("mac at fixed B", sympy.expand(in_b)),
         ("d mac / d g at fixed B, c1", slope)),
        (("mac == h*w*(c1 + c2) + c1*c2/g", _same(cost.mac, h * w * (c1 + c2) + c1 * c2 / groups)),
         ("mac == h*w*c1 + B*g/c1 + B/(h*w)", _same(in_b, h * w * c1 + b * groups / c1 + b / (h * w))),
         ("d mac / d g == B/c1 > 0: mac grows with g", _same(slope, b / c1) and bool(slope.is_positive))))


def _bottleneck_flops(c, m, h, w, outer_groups, middle_groups):
    g = Graph("bottleneck", (c, h, w))
    x = g.add("reduce", Conv2d(m, kernel=1, groups=outer_groups), g.input)
    x = g.add("conv3x3", Conv2d(m, kernel=3, padding=1, groups=middle_groups), x)
    g.add("expand", Conv2d(c, kernel=1, groups=outer_groups), x)
    return analyze(g).totals.flops


def bottleneck_flops() -> Derivation:
    """ResNet hw(2cm + 9m^2), ResNeXt hw(2cm + 9m^2/g), ShuffleNet hw(2cm/g + 9m)."""
    h, w, c, m, groups = _pos("h w c m g")
    resnet = _bottleneck_flops(c, m, h, w, 1, 1)
    resnext = _bottleneck_flops(c, m, h, w, 1, groups)
    shufflenet = _bottleneck_flops(c, m, h, w, groups, m)
    return Derivation(
        "bottleneck-flops", "multiply-adds of the ResNet, ResNeXt and ShuffleNet bottleneck units",
        "Zhang et al. 2018, ShuffleNet, section 3.2",
        (("ResNet", sympy.factor(resnet)), ("ResNeXt", sympy.factor(resnext)),
         ("ShuffleNet", sympy.factor(shufflenet))),
        (("ResNet == h*w*(2*c*m + 9*m**2)", _same(resnet, h * w * (2 * c * m + 9 * m**2))),
         ("ResNeXt == h*w*(2*c*m + 9*m**2/g)", _same(resnext, h * w * (2 * c * m + 9 * m**2 / groups))),
         ("ShuffleNet == h*w*(2*c*m/g + 9*m)", _same(shufflenet, h * w * (2 * c * m / groups + 9 * m)))))


def channel_shuffle() -> Derivation:
    """Channel shuffle as reshape (g, n) -> transpose -> flatten; its own inverse when ``g*g = channels``."""
    two_groups = ChannelShuffle(2).permutation(4)
    moved = [two_groups[j] + 1 for j in range(4)]  # channels numbered 1..4
    nine = ChannelShuffle(3).permutation(9)
    involutions = all(_compose(ChannelShuffle(g).permutation(g * g)) == list(range(g * g)) for g in range(1, 9))
    inverse_ok = all(_compose(ChannelShuffle(g).permutation(g * n), ChannelShuffle(n).permutation(g * n))
                     == list(range(g * n)) for g in range(1, 7) for n in range(1, 7))
    return Derivation(
        "channel-shuffle", "channel shuffle is the permutation reshape (g, n) -> transpose -> flatten",
        "Zhang et al. 2018, ShuffleNet, section 3.1; worked on 2 groups of 4 channels and 3 groups of 3",
        (("channels 1,2,3,4 with g = 2 become", moved), ("9 channels with g = 3 (0-based)", nine)),
        (("g = 2 on 4 channels gives 1,3,2,4 (groups {1,3} and {2,4})", moved == [1, 3, 2, 4]),
         ("its own inverse when g*g == channels (g = 1..8)", involutions),
         ("a shuffle with g groups is undone by one with n = channels/g groups (g, n = 1..6)", inverse_ok)))


def _compose(first: list[int], second: list[int] | None = None) -> list[int]:
    """Apply permutation ``first`` then ``second`` (``first`` again by default) to channel indices."""
    second = first if second is None else second
    return [first[i] for i in second]


DERIVATIONS: dict[str, Callable[[], Derivation]] = {
    "conv-cost": conv_cost,
    "depthwise-separable": depthwise_separable,
    "mobilenet-width-resolution": mobilenet_width_resolution,
    "mac-bound": mac_bound,
    "mac-group": mac_group,
    "bottleneck-flops": bottleneck_flops,
    "channel-shuffle": channel_shuffle,
}


def derive(name: str) -> Derivation:
    """Run the derivation ``name`` (see ``DERIVATIONS``)."""
    if name not in DERIVATIONS:
        raise UsageError(f"no derivation named {name!r}; choose one of {', '.join(DERIVATIONS)}")
    return DERIVATIONS[name]()
