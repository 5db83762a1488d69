"""docs/import.md's supported-ops table is the handler registry's (so it cannot drift)."""
from pathlib import Path

from costmodel.onnx import supported_ops_table

MARKER = "tests/test_onnx_docs.py checks it -->\n"


def test_supported_ops_table_is_generated_from_the_registry():
    text = (Path(__file__).parent.parent / "docs" / "import.md").read_text()
    assert MARKER in text
    assert text.split(MARKER, 1)[1] == supported_ops_table(), \
        "regenerate the table: python -c 'from costmodel.onnx import supported_ops_table as t; print(t())'"


def test_table_lists_every_op_once():
    rows = [line.split("|")[1].strip() for line in supported_ops_table().splitlines()[2:]]
    assert len(rows) == len(set(rows)) and {"Conv", "Gemm", "BatchNormalization", "Shape"} <= set(rows)
