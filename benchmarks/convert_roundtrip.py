"""Round-trip every ONNX model of a folder through ``costmodel convert``: for each, the JSON table of the
model and the JSON table of the spec it converts to must be equal (all but the name), under ``paper`` and
``all``: names, ops, stages, shapes and every cost of every layer, and the totals. One row per model: layers,
flops (paper; a closed form is shown by its symbols), whether the tables are equal, layers the spec had to
rename (``(was ...)`` comments), blocks and lines of the spec; then a summary. Exits 1 unless every model
round-trips with its names.

    PYTHONPATH=. python benchmarks/convert_roundtrip.py /work/onnx-models
"""
from __future__ import annotations

import json
import re
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
    text = spec.read_text(encoding="utf-8")
    renamed = text.count("(was ")
    lines = text.splitlines()
    blocks = lines[lines.index("blocks:") + 1:] if "blocks:" in lines else []
    shape = f"{len(lines)} lines, {sum(1 for line in blocks if re.match(r'^  [^ -]', line))} blocks"
    try:
        pairs = [(table_json(str(model), c), table_json(str(spec), c)) for c in ("paper", "all")]
    except RuntimeError as error:
        return model.stem, "-", "-", "spec table failed: " + str(error)[-120:], "-"
    if all(a == b for a, b in pairs):
        verdict = "equal"
    elif all(_unnamed(a) == _unnamed(b) for a, b in pairs):
        verdict = "equal but names"
    else:
        verdict = "DIFFERENT"
    first = pairs[0][0]
    flops = first["totals"]["flops"]
    if isinstance(flops, str):
        flops = "in " + ", ".join(sorted(set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", flops)) - {"floor", "ceiling"}))
    return model.stem, len(first["layers"]), flops, verdict, f"{renamed:<8} {shape}"


def _unnamed(table: dict) -> dict:
    return {**table, "layers": [{k: v for k, v in row.items() if k != "name"} for row in table["layers"]]}


def main_(folder: str) -> int:
    models = sorted(Path(folder).glob("*.onnx"))
    print(f"{'model':30} {'layers':>6} {'flops (paper)':>24}  {'tables':16} renamed  spec")
    verdicts: dict = {}
    with tempfile.TemporaryDirectory() as scratch:
        for model in models:
            name, layers, total, verdict, renamed = roundtrip(model, Path(scratch))
            verdicts.setdefault(verdict.split(":")[0], []).append(name)
            print(f"{name:30} {layers!s:>6} {total!s:>24}  {verdict:16} {renamed}", flush=True)
    print(f"{len(models)} models: " + "; ".join(f"{len(names)} {verdict}" for verdict, names in verdicts.items()))
    return 0 if set(verdicts) <= {"equal"} else 1


if __name__ == "__main__":
    sys.exit(main_(sys.argv[1] if len(sys.argv) > 1 else "/work/onnx-models"))
