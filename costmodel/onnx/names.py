"""Node names from the exporter's scopes: ``/features/features.3/conv/conv.0/Conv`` -> ``features.3.conv.0``.

PyTorch's exporter names a node by the module path that made it, one ``/`` part per module, each part the
child's name prefixed by its parent's when the parent is a container (``features`` / ``features.3``), and
ends with the op (``Conv``, ``Relu_1``). The op part is dropped; a part that extends the one before it
replaces it; dots then separate scopes. Characters other than letters, digits, ``_`` and ``-`` become ``_``.
Names without ``/`` (``Conv_12``, tf2onnx's ``model/conv2d/Conv2D`` aside) are kept whole. Two nodes that
map to the same name are told apart by the op kind (``features.3.conv.0_relu``), then by a count.
"""
from __future__ import annotations

import re

_BAD = re.compile(r"[^A-Za-z0-9_\-]+")


def scope_path(onnx_name: str) -> list[str]:
    """The dotted scope parts of an ONNX node name (possibly empty)."""
    parts = [p for p in onnx_name.split("/") if p]
    if len(parts) > 1:
        parts = parts[:-1]  # the op part
    merged: list[str] = []
    for part in parts:
        if merged and part.startswith(merged[-1] + "."):
            merged[-1] = part
        else:
            merged.append(part)
    pieces = []
    for part in merged:
        pieces.extend(p for p in (_BAD.sub("_", piece).strip("_") or "" for piece in part.split(".")) if p)
    return pieces


class Namer:
    """Hands out unique dotted names, as scope parts plus a leaf, in the order nodes are added."""

    def __init__(self, taken=()):
        self.used: set[str] = set(taken)

    def name(self, onnx_name: str, kind: str, index: int) -> list[str]:
        parts = scope_path(onnx_name) or [f"{kind}{index}"]
        base = ".".join(parts)
        if base not in self.used:
            self.used.add(base)
            return parts
        leaf = f"{parts[-1]}_{kind}"
        candidate, count = leaf, 2
        while ".".join([*parts[:-1], candidate]) in self.used:
            candidate = f"{leaf}_{count}"
            count += 1
        parts = [*parts[:-1], candidate]
        self.used.add(".".join(parts))
        return parts


def identifier(text: str, fallback: str) -> str:
    """``text`` when it is a name a symbol can take (a letter, then letters, digits or _), else ``fallback``."""
    return text if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", text or "") else fallback


def tensor_name(text: str, fallback: str) -> str:
    """A graph input's name made acceptable to the IR (letters, digits, ``_`` and ``-``)."""
    cleaned = _BAD.sub("_", text).strip("_")
    return cleaned or fallback
