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

ROOT = Path(__file__).resolve().parent.parent
CASES = 2100


def test_fuzzed_inputs_end_in_a_result_or_one_clean_error():
    seed = int(os.environ.get("COSTMODEL_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
    print(f"fuzz seed {seed} (replay: COSTMODEL_FUZZ_SEED={seed})")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fuzz.py"), "--cases", str(CASES),
                           "--seed", str(seed)], capture_output=True, text=True, timeout=3600, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["cases"] == CASES and summary["result"] + summary["error"] + summary["bad"] == CASES
    assert summary["bad"] == 0, f"seed {seed}: {summary['bad_cases']}"
    assert done.returncode == 0, done.stderr[-2000:]
    assert min(summary["kinds"].values()) >= 600  # specs, ONNX files and command lines alike
