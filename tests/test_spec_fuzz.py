"""Mutated specs never escape the error contract: every outcome is a Graph (that analyzes, or fails with a
CostModelError) or a SpecError of one line ``FILE:LINE:COL: message``; never another exception type.

``SPEC_FUZZ_EXAMPLES=5000 pytest tests/test_spec_fuzz.py`` searches harder than the default run."""
import copy
import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import costmodel as cm
from costmodel.spec import EXAMPLES, load_spec

SMALL = """\
symbols: {c: 16, width: {default: 1, integer: false}, n: 2}
input: [c, 8, 8]
blocks:
  unit:
    params: {out: null, stride: 1}
    layers:
      - {id: a, kind: conv, out_channels: out, kernel: 3, stride: stride, padding: 1}
      - {id: b, kind: batch_norm}
      - {id: halves, kind: split, sections: 2, when: stride == 1}
      - {id: j, kind: concat, from: [halves.0, halves.1], when: stride == 1}
layers:
  - {id: conv1, kind: conv, out_channels: "make_divisible(c * width, 8)", kernel: 1}
  - {id: s, block: unit, repeat: n, args: {out: 2 * in_channels}, overrides: {0: {stride: 2}}}
  - {kind: add, from: [s, s]}
  - {kind: global_avg_pool, stage: head}
  - {kind: flatten}
  - {kind: linear, out_features: 10}
"""
BRANCHY = """\
symbols: {c: 16, widths: [8, 16], rows: [[1, 2], [3, 4]], i: 1}
input: [c, 8, 8]
blocks:
  module:
    params: {k: [1, 3], pad: [0, 1]}
    layers:
      - id: out
        join: concat
        branches:
          a: {kind: conv, out_channels: "widths[i]", kernel: k, padding: pad}
          b: [{kind: conv, out_channels: input_channels, kernel: 1}, {join: add, branches: {x: input, y: {kind: relu}}}]
          c: input
layers:
  - {id: m, block: module, args: {k: [3, 1], pad: "[1, 0]"}}
  - {kind: conv, out_channels: "round(rows[1][0] * 2.5)", when: "rows[0][1] == 2"}
"""
SPECS = [SMALL, BRANCHY] + [path.read_text() for path in sorted(EXAMPLES.glob("*.yaml"))]
EXAMPLES_PER_TEST = int(os.environ.get("SPEC_FUZZ_EXAMPLES", "300"))
NAMES = ["c", "n", "width", "out", "stride", "in_channels", "in_height", "x", "resolution", "classes", "c2",
         "widths", "rows", "input_channels", "k"]
OPS_TEXT = ["+", "-", "*", "/", "//", "%", "**", "==", "<", ">=", " and ", " or ", "@", "."]

leaves = st.one_of(st.integers(-3, 300).map(str), st.sampled_from(NAMES), st.sampled_from(["0.5", "1e3", "'s'", "True"]))
expressions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(OPS_TEXT), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        st.tuples(st.sampled_from(["floor", "ceil", "sqrt", "min", "max", "make_divisible", "round", "len",
                                   "__import__"]),
                  st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        inner.map(lambda e: f"-{e}"),
    ),
    max_leaves=12,
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.fractions().map(float),
                    expressions, st.text(max_size=20), st.sampled_from(["conv", "split", "input", "s.1", "halves.5"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.sampled_from(NAMES + ["kind", "id", "from",
                                                                                                "branches", "join"]),
                                                                       inner, max_size=3)), max_leaves=6)


def paths(tree, prefix=()):
    """Every path to a value inside a plain YAML tree."""
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from paths(value, prefix + (index,))


def check_outcome(text, given_values=None):
    try:
        graph = load_spec(text if "\n" in text else text + "\n", given_values, filename="fuzz.yaml")
    except cm.SpecError as error:
        message = str(error)
        assert "\n" not in message and message.startswith("fuzz.yaml"), message
        assert "internal error" not in message, message
        return
    assert isinstance(graph, cm.Graph)
    try:
        cm.analyze(graph)
    except cm.CostModelError:
        pass


@settings(max_examples=EXAMPLES_PER_TEST, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.sampled_from(SPECS[:4]), data=st.data())
def test_mutated_trees_give_a_graph_or_a_spec_error(spec, data):
    tree = yaml.safe_load(spec)
    for _ in range(data.draw(st.integers(1, 3))):
        targets = [path for path in paths(tree) if path]
        path = data.draw(st.sampled_from(targets))
        parent = tree
        for step in path[:-1]:
            parent = parent[step]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(values)
    check_outcome(yaml.safe_dump(tree, sort_keys=False))


@settings(max_examples=EXAMPLES_PER_TEST, deadline=None)
@given(spec=st.sampled_from(SPECS), data=st.data())
def test_truncated_and_corrupted_text_gives_a_graph_or_a_spec_error(spec, data):
    cut = data.draw(st.integers(0, len(spec)))
    noise = data.draw(st.text(alphabet=":{}[],-&*!|>'\"#\n\t %.()=abc01_", max_size=12))
    end = data.draw(st.integers(cut, min(len(spec), cut + 10)))
    text = spec[:cut] + noise + (spec[end:] if data.draw(st.booleans()) else "")
    check_outcome(text)


@settings(max_examples=EXAMPLES_PER_TEST, deadline=None)
@given(expression=expressions, key=st.sampled_from(["out_channels", "kernel", "stride", "padding", "groups", "when"]))
def test_random_expressions_give_a_graph_or_a_spec_error(expression, key):
    tree = yaml.safe_load(SMALL)
    layer = copy.deepcopy(tree["layers"][0])
    layer[key] = expression
    tree["layers"].insert(1, layer | {"id": "fuzzed"})
    check_outcome(yaml.safe_dump(tree, sort_keys=False))


@settings(max_examples=EXAMPLES_PER_TEST, deadline=None)
@given(given_values=st.dictionaries(st.sampled_from(["c", "n", "width", "nope"]),
                                    st.one_of(scalars, st.fractions(), st.floats(allow_nan=True)), max_size=3))
def test_random_caller_values_give_a_graph_or_a_spec_error(given_values):
    check_outcome(SMALL, given_values)


def test_examples_are_what_the_fuzzing_starts_from():
    assert len(SPECS) == 2 + len(list(Path(EXAMPLES).glob("*.yaml"))) >= 7
    for spec in SPECS:
        assert isinstance(load_spec(spec), cm.Graph)
