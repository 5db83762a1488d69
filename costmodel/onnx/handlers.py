"""Imports every handler module, registering its handlers and folders."""
from . import elementwise, folding, layers, views  # noqa: F401
