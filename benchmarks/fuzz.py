"""Fuzz costmodel's front doors: mutated spec files, mutated ONNX files and random command lines.

    python benchmarks/fuzz.py --cases 100000            # a fresh seed, printed
    python benchmarks/fuzz.py --cases 2000 --seed 1234  # replay (or COSTMODEL_FUZZ_SEED=1234)

Every case must end in a result or in one of our errors (a :class:`costmodel.errors.CostModelError`; on the
command line exit status 2 and exactly one line ``costmodel: error: ...`` on stderr). Anything else (a
foreign exception, a traceback, a hang past the per-case alarm, exhausted memory under the address-space
cap) is a bad outcome; the script prints each with the seed and the case number that replays it, and exits 1
if there was any. The last line of output is a JSON summary.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOSTILE = ["1e999999999", "1.0e+999999999", "-1", "0", "010", "0x" + "f" * 40, "1:30", "I", "E", "pi", "oo", "nan",
           "beta", "true", "null", "~", "!!int ''", "!!float", "&a [*a, *a]", "*a", "'", '"', "{", "}", "[", "]",
           ":", "- ", "\t", "\x00", "\ud800", "2**2**2**2", "h**65", "1/0", "floor(", "repeat: 1000000",
           "sections: 1073741824", "kind: split", "kind: concat", "from: [input]", "=cmd|' /C calc'!A0", "\\input",
           "^^5c", "*bold*", "9" * 400, "1_000", "0b101", "-.5", "1e-300", "x" * 300]


def mutate(text: str, rng: random.Random) -> str:
    """``text`` with one to four edits: a character deleted, duplicated or replaced, a hostile token spliced in,
    a line dropped or repeated."""
    for _ in range(rng.randint(1, 4)):
        if not text:
            text = rng.choice(HOSTILE)
            continue
        at = rng.randrange(len(text))
        edit = rng.randrange(6)
        if edit == 0:
            text = text[:at] + text[at + 1:]
        elif edit == 1:
            text = text[:at] + text[at] * rng.randint(2, 4) + text[at:]
        elif edit == 2:
            text = text[:at] + chr(rng.choice([rng.randint(32, 126), rng.randint(0, 0x2FF)])) + text[at + 1:]
        elif edit == 3:
            text = text[:at] + rng.choice(HOSTILE) + text[at:]
        else:
            lines = text.split("\n")
            index = rng.randrange(len(lines))
            lines[index:index + 1] = [] if edit == 4 else [lines[index]] * rng.randint(2, 3)
            text = "\n".join(lines)
    return text


def spec_texts() -> list[str]:
    return [path.read_text() for path in sorted((ROOT / "costmodel" / "examples").glob("*.yaml"))]


def onnx_models() -> list[bytes]:
    """Small models made with onnx.helper (none when the onnx package is missing)."""
    try:
        from onnx import TensorProto, helper
    except ImportError:
        return []
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)
    conv = helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], kernel_shape=[3, 3])
    relu = helper.make_node("Relu", ["c"], ["r"])
    pool = helper.make_node("GlobalAveragePool", ["r"], ["y"])
    first = helper.make_model(helper.make_graph([conv, relu, pool], "small", [x], [y], [weight]))
    split = helper.make_node("Split", ["x"], ["a", "b"], axis=1, split=[1, 2])
    add = helper.make_node("Concat", ["a", "b"], ["y"], axis=1)
    second = helper.make_model(helper.make_graph([split, add], "split", [x], [y]),
                               opset_imports=[helper.make_opsetid("", 11)])
    return [first.SerializeToString(), second.SerializeToString()]


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(data))
        edit = rng.randrange(4)
        if edit == 0:
            data[at] = rng.randrange(256)
        elif edit == 1:
            del data[at]
        elif edit == 2:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        else:
            data[at] = rng.choice([0x00, 0x7F, 0x80, 0xFF])
    return bytes(data)


TARGETS = ["g1_bench", "g2_bench", "g4_bench", "squeezenet1_1", "NOT_A_NET", "SPEC", "x.yaml", "a" * 300]
NAMES = ["c1", "c2", "resolution", "blocks", "channels", "groups", "width", "classes", "I", "pi", "x", "_a", "2a", ""]
VALUES = ["1", "8", "56", "0", "-3", "2.5", "1/3", "1e3", "1e999999999", "r", "I", "E", "h*2", "2**70", "nan", "inf",
          "true", "", "=1", "1:2", "9" * 400, "floor(h)", "c1**65", "lambda"]
GRIDS = ["1:4:1", "1:2:1e-999999999", "1,2,3", "1:10001:1", "4:1:1", "1:2:0", "a:b:c", "0.5:1:0.25", "1"]


def command_line(rng: random.Random) -> list[str]:
    command = rng.choice(["table", "table", "derive", "sweep", "list", "plot"])
    if command == "list":
        return ["list"] + ([rng.choice(["--help", "-x"])] if rng.random() < 0.2 else [])
    args = [command]
    if command == "plot":
        args += [rng.choice(["roofline", "breakdown", "g9"]), rng.choice(TARGETS)]
        args += ["-o", rng.choice([".", "out.txt", "x/"]), "--peak-flops", rng.choice(["nan", "inf", "-1", "0"])]
        return args
    args.append(rng.choice(TARGETS))
    for _ in range(rng.randint(0, 3)):
        args += ["-s", f"{rng.choice(NAMES)}={rng.choice(VALUES)}"]
    if command == "sweep":
        for _ in range(rng.randint(0, 2)):
            args += ["--grid", f"{rng.choice(NAMES)}={rng.choice(GRIDS)}"]
        args.append("--no-progress")
    if command == "table" and rng.random() < 0.5:
        args += ["--format", rng.choice(["text", "json", "csv", "markdown", "latex", "html"])]
    return args


class Hang(Exception):
    pass


def _alarm(*_):
    raise Hang


def run(cases: int, seed: int, alarm: int = 60) -> dict:
    """Run ``cases`` cases (specs, ONNX files, command lines in turn) from ``seed``; a summary dict."""
    from click.testing import CliRunner

    from costmodel.cli import main
    from costmodel.errors import CostModelError
    from costmodel.spec import load_spec
    from costmodel.targets import target

    rng = random.Random(seed)
    specs, models = spec_texts(), onnx_models()
    runner = CliRunner()
    folder = Path(tempfile.mkdtemp(prefix="costmodel-fuzz-"))
    (folder / "spec.yaml").write_text(specs[0])
    os.chdir(folder)
    counts = {"result": 0, "error": 0, "bad": 0}
    kinds = {"spec": 0, "onnx": 0, "command": 0}
    bad = []
    signal.signal(signal.SIGALRM, _alarm)
    for case in range(cases):
        kind = ("spec", "onnx", "command")[case % 3] if models else ("spec", "command")[case % 2]
        kinds[kind] += 1
        outcome, detail = "result", ""
        signal.alarm(alarm)  # a hang guard only
        try:
            if kind == "spec":
                load_spec(mutate(rng.choice(specs), rng), filename=f"case{case}.yaml")
            elif kind == "onnx":
                path = folder / "case.onnx"
                path.write_bytes(mutate_bytes(rng.choice(models), rng))
                target(str(path)).build()
            else:
                args = [("spec.yaml" if a == "SPEC" else a) for a in command_line(rng)]
                done = runner.invoke(main, args, catch_exceptions=True)
                lines = done.stderr.splitlines()
                if done.exit_code == 0:
                    pass
                elif done.exit_code == 2 and len(lines) == 1 and lines[0].startswith("costmodel: error: ") and \
                        "internal error" not in lines[0]:
                    outcome = "error"
                else:
                    outcome, detail = "bad", f"exit {done.exit_code}: {done.stderr[-300:]!r} args {args!r}"
        except CostModelError as error:
            outcome = "error"
            if "\n" in str(error):
                outcome, detail = "bad", f"message of several lines: {str(error)[:300]!r}"
        except Hang:
            outcome, detail = "bad", "hang"
        except MemoryError:
            outcome, detail = "bad", "out of memory"
        except Exception as error:  # noqa: BLE001 (every foreign exception is what we look for)
            outcome, detail = "bad", f"{type(error).__name__}: {str(error)[:300]}"
        finally:
            signal.alarm(0)
        counts[outcome] += 1
        if outcome == "bad":
            bad.append({"case": case, "kind": kind, "detail": detail})
            print(f"BAD case {case} ({kind}, seed {seed}): {detail}", file=sys.stderr)
    return {"seed": seed, "cases": cases, "kinds": kinds, **counts, "bad_cases": bad[:50]}


def main_cli(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="default: COSTMODEL_FUZZ_SEED or a fresh one")
    parser.add_argument("--memory-gb", type=float, default=3.0, help="address-space cap of this process")
    options = parser.parse_args(argv)
    seed = options.seed
    if seed is None:
        seed = int(os.environ.get("COSTMODEL_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
    cap = int(options.memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    print(f"fuzz seed {seed} (replay: COSTMODEL_FUZZ_SEED={seed})", file=sys.stderr, flush=True)
    summary = run(options.cases, seed)
    print(json.dumps(summary))
    return 1 if summary["bad"] else 0


if __name__ == "__main__":
    sys.exit(main_cli())
