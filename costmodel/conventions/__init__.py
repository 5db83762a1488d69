"""Counting conventions: how many multiply-adds each op counts for, one rule table per convention.

A ``Convention`` is a table ``op kind -> Rule`` and a default rule for the kinds it leaves out. Two are
costmodel's own, their rules being the ops' own (``costmodel.ops.base``):

* ``paper``: ``op.paper_multiply_adds`` (convolutions and fully connected layers, biases excluded);
* ``all``: ``op.multiply_adds`` (every op's arithmetic).

Six reproduce other counters, pinned to the versions in ``TOOL_VERSIONS`` (ptflops 0.7.5, fvcore
0.1.5.post20221221, thop 0.1.1.post2209072238, torchinfo 1.8.0, torch 2.13.0); their tables are in
``costmodel.conventions.tools``: ``ptflops`` (its default ``pytorch`` backend), ``ptflops-aten``,
``fvcore``, ``thop``, ``torchinfo`` and ``torch`` (``FlopCounterMode``, 2 per multiply-add).

A tool's rule may depend on how the op is called in PyTorch (``CALLS``): ptflops counts ``nn.ReLU`` twice
(its module hook and its patched ``F.relu`` both fire) and a bare ``F.relu`` once. Which call an op is, the
graph's torch binding says (``costmodel.conventions.torchvision.calls``): torchvision's own for the zoo
networks it names, otherwise ``DEFAULT_CALLS``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

CALLS = ("module", "functional", "method", "operator")  # nn.ReLU(), F.relu(x), x.mean(...), x + y
# how torchvision calls each op kind unless a binding says otherwise
DEFAULT_CALLS = MappingProxyType({"add": "operator", "mul": "operator", "sub": "operator", "div": "operator",
                                  "concat": "functional", "split": "method", "channel_shuffle": "functional",
                                  "flatten": "functional", "reshape": "method", "transpose": "method",
                                  "matmul": "functional", "einsum": "functional"})

Counter = Callable[[Any, tuple, tuple, str], Any]  # (op, input shapes, output shapes, call) -> count per sample


@dataclass(frozen=True)
class Rule:
    """One op kind's count under a convention: ``text`` states it (the docs print it), ``count`` computes it."""

    text: str
    count: Counter


@dataclass(frozen=True)
class Convention:
    """A rule table keyed by op kind, and what the tool prints: ``unit`` and whether it counts per image."""

    name: str
    summary: str
    unit: str = "multiply-adds"
    per_image: bool = False  # the tool reports per image whatever the batch (ptflops)
    rules: Mapping[str, Rule] = field(default_factory=dict)
    default: Rule = Rule("0 (not counted)", lambda op, inputs, outputs, call: 0)
    tool: str = ""  # the pinned tool and version; "" for costmodel's own
    run: str = ""  # how the tool was run to record its counts

    def rule(self, kind: str) -> Rule:
        return self.rules.get(kind, self.default)

    def count(self, op, inputs: tuple, outputs: tuple, call: str = "module") -> Any:
        """The op's count per sample under this convention (the analysis scales it by the batch)."""
        return self.rule(op.kind).count(op, inputs, outputs, call)


PAPER = Convention("paper", "multiply-adds of convolutions and fully connected layers, biases excluded",
                   default=Rule("the op's paper rule (conv, fc: multiply-adds; others 0)",
                                lambda op, inputs, outputs, call: op.paper_multiply_adds(inputs, outputs)))
ALL = Convention("all", "every op's arithmetic, as each op states it",
                 default=Rule("the op's own rule (see the op reference)",
                              lambda op, inputs, outputs, call: op.multiply_adds(inputs, outputs)))


def _registry() -> dict[str, Convention]:
    from .tools import TOOL_CONVENTIONS
    return {"paper": PAPER, "all": ALL, **{c.name: c for c in TOOL_CONVENTIONS}}


REGISTRY: Mapping[str, Convention] = MappingProxyType(_registry())
CONVENTIONS = tuple(REGISTRY)
TOOLS = tuple(name for name in CONVENTIONS if REGISTRY[name].tool)
TOOL_VERSIONS = MappingProxyType({name: REGISTRY[name].tool for name in TOOLS})  # the pinned tool of each


def convention(name: str) -> Convention:
    return REGISTRY[name]
