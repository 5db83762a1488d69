"""Hypothesis properties: symbolic-then-substitute equals numeric, the G1 bound, concat/split round trips."""
import math

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import costmodel as cm

sizes = st.integers(min_value=1, max_value=64)


def block(c, h, w, m, k, s, g):
    """conv k x k / s (groups g) -> BN -> ReLU -> 1x1 conv, with a padded 'same' window."""
    graph = cm.Graph("block", (c * g, h, w))
    x = graph.add("conv", cm.Conv2d(m * g, kernel=k, stride=s, padding=k // 2, groups=g), graph.input)
    x = graph.add("bn", cm.BatchNorm(), x)
    x = graph.add("relu", cm.ReLU(), x)
    x = graph.add("pw", cm.Conv2d(c, kernel=1), x)
    graph.add("pool", cm.AvgPool2d(2, 2, padding=1, ceil_mode=True), x)
    return graph


@settings(max_examples=60, deadline=None)
@given(c=sizes, h=st.integers(2, 80), w=st.integers(2, 80), m=sizes, k=st.sampled_from([1, 3, 5]),
       s=st.integers(1, 3), g=st.integers(1, 4), convention=st.sampled_from(["paper", "all"]))
def test_symbolic_then_substitute_equals_numeric(c, h, w, m, k, s, g, convention):
    hs, ws, cs, ms = cm.symbols("h w c m")
    symbolic = cm.analyze(block(cs, hs, ws, ms, k, s, g), convention, fuse=["bn"])
    numeric = cm.analyze(block(c, h, w, m, k, s, g), convention, fuse=["bn"])
    values = {"h": h, "w": w, "c": c, "m": m}
    assert symbolic.subs(values).totals == numeric.totals
    for sym_layer, num_layer in zip(symbolic.subs(values).layers, numeric.layers):
        assert sym_layer.cost == num_layer.cost


@settings(max_examples=200, deadline=None)
@given(h=st.integers(1, 100), w=st.integers(1, 100), c1=st.integers(1, 2048), c2=st.integers(1, 2048))
def test_pointwise_mac_respects_the_g1_bound(h, w, c1, c2):
    g = cm.Graph("pw", (c1, h, w))
    g.add("conv", cm.Conv2d(c2, kernel=1), g.input)
    cost = cm.analyze(g).totals
    hw, b = h * w, cost.flops
    bound = 2 * sympy.sqrt(sympy.Integer(hw * b)) + sympy.Rational(b, hw)
    assert sympy.Integer(cost.mac) >= bound
    assert (sympy.Integer(cost.mac) == bound) == (c1 == c2)


@settings(max_examples=100, deadline=None)
@given(parts=st.lists(st.integers(1, 50), min_size=2, max_size=6), h=st.integers(1, 30))
def test_concat_then_split_round_trips(parts, h):
    g = cm.Graph("cat", (sum(parts), h, h))
    pieces = g.add("split", cm.Split(sizes=parts), g.input)
    assert [p.shape for p in pieces] == [(n, h, h) for n in parts]
    joined = g.add("concat", cm.Concat(), *pieces)
    assert joined.shape == g.input.shape


@settings(max_examples=100, deadline=None)
@given(groups=st.integers(1, 12), per_group=st.integers(1, 12))
def test_shuffle_is_a_permutation_undone_by_the_transposed_shuffle(groups, per_group):
    channels = groups * per_group
    forward = cm.ChannelShuffle(groups).permutation(channels)
    backward = cm.ChannelShuffle(per_group).permutation(channels)
    assert sorted(forward) == list(range(channels))
    assert [forward[i] for i in backward] == list(range(channels))
    # channel j of the output comes from group j % groups, position j // groups
    assert all(forward[j] == (j % groups) * per_group + j // groups for j in range(channels))


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 300), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3))
def test_conv_output_size_matches_pytorch_formula(n, k, s, p, d):
    g = cm.Graph("c", (1, n, n))
    if d * (k - 1) + 1 > n + 2 * p:
        return
    out = g.add("conv", cm.Conv2d(1, kernel=k, stride=s, padding=p, dilation=d), g.input)
    assert out.shape[1] == math.floor((n + 2 * p - d * (k - 1) - 1) / s + 1)
