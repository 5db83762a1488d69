"""``--allow-unknown``: nodes of an ONNX file whose op types costmodel has no rule for count 0 flops (mac:
inputs + outputs) instead of failing, and are listed under the output, never silently."""
from __future__ import annotations

import json
from contextlib import contextmanager

import click

from ..errors import ModelError, UsageError
from ..values import show

allow_unknown_option = click.option(
    "--allow-unknown", is_flag=True, default=False,
    help="ONNX files: count op types without a rule as 0 flops (mac: inputs + outputs) and list them.")


def find_target(text: str, allow_unknown: bool):
    """The target named on the command line, reading an ONNX file with ``allow_unknown`` when the flag is
    given (refused, naming the flag, for any other target)."""
    from ..targets import target as find

    if not allow_unknown:
        return find(text)
    try:
        return find(text, allow_unknown=True)
    except UsageError as error:
        if "allow_unknown applies to ONNX files only" in str(error):
            raise UsageError(f"--allow-unknown applies to ONNX files only, and {show(text)} is not one") from None
        raise


@contextmanager
def pointing_at_the_flag():
    """An ONNX file's unsupported op types end in an error that also says what ``--allow-unknown`` does."""
    try:
        yield
    except ModelError as error:
        from ..onnx.importer import UnsupportedOps

        if isinstance(error, UnsupportedOps):
            raise ModelError(f"{error} (--allow-unknown counts them as 0 flops and lists them)") from None
        raise


def listed_unknown(chosen, values: dict) -> list[dict] | None:
    """The unknown-node groups (see ``build_listing_unknown``) of ``chosen`` built with ``values``; an
    ONNX target is imported (so that its unsupported op types fail here, under ``pointing_at_the_flag``)."""
    if not hasattr(chosen, "allow_unknown"):
        return None
    report = chosen.imported(**values).report
    return unknown_groups(report.unknown) if chosen.allow_unknown else None


def build_listing_unknown(chosen, values: dict):
    """``(graph, groups)``: the graph of ``chosen`` with ``values`` and its unknown nodes, one entry per op
    type in the order first met, ``{"op", "count", "first" (its ONNX node name), "layers" (the rows it
    became)}``; groups is None for a target that is not an ONNX file read with ``allow_unknown``."""
    if not getattr(chosen, "allow_unknown", False):
        return chosen.build(**values), None
    imported = chosen.imported(**values)
    return imported.graph, unknown_groups(imported.report.unknown)


def unknown_groups(unknown: list) -> list[dict]:
    """Unknown nodes (``UnknownNode``) grouped by op type, in the order first met."""
    groups: dict[str, dict] = {}
    for node in unknown:
        group = groups.setdefault(node.op_type, {"op": node.op_type, "count": 0, "first": node.name, "layers": []})
        group["count"] += 1
        group["layers"].append(node.node)
    return list(groups.values())


def unknown_line(groups: list[dict], safe=str) -> str:
    """``unknown ops counted as 0 flops: 2 x Foo (first: /b/Foo), 1 x Bar (first: /d/Bar)``."""
    return "unknown ops counted as 0 flops: " + ", ".join(
        f"{g['count']} x {safe(g['op'])} (first: {safe(g['first'])})" for g in groups)


def with_unknown(rendered: str, fmt: str, groups: list[dict] | None) -> str:
    """The rendered table with the unknown nodes: a line under a text or Markdown table, a top-level
    ``unknown`` list in JSON; other formats are unchanged (see ``echo_unknown``)."""
    if groups is None:
        return rendered
    if fmt == "json":
        body = rendered.rstrip()
        if not body.endswith("}"):
            raise ValueError("the JSON table does not end with '}'")
        return body[:-1].rstrip() + ',\n  "unknown": ' + json.dumps(groups) + "\n}"
    if not groups:
        return rendered
    if fmt == "text":
        from ..render import text_safe

        return rendered + "\n" + unknown_line(groups, text_safe)
    if fmt == "markdown":
        from ..render import markdown_safe

        return rendered + "\n\n*" + unknown_line(groups, markdown_safe) + "*"
    return rendered


def echo_unknown(groups: list[dict] | None) -> None:
    """The unknown-nodes line on stderr (for outputs that have no place for it: CSV, LaTeX, plots, sweeps)."""
    if groups:
        from ..render import text_safe

        click.echo("costmodel: note: " + unknown_line(groups, text_safe), err=True)
