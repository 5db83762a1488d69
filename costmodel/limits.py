"""The limits every input stays within, in one table, checked before the work they would cause is done.

Specs, zoo parameters, ONNX files and sweep grids are user input, possibly from someone else: these bounds
keep a hostile or mistaken one from exhausting memory or time. Each front door imports the ones it needs
from here and reports a crossing as its own error (a ``SpecError`` for specs),
naming the limit and the value seen. ``docs/limits.md`` lists them all with their values.
"""

# ----- every front door -------------------------------------------------------------------------------------
#: nodes of a built graph, every repeat and block expanded
MAX_NODES = 100_000
#: largest size: every input dimension, batch, hyper-parameter and output dimension
MAX_DIMENSION = 2**31
#: tensors that come out of one op (the parts of a split)
MAX_OUTPUTS = 1024
#: bits of any exact number computed (numerator and denominator alike): ``2**(10**9)`` is refused before it
#: is computed
MAX_NUMBER_BITS = 256
#: characters of a number as written (``0x...``, ``1_000``, digits of a decimal), and the largest power of
#: ten it may carry (``1e300``): checked before the number is built
MAX_NUMBER_DIGITS = 300
#: largest exponent allowed with a symbolic base (``h**64``)
MAX_SYMBOLIC_EXPONENT = 64

# ----- spec files -------------------------------------------------------------------------------------------
#: characters in a spec file (checked before YAML parsing starts)
MAX_SPEC_CHARS = 1_000_000
#: YAML values (scalars, lists, mappings) in the document, counting each use of an alias in full:
#: an "alias bomb" (anchors nested into each other) is refused while it is read, before anything expands
MAX_YAML_NODES = 1_000_000
#: nesting depth of YAML lists and mappings
MAX_YAML_DEPTH = 64
#: characters in one YAML scalar that is not quoted text (a number, a name or an expression)
MAX_SCALAR_CHARS = 10_000
#: characters in one expression
MAX_EXPRESSION_CHARS = 1000
#: nesting depth of one expression's syntax tree (``((((1))))`` and ``-(-(-1))`` count each level)
MAX_EXPRESSION_DEPTH = 32
#: steps (operations, names, numbers) computed over all the expressions of one spec, every repeat counted
MAX_EXPRESSION_STEPS = 1_000_000
#: declared symbols of a spec
MAX_SYMBOLS = 100
#: largest ``repeat`` of a block instance
MAX_REPEAT = 1000
#: block instances and groups nested inside each other
MAX_NESTING = 32
#: items of one list value (a stage table's row or column: a symbol's, a block argument's, ``[a, b]``)
MAX_LIST_ITEMS = 10_000

# ----- zoo parameters, symbol names, the command line and sweeps -----------------------------------------------
#: largest ``blocks`` of a zoo network (the guideline benchmarks), like a spec's ``repeat``
MAX_BLOCKS = MAX_REPEAT
#: characters of a symbol name (``-s resolution=r``, ``--grid`` names, ``costmodel.symbols``)
MAX_NAME_CHARS = 100
#: values along one ``--grid`` axis
MAX_GRID_VALUES = 10_000
#: points of a whole sweep grid (the product of its axes' value counts), checked before anything is computed;
#: the command line and ``iter_sweep`` stream them in bounded memory
MAX_GRID_POINTS = 100_000_000
#: points ``costmodel.sweep`` returns at once in memory (about 60 bytes a point); ``iter_sweep`` streams more
MAX_RESULT_POINTS = 10_000_000

# ----- plots ---------------------------------------------------------------------------------------------------
#: a figure's width and height in inches (``--size``), each at least ``MIN_PLOT_INCHES``
MAX_PLOT_INCHES = 40
MIN_PLOT_INCHES = 1
#: dots per inch of a saved figure (``--dpi``), at least ``MIN_PLOT_DPI``
MAX_PLOT_DPI = 1200
MIN_PLOT_DPI = 10
#: pixels of a saved figure (width x height at its dpi): 64 M, an Agg canvas of 256 MB; ``--dpi 1e9`` is
#: refused before anything is drawn
MAX_PLOT_PIXELS = 64_000_000
