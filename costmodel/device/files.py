"""Named devices and device files: ``load_device(name or path)`` gives the named profiles ``cpu`` and
``gpu`` (the roofline peaks of ``costmodel plot roofline``, vendor specifications, ``t0 = 0``), ``this`` (the
file ``costmodel calibrate`` writes, at ``config_path()``) or any device file, validated field by field:
a device file is user input, and a bad, truncated or hostile one ends in one ``UsageError`` naming it."""
from __future__ import annotations

import json
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..values import show
from .model import CLASSES, COMBINES, FORMAT, RATE_FIELDS, VERSION, Device, Rates

MAX_FILE_BYTES = 1 << 20  # a device file is a few kB


def roofline(name: str, description: str, peak_flops: float, bandwidth: float, vector_width: int) -> Device:
    """A roofline as a device: every class ``t = max(flops / peak, bytes / bandwidth)``, no fixed costs."""
    rates = Rates(0.0, peak_flops, bandwidth, peak_flops, bandwidth, None)
    return Device(name, {k: rates for k in CLASSES}, "max", vector_width, 0.0, description)


ROOFLINES = {
    "cpu": roofline("cpu", "Intel Core i9-9900K roofline: 8 cores x 3.6 GHz base clock x 2 AVX2 FMA units x 8 "
                           "float32 lanes = 460.8 G multiply-adds/s; 41.6 GB/s, Intel ARK 'max memory "
                           "bandwidth' (dual-channel DDR4-2666)", 8 * 3.6e9 * 2 * 8, 41.6e9, 8),
    "gpu": roofline("gpu", "NVIDIA GeForce GTX 1080 Ti roofline: 3584 CUDA cores x 1.582 GHz boost clock x 1 FMA "
                           "= 5.67 T multiply-adds/s (NVIDIA's 11.3 TFLOPS counts 2 per FMA); 484 GB/s, NVIDIA's "
                           "specification (352-bit GDDR5X, 11 Gbps). The GPU of ShuffleNet V2's Tables 1-4",
                    3584 * 1.582e9, 484e9, 32),
}
PROFILES = (*ROOFLINES, "this")


def config_path() -> Path:
    """Where ``costmodel calibrate`` keeps the device ``this``: ``$XDG_CONFIG_HOME/costmodel/device.json``,
    or ``~/.config/costmodel/device.json`` when ``XDG_CONFIG_HOME`` is unset or empty."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".config") / "costmodel" / "device.json"


def load_device(device: str | os.PathLike | Device) -> Device:
    """A device by profile name (``cpu``, ``gpu``, ``this``) or device-file path; a ``Device`` as it is."""
    if isinstance(device, Device):
        return device
    if isinstance(device, str) and device in ROOFLINES:
        return ROOFLINES[device]
    if isinstance(device, str) and device == "this":
        path = config_path()
        if not path.is_file():
            raise UsageError(f"device 'this' is not calibrated yet ({show(str(path), limit=80)} does not exist): "
                             f"run costmodel calibrate")
        return replace(read_device(path), name="this")
    if not isinstance(device, (str, os.PathLike)):
        raise UsageError(f"device must be a name ({', '.join(PROFILES)}) or a file, got {show(device, limit=60)}")
    path = Path(device)
    if not path.is_file():
        from ..values import suggest

        raise UsageError(f"device {show(str(device), limit=80)} is neither a profile ({', '.join(PROFILES)}) nor "
                         f"a file{suggest(str(device), PROFILES)}")
    return read_device(path)


def read_device(path: str | os.PathLike) -> Device:
    """The device of a device file, every field checked (``parse_device``); one ``UsageError`` naming the
    file and what is wrong otherwise."""
    where = show(str(path), limit=80)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise UsageError(f"cannot read device file {where}: {error.strerror or error}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise UsageError(f"device file {where} is larger than {MAX_FILE_BYTES} bytes: not a device file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"device file {where} is not UTF-8 text: not a device file") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except _Constant as error:
        raise UsageError(f"device file {where}: {error} is not a number a device file may hold") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"device file {where} is not valid JSON (line {error.lineno}, column {error.colno}: "
                         f"{error.msg}); truncated? run costmodel calibrate again") from None
    except RecursionError:
        raise UsageError(f"device file {where} nests too deeply: not a device file") from None
    return parse_device(data, where)


class _Constant(ValueError):
    pass


def _refuse_constant(name: str):
    raise _Constant(name)


def parse_device(data: Any, where: str = "device") -> Device:
    """A ``Device`` from a device file's parsed JSON; ``UsageError`` on a missing, unknown or bad field."""
    def fail(message: str):
        raise UsageError(f"device file {where}: {message}")

    if not isinstance(data, dict):
        fail(f"must hold a JSON object, got {type(data).__name__}")
    known = {"format", "version", "name", "description", "combine", "vector_width", "run_overhead", "classes",
             "info", "cache_bytes", "alignment"}
    unknown = sorted(set(data) - known, key=str)
    if unknown:
        fail(f"unknown field {show(unknown[0], limit=40)}; fields are {', '.join(sorted(known))}")
    if data.get("format") != FORMAT:
        fail(f"format must be {FORMAT!r}, got {show(data.get('format'), limit=40)}")
    if data.get("version") != VERSION:
        fail(f"version must be {VERSION}, got {show(data.get('version'), limit=40)}")
    name = data.get("name", "device")
    description = data.get("description", "")
    for key, value in (("name", name), ("description", description)):
        if not isinstance(value, str) or len(value) > 2000 or not value.isprintable():
            fail(f"{key} must be printable text of at most 2000 characters, got {show(value, limit=40)}")
    combine = data.get("combine", "sum")
    if combine not in COMBINES:
        fail(f"combine must be one of {', '.join(COMBINES)}, got {show(combine, limit=40)}")
    width = data.get("vector_width", 8)
    if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= 1024:
        fail(f"vector_width must be a whole number from 1 to 1024, got {show(width, limit=40)}")
    overhead = _seconds(data.get("run_overhead", 0.0), "run_overhead", fail)
    cache = data.get("cache_bytes", 0)
    if isinstance(cache, bool) or not isinstance(cache, int) or not 0 <= cache <= 1 << 40:
        fail(f"cache_bytes must be a whole number of bytes from 0 to 2**40, got {show(cache, limit=40)}")
    classes = data.get("classes")
    if not isinstance(classes, dict):
        fail(f"classes must be an object with one entry per op class ({', '.join(CLASSES)})")
    missing = [k for k in CLASSES if k not in classes]
    extra = sorted((k for k in classes if k not in CLASSES), key=str)
    if extra:
        fail(f"classes: unknown op class {show(extra[0], limit=40)}; classes are {', '.join(CLASSES)}")
    if missing:
        fail(f"classes: op class {missing[0]} is missing")
    rates = {}
    for kind in CLASSES:
        entry = classes[kind]
        if not isinstance(entry, dict):
            fail(f"classes.{kind} must be an object with t0 and {', '.join(RATE_FIELDS)}")
        bad = sorted((k for k in entry if k not in ("t0", *RATE_FIELDS)), key=str)
        if bad:
            fail(f"classes.{kind}: unknown field {show(bad[0], limit=40)}; fields are t0, {', '.join(RATE_FIELDS)}")
        values = {"t0": _seconds(entry.get("t0", 0.0), f"classes.{kind}.t0", fail)}
        for key in RATE_FIELDS:
            values[key] = _rate(entry.get(key), f"classes.{kind}.{key}", fail)
        rates[kind] = Rates(**values)
    info = data.get("info", {})
    if not isinstance(info, dict):
        fail("info must be an object")
    alignment = data.get("alignment", width)
    if isinstance(alignment, bool) or not isinstance(alignment, int) or not 1 <= alignment <= width:
        fail(f"alignment must be a whole number from 1 to vector_width ({width}), got {show(alignment, limit=40)}")
    return Device(name, rates, combine, width, overhead, description, info, cache, alignment)


def _seconds(value: Any, key: str, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value <= 10:
        fail(f"{key} must be a number of seconds from 0 to 10, got {show(value, limit=40)}")
    return float(value)


def _rate(value: Any, key: str, fail) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 1.0 <= value <= 1e18:
        fail(f"{key} must be a positive rate per second from 1 to 1e18 (or null for no such term), got "
             f"{show(value, limit=40)}")
    return float(value)
