"""The G1-G4 benchmark networks of ShuffleNet V2 and the paper's data (Ma et al. 2018, ShuffleNet V2, section 2,
Tables 1-4 and appendix Fig. 1)."""
import pytest
import sympy

import costmodel.zoo.guidelines as G  # registers
from costmodel.analysis import analyze
from costmodel.errors import UsageError
from costmodel.ops import Concat, Conv2d, ReLU
from costmodel.zoo import build

HW = 56 * 56  # the paper's input size for all four experiments
BLOCKS = 10  # "stacking 10 building blocks repeatedly"


def cost(name, **params):
    return analyze(build(name, **params)).totals


def buildable_cells(table):
    """Every printed cell with its costs; cells the builder refuses are returned apart."""
    built, refused = [], []
    for label, platform, column, params, speed in table.cells():
        try:
            built.append((label, platform, column, cost(table.builder, **params)))
        except UsageError:
            refused.append((table.name, label, platform, column))
    return built, refused


def by_column(table):
    columns = {}
    for label, platform, column, totals in buildable_cells(table)[0]:
        columns.setdefault((platform, column), []).append((label, totals))
    return columns


# ----- the data as printed ------------------------------------------------------------------------------
# Ma et al. 2018, ShuffleNet V2, Tables 1-4 (56x56 input, 10 blocks), typed here from the paper's tables apart
# from costmodel.zoo.guidelines.TABLES. GPU speeds in batches/s, ARM speeds in images/s.
# Table 1 (G1): c1:c2, (c1, c2) for x1 on GPU, GPU x1 x2 x4, (c1, c2) for x1 on ARM, ARM x1 x2.
PAPER_TABLE1 = (
    ("1:1", (128, 128), (1480, 723, 232), (32, 32), (76.2, 21.7)),
    ("1:2", (90, 180), (1296, 586, 206), (22, 44), (72.9, 20.5)),
    ("1:6", (52, 312), (876, 489, 189), (13, 78), (69.1, 17.9)),
    ("1:12", (36, 432), (748, 392, 163), (9, 108), (57.6, 15.1)),
)
# Table 2 (G2): g, c for x1 on GPU, GPU x1 x2 x4, c for x1 on ARM (the paper heads it CPU), ARM x1 x2.
PAPER_TABLE2 = (
    (1, 128, (2451, 1289, 437), 64, (40.0, 10.2)),
    (2, 180, (1725, 873, 341), 90, (35.0, 9.5)),
    (4, 256, (1026, 644, 338), 128, (32.9, 8.7)),
    (8, 360, (634, 445, 230), 180, (27.8, 7.5)),
)
# Table 3 (G3, blocks of appendix Fig. 1): variant, GPU c = 128 256 512, ARM (CPU) c = 64 128 256.
PAPER_TABLE3 = (
    ("1-fragment", (2446, 1274, 434), (40.2, 10.1, 2.3)),
    ("2-fragment-series", (1790, 909, 336), (38.6, 10.1, 2.2)),
    ("4-fragment-series", (752, 745, 349), (38.4, 10.1, 2.3)),
    ("2-fragment-parallel", (1537, 803, 320), (33.4, 9.1, 2.2)),
    ("4-fragment-parallel", (691, 572, 292), (35.0, 8.4, 2.1)),
)
# Table 4 (G4, ResNet bottleneck): ReLU, short-cut, GPU c = 32 64 128, ARM (CPU) c = 32 64 128.
PAPER_TABLE4 = (
    ("yes", "yes", (2427, 2066, 1436), (56.7, 16.9, 5.0)),
    ("yes", "no", (2647, 2256, 1735), (61.9, 18.8, 5.2)),
    ("no", "yes", (2672, 2121, 1458), (57.3, 18.2, 5.1)),
    ("no", "no", (2842, 2376, 1782), (66.3, 20.2, 5.4)),
)
PAPER_COLUMNS = {  # (GPU columns, ARM columns): channel multipliers for Tables 1-2, channels for Tables 3-4
    "table1": ((1, 2, 4), (1, 2)), "table2": ((1, 2, 4), (1, 2)),
    "table3": ((128, 256, 512), (64, 128, 256)), "table4": ((32, 64, 128), (32, 64, 128)),
}


def paper_rows(name):
    """The paper's rows as ``(label or None, GPU configuration, GPU speeds, ARM configuration, ARM speeds)``;
    the label is compared only where the paper prints one (Tables 1 and 3)."""
    if name == "table1":
        pair = lambda c: {"c1": c[0], "c2": c[1]}
        return [(ratio, pair(gpu_c), gpu, pair(arm_c), arm) for ratio, gpu_c, gpu, arm_c, arm in PAPER_TABLE1]
    if name == "table2":
        return [(None, {"groups": g, "channels": gpu_c}, gpu, {"groups": g, "channels": arm_c}, arm)
                for g, gpu_c, gpu, arm_c, arm in PAPER_TABLE2]
    if name == "table3":
        def variant(label):  # "4-fragment-parallel": 4 fragments in parallel; "1-fragment": one conv
            fragments = int(label.split("-")[0])
            return {"fragments": fragments, "arrangement": label.split("-")[2] if fragments > 1 else "series"}
        return [(label, variant(label), gpu, variant(label), arm) for label, gpu, arm in PAPER_TABLE3]
    flags = lambda relu, shortcut: {"relu": relu == "yes", "shortcut": shortcut == "yes"}
    return [(None, flags(relu, cut), gpu, flags(relu, cut), arm) for relu, cut, gpu, arm in PAPER_TABLE4]


@pytest.mark.parametrize("name", ["table1", "table2", "table3", "table4"])
def test_tables_are_the_papers_rows_exactly(name):
    table = G.TABLES[name]
    assert (table.gpu_columns, table.arm_columns) == PAPER_COLUMNS[name]
    expected = paper_rows(name)
    assert len(table.rows) == len(expected)
    for row, (label, gpu_config, gpu, arm_config, arm) in zip(table.rows, expected):
        assert (row[0] if label is not None else None, *row[1:]) == (label, gpu_config, gpu, arm_config, arm), row


@pytest.mark.parametrize("table", G.TABLES.values(), ids=lambda t: t.name)
def test_tables_have_a_speed_per_column(table):
    assert {t.guideline for t in G.TABLES.values()} == {"G1", "G2", "G3", "G4"}
    for _, gpu_config, gpu, arm_config, arm in table.rows:
        assert len(gpu) == len(table.gpu_columns) and len(arm) == len(table.arm_columns)
        assert gpu_config == arm_config or table.column_kind == "multiplier"


def test_only_table2_arm_g8_cannot_be_built():
    """Table 2 prints c = 180 for g = 8 on ARM: 8 groups do not divide 180 (the paper rounded c)."""
    refused = [cell for table in G.TABLES.values() for cell in buildable_cells(table)[1]]
    assert refused == [("table2", "g=8", "ARM", 1)]


# ----- FLOPs held fixed across each table's rows ---------------------------------------------------------
@pytest.mark.parametrize("name", ["table1", "table2", "table3"])
def test_flops_fixed_across_rows_within_rounding(name):
    """The paper's channel pairs are rounded (e.g. 90 x 180 for 128^2 / 2): each column's rows agree within
    6 % (Table 1's ARM 22 x 44 = 968 against 32 x 32 = 1024 is the widest)."""
    for (platform, column), rows in by_column(G.TABLES[name]).items():
        flops = [totals.flops for _, totals in rows]
        assert max(flops) <= 1.06 * min(flops), (platform, column, flops)


def test_table4_flops_identical_across_rows():
    for rows in by_column(G.TABLE4).values():
        assert len({totals.flops for _, totals in rows}) == 1


# ----- mac orders as the guidelines predict --------------------------------------------------------------
def test_g1_mac_grows_as_c1_c2_departs_from_1_to_1():
    for rows in by_column(G.TABLE1).values():
        macs = [totals.mac for _, totals in rows]  # rows 1:1, 1:2, 1:6, 1:12
        assert macs == sorted(macs) and len(set(macs)) == len(macs)


def test_g2_mac_grows_with_groups():
    for rows in by_column(G.TABLE2).values():
        macs = [totals.mac for _, totals in rows]  # rows g = 1, 2, 4, 8
        assert macs == sorted(macs) and len(set(macs)) == len(macs)


def test_g3_fragments_move_more_than_one_fragment():
    for rows in by_column(G.TABLE3).values():
        mac = {label: totals.mac for label, totals in rows}
        assert mac["1-fragment"] < mac["2-fragment-series"] < mac["4-fragment-series"]
        assert mac["1-fragment"] < mac["2-fragment-parallel"] < mac["4-fragment-parallel"]


def test_g4_relu_and_shortcut_each_move_3c_per_pixel():
    """Independent count: the three ReLUs read and write c/4, c/4 and c per pixel (3c), the add reads 2c and
    writes c (3c); removing either saves 10 * hw * 3c, removing both twice that."""
    for (platform, c), rows in by_column(G.TABLE4).items():
        mac = [totals.mac for _, totals in rows]  # yes/yes, yes/no, no/yes, no/no
        saving = BLOCKS * HW * 3 * c
        assert mac[0] - mac[1] == mac[0] - mac[2] == saving
        assert mac[0] - mac[3] == 2 * saving


# ----- the benchmark networks against the paper's formulas -----------------------------------------------
@pytest.mark.parametrize("c1, c2", [(128, 128), (90, 180), (36, 432)])
def test_g1_flops_and_mac_formula(c1, c2):
    """G1: B = hw c1 c2 per conv, MAC = hw (c1 + c2) + c1 c2 per 1x1 conv; two convs per block."""
    totals = cost("g1_bench", c1=c1, c2=c2)
    assert totals.flops == BLOCKS * 2 * HW * c1 * c2
    assert totals.mac == BLOCKS * 2 * (HW * (c1 + c2) + c1 * c2)
    assert totals.params == BLOCKS * 2 * c1 * c2


def test_g1_symbolic_mac_meets_the_bound_at_equal_widths():
    """MAC >= 2 sqrt(hw B) + B / hw per conv, with equality when c1 = c2 (G1)."""
    c1, c2 = sympy.symbols("c1 c2", positive=True, integer=True)
    totals = analyze(build("g1_bench", c1=c1, c2=c2)).totals
    per_conv = sympy.expand(totals.mac / (2 * BLOCKS))
    assert sympy.expand(per_conv - (HW * (c1 + c2) + c1 * c2)) == 0
    bound = lambda a, b: 2 * sympy.sqrt(HW * HW * a * b) + a * b
    assert per_conv.subs({c1: 64, c2: 64}) == bound(64, 64)
    assert per_conv.subs({c1: 32, c2: 128}) > bound(32, 128)


@pytest.mark.parametrize("groups, c", [(1, 128), (2, 180), (8, 360)])
def test_g2_flops_and_mac_formula(groups, c):
    """G2: B = hw c^2 / g, MAC = hw (c1 + c2) + c1 c2 / g per 1x1 group conv."""
    totals = cost("g2_bench", groups=groups, channels=c)
    assert totals.flops == BLOCKS * 2 * HW * c * c // groups
    assert totals.mac == BLOCKS * 2 * (HW * 2 * c + c * c // groups)
    assert all(n.op.groups == groups for n in build("g2_bench", groups=groups, channels=c))


def test_g3_blocks_as_appendix_fig1():
    """Series: n convs of width floor(c / sqrt(n)); parallel: n convs c -> c/n joined by a concat."""
    assert [n.op.out_channels for n in build("g3_bench", fragments=2, channels=128, blocks=1)] == [90, 90]
    assert [n.op.out_channels for n in build("g3_bench", fragments=4, channels=128, blocks=1)] == [64] * 4
    g = build("g3_bench", fragments=4, arrangement="parallel", channels=128, blocks=1)
    convs = [n for n in g if isinstance(n.op, Conv2d)]
    assert [n.op.out_channels for n in convs] == [32] * 4
    assert all(n.inputs[0].node == "input" for n in convs)
    assert isinstance(g.nodes[-1].op, Concat) and g.nodes[-1].outputs[0] == (128, 56, 56)
    assert len(build("g3_bench", fragments=1, arrangement="parallel", blocks=1)) == 1


def test_g4_bottleneck_unit():
    g = build("g4_bench", channels=64, blocks=1)
    assert [(n.name, n.outputs[0][0]) for n in g] == [
        ("blocks.0.conv1", 16), ("blocks.0.conv1_relu", 16), ("blocks.0.conv2", 16), ("blocks.0.conv2_relu", 16),
        ("blocks.0.conv3", 64), ("blocks.0.add", 64), ("blocks.0.relu", 64)]
    assert g.node("blocks.0.conv2").op.kernel == (3, 3)
    bare = build("g4_bench", channels=64, relu=False, shortcut=False, blocks=1)
    assert not any(isinstance(n.op, ReLU) for n in bare) and len(bare) == 3


def test_defaults_are_56x56_and_10_blocks():
    for name in ("g1_bench", "g2_bench", "g3_bench", "g4_bench"):
        g = build(name)
        assert g.input.shape[1:] == (56, 56)
        assert sorted({n.name.split(".")[1] for n in g}, key=int) == [str(i) for i in range(10)]


@pytest.mark.parametrize("name, params, words", [
    ("g3_bench", {"fragments": 3}, "fragments must be one of 1, 2, 4"),
    ("g3_bench", {"arrangement": "diagonal"}, "arrangement must be one of series, parallel"),
    ("g3_bench", {"fragments": 4, "arrangement": "parallel", "channels": 66}, "divisible by 4"),
    ("g2_bench", {"groups": 3, "channels": 128}, "3 does not divide 128"),
    ("g4_bench", {"channels": 30}, "multiple of 4"),
    ("g4_bench", {"relu": "maybe"}, "relu must be true or false, got 'maybe'"),
    ("g1_bench", {"c1": 0}, "c1 must be a whole number, at least 1, got 0"),
    ("g1_bench", {"c2": 90.5}, "c2 must be a whole number"),
    ("g1_bench", {"blocks": 0}, "blocks must be a whole number, at least 1, got 0"),
])
def test_bad_arguments(name, params, words):
    with pytest.raises(UsageError, match=words):
        build(name, **params)


def test_direct_calls_check_their_choices():
    with pytest.raises(UsageError, match="fragments must be one of 1, 2, 4, got 8"):
        G.g3_bench(fragments=8, arrangement="series", channels=128, resolution=56, blocks=10)
    with pytest.raises(UsageError, match="shortcut must be true or false"):
        G.g4_bench(relu=True, shortcut="no", channels=32, resolution=56, blocks=10)
