"""The corpus of broken specs: each file under tests/specs/broken/ starts with the exact error it must give,
``# expect: LINE:COL: message`` (``{ops}`` stands for the list of op kinds), and load_spec must raise a
SpecError whose text is ``NAME.yaml:LINE:COL: message``, the same through the command line (exit 2)."""
import subprocess
import sys
from pathlib import Path

import pytest

from costmodel.errors import SpecError
from costmodel.ops import OPS
from costmodel.spec import load_spec

CORPUS = sorted((Path(__file__).parent / "specs" / "broken").glob("*.yaml"))


def expected_message(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: LINE:COL: message'"
    return f"{path.name}:{first[len('# expect: '):]}".replace("{ops}", ", ".join(OPS))


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_broken_spec_gives_its_exact_message(path):
    with pytest.raises(SpecError) as caught:
        load_spec(path, filename=path.name)
    assert str(caught.value) == expected_message(path)
    assert caught.value.file == path.name and caught.value.line >= 1 and caught.value.col >= 1


@pytest.mark.parametrize("name", ["import_os_system", "unknown_op", "yaml_alias_bomb", "when_undecidable"])
def test_the_command_line_prints_the_same_line_and_exits_2(name, tmp_path):
    path = next(p for p in CORPUS if p.stem == name)
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    done = subprocess.run([sys.executable, "-m", "costmodel", "table", str(copy)], check=False, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [f"costmodel: error: {tmp_path / expected_message(path)}"]
