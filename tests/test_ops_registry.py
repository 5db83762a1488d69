"""The op registry and the facts each op states: kinds registered once, typed fields the spec builder reads,
table classes and fusion roles; expected classes come from rules written out here."""
import dataclasses
import json
import subprocess
import sys
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest

import costmodel as cm
from costmodel.errors import SpecError
from costmodel.ops import OPS, Op, op_kind
from costmodel.ops.base import CATEGORIES, FUSION_ROLES, Size, SizePair, Sizes
from costmodel.report import op_class, table
from costmodel.spec import load_spec
from costmodel.zoo import build

ROOT = Path(__file__).resolve().parent.parent


# ----- one class per kind --------------------------------------------------------------------------------------
def test_a_second_class_with_a_taken_kind_is_refused():
    with pytest.raises(TypeError, match=r"op kind 'relu' is already registered by costmodel\.ops\.elementwise\.ReLU"):
        @op_kind("relu")
        @dataclass(frozen=True)
        class OtherReLU(Op):
            category = "elementwise"
    assert OPS["relu"] is cm.ReLU


def test_a_duplicate_kind_fails_the_import_of_its_module(tmp_path):
    (tmp_path / "my_ops.py").write_text(
        "from dataclasses import dataclass\n"
        "from costmodel.ops import Op, op_kind\n\n"
        "@op_kind('conv')\n@dataclass(frozen=True)\nclass MyConv(Op):\n    category = 'conv'\n")
    result = subprocess.run([sys.executable, "-c", "import my_ops"], capture_output=True, text=True,
                            env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert result.returncode == 1
    assert "TypeError: op class my_ops.MyConv: op kind 'conv' is already registered by " \
           "costmodel.ops.conv.Conv2d; each kind names one op class" in result.stderr


@pytest.mark.parametrize("body,message", [
    ("category = 'nonsense'", "category 'nonsense' is not one of conv, fc, pool, elementwise, movement, matmul"),
    ("category = 'elementwise'\n    fusion_role = 'glue'", "fusion role 'glue' is not one of activation"),
    ("category = 'elementwise'\n    slope: typing.Any = 1", "field slope is annotated typing.Any; annotate it bool"),
])
def test_registration_refuses_facts_outside_the_vocabulary(body, message):
    source = f"@op_kind('not_registered')\n@dataclass(frozen=True)\nclass Odd(Op):\n    {body}\n"
    with pytest.raises(TypeError, match=message):
        exec(source, {"op_kind": op_kind, "dataclass": dataclass, "Op": Op, "typing": typing})
    assert "not_registered" not in OPS


def test_op_kind_must_sit_above_dataclass():
    with pytest.raises(TypeError, match="put it above @dataclass"):
        @dataclass(frozen=True)
        @op_kind("upside_down")
        class UpsideDown(Op):
            category = "elementwise"
    assert "upside_down" not in OPS


def test_each_annotation_gives_its_hyper_parameter_kind():
    @op_kind("every_type")
    @dataclass(frozen=True)
    class EveryType(Op):
        flag: bool = False
        text: str = "a"
        choice: typing.Literal["a", "b"] = "a"
        number: float = 0.5
        whole: int = 1
        size: Size = 1
        pair: SizePair = 1
        optional_pair: SizePair | None = None
        sizes: typing.Optional[Sizes] = None
        category = "elementwise"

    try:
        assert dict(EveryType.hyper_parameter_kinds) == {
            "flag": "flag", "text": "text", "choice": "text", "number": "number", "whole": "size", "size": "size",
            "pair": "size", "optional_pair": "size", "sizes": "size"}
        assert OPS["every_type"] is EveryType and EveryType.kind == "every_type"
    finally:
        del OPS["every_type"]


# ----- every registered op states its facts ------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(OPS))
def test_every_registered_op_states_its_facts(kind):
    cls = OPS[kind]
    assert cls.kind == kind
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    assert cls.category in CATEGORIES
    assert cls.fusion_role in ("", *FUSION_ROLES)
    assert cls.absorbs <= set(FUSION_ROLES)
    assert isinstance(cls.counted_in_paper, bool)
    assert set(cls.hyper_parameter_kinds) == {f.name for f in dataclasses.fields(cls)}
    assert set(cls.hyper_parameter_kinds.values()) <= {"flag", "text", "number", "size"}


def test_fusion_roles_of_the_shipped_ops():
    roles = {kind: cls.fusion_role for kind, cls in OPS.items() if cls.fusion_role}
    assert {kind for kind, role in roles.items() if role == "activation"} >= {
        "relu", "relu6", "leaky_relu", "sigmoid", "swish", "hard_sigmoid", "hard_swish"}
    assert roles["batch_norm"] == "normalisation"
    assert (roles["channel_shuffle"], roles["split"]) == ("channel shuffle", "channel split")
    assert OPS["lrn"].fusion_role == ""  # a normalisation across channels, not an activation; never folded
    assert OPS["conv"].absorbs == {"normalisation", "activation"} and OPS["linear"].absorbs == {"activation"}
    assert "channel shuffle" in OPS["concat"].absorbs


# ----- the spec builder reads the field types ----------------------------------------------------------------
FITTING = {  # lists whose values must fit an [8, 8, 8] input
    ("transpose", "perm"): [0, 2, 1], ("reshape", "shape"): [8, 64], ("unsqueeze", "axes"): [0],
    ("pad", "pads"): [0, 1, 1, 0, 1, 1], ("layer_scale", "shape"): [8, 1, 1], ("bias_add", "shape"): [8, 1, 1],
    ("reduce_mean", "axes"): [1], ("reduce_l2", "axes"): [1],  # one axis, so that keepdims may be false
    ("gather", "indices"): [2, 3], ("expand", "shape"): [2, 8, 8, 8], ("constant", "shape"): [2, 4]}


def spec_setting(cls, field):
    """A value of the field's type, other than its default where that is surely valid; and what the op gets."""
    kind = cls.hyper_parameter_kinds[field.name]
    required = field.default is dataclasses.MISSING
    if (cls.kind, field.name) in FITTING:
        value = FITTING[cls.kind, field.name]
        return value, tuple(value)
    if kind == "flag":
        return (True, True) if required else (not field.default, not field.default)
    if kind == "number":
        return 0.25, 0.25
    if kind == "text":
        choices = typing.get_args(typing.get_type_hints(cls)[field.name])
        value = choices[-1] if choices else field.default
        return value, value
    value = 8 if required else field.default
    return (list(value) if isinstance(value, tuple) else value), value


@pytest.mark.parametrize("kind", list(OPS))
def test_the_spec_builder_reads_every_field_of_every_op(kind):
    cls = OPS[kind]
    written, expected = {}, {}
    for field in dataclasses.fields(cls):
        written[field.name], expected[field.name] = spec_setting(cls, field)
    layer = {"id": "it", "kind": kind, **written}
    if cls.min_inputs >= 2:
        layer["from"] = ["input"] * cls.min_inputs
    problems = []
    for shape in ([8, 8, 8], [8]):  # feature maps, or flat features for a fully connected layer
        try:
            graph = load_spec(f"input: {json.dumps(shape)}\nlayers:\n  - {json.dumps(layer)}\n")
        except SpecError as error:
            problems.append(str(error))
            continue
        assert graph.node("it").op == cls(**expected)
        return
    pytest.fail(f"{kind}: no spec layer built: {problems}")


# ----- table classes ------------------------------------------------------------------------------------------
def mobilenet_kind(c_in, groups, kernel):
    """MobileNet v1 (Howard et al. 2017, section 3.1): a depthwise convolution applies one filter per input
    channel (every group holds one input channel, and there is more than one); a pointwise one is 1x1; the
    rest (full or grouped) are standard convolutions."""
    if groups > 1 and c_in // groups == 1:
        return f"depthwise {kernel}x{kernel}"
    return f"conv {kernel}x{kernel}"


@pytest.mark.parametrize("c_in,c_out,kernel,groups", [
    (32, 32, 3, 32),  # depthwise 3x3
    (32, 64, 3, 32),  # depthwise with channel multiplier 2
    (96, 96, 5, 96),  # depthwise 5x5
    (32, 64, 1, 1),  # pointwise
    (240, 240, 1, 3),  # ShuffleNet's grouped 1x1
    (3, 32, 3, 1),  # full 3x3
    (64, 64, 3, 4),  # grouped 3x3
    (1, 8, 3, 1),  # one input channel, one group: a standard convolution
])
def test_table_class_of_convolutions(c_in, c_out, kernel, groups):
    g = cm.Graph("t", (c_in, 16, 16))
    g.add("conv", cm.Conv2d(c_out, kernel=kernel, padding=kernel // 2, groups=groups), g.input)
    assert op_class(cm.analyze(g).layer("conv")) == mobilenet_kind(c_in, groups, kernel)


def test_table_class_of_the_other_ops():
    g = cm.Graph("t", (16, 8, 8))
    a = g.add("up", cm.ConvTranspose2d(16, kernel=4, stride=2, padding=1), g.input)
    b = g.add("deform", cm.DeformableConv2d(16, kernel=3, padding=1, groups=16), a)
    c = g.add("bn", cm.BatchNorm(), b)
    d = g.add("relu", cm.ReLU(), c)
    e = g.add("lrn", cm.LocalResponseNorm(3), d)
    f = g.add("sum", cm.Add(), e, d)
    h = g.add("cat", cm.Concat(), f, e)
    i = g.add("shuffle", cm.ChannelShuffle(2), h)
    j = g.add("pool", cm.MaxPool2d(2), i)
    k = g.add("gap", cm.GlobalAvgPool(), j)
    m = g.add("flat", cm.Flatten(), k)
    g.add("fc", cm.Linear(10), m)
    classes = {layer.name: op_class(layer) for layer in cm.analyze(g).layers}
    assert classes == {"up": "transposed conv 4x4", "deform": "deformable conv 3x3", "bn": "element-wise",
                       "relu": "element-wise", "lrn": "element-wise", "sum": "element-wise", "cat": "data movement",
                       "shuffle": "data movement", "pool": "pool", "gap": "pool", "flat": "data movement", "fc": "fc"}


def test_table_class_of_a_symbolic_depthwise_conv():
    c = cm.symbols("c")
    g = cm.Graph("t", (c, 16, 16))
    x = g.add("dw", cm.depthwise(c), g.input)
    g.add("pw", cm.Conv2d(2 * c), x)
    assert [op_class(layer) for layer in cm.analyze(g).layers] == ["depthwise 3x3", "conv 1x1"]


def test_mobilenet_v1_rows_are_its_table_1_layers():
    # Howard et al. 2017, Table 1: one full 3x3 conv, 13 depthwise 3x3 and 13 pointwise 1x1 convs, one FC
    rows = table(cm.analyze(build("mobilenet_v1")), "op").rows
    nodes = {row["op"]: row["nodes"] for row in rows}
    assert {k: nodes[k] for k in ("conv 3x3", "depthwise 3x3", "conv 1x1", "fc")} == {
        "conv 3x3": 1, "depthwise 3x3": 13, "conv 1x1": 13, "fc": 1}
    assert set(nodes) == {"conv 3x3", "depthwise 3x3", "conv 1x1", "fc", "pool", "element-wise", "data movement"}


# ----- fusion reads the facts ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clip(Op):
    """An activation the library does not ship (left unregistered): it folds because it says it is one."""

    category = "elementwise"
    fusion_role = "activation"


@pytest.mark.parametrize("after,folds", [(Clip(), True), (cm.LocalResponseNorm(3), False), (cm.ReLU(), True)])
def test_activation_fusion_follows_the_fusion_role(after, folds):
    g = cm.Graph("t", (8, 4, 4))
    g.add("after", after, g.add("conv", cm.Conv2d(8), g.input))
    layer = cm.analyze(g, fuse=["activation"]).layer("after")
    assert layer.fused is folds
    assert layer.mac == (0 if folds else 2 * 8 * 16)  # read and write the 8x4x4 map unless folded
