"""The ``Op`` base class: hyper-parameters as frozen dataclass fields, shape and cost rules beside them.

Every rule works per sample (batch left out) on shapes such as ``(C, H, W)`` or ``(F,)``; the analysis
scales by the batch. Cost rules:

* ``params(inputs)``: learnable parameters (weights, biases, BatchNorm gamma and beta).
* ``multiply_adds(inputs, outputs)``: the op's multiply-adds under the ``all`` convention;
  ``paper_multiply_adds`` those under ``paper``, by default all of them for ops ``counted_in_paper``
  (convolutions and fully connected layers) and none for the others.
* ``elements_read`` / ``elements_written``: feature-map elements moved, for ``mac`` (ShuffleNet V2's memory
  access cost: inputs, outputs and parameters each counted once).
* ``receptive_field(field, inputs)``: how the op maps the ``ReceptiveField`` of its input.

What the rest of the library needs to know about an op, the op states (class attributes and methods):

* ``kind``: its name in spec files and JSON, given by ``@op_kind`` (``costmodel.ops.registry``).
* ``category``: its family, one of ``CATEGORIES`` (``elementwise`` is the element-wise ops: BatchNorm,
  activations, Add, Mul, LocalResponseNorm); ``analysis.group_by("category")`` groups by it.
* ``table_class(inputs)``: its row in op tables (MobileNet v1's Table 2): the category's label
  (``CATEGORIES``), convolutions with their kernel (``conv 1x1``, ``depthwise 3x3``, ``conv 3x3``).
* ``fusion_role``: what it is to the fusion switches, one of ``FUSION_ROLES`` or ``""``; ``absorbs``: the
  roles of the ops that may fold into it when they read it (a convolution absorbs a ``normalisation`` and an
  ``activation``).
* ``spatial_fields``: for an op whose rules keep a ``[C, H, W]`` tensor's channels apart from its height and
  width (they relate channels to channels and to the other fields, heights and widths to heights, widths
  and these fields: Conv2d checks groups against channels, its kernel against the padded height), the
  fields that act on height and width; ``None`` (the default) when its rules may relate the two. Sweeps
  evaluate channel and spatial parameters apart where every op allows it (``costmodel.numeric``).
  ``channel_relations(inputs, outputs)`` then says which channel-side values its rules compare (a
  Conv2d compares its groups with its input and its output channels, never the two with each other);
  ``None``, the default, is all of them together.
* ``per_sample``: False for an op whose output is the same for every sample (a ``costmodel.ops.Constant``):
  the analysis counts it, and what is computed from such outputs alone, once per batch.
* ``hyper_parameter_kinds``: each field's kind read from its annotation (``flag``, ``text``, ``number``,
  ``size``), filled in by ``@op_kind``; fields are annotated with the types below.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Mapping, NamedTuple, Protocol, Union

from .. import limits
from ..dims import (Dim, Shape, TooLarge, as_dim, ceil_div, fmt, is_relaxed, is_symbolic, known, larger, pair,
                    product, smaller, surely_below)
from ..errors import OpError


class Expression(Protocol):
    """A sympy expression standing for a whole number (typed by what it has, so that ops never import sympy)."""

    @property
    def free_symbols(self) -> set: ...


# the types of op fields (hyper-parameters); the spec builder reads them through ``hyper_parameter_kinds``
Size = Union[int, Expression]  # a whole number or a symbol: out_channels, groups
SizePair = Union[Size, tuple[Size, Size]]  # one size for both axes or (height, width), stored as the pair
Sizes = tuple[Size, ...]  # a list of sizes: Split's sizes, Reshape's shape
Ints = tuple[int, ...]  # a list of whole numbers, negative ones counting from the end: axes, a permutation

# category (family) -> its class in op tables
CATEGORIES = {"conv": "conv", "fc": "fc", "pool": "pool", "elementwise": "element-wise", "movement": "data movement",
              "matmul": "matmul"}
# what an op can be to the fusion switches of costmodel.analysis
FUSION_ROLES = ("activation", "normalisation", "channel shuffle", "channel split")


class ReceptiveField(NamedTuple):
    """Receptive field (rows, cols) of one output element on the graph input, and effective stride."""

    size_h: Any
    size_w: Any
    stride_h: Any
    stride_w: Any

    @classmethod
    def unit(cls) -> "ReceptiveField":
        return cls(1, 1, 1, 1)

    def window(self, kernel: tuple, stride: tuple, dilation: tuple = (1, 1)) -> "ReceptiveField":
        """The field after a sliding window: ``rf + (d(k-1)) * jump``, ``jump * s``."""
        (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
        return ReceptiveField(self.size_h + dh * (kh - 1) * self.stride_h,
                              self.size_w + dw * (kw - 1) * self.stride_w, self.stride_h * sh, self.stride_w * sw)

    def merge(self, other: "ReceptiveField") -> "ReceptiveField":
        """Where branches join, an output sees the union: the larger field, the coarser stride."""
        return ReceptiveField(*(larger(a, b) for a, b in zip(self, other)))


def numel(shape: Shape) -> Dim:
    """Number of elements of a per-sample shape."""
    return product(shape)


@dataclass(frozen=True)
class Op:
    """Base of every op. Subclasses are frozen dataclasses; see the module docstring for the rules."""

    kind: ClassVar[str] = "op"
    category: ClassVar[str] = "other"  # one of CATEGORIES for a registered op
    counted_in_paper: ClassVar[bool] = False
    fusion_role: ClassVar[str] = ""  # one of FUSION_ROLES, or "" for an op that never folds away
    absorbs: ClassVar[frozenset[str]] = frozenset()  # roles of the ops that may fold into this one
    spatial_fields: ClassVar[tuple[str, ...] | None] = None  # see the module doc
    hyper_parameter_kinds: ClassVar[Mapping[str, str]] = MappingProxyType({})  # set by @op_kind
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    multiple_outputs: ClassVar[bool] = False
    per_sample: ClassVar[bool] = True  # False: the output is the same for every sample (a constant)

    # ----- helpers for subclasses -------------------------------------------------------------------------
    @property
    def op_name(self) -> str:
        return type(self).__name__

    def fail(self, parameter: str, message: str) -> OpError:
        return OpError(self.op_name, parameter, message)

    def _normalise(self, name: str, value: Any, *, as_pair: bool = False, minimum: int | None = 1) -> Any:
        """Check a hyper-parameter (integer or symbol, at least ``minimum``) and store it normalised."""
        if type(value) is int and -limits.MAX_DIMENSION <= value <= limits.MAX_DIMENSION and \
                (minimum is None or value >= minimum):
            object.__setattr__(self, name, (value, value) if as_pair else value)  # the common case, first
            return getattr(self, name)
        try:
            normal = pair(value, name) if as_pair else as_dim(value, name)
        except TooLarge as error:
            raise self.fail(name, error.constraint) from None
        except TypeError as error:
            raise self.fail(name, f"must be an integer or a symbol{' or a pair' if as_pair else ''}, "
                                  f"got {value!r}") from error
        if minimum is not None:
            for part in (normal if as_pair else (normal,)):
                if surely_below(part, minimum):
                    raise self.fail(name, f"must be at least {minimum}, got {fmt(part)}")
        object.__setattr__(self, name, normal)
        return normal

    def _flag(self, name: str) -> None:
        """Check a true/false hyper-parameter."""
        if not isinstance(getattr(self, name), bool):
            raise self.fail(name, f"must be true or false, got {getattr(self, name)!r}")

    def expect_rank(self, shape: Shape, rank: int, what: str = "input") -> None:
        if len(shape) != rank:
            layout = {3: "[C, H, W]", 1: "[features]"}.get(rank, f"rank {rank}")
            raise self.fail(what, f"must have shape {layout}, got {fmt(shape)}")

    # ----- rules (defaults suit element-wise ops) -----------------------------------------------------------
    def output_shapes(self, inputs: tuple[Shape, ...]) -> tuple[Shape, ...]:
        return (inputs[0],)

    def params(self, inputs: tuple[Shape, ...]) -> Dim:
        return 0

    def multiply_adds(self, inputs: tuple[Shape, ...], outputs: tuple[Shape, ...]) -> Dim:
        """Multiply-adds under the ``all`` convention (every arithmetic step of the op)."""
        return 0

    def paper_multiply_adds(self, inputs: tuple[Shape, ...], outputs: tuple[Shape, ...]) -> Dim:
        """Multiply-adds under the ``paper`` convention: those of weights (convolutions, fully connected)."""
        return self.multiply_adds(inputs, outputs) if self.counted_in_paper else 0

    def elements_read(self, inputs: tuple[Shape, ...], outputs: tuple[Shape, ...]) -> Dim:
        return sum((numel(s) for s in inputs), 0)

    def elements_written(self, inputs: tuple[Shape, ...], outputs: tuple[Shape, ...]) -> Dim:
        return sum((numel(s) for s in outputs), 0)

    def receptive_field(self, field: ReceptiveField, inputs: tuple[Shape, ...]) -> ReceptiveField:
        return field

    def table_class(self, inputs: tuple[Shape, ...]) -> str:
        """The op's row in op tables: its category's label (convolutions add their kernel)."""
        return CATEGORIES.get(self.category, self.category)

    def channel_relations(self, inputs: tuple[Shape, ...], outputs: tuple[Shape, ...]) -> list | None:
        """The sets of channel-side values its rules compare (see the module doc); None: all together."""
        return None

    def attributes(self) -> dict[str, Any]:
        """Hyper-parameters as a plain dict (for tables and JSON)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def check_arity(self, count: int) -> None:
        if count < self.min_inputs or (self.max_inputs is not None and count > self.max_inputs):
            if self.max_inputs == self.min_inputs:
                wanted = f"exactly {self.min_inputs}"
            elif self.max_inputs is None:
                wanted = f"at least {self.min_inputs}"
            else:
                wanted = f"{self.min_inputs} to {self.max_inputs}"
            raise self.fail("inputs", f"takes {wanted} input tensor(s), got {count}")


def sliding_output(op: Op, axis: str, size: Dim, kernel: Dim, stride: Dim, padding: Dim,
                   dilation: Dim = 1, ceil_mode: bool = False) -> Dim:
    """Output length of a sliding window: ``floor((n + 2p - d(k-1) - 1) / s) + 1`` (ceil with ceil_mode).

    Refuses a window larger than the padded input, as PyTorch does. Built relaxed
    (``costmodel.dims.relaxed``), a symbolic size gives ``n/s``: exact for "same" padding on sizes
    that ``s`` divides, the leading term otherwise.
    """
    if is_relaxed() and is_symbolic(size):
        return size / stride
    if type(size) is int:
        return _sliding(op, axis, size, kernel, stride, padding, dilation, ceil_mode)
    key = (size, kernel, stride, padding, dilation, ceil_mode)
    key += tuple(type(v) for v in key)  # 3 and sympy's Integer(3) are equal keys, their results not the same type
    out = _SLIDING.get(key)
    if out is None:
        if len(_SLIDING) > 100_000:  # bounded memory over a long session
            _SLIDING.clear()
        out = _SLIDING[key] = _sliding(op, axis, size, kernel, stride, padding, dilation, ceil_mode)
    return out


_SLIDING: dict = {}  # a symbolic size: the same window on it recurs layer after layer, and sympy is slow to decide it


def _sliding(op: Op, axis: str, size: Dim, kernel: Dim, stride: Dim, padding: Dim, dilation: Dim,
             ceil_mode: bool) -> Dim:
    span = dilation * (kernel - 1) + 1
    padded = size + 2 * padding
    if known(span > padded) is True:
        raise op.fail("kernel", f"({fmt(span)} with dilation) is larger than the padded input {axis} "
                                f"{fmt(padded)} (input {fmt(size)}, padding {fmt(padding)})")
    if ceil_mode:
        # PyTorch drops a last window that would start in the right padding: with padding at most half the
        # kernel that is exactly min(ceil((n + 2p - span)/s) + 1, ceil((n + p)/s)). The last window starts at
        # s*ceil((n + 2p - span)/s) <= n + 2p - span + s - 1, before n + p whenever p + s <= span: then the
        # first term is the smaller one, and a closed form needs no Min (which sympy is slow to build)
        first = ceil_div(padded - span, stride) + 1
        if known(padding + stride <= span) is True:
            return first
        return smaller(first, ceil_div(size + padding, stride))
    return (padded - span) // stride + 1
