"""costmodel.plots and `costmodel plot`: the data drawn, read back from the figures' artists, equal the
analysis results; every format renders; bad names, targets and extensions fail with one clear line."""
from fractions import Fraction
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from costmodel import plots
from costmodel.cli import plot_command
from costmodel.analysis import analyze
from costmodel.derivations import mac_bound
from costmodel.errors import UsageError
from costmodel.report import op_class
from costmodel.zoo import ARCHITECTURES, build
from costmodel.zoo.guidelines import TABLE1, TABLE3, TABLE4


def line(fig, gid):
    found = [l for ax in fig.axes for l in ax.get_lines() if l.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0].get_xydata()


def heights(fig, gid):
    return [p.get_height() for ax in fig.axes for p in ax.patches if p.get_gid() == gid]


def widths(fig, gid):
    return [p.get_width() for ax in fig.axes for p in ax.patches if p.get_gid() == gid]


def offsets(fig, gid):
    found = [c for ax in fig.axes for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0].get_offsets()


@pytest.fixture(scope="module")
def g1():
    return plots.g1()


def test_g1_mac_curves_and_bound(g1):
    bound = mac_bound().step("bound 2*sqrt(h*w*B) + B/(h*w)")
    for size in plots.guidelines.G1_RESOLUTIONS:
        data = line(g1, f"mac {size}")
        for ratio, mac in data:
            c1 = round((plots.guidelines.G1_PRODUCT / ratio) ** 0.5)
            c2 = plots.guidelines.G1_PRODUCT // c1
            layer = analyze(build("g1_bench", c1=c1, c2=c2, resolution=size, blocks=1)).layer("blocks.0.conv1")
            assert (mac, ratio) == (layer.mac, c2 / c1)
        lowest = data[data[:, 0] == 1][0, 1]  # equal widths reach the bound exactly
        drawn = line(g1, f"bound {size}")[:, 1]
        expected = float(bound.subs({s: v for s in bound.free_symbols for n, v in
                                     (("h", size), ("w", size), ("c1", 120), ("c2", 120)) if str(s) == n}))
        assert list(drawn) == [expected, expected]
        assert lowest == pytest.approx(expected, rel=1e-12)
        assert (data[:, 1] >= expected * (1 - 1e-12)).all()


def test_g1_table_1_beside(g1):
    for platform, columns in (("GPU", TABLE1.gpu_columns), ("ARM", TABLE1.arm_columns)):
        for column in columns:
            cells = [c for c in TABLE1.cells() if c[1] == platform and c[2] == column]
            assert list(line(g1, f"speed {platform} {column}")[:, 1]) == [c[4] for c in cells]
            assert list(line(g1, f"mac {platform} {column}")[:, 1]) == [
                analyze(build("g1_bench", **c[3])).totals.mac for c in cells]


def test_g2_mac_against_groups():
    fig = plots.g2()
    for size in plots.guidelines.G2_RESOLUTIONS:
        data = line(fig, f"mac {size}")
        assert list(data[:, 0]) == list(plots.guidelines.G2_GROUPS)
        assert list(data[:, 1]) == sorted(data[:, 1])  # G2: mac grows with g at fixed flops
    # Table 2 prints c = 180 for g = 8 on ARM: not buildable, drawn as a gap
    arm = line(fig, "mac ARM 1")[:, 1]
    assert arm[-1] != arm[-1] and arm[0] == analyze(build("g2_bench", groups=1, channels=64)).totals.mac


def test_g3_bars_equal_analysis_and_table_3():
    fig = plots.g3()
    for key in ("flops", "mac"):
        expected = [getattr(analyze(build("g3_bench", fragments=n, arrangement=a, blocks=1)).totals, key)
                    for _, n, a in plots.guidelines.G3_VARIANTS]
        assert heights(fig, key) == expected
    assert heights(fig, "kernels") == [1, 2, 4, 2, 4]
    assert heights(fig, "speed GPU 128") == [row[2][0] for row in TABLE3.rows]
    assert heights(fig, "speed ARM 256") == [row[4][2] for row in TABLE3.rows]


def test_g4_shares_table_4_and_decomposition():
    fig = plots.g4()
    expected = []
    for row in TABLE4.rows:
        a = analyze(build("g4_bench", relu=row[1]["relu"], shortcut=row[1]["shortcut"]), "all")
        part = a.group_by("category").get("elementwise")
        expected.append(100 * (part.mac if part else 0) / a.totals.mac)
    assert heights(fig, "share mac") == pytest.approx(expected, rel=1e-12)
    assert heights(fig, "share mac")[-1] == 0  # neither ReLU nor shortcut: no element-wise node
    assert heights(fig, "speed GPU 32") == [row[2][0] for row in TABLE4.rows]
    layers = analyze(build("mobilenet_v2"), "all").layers
    total = sum(l.mac for l in layers)
    for kind in {op_class(l) for l in layers}:
        share = 100 * sum(l.mac for l in layers if op_class(l) == kind) / total
        assert widths(fig, f"mobilenet_v2 mac {kind}") == [pytest.approx(share, rel=1e-12)]


@pytest.mark.parametrize("by", ["layer", "stage"])
def test_breakdown(by):
    fig = plots.breakdown("shufflenet_v2", values={"width": Fraction(1, 2)}, by=by)
    a = analyze(build("shufflenet_v2", width=Fraction(1, 2)))
    for key in ("flops", "params", "mac"):
        if by == "layer":
            assert heights(fig, key) == [getattr(l, key) for l in a.layers]
        else:
            assert heights(fig, key) == [getattr(c, key) for c in a.group_by("stage").values()]


def test_roofline_points_at_layer_intensity():
    fig = plots.roofline("mobilenet_v1", device="gpu")
    device = plots.DEVICES["gpu"]
    a = analyze(build("mobilenet_v1"), "all")
    for kind in {op_class(l) for l in a.layers if l.flops and l.mac}:
        expected = [l.flops / l.cost.mac_bytes(4) for l in a.layers if op_class(l) == kind and l.flops and l.mac]
        points = offsets(fig, f"layers {kind}")
        assert list(points[:, 0]) == pytest.approx([float(x) for x in expected], rel=1e-12)
        assert list(points[:, 1]) == pytest.approx([min(device.peak_flops, device.bandwidth * float(x))
                                                    for x in expected], rel=1e-12)
    custom = plots.roofline("mobilenet_v1", peak_flops=1e12, bandwidth=1e11)
    assert line(custom, "roofline")[:, 1].max() == 1e12


@pytest.mark.parametrize("name", ["mobilenet_v1", "mobilenet_v2"])
def test_scaling_lines_and_published_points(name):
    fig = plots.scaling(name)
    data = line(fig, "flops width")
    for width, flops in data[::6]:
        assert flops == analyze(build(name, width=Fraction(width).limit_denominator(20))).totals.flops
    data = line(fig, "params resolution")
    assert list(data[:, 0]) == list(plots.network.RESOLUTIONS)
    _, points = plots.network.PUBLISHED[name]
    published = offsets(fig, "published flops width")
    assert list(published[:, 1]) == [p[2] * 1e6 for p in points if p[0] == "width"]
    for width, madds in published:  # the overlay agrees with the model (1 %, or 1 M under 100 M)
        model = analyze(build(name, width=Fraction(width).limit_denominator(20))).totals.flops
        assert abs(model - madds) <= max(1e6, madds / 100)


def test_pareto_is_the_zoo():
    fig = plots.pareto()
    names = [n for n in ARCHITECTURES if not n.endswith("_bench")]
    totals = [analyze(build(n)).totals for n in names]
    assert [tuple(p) for p in offsets(fig, "zoo")] == [(t.flops, t.mac) for t in totals]


def test_registry_matches_the_command():
    assert tuple(plots.PLOTS) == plot_command.NAMES
    assert plots.TARGETED == plot_command.TARGETED


@pytest.mark.parametrize("extension, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF"),
                                              ("PDF", b"%PDF")])
def test_save_formats(tmp_path, extension, magic):
    fig = plots.breakdown("squeezenet1_1", by="stage")
    path = plots.save(fig, tmp_path / f"f.{extension}")
    assert path.read_bytes().startswith(magic)


@pytest.mark.parametrize("path", ["f.gif", "f", "f.png.txt"])
def test_save_rejects_other_extensions(tmp_path, path):
    with pytest.raises(UsageError, match="png"):
        plots.save(plots.pareto(), tmp_path / path)


def cli(*args):
    group = click.Group("costmodel")
    group.add_command(plot_command.plot)
    return CliRunner().invoke(group, ["plot", *args])


@pytest.mark.parametrize("args", [["g3"], ["breakdown", "resnet18", "--by", "stage"], ["scaling", "mobilenet_v1"],
                                  ["roofline", "shufflenet_v2", "--device", "gpu"], ["pareto"]])
def test_cli_writes_every_format(tmp_path, args):
    for extension in ("png", "svg", "pdf"):
        out = tmp_path / f"figure.{extension}"
        result = cli(*args, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000


@pytest.mark.parametrize("args, message", [
    (["g5"], "unknown plot 'g5'"),
    (["breakdown"], "needs a TARGET"),
    (["g1", "resnet18"], "takes no TARGET"),
    (["breakdown", "resnet99"], "unknown architecture"),
    (["breakdown", "resnet18", "-s", "width=2"], "width"),
    (["pareto", "-s", "width=2"], "resolution or classes only"),
    (["roofline", "resnet18", "--peak-flops", "0"], "positive"),
    (["breakdown", "resnet18", "--peak-flops", "1e12"], "roofline only"),
    (["scaling", "resnet18", "-s", "resolution=224"], "neither width nor resolution"),
    (["breakdown", "mobilenet_v1", "-s", "width=alpha"], "cannot plot symbolic costs (alpha left without a value)"),
])
def test_cli_bad_input_is_one_usage_error(tmp_path, args, message):
    result = cli(*args, "-o", str(tmp_path / "x.png"))
    assert isinstance(result.exception, UsageError), result.output
    assert message in str(result.exception) and "\n" not in str(result.exception)


def test_spec_target(tmp_path):
    spec = str(Path(__file__).resolve().parent.parent / "costmodel" / "examples" / "g1_block_pair.yaml")
    result = cli("breakdown", spec, "-s", "c1=64", "-s", "c2=256", "-o", str(tmp_path / "spec.svg"))
    assert result.exit_code == 0, result.output
    fig = plots.breakdown(spec, values={"c1": 64, "c2": 256})
    assert heights(fig, "mac") == [56 * 56 * (64 + 256) + 64 * 256] * 2


def test_cli_bad_extension(tmp_path):
    result = cli("pareto", "-o", str(tmp_path / "x.jpg"))
    assert isinstance(result.exception, UsageError) and ".png, .svg or .pdf" in str(result.exception)


def test_breakdown_of_a_graph_and_of_a_python_factory():
    import costmodel as cm

    def factory(width=1.0, resolution=224):
        c = max(8, int(32 * width))
        g = cm.Graph("factory", (3, resolution, resolution))
        x = g.add("stem", cm.Conv2d(c, 3, stride=2, padding=1), g.input)
        x = g.add("pool", cm.GlobalAvgPool(), x)
        x = g.add("flatten", cm.Flatten(), x)
        g.add("fc", cm.Linear(10), x)
        return g

    graph = build("mobilenet_v2", width=Fraction(1, 2))
    fig = plots.breakdown(graph)
    assert heights(fig, "flops") == [l.flops for l in analyze(graph).layers]
    fig = plots.breakdown(factory, values={"width": Fraction(1, 2), "resolution": 64}, by="stage")
    # stem: 27 multiply-adds per output, 16 x 32 x 32 outputs; fc: 16 x 10
    assert heights(fig, "flops") == [27 * 16 * 32 * 32, 0, 0, 160]
    fig = plots.scaling(factory)
    assert [flops for _, flops in line(fig, "flops resolution")] == [
        analyze(factory(resolution=r)).totals.flops for r in plots.network.RESOLUTIONS]


BACKEND_PROBE = """
import matplotlib, sys
chosen = sys.argv[1]
if chosen != "unset":
    matplotlib.use(chosen)
before = dict.__getitem__(matplotlib.rcParams, "backend")  # the raw value: reading it through [] resolves it
import costmodel.plots
costmodel.plots.save(costmodel.plots.breakdown("squeezenet1_1", by="stage"), sys.argv[2])
after = dict.__getitem__(matplotlib.rcParams, "backend")
print(before == after, after)  # unset: matplotlib's "auto" sentinel, still unresolved
"""


@pytest.mark.parametrize("backend", ["svg", "pdf", "unset"])
def test_importing_and_drawing_leave_the_backend_alone(tmp_path, backend):
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "MPLBACKEND"}
    done = subprocess.run([sys.executable, "-c", BACKEND_PROBE, backend, str(tmp_path / "f.png")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    same, after = done.stdout.split(maxsplit=1)
    assert same == "True", done.stdout
    if backend != "unset":
        assert after.strip() == backend
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")


def stage_runs(analysis):
    """(stage, first, last) of each run of layers sharing a stage, written apart from the plot's helper."""
    runs = []
    for i, layer in enumerate(analysis.layers):
        if runs and runs[-1][0] == layer.stage:
            runs[-1][2] = i
        else:
            runs.append([layer.stage, i, i])
    return runs


@pytest.mark.parametrize("name", ["resnet50", "squeezenet1_0", "mobilenet_v2"])
def test_breakdown_labels_every_stage_and_no_two_labels_overlap(name):
    fig = plots.breakdown(name)
    bottom = fig.axes[2]
    runs = stage_runs(analyze(build(name)))
    assert [t.get_text() for t in bottom.get_xticklabels()] == [stage for stage, *_ in runs]
    assert list(bottom.get_xticks()) == [(first + last) / 2 for _, first, last in runs]
    if name == "resnet50":
        assert "conv2_x" in [t.get_text() for t in bottom.get_xticklabels()]  # the one the old figure dropped
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in bottom.get_xticklabels()]
    assert all(box.width > 0 for box in boxes)
    assert not [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]
    inside = fig.bbox
    assert all(inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 for box in boxes)


def zoo_totals():
    names = [n for n in ARCHITECTURES if not n.endswith("_bench")]
    return names, [analyze(build(n)).totals for n in names]


def test_pareto_front_is_the_brute_force_pareto_set():
    fig = plots.pareto()
    names, totals = zoo_totals()
    points = [(t.flops, t.mac) for t in totals]

    def dominated(p):  # another network with at least p's flops and at most its mac, and not p itself
        return any(q != p and q[0] >= p[0] and q[1] <= p[1] for q in points)

    expected = sorted(p for p in points if not dominated(p))
    drawn = [tuple(p) for p in line(fig, "front")]
    assert drawn == expected
    assert len(expected) >= 3 and (min(points)) in expected  # the cheapest network is always on it
    import random

    chance = random.Random(14)
    for _ in range(200):  # ties included: small integer coordinates
        cloud = [(chance.randint(0, 6), chance.randint(0, 6)) for _ in range(chance.randint(1, 12))]
        front = plots.pareto_front(cloud)
        assert sorted({cloud[i] for i in front}) == sorted({p for p in cloud if not any(
            q != p and q[0] >= p[0] and q[1] <= p[1] for q in cloud)})
        assert [cloud[i][0] for i in front] == sorted(cloud[i][0] for i in front)


def test_pareto_marker_area_is_proportional_to_params():
    fig = plots.pareto()
    _, totals = zoo_totals()
    zoo = [c for ax in fig.axes for c in ax.collections if c.get_gid() == "zoo"][0]
    ratios = [area / t.params for area, t in zip(zoo.get_sizes(), totals)]
    assert max(ratios) == pytest.approx(min(ratios), rel=1e-9)
    key = fig.axes[0].get_legend()  # the size key: 1 M, 10 M, 100 M params at the same area per param
    areas = [handle.get_sizes()[0] for handle in key.legend_handles]
    labels = [text.get_text() for text in key.get_texts()]
    assert labels == ["1M", "10M", "100M"]  # the tables' SI prefixes
    assert [area / params for area, params in zip(areas, (1e6, 1e7, 1e8))] == pytest.approx([ratios[0]] * 3, rel=1e-9)


def test_scaling_of_shufflenet_v1_draws_the_buildable_widths_and_notes_the_others_once(tmp_path):
    from costmodel.errors import CostModelError

    buildable = []
    for width in plots.network.WIDTHS:
        try:
            buildable.append((width, analyze(build("shufflenet_v1", width=width)).totals.flops))
        except CostModelError:
            pass
    fig = plots.scaling("shufflenet_v1")
    assert [tuple(p) for p in line(fig, "flops width")] == [(float(w), f) for w, f in buildable]
    assert [float(w) for w, _ in buildable] == [0.25, 0.5, 1.0, 1.5, 2.0]  # the widths of the paper's Table 2
    assert len(fig.notes) == 1 and "refused 32 of 37 width values" in fig.notes[0]
    assert all(ax.get_legend() is None or ax.get_legend().get_title().get_text() == "" for ax in fig.axes)
    result = cli("scaling", "shufflenet_v1", "-o", str(tmp_path / "s.png"))
    assert result.exit_code == 0, result.output
    assert result.output.count("costmodel: note: scaling: shufflenet_v1 refused 32 of 37") == 1


def png_pixels(path):
    import struct

    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("args, pixels", [([], (1440, 880)), (["--dpi", "50"], (360, 220)),
                                          (["--size", "3.3x2.5"], (660, 500)),
                                          (["--size", "3.3x2.5", "--dpi", "300"], (990, 750))])
def test_dpi_and_size_set_the_saved_pixels(tmp_path, args, pixels):
    out = tmp_path / "pareto.png"
    result = cli("pareto", "-o", str(out), *args)
    assert result.exit_code == 0, result.output
    assert png_pixels(out) == pixels  # inches x dpi; pareto's own size is 7.2 x 4.4 in at 200 dpi


def test_a_size_too_small_for_the_panels_is_one_line(tmp_path):
    result = cli("g3", "--size", "1.5x1.5", "-o", str(tmp_path / "g3.png"))
    assert str(result.exception) == "the figure does not fit in 1.5 x 1.5 in: its panels would collapse; give it " \
                                    "a larger size"
    assert not (tmp_path / "g3.png").exists()


def test_a_figure_function_takes_its_size_and_keeps_its_text_in_points():
    small = plots.pareto(size=(plots.COLUMN, 3))
    assert tuple(small.get_size_inches()) == (plots.COLUMN, 3)
    sizes = {t.get_fontsize() for ax in small.axes for t in ax.get_xticklabels() + ax.texts}
    assert sizes == {plots.common.TEXT_POINTS}
    with pytest.raises(UsageError, match="figure width must be 1 to 40 inches, got 0"):
        plots.pareto(size=(0, 3))


@pytest.mark.parametrize("args, message", [
    (["--dpi", "0"], "dpi must be 10 to 1200, got 0"),
    (["--dpi", "-72"], "dpi must be 10 to 1200, got -72"),
    (["--dpi", "1e9"], "dpi must be 10 to 1200, got 1e+09"),
    (["--dpi", "nan"], "dpi must be 10 to 1200, got nan"),
    (["--dpi", "inf"], "dpi must be 10 to 1200, got inf"),
    (["--size", "0x2"], "figure width must be 1 to 40 inches, got 0"),
    (["--size", "3x-2"], "figure height must be 1 to 40 inches, got -2"),
    (["--size", "1e9x1e9"], "figure width must be 1 to 40 inches, got 1e+09"),
    (["--size", "nanx2"], "figure width must be 1 to 40 inches, got nan"),
    (["--size", "1e999x2"], "figure width must be 1 to 40 inches, got inf"),
    (["--size", "wide"], "--size must be WIDTHxHEIGHT in inches, such as 3.3x2.5, got 'wide'"),
    (["--size", "3.3"], "--size must be WIDTHxHEIGHT in inches, such as 3.3x2.5, got '3.3'"),
    (["--size", "2x2x2"], "--size must be WIDTHxHEIGHT in inches, such as 3.3x2.5, got '2x2x2'"),
    (["--size", "40x40", "--dpi", "1200"], "a 40 x 40 in figure at 1200 dpi has 2,304,000,000 pixels, more than "
                                           "64,000,000; lower dpi or size"),
])
def test_bad_dpi_and_size_are_one_line_before_drawing(tmp_path, args, message):
    out = tmp_path / "x.png"
    result = cli("pareto", "-o", str(out), *args)
    assert isinstance(result.exception, UsageError), result.output
    assert str(result.exception) == message
    assert not out.exists()


def test_save_bounds_the_pixels_of_a_figure_sized_in_python(tmp_path):
    fig = plots.g3(size=(40, 40))
    with pytest.raises(UsageError, match="more than 64,000,000"):
        plots.save(fig, tmp_path / "big.png", dpi=300)
    assert not (tmp_path / "big.png").exists()


def test_the_gallery_shows_each_command_output_made_at_the_current_size():
    """docs/gallery.md: every `costmodel plot ... -o docs/gallery/X.png` command has its image shown and the
    image exists, as wide as the figure's own size at the default 200 dpi (7.2 in, a text width: 1440 px;
    roofline 3.3 in, a column: 660 px): an image left from before a size change fails. The images are made
    by running the commands (see the page)."""
    import re

    root = Path(__file__).resolve().parent.parent
    page = (root / "docs" / "gallery.md").read_text()
    made = re.findall(r"^costmodel plot .* -o docs/(gallery/[\w.-]+\.png)$", page, re.M)
    shown = re.findall(r"!\[[^\]]*\]\((gallery/[\w.-]+\.png)\)", page)
    assert made and sorted(made) == sorted(shown)
    assert sorted(made) == sorted(f"gallery/{p.name}" for p in (root / "docs" / "gallery").glob("*.png"))
    for image in made:
        inches = plots.COLUMN if "roofline" in image else 7.2
        assert png_pixels(root / "docs" / image)[0] == round(inches * plots.DPI), image


def test_every_text_of_every_figure_is_at_least_8_points():
    """Readable when printed at the figure's own size (8-9 pt, a paper's norm): no text of any figure, tick
    labels, legends, notes and titles included, is smaller; the roofline is one column wide."""
    from matplotlib.text import Text

    def factory(resolution=224):
        import costmodel as cm

        g = cm.Graph("factory", (3, resolution, resolution))
        g.add("fc", cm.Linear(10), g.add("flatten", cm.Flatten(), g.add("pool", cm.GlobalAvgPool(), g.input)))
        return g

    figures = [plots.g1(), plots.g2(), plots.g3(), plots.g4(), plots.breakdown("squeezenet1_1"),
               plots.breakdown("squeezenet1_1", by="stage"), plots.roofline("squeezenet1_1"), plots.pareto(),
               plots.scaling(factory)]
    for fig in figures:
        fig.canvas.draw()
        sizes = {t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()}
        assert min(sizes) >= 8, (fig.get_suptitle(), sorted(sizes))
    assert tuple(figures[6].get_size_inches())[0] == plots.COLUMN
    assert tuple(figures[-1].get_size_inches())[0] == plots.COLUMN  # scaling of one parameter: one column


@pytest.mark.parametrize("values", [{"width": Fraction(1, 2)}, {"classes": 10}])
def test_published_points_only_where_the_paper_measured(values):
    """Howard et al.'s Table 7 (resolution) is at width 1 and 1000 classes: at width 0.5, or for 10 classes,
    the overlay would compare another network."""
    fig = plots.scaling("mobilenet_v1", values=values)
    assert not [c for ax in fig.axes for c in ax.collections if str(c.get_gid()).startswith("published")]
