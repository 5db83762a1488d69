"""The vocabulary of ``costmodel.guidelines``: the guideline names, default thresholds, the typed findings
(one dataclass per guideline), their summaries and the ``Check`` that holds them."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Mapping

from ..errors import UsageError
from ..values import is_symbolic, show, suggest


GUIDELINES = ("G1", "G2", "G3", "G4")
#: Default thresholds: G1 and G2 on ``ratio``, G3 on ``paths`` (and ``kernels`` when set), G4 on ``share``.
THRESHOLDS: Mapping[str, float | None] = {"G1": 1.05, "G2": 1.05, "G3": 2, "G3-kernels": None, "G4": 0.5,
                                          "G4-time": None}
TITLES = {"G1": "equal channel width minimises mac (1x1 convs: mac against 2*sqrt(hw*B) + B/hw)",
          "G2": "excessive group convolution increases mac (group convs: mac against fewer groups, same flops)",
          "G3": "network fragmentation reduces parallelism (paths and kernels per block)",
          "G4": "element-wise operations are non-negligible (their share of mac)"}


@dataclass(frozen=True)
class G1Finding:
    """A 1x1 convolution whose mac exceeds the G1 bound at its flops ``B``: ``hw = N*h*w``, the widths, its
    ``mac`` (the analysis's), the ``bound`` ``2*sqrt(hw*B) + B/hw`` (+ bias elements), ``excess = mac -
    bound``, ``ratio = mac / bound`` and the ``balanced`` width ``sqrt(B/hw)`` of both sides."""

    guideline: ClassVar[str] = "G1"
    layer: str
    block: str
    hw: int
    c1: int
    c2: int
    flops: int
    mac: int
    bound: float
    excess: float
    ratio: float
    balanced: float
    over: bool

    @property
    def value(self) -> float:
        return self.ratio


@dataclass(frozen=True)
class GroupAlternative:
    """The same flops with ``groups`` groups: ``out_channels`` = c2*groups/g, its ``mac`` and the layer's
    ``excess`` over it."""

    groups: int
    out_channels: int
    mac: int
    excess: int


@dataclass(frozen=True)
class G2Finding:
    """A group convolution: its ``groups``, widths, ``mac``, the ``alternatives`` with fewer groups at the
    same flops (g' = 1 first), ``excess`` and ``ratio`` against g' = 1."""

    guideline: ClassVar[str] = "G2"
    layer: str
    block: str
    groups: int
    kernel: tuple
    c1: int
    c2: int
    flops: int
    mac: int
    alternatives: tuple
    excess: int
    ratio: float
    over: bool

    @property
    def value(self) -> float:
        return self.ratio


@dataclass(frozen=True)
class G3Finding:
    """A block with more than one path: ``paths`` from its inputs to its outputs, ``kernels`` (nodes that
    run) and ``fragments`` (convolutions, fully connected layers, matrix products)."""

    guideline: ClassVar[str] = "G3"
    block: str
    paths: int
    kernels: int
    fragments: int
    over: bool

    @property
    def value(self) -> int:
        return self.paths


@dataclass(frozen=True)
class G4Finding:
    """Element-wise mac of a block (or of the ``network``): its ``mac``, ``elementwise`` mac, ``share`` of
    it, ``depthwise`` convolutions' mac and ``share_with_depthwise``; with a device, ``time_share``, the
    element-wise ops' share of the block's predicted seconds (None without one)."""

    guideline: ClassVar[str] = "G4"
    block: str
    mac: int
    elementwise: int
    share: float
    depthwise: int
    share_with_depthwise: float
    over: bool
    time_share: float | None = None

    @property
    def value(self) -> float:
        return self.share


@dataclass(frozen=True)
class Summary:
    """Per guideline: how many layers or blocks were ``checked`` (G4: the blocks and the network), how many
    ``findings``, how many ``over`` the
    ``threshold``, and the ``worst`` finding's place and value."""

    guideline: str
    checked: int
    findings: int
    over: int
    threshold: float | None
    worst: str | None = None
    worst_value: float | None = None


@dataclass(frozen=True)
class Check:
    """The result of ``check``: the network's ``name`` and ``parameters``, the ``thresholds`` used, the
    ``findings`` (G1, G2, G3, G4 in graph order) and one ``Summary`` per guideline."""

    name: str
    parameters: dict
    fuse: tuple
    thresholds: dict
    findings: tuple
    summaries: dict = field(default_factory=dict)
    device: str | None = None

    def of(self, guideline: str) -> list:
        """The findings of one guideline."""
        return [f for f in self.findings if f.guideline == guideline]

    def failing(self, guidelines: Iterable[str]) -> list:
        """The findings of ``guidelines`` over their thresholds (what ``--fail-on`` exits 1 for)."""
        wanted = set(check_guidelines(guidelines))
        return [f for f in self.findings if f.guideline in wanted and f.over]


def check_guidelines(names: Iterable[str]) -> list[str]:
    """Guideline names checked (``G1`` ... ``G4``, any case), upper-cased; one UsageError for an unknown one."""
    if isinstance(names, str):
        names = [names]
    chosen = []
    for name in names:
        word = str(name).strip().upper()
        if word not in GUIDELINES:
            raise UsageError(f"unknown guideline {show(name, limit=40)}{suggest(word, GUIDELINES)}; the guidelines "
                             f"are {', '.join(GUIDELINES)}")
        chosen.append(word)
    return chosen


def thresholds_of(given: Mapping[str, Any] | None) -> dict:
    """``THRESHOLDS`` with ``given`` ones replaced (names as in ``THRESHOLDS``, any case; None turns a check
    off); each a positive number."""
    chosen = dict(THRESHOLDS)
    for key, value in (given or {}).items():
        name = next((k for k in THRESHOLDS if k.upper() == str(key).strip().upper()), None)
        if name is None:
            raise UsageError(f"unknown threshold {show(key, limit=40)}{suggest(str(key).upper(), THRESHOLDS)}; the "
                             f"thresholds are {', '.join(THRESHOLDS)}")
        if value is not None:
            given_value = value
            if isinstance(value, bool) or is_symbolic(value) or not isinstance(value, (int, float)) and \
                    not hasattr(value, "denominator"):
                raise UsageError(f"threshold {name} must be a number, got {show(value, limit=40)}")
            if name.startswith("G3"):
                if value != int(value) or value < 0:
                    raise UsageError(f"threshold {name} counts paths or kernels: a whole number of at least 0, "
                                     f"got {show(given_value)}")
                value = int(value)
            else:
                value = float(value)
                if not math.isfinite(value) or value < 0:
                    raise UsageError(f"threshold {name} must be a finite number of at least 0, got {show(given_value)}")
        chosen[name] = value
    return chosen
