"""costmodel.from_torch without PyTorch: the library never imports torch or onnx, and from_torch says how to
install torch, or what is wrong with its arguments, in one line. (The export itself is checked against
importing the exported file in benchmarks/onnx_crosscheck.py, which runs where torch is installed.)"""
import subprocess
import sys

import pytest

import costmodel
from costmodel.errors import UsageError


@pytest.fixture
def without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError


def test_reaching_from_torch_imports_neither_torch_nor_onnx():
    code = ("import sys, costmodel; costmodel.from_torch; "
            "print(sorted(m for m in ('torch', 'onnx') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_without_torch_the_error_names_the_install_command(without_torch):
    with pytest.raises(UsageError) as raised:
        costmodel.from_torch(object(), (1, 3, 224, 224))
    assert str(raised.value) == "from_torch needs PyTorch, which is not installed: pip install torch"


@pytest.mark.parametrize("shape, message", [
    ("1x3x224x224", "from_torch: input_shape must be a sequence of sizes, batch first, such as (1, 3, 224, 224), "
                    "got '1x3x224x224'"),
    (224, "from_torch: input_shape must be a sequence of sizes, batch first, such as (1, 3, 224, 224), got 224"),
    ((224,), "from_torch: input_shape needs a batch and at least one more dimension, such as (1, 3, 224, 224), "
             "got (224,)"),
    ((1, 3, 0, 224), "from_torch: input_shape[2] must be a positive whole number, got 0 in (1, 3, 0, 224)"),
    ((1, 3, 224.0, 224), "from_torch: input_shape[2] must be a positive whole number, got 224.0 in "
                         "(1, 3, 224.0, 224)"),
    ((True, 3, 224, 224), "from_torch: input_shape[0] must be a positive whole number, got True in "
                          "(True, 3, 224, 224)"),
])
def test_a_bad_input_shape_is_named_before_torch_is_needed(without_torch, shape, message):
    with pytest.raises(UsageError) as raised:
        costmodel.from_torch(object(), shape)
    assert str(raised.value) == message
