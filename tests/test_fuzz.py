"""Fuzzing in every test run: 2,100 cases of mutated spec files, mutated ONNX files (made with onnx.helper
when the onnx package is there) and random command lines, from a fresh seed each run (printed; set
COSTMODEL_FUZZ_SEED to replay one). Each case must end in a result or in one of our one-line errors;
``benchmarks/fuzz.py --cases 100000`` runs the same cases at length outside the tests."""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = 2100


def test_fuzzed_inputs_end_in_a_result_or_one_clean_error():
    seed = int(os.environ.get("COSTMODEL_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
    print(f"fuzz seed {seed} (replay: COSTMODEL_FUZZ_SEED={seed})")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fuzz.py"), "--cases", str(CASES),
                           "--seed", str(seed)], capture_output=True, text=True, timeout=3600, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    lines = done.stdout.strip().splitlines()
    assert lines, f"seed {seed}: the fuzz run ended (status {done.returncode}) without its summary: {done.stderr[-2000:]}"
    summary = json.loads(lines[-1])
    assert summary["cases"] == CASES and summary["result"] + summary["error"] + summary["bad"] == CASES
    assert summary["bad"] == 0, f"seed {seed}: {summary['bad_cases']}"
    assert done.returncode == 0, done.stderr[-2000:]
    assert min(summary["kinds"].values()) >= 600  # specs, ONNX files and command lines alike


# ----- outcomes the 100,000-case run (benchmarks/fuzz.py) found, kept as regressions ------------------------
def test_a_name_with_control_characters_stays_one_line():
    from costmodel.errors import ModelError

    message = str(ModelError("m.onnx: graph input 'a\nb\x1b[2J' has no shape"))
    assert message == "m.onnx: graph input 'a\\nb\\x1b[2J' has no shape"


def test_a_concat_of_no_inputs_is_a_model_error(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from costmodel.errors import ModelError
    from costmodel.targets import target

    shape = helper.make_node("Constant", [], ["s"], value=helper.make_tensor("v", TensorProto.INT64, [1], [4]))
    empty = helper.make_node("Concat", [], ["c"], axis=0, name="cat")
    reshape = helper.make_node("Reshape", ["x", "c"], ["y"], name="r")
    graph = helper.make_graph([shape, empty, reshape], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(ModelError, match=r"node 'cat' \(Concat\): Concat has no input"):
        target(str(path)).build()


def test_an_expression_python_warns_about_gives_no_warning(recwarn):
    """``1or 2`` parses with Python's "invalid decimal literal" SyntaxWarning, which reached stderr."""
    from costmodel.spec import load_spec

    graph = load_spec("input: [3, 8, 8]\nlayers:\n  - {kind: conv, out_channels: '1or 2'}\n")
    assert graph.nodes[0].outputs[0] == (1, 8, 8)  # 1 or 2 is 1
    assert not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]
