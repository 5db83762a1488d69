"""The layers of a scope (the spec's ``layers:`` or a block's), read and checked before anything is built.

Each item of a ``layers:`` list is one of

* an **op layer** (``kind:``): one node of the graph, its hyper-parameters as keys;
* a **block instance** (``block:``): the block's layers, ``repeat`` times, each instance a scope;
* a **group** (``layers:``): layers reported under one ``stage:``; its ids belong to the enclosing scope;
* **branches** (``branches:`` and ``join:``): named branches that each read the item's input, each a scope
  of its own named after it in the enclosing scope, joined by one op (concat, add, mul) named by the item.

This pass refuses unknown or missing keys, unknown ops, hyper-parameters, blocks and block arguments, bad
ids, and ``from`` references that are unknown, forward or cyclic; it names the layers without id.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from ..ops import OPS
from .expressions import suggest
from .limits import MAX_NESTING, MAX_REPEAT
from .problem import at, quote
from .yamltree import Mapping, Scalar, Sequence, Value

COMMON_KEYS = ("id", "from", "stage", "when", "output")
INSTANCE_KEYS = ("block", *COMMON_KEYS, "repeat", "args", "overrides")
GROUP_KEYS = ("layers", "stage", "when")
BRANCHES_KEYS = ("branches", "join", *COMMON_KEYS)
#: the ops a ``join:`` may name: those that take any number (two or more) of inputs
JOINS = tuple(kind for kind, op in OPS.items() if op.min_inputs >= 2 and op.max_inputs is None)

#: references to what a scope reads: ``input`` (``input.N`` for the N-th of several) and ``inputs`` (all of them)
INPUT_WORDS = ("input", "inputs")
_LAYER_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")
_REFERENCE = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_\-]*)(?:\.([0-9]+))?$")
_INSTANCE_NUMBER = re.compile(r"^[0-9]{1,9}$")  # ASCII digits only ('²'.isdigit() is true)


COMMA_HINT = " (inside { } or [ ], an expression with a comma must be quoted: \"max(a, b)\")"


def check_keys(mapping: Mapping, allowed, what: str) -> None:
    """Refuse a key of ``mapping`` outside ``allowed``, suggesting the closest."""
    for key, (key_node, _) in mapping.entries.items():
        if key not in allowed:
            hint = COMMA_HINT if not key.isidentifier() else ""
            raise at(key_node, f"unknown key {quote(key)} in {what}{suggest(key, allowed)}{hint}; "
                               f"the keys are {', '.join(allowed)}")


def text_of(value: Value, what: str) -> str:
    """The text of a scalar that names something (a number's digits count as its text)."""
    if not isinstance(value, Scalar) or value.value is None or isinstance(value.value, bool):
        raise at(value, f"{what} must be a name, got {value.describe()}")
    return value.text


@dataclass
class Reference:
    """A ``from`` item: the id of a layer (or ``input``), and which output for a multi-output op."""

    name: str
    index: int | None
    node: Scalar


@dataclass
class OpLayer:
    kind: str
    op_class: type
    name: str  # the node name: its id, or an automatic name
    sources: list | None  # References, None for "the previous layer"
    settings: dict  # hyper-parameter -> (key scalar, value)
    stage: Scalar | None
    when: Value | None
    node: Mapping
    position: int = 0
    conditional: bool = False  # under a when: (its own or a group's)


@dataclass
class Instance:
    block: str
    name: str  # its scope: its id, or an automatic name
    sources: list | None
    repeat: Value | None
    args: dict  # parameter -> (key scalar, value)
    overrides: dict  # instance index -> (key scalar, {parameter -> (key scalar, value)})
    stage: Scalar | None
    when: Value | None
    node: Mapping
    position: int = 0
    conditional: bool = False


@dataclass
class Group:
    entries: list
    stage: Scalar | None
    when: Value | None
    node: Mapping


@dataclass
class Branch:
    """One branch of a ``branches:`` item: its name, its layers (a scope of its own; None for ``input``,
    a branch that passes the input on unchanged) and its key in the file."""

    name: str
    entries: list | None
    key: Scalar


@dataclass
class Branches:
    """Parallel branches that each read the item's input, joined by one op (``join:``) into its output."""

    kind: str  # the join's op kind
    op_class: type
    name: str  # the join node's name: the item's id, or an automatic name; the branches' scope
    sources: list | None
    branches: list  # Branch, in file order (the order of a concat)
    stage: Scalar | None
    when: Value | None
    node: Mapping
    position: int = 0
    conditional: bool = False


def read_scope(node: Value, blocks: dict, what: str, ids: dict, *, block: bool | str = False,
               depth: int = 1) -> list:
    """Read a list of layers (a scope); fill ``ids`` (id -> its entries) and check every ``from``.

    An id names one entry of its scope, except on alternatives: entries that are each under a ``when:``
    (their own or a group's) may share an id, and a reference reaches the one that was built. ``block``:
    the layers of a block, whose instances may read several tensors (``input.N``); ``"branch"``: those of
    a branch, which reads one. ``depth``: how deep in groups and branches the scope sits."""
    if not isinstance(node, Sequence) or not node.items:
        got = "an empty list" if isinstance(node, Sequence) else node.describe()
        raise at(node, f"layers of {what} must be a list of one or more layers, got {got}")
    counter = [0]
    entries = [_read_entry(item, blocks, ids, counter, depth, False) for item in node.items]
    scopes = _branch_scopes(entries, ids)
    _name_automatically(entries, ids, scopes)
    _check_sources(entries, ids, block)
    return entries


def _read_entry(node: Value, blocks: dict, ids: dict, counter: list, depth: int, conditional: bool) -> Any:
    if not isinstance(node, Mapping):
        raise at(node, f"a layer must be a mapping such as {{kind: conv, out_channels: 32}}, got {node.describe()}")
    present = [key for key in ("kind", "block", "layers", "branches") if key in node.entries]
    if len(present) != 1:
        if not present and "join" in node.entries:
            raise at(node.key("join"), "join: names how branches: are joined; this layer has no branches:")
        raise at(node, "a layer needs exactly one of kind: (an op), block: (a block instance), layers: (a "
                       "group) or branches: (parallel branches)" + (f", got {' and '.join(present)}" if present else ""))
    stage = node.get("stage")
    if stage is not None and not text_of(stage, "stage").isprintable():
        raise at(stage, f"stage must be one line of printable text, got {quote(stage.text)}")
    conditional = conditional or node.get("when") is not None
    declared = node.get("output")
    if present[0] != "layers" and declared is not None \
            and not (isinstance(declared, Scalar) and isinstance(declared.value, bool)):
        raise at(declared, f"output must be true (the layer's output is an output of the network, read or not) "
                           f"or false, got {declared.describe()}")
    if present[0] == "layers":
        check_keys(node, GROUP_KEYS, "a group")
        items = node.get("layers")
        if not isinstance(items, Sequence) or not items.items:
            raise at(items, "layers of a group must be a list of one or more layers")
        if depth > MAX_NESTING:
            raise at(node, f"groups nested more than {MAX_NESTING} deep, the limit")
        return Group([_read_entry(item, blocks, ids, counter, depth + 1, conditional) for item in items.items],
                     stage, node.get("when"), node)
    counter[0] += 1
    sources = _sources(node.get("from"))
    if present[0] == "kind":
        entry = _read_op(node, sources, stage)
    elif present[0] == "branches":
        entry = _read_branches(node, sources, stage, blocks, depth)
    else:
        entry = _read_instance(node, sources, stage, blocks)
    entry.position = counter[0]
    entry.conditional = conditional
    identity = node.get("id")
    if identity is not None:
        name = text_of(identity, "id")
        if not _LAYER_ID.match(name) or name in INPUT_WORDS:
            raise at(identity, f"id {quote(name)} must be letters, digits, '_' and '-' (and not 'input' or "
                               f"'inputs')")
        if name in ids and not (conditional and all(other.conditional for other in ids[name])):
            raise at(identity, f"id {quote(name)} is used twice in this scope (first at line {ids[name][0].node.line}); "
                               f"only alternatives, each under a when:, may share an id")
        entry.name = name
        ids.setdefault(name, []).append(entry)
    return entry


def _read_op(node: Mapping, sources: list | None, stage: Scalar | None) -> OpLayer:
    kind_node = node.get("kind")
    kind = text_of(kind_node, "kind")
    if kind not in OPS:
        raise at(kind_node, f"unknown op {quote(kind)}{suggest(kind, OPS)}; the ops are {', '.join(OPS)}")
    op_class = OPS[kind]
    fields = [f.name for f in dataclasses.fields(op_class)]
    for key, (key_node, _) in node.entries.items():
        if key not in fields and key not in ("kind", *COMMON_KEYS):
            hint = " (the input channels come from the layer's input)" if key == "in_channels" else \
                COMMA_HINT if not key.isidentifier() else suggest(key, fields)
            listed = ", ".join(fields) if fields else "none"
            raise at(key_node, f"{kind} has no hyper-parameter {quote(key)}{hint}; its hyper-parameters: {listed}")
    for f in dataclasses.fields(op_class):
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING \
                and f.name not in node.entries:
            raise at(node, f"{kind} needs {f.name}:")
    settings = {key: entry for key, entry in node.entries.items() if key in fields}
    return OpLayer(kind, op_class, "", sources, settings, stage, node.get("when"), node)


def _read_branches(node: Mapping, sources: list | None, stage: Scalar | None, blocks: dict,
                   depth: int) -> Branches:
    """``branches:`` maps branch names to their layers (a list, one layer, or ``input`` for the input
    itself), in the order the join takes them; ``join:`` names the op that joins them."""
    check_keys(node, BRANCHES_KEYS, "a branches: layer")
    join_node = node.get("join")
    if join_node is None:
        raise at(node.key("branches"), f"branches: needs join: to say how the branches' outputs are joined, "
                                       f"one of {', '.join(JOINS)}")
    kind = text_of(join_node, "join")
    if kind not in JOINS:
        raise at(join_node, f"join {quote(kind)} is not an op that joins branches{suggest(kind, JOINS)}; the "
                            f"joins are {', '.join(JOINS)}")
    if sources is not None and len(sources) > 1:
        raise at(node.get("from"), f"branches read one tensor, which each branch gets; from: lists "
                                   f"{len(sources)}")
    if depth > MAX_NESTING:
        raise at(node, f"groups and branches nested more than {MAX_NESTING} deep, the limit")
    table = node.get("branches")
    if not isinstance(table, Mapping) or len(table.entries) < 2:
        got = (f"{len(table.entries)} branch" + ("" if len(table.entries) == 1 else "es")) \
            if isinstance(table, Mapping) else table.describe()
        raise at(table, f"branches must map two or more branch names to their layers (a branch that passes the "
                        f"input on is written input), got {got}")
    branches = []
    for name, (key, value) in table.entries.items():
        if not _LAYER_ID.match(name) or name in INPUT_WORDS:
            raise at(key, f"branch name {quote(name)} must be letters, digits, '_' and '-' (and not 'input' or "
                          f"'inputs')")
        if isinstance(value, Scalar) and value.value == "input":
            branches.append(Branch(name, None, key))
            continue
        if isinstance(value, Mapping):
            value = Sequence([value], value.line, value.col)
        if not isinstance(value, Sequence) or not value.items:
            got = "an empty list" if isinstance(value, Sequence) else value.describe()
            raise at(value, f"branch {name} must be a list of one or more layers, one layer, or input (the "
                            f"input passed on unchanged), got {got}")
        entries = read_scope(value, blocks, f"branch {name}", {}, block="branch", depth=depth + 1)
        branches.append(Branch(name, entries, key))
    return Branches(kind, OPS[kind], "", sources, branches, stage, node.get("when"), node)


def _arguments(node: Value, block: Any, what: str) -> dict:
    if not isinstance(node, Mapping):
        raise at(node, f"{what} must map parameters of block {block.name} to values, got {node.describe()}")
    names = [parameter.name for parameter in block.parameters]
    for key, (key_node, value) in node.entries.items():
        if key not in names:
            listed = ", ".join(names) if names else "none"
            hint = COMMA_HINT if not key.isidentifier() else suggest(key, names)
            raise at(key_node, f"block {block.name} has no parameter {quote(key)}{hint}; its parameters: {listed}")
        if not isinstance(value, (Scalar, Sequence)) or (isinstance(value, Scalar) and value.value is None):
            raise at(value, f"argument {key} must be a number, an expression or a list of them (k: [1, 7]), got "
                            f"{value.describe()}")
    return dict(node.entries)


def _read_instance(node: Mapping, sources: list | None, stage: Scalar | None, blocks: dict) -> Instance:
    check_keys(node, INSTANCE_KEYS, "a block instance")
    block_node = node.get("block")
    name = text_of(block_node, "block")
    if name not in blocks:
        listed = ", ".join(blocks) if blocks else "none are defined under blocks:"
        raise at(block_node, f"unknown block {quote(name)}{suggest(name, blocks)}; the blocks: {listed}")
    block = blocks[name]
    repeat = node.get("repeat")
    if isinstance(repeat, Scalar) and isinstance(repeat.value, int) and not isinstance(repeat.value, bool) \
            and repeat.value > MAX_REPEAT:
        raise at(repeat, f"repeat {repeat.value} is above the limit of {MAX_REPEAT}")
    args = {} if node.get("args") is None else _arguments(node.get("args"), block, "args")
    overrides: dict = {}
    if node.get("overrides") is not None:
        if repeat is None:
            raise at(node.key("overrides"), "overrides: (arguments of single instances) needs repeat:")
        table = node.get("overrides")
        if not isinstance(table, Mapping):
            raise at(table, f"overrides must map instance numbers to arguments, got {table.describe()}")
        for key, (key_node, value) in table.entries.items():
            if not _INSTANCE_NUMBER.match(key):
                raise at(key_node, f"overrides are keyed by instance number 0, 1, ..., got {quote(key)}")
            index = int(key)
            if index in overrides:
                raise at(key_node, f"overrides: {quote(key)} and {quote(overrides[index][0].text)} (line "
                                   f"{overrides[index][0].line}) both mean instance {index}; give it once")
            overrides[index] = (key_node, _arguments(value, block, f"overrides of instance {key}"))
    return Instance(name, "", sources, repeat, args, overrides, stage, node.get("when"), node)


def reference(node: Value) -> Reference:
    text = text_of(node, "from")
    match = _REFERENCE.match(text)
    if not match:
        raise at(node, f"{quote(text)} is not a layer reference: write an id, or id.N for output N of a split")
    index = match.group(2)
    if index is not None and len(index) > 9:
        raise at(node, f"{quote(text)}: no op has output {quote(index, 20)}")
    return Reference(match.group(1), None if index is None else int(index), node)


def _sources(node: Value | None) -> list | None:
    if node is None:
        return None
    if isinstance(node, Sequence):
        if not node.items:
            raise at(node, "from: needs at least one layer id")
        return [reference(item) for item in node.items]
    return [reference(node)]


def flatten(entries: list):
    """The entries of a scope, those of its groups included (not those of its branches: scopes of their own)."""
    for entry in entries:
        if isinstance(entry, Group):
            yield from flatten(entry.entries)
        else:
            yield entry


def every_entry(entries: list):
    """The entries of a scope and, recursively, of its groups and branches."""
    for entry in flatten(entries):
        yield entry
        if isinstance(entry, Branches):
            for branch in entry.branches:
                yield from every_entry(branch.entries or [])


def _branch_scopes(entries: list, ids: dict) -> set:
    """The names the branches of a scope's ``branches:`` items take in it (the scopes their layers are
    named in, ``branch1.conv``), refused where they are an id of the scope or another item's branch, unless
    both are alternatives (each under a ``when:``)."""
    seen: dict = {}
    for entry in flatten(entries):
        if not isinstance(entry, Branches):
            continue
        for branch in entry.branches:
            if branch.name in ids:
                raise at(branch.key, f"branch {quote(branch.name)} has the name of the id at line "
                                     f"{ids[branch.name][0].node.line}: its layers are named {branch.name}.<id>, "
                                     f"so rename one")
            other = seen.get(branch.name)
            if other is not None and not (entry.conditional and other.conditional):
                raise at(branch.key, f"branch {quote(branch.name)} is also a branch of the branches: item at line "
                                     f"{other.node.line}: branch names are unique in a scope (its layers are named "
                                     f"{branch.name}.<id>); rename one, or put the items in blocks")
            seen[branch.name] = entry
    return set(seen)


def _name_automatically(entries: list, ids: dict, scopes: set) -> None:
    """Layers without id are named ``<kind><n>`` (instances ``<block><n>``), n counting from 1 per kind in
    the scope, skipping names that are ids, branch names or taken already (a block ``relu6_`` beside
    ``relu6`` layers); ``<kind>_<n>`` when the kind ends in a digit (``relu6_1``)."""
    counts: dict = {}
    taken = set(ids) | scopes
    for entry in flatten(entries):
        if entry.name:
            continue
        base = entry.block if isinstance(entry, Instance) else entry.kind
        joint = "_" if base[-1].isdigit() else ""
        while True:
            counts[base] = counts.get(base, 0) + 1
            candidate = f"{base}{joint}{counts[base]}"
            if candidate not in taken:
                break
        taken.add(candidate)
        entry.name = candidate


def _check_sources(entries: list, ids: dict, block: bool) -> None:
    for entry in flatten(entries):
        for reference in entry.sources or ():
            check_reference(reference, entry.position, ids, f"from of {entry.name}", block)


def check_reference(reference: Reference, position: int, ids: dict, what: str, block: bool | str) -> None:
    """Refuse a reference to an unknown id or one defined below; ``input.N`` only in a block (whose
    instance may read several tensors), ``inputs`` without an index."""
    if reference.name == "input":
        if reference.index is not None and block == "branch":
            raise at(reference.node, "a branch reads one tensor, the input of its branches: item; refer to it "
                                     "as input")
        if reference.index is not None and not block:
            raise at(reference.node, "the spec's input is one tensor; refer to it as input (input.N is the N-th "
                                     "tensor a block instance reads, inside a block)")
        return
    if reference.name == "inputs":
        if reference.index is not None:
            raise at(reference.node, f"inputs stands for all the tensors the scope reads; write input."
                                     f"{reference.index} for one of them")
        return
    targets = ids.get(reference.name)
    if targets is None:
        names = ["input", *ids]
        sees = " (a branch sees its own ids and input, the input of its branches: item)" if block == "branch" else ""
        raise at(reference.node, f"{what}: unknown id {quote(reference.name)}{suggest(reference.name, names)}; "
                                 f"the ids here: {', '.join(names)}{sees}")
    if any(target.position < position for target in targets):
        return
    if any(target.position == position for target in targets):
        raise at(reference.node, f"{what}: layer {quote(reference.name)} takes its own output (a cycle)")
    raise at(reference.node, f"{what}: {quote(reference.name)} is defined below (line {targets[0].node.line}); a "
                             f"layer can only take inputs from layers above it (no forward references, no "
                             f"cycles)")
