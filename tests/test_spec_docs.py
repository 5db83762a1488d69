"""docs/spec.md cannot drift from the code: it lists every op with every hyper-parameter and default, every
key, every function, every limit with its value, every broken-spec example with its exact message, and
every shipped example whole."""
import dataclasses
import re
from pathlib import Path

import pytest

from costmodel import limits as shared_limits
from costmodel.ops import OPS
from costmodel.spec import EXAMPLES, limits
from costmodel.spec.arithmetic import FUNCTIONS
from costmodel.spec.document import BLOCK_KEYS, SYMBOL_KEYS, TOP_KEYS
from costmodel.spec.entries import BRANCHES_KEYS, COMMON_KEYS, GROUP_KEYS, INSTANCE_KEYS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "spec.md").read_text()
CORPUS = ROOT / "tests" / "specs" / "broken"


def table_rows(first_cell_pattern):
    return {match.group(1): line for line in DOC.splitlines()
            if (match := re.match(r"^\| " + first_cell_pattern + r" \|", line))}


def default_text(value):
    return "null" if value is None else "true" if value is True else "false" if value is False else str(value)


@pytest.mark.parametrize("kind", list(OPS))
def test_every_op_is_listed_with_every_hyper_parameter_and_default(kind):
    rows = table_rows(r"`([a-z0-9_]+)`")
    assert kind in rows, f"docs/spec.md has no row for op {kind}"
    row = rows[kind]
    assert f"| {OPS[kind].__name__} |" in row
    for field in dataclasses.fields(OPS[kind]):
        wanted = (f"`{field.name}` (required)" if field.default is dataclasses.MISSING
                  else f"`{field.name}` = {default_text(field.default)}")
        assert wanted in row, f"op {kind}: docs/spec.md should say {wanted}"


def test_every_key_and_function_is_documented():
    keys = table_rows(r"`([a-z_]+)`")
    for key in {*TOP_KEYS, *COMMON_KEYS, *INSTANCE_KEYS, *GROUP_KEYS, *BRANCHES_KEYS, *BLOCK_KEYS, "kind"}:
        assert key in keys, f"docs/spec.md has no table row for key {key}"
    for key in SYMBOL_KEYS:
        assert f"{key}:" in DOC
    for name in FUNCTIONS:
        assert f"`{name}(" in DOC


def test_every_limit_is_documented_with_its_value():
    """docs/limits.md holds the one table of every limit (costmodel/limits.py), the spec's among them."""
    page = (ROOT / "docs" / "limits.md").read_text()
    rows = {match.group(1): line for line in page.splitlines() if (match := re.match(r"^\| `(MAX_[A-Z_]+)` \|", line))}
    constants = {name: value for name, value in vars(shared_limits).items() if name.startswith("MAX_")}
    assert set(rows) == set(constants)
    for name, value in constants.items():
        assert f"| `{name}` | {value} |" in rows[name]
    spec_constants = {name for name in vars(limits) if name.startswith("MAX_")}
    assert spec_constants <= set(constants)
    assert "(limits.md)" in DOC


def test_every_broken_example_is_documented_with_its_exact_message():
    rows = table_rows(r"`([a-z0-9_]+)`")
    for path in sorted(CORPUS.glob("*.yaml")):
        assert path.stem in rows, f"docs/spec.md does not show the error of {path.name}"
        shown = re.match(r"^\| `[a-z0-9_]+` \| `(.*)` \|$", rows[path.stem]).group(1)
        first = path.read_bytes().split(b"\n", 1)[0].decode()
        expected = f"{path.name}:{first[len('# expect: '):]}".replace("{ops}", ", ".join(OPS))
        if shown.endswith("..."):
            assert expected.startswith(shown[:-3]), path.name
        else:
            assert shown == expected, path.name


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_shipped_example_is_shown_whole(path):
    assert f"```yaml\n{path.read_text()}```" in DOC


def test_every_whole_spec_shown_loads():
    """A YAML example of the page that is a whole spec (input: and layers: at the top) builds a graph."""
    from costmodel.spec import load_spec

    shown = [block for block in re.findall(r"```yaml\n(.*?)```", DOC, re.S)
             if re.search(r"^input:", block, re.M) and re.search(r"^layers:", block, re.M)]
    assert any("from: inputs" in block for block in shown)
    assert any("branches:" in block for block in shown)
    for block in shown:
        assert len(load_spec(block).nodes) >= 1
