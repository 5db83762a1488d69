"""The hardening corpus of spec files: bad inputs of every class (numbers that would hang or blow up memory,
YAML 1.1 readings that are not what the page shows, symbol names sympy reads as something else, outputs
nothing reads, inputs that used to end in an internal error), each with its exact one-line message
``NAME.yaml:LINE:COL: ...``; and every limit of a spec at its value (accepted) and just past it (refused).

The corpus runs in one child process whose memory is capped (``resource.setrlimit``) and where each case has
a generous alarm: a case fails if it hangs or exhausts memory, never on how long it took."""
import json
import signal
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from fractions import Fraction

import pytest
import sympy

import costmodel.spec.builder
import costmodel.spec.document
import costmodel.spec.expressions
import costmodel.spec.yamltree
from costmodel.errors import SpecError
from costmodel.spec import load_spec, spec_symbols
from costmodel.spec.values import SYMPY_NAMES, misreading

H = "input: [3, 8, 8]\nlayers:\n"
def conv(value):
    return H + f"- {{kind: conv, out_channels: {value}}}\n"
BLOCK = "input: [3, 8, 8]\nblocks:\n  unit:\n    params: [c]\n    layers: [{kind: conv, out_channels: c}]\nlayers:\n"
def syms(decl, use="c"):
    return f"input: [3, 8, 8]\nsymbols: {decl}\nlayers:\n- {{kind: conv, out_channels: {use}}}\n"
CASES = {
 # --- numbers built before any limit, long values
 "float_exponent_huge": conv("1.0e+999999999"),
 "float_exponent_huge_negative": conv("1.0e-999999999"),
 "float_tag_exponent_huge": conv("!!float 1e999999999"),
 "float_tag_exponent_long": conv("!!float 1e" + "9" * 5000),
 "decimal_too_many_digits": conv("1." + "0" * 300),
 "int_too_many_digits": conv("1" * 301),
 "hex_too_many_digits": conv("0x" + "f" * 299),
 "binary_too_many_digits": conv("0b" + "1" * 299),
 "int_over_bits": conv("1" * 100),
 "unquoted_scalar_too_long": H + "- {kind: relu, stage: " + "a" * 10001 + "}\n",
 "expression_exponent_huge": conv("'2 * 1.5e-999'"),
 "expression_inf": conv("'1e999999999'"),
 "expression_long_decimal": conv("'0." + "0" * 310 + "1'"),
 "expression_int_over_bits": conv("'" + "9" * 100 + " // 10'"),
 "power_tower": conv("'2 ** 2 ** 2 ** 2 ** 2'"),
 "split_sections_past_limit": "input: [4096, 1, 1]\nlayers:\n- {kind: split, sections: 1025}\n",
 "split_into_2_30_parts": "input: [1073741824, 1, 1]\nlayers:\n- {kind: split, sections: 1073741824}\n",
 "too_many_symbols": "input: [3, 8, 8]\nsymbols: {" + ", ".join(f"s{i}: 1" for i in range(101)) + "}\nlayers: [{kind: relu}]\n",
 "too_many_symbols_list": "input: [3, 8, 8]\nsymbols: [" + ", ".join(f"s{i}" for i in range(101)) + "]\nlayers: [{kind: relu}]\n",
 "expression_steps_past_limit": "input: [3, 8, 8]\nblocks:\n  inner:\n    layers: [{kind: conv, out_channels: 'max(" + ", ".join(["4"] * 300) + ")'}]\n  outer:\n    layers: [{block: inner, repeat: 1000}]\nlayers:\n- {block: outer, repeat: 10}\n",
 "blocks_nested_300_deep": "input: [3, 8, 8]\nblocks:\n  b1:\n    layers: [{kind: relu}]\n" + "".join(
     f"  b{i}:\n    layers: [{{block: b{i - 1}}}]\n" for i in range(2, 301)) + "layers:\n- {block: b300}\n",
 "repeat_product_past_nodes": "input: [3, 8, 8]\nblocks:\n  a:\n    layers: [{kind: relu}, {kind: relu}]\n  b:\n    layers: [{block: a, repeat: 1000}]\nlayers:\n- {block: b, repeat: 51}\n",
 # --- YAML 1.1 readings that are not what the page shows
 "octal_out_channels": conv("010"),
 "octal_negative": conv("-010"),
 "octal_with_underscore": conv("0_10"),
 "double_zero": conv("00"),
 "leading_zero_not_octal": conv("08"),
 "octal_input_size": "input: [3, 010, 8]\nlayers: [{kind: relu}]\n",
 "octal_batch": "input: [3, 8, 8]\nbatch: 010\nlayers: [{kind: relu}]\n",
 "octal_symbol_default": syms("{c: 010}"),
 "octal_repeat": BLOCK + "- {block: unit, repeat: 02, args: {c: 4}}\n",
 "octal_tag_int": conv("!!int 010"),
 "base60_int": conv("1:30"),
 "base60_float": conv("1:30.5"),
 "base60_negative": conv("-1:00"),
 "base60_kernel_list": H + "- {kind: conv, out_channels: 4, kernel: [1:1, 1]}\n",
 "base60_stage": H + "- {kind: relu, stage: 12:30}\n",
 "base60_tag_float": conv("!!float 1:30"),
 "base60_long": conv("1" + ":59" * 3000),
 "base60_900kb": conv("1" + ":59" * 300000),
 "override_keys_0_and_00": BLOCK + "- {block: unit, repeat: 2, args: {c: 4}, overrides: {0: {c: 5}, '00': {c: 6}}}\n",
 "override_keys_0_and_000": BLOCK + "- {block: unit, repeat: 2, args: {c: 4}, overrides: {'000': {c: 5}, 0: {c: 6}}}\n",
 "decimal_close_to_whole": conv("'16.0000000000000000001'"),
 "decimal_close_to_whole_yaml": conv("16.0000000000000000001"),
 "decimal_kernel_close_to_whole": H + "- {kind: conv, out_channels: 4, kernel: '3.0000000000000000001'}\n",
 "decimal_exponent_form": conv("'1.60000000000000000001e1'"),
 # --- symbol names sympy reads as something else
 "symbol_I": syms("{I: null}", "I"),
 "symbol_E": syms("{E: 3}", "E"),
 "symbol_N": syms("[N]", "N"),
 "symbol_S": syms("{S: {default: 4}}", "S"),
 "symbol_Q": syms("[Q]", "Q"),
 "symbol_O": syms("[O]", "O"),
 "symbol_pi": syms("[pi]", "pi"),
 "symbol_oo": syms("[oo]", "oo"),
 "symbol_zoo": syms("[zoo]", "zoo"),
 "symbol_nan": syms("[nan]", "nan"),
 "symbol_beta": syms("[beta]", "beta"),
 "symbol_gamma": syms("[gamma]", "gamma"),
 "symbol_true_quoted": syms("['true']", "c"),
 "symbol_false_text": syms("{'false': 2}", "c"),
 "symbol_sin": syms("[sin]", "sin"),
 "symbol_Max": syms("[Max]", "Max"),
 "symbol_Symbol": syms("[Symbol]", "Symbol"),
 "symbol_test": syms("[test]", "test"),
 "symbol_field": syms("[field]", "field"),
 "symbol_Ynm_when_symbolic": syms("[Ynm]", "Ynm"),
 "symbol_true_bool": syms("{true: 2}", "c"),
 # --- outputs nothing reads
 "branch_forgotten_in_concat": H + "- {kind: conv, out_channels: 4, id: a}\n- {kind: conv, out_channels: 4, from: input, id: b}\n- {kind: conv, out_channels: 4, from: input, id: c}\n- {kind: concat, from: [a, c]}\n",
 "split_half_unread": "input: [4, 8, 8]\nlayers:\n- {kind: split, id: s}\n- {kind: relu, from: s.0}\n",
 "branch_unread_in_block": "input: [4, 8, 8]\nblocks:\n  unit:\n    layers:\n    - {kind: conv, out_channels: 4, id: side}\n    - {kind: relu, from: input}\nlayers:\n- {block: unit, repeat: 2}\n",
 "block_output_skips_last": "input: [4, 8, 8]\nblocks:\n  unit:\n    output: a\n    layers:\n    - {kind: relu, id: a}\n    - {kind: relu6}\nlayers:\n- {block: unit}\n- {kind: relu}\n",
 "output_not_bool": H + "- {kind: relu, output: 1}\n",
 "output_null": H + "- {kind: relu, output: null}\n",
 "output_text": H + "- {kind: relu, output: 'yes please'}\n",
 # --- internal errors and foreign exceptions
 "every_layer_left_out": H + "- {kind: relu, when: false}\n- {kind: relu6, when: 0}\n",
 "every_layer_left_out_by_group": H + "- layers: [{kind: relu}, {kind: relu6}]\n  when: 1 > 2\n",
 "int_tag_empty": conv('!!int ""'),
 "int_tag_underscore": conv('!!int "_"'),
 "int_tag_bare_hex": conv('!!int "0x"'),
 "int_tag_decimal": conv('!!int "1.5"'),
 "float_tag_empty": conv('!!float ""'),
 "float_tag_dot": conv('!!float "."'),
 "float_tag_nan": conv('!!float "nan"'),
 "bool_tag_maybe": H + "- {kind: conv, out_channels: 4, bias: !!bool maybe}\n",
 "null_tag_number": conv("!!null 5"),
 "plain_nan": conv(".nan"),
 "plain_negative_inf": conv("-.inf"),
 "override_key_superscript": BLOCK + "- {block: unit, repeat: 2, args: {c: 4}, overrides: {\u00b2: {c: 5}}}\n",
 "override_key_arabic_digit": BLOCK + "- {block: unit, repeat: 2, args: {c: 4}, overrides: {\u0661: {c: 5}}}\n",
 "override_key_many_digits": BLOCK + "- {block: unit, repeat: 2, args: {c: 4}, overrides: {'" + "1" * 20 + "': {c: 5}}}\n",
 "reference_index_many_digits": "input: [4, 8, 8]\nlayers:\n- {kind: split, id: s}\n- {kind: concat, from: [s.0, s." + "1" * 5000 + "]}\n",
 "surrogate_in_expression": conv('"\\ud800"'),
 "surrogate_in_stage": H + '- {kind: relu, stage: "a\\udfff"}\n',
 "surrogate_in_name": 'name: "\\ud83d"\n' + H + "- {kind: relu}\n",
 "surrogate_in_description": 'description: "\\ud800"\n' + H + "- {kind: relu}\n",
 "surrogate_in_key": H + '- {kind: relu, "\\ud800": 1}\n',
 "null_out_channels": conv("null"),
 "null_tilde_out_channels": conv("~"),
 "null_kernel": H + "- {kind: conv, out_channels: 4, kernel: null}\n",
 "null_in_kernel_list": H + "- {kind: conv, out_channels: 4, kernel: [3, null]}\n",
 "null_groups": H + "- {kind: conv, out_channels: 4, groups: ~}\n",
}

EXPECTED = {
    'blocks_nested_300_deep': '68:22: blocks nested more than 32 deep, the limit',
    'float_exponent_huge': '3:30: the number 1.0e+999999999 is written with more than 300 digits or a power of ten beyond 1e300, the limit',
    'float_exponent_huge_negative': '3:30: the number 1.0e-999999999 is written with more than 300 digits or a power of ten beyond 1e300, the limit',
    'float_tag_exponent_huge': '3:30: the number 1e999999999 is written with more than 300 digits or a power of ten beyond 1e300, the limit',
    'float_tag_exponent_long': '3:30: the number 1e99999999999999999999999999999999999... is written with more than 300 digits or a power of ten beyond 1e300, the limit',
    'decimal_too_many_digits': '3:30: the number 1.00000000000000000000000000000000000... is written with more than 300 digits or a power of ten beyond 1e300, the limit',
    'int_too_many_digits': '3:30: the number 1111111111111111111111111111111111111... is written with more than 300 digits or a power of ten beyond 1e300, the limit',
    'hex_too_many_digits': '3:30: the number 0xfffffffffffffffffffffffffffffffffff... is written with more than 300 digits or a power of ten beyond 1e300, the limit',
    'binary_too_many_digits': '3:30: the number 0b11111111111111111111111111111111111... is written with more than 300 digits or a power of ten beyond 1e300, the limit',
    'int_over_bits': '3:30: out_channels: a number grows beyond 256 bits, the limit',
    'unquoted_scalar_too_long': '3:23: an unquoted value of 10001 characters, more than the limit of 10000 (quote long text)',
    'expression_exponent_huge': "3:35: out_channels '2 * 1.5e-999': the number 1.5e-999 is written with more than 300 digits or a power of ten beyond 1e300, the limit",
    'expression_inf': "3:31: out_channels '1e999999999': the number is too large to be finite",
    'expression_long_decimal': "3:31: out_channels '0.000000000000000000000000000000000000000000000000000000000000000000000000000...': the number 0.00000000000000000000000000000000000... is written with more than 300 digits or a power of ten beyond 1e300, the limit",
    'expression_int_over_bits': "3:31: out_channels '99999999999999999999999999999999999999999999999999999999999999999999999999999...': a number grows beyond 256 bits, the limit",
    'power_tower': "3:31: out_channels '2 ** 2 ** 2 ** 2 ** 2': 2 ** 65536 would grow beyond 256 bits, the limit",
    'split_sections_past_limit': "3:27: node 'split1' (Split): sections = 1025 would make more than 1024 outputs, the limit",
    'split_into_2_30_parts': "3:27: node 'split1' (Split): sections = 1073741824 would make more than 1024 outputs, the limit",
    'too_many_symbols': '2:10: 101 symbols are declared, more than the limit of 100',
    'too_many_symbols_list': '2:10: 101 symbols are declared, more than the limit of 100',
    'expression_steps_past_limit': "4:42: out_channels 'max(4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4...': the spec's expressions take more than 1000000 steps to compute (every repeat counted), the limit (in outer1.3.inner1.322, an instance of block inner)",
    'repeat_product_past_nodes': '7:1: the spec expands to at least 102000 layers, more than the limit of 100000',
    'octal_out_channels': "3:30: '010' has a leading zero, which YAML 1.1 reads as octal 8 and YAML 1.2 as 10: write the number without it",
    'octal_negative': "3:30: '-010' has a leading zero, which YAML 1.1 reads as octal -8 and YAML 1.2 as -10: write the number without it",
    'octal_with_underscore': "3:30: '0_10' has a leading zero, which YAML 1.1 reads as octal 8 and YAML 1.2 as 10: write the number without it",
    'double_zero': "3:30: '00' has a leading zero: write the number without it",
    'leading_zero_not_octal': "3:30: '08' has a leading zero: write the number without it",
    'octal_input_size': "1:12: '010' has a leading zero, which YAML 1.1 reads as octal 8 and YAML 1.2 as 10: write the number without it",
    'octal_batch': "2:8: '010' has a leading zero, which YAML 1.1 reads as octal 8 and YAML 1.2 as 10: write the number without it",
    'octal_symbol_default': "2:14: '010' has a leading zero, which YAML 1.1 reads as octal 8 and YAML 1.2 as 10: write the number without it",
    'octal_repeat': "7:25: '02' has a leading zero: write the number without it",
    'octal_tag_int': "3:30: '010' has a leading zero, which YAML 1.1 reads as octal 8 and YAML 1.2 as 10: write the number without it",
    'base60_int': "3:30: '1:30' is a base-60 number in YAML 1.1 (1:30 is 90), which is easily misread: write the number, or quote it if it is text",
    'base60_float': "3:30: '1:30.5' is a base-60 number in YAML 1.1 (1:30.5 is 90.5), which is easily misread: write the number, or quote it if it is text",
    'base60_negative': "3:30: '-1:00' is a base-60 number in YAML 1.1 (-1:00 is -60), which is easily misread: write the number, or quote it if it is text",
    'base60_kernel_list': "3:42: '1:1' is a base-60 number in YAML 1.1 (1:1 is 61), which is easily misread: write the number, or quote it if it is text",
    'base60_stage': "3:23: '12:30' is a base-60 number in YAML 1.1 (12:30 is 750), which is easily misread: write the number, or quote it if it is text",
    'base60_tag_float': "3:30: '1:30' is a base-60 number in YAML 1.1 (1:30 is 90), which is easily misread: write the number, or quote it if it is text",
    'base60_long': "3:30: '1:59:59:59:59:59:59:59:59:59:59:59:59:59:59:59:59:59:59:59:59:59:59:59:59:59:...' is a base-60 number in YAML 1.1, which is easily misread: write the number, or quote it if it is text",
    'base60_900kb': '3:30: an unquoted value of 900001 characters, more than the limit of 10000 (quote long text)',
    'override_keys_0_and_00': "7:65: overrides: '00' and '0' (line 7) both mean instance 0; give it once",
    'override_keys_0_and_000': "7:69: overrides: '0' and '000' (line 7) both mean instance 0; give it once",
    'decimal_close_to_whole': "3:30: out_channels must be a whole number, but '16.0000000000000000001' = 160000000000000000001/10000000000000000000",
    'decimal_close_to_whole_yaml': '3:30: out_channels must be a whole number, but 160000000000000000001/10000000000000000000',
    'decimal_kernel_close_to_whole': "3:41: kernel must be a whole number, but '3.0000000000000000001' = 30000000000000000001/10000000000000000000",
    'decimal_exponent_form': "3:30: out_channels must be a whole number, but '1.60000000000000000001e1' = 160000000000000000001/10000000000000000000",
    'symbol_I': "2:11: symbol 'I' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_E': "2:11: symbol 'E' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_N': "2:11: symbol 'N' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_S': "2:11: symbol 'S' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_Q': "2:11: symbol 'Q' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_O': "2:11: symbol 'O' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_pi': "2:11: symbol 'pi' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_oo': "2:11: symbol 'oo' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_zoo': "2:11: symbol 'zoo' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_nan': "2:11: symbol 'nan' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_beta': "2:11: symbol 'beta' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_gamma': "2:11: symbol 'gamma' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_true_quoted': "2:11: symbol 'true' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_false_text': "2:11: symbol 'false' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_sin': "2:11: symbol 'sin' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_Max': "2:11: symbol 'Max' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_Symbol': "2:11: symbol 'Symbol' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_test': "2:11: symbol 'test' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_field': "2:11: symbol 'field' would not mean itself when results are read back: sympy reads it as a name of its own; pick another name",
    'symbol_Ynm_when_symbolic': "2:11: symbol 'Ynm' would not mean itself when results are read back: sympy reads it as the function Ynm; pick another name",
    'symbol_true_bool': '2:11: symbol must be a name, got true',
    'branch_forgotten_in_concat': "4:3: the output of layer 'b' (conv) is never read: take it in a from:, or mark the layer output: true if it is an output of the network",
    'split_half_unread': "3:3: output 1 of layer 's' (split) is never read: take it in a from:, or mark the layer output: true if it is an output of the network",
    'branch_unread_in_block': "5:7: the output of layer 'unit1.0.side' (conv) is never read: take it in a from:, or mark the layer output: true if it is an output of the network",
    'block_output_skips_last': "7:7: the output of layer 'unit1.relu6_1' (relu6) is never read: take it in a from:, or mark the layer output: true if it is an output of the network",
    'output_not_bool': "3:24: output must be true (the layer's output is an output of the network, read or not) or false, got the number 1",
    'output_null': "3:24: output must be true (the layer's output is an output of the network, read or not) or false, got null",
    'output_text': "3:24: output must be true (the layer's output is an output of the network, read or not) or false, got the text 'yes please'",
    'every_layer_left_out': '2:1: every layer of the spec is left out by its when:, so the network would have no layer',
    'every_layer_left_out_by_group': '2:1: every layer of the spec is left out by its when:, so the network would have no layer',
    'int_tag_empty': "3:30: cannot read '' as a whole number, as its tag !!int says",
    'int_tag_underscore': "3:30: cannot read '_' as a whole number, as its tag !!int says",
    'int_tag_bare_hex': "3:30: cannot read '0x' as a whole number, as its tag !!int says",
    'int_tag_decimal': "3:30: cannot read '1.5' as a whole number, as its tag !!int says",
    'float_tag_empty': "3:30: cannot read '' as a number, as its tag !!float says",
    'float_tag_dot': "3:30: cannot read '.' as a number, as its tag !!float says",
    'float_tag_nan': "3:30: cannot read 'nan' as a number, as its tag !!float says",
    'bool_tag_maybe': "3:39: cannot read 'maybe' as true or false, as its tag !!bool says",
    'null_tag_number': "3:30: cannot read '5' as null, as its tag !!null says",
    'plain_nan': "3:30: cannot read '.nan' as a finite number",
    'plain_negative_inf': "3:30: cannot read '-.inf' as a finite number",
    'override_key_superscript': "7:54: overrides are keyed by instance number 0, 1, ..., got '²'",
    'override_key_arabic_digit': "7:54: overrides are keyed by instance number 0, 1, ..., got '١'",
    'override_key_many_digits': "7:54: overrides are keyed by instance number 0, 1, ..., got '11111111111111111111'",
    'reference_index_many_digits': "4:30: 's.111111111111111111111111111111111111111111111111111111111111111111111111111...': no op has output '11111111111111111...'",
    'surrogate_in_expression': '3:30: the text holds the lone surrogate \\ud800, which is not a character (UTF-8 cannot hold it)',
    'surrogate_in_stage': '3:23: the text holds the lone surrogate \\udfff, which is not a character (UTF-8 cannot hold it)',
    'surrogate_in_name': '1:7: the text holds the lone surrogate \\ud83d, which is not a character (UTF-8 cannot hold it)',
    'surrogate_in_description': '1:14: the text holds the lone surrogate \\ud800, which is not a character (UTF-8 cannot hold it)',
    'surrogate_in_key': '3:16: the text holds the lone surrogate \\ud800, which is not a character (UTF-8 cannot hold it)',
    'null_out_channels': '3:30: out_channels must be a number, an expression or a list of them, got null',
    'null_tilde_out_channels': '3:30: out_channels must be a number, an expression or a list of them, got null',
    'null_kernel': '3:41: kernel must be a number, an expression or a list of them, got null',
    'null_in_kernel_list': '3:45: kernel must be a number or an expression, got null',
    'null_groups': '3:41: groups must be a number, an expression or a list of them, got null',
}

CHILD = textwrap.dedent("""
    import json, resource, signal, sys
    from costmodel.errors import SpecError
    from costmodel.spec import load_spec

    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    def hang(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, hang)
    results = {}
    for name, text in json.loads(sys.stdin.read()).items():
        signal.alarm(60)  # a hang guard only: cases take well under a second of work
        try:
            load_spec(text, filename=name + ".yaml")
            results[name] = "ACCEPTED"
        except SpecError as error:
            results[name] = str(error)
        except TimeoutError:
            results[name] = "HANG"
        except MemoryError:
            results[name] = "OUT OF MEMORY"
        except Exception as error:
            results[name] = f"FOREIGN {type(error).__name__}: {error}"
        finally:
            signal.alarm(0)
    print(json.dumps(results))
""")


@pytest.fixture(scope="module")
def outcomes():
    done = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(CASES), capture_output=True, text=True,
                          check=False, timeout=1800)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_the_corpus_is_large_and_every_case_has_its_message():
    assert len(CASES) >= 80
    assert set(CASES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_spec_gives_its_exact_line_without_hanging(name, outcomes):
    assert outcomes[name] == f"{name}.yaml:{EXPECTED[name]}"


# ----- the Python API ---------------------------------------------------------------------------------------
SMALL = "input: [3, 8, 8]\nlayers:\n- {kind: relu}\n"


@pytest.mark.parametrize("call, message", [
    (lambda: load_spec(SMALL, filename=3), "<spec>: filename must be text (the name errors show), got int"),
    (lambda: load_spec("a\x00b"), "'a\\x00b': cannot read the spec file (its path holds a null character)"),
    (lambda: load_spec(SMALL, 3), "<spec>: values must map symbol names to values, got int"),
    (lambda: load_spec(3), "<spec>: load_spec takes a path or the text of a spec, got int"),
    (lambda: load_spec(syms("[c]"), {"c": "2*E"}),
     "<spec>:2:11: the value '2*E' given for symbol c: the name 'E' would not mean itself when results are read "
     "back: sympy reads it as Exp1; pick another name"),
    (lambda: load_spec(syms("[c]"), {"c": sympy.Symbol("pi")}),
     "<spec>:2:11: the value pi given for symbol c: its symbol 'pi' would not mean itself when results are read "
     "back: sympy reads it as Pi"),
    (lambda: load_spec(syms("[c]"), {"c": "x\ud800"}),
     "<spec>:2:11: the value 'x\\ud800' given for symbol c: invalid expression: it holds the lone surrogate "
     "\\ud800, which is not a character"),
    (lambda: load_spec(syms("[c]"), {"c": 1e999999}),
     "<spec>:2:11: the value inf given for symbol c: it is not a finite number"),
    (lambda: spec_symbols(syms("[Ynm]", "Ynm")),
     "<spec>:2:11: symbol 'Ynm' would not mean itself when results are read back: sympy reads it as the "
     "function Ynm; pick another name"),
])
def test_api_mistakes_raise_spec_errors_naming_the_argument(call, message):
    with pytest.raises(SpecError) as caught:
        call()
    assert str(caught.value) == message


# ----- what is accepted now that was refused, or now means what it shows --------------------------------------
def test_a_block_named_like_an_automatic_name_does_not_clash():
    text = ("input: [3, 8, 8]\nblocks:\n  relu6_:\n    layers: [{kind: relu}]\n  conv:\n    layers: [{kind: relu}]\n"
            "layers:\n- {kind: relu6}\n- {block: relu6_}\n- {kind: relu6}\n- {kind: conv, out_channels: 4}\n"
            "- {block: conv}\n")
    names = [node.name for node in load_spec(text)]
    assert names == ["relu6_1", "relu6_2.relu1", "relu6_3", "conv1", "conv2.relu1"]


def test_declared_outputs_may_go_unread():
    text = ("input: [3, 8, 8]\nlayers:\n- {kind: conv, out_channels: 4, id: aux, output: true}\n"
            "- {kind: conv, out_channels: 8, from: input}\n")
    graph = load_spec(text)
    assert [node.name for node in graph] == ["aux", "conv1"]
    blocks = ("input: [4, 8, 8]\nblocks:\n  unit:\n    output: a\n    layers:\n    - {kind: split, id: s}\n"
              "    - {kind: relu, from: s.0, id: a}\n    - {kind: relu6, from: s.1, output: true}\n"
              "layers:\n- {block: unit, repeat: 2, id: u}\n- {kind: relu, from: u, output: false}\n")
    assert len(load_spec(blocks)) == 7
    with pytest.raises(SpecError, match=r"^<spec>:8:7: the output of layer 'u.0.relu6_1' \(relu6\) is never read"):
        load_spec(blocks.replace("relu6, from: s.1, output: true", "relu6, from: s.1"))


def test_numbers_are_exact_as_written_in_yaml_and_in_expressions():
    assert load_spec(conv("'16.0000000000000000001 * 10**19 - 160000000000000000000 + 3'")).nodes[0].op.out_channels == 4
    symbols = spec_symbols("input: [3, 8, 8]\nsymbols: {w: {default: 0.30000000000000000001, integer: false}, "
                           "v: {default: '0.1 + 0.2', integer: false}}\nlayers: [{kind: relu}]\n")
    assert symbols == {"w": Fraction(30000000000000000001, 10**20), "v": Fraction(3, 10)}
    for text, value in [("0x10", 16), ("0b101", 5), ("1_000", 1000), ("10.5e+1", 105), ("010.5", Fraction(21, 2))]:
        assert spec_symbols(f"input: [3]\nsymbols: {{a: {{default: {text}, integer: false}}}}\nlayers: "
                            f"[{{kind: relu}}]\n")["a"] == value, text


def test_sympy_names_list_holds_only_names_sympy_misreads():
    assert all(misreading(name) for name in SYMPY_NAMES)


def test_misreading_agrees_with_sympify_itself():
    """The name check looks names up instead of parsing them; here sympify (on our own list of identifiers,
    never user text) decides, for every short name, every name sympy exports, the builtins and the keywords."""
    import builtins
    import keyword
    import string

    first = string.ascii_letters + "_"
    names = {*first, *(a + b for a in first for b in first + string.digits), *sympy.__all__, *vars(builtins),
             *keyword.kwlist, "alpha", "width", "resolution", "c1", "k", "max", "min", "lambda_", "Symbol"}
    names = sorted(n for n in names if n.isidentifier() and not n.startswith("__"))
    disagree = []
    for name in names:
        try:
            read = sympy.sympify(name)
            means_itself = isinstance(read, sympy.Symbol) and read.name == name
        except (sympy.SympifyError, SyntaxError, TypeError, ValueError, AttributeError):
            means_itself = False
        if means_itself != (misreading(name) is None):
            disagree.append(name)
    assert not disagree and len(names) > 3000


def test_every_accepted_short_name_reads_back_as_itself():
    """Every one- and two-character symbol name a spec accepts comes back from sympify(str(...)) as the same
    symbol (same name; equal expression once the declared assumptions are restored)."""
    import keyword
    import string

    first = string.ascii_letters + "_"
    names = [*first, *(a + b for a in first for b in first + string.digits)]
    accepted = 0
    for name in names:
        if keyword.iskeyword(name) or name in ("in",):
            continue
        try:
            symbol = spec_symbols(syms(f"[{name}]", name))[name]
        except SpecError:
            continue
        accepted += 1
        expression = 224 * symbol**2 + 3 * symbol
        read = sympy.sympify(str(expression))
        assert {str(s) for s in read.free_symbols} == {name}, name
        assert read.subs({s: symbol for s in read.free_symbols}) == expression, name
    assert accepted > 2500


# ----- every limit at its value and just past it ------------------------------------------------------------
@contextmanager
def limited(module_values):
    """Set limits (module, name, value) for a test, restoring them after."""
    saved = [(module, name, getattr(module, name)) for module, name, _ in module_values]
    for module, name, value in module_values:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def accepted(text):
    signal.alarm(60)  # hang guard only
    try:
        return load_spec(text)
    finally:
        signal.alarm(0)


def refused(text):
    signal.alarm(60)
    try:
        with pytest.raises(SpecError) as caught:
            load_spec(text)
    finally:
        signal.alarm(0)
    return str(caught.value)


def nested_blocks(depth):
    """Blocks b1 .. b<depth>, each made of the one before it: ``depth`` instances nested in each other."""
    blocks = "".join(f"  b{i}:\n    layers: [{{block: b{i - 1}}}]\n" for i in range(2, depth + 1))
    return (f"input: [3, 8, 8]\nblocks:\n  b1:\n    layers: [{{kind: relu}}]\n{blocks}layers:\n"
            f"- {{block: b{depth}}}\n")


def nested_lists(depth):
    return "input: [3, 8, 8]\nlayers:\n- {kind: conv, out_channels: 4, stage: " + "[" * depth + "a" + "]" * depth + "}\n"


@pytest.mark.parametrize("limit, at_limit, past_limit, message", [
    ("MAX_NUMBER_DIGITS", conv("4.0" + "0" * 297 + ""), conv("4.0" + "0" * 298),
     "<spec>:3:30: the number 4.00000000000000000000000000000000000... is written with more than 300 digits or a "
     "power of ten beyond 1e300, the limit"),
    ("MAX_NUMBER_DIGITS, exponent", H + "- {kind: conv, out_channels: 4, padding: 0.0e+300}\n",
     H + "- {kind: conv, out_channels: 4, padding: 0.0e+301}\n",
     "<spec>:3:42: the number 0.0e+301 is written with more than 300 digits or a power of ten beyond 1e300, the "
     "limit"),
    ("MAX_NUMBER_BITS", conv("'(2**255 - 1 + 2**255) // 2**253'"), conv("'2**256 // 2**254'"),
     "<spec>:3:31: out_channels '2**256 // 2**254': a number grows beyond 256 bits, the limit"),
    ("MAX_SCALAR_CHARS", H + "- {kind: relu, stage: " + "a" * 10000 + "}\n",
     H + "- {kind: relu, stage: " + "a" * 10001 + "}\n",
     "<spec>:3:23: an unquoted value of 10001 characters, more than the limit of 10000 (quote long text)"),
    ("MAX_EXPRESSION_CHARS", conv("'4" + " " * 999 + "'"), conv("'4" + " " * 1000 + "'"),
     "<spec>:3:31: out_channels '4': the expression has 1001 characters, more than the limit of 1000"),
    ("MAX_EXPRESSION_DEPTH", conv("'" + "+" * 31 + "4'"), conv("'" + "+" * 32 + "4'"),
     "<spec>:3:63: out_channels '++++++++++++++++++++++++++++++++4': the expression is nested more than 32 levels "
     "deep, the limit"),
    ("MAX_SYMBOLS", "input: [3, 8, 8]\nsymbols: [" + ", ".join(f"s{i}" for i in range(100)) + "]\nlayers: [{kind: relu}]\n",
     "input: [3, 8, 8]\nsymbols: [" + ", ".join(f"s{i}" for i in range(101)) + "]\nlayers: [{kind: relu}]\n",
     "<spec>:2:10: 101 symbols are declared, more than the limit of 100"),
    ("MAX_OUTPUTS", "input: [1024, 1, 1]\nlayers:\n- {kind: split, sections: 1024}\n",
     "input: [1025, 1, 1]\nlayers:\n- {kind: split, sections: 1025}\n",
     "<spec>:3:27: node 'split1' (Split): sections = 1025 would make more than 1024 outputs, the limit"),
    ("MAX_DIMENSION", "input: [2147483648, 1, 1]\nlayers: [{kind: relu}]\n",
     "input: [2147483649, 1, 1]\nlayers: [{kind: relu}]\n",
     "<spec>:1:9: input size = 2147483649 is above the limit of 2**31 on sizes"),
    ("MAX_SYMBOLIC_EXPONENT", syms("[h]", "'h**64'"), syms("[h]", "'h**65'"),
     "<spec>:4:31: out_channels 'h**65': the exponent 65 is above the limit of 64 for a symbolic base"),
    ("MAX_REPEAT", "input: [3, 8, 8]\nblocks:\n  b:\n    layers: [{kind: relu}]\nlayers:\n- {block: b, repeat: 1000}\n",
     "input: [3, 8, 8]\nblocks:\n  b:\n    layers: [{kind: relu}]\nlayers:\n- {block: b, repeat: 1001}\n",
     "<spec>:6:22: repeat 1001 is above the limit of 1000"),
    ("MAX_NESTING", nested_blocks(32), nested_blocks(33),
     "<spec>:68:22: blocks nested more than 32 deep, the limit"),
    ("MAX_YAML_DEPTH", nested_lists(61), nested_lists(62),
     "<spec>:3:101: YAML nesting deeper than the limit of 64 levels"),
    ("MAX_SPEC_CHARS", SMALL + "#" * (1_000_000 - len(SMALL)), SMALL + "#" * (1_000_001 - len(SMALL)),
     "<spec>: the spec has 1000001 characters, more than the limit of 1000000"),
], ids=lambda value: value if isinstance(value, str) and value.startswith("MAX_") else "")
def test_each_limit_accepts_its_value_and_refuses_just_past_it(limit, at_limit, past_limit, message):
    try:
        accepted(at_limit)
    except SpecError as error:  # at the limit, the limit itself must not be what refuses it
        assert "limit" not in str(error), str(error)
    assert refused(past_limit) == message


def test_node_expression_step_and_yaml_value_limits_at_and_past(monkeypatch):
    relus = "input: [3, 8, 8]\nlayers:\n" + "- {kind: relu}\n" * 6
    with limited([(costmodel.spec.builder, "MAX_NODES", 6), (costmodel.spec.document, "MAX_NODES", 6)]):
        assert len(accepted(relus)) == 6
        assert refused(relus + "- {kind: relu}\n") == "<spec>:2:1: the spec expands to at least 7 layers, more than the limit of 6"
    five = H + "- {kind: conv, out_channels: '4'}\n" * 5
    with limited([(costmodel.spec.expressions, "MAX_EXPRESSION_STEPS", 5)]):
        assert len(accepted(five)) == 5
        assert refused(five + "- {kind: conv, out_channels: '4'}\n") == (
            "<spec>:8:31: out_channels '4': the spec's expressions take more than 5 steps to compute (every repeat "
            "counted), the limit")
    with limited([(costmodel.spec.yamltree, "MAX_YAML_NODES", 12)]):  # 12 values: 3 keys+list, 3 sizes, ...
        small = "input: [3, 8, 8]\nlayers:\n- {kind: relu}\n"
        assert len(accepted(small)) == 1
        assert refused(small.replace("relu}", "relu, id: a}")) == (
            "<spec>:3:20: the YAML document expands to more than 12 values (aliases counted in full), the limit")
