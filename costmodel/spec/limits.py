"""The limits of spec files: the shared table of ``costmodel.limits`` (spec files use every limit in
it that concerns graphs and numbers, and the ``MAX_SPEC_*``, ``MAX_YAML_*``, ``MAX_EXPRESSION_*`` ones).

Each crossing is reported as a ``SpecError`` naming the limit."""
from ..limits import (  # noqa: F401 - re-exported: the spec reader's modules read them from here
    MAX_DIMENSION,
    MAX_EXPRESSION_CHARS,
    MAX_EXPRESSION_DEPTH,
    MAX_EXPRESSION_STEPS,
    MAX_LIST_ITEMS,
    MAX_NESTING,
    MAX_NODES,
    MAX_NUMBER_BITS,
    MAX_NUMBER_DIGITS,
    MAX_OUTPUTS,
    MAX_REPEAT,
    MAX_SCALAR_CHARS,
    MAX_SPEC_CHARS,
    MAX_SYMBOLIC_EXPONENT,
    MAX_SYMBOLS,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
)
