"""The structure of a spec (top-level keys, symbols, blocks), read and checked before anything is built.

This pass reads the located YAML tree into the dataclasses below and refuses, at the mistake: unknown or
missing keys, bad names, symbols and block parameters that clash, blocks that use themselves (directly or
through others) or nest deeper than the limit, and specs whose layers, counted from literal repeats,
already exceed the limit. The layers of each scope are read by ``costmodel.spec.entries``; what depends on values
(expressions, shapes, ``when``) is checked by the builder.
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from .entries import (
    Branches,
    Group,
    Instance,
    OpLayer,
    Reference,
    check_keys,
    check_reference,
    every_entry,
    read_scope,
    reference,
    text_of,
)
from .expressions import FUNCTIONS
from .limits import MAX_NESTING, MAX_NODES, MAX_SYMBOLS
from .problem import at, quote
from .values import LayerNames, check_declared_name
from .yamltree import Mapping, Scalar, Sequence, Value

#: names that expressions give a meaning of their own: functions, the shape of a layer's input and of its
#: scope's input
RESERVED = frozenset(FUNCTIONS) | set(LayerNames.SHAPE_NAMES) | set(LayerNames.SCOPE_NAMES)
TOP_KEYS = ("name", "description", "input", "batch", "symbols", "blocks", "layers")
BLOCK_KEYS = ("params", "layers", "output", "description")
SYMBOL_KEYS = ("default", "integer", "description")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Parameter:
    name: str
    default: Value | None  # None: the argument is required
    node: Scalar


@dataclass
class Block:
    name: str
    parameters: list
    entries: list
    output: Reference | None
    node: Mapping


@dataclass
class Symbol:
    name: str
    default: Value | None  # None: symbolic unless the caller gives a value
    integer: bool
    node: Scalar


@dataclass
class Document:
    name: str
    input: Sequence
    batch: Value | None
    symbols: list
    blocks: dict
    entries: list
    root: Mapping
    ids: dict = field(default_factory=dict)  # id -> entry, top-level scope


def identifier(value: Value, what: str) -> str:
    name = text_of(value, what)
    if not _IDENTIFIER.match(name) or keyword.iskeyword(name):
        raise at(value, f"{what} {quote(name)} must be a name of letters, digits and '_' that does not start "
                        f"with a digit (and is not a Python keyword)")
    if name in RESERVED:
        raise at(value, f"{what} {quote(name)} is reserved in expressions; pick another name")
    return name


def read_document(root: Value, default_name: str) -> Document:
    if not isinstance(root, Mapping):
        raise at(root, f"a spec is a mapping with the keys input:, layers: (and symbols:, blocks:, ...), got "
                       f"{root.describe()}")
    check_keys(root, TOP_KEYS, "the spec")
    for required in ("input", "layers"):
        if root.get(required) is None:
            raise at(root, f"the spec needs {required}:")
    name = default_name
    if root.get("name") is not None:
        name_node = root.get("name")
        if not (isinstance(name_node, Scalar) and isinstance(name_node.value, (str, int))) \
                or isinstance(name_node.value, bool):
            raise at(name_node, f"name must be text, got {name_node.describe()}")
        name = name_node.text
        if not name.isprintable():
            raise at(name_node, f"name must be one line of printable text, got {quote(name)}")
    _description(root)
    shape = root.get("input")
    if not isinstance(shape, Sequence) or len(shape.items) not in (1, 3):
        got = f"{len(shape.items)} values" if isinstance(shape, Sequence) else shape.describe()
        raise at(shape, f"input must be a list [C, H, W] (or [features]), got {got}")
    symbols = _read_symbols(root.get("symbols"))
    symbol_names = {symbol.name for symbol in symbols}
    blocks = _read_blocks(root.get("blocks"), symbol_names)
    document = Document(name, shape, root.get("batch"), symbols, blocks, [], root)
    document.entries = read_scope(root.get("layers"), blocks, "the spec", document.ids)
    done: dict = {}
    for block in blocks.values():
        _check_nesting(block, blocks, [block.name], done)
    _check_nesting(Block("", [], document.entries, None, root), blocks, [], done)
    count = lower_bound(document.entries, blocks, {})
    if count > MAX_NODES:
        raise at(root.key("layers"), f"the spec expands to at least {count} layers, more than the limit of "
                                     f"{MAX_NODES}")
    return document


def _description(mapping: Mapping) -> None:
    value = mapping.get("description")
    if value is not None and not (isinstance(value, Scalar) and isinstance(value.value, str)):
        raise at(value, f"description must be text, got {value.describe()}")


def _read_symbols(node: Value | None) -> list:
    if node is None:
        return []
    if isinstance(node, Sequence):  # a list of names: all without default
        if len(node.items) > MAX_SYMBOLS:
            raise at(node, f"{len(node.items)} symbols are declared, more than the limit of {MAX_SYMBOLS}")
        symbols = [Symbol(identifier(item, "symbol"), None, True, item) for item in node.items]
        for symbol in symbols:
            check_declared_name(symbol.name, symbol.node, "symbol")
        return symbols
    if not isinstance(node, Mapping):
        raise at(node, f"symbols must map names to default values, got {node.describe()}")
    if len(node.entries) > MAX_SYMBOLS:
        raise at(node, f"{len(node.entries)} symbols are declared, more than the limit of {MAX_SYMBOLS}")
    symbols = []
    for name, (key, value) in node.entries.items():
        identifier(key, "symbol")
        check_declared_name(name, key, "symbol")
        integer = True
        if isinstance(value, Mapping):
            check_keys(value, SYMBOL_KEYS, f"symbol {name}")
            _description(value)
            flag = value.get("integer")
            if flag is not None:
                if not (isinstance(flag, Scalar) and isinstance(flag.value, bool)):
                    raise at(flag, f"integer must be true or false, got {flag.describe()}")
                integer = flag.value
            value = value.get("default")
        if isinstance(value, Scalar) and value.value is None:
            value = None
        elif value is not None and not isinstance(value, (Scalar, Sequence)):
            raise at(value, f"the default of symbol {name} must be a number, an expression or a list of them, got "
                            f"{value.describe()}")
        symbols.append(Symbol(name, value, integer, key))
    return symbols


def _read_blocks(node: Value | None, symbols: set) -> dict:
    if node is None:
        return {}
    if not isinstance(node, Mapping):
        raise at(node, f"blocks must map block names to definitions, got {node.describe()}")
    blocks = {}
    for name, (key, definition) in node.entries.items():
        identifier(key, "block name")
        if not isinstance(definition, Mapping):
            raise at(definition, f"block {name} must be a mapping with params: and layers:, got "
                                 f"{definition.describe()}")
        check_keys(definition, BLOCK_KEYS, f"block {name}")
        _description(definition)
        if definition.get("layers") is None:
            raise at(definition, f"block {name} needs layers:")
        parameters = _read_parameters(definition.get("params"), name, symbols)
        output = definition.get("output")
        blocks[name] = Block(name, parameters, [], None if output is None else reference(output), definition)
    for name, block in blocks.items():  # layers after all names are known: blocks may use each other
        ids: dict = {}
        block.entries = read_scope(block.node.get("layers"), blocks, f"block {name}", ids, block=True)
        if block.output is not None:
            if block.output.name == "inputs":
                raise at(block.output.node, f"the output of block {name} is one tensor: an id, input or input.N, "
                                            f"not inputs")
            check_reference(block.output, 10**9, ids, f"output of block {name}", True)
    return blocks


def _read_parameters(node: Value | None, block: str, symbols: set) -> list:
    if node is None:
        return []
    if isinstance(node, Sequence):
        pairs = [(item, None) for item in node.items]
    elif isinstance(node, Mapping):
        pairs = [(key, None if isinstance(value, Scalar) and value.value is None else value)
                 for key, value in node.entries.values()]
    else:
        raise at(node, f"params of block {block} must be a mapping of names to defaults (null: required), "
                       f"got {node.describe()}")
    parameters, seen = [], set()
    for key, default in pairs:
        name = identifier(key, f"parameter of block {block}")
        if name in symbols:
            raise at(key, f"parameter {quote(name)} of block {block} has the name of a symbol; rename one")
        if name in seen:
            raise at(key, f"parameter {quote(name)} of block {block} is declared twice")
        if default is not None and not isinstance(default, (Scalar, Sequence)):
            raise at(default, f"the default of parameter {name} must be a number, an expression or a list of "
                              f"them, got {default.describe()}")
        seen.add(name)
        parameters.append(Parameter(name, default, key))
    return parameters


def _check_nesting(block: Block, blocks: dict, path: list, done: dict) -> int:
    """Refuse a block that uses itself, directly or through others, or nests deeper than the limit; return
    how many block instances deep it goes (``done`` remembers it per block)."""
    if len(path) > MAX_NESTING:
        raise at(block.node, f"blocks nested more than {MAX_NESTING} deep, the limit")
    height = 0
    for entry in every_entry(block.entries):
        if isinstance(entry, Instance):
            if entry.block in path:
                cycle = " -> ".join([*path[path.index(entry.block):], entry.block])
                raise at(entry.node.get("block"), f"block {entry.block} uses itself: {cycle}")
            if entry.block not in done:
                _check_nesting(blocks[entry.block], blocks, [*path, entry.block], done)
            height = max(height, done[entry.block] + 1)
            if len(path) + done[entry.block] + 1 > MAX_NESTING:
                raise at(entry.node.get("block"), f"blocks nested more than {MAX_NESTING} deep, the limit")
    if block.name:
        done[block.name] = height
    return height


def lower_bound(entries: list, blocks: dict, memo: dict) -> int:
    """Layers the entries make at least: those without when:, literal repeats (others count once)."""
    total = 0
    for entry in entries:
        if entry.when is not None:
            continue
        if isinstance(entry, Group):
            total += lower_bound(entry.entries, blocks, memo)
        elif isinstance(entry, OpLayer):
            total += 1
        elif isinstance(entry, Branches):
            total += 1 + sum(lower_bound(branch.entries or [], blocks, memo) for branch in entry.branches)
        else:
            if entry.block not in memo:
                memo[entry.block] = lower_bound(blocks[entry.block].entries, blocks, memo)
            repeat = entry.repeat.value if isinstance(entry.repeat, Scalar) else None
            times = repeat if isinstance(repeat, int) and not isinstance(repeat, bool) and repeat > 1 else 1
            total += times * memo[entry.block]
    return total
