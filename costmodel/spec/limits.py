"""The limits every spec must stay within, checked before the work they would cause is done.

A spec is user input, possibly from someone else: these bounds keep a hostile or mistaken file from
exhausting memory or time. Each is reported as a :class:`~costmodel.errors.SpecError` naming the limit.
"""

#: characters in a spec file (checked before YAML parsing starts)
MAX_SPEC_CHARS = 1_000_000
#: YAML values (scalars, lists, mappings) in the document, counting each use of an alias in full:
#: an "alias bomb" (anchors nested into each other) is refused while it is read, before anything expands
MAX_YAML_NODES = 1_000_000
#: nesting depth of YAML lists and mappings
MAX_YAML_DEPTH = 64
#: characters in one expression
MAX_EXPRESSION_CHARS = 1000
#: nesting depth of one expression's syntax tree (``((((1))))`` and ``-(-(-1))`` count each level)
MAX_EXPRESSION_DEPTH = 32
#: bits of any number an expression computes (numerator and denominator alike): ``2**(10**9)`` is refused
#: before it is computed
MAX_NUMBER_BITS = 256
#: largest exponent allowed with a symbolic base (``h**64``)
MAX_SYMBOLIC_EXPONENT = 64
#: largest size: every input dimension, batch, hyper-parameter and output dimension
MAX_DIMENSION = 2**31
#: largest ``repeat`` of a block instance
MAX_REPEAT = 1000
#: nodes in the built graph, all repeats expanded
MAX_LAYERS = 100_000
#: block instances and groups nested inside each other
MAX_NESTING = 32
