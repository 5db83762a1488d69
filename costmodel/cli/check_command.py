"""``costmodel check TARGET``: ShuffleNet V2's guidelines G1-G4 as findings, in text or JSON; ``--fail-on``
exits 1 when a finding of the named guidelines is over its threshold (for a design loop or CI)."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import replace

import click

from ..analysis import FUSIONS
from .completion import complete_target
from .unknown import allow_unknown_option, build_listing_unknown, find_target, pointing_at_the_flag, with_unknown


@contextmanager
def _flag(flag: str, only: str = ""):
    """A library error about the flag's values, prefixed with the flag (``--fail-on: unknown guideline ...``)."""
    from ..errors import UsageError

    try:
        yield
    except UsageError as error:
        if str(error).startswith(("unknown", only or "unknown")):
            raise UsageError(f"{flag}: {error}") from None
        raise


def _thresholds(texts) -> dict:
    """``--threshold G1=1.1`` texts -> ``{"G1": Fraction(11, 10)}``; ``off`` (or ``none``) turns one off."""
    from ..errors import UsageError
    from ..values import show
    from .settings import _NUMBER, _exact_number

    chosen = {}
    for text in texts:
        name, sep, value = text.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise UsageError(f"--threshold expects NAME=VALUE (such as G1=1.1, G3-kernels=12 or G4=off), got "
                             f"{show(text, limit=60)}")
        if value.lower() in ("off", "none"):
            chosen[name] = None
        elif _NUMBER.match(value):
            chosen[name] = _exact_number(value, f"--threshold {name}")
        else:
            raise UsageError(f"--threshold {show(name, limit=40)}: {show(value, limit=40)} is not a number (or off)")
    return chosen


@click.command()
@click.argument("target", shell_complete=complete_target)
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Set a parameter; check needs numbers, so a symbolic value is refused.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text: the findings over their thresholds and a summary per guideline; json: every finding.")
@click.option("--fail-on", "fail_on", default="", metavar="G1,G2,...",
              help="Exit with status 1 when a finding of these guidelines is over its threshold.")
@click.option("--threshold", "thresholds", multiple=True, metavar="NAME=VALUE",
              help="Replace a default threshold: G1=1.05 and G2=1.05 (mac ratio), G3=2 (paths per block), "
                   "G3-kernels=off (kernels per block), G4=0.5 (element-wise share of mac), G4-time=off (their share of "
                   "predicted time, with --device); off turns one off.")
@click.option("--fuse", multiple=True, type=click.Choice(FUSIONS),
              help="Fold BatchNorm / activations into convolutions first (G4 then sees what an engine runs).")
@click.option("--device", default=None, metavar="NAME|FILE",
              help="G4: also the element-wise share of predicted time on a device: cpu or gpu (the roofline "
                   "peaks), this (the machine 'costmodel calibrate' measured) or a device file.")
@click.option("--all", "everything", is_flag=True, default=False,
              help="text: list every finding, also those under their thresholds.")
@allow_unknown_option
def check(target, settings, fmt, fail_on, thresholds, fuse, device, everything, allow_unknown):
    """The four guidelines of ShuffleNet V2 (Ma et al. 2018, section 2) on TARGET, a zoo name, a spec file or
    an ONNX file: G1 1x1 convs against the equal-width mac bound, G2 group convs against fewer groups, G3
    paths and kernels per block, G4 the element-wise share of mac. See docs/guidelines.md.
    """
    from ..errors import UsageError
    from ..guidelines import check as run_check, check_guidelines
    from ..guidelines.output import to_json, to_text
    from ..values import show
    from .measure_command import load_named_device
    from .settings import parse_settings

    with _flag("--fail-on"):
        guidelines = check_guidelines([g for g in fail_on.split(",") if g.strip()]) if fail_on.strip() else []
    if fail_on.strip() and not guidelines:
        raise UsageError(f"--fail-on expects guideline names such as G1,G2, got {show(fail_on, limit=40)}")
    chosen = find_target(target, allow_unknown)
    values = parse_settings(settings, chosen)
    with pointing_at_the_flag():
        graph, groups = build_listing_unknown(chosen, values)
    with _flag("--threshold", "threshold"):
        result = run_check(graph, thresholds=_thresholds(thresholds), fuse=fuse, device=load_named_device(device))
    result = replace(result, name=chosen.name, parameters=chosen.values(**values))
    text = to_json(result) if fmt == "json" else to_text(result, everything)
    click.echo(with_unknown(text, fmt, groups))
    if guidelines and result.failing(guidelines):
        sys.stdout.flush()
        sys.exit(1)
