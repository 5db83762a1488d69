"""The registry of op kinds: ``@op_kind("name")`` on an op class registers it in ``OPS``.

Registration refuses, at import, a kind already taken (the first class keeps it), a kind that is not a
lower-case name, a category or fusion role outside the vocabulary of ``costmodel.ops.base``, and a field
whose annotation says nothing about the values it takes. It records each field's kind, read from its type
with ``typing.get_type_hints`` (the annotation is the one statement of the type, seen alike by type
checkers, the docs and the spec builder):

* ``flag``: ``bool``; ``text``: ``str`` or a ``Literal`` of texts; ``number``: ``float``;
* ``size``: ``int``, ``Size``, ``SizePair`` or
  ``Sizes``, ``Ints``; any of them may be ``| None`` (left out when null).
"""
from __future__ import annotations

import dataclasses
import re
import types
import typing
from types import MappingProxyType
from typing import Any, Callable, Literal, Union

from .base import CATEGORIES, FUSION_ROLES, Ints, Op, Size, SizePair, Sizes

OPS: dict[str, type[Op]] = {}  # kind -> op class, in the order the classes registered

HYPER_PARAMETER_KINDS = {bool: "flag", str: "text", float: "number", int: "size", Size: "size", SizePair: "size",
                         Sizes: "size", Ints: "size"}


def op_kind(kind: str) -> Callable[[type[Op]], type[Op]]:
    """Register the decorated op class (a frozen dataclass: put ``@op_kind`` above ``@dataclass``) as ``kind``."""

    def register(cls: type[Op]) -> type[Op]:
        where = f"op class {cls.__module__}.{cls.__qualname__}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", kind):
            raise TypeError(f"{where}: kind {kind!r} must be lower-case letters, digits and '_'")
        if kind in OPS:
            first = OPS[kind]
            raise TypeError(f"{where}: op kind {kind!r} is already registered by {first.__module__}."
                            f"{first.__qualname__}; each kind names one op class")
        if not (isinstance(cls, type) and issubclass(cls, Op)) or "__dataclass_fields__" not in vars(cls):
            raise TypeError(f"{where}: @op_kind takes a subclass of Op made a dataclass (put it above @dataclass)")
        if cls.category not in CATEGORIES:
            raise TypeError(f"{where}: category {cls.category!r} is not one of {', '.join(CATEGORIES)}")
        for role in (cls.fusion_role, *cls.absorbs):
            if role and role not in FUSION_ROLES:
                raise TypeError(f"{where}: fusion role {role!r} is not one of {', '.join(FUSION_ROLES)}")
        cls.kind = kind
        cls.hyper_parameter_kinds = MappingProxyType(_field_kinds(cls, where))
        OPS[kind] = cls
        return cls

    return register


def _field_kinds(cls: type[Op], where: str) -> dict[str, str]:
    hints = typing.get_type_hints(cls)
    kinds = {}
    for field in dataclasses.fields(cls):
        kind = _kind_of(hints[field.name])
        if kind is None:
            raise TypeError(f"{where}: field {field.name} is annotated {hints[field.name]!r}; annotate it bool, "
                            f"str (or a Literal of texts), float, or a size (int, Size, SizePair, Sizes, Ints), "
                            f"optionally | None")
        kinds[field.name] = kind
    return kinds


def _kind_of(hint: Any) -> str | None:
    if typing.get_origin(hint) in (Union, types.UnionType) and type(None) in typing.get_args(hint):
        rest = tuple(arg for arg in typing.get_args(hint) if arg is not type(None))
        hint = Union[rest]  # Union of one type is that type
    if typing.get_origin(hint) is Literal and all(isinstance(arg, str) for arg in typing.get_args(hint)):
        return "text"
    try:
        return HYPER_PARAMETER_KINDS.get(hint)
    except TypeError:  # an unhashable annotation
        return None
