"""costmodel.load / costmodel.target: one typed way in for zoo names, spec files, ONNX paths, graph factories
and graphs; the numbers equal the builders' own, and bad values fail with one clear line."""
import sys
from fractions import Fraction

import pytest
import sympy

import costmodel as cm
from costmodel import spec as spec_package
from costmodel.spec import EXAMPLES, load_spec
from costmodel.targets import Parameter, Target, target
from costmodel.zoo import build


def stem(width=1.0, resolution=224, classes=10, relu=True):
    """A 3x3/2 convolution to round(32 * width) channels, a ReLU, global pooling and a classifier."""
    graph = cm.Graph("stem", (3, resolution, resolution))
    x = graph.add("conv", cm.Conv2d(max(8, int(32 * width)), 3, stride=2, padding=1), graph.input)
    if relu:
        x = graph.add("relu", cm.ReLU(), x)
    x = graph.add("pool", cm.GlobalAvgPool(), x)
    x = graph.add("flatten", cm.Flatten(), x)
    graph.add("fc", cm.Linear(classes), x)
    return graph


def test_zoo_target_parameters_and_typed_values():
    t = target("shufflenet_v1")
    assert {n: (p.default, p.kind) for n, p in t.parameters.items()} == {
        "width": (1.0, "ratio"), "groups": (3, "whole"), "resolution": (224, "whole"), "classes": (1000, "whole")}
    assert t.parameters["groups"].choices == (1, 2, 3, 4, 8)
    assert t.values(width=0.5) == {"width": Fraction(1, 2), "groups": 3, "resolution": 224, "classes": 1000}
    graph = cm.load("mobilenet_v2", width=0.75, resolution=160)
    expected = build("mobilenet_v2", width=Fraction(3, 4), resolution=160)
    assert cm.analyze(graph).totals == cm.analyze(expected).totals


def test_symbols_pass_through_typed():
    alpha = sympy.Symbol("alpha", positive=True)
    totals = cm.analyze(cm.load("mobilenet_v1", width=alpha)).totals
    assert totals.flops.subs(alpha, sympy.Rational(1, 2)) == cm.analyze(build("mobilenet_v1", width=0.5)).totals.flops


def test_spec_target_is_read_once_and_builds_like_load_spec(monkeypatch):
    path = EXAMPLES / "g1_block_pair.yaml"
    reads = []
    original = spec_package.read_tree
    monkeypatch.setattr(spec_package, "read_tree", lambda text: reads.append(1) or original(text))
    t = target(str(path))
    assert {n: (p.default, p.kind) for n, p in t.parameters.items()} == {
        "c1": (None, "whole"), "c2": (None, "whole"), "h": (56, "whole"), "w": (56, "whole")}
    graphs = [t.build(c1=c, c2=256) for c in (32, 64)]
    assert t.values(c1=64, c2=256) == {"c1": 64, "c2": 256, "h": 56, "w": 56}
    assert len(reads) == 1
    monkeypatch.undo()
    for c, graph in zip((32, 64), graphs):
        assert cm.analyze(graph).totals == cm.analyze(load_spec(path, {"c1": c, "c2": 256})).totals
    # 56 x 56 x (c1 + c2) + c1 c2 per 1x1 convolution, two of them
    assert cm.analyze(graphs[1]).totals.mac == 2 * (56 * 56 * (64 + 256) + 64 * 256)
    assert target(str(EXAMPLES / "mobilenet_v2.yaml")).parameters["width"].kind == "ratio"


def test_factory_target_parameters_from_the_signature():
    t = target(stem)
    assert {n: (p.default, p.kind) for n, p in t.parameters.items()} == {
        "width": (1.0, "ratio"), "resolution": (224, "whole"), "classes": (10, "whole"), "relu": (True, "flag")}
    # conv: 3*3*3 multiply-adds per output element; 112 x 112 x 16 outputs at width 1/2
    conv = cm.analyze(cm.load(stem, width=0.5)).layer("conv")
    assert conv.flops == 27 * 112 * 112 * 16
    assert cm.load(stem, relu=False).nodes[1].name == "pool"


def test_graph_and_target_objects():
    graph = stem()
    assert target(graph).parameters == {} and cm.load(graph) is graph
    t = Target("fixed", [Parameter("n", 4, "whole")], lambda n=4: stem(classes=n))
    assert target(t) is t
    assert cm.analyze(cm.load(t, n=7)).layer("fc").params == 32 * 7 + 7


@pytest.mark.parametrize("obj, values, words", [
    ("mobilenet_v2", {"widht": 1}, "mobilenet_v2 has no parameter 'widht' (did you mean width?); its parameters "
                                   "are width, resolution, classes"),
    ("mobilenet_v2", {"width": "0.5"}, "mobilenet_v2 width must be a number or a sympy expression, got '0.5'"),
    ("shufflenet_v2", {"width": 0.7}, "shufflenet_v2 width must be one of 0.5, 1.0, 1.5, 2.0, got 0.7"),
    ("g4_bench", {"relu": 1}, "g4_bench relu must be true or false, got 1"),
    (stem, {"resolution": 2.5}, "stem resolution must be a whole number, at least 1, got 2.5"),
    (stem, {"width": 0}, "stem width must be a positive number, got 0"),
    (stem, {"classes": 0}, "stem classes must be a whole number, at least 1, got 0"),
    ("mobilenet_v9", {}, "unknown architecture 'mobilenet_v9' (did you mean mobilenet_v2"),
    ("no/such/net.yaml", {}, "no spec file 'no/such/net.yaml'"),
    (3, {}, "cannot build int 3"),
])
def test_bad_values_are_one_usage_error(obj, values, words):
    with pytest.raises(cm.UsageError) as raised:
        cm.load(obj, **values)
    assert words in str(raised.value) and "\n" not in str(raised.value)


def test_a_failing_factory_is_named_in_one_line():
    def broken(width=1.0):
        return stem(width=width) if width < 2 else 1 / 0

    with pytest.raises(cm.UsageError, match=r"broken\(width=2\) raised ZeroDivisionError: division by zero"):
        cm.load(broken, width=2)
    with pytest.raises(cm.UsageError, match="returned int, not a Graph"):
        cm.load(lambda: 3)


def test_spec_values_keep_the_spec_checks():
    with pytest.raises(cm.SpecError, match="g1_block_pair.yaml:8:1: a value is given for 'c3'"):
        cm.load(str(EXAMPLES / "g1_block_pair.yaml"), c3=1)
    with pytest.raises(cm.SpecError, match="symbol c1 is a whole number"):
        cm.load(str(EXAMPLES / "g1_block_pair.yaml"), c1=0.5)


@pytest.fixture
def fake_onnx_module(tmp_path, monkeypatch):
    """A costmodel.onnx found before any real one: its source is written by each test."""
    monkeypatch.setattr(cm, "__path__", [str(tmp_path), *cm.__path__])
    monkeypatch.delitem(sys.modules, "costmodel.onnx", raising=False)
    model = tmp_path / "m.onnx"
    model.write_bytes(b"not read by the fake")

    def write(source):
        (tmp_path / "onnx.py").write_text(source)
        return str(model)

    yield write
    sys.modules.pop("costmodel.onnx", None)


def test_onnx_paths_go_to_onnx_target(fake_onnx_module):
    path = fake_onnx_module(
        "from costmodel.targets import Parameter, Target\n"
        "from costmodel import Graph, Linear\n"
        "def onnx_target(path):\n"
        "    def build(batch=1):\n"
        "        g = Graph(path, (64,), batch=batch)\n"
        "        g.add('fc', Linear(10), g.input)\n"
        "        return g\n"
        "    return Target('m', [Parameter('batch', 1, 'whole')], build)\n")
    graph = cm.load(path, batch=2)
    assert graph.name == path and cm.analyze(graph).totals.flops == 2 * 64 * 10


def test_onnx_without_the_onnx_package(fake_onnx_module, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    path = fake_onnx_module("import onnx\n")
    with pytest.raises(cm.UsageError, match=r"reading .onnx files needs the onnx package: pip install "
                                            r"'costmodel\[onnx\]'"):
        cm.load(path)
