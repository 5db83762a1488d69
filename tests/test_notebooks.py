"""Run every notebook of ``notebooks/`` top to bottom; any cell that raises (their asserts included) fails.

The kernel is ``python3`` started from the running interpreter (``sys.executable``), with the repository on
``PYTHONPATH`` and matplotlib's Agg backend, from a kernelspec written to a temporary directory, so no
Jupyter installation or user kernelspec is consulted. Nothing is written back: the notebooks are stored
without outputs, which is checked too. They are tutorials, so a run must also draw a figure inline (PNG
output), render formulas where the notebook derives them (LaTeX output), and carry prose.
"""
import json
import os
import re
import sys
from pathlib import Path

import pytest

import ipykernel  # noqa: F401  (the kernel the notebooks run in; part of the dev extra)
import nbclient
import nbformat

from jupyter_client.kernelspec import KernelSpecManager  # installed with nbclient
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = {"derivations.ipynb", "guidelines.ipynb", "architectures.ipynb", "custom.ipynb"}
CELL_TIMEOUT = 120  # seconds: a hung cell fails instead of blocking the run (each notebook takes seconds)
RENDERS_FORMULAS = {"derivations.ipynb", "custom.ipynb"}


def test_the_four_notebooks_are_there():
    assert EXPECTED <= {p.name for p in NOTEBOOKS}


@pytest.fixture(scope="module")
def kernel_dirs(tmp_path_factory):
    """A ``python3`` kernelspec running this interpreter, with the repository importable."""
    kernels = tmp_path_factory.mktemp("kernels")
    spec_dir = kernels / "python3"
    spec_dir.mkdir()
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (tests)", "language": "python",
            "env": {"PYTHONPATH": path, "MPLBACKEND": "Agg"}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return [str(kernels)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear the outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, kernel_dirs):
    nb = nbformat.read(path, as_version=4)
    assert any(cell.cell_type == "code" and "assert" in cell.source for cell in nb.cells), \
        f"{path.name} checks nothing"
    km = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs))
    client = nbclient.NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, allow_errors=False,
                                     resources={"metadata": {"path": str(ROOT)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"{path.name}: a cell failed\n{error}", pytrace=False)
    shown = {kind for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs
             for kind in output.get("data", {})}
    # tutorials, not test files: each draws inline, and those that derive formulas render them
    assert "image/png" in shown, f"{path.name} draws no figure"
    assert "text/latex" in shown or path.name not in RENDERS_FORMULAS, f"{path.name} renders no formula"
    latex = [output["data"]["text/latex"] for cell in nb.cells if cell.cell_type == "code"
             for output in cell.outputs if "text/latex" in output.get("data", {})]
    # a command written with its backslash doubled (an escaping slip) typesets as a line break and a word
    assert not [text for text in latex if re.search(r"\\\\[A-Za-z]", text)], f"{path.name}: LaTeX with \\\\command"
    prose = sum(len(cell.source.split()) for cell in nb.cells if cell.cell_type == "markdown")
    assert prose >= 300, f"{path.name}: {prose} words of prose; explain what the code shows"
