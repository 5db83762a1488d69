"""Where the batch sits in an imported activation's ONNX shape (costmodel.onnx.batch): the placements a Reshape
and a Transpose give, checked against the element order worked out here by hand; the candidates a batch of 1
leaves; refusals."""
import pytest
import sympy

from costmodel.onnx.batch import FREE, STANDARD, Layout, LayoutError, Placement

N = sympy.Symbol("batch", positive=True, integer=True)


def flat_order_of_sample(onnx_shape, placement, batch, sample):
    """The flat ONNX indices of one sample's elements, in order, by brute force over the ONNX index space."""
    import itertools

    j = placement.axis
    inner = placement.inner if placement.merged else 1
    found = []
    for flat, index in enumerate(itertools.product(*(range(d) for d in onnx_shape))):
        n = index[j] // inner % batch if placement.merged else index[j]
        if n == sample:
            found.append(flat)
    return found


def test_reshape_of_multihead_attention_with_batch_two_finds_the_one_placement():
    # [L, N, E] (N own at 1) -> [L, N*h, d]: N is the outer factor of axis 1, h elements below it
    layout = Layout((Placement(1),)).reshaped((5, 6), (5, 2 * 3, 2), 2)
    assert layout.placements == (Placement(1, 3, True),)
    assert layout.sample_shape((5, 6, 2), 2) == (5, 3, 2)
    assert layout.onnx_shape((5, 3, 2), 2) == (5, 6, 2)
    # the per-sample elements are where the brute force puts sample 1 in both shapes
    assert flat_order_of_sample((5, 2, 6), Placement(1), 2, 1) == flat_order_of_sample((5, 6, 2), layout.placements[0], 2, 1)


def test_reshape_back_after_the_heads_merge_n_inside_l():
    # [L, N, h, d] -> [L*N, E]: N is the inner factor of axis 0 (inner = 1)
    layout = Layout((Placement(1),)).reshaped((5, 3, 2), (5 * 2, 6), 2)
    assert layout.placements == (Placement(0, 1, True),)
    assert flat_order_of_sample((5, 2, 3, 2), Placement(1), 2, 1) == flat_order_of_sample((10, 6), layout.placements[0], 2, 1)


def test_window_partition_merges_n_outside_the_windows():
    # [N, nH, nW, w, w, C] -> [N*nH*nW, w*w, C]: N outer, nH*nW per-sample windows below it
    layout = STANDARD.reshaped((2, 2, 4, 4, 6), (3 * 4, 16, 6), 3)
    assert layout.placements == (Placement(0, 4, True),)
    assert flat_order_of_sample((3, 2, 2, 4, 4, 6), Placement(0), 3, 2) == \
        flat_order_of_sample((12, 16, 6), layout.placements[0], 3, 2)
    back = layout.reshaped((4, 16, 6), (3, 2, 2, 4, 4, 6), 3)   # window reverse: N its own axis 0 again
    assert back.standard


def test_a_batch_of_one_keeps_every_placement_that_fits_and_prefers_an_own_axis():
    merged = Layout((Placement(1),)).reshaped((197, 768), (197, 12, 64), 1)
    assert merged.placements == (Placement(0, 1, True), Placement(1, 12, True))   # L's inside, or the heads' outside
    assert merged.avoiding({0}, "Gemm").placements == (Placement(1, 12, True),)
    own = Layout((Placement(1),)).reshaped((197, 2304), (197, 1, 3, 768), 1)
    assert own.placements == (Placement(1),)                  # also fits merged into 0 or 2; its own axis first


def test_a_symbolic_batch_is_placed_where_the_target_holds_it():
    layout = Layout((Placement(1),)).reshaped((197, 768), (197, 12 * N, 64), N)
    assert layout.placements == (Placement(1, 12, True),)
    assert sympy.expand(layout.onnx_shape((197, 12, 64), N)[1] - 12 * N) == 0
    with pytest.raises(LayoutError, match=r"splits or reorders the batch \(the batch at axis 1 of \[197, batch, 768\]\)"):
        Layout((Placement(1),)).reshaped((197, 768), (197, 12, 64), N)


def test_transpose_moves_the_placement_and_drops_an_own_axis_from_the_perm():
    perm, layout = STANDARD.transposed((1, 0, 2))
    assert perm == (0, 1) and layout.placements == (Placement(1),)
    perm, layout = Layout((Placement(2),)).transposed((3, 1, 2, 0, 4))
    assert perm == (2, 1, 0, 3) and layout.placements == (Placement(2),)
    perm, layout = Layout((Placement(0, 4, True),)).transposed((2, 0, 1))
    assert perm == (2, 0, 1) and layout.placements == (Placement(1, 4, True),)


def test_unsqueeze_and_squeeze_shift_the_placement():
    assert Layout((Placement(1),)).unsqueezed([0], 4).placements == (Placement(2),)
    assert Layout((Placement(2),)).squeezed({0}).placements == (Placement(1),)
    assert Layout((Placement(1, 3, True),)).unsqueezed([2], 4).placements == (Placement(1, 3, True),)


def test_element_wise_operands_must_agree_and_a_batch_free_one_takes_the_other():
    left = Layout((Placement(0, 1, True), Placement(1, 12, True)))
    assert left.meet(Layout((Placement(1, 12, True),)), "Add").placements == (Placement(1, 12, True),)
    assert FREE.meet(STANDARD, "Add").standard and left.meet(FREE, "Add") is left
    with pytest.raises(LayoutError, match=r"Add: the operands hold the batch differently \(the batch at axis 0 "
                                          r"and the batch at axis 1\)"):
        STANDARD.meet(Layout((Placement(1),)), "Add")


def test_ops_along_the_batch_are_refused_and_a_batch_free_tensor_has_none():
    with pytest.raises(LayoutError, match=r"ReduceL2 runs along axis 1, which holds the batch at axis 1 \(merged, 3 "
                                          r"per-sample elements below it\): that would mix the samples"):
        Layout((Placement(1, 3, True),)).avoiding({1}, "ReduceL2")
    assert FREE.avoiding({0}, "Softmax") is FREE
    assert FREE.onnx_shape((1, 3, 4), N) == (1, 3, 4) and FREE.rank((1, 3, 4)) == 3
    with pytest.raises(LayoutError, match="axis 1 is the batch axis"):
        Layout((Placement(1),)).sample_axis(1)
