"""Block arguments that are lists, input_channels (the block's own input), the quoting hint in block
arguments, round(), list-valued symbols and indexing: counts checked against formulas written here."""
import pytest

import costmodel as cm
from costmodel.errors import SpecError
from costmodel.spec import load_spec

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
    assert graph.node("mul1.gate.conv2").outputs == ((40, 1, 1),)
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
