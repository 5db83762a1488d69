"""Spec text -> a tree of YAML values that know their ``line:col``, read safely.

We read PyYAML's event stream (``yaml.parse`` with the SafeLoader's scanner and parser) and build the tree
ourselves rather than calling a constructor, so that:

* every value keeps its position for error messages;
* only plain YAML comes through: explicit tags other than the standard scalar ones (``!!python/...``)
  are refused, as are merge keys (``<<``) and keys that are not scalars;
* a duplicate key is an error (YAML parsers usually keep the last one silently);
* aliases are shared, never copied, and their expanded size is counted as they are read: an alias bomb
  is refused at the alias that crosses ``MAX_YAML_NODES``; an alias inside the value it names
  (a recursive structure) is refused;
* nesting is limited to ``MAX_YAML_DEPTH`` levels, and a file holds exactly one document.

Plain scalars are resolved by the YAML 1.1 rules (PyYAML's) for ints (decimal, ``0x`` hex, ``0b`` binary,
``_`` between digits), decimals (kept exact as Fractions), booleans and null; everything else is text. Two
YAML 1.1 readings that would silently give another number than the one a reader sees are refused: a whole
number with a leading zero (``010`` is octal 8 in YAML 1.1, 10 in YAML 1.2) and base-60 numbers (``1:30`` is
90). Every number's length and exponent are checked (``MAX_NUMBER_DIGITS``) before it is built,
and an unquoted scalar is at most ``MAX_SCALAR_CHARS`` characters. Lone surrogates (which
``"\\ud800"`` escapes can make) are refused.

libyaml's parser (PyYAML's ``CParser``) is used when PyYAML has it, for speed; a document it refuses is read
again by the pure-Python parser, whose messages are the ones reported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import re
from fractions import Fraction
from typing import Any

import yaml
from yaml.reader import Reader

from .arithmetic import ArithmeticProblem, decimal, shown
from .limits import MAX_NUMBER_DIGITS, MAX_SCALAR_CHARS, MAX_SPEC_CHARS, MAX_YAML_DEPTH, MAX_YAML_NODES
from .problem import Problem, quote

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null")}
_CONTAINER_TAGS = {_TAG + "seq", _TAG + "map"}
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)

_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = {text: value for value, words in ((True, "yes Yes YES true True TRUE on On ON"),
                                           (False, "no No NO false False FALSE off Off OFF"))
          for text in words.split()}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*|0b[01_]+|0x[0-9a-fA-F_]+)")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_BASE_60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)(?:[eE][-+][0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_EXPLICIT_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?")


@dataclass(eq=False)
class Scalar:
    """A scalar: ``value`` is None, a bool, an int, a Fraction (for decimals) or a str; ``text`` as written.

    ``text_col`` is the column of ``text``'s first character when ``text`` sits on one source line exactly
    as written (so a position inside it can be pointed at), else None.
    """

    value: Any
    text: str
    line: int
    col: int
    text_col: int | None = None
    size: int = 1

    def describe(self) -> str:
        if self.value is None:
            return "null"
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, str):
            return f"the text {quote(self.value)}"
        return f"the number {self.text}"


@dataclass(eq=False)
class Sequence:
    """A YAML list."""

    items: list = field(default_factory=list)
    line: int = 1
    col: int = 1
    size: int = 1

    def describe(self) -> str:
        return "a list"


@dataclass(eq=False)
class Mapping:
    """A YAML mapping; ``entries`` maps each key's text to ``(key scalar, value)`` in file order."""

    entries: dict = field(default_factory=dict)
    line: int = 1
    col: int = 1
    size: int = 1

    def describe(self) -> str:
        return "a mapping"

    def get(self, key: str) -> Any:
        entry = self.entries.get(key)
        return None if entry is None else entry[1]

    def key(self, key: str) -> Scalar:
        return self.entries[key][0]


Value = Scalar | Sequence | Mapping


def read_tree(text: str) -> Value:
    """The one YAML document in ``text`` as a located tree; ``Problem`` for anything malformed."""
    if len(text) > MAX_SPEC_CHARS:
        raise Problem(f"the spec has {len(text)} characters, more than the limit of {MAX_SPEC_CHARS}")
    if _FAST_LOADER is not None and not Reader.NON_PRINTABLE.search(text):
        builder = _TreeBuilder()
        try:
            for event in yaml.parse(text, Loader=_FAST_LOADER):
                builder.feed(event)
        except yaml.YAMLError:
            pass  # read again below, for the pure-Python parser's message
        else:
            return _root(builder)
    builder = _TreeBuilder()
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            builder.feed(event)
    except yaml.MarkedYAMLError as error:
        raise _syntax_problem(error) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        col = error.position - text.rfind("\n", 0, error.position)
        character = error.character if isinstance(error.character, int) else ord(error.character)
        raise Problem(f"invalid YAML: unacceptable character #x{character:04x} ({error.reason})",
                      line, col) from None
    except yaml.YAMLError as error:  # any other reader complaint, without a position
        raise Problem(f"invalid YAML: {error}", 1, 1) from None
    return _root(builder)


def _root(builder: "_TreeBuilder") -> Value:
    if builder.root is None:
        raise Problem("the spec is empty: it needs at least input: and layers:", 1, 1)
    return builder.root


def _syntax_problem(error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    message = f"invalid YAML: {error.problem or error.context}"
    if error.context and error.problem and error.context_mark is not None:
        message += f" ({error.context} at line {error.context_mark.line + 1}, column {error.context_mark.column + 1})"
    if "but got '['" in message and "while parsing a flow" in message:  # widths[i] unquoted in { } or [ ]
        message += " (inside { } or [ ], an expression with an index must be quoted: \"widths[i]\")"
    if mark is None:
        return Problem(message, 1, 1)
    return Problem(message, mark.line + 1, mark.column + 1)


class _TreeBuilder:
    """Turns PyYAML events into ``Scalar``, ``Sequence`` and ``Mapping`` values."""

    def __init__(self):
        self.root: Value | None = None
        self.documents = 0
        self.stack: list[list] = []  # [container, pending key scalar or None, anchor]
        self.anchors: dict[str, Value] = {}
        self.open_anchors: set[str] = set()
        self.total = 0

    def feed(self, event: yaml.Event) -> None:
        line, col = event.start_mark.line + 1, event.start_mark.column + 1
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise Problem("a spec holds one YAML document, but a second one starts here", line, col)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor in self.open_anchors:
                raise Problem(f"alias *{event.anchor} is used inside the value it names (a recursive "
                              f"structure)", line, col)
            if event.anchor not in self.anchors:
                raise Problem(f"alias *{event.anchor} names no anchor &{event.anchor} above it", line, col)
            self._attach(self.anchors[event.anchor], line, col)
        elif isinstance(event, yaml.ScalarEvent):
            scalar = _scalar(event, line, col)
            self._attach(scalar, line, col)
            if event.anchor is not None:
                self.anchors[event.anchor] = scalar
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if event.tag is not None and event.tag not in _CONTAINER_TAGS:
                raise Problem(f"YAML tag {_short_tag(event.tag)} is not allowed: specs hold plain values only",
                              line, col)
            if len(self.stack) >= MAX_YAML_DEPTH:
                raise Problem(f"YAML nesting deeper than the limit of {MAX_YAML_DEPTH} levels", line, col)
            container = Sequence(line=line, col=col) if isinstance(event, yaml.SequenceStartEvent) \
                else Mapping(line=line, col=col)
            self._attach(container, line, col)
            self.stack.append([container, None, event.anchor])
            if event.anchor is not None:
                self.open_anchors.add(event.anchor)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            container, _, anchor = self.stack.pop()
            if anchor is not None:
                self.open_anchors.discard(anchor)
                self.anchors[anchor] = container

    def _attach(self, value: Value, line: int, col: int) -> None:
        """Put ``value`` into the open container (or make it the root), counting its expanded size."""
        self.total += value.size
        if self.total > MAX_YAML_NODES:
            raise Problem(f"the YAML document expands to more than {MAX_YAML_NODES} values (aliases "
                          f"counted in full), the limit", line, col)
        for frame in self.stack:
            frame[0].size += value.size
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        container = frame[0]
        if isinstance(container, Sequence):
            container.items.append(value)
            return
        if frame[1] is None:  # a key
            if not isinstance(value, Scalar):
                raise Problem(f"a key must be a plain name, got {value.describe()}", line, col)
            if value.text == "<<":
                raise Problem("merge keys (<<) are not supported: use blocks: to reuse layers", line, col)
            if value.text in container.entries:
                first = container.entries[value.text][0]
                raise Problem(f"duplicate key {quote(value.text)} (first at line {first.line})", line, col)
            frame[1] = value
            return
        container.entries[frame[1].text] = (frame[1], value)
        frame[1] = None


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


def _scalar(event: yaml.ScalarEvent, line: int, col: int) -> Scalar:
    text = event.value
    plain = not event.style  # None from the Python parser, "" from libyaml
    tag = event.tag
    if tag == "!" or (tag is None and not plain):
        tag = _TAG + "str"
    elif tag is not None and tag not in _SCALAR_TAGS:
        raise Problem(f"YAML tag {_short_tag(tag)} is not allowed: specs hold plain values only", line, col)
    surrogate = next((character for character in text if "\ud800" <= character <= "\udfff"), None)
    if surrogate is not None:
        raise Problem(f"the text holds the lone surrogate \\u{ord(surrogate):04x}, which is not a character "
                      f"(UTF-8 cannot hold it)", line, col)
    if (plain or tag not in (None, _TAG + "str")) and len(text) > MAX_SCALAR_CHARS:
        raise Problem(f"an unquoted value of {len(text)} characters, more than the limit of {MAX_SCALAR_CHARS} "
                      f"(quote long text)", line, col)
    end = event.end_mark
    text_col = None
    if end.line + 1 == line:
        width = end.column + 1 - col
        if plain and width == len(text):
            text_col = col
        elif event.style in ("'", '"') and width == len(text) + 2:
            text_col = col + 1
    value = _resolve(text, tag, line, col) if tag != _TAG + "str" else text
    return Scalar(value, text, line, col, text_col)


def _resolve(text: str, tag: str | None, line: int, col: int) -> Any:
    """The value of a plain scalar (``tag`` None) or of one tagged ``!!int``, ``!!float``, ``!!bool``,
    ``!!null``; YAML 1.1 readings that differ from what the text shows are refused (see the module)."""
    if tag in (None, _TAG + "null") and text in _NULLS:
        return None
    if tag in (None, _TAG + "bool") and text in _BOOLS:
        return _BOOLS[text]
    if tag in (None, _TAG + "int", _TAG + "float") and text[:1] in "+-.0123456789":
        if _BASE_60.fullmatch(text):
            raise Problem(f"{quote(text)} is a base-60 number in YAML 1.1{_sexagesimal(text)}, which is easily "
                          f"misread: write the number, or quote it if it is text", line, col)
        if _LEADING_ZERO.fullmatch(text):
            raise Problem(f"{quote(text)} has a leading zero{_octal(text)}: write the number without it", line, col)
        if tag != _TAG + "float" and _INT.fullmatch(text):
            return _number(text, line, col, whole=True)
        if tag != _TAG + "int" and (_FLOAT.fullmatch(text)
                                    or (tag == _TAG + "float" and _EXPLICIT_FLOAT.fullmatch(text))):
            return _number(text, line, col, whole=False)
        if _SPECIAL_FLOAT.fullmatch(text):
            raise Problem(f"cannot read {quote(text)} as a finite number", line, col)
    if tag is None:
        return text  # text: an expression or a name
    kind = {_TAG + "int": "a whole number", _TAG + "float": "a number", _TAG + "bool": "true or false",
            _TAG + "null": "null"}[tag]
    raise Problem(f"cannot read {quote(text)} as {kind}, as its tag {_short_tag(tag)} says", line, col)


def _sexagesimal(text: str) -> str:
    """`` (1:30 is 90)``: how YAML 1.1 reads a short base-60 number."""
    if len(text) > 40:
        return ""
    *parts, last = text.lstrip("+-").replace("_", "").split(":")
    value = Fraction(0)
    for part in parts:
        value = (value + int(part)) * 60
    value += Fraction(last)
    sign = "-" if text.startswith("-") else ""
    return f" ({text} is {sign}{value if value.denominator == 1 else float(value)})"


def _octal(text: str) -> str:
    """How YAML 1.1 and 1.2 read a whole number with a leading zero, when they read it as a number."""
    bare = text.replace("_", "")
    if not set(bare.lstrip("+-")) <= set("01234567") or len(bare) > MAX_NUMBER_DIGITS:
        return ""
    if int(bare, 8) == int(bare):
        return ""
    return f", which YAML 1.1 reads as octal {int(bare, 8)} and YAML 1.2 as {int(bare)}"


def _number(text: str, line: int, col: int, whole: bool) -> int | Fraction:
    """An int or an exact Fraction, its length and exponent checked before it is built."""
    bare = text.replace("_", "")
    try:
        if not whole:
            if bare.lstrip("+-") in ("", "."):
                raise ArithmeticProblem(f"cannot read {quote(text)} as a finite number")
            return decimal(text)
        if len(bare) > MAX_NUMBER_DIGITS:
            raise ArithmeticProblem(f"the number {shown(text)} is written with more than {MAX_NUMBER_DIGITS} "
                                    f"digits or a power of ten beyond 1e{MAX_NUMBER_DIGITS}, the limit")
    except ArithmeticProblem as problem:
        raise Problem(str(problem), line, col) from None
    sign = -1 if bare.startswith("-") else 1
    digits = bare.lstrip("+-")
    if digits.startswith(("0x", "0b")):
        return sign * int(digits[2:], 16 if digits[1] == "x" else 2)
    return sign * int(digits)
