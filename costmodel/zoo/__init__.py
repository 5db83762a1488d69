"""Architecture builders that reproduce the papers' tables; one family per module.

``build(name, **parameters)`` returns a :class:`~costmodel.graph.Graph`; ``ARCHITECTURES`` lists them.
"""
from .registry import ARCHITECTURES, Architecture, architecture, build, register

__all__ = ["ARCHITECTURES", "Architecture", "architecture", "build", "register"]
