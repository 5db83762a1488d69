"""MkDocs hook: the command-line reference, generated at build time from the click commands themselves.

``docs/cli.md`` holds the line ``<!-- cli-reference -->``; this hook replaces it with one section per
command of ``costmodel.cli.main``: what it does (its help text), its usage line, its arguments, and a table
of its options with the default and the help text of each, read from click's own objects (the same ones
``costmodel COMMAND --help`` prints). Every text is escaped, so nothing in a help text becomes markup.

An option without a help text fails the build: a reference with an empty row says nothing.
"""
from __future__ import annotations

import html
import inspect

MARKER = "<!-- cli-reference -->"
_MARKDOWN = {"*": "&#42;", "_": "&#95;", "`": "&#96;", "|": "&#124;", "[": "&#91;", "]": "&#93;", "\\": "&#92;",
             "#": "&#35;", "~": "&#126;"}


def on_page_markdown(markdown, page, config, files):
    if MARKER not in markdown:
        return markdown
    from costmodel.cli import main

    return markdown.replace(MARKER, reference(main, "costmodel"))


def text(value: str) -> str:
    """``value`` as literal text in Markdown: HTML-escaped, and no character left that Markdown reads."""
    return "".join(_MARKDOWN.get(character, character) for character in html.escape(value, quote=False))


def code(value: str) -> str:
    return f"<code>{text(value)}</code>"


def reference(group, prog: str) -> str:
    """One section per command of the click group ``group``, in the group's order."""
    import click

    root = click.Context(group, info_name=prog, **group.context_settings)  # -h as well as --help
    sections = []
    for name, command in group.commands.items():
        if not command.hidden:
            sections.append(command_section(command, click.Context(command, info_name=name, parent=root)))
    return "\n\n".join(sections) + "\n"


def command_section(command, ctx) -> str:
    import click

    lines = [f"## {ctx.command_path}", ""]
    lines += help_paragraphs(command.help or "")
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    lines += ["", "```text", usage, "```", ""]
    arguments = [p for p in command.get_params(ctx) if isinstance(p, click.Argument)]
    if arguments:
        lines.append("Arguments: " + ", ".join(
            f"{code(p.human_readable_name)} ({'required' if p.required else 'optional'}"
            f"{', repeatable' if p.nargs == -1 else ''})" for p in arguments) + ".")
        lines.append("")
    options = [p for p in command.get_params(ctx) if isinstance(p, click.Option)]
    lines += ["| option | default | what it does |", "| --- | --- | --- |"]
    for option in options:
        names, _ = option.get_help_record(ctx)
        if not (option.help or "").strip():
            raise ValueError(f"{ctx.command_path} {names}: the option has no help text; give it one")
        lines.append(f"| {code(names)} | {default_text(option, ctx)} | {text(one_line(option.help))} |")
    return "\n".join(lines)


def help_paragraphs(help_text: str) -> list[str]:
    """click's help text as Markdown paragraphs: ``\\f`` ends it, a ``\\b`` paragraph keeps its lines."""
    body = inspect.cleandoc(help_text.split("\f")[0])
    paragraphs = []
    for paragraph in body.split("\n\n"):
        if paragraph.startswith("\b"):
            paragraphs += ["```text", paragraph.lstrip("\b\n"), "```", ""]
        else:
            paragraphs += [text(one_line(paragraph)), ""]
    return paragraphs


def one_line(value: str) -> str:
    return " ".join(value.split())


def default_text(option, ctx) -> str:
    """The option's default as ``--help`` would name it; required, repeatable and unset ones say so."""
    if option.required:
        return "required"
    if option.is_eager and not option.expose_value:  # --help, --version: an action, not a setting
        return "&mdash;"
    if option.is_flag and not option.secondary_opts:
        shown = "on" if option.get_default(ctx, call=False) is True else "off"
        return shown
    default = option.get_default(ctx, call=False)
    if isinstance(default, bool) and option.secondary_opts:
        return code(option.opts[0] if default else option.secondary_opts[0])
    if callable(default):
        return "computed"
    if option.multiple:
        values = default if isinstance(default, (list, tuple)) else ()
        return (", ".join(code(str(v)) for v in values) or "none") + " (repeatable)"
    if isinstance(default, (str, int, float)) and default != "":
        return code(str(default))
    return "none"
