"""``costmodel compare TARGET``: what ptflops, fvcore, thop, torchinfo and FlopCounterMode print, and why."""
from __future__ import annotations

import json

import click

from .unknown import allow_unknown_option


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _signed(value) -> str:
    return f"{value:+,}" if isinstance(value, int) else f"+({value})"


def _text(result: dict, note: str) -> str:
    from ..conventions import REGISTRY
    from ..compare import plain
    from ..render import text_safe
    counts = result["counts"]
    paper = counts["paper"]
    width = max(len(_number(v)) for v in counts.values())
    lines = [f"{text_safe(result['name'])}: flops as each counter prints them (ours: paper)", ""]
    for tool, count in counts.items():
        convention = REGISTRY[tool]
        unit = convention.unit + (" per image" if convention.per_image else "")
        line = f"{tool:<13} {_number(count):>{width}}  {unit}"
        if tool != "paper":
            difference = plain(count - paper)
            if isinstance(difference, int):
                percent = f" ({difference / paper:+.2%})" if isinstance(paper, int) and paper else ""
                line += f"   {_signed(difference)}{percent} vs paper"
            else:
                line += f"   {_signed(difference)} vs paper"
        lines.append(line + ("" if tool == "paper" else f"   [{convention.tool}]"))
        for item in (d for d in result["differences"] if d["tool"] == tool):
            share = f" {item['share']:.1%}" if isinstance(item["share"], float) else ""
            lines.append(f"    {item['op']:<16} {_signed(item['difference']):>16}{share:>7}  "
                         f"({item['nodes']} node{'s' * (item['nodes'] != 1)}: {item['rule']})")
    if note:
        lines += ["", "note: " + note]
    return "\n".join(text_safe(line) if i else line for i, line in enumerate(lines))


@click.command("compare")
@click.argument("target")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Set a parameter or symbol; a symbol keeps it symbolic (each tool's closed form).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text: each tool's count and what makes the difference; json: the same, exact.")
@allow_unknown_option
def compare(target, settings, fmt, allow_unknown):
    """What ptflops, ptflops-aten, fvcore, thop, torchinfo and torch (FlopCounterMode) print for TARGET, the
    difference from paper and the ops that make it."""
    from ..compare import compare as compare_counts
    from ..progress import stage
    from ..render import exact
    from .progress import showing_progress
    from .settings import parse_settings
    from .unknown import build_listing_unknown, find_target, pointing_at_the_flag, unknown_line

    chosen = find_target(target, allow_unknown)
    values = parse_settings(settings, chosen)
    with showing_progress():
        with pointing_at_the_flag(), stage("building"):
            graph, groups = build_listing_unknown(chosen, values)
        result = compare_counts(graph)
    result["name"] = chosen.name
    notes = []
    if target.lower().endswith(".onnx"):
        notes.append("an ONNX file exported in eval mode has its BatchNorm folded into the convolutions' weights "
                     "and biases: on the torch model the tools that count BatchNorm (ptflops, fvcore, thop, "
                     "torchinfo) print more, and none of them counts the folded bias")
    if groups:
        notes.append(unknown_line(groups) + " by every counter")
    if fmt == "json":
        payload = {"name": result["name"], "counts": {k: exact(v) for k, v in result["counts"].items()},
                   "differences": [{k: exact(v) for k, v in d.items()} for d in result["differences"]]}
        if notes:
            payload["notes"] = notes
        click.echo(json.dumps(payload, indent=1))
    else:
        click.echo(_text(result, "; ".join(notes)))
