"""Imports every handler module, registering its handlers and folders."""
from . import constants, elementwise, folding, layers, more, views  # noqa: F401
