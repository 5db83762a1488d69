"""Node names from the exporter's scopes: ``/features/features.3/conv/conv.0/Conv`` -> ``features.3.conv.0``.

PyTorch's exporter names a node by the module path that made it, one ``/`` part per module, each part the
child's name prefixed by its parent's when the parent is a container (``features`` / ``features.3``), and
ends with the op (``Conv``, ``Relu_1``). The op part is dropped; a part that extends the one before it
replaces it; dots then separate scopes. Characters other than letters, digits, ``_`` and ``-`` become ``_``
(a part cannot start with ``-``; ``input`` and ``inputs``, words of the spec format, take a trailing ``_``).
Names without ``/`` (``Conv_12``, tf2onnx's ``model/conv2d/Conv2D`` aside) are kept whole. Two nodes that
map to the same name are told apart by the op kind (``features.3.conv.0_relu``), then by a count. A
node named like a scope of others (``layer1.0`` beside ``layer1.0.conv1``) is named inside it by its op
kind (``layer1.0.add``): no name is both a node and a scope, so every scope's nodes are its own. A file
written by ``costmodel export`` (producer ``costmodel``) keeps its names exactly: the part before a ``/``
is the layer's name.
"""
from __future__ import annotations

import re

_BAD = re.compile(r"[^A-Za-z0-9_\-]+")
#: names a spec gives a meaning of its own (the input of a scope): a part spelt so is written with a ``_``
SPEC_WORDS = frozenset({"input", "inputs"})


def _part(piece: str) -> str:
    """One scope part made a valid name: other characters become ``_``; no leading ``-`` or ``_``."""
    cleaned = _BAD.sub("_", piece).strip("_").lstrip("-").strip("_")
    return cleaned + "_" if cleaned in SPEC_WORDS else cleaned


_IR_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]*")


def exported_path(onnx_name: str) -> list[str] | None:
    """The parts of a name ``costmodel export`` wrote (``stage2.0.conv1``, or ``stage2.0.shuffle/group`` for a
    helper of that layer), kept exactly; None when the name is not one our graphs can have."""
    layer = onnx_name.split("/", 1)[0]
    parts = layer.split(".")
    if all(_IR_PART.fullmatch(p) and p not in SPEC_WORDS for p in parts):
        return parts
    return None


def scope_path(onnx_name: str, exported: bool = False) -> list[str]:
    """The dotted scope parts of an ONNX node name (possibly empty); ``exported``: a file costmodel wrote,
    whose names are kept exactly (``exported_path``) where they can be."""
    if exported:
        parts = exported_path(onnx_name)
        if parts is not None:
            return parts
    parts = [p for p in onnx_name.split("/") if p]
    if len(parts) > 1:
        parts = parts[:-1]  # the op part
    merged: list[str] = []
    for part in parts:
        if merged and part.startswith(merged[-1] + "."):
            merged[-1] = part
        else:
            merged.append(part)
    return [piece for part in merged for piece in map(_part, part.split(".")) if piece]


def scopes_of(paths) -> set[str]:
    """Every dotted scope of the names ``paths`` (lists of parts): their proper prefixes (``layer1`` and
    ``layer1.0`` for ``layer1.0.conv1``)."""
    return {".".join(parts[:depth]) for parts in paths for depth in range(1, len(parts))}


class Namer:
    """Hands out unique dotted names, as scope parts plus a leaf, in the order nodes are added.

    ``onnx_names`` are the names of all the model's nodes, known before the first is named: a node named
    like a scope of others (ResNet's residual Add, ``/layer1/layer1.0/Add`` -> ``layer1.0``, beside
    ``layer1.0.conv1``) takes its op kind as a leaf inside that scope (``layer1.0.add``), so the scope's
    totals include it and no name is both a node and a scope. A name made up so (or to tell two nodes
    apart) also avoids the names other nodes take by themselves.
    """

    def __init__(self, taken=(), onnx_names=(), exported: bool = False):
        self.used: set[str] = set(taken)
        self.exported = exported
        paths = [scope_path(name, exported) for name in onnx_names]
        self.scopes: set[str] = scopes_of(paths)
        self.natural: set[str] = {".".join(parts) for parts in paths}

    def name(self, onnx_name: str, kind: str, index: int) -> list[str]:
        parts = scope_path(onnx_name, self.exported) or [f"{kind}{index}"]
        base = ".".join(parts)
        if base in self.scopes:
            parts = [*parts, kind]
        if not self._free(".".join(parts), made_up=".".join(parts) != base):
            leaf = f"{parts[-1]}_{kind}"
            candidate, count = leaf, 2
            while not self._free(".".join([*parts[:-1], candidate]), made_up=True):
                candidate = f"{leaf}_{count}"
                count += 1
            parts = [*parts[:-1], candidate]
        self.used.add(".".join(parts))
        return parts

    def _free(self, name: str, made_up: bool) -> bool:
        return name not in self.used and name not in self.scopes and not (made_up and name in self.natural)


def identifier(text: str, fallback: str) -> str:
    """``text`` when it is a name a symbol can take (a letter, then letters, digits or _), else ``fallback``."""
    return text if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", text or "") else fallback


def tensor_name(text: str, fallback: str) -> str:
    """A graph input's name made acceptable to the IR (letters, digits, ``_`` and ``-``)."""
    cleaned = _BAD.sub("_", text).strip("_")
    return cleaned or fallback
