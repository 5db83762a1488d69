"""Round-trip every ONNX model of a folder through ``costmodel convert``: for each, the JSON table of the
model and the JSON table of the spec it converts to must be equal (all but the name), under ``paper`` and
``all``. One row per model: layers, flops (paper), whether the tables are equal, renamed layers.

    PYTHONPATH=. python benchmarks/convert_roundtrip.py /work/onnx-models
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from costmodel.cli import main


def table_json(target: str, convention: str) -> dict:
    result = CliRunner().invoke(main, ["table", target, "--format", "json", "--convention", convention])
    if result.exit_code:
        raise RuntimeError(result.output.strip())
    data = json.loads(result.output)
    data.pop("name", None)
    data.pop("parameters", None)  # an ONNX file's dim_params; the spec's symbols (same names, listed apart)
    return data


def roundtrip(model: Path, folder: Path) -> tuple:
    spec = folder / f"{model.stem}.yaml"
    result = CliRunner().invoke(main, ["convert", str(model), "-o", str(spec)])
    if result.exit_code:
        return model.stem, "-", "-", "convert failed: " + result.output.strip()[-120:], "-"
    renamed = spec.read_text(encoding="utf-8").count("(was ")
    pairs = [(table_json(str(model), c), table_json(str(spec), c)) for c in ("paper", "all")]
    if all(a == b for a, b in pairs):
        verdict = "equal"
    elif all(_unnamed(a) == _unnamed(b) for a, b in pairs):
        verdict = "equal but names"
    else:
        verdict = "DIFFERENT"
    first = pairs[0][0]
    return model.stem, len(first["layers"]), first["totals"]["flops"], verdict, renamed


def _unnamed(table: dict) -> dict:
    return {**table, "layers": [{k: v for k, v in row.items() if k != "name"} for row in table["layers"]]}


def main_(folder: str) -> int:
    models = sorted(Path(folder).glob("*.onnx"))
    print(f"{'model':34} {'layers':>6} {'flops (paper)':>16}  tables     renamed")
    bad = 0
    with tempfile.TemporaryDirectory() as scratch:
        for model in models:
            name, layers, total, verdict, renamed = roundtrip(model, Path(scratch))
            bad += verdict != "equal"
            print(f"{name:34} {layers!s:>6} {total!s:>16}  {verdict:16} {renamed}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main_(sys.argv[1] if len(sys.argv) > 1 else "/work/onnx-models"))
