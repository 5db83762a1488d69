"""The derivations hold, and their expressions equal the papers' formulas (checked again here): Howard et al.
2017, MobileNets, section 3.1; Zhang et al. 2018, ShuffleNet, sections 3.1-3.2; Ma et al. 2018, ShuffleNet V2,
section 2 (G1, G2)."""
import pytest
import sympy

from costmodel.derivations import DERIVATIONS, derive


@pytest.mark.parametrize("name", list(DERIVATIONS))
def test_every_derivation_holds(name):
    result = derive(name)
    assert result.checks and result.holds, result.text()


def test_depthwise_separable_worked_example_numbers():
    d = derive("depthwise-separable")
    assert d.step("params, 3->256 3x3 separable") == 3 * 3 * 3 + 3 * 1 * 1 * 256 == 795
    assert d.step("params, 3->256 3x3 standard") == 3 * 3 * 3 * 256 == 6912


def test_mac_bound_expressions():
    d = derive("mac-bound")
    h, w, c1, c2 = sympy.symbols("h w c1 c2", positive=True, integer=True)
    assert sympy.simplify(d.step("mac") - (h * w * (c1 + c2) + c1 * c2)) == 0
    assert d.step("equality when c2") == c1
    gap = d.step("mac - bound")
    assert gap.subs({h: 7, w: 7, c1: 4, c2: 9}) == 49  # 49 * (2 - 3)**2


def test_group_mac_is_increasing():
    d = derive("mac-group")
    b, c1 = sympy.symbols("B c1", positive=True, integer=True)
    assert sympy.simplify(d.step("d mac / d g at fixed B, c1") - b / c1) == 0


def test_shuffle_worked_example():
    assert derive("channel-shuffle").step("channels 1,2,3,4 with g = 2 become") == [1, 3, 2, 4]


def test_unknown_derivation():
    from costmodel import UsageError
    with pytest.raises(UsageError, match="no derivation named 'nope'"):
        derive("nope")
