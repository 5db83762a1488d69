"""Architecture builders that reproduce the papers' tables; one family per module.

``build(name, **parameters)`` returns a ``Graph``; ``ARCHITECTURES`` lists them.
Importing a family module registers its builders.
"""
# imported in the order `costmodel list` shows them
from . import mobilenet, shufflenet, squeezenet, ghostnet, resnet, classic, guidelines  # noqa: F401, I001
from .registry import ARCHITECTURES, Architecture, architecture, build, register

__all__ = ["ARCHITECTURES", "Architecture", "architecture", "build", "register"]
