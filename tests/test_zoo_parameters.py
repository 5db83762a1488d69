"""Every zoo network's parameters are typed, and one mistake gives one error, worded alike, whatever the
network: ``<network> <parameter> must be <constraint>, got <value>``."""
from fractions import Fraction

import pytest

from costmodel.errors import UsageError
from costmodel.values import Parameter
from costmodel.zoo import ARCHITECTURES, build


def parameters_of(kind=None, name=None):
    return [(arch, p) for arch, entry in ARCHITECTURES.items() for p in entry.parameters.values()
            if (kind is None or p.kind == kind) and (name is None or p.name == name)]


def refusal(arch, **values):
    with pytest.raises(UsageError) as error:
        build(arch, **values)
    return str(error.value)


def test_kinds_follow_the_registered_defaults():
    kinds = {(arch, p.name): p.kind for arch, p in parameters_of()}
    assert kinds[("mobilenet_v1", "width")] == "ratio"
    assert kinds[("mobilenet_v1", "body")] == "choice"
    assert kinds[("resnet50", "resolution")] == "whole"
    assert kinds[("shufflenet_v1", "groups")] == "whole"
    assert kinds[("g4_bench", "relu")] == "flag"
    assert ARCHITECTURES["shufflenet_v1"].parameters["groups"].choices == (1, 2, 3, 4, 8)
    assert ARCHITECTURES["shufflenet_v2"].parameters["variant"].choices == ("paper", "torchvision")
    for arch, p in parameters_of():
        assert isinstance(p, Parameter) and p.kind in ("whole", "ratio", "flag", "choice"), (arch, p)
        assert p.kind != "ratio" or isinstance(p.default, Fraction), (arch, p)


def test_every_network_has_resolution_and_the_classifiers_have_classes():
    assert {arch for arch, _ in parameters_of(name="resolution")} == set(ARCHITECTURES)
    assert len(parameters_of(name="classes")) >= 15
    assert len(parameters_of(name="width")) >= 6


@pytest.mark.parametrize("value, shown", [(2.5, "2.5"), (0, "0"), (Fraction(7, 3), "7/3"), (True, "true"),
                                          ("abc", "'abc'")])
def test_classes_mistakes_read_alike(value, shown):
    for arch, _ in parameters_of(name="classes"):
        assert refusal(arch, classes=value) == f"{arch} classes must be a whole number, at least 1, got {shown}"


def test_negative_resolution_reads_alike():
    for arch, _ in parameters_of(name="resolution"):
        assert refusal(arch, resolution=-1) == f"{arch} resolution must be a whole number, at least 1, got -1"


@pytest.mark.parametrize("value, shown", [(0, "0"), ("abc", "'abc'"), (-0.25, "-0.25"), (False, "false")])
def test_width_mistakes_read_alike(value, shown):
    for arch, _ in parameters_of(name="width"):
        assert refusal(arch, width=value) == f"{arch} width must be a positive number, got {shown}"


def test_a_bool_for_a_number_reads_alike():
    for arch, p in parameters_of("whole"):
        assert refusal(arch, **{p.name: True}) == f"{arch} {p.name} must be a whole number, at least 1, got true"
    for arch, p in parameters_of("ratio"):
        assert refusal(arch, **{p.name: True}) == f"{arch} {p.name} must be a positive number, got true"


def test_every_whole_parameter_refuses_a_fraction():
    for arch, p in parameters_of("whole"):
        message = refusal(arch, **{p.name: 2.5})
        assert message == f"{arch} {p.name} must be a whole number, at least 1, got 2.5", message


def test_flags_and_choices_read_alike():
    for arch, p in parameters_of("flag"):
        assert refusal(arch, **{p.name: 1}) == f"{arch} {p.name} must be true or false, got 1"
    for arch, p in parameters_of("choice"):
        listed = ", ".join(p.choices)
        assert refusal(arch, **{p.name: "nonsense"}) == \
            f"{arch} {p.name} must be one of {listed}, got 'nonsense'"


def test_direct_calls_are_checked_like_build():
    from costmodel.zoo.mobilenet import mobilenet_v2
    from costmodel.zoo.shufflenet import shufflenet_v1

    for builder, arch in ((mobilenet_v2, "mobilenet_v2"), (shufflenet_v1, "shufflenet_v1")):
        with pytest.raises(UsageError) as error:
            builder(classes=2.5)
        assert str(error.value) == refusal(arch, classes=2.5)
    with pytest.raises(UsageError, match="^mobilenet_v2: got an unexpected keyword argument 'depth'$"):
        mobilenet_v2(depth=3)


def test_defaults_build_and_decimals_become_fractions():
    # MobileNet v2 at width 0.75 (a float) and 3/4 (a Fraction) is the same network
    assert [n.outputs for n in build("mobilenet_v2", width=0.75)] == \
        [n.outputs for n in build("mobilenet_v2", width=Fraction(3, 4))]
