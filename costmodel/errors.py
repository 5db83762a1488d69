"""Every error a user can cause is a ``CostModelError``; the CLI prints it as one line, exit status 2.

The kinds say where the mistake was made:

* ``OpError``: an op's hyper-parameter or shape rule is violated. The message names the op, the
  parameter, the constraint and the values seen, e.g.
  ``Conv2d groups must divide input channels, but 3 does not divide 32``.
* ``NodeError``: an ``OpError`` (or another error) re-raised with the graph node that caused it,
  e.g. ``node 'stage2.0.conv1' (Conv2d): groups must divide input channels, but 3 does not divide 32``.
* ``GraphError``: the graph itself is malformed (duplicate names, a tensor of another graph).
* ``SpecError``: a hand-written spec file is wrong; carries ``file:line:col``.
* ``UsageError``: a bad value from the command line or a builder argument.
* ``ModelError``: an imported model file (ONNX) is unreadable, malformed or uses what we cannot cost;
  the message starts with the file and the model's node name.
"""
from __future__ import annotations


class CostModelError(Exception):
    """Base class of every error caused by user input."""


class OpError(CostModelError):
    """An op's hyper-parameter or shape constraint is violated."""

    def __init__(self, op: str, parameter: str, message: str):
        self.op = op
        self.parameter = parameter
        super().__init__(f"{op} {parameter} {message}")


class NodeError(CostModelError):
    """An error raised while adding or analysing a node, re-raised with the node's name."""

    def __init__(self, node: str, op: str, cause: Exception):
        self.node = node
        self.op = op
        self.cause = cause
        detail = str(cause)
        if isinstance(cause, OpError) and detail.startswith(cause.op + " "):
            detail = detail[len(cause.op) + 1:]
        super().__init__(f"node '{node}' ({op}): {detail}")


class GraphError(CostModelError):
    """The graph is malformed: duplicate node names, tensors from another graph, unknown nodes."""


class UsageError(CostModelError):
    """A bad argument: a command-line option, a zoo parameter, a builder argument."""


class SpecError(CostModelError):
    """A mistake in a spec file, located as ``file:line:col``."""

    def __init__(self, message: str, file: str = "<spec>", line: int | None = None, col: int | None = None):
        self.file = file
        self.line = line
        self.col = col
        self.message = message
        where = file
        if line is not None:
            where += f":{line}"
            if col is not None:
                where += f":{col}"
        super().__init__(f"{where}: {message}")


def printable(text: str) -> str:
    """``text`` with every control character (a line break, a terminal escape) shown as its ``\\n`` /
    ``\\x1b``-style escape: what error messages and terminal tables show of names taken from user files."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class ModelError(CostModelError):
    """A model file (ONNX) that cannot be read or costed: ``model.onnx: node '/stem/Conv' (Conv): ...``.

    Names come from the file: control characters in them (a line break, a terminal escape) are shown as
    ``\\n``-style escapes, so the message stays one plain line."""

    def __init__(self, message: object = ""):
        super().__init__(printable(str(message)))


class ExportError(CostModelError):
    """A network that cannot be written as an ONNX model: ``cannot export node 'shift1' (Shift): ...``."""

    def __init__(self, message: object = ""):
        super().__init__(printable(str(message)))
