"""The hardening corpus of command lines and Python calls (spec files have theirs in test_hardening_spec.py):
bad inputs of every class (1 user text that would become markup or a formula, 2 hangs and memory blow-ups,
3 silent wrong numbers, 4 internal and foreign errors, 5 exit codes and streams, 6 unclear messages), each
with its exact one-line message (and, for a command line, its exit status); every limit of
:mod:`costmodel.limits` that these front doors check, at its value (accepted) and just past it (refused).

The corpus runs in one child process whose address space is capped (``resource.setrlimit(RLIMIT_AS)``) and
where each case has a generous alarm: a case fails if it hangs or exhausts memory, never on how long it took.
Command lines run in that child through click's CliRunner; a few run as real processes below (pipes, signals,
a full disk)."""
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sympy

import costmodel as cm
from costmodel import limits
from costmodel.errors import UsageError
from costmodel.values import check_symbol_name, misreading

ROOT = Path(__file__).resolve().parent.parent
M = limits.MAX_DIMENSION
BIG = "a number of about 61 digits"  # how 2**200 is shown

# ----- Python calls: (class, call as text, error type, exact message) ----------------------------------------------
PYTHON = {
 # 2: hangs and memory blow-ups, bounded before anything is built
 "zoo_blocks_million": (2, "build('g1_bench', blocks=1000000)", "UsageError",
                        "g1_bench blocks must be at most 1000, got 1000000"),
 "zoo_blocks_past_limit": (2, "build('g2_bench', blocks=1001)", "UsageError",
                           "g2_bench blocks must be at most 1000, got 1001"),
 "zoo_resolution_1e300": (2, "build('mobilenet_v2', resolution=1e300)", "UsageError",
                          f"mobilenet_v2 resolution must be at most {M}, got 1e+300"),
 "zoo_resolution_10_300": (2, "build('resnet50', resolution=10**300)", "UsageError",
                           "resnet50 resolution must be at most 2147483648, got " + "1" + "0" * 56 + "..."),
 "zoo_resolution_2_5000": (2, "build('vgg16', resolution=2**5000)", "UsageError",
                           "vgg16 resolution must be at most 2147483648, got a number of about 1506 digits"),
 "zoo_width_1e100": (2, "build('mobilenet_v2', width=1e100)", "UsageError",
                     f"mobilenet_v2 width must be at most {M}, got 1e+100"),
 "zoo_width_tiny_fraction": (2, "build('mobilenet_v1', width=Fraction(1, 3**5000))", "UsageError",
                             "mobilenet_v1 width must be a number whose numerator and denominator are at most "
                             "2147483648, got a fraction of about 1/2386 digits"),
 "zoo_width_huge_denominator": (2, "build('ghostnet', width=Fraction(1, 2**31 + 1))", "UsageError",
                                "ghostnet width must be a number whose numerator and denominator are at most "
                                "2147483648, got 1/2147483649"),
 "zoo_classes_1e30": (2, "build('mobilenet_v2', classes=1e30)", "UsageError",
                      f"mobilenet_v2 classes must be at most {M}, got 1e+30"),
 "zoo_channels_past_limit": (2, "build('g4_bench', channels=2**31 + 1)", "UsageError",
                             "g4_bench channels must be at most 2147483648, got 2147483649"),
 "conv_out_channels_2_200": (2, "cm.Conv2d(out_channels=2**200)", "OpError",
                             f"Conv2d out_channels must be at most {M} (2**31), got 1606938044258990275541962092341162602..."),
 "conv_kernel_2_200": (2, "cm.Conv2d(3, kernel=2**200)", "OpError",
                       f"Conv2d kernel must be at most {M} (2**31), got 1606938044258990275541962092341162602..."),
 "linear_features_huge": (2, "cm.Linear(10**4000)", "OpError",
                          "Linear out_features must be at most 2147483648 (2**31), got a number of about 4001 digits"),
 "split_2_30_parts": (2, "cm.Split(2**30)", "OpError",
                      "Split sections must be at most 1024 (the limit MAX_OUTPUTS), got 1073741824"),
 "split_sizes_too_many": (2, "cm.Split(sizes=[1] * 1025)", "OpError",
                          "Split sizes must list at most 1024 parts (the limit MAX_OUTPUTS), got 1025"),
 "graph_input_2_40": (2, "cm.Graph('g', (3, 2**40, 4))", "GraphError",
                      "graph 'g': input shape must be at most 2147483648 (2**31), got 1099511627776"),
 "graph_batch_huge": (2, "cm.Graph('g', (3, 4, 4), batch=2**64)", "GraphError",
                      "graph 'g': batch must be at most 2147483648 (2**31), got 18446744073709551616"),
 "graph_output_past_limit": (2, "concat_twice(2**31)", "NodeError",
                             "node 'cat' (Concat): output [4294967296, 1, 1] is above the limit of 2**31 on sizes"),
 "symbols_name_too_long": (2, "cm.symbols('a' * 101)", "UsageError",
                           "symbols name must be at most 100 characters, got 101"),
 # 3: silent wrong numbers: names sympy reads as something else
 "symbols_I": (3, "cm.symbols('I')", "UsageError",
               "symbols name 'I' would not mean itself when results are read back: sympy reads it as ImaginaryUnit; "
               "pick another name"),
 "symbols_E": (3, "cm.symbols('h E')", "UsageError",
               "symbols name 'E' would not mean itself when results are read back: sympy reads it as Exp1; "
               "pick another name"),
 "symbols_N": (3, "cm.symbols('N')", "UsageError",
               "symbols name 'N' would not mean itself when results are read back: sympy reads it as the function N; "
               "pick another name"),
 "symbols_S": (3, "cm.symbols('S')", "UsageError",
               "symbols name 'S' would not mean itself when results are read back: sympy reads it as the function S; "
               "pick another name"),
 "symbols_Q": (3, "cm.symbols('Q')", "UsageError",
               "symbols name 'Q' would not mean itself when results are read back: sympy reads it as the object Q "
               "(AssumptionKeys); pick another name"),
 "symbols_O": (3, "cm.symbols('O')", "UsageError",
               "symbols name 'O' would not mean itself when results are read back: sympy reads it as the function O; "
               "pick another name"),
 "symbols_pi": (3, "cm.symbols('pi')", "UsageError",
                "symbols name 'pi' would not mean itself when results are read back: sympy reads it as Pi; "
                "pick another name"),
 "symbols_oo": (3, "cm.symbols('oo')", "UsageError",
                "symbols name 'oo' would not mean itself when results are read back: sympy reads it as Infinity; "
                "pick another name"),
 "symbols_zoo": (3, "cm.symbols('zoo')", "UsageError",
                 "symbols name 'zoo' would not mean itself when results are read back: sympy reads it as "
                 "ComplexInfinity; pick another name"),
 "symbols_nan": (3, "cm.symbols('nan')", "UsageError",
                 "symbols name 'nan' would not mean itself when results are read back: sympy reads it as NaN; "
                 "pick another name"),
 "symbols_true": (3, "cm.symbols('true')", "UsageError",
                  "symbols name 'true' would not mean itself when results are read back: sympy reads it as "
                  "BooleanTrue True; pick another name"),
 "symbols_false": (3, "cm.symbols('false')", "UsageError",
                   "symbols name 'false' would not mean itself when results are read back: sympy reads it as "
                   "BooleanFalse False; pick another name"),
 "zoo_symbol_I": (3, "build('mobilenet_v2', resolution=sympy.Symbol('I', positive=True))", "UsageError",
                  "mobilenet_v2 resolution: symbol 'I' would not mean itself when results are read back: sympy "
                  "reads it as ImaginaryUnit; pick another name"),
 "zoo_symbol_beta_in_expression": (3, "build('mobilenet_v2', width=2 * sympy.Symbol('beta', positive=True))",
                                   "UsageError",
                                   "mobilenet_v2 width: symbol 'beta' would not mean itself when results are read "
                                   "back: sympy reads it as the function beta; pick another name (or β)"),
 "zoo_classes_float_fraction": (3, "build('resnet18', classes=2.5)", "UsageError",
                                "resnet18 classes must be a whole number, at least 1, got 2.5"),
 # 4: our own error types naming the argument, never a foreign exception from deep inside
 "analyze_none": (4, "cm.analyze(None)", "UsageError",
                  "analyze graph must be a Graph (costmodel.Graph, a zoo build or a loaded spec), got null"),
 "analyze_text": (4, "cm.analyze('resnet50')", "UsageError",
                  "analyze graph must be a Graph (costmodel.Graph, a zoo build or a loaded spec), got 'resnet50'"),
 "analyze_fuse_number": (4, "cm.analyze(small(), fuse=3)", "UsageError",
                         "fuse must be a list of fusions among bn, activation, shuffle, got 3"),
 "analyze_fuse_word": (4, "cm.analyze(small(), fuse='bn')", "UsageError",
                       "fuse must be a list of fusions among bn, activation, shuffle, got 'bn'"),
 "analyze_convention_list": (4, "cm.analyze(small(), convention=['paper'])", "UsageError",
                             "convention must be one of paper, all, ptflops, ptflops-aten, fvcore, thop, torchinfo, torch, "
                             "got ['paper']"),
 "depthwise_kernel_text": (4, "cm.depthwise(8, kernel='3')", "OpError",
                           "Conv2d kernel must be an integer or a symbol or a pair, got '3'"),
 "depthwise_channels_none": (4, "cm.depthwise(None)", "OpError",
                             "depthwise channels must be an integer or a symbol, got null"),
 "depthwise_multiplier_text": (4, "cm.depthwise(8, multiplier='2')", "OpError",
                               "depthwise multiplier must be an integer or a symbol, got '2'"),
 "symbols_empty": (4, "cm.symbols('')", "UsageError", "symbols names must name at least one symbol, got ''"),
 "symbols_number": (4, "cm.symbols(3)", "UsageError", "symbols names must be text such as 'h w c', got 3"),
 "symbols_integer_word": (4, "cm.symbols('h', integer='yes')", "UsageError",
                          "symbols integer must be true or false, got 'yes'"),
 "symbols_digit_first": (4, "cm.symbols('2h')", "UsageError",
                         "symbols name must be letters, digits and _, not starting with a digit, got '2h'"),
 "symbols_code": (4, "cm.symbols('__import__(\"os\")')", "UsageError",
                  "symbols name must be letters, digits and _, not starting with a digit, got '__import__(\"os\")'"),
 "zoo_width_nan": (4, "build('mobilenet_v2', width=float('nan'))", "UsageError",
                   "mobilenet_v2 width must be a positive number, got nan"),
 "zoo_width_inf": (4, "build('mobilenet_v2', width=float('inf'))", "UsageError",
                   "mobilenet_v2 width must be a positive number, got inf"),
 "zoo_resolution_text": (4, "build('resnet18', resolution='224')", "UsageError",
                         "resnet18 resolution must be a whole number, at least 1, got '224'"),
 "zoo_unknown_name_number": (4, "build(3)", "UsageError", "unknown architecture 3; 'costmodel list' shows them all"),
 "zoo_extra_positional": (4, "ARCHITECTURES['resnet18'].builder(224, 1000, 5)", "UsageError",
                          "resnet18: too many positional arguments"),
 "graph_name_number": (4, "cm.Graph(3, (3, 4, 4))", "GraphError", "Graph name must be text, got 3"),
 "graph_shape_none": (4, "cm.Graph('g', None)", "GraphError",
                      "graph 'g': a shape must be a tuple of sizes such as (3, 224, 224), got null"),
 "graph_shape_text": (4, "cm.Graph('g', '3x4')", "GraphError",
                      "graph 'g': a shape must be a tuple of sizes such as (3, 224, 224), got '3x4'"),
 "graph_shape_float": (4, "cm.Graph('g', (3, 4.5, 4))", "GraphError",
                       "graph 'g': input shape must be an integer or a symbol, got 4.5"),
 "graph_add_input_number_shape": (4, "cm.Graph('g', (3, 4, 4)).add_input('y', 5)", "GraphError",
                                  "graph 'g': input 'y': a shape must be a tuple of sizes such as (3, 224, 224), got 5"),
 "graph_add_input_negative": (4, "cm.Graph('g', (3, 4, 4)).add_input('y', (3, -1))", "GraphError",
                              "graph 'g': input 'y': sizes must be positive, got [3, -1]"),
 "graph_add_not_op": (4, "cm.Graph('g', (3, 4, 4)).add('x', 'relu')", "GraphError",
                      "graph 'g': add() takes an op such as Conv2d(...), got 'relu'"),
 "graph_node_name_markup": (4, "cm.Graph('g', (3, 4, 4)).add('<b>', cm.ReLU())", "GraphError",
                            "graph 'g': names are letters, digits, '_' and '-', got '<b>'"),
 "graph_node_name_number": (4, "cm.Graph('g', (3, 4, 4)).add(5, cm.ReLU())", "GraphError",
                            "graph 'g': names are letters, digits, '_' and '-', got 5"),
 "linear_features_text": (4, "cm.Linear('a')", "OpError", "Linear out_features must be an integer or a symbol, got 'a'"),
 "conv_out_channels_none": (4, "cm.Conv2d(None)", "OpError",
                            "Conv2d out_channels must be an integer or a symbol, got None"),
 "load_none": (4, "cm.load(None)", "UsageError", "cannot build NoneType None: give a zoo name, a spec or ONNX "
                                                 "path, a function returning a Graph, or a Graph"),
 "load_text_value": (4, "cm.load('resnet18', resolution='x')", "UsageError",
                     "resnet18 resolution must be a number or a sympy expression, got 'x'"),
 "load_directory": (4, "cm.load('/tmp/')", "UsageError", "no spec file '/tmp/'"),
 "load_nul_byte": (4, "cm.load('x\\x00.yaml')", "UsageError", "no spec file 'x\\x00.yaml'"),
 "load_name_5000": (4, "cm.load('x' * 5000)", "UsageError",
                    "unknown architecture '" + "x" * 116 + "... and no spec file of that name; 'costmodel list' "
                    "shows the architectures"),
 "load_factory_symbol_I": (3, "cm.load(lambda w: small(), w=sympy.Symbol('I'))", "UsageError",
                           "<lambda> w: symbol 'I' would not mean itself when results are read back: sympy reads "
                           "it as ImaginaryUnit; pick another name"),
 "analysis_layer_number": (4, "cm.analyze(small_with_conv()).layer(3)", "LayerNotFound",
                           "analysis of 'g' has no layer 3"),
 "analysis_layer_misspelt": (6, "cm.analyze(small_with_conv()).layer('conv')", "LayerNotFound",
                             "analysis of 'g' has no layer 'conv' (did you mean conv1?)"),
 "maxpool_kernel_2_40": (2, "cm.MaxPool2d(2**40)", "OpError",
                         "MaxPool2d kernel must be at most 2147483648 (2**31), got 1099511627776"),
 # 6: unclear messages: a value is shown as a user writes it
 "split_sizes_none_shown_as_null": (6, "cm.Split(sizes='ab')", "OpError",
                                    "Split sizes must be a list of two or more channel counts, got 'ab'"),
}

CHILD = textwrap.dedent("""
    import json, resource, signal, sys
    from fractions import Fraction

    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
    import sympy
    import costmodel as cm
    from costmodel.errors import CostModelError
    from costmodel.zoo.registry import ARCHITECTURES, build

    def small():
        return cm.Graph("g", (3, 4, 4))

    def small_with_conv():
        graph = small()
        graph.add("conv1", cm.Conv2d(4, kernel=1), graph.input)
        return graph

    def concat_twice(channels):
        graph = cm.Graph("g", (channels, 1, 1))
        graph.add("cat", cm.Concat(), graph.input, graph.input)

    def hang(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, hang)
    results = {}
    for name, call in json.loads(sys.stdin.read()).items():
        signal.alarm(60)  # a hang guard only: each case is well under a second of work
        try:
            eval(call)
            results[name] = ["ACCEPTED", ""]
        except CostModelError as error:
            results[name] = [type(error).__name__, str(error)]
        except TimeoutError:
            results[name] = ["HANG", ""]
        except MemoryError:
            results[name] = ["OUT OF MEMORY", ""]
        except Exception as error:
            results[name] = ["FOREIGN " + type(error).__name__, str(error)]
        finally:
            signal.alarm(0)
    print(json.dumps(results))
""")


def run_child(child: str, cases: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", child], input=json.dumps(cases), capture_output=True, text=True,
                          check=False, timeout=1800, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def python_outcomes():
    return run_child(CHILD, {name: call for name, (_, call, _, _) in PYTHON.items()})


@pytest.mark.parametrize("name", sorted(PYTHON))
def test_bad_python_call_raises_our_error_with_its_exact_message(name, python_outcomes):
    _, _, kind, message = PYTHON[name]
    assert python_outcomes[name] == [kind, message]


# ----- symbol names: accepted only when sympify reads them back as themselves -----------------------------------
def candidate_names() -> list[str]:
    """Names sympy itself gives meaning to (its namespace, sympy.abc's clashing names) and every one- and
    two-letter name: the refused list comes from sympy, not from a hand-written list."""
    from sympy.abc import _clash

    import string
    letters = string.ascii_letters
    names = {n for n in dir(sympy) if n.isidentifier() and not n.startswith("__")} | set(_clash)
    names |= set(letters) | {a + b for a in letters for b in letters + string.digits + "_"}
    return sorted(n for n in names if len(n) <= limits.MAX_NAME_CHARS)


# Greek letters' names that sympy reads otherwise, spelled as the letter (written here, not imported)
GREEK_SPELLINGS = {("beta", "β"), ("gamma", "γ"), ("zeta", "ζ"), ("lambda", "λ")}


def test_greek_letter_names_become_their_letters_and_read_back():
    for name, letter in GREEK_SPELLINGS:
        symbol = cm.symbols(name)
        assert symbol.name == letter and symbol.is_positive and symbol.is_integer
        assert sympy.sympify(str(3 * symbol ** 2)) == 3 * sympy.Symbol(letter) ** 2
    with pytest.raises(UsageError, match=r"pick another name \(or β\)"):
        cm.load("mobilenet_v2", width=2 * sympy.Symbol("beta", positive=True))


def test_issue_names_are_refused():
    for name in ["I", "E", "N", "S", "Q", "O", "pi", "oo", "zoo", "nan", "beta", "gamma", "true", "false"]:
        assert misreading(name) is not None, name


def test_every_accepted_name_reads_back_through_the_json_of_an_analysis():
    """For every candidate name: accepted exactly when sympify gives back the symbol of that name; and an
    accepted name, used as a size, gives JSON totals that sympify reads back as the same closed form."""
    accepted, refused = [], []
    for name in candidate_names():
        try:
            spelling = check_symbol_name(name)
            accepted.append(name)
            assert spelling == name or (name, spelling) in GREEK_SPELLINGS, (name, spelling)
        except UsageError:
            refused.append(name)
    assert len(refused) > 100 and len(accepted) > 2000
    for name in refused:
        read = _sympify_or_none(name)
        assert not (isinstance(read, sympy.Symbol) and read.name == name), name
    sample = accepted[::50] + ["h", "w", "alpha", "lamda", "r_2", "_h", "beta", "gamma", "zeta", "lambda"]
    for name in sample:  # through a real analysis and JSON
        size = cm.symbols(name)
        name = size.name
        graph = cm.Graph("g", (3, size, size))
        graph.add("conv", cm.Conv2d(8, kernel=3, padding=1), graph.input)
        total = cm.analyze(graph).totals
        text = json.dumps({"flops": str(total.flops)})
        back = sympy.sympify(json.loads(text)["flops"])
        assert {s.name for s in back.free_symbols} == {name}
        assert back.subs(sympy.Symbol(name), 5) == 3 * 8 * 9 * 25


def _sympify_or_none(name):
    try:
        return sympy.sympify(name)
    except Exception:
        return None


# ----- every limit these front doors check: at its value accepted, just past it refused ----------------------------
def test_blocks_limit_at_and_past():
    from costmodel.zoo.registry import build

    assert len(build("g1_bench", blocks=limits.MAX_BLOCKS)) == 2 * limits.MAX_BLOCKS
    with pytest.raises(UsageError, match=r"^g1_bench blocks must be at most 1000, got 1001$"):
        build("g1_bench", blocks=limits.MAX_BLOCKS + 1)


def test_dimension_limit_at_and_past():
    from costmodel.values import check_ratio, check_whole

    assert cm.Conv2d(M).out_channels == M
    assert cm.Graph("g", (M, 1, 1)).input.shape == (M, 1, 1)
    assert check_whole("net", "classes", M) == M
    assert check_ratio("net", "width", sympy.Rational(M, M - 1)) == sympy.Rational(M, M - 1)
    with pytest.raises(cm.OpError, match=r"^Conv2d out_channels must be at most 2147483648 \(2\*\*31\), got 2147483649$"):
        cm.Conv2d(M + 1)
    with pytest.raises(cm.GraphError, match="input shape must be at most 2147483648"):
        cm.Graph("g", (M + 1, 1, 1))
    with pytest.raises(UsageError, match="^net classes must be at most 2147483648, got 2147483649$"):
        check_whole("net", "classes", M + 1)
    with pytest.raises(UsageError, match="numerator and denominator are at most 2147483648"):
        check_ratio("net", "width", sympy.Rational(M + 1, M))


def test_outputs_limit_at_and_past():
    graph = cm.Graph("g", (limits.MAX_OUTPUTS, 1, 1))
    assert len(graph.add("split", cm.Split(limits.MAX_OUTPUTS), graph.input)) == limits.MAX_OUTPUTS
    assert cm.Split(sizes=[1] * limits.MAX_OUTPUTS).sections == limits.MAX_OUTPUTS
    with pytest.raises(cm.OpError, match="^Split sections must be at most 1024"):
        cm.Split(limits.MAX_OUTPUTS + 1)


def test_name_length_limit_at_and_past():
    assert cm.symbols("a" * limits.MAX_NAME_CHARS).name == "a" * limits.MAX_NAME_CHARS
    with pytest.raises(UsageError, match="^symbols name must be at most 100 characters, got 101$"):
        cm.symbols("a" * (limits.MAX_NAME_CHARS + 1))


def test_nodes_limit_at_and_past():
    graph = cm.Graph("g", (1, 1, 1))
    relu = cm.ReLU()
    for index in range(limits.MAX_NODES):
        graph.add(f"r{index}", relu, graph.input)
    assert len(graph) == limits.MAX_NODES
    with pytest.raises(cm.GraphError, match=r"^graph 'g': more than 100000 nodes \(the limit MAX_NODES\)$"):
        graph.add("one_more", relu, graph.input)


# ----- command lines: (class, arguments, exit status, exact stderr) ------------------------------------------------
E = "costmodel: error: "
G1 = ["sweep", "g1_bench"]
CLI = {
 # 1: user text never becomes markup: a refused name is quoted, never echoed raw into a table
 "markup_in_setting_name": (1, ["table", "resnet18", "-s", "<b>=1"], 2,
                            E + "-s expects NAME=VALUE with VALUE a number or a symbol name, got '<b>=1'"),
 "formula_as_symbol": (1, ["table", "resnet18", "-s", "resolution==1+1"], 2,
                       E + "-s resolution: '=1+1' is neither a number nor a symbol name (a letter, then letters, "
                           "digits or _) nor an expression in symbols (32*k): invalid expression: invalid syntax"),
 # 2: hangs and memory blow-ups, refused before the work
 "setting_power_of_ten_huge": (2, ["table", "resnet50", "-s", "resolution=1e999999999"], 2,
                               E + "-s resolution: '1e999999999' has the power of ten 999999999, beyond +-300 (the "
                                   "limit MAX_NUMBER_DIGITS)"),
 "setting_power_of_ten_past": (2, ["table", "resnet50", "-s", "resolution=1e301"], 2,
                               E + "-s resolution: '1e301' has the power of ten 301, beyond +-300 (the limit "
                                   "MAX_NUMBER_DIGITS)"),
 "setting_power_of_ten_at": (2, ["table", "resnet50", "-s", "resolution=1e300"], 2,
                             E + "resnet50 resolution must be at most 2147483648, got 1" + "0" * 56 + "..."),
 "setting_digits_past": (2, ["table", "resnet50", "-s", "resolution=" + "9" * 301], 2,
                         E + "-s resolution: '" + "9" * 56 + "... has more than 300 characters (the limit "
                             "MAX_NUMBER_DIGITS)"),
 "setting_1e200_on_plot": (2, ["plot", "roofline", "resnet50", "-s", "resolution=1e200", "-o", "x.png"], 2,
                           E + "resnet50 resolution must be at most 2147483648, got 1" + "0" * 56 + "..."),
 "setting_blocks_symbol": (4, ["table", "g4_bench", "-s", "blocks=r"], 2,
                           E + "g4_bench blocks must be a whole number from 1 to 1000 (it counts what is built, so it "
                               "cannot be a symbol), got r"),
 "setting_blocks_million": (2, ["table", "g1_bench", "-s", "blocks=1000000"], 2,
                            E + "g1_bench blocks must be at most 1000, got 1000000"),
 "setting_width_1e100": (2, ["table", "mobilenet_v2", "-s", "width=1e100"], 2,
                         E + "mobilenet_v2 width must be a number whose numerator and denominator are at most "
                             "2147483648, got 1" + "0" * 56 + "..."),
 "setting_classes_1e30": (2, ["table", "mobilenet_v2", "-s", "classes=1e30"], 2,
                          E + "mobilenet_v2 classes must be at most 2147483648, got 1000000000000000000000000000000"),
 "setting_power_tower": (2, ["table", "resnet50", "-s", "resolution=2**2**2**2**2"], 2, None),
 "grid_step_tiny": (2, G1 + ["--grid", "c1=1:2:1e-999999999"], 2,
                    E + "--grid c1: '1e-999999999' has the power of ten -999999999, beyond +-300 (the limit "
                        "MAX_NUMBER_DIGITS)"),
 "grid_axis_past": (2, G1 + ["--grid", "c1=1:10001:1"], 2,
                    E + "--grid c1: 10001 values is too many (at most 10000, the limit MAX_GRID_VALUES)"),
 "grid_axis_astronomic": (2, G1 + ["--grid", "c1=1:2:1e-300"], 2,
                          E + "--grid c1: more than 18446744073709551616 values is too many (at most 10000, the "
                              "limit MAX_GRID_VALUES)"),
 "grid_list_past": (2, G1 + ["--grid", "c1=" + ",".join(map(str, range(1, 10002)))], 2,
                    E + "--grid c1: 10001 values is too many (at most 10000, the limit MAX_GRID_VALUES)"),
 "grid_three_axes_of_1000": (2, G1 + ["--grid", "c1=1:1000:1", "--grid", "c2=1:1000:1",
                                      "--grid", "resolution=1:1000:1"], 2,
                             E + "--grid: 1000 x 1000 x 1000 = 1000000000 points is too many (at most 100000000, "
                                 "the limit MAX_GRID_POINTS)"),
 "grid_points_just_past": (2, G1 + ["--grid", "c1=1:10000:1", "--grid", "c2=1:10000:1", "--grid", "blocks=1,2"], 2,
                           E + "--grid: 10000 x 10000 x 2 = 200000000 points is too many (at most 100000000, the "
                               "limit MAX_GRID_POINTS)"),
 "grid_number_digits": (2, G1 + ["--grid", "c1=1," + "7" * 400], 2,
                        E + "--grid c1: '" + "7" * 56 + "... has more than 300 characters (the limit "
                            "MAX_NUMBER_DIGITS)"),
 # 3: silent wrong numbers: names sympy reads as something else
 "setting_symbol_I": (3, ["table", "resnet50", "-s", "resolution=I", "--format", "json"], 2,
                      E + "symbol 'I' would not mean itself when results are read back: sympy reads it as "
                          "ImaginaryUnit; pick another name"),
 "setting_symbol_E": (3, ["table", "resnet50", "-s", "resolution=E"], 2,
                      E + "symbol 'E' would not mean itself when results are read back: sympy reads it as Exp1; "
                          "pick another name"),
 "setting_symbol_pi_in_expression": (3, ["table", "resnet50", "-s", "resolution=32*pi"], 2,
                                     E + "symbol 'pi' would not mean itself when results are read back: sympy reads "
                                         "it as Pi; pick another name"),
 "setting_symbol_oo": (3, ["table", "mobilenet_v2", "-s", "width=oo"], 2,
                       E + "symbol 'oo' would not mean itself when results are read back: sympy reads it as "
                           "Infinity; pick another name"),
 "setting_symbol_true": (3, ["table", "resnet50", "-s", "resolution=true"], 2,
                         E + "symbol 'true' would not mean itself when results are read back: sympy reads it as "
                             "BooleanTrue True; pick another name"),
 "grid_name_Q": (3, G1 + ["--grid", "Q=1,2"], 2,
                 E + "--grid name 'Q' would not mean itself when results are read back: sympy reads it as the "
                     "object Q (AssumptionKeys); pick another name"),
 # 4: internal errors and foreign exceptions
 "target_300_characters": (4, ["table", "a" * 300], 2,
                           E + "unknown architecture '" + "a" * 116 + "... and no spec file of that name; "
                               "'costmodel list' shows the architectures"),
 "target_nul_byte": (4, ["table", "x\x00.yaml"], 2, E + "no spec file 'x\\x00.yaml'"),
 "plot_output_directory": (4, ["plot", "roofline", "resnet50", "-o", "."], 2,
                           E + "plot output '.' is a directory; give a file name such as roofline.png"),
 "plot_output_trailing_slash": (4, ["plot", "roofline", "resnet50", "-o", "out.png/"], 2,
                                E + "plot output 'out.png/' is a directory; give a file name such as roofline.png"),
 "plot_output_missing_folder": (4, ["plot", "g1", "-o", "no/such/folder/g1.png"], 2, None),
 "peak_flops_nan": (4, ["plot", "roofline", "resnet50", "--peak-flops", "nan", "-o", "x.png"], 2,
                    E + "--peak-flops must be a positive number, got nan"),
 "peak_flops_inf": (4, ["plot", "roofline", "resnet50", "--peak-flops", "inf", "-o", "x.png"], 2,
                    E + "--peak-flops must be a positive number, got inf"),
 "peak_flops_negative": (4, ["plot", "roofline", "resnet50", "--peak-flops", "-1e12", "-o", "x.png"], 2,
                         E + "--peak-flops must be a positive number, got -1000000000000.0"),
 "bandwidth_zero": (4, ["plot", "roofline", "resnet50", "--bandwidth", "0", "-o", "x.png"], 2,
                    E + "--bandwidth must be a positive number, got 0.0"),
 "plot_dpi_huge": (4, ["plot", "g1", "--dpi", "1e9", "-o", "x.png"], 2, E + "dpi must be 10 to 1200, got 1e+09"),
 "plot_dpi_text": (4, ["plot", "g1", "--dpi", "many", "-o", "x.png"], 2,
                   E + "Invalid value for '--dpi': 'many' is not a valid float."),
 "plot_size_text": (4, ["plot", "g1", "--size", "big", "-o", "x.png"], 2,
                    E + "--size must be WIDTHxHEIGHT in inches, such as 3.3x2.5, got 'big'"),
 "plot_size_pixels": (4, ["plot", "g1", "--size", "40x40", "--dpi", "1000", "-o", "x.png"], 2,
                      E + "a 40 x 40 in figure at 1000 dpi has 1,600,000,000 pixels, more than 64,000,000; lower dpi "
                          "or size"),
 "sweep_symbol_held": (4, G1 + ["--grid", "c1=1:4:1", "-s", "c2=k"], 2,
                       E + "parameter c2 is held at k, which is not a number: a sweep needs a number for every "
                           "parameter it does not sweep"),
 "sweep_symbol_without_value": (4, ["sweep", "FREE_SPEC", "--grid", "c=3,4"], 2,
                                E + "sweep: h has no value: give it a number or sweep it too"),
 # 6: unclear messages
 "grid_not_a_number": (6, G1 + ["--grid", "c1=1,two"], 2, E + "--grid c1: 'two' is not a number"),
 "grid_zero_denominator": (6, G1 + ["--grid", "c1=1/0"], 2, E + "--grid c1: '1/0' is not a number"),
}

CLI_CHILD = textwrap.dedent("""
    import json, os, resource, signal, sys, tempfile
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
    from click.testing import CliRunner
    from costmodel.cli import main

    def hang(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, hang)
    cases = json.loads(sys.stdin.read())
    os.chdir(tempfile.mkdtemp())
    with open("free.yaml", "w") as spec:
        spec.write("input: [c, h, h]\\nsymbols: [c, h]\\nlayers:\\n- {kind: conv, out_channels: 8, kernel: 3, padding: 1}\\n")
    runner = CliRunner()
    results = {}
    for name, args in cases.items():
        args = [("free.yaml" if a == "FREE_SPEC" else a) for a in args]
        signal.alarm(120)  # a hang guard only
        try:
            done = runner.invoke(main, args, catch_exceptions=True)
            results[name] = [done.exit_code, done.stderr, repr(done.exception) if done.exit_code not in (0, 2) else ""]
        except TimeoutError:
            results[name] = ["HANG", "", ""]
        except MemoryError:
            results[name] = ["OUT OF MEMORY", "", ""]
        finally:
            signal.alarm(0)
    print(json.dumps(results))
""")


@pytest.fixture(scope="module")
def cli_outcomes():
    return run_child(CLI_CHILD, {name: args for name, (_, args, _, _) in CLI.items()})


@pytest.mark.parametrize("name", sorted(CLI))
def test_bad_command_line_gives_one_line_and_its_status(name, cli_outcomes):
    _, _, status, message = CLI[name]
    code, stderr, _ = cli_outcomes[name]
    assert code == status
    assert stderr.count("\n") == 1 and stderr.startswith(E) and "Traceback" not in stderr
    if message is not None:
        assert stderr == message + "\n"


def test_the_corpus_covers_every_class_and_is_large():
    classes = [c for c, *_ in PYTHON.values()] + [c for c, *_ in CLI.values()]
    assert len(classes) >= 70 and set(classes) >= {1, 2, 3, 4, 6}


# ----- class 5: exit codes and streams, as real processes -----------------------------------------------------------
def costmodel(*args, stdout=subprocess.PIPE, env=None, **extra):
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30)); "
    code = limit + "import runpy, sys; sys.argv[0] = 'costmodel'; runpy.run_module('costmodel', run_name='__main__')"
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, **extra)


def test_a_reader_that_stops_early_is_not_an_error():
    process = costmodel("list")
    process.stdout.readline()
    process.stdout.close()  # like `costmodel list | head -1`
    stderr = process.stderr.read()
    assert process.wait(timeout=300) == 0
    assert stderr == b""


def test_a_full_disk_is_one_line_and_status_1():
    with open("/dev/full", "wb") as full:
        process = costmodel("table", "resnet50", stdout=full)
        _, stderr = process.communicate(timeout=300)
    assert process.returncode == 1
    assert stderr == b"costmodel: error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize("setting", ["0", "false", "", "no"])
def test_debug_off_words_give_no_traceback(setting):
    process = costmodel("table", "a" * 300, env={"COSTMODEL_DEBUG": setting})
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 2 and stderr.count(b"\n") == 1 and b"Traceback" not in stderr


def test_ctrl_c_is_one_line_and_status_130():
    """Ctrl-C while the sweep writes: the header line proves it is past its imports and in our code, and with
    nobody reading its stdout it blocks on the full pipe (a million rows), so the signal always finds it
    working, however fast the machine."""
    process = costmodel("sweep", "g1_bench", "--grid", "c1=1:1000:1", "--grid", "c2=1:1000:1", "--no-progress")
    assert process.stdout.readline().startswith(b"c1,c2,")
    import time
    time.sleep(1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert (process.returncode, stderr) == (130, b"costmodel: interrupted\n")
