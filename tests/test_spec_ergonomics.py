"""Block arguments that are lists, input_channels (the block's own input), the quoting hint in block
arguments, round(), list-valued symbols and indexing: counts checked against formulas written here."""
from fractions import Fraction

import pytest

import costmodel as cm
from costmodel.errors import SpecError
from costmodel.spec import load_spec
from costmodel.spec.expressions import ExpressionError, evaluate, parse_expression
from costmodel.symbolic import symbols

SQUEEZE_EXCITATION = """
input: [c, 14, 14]
symbols: {c: 64}
blocks:
  squeeze_excitation:
    params: {squeeze: input_channels // 4}
    layers:
      - {kind: global_avg_pool}
      - {kind: conv, out_channels: squeeze, kernel: 1, bias: true}
      - {kind: relu}
      - {kind: conv, out_channels: input_channels, kernel: 1, bias: true}
      - {id: scale, kind: sigmoid}
      - {kind: mul, from: [input, scale]}
layers:
  - {id: se, block: squeeze_excitation}
"""


@pytest.mark.parametrize("c", [64, 96])
def test_input_channels_is_the_blocks_input_for_every_layer(c):
    graph = load_spec(SQUEEZE_EXCITATION, {"c": c})
    squeeze = c // 4
    assert graph.node("se.conv2").outputs == ((c, 1, 1),)
    assert cm.analyze(graph).totals.params == (c * squeeze + squeeze) + (squeeze * c + c)
    assert cm.analyze(graph).totals.flops == 2 * c * squeeze


def test_input_channels_is_a_branchs_input_in_a_branch_and_the_specs_at_the_top():
    graph = load_spec("""
input: [24, 8, 8]
layers:
  - {kind: conv, out_channels: 40, kernel: 1}
  - join: mul
    branches:
      identity: input
      gate: [{kind: global_avg_pool}, {kind: conv, out_channels: 10}, {kind: conv, out_channels: input_channels}]
  - {kind: conv, out_channels: input_channels}
""")
    assert graph.node("gate.conv2").outputs == ((40, 1, 1),)
    assert graph.nodes[-1].outputs == ((24, 8, 8),)


def test_an_unquoted_comma_in_block_arguments_gets_the_quoting_hint():
    with pytest.raises(SpecError) as caught:
        load_spec("""input: [8, 8, 8]
blocks:
  unit: {params: [out], layers: [{kind: conv, out_channels: out}]}
layers:
  - {block: unit, args: {out: max(8, 16)}}
""")
    assert "block unit has no parameter '16)' (inside { } or [ ], an expression with a comma must be quoted" \
        in str(caught.value)



def value(text, **names):
    return evaluate(parse_expression(text), names)


def half_to_even(fraction):
    """The nearest whole number to ``fraction``, a half to the even one, written out (not Python's round)."""
    below = fraction.numerator // fraction.denominator
    rest = fraction - below
    if rest != Fraction(1, 2):
        return below + (1 if rest > Fraction(1, 2) else 0)
    return below if below % 2 == 0 else below + 1


@pytest.mark.parametrize("numerator,denominator", [(5, 2), (7, 2), (1, 2), (3, 2), (-5, 2), (-3, 2), (24999, 10000),
                                                   (25001, 10000), (11, 3), (10**70, 3), (2 * 10**70 + 1, 2),
                                                   (2 * 10**70 + 3, 2), (8, 1)])
def test_round_halves_to_even_as_python_does(numerator, denominator):
    expected = half_to_even(Fraction(numerator, denominator))
    assert value(f"round({numerator} / {denominator})") == expected == round(Fraction(numerator, denominator))


def test_round_of_a_symbol_without_value_is_refused_and_of_an_irrational_number_is_exact():
    with pytest.raises(ExpressionError, match="round.* depends on symbols without values"):
        value("round(r / 2)", r=symbols("r"))
    assert value("round(sqrt(2) * 10)") == 14  # 14.142...
    with pytest.raises(ExpressionError, match="256 bits"):
        value("round(2 ** 300)")


STAGE_TABLE = """
symbols:
  widths: [32, 64, 160]
  depths: [1, 2, 3]
  rows: [[1, 16], [6, 24]]
input: [16, 32, 32]
blocks:
  stage:
    params: {i: null, stride: 1}
    layers:
      - {kind: conv, out_channels: "widths[i]", kernel: 3, stride: stride, padding: 1}
layers:
  - {id: s1, block: stage, repeat: "depths[0]", args: {i: 0}, overrides: {0: {stride: 2}}}
  - {id: s2, block: stage, repeat: "depths[1]", args: {i: 1}, overrides: {0: {stride: 2}}}
  - {id: s3, block: stage, repeat: "depths[2]", args: {i: 2}, overrides: {0: {stride: 2}}}
  - {id: head, kind: conv, out_channels: "rows[1][0] * rows[1][1]"}
"""


def test_a_stage_table_as_lists_indexed_per_stage():
    graph = load_spec(STAGE_TABLE)
    widths, depths = [32, 64, 160], [1, 2, 3]
    flops, channels, size = 0, 16, 32
    for width, depth in zip(widths, depths):
        size //= 2
        flops += 9 * channels * width * size * size + (depth - 1) * 9 * width * width * size * size
        channels = width
    flops += channels * 6 * 24 * size * size
    assert cm.analyze(graph).totals.flops == flops
    assert len(graph.nodes) == sum(depths) + 1
    other = load_spec(STAGE_TABLE, {"widths": [8, 16, 24], "depths": (1, 1, 1)})
    assert [node.outputs[0][0] for node in other][:3] == [8, 16, 24]


def test_pairs_and_lists_as_block_arguments_and_defaults():
    """Inception v3's factorised 7x7: a 1x7 conv then a 7x1 conv, each from one block taking pairs."""
    graph = load_spec("""
input: [c, 17, 17]
symbols: {c: 128}
blocks:
  conv_bn:
    params: {out: null, k: [1, 1], pad: [0, 0]}
    layers:
      - {kind: conv, out_channels: out, kernel: k, padding: pad}
      - {kind: batch_norm}
layers:
  - {id: a, block: conv_bn, args: {out: c, k: [1, 7], pad: [0, 3]}}
  - {id: b, block: conv_bn, args: {out: 192, k: "[7, 1]", pad: [3, 0]}}
  - {id: d, block: conv_bn, args: {out: 8}}
""")
    c, hw = 128, 17 * 17
    assert graph.node("a.conv1").op.kernel == (1, 7) and graph.node("b.conv1").op.kernel == (7, 1)
    assert cm.analyze(graph).totals.flops == 7 * c * c * hw + 7 * c * 192 * hw + 192 * 8 * hw
    assert graph.nodes[-1].outputs == ((8, 17, 17),)


@pytest.mark.parametrize("expression, message", [
    ("widths[-1]", "index -1 is out of range: widths has 3 items, widths[0] to widths[2] (widths = [32, 64, 160])"),
    ("widths[1.5]", "index 3/2 is not a whole number: widths has 3 items"),
    ("widths[3]", "index 3 is out of range"),
    ("widths[10**100]", "10 ** 100 would grow beyond 256 bits"),
    ("widths[10**70]", "index 1000000000000000000000000000000000000... is out of range"),
    ("widths * 2", "widths is the list [32, 64, 160], where a number is needed: take one item, widths[i]"),
    ("max(widths)", "widths is the list [32, 64, 160], where a number is needed"),
    ("depth[0]", "depth is not a list: only a list has items x[i] (depth = 2)"),
    ("widths", "node 'conv1' (Conv2d): out_channels must be an integer or a symbol, got (32, 64, 160)"),
    ("rows[0]", "node 'conv1' (Conv2d): out_channels must be an integer"),
])
def test_mistakes_with_lists_are_one_line_with_the_values_seen(expression, message):
    with pytest.raises(SpecError) as caught:
        load_spec(f"""symbols: {{widths: [32, 64, 160], depth: 2, rows: [[1, 2]]}}
input: [8, 8, 8]
layers:
  - {{kind: conv, out_channels: "{expression}"}}
""")
    text = str(caught.value)
    assert message in text and text.startswith("<spec>:4:") and "\n" not in text


@pytest.mark.parametrize("text, message", [
    ("symbols: {w: [1, 2]}\ninput: [8, 8, 8]\nlayers:\n  - {kind: relu, when: w}\n", "when 'w' is the list [1, 2], not a condition"),
    ("symbols: {w: [1, 2]}\ninput: [8, 8, 8]\nlayers:\n  - {kind: conv, out_channels: w[0]}\n",
     "expression with an index must be quoted: \"widths[i]\""),
    ("symbols: {w: [1, 0.5]}\ninput: [8, 8, 8]\nlayers:\n  - {kind: relu}\n", "symbol w is a whole number"),
    ("symbols: {w: [" + ", ".join(["1"] * 10001) + "]}\ninput: [8, 8, 8]\nlayers:\n  - {kind: relu}\n",
     "the list has 10001 items, more than the limit of 10000"),
    ("blocks: {b: {params: [k], layers: [{kind: conv, out_channels: 8, kernel: k}]}}\ninput: [8, 8, 8]\n"
     "layers:\n  - {block: b, args: {k: [1, 2, 3]}}\n", "kernel must be an integer or a symbol or a pair, got (1, 2, 3)"),
    ("blocks: {b: {params: [k], layers: [{kind: conv, out_channels: 8, kernel: k}]}}\ninput: [8, 8, 8]\n"
     "layers:\n  - {block: b, args: {k: [[1, 2]]}}\n", "kernel must be a number, but 'k' is the list [1, 2]"),
    ("blocks: {b: {params: [k], layers: [{kind: relu}]}}\ninput: [8, 8, 8]\nlayers:\n  - {block: b, repeat: k, args: {k: 1}}\n",
     "unknown name 'k'"),
    ("symbols: {n: [2]}\nblocks: {b: {layers: [{kind: relu}]}}\ninput: [8, 8, 8]\nlayers:\n  - {block: b, repeat: n}\n",
     "repeat must be a number, but 'n' is the list [2]"),
])
def test_lists_where_a_number_is_needed_are_refused(text, message):
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_caller_list_is_checked_item_by_item():
    spec = "symbols: {w: [8, 16]}\ninput: [8, 8, 8]\nlayers:\n  - {kind: conv, out_channels: \"w[1]\"}\n"
    assert load_spec(spec, {"w": "[4, 2 * 6]"}).nodes[0].outputs == ((12, 8, 8),)
    with pytest.raises(SpecError, match="the list has 10001 items"):
        load_spec(spec, {"w": [1] * 10001})
    with pytest.raises(SpecError, match="symbol w is a whole number"):
        load_spec(spec, {"w": [1, 0.5]})
