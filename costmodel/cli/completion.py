"""Shell completion (click's): zoo names and spec / ONNX paths for TARGET, figure names for ``plot``.

Enable it once per shell, for example in ``~/.bashrc``::

    eval "$(_COSTMODEL_COMPLETE=bash_source costmodel)"

(``zsh_source`` in ``~/.zshrc``; for fish, ``_COSTMODEL_COMPLETE=fish_source costmodel | source`` in
``~/.config/fish/completions/costmodel.fish``). Then ``costmodel table mob<TAB>`` offers ``mobilenet_v1``,
``mobilenet_v2``, ...; ``costmodel table ./ne<TAB>`` completes file names; ``costmodel plot <TAB>`` lists the
figures.
"""
from __future__ import annotations

from click.shell_completion import CompletionItem


def complete_target(_ctx, _param, incomplete: str) -> list[CompletionItem]:
    """Zoo names starting with ``incomplete``, then the shell's own file completion (spec and ONNX paths)."""
    from ..zoo import ARCHITECTURES

    names = [CompletionItem(name) for name in ARCHITECTURES if name.startswith(incomplete)]
    return names + [CompletionItem(incomplete, type="file")]


def complete_from(choices) -> callable:
    """Completion of one of ``choices`` (figure names for ``plot``)."""

    def complete(_ctx, _param, incomplete: str) -> list[CompletionItem]:
        return [CompletionItem(choice) for choice in choices if choice.startswith(incomplete)]

    return complete
