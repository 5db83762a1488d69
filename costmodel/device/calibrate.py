"""``calibrate()``: measure this machine and fit a ``Device`` (see ``costmodel.device.model`` for the formula).

With ONNX Runtime installed, every op class is timed on micro-benchmarks (``costmodel.device.bench``): single
ops at the sizes the zoo's networks use (resolutions 7 to 224; channel counts that are multiples of the
vector width and ones that are not, as in ShuffleNet V2's G1 benchmark and its 58-, 116-channel branches),
on one thread. Each class's ``t0`` and rates are then fitted by least squares on relative error with every
coefficient kept non-negative (once with the vector width as the channel alignment, once with half of it;
the alignment that fits better is kept): per benchmark unit, ``t = t0 * nodes + flops / F + bytes / B`` with aligned
and slow nodes' multiply-adds and bytes as separate columns (a column that does not help is dropped, and
its rate is ``None``; a class with no slow benchmark takes its aligned rates for slow nodes).

Without ONNX Runtime, numpy measures a GEMM's multiply-adds per second, a copy's bytes per second and the
cost of one tiny call, and every class gets those three numbers (a coarse device, said in its description).
"""
from __future__ import annotations

import itertools
import platform
import statistics
import time
from typing import Any, Callable

from ..errors import UsageError
from .bench import Case, time_runs
from .model import BYTES_PER_ELEMENT, CLASSES, Device, Rates, device_class, is_slow, padding_waste


def _conv(c, hw, c_out=None, k=1, stride=1, groups=1):
    return Case("conv", c, hw, c_out or c, k, stride, groups)


def cases(quick: bool = False) -> list[Case]:
    """The micro-benchmarks, per op class; ``quick``: a handful (for tests), not enough to fit well."""
    if quick:
        return [_conv(16, 14, 32), _conv(12, 14, 20), _conv(16, 14, k=3), _conv(16, 14, k=3, groups=16),
                _conv(32, 14, groups=4), Case("fc", 64, 1, 32), Case("relu", 16, 14), Case("sigmoid", 16, 14),
                Case("max_pool", 16, 14, k=3, stride=2), Case("concat", 16, 14), Case("shuffle", 16, 14)]
    found = []
    # 1x1: chained c -> c_out -> c pairs (ShuffleNet V2's G1 block); aligned, then channels off the vector width
    for c, hw, c_out in ((32, 112, 64), (64, 56, 128), (128, 56, 128), (64, 56, 256), (128, 28, 256),
                         (256, 28, 256), (256, 14, 512), (512, 14, 512), (512, 7, 1024), (1024, 7, 2048),
                         (32, 56, 32), (16, 56, 96), (24, 28, 144), (40, 14, 240), (96, 14, 576), (160, 7, 960),
                         (64, 1, 16), (576, 1, 144),
                         (22, 56, 44), (13, 56, 78), (9, 56, 108), (58, 28, 58), (116, 14, 116), (12, 56, 36),
                         (20, 28, 60), (60, 56, 60), (36, 28, 36), (100, 14, 200), (44, 56, 22), (78, 56, 13),
                         (18, 28, 12), (72, 1, 18),
                         (256, 56, 64), (128, 112, 64), (16, 112, 96), (256, 56, 256), (64, 112, 32),
                         (174, 14, 174), (44, 28, 88), (32, 56, 8), (64, 56, 16), (128, 56, 32)):
        found.append(_conv(c, hw, c_out))
    for c, hw, c_out in ((64, 56, 128), (256, 56, 512), (512, 28, 1024), (1024, 14, 2048), (24, 56, 58)):
        found.append(_conv(c, hw, c_out, stride=2))
    # dense k x k
    for c, hw, c_out, k, s in ((32, 112, 32, 3, 1), (64, 56, 64, 3, 1), (128, 28, 128, 3, 1), (256, 14, 256, 3, 1),
                               (512, 7, 512, 3, 1), (64, 56, 128, 3, 2), (128, 28, 256, 3, 2),
                               (256, 14, 512, 3, 2), (3, 224, 32, 3, 2), (3, 224, 64, 7, 2),
                               (3, 224, 96, 11, 4), (64, 28, 64, 5, 1), (96, 14, 96, 3, 1), (16, 112, 16, 3, 1),
                               (64, 112, 64, 3, 1), (128, 56, 128, 3, 1), (96, 27, 256, 5, 1), (8, 56, 8, 3, 1),
                               (16, 56, 16, 3, 1), (32, 56, 32, 3, 1)):
        found.append(_conv(c, hw, c_out, k, s))
    # depthwise
    for c, hw, k, s in ((32, 112, 3, 1), (64, 112, 3, 2), (128, 56, 3, 1), (128, 56, 3, 2), (256, 28, 3, 1),
                        (512, 14, 3, 1), (1024, 7, 3, 1), (144, 56, 3, 1), (384, 14, 3, 1), (72, 56, 5, 2),
                        (120, 28, 5, 1), (480, 14, 5, 1), (960, 7, 5, 1), (24, 56, 3, 2),
                        (58, 28, 3, 1), (116, 14, 3, 1), (116, 28, 3, 2), (60, 56, 3, 1), (36, 28, 3, 1),
                        (232, 14, 3, 2), (96, 112, 3, 2), (144, 112, 3, 1), (192, 56, 3, 1), (44, 28, 3, 1),
                        (174, 14, 3, 1), (58, 56, 3, 2), (22, 56, 3, 1)):
        found.append(_conv(c, hw, c, k, s, groups=c))
    # grouped
    for c, hw, k, g in ((96, 56, 1, 2), (128, 56, 1, 4), (192, 56, 1, 8), (240, 28, 1, 3), (480, 14, 1, 3),
                        (384, 28, 1, 8), (128, 56, 3, 32), (256, 28, 3, 32), (512, 14, 3, 32), (1024, 7, 3, 32),
                        (90, 56, 1, 2), (180, 28, 1, 4), (100, 56, 1, 4), (360, 14, 1, 8)):
        found.append(_conv(c, hw, c, k, 1, groups=g))
    # fully connected
    for c, c_out in ((512, 1000), (1024, 1000), (1280, 1000), (2048, 1000), (4096, 4096), (1024, 1024), (100, 10),
                     (9216, 4096), (4096, 1000)):
        found.append(Case("fc", c, 1, c_out))
    # element-wise, pooling, data movement
    for kind in ("relu", "add", "scale", "sigmoid", "hard_swish"):
        for c, hw in ((32, 112), (64, 56), (128, 28), (256, 14), (512, 7), (1024, 1), (96, 112), (256, 56),
                      (32, 56), (128, 56)):
            found.append(Case(kind, c, hw))
    for kind, c, hw, k, s in (("max_pool", 64, 112, 3, 2), ("max_pool", 96, 56, 3, 2), ("max_pool", 192, 28, 3, 1),
                              ("avg_pool", 240, 28, 3, 2), ("avg_pool", 64, 56, 3, 1), ("global_pool", 512, 7, 1, 1),
                              ("global_pool", 1280, 7, 1, 1), ("global_pool", 2048, 7, 1, 1),
                              ("global_pool", 96, 56, 1, 1), ("global_pool", 576, 14, 1, 1)):
        found.append(Case(kind, c, hw, k=k, stride=s))
    for kind in ("concat", "split", "shuffle"):
        for c, hw in ((48, 56), (116, 28), (232, 14), (464, 7), (256, 28), (256, 56)):
            found.append(Case(kind, c, hw))
    found.append(Case("flatten", 1024, 1))
    found.append(Case("flatten", 512, 7))
    return found


def unit_features(case: Case, vector_width: int, cache: int = 0, alignment: int = 0) -> tuple[str, list[float]]:
    """The op class of a benchmark and its features ``[nodes, aligned flops, aligned bytes, slow flops, slow
    bytes, far bytes]`` (flops padded to the vector width, ``padding_waste``; far bytes: those of nodes that
    move more than ``cache`` bytes) summed over the unit's nodes (fused nodes left out, as the model gives them no time)."""
    features = [0.0] * 6
    kinds = set()
    for layer in case.layers():
        if layer.fused:
            continue
        kinds.add(device_class(layer))
        slow = is_slow(layer, alignment or vector_width)
        nbytes = float(BYTES_PER_ELEMENT * layer.mac)
        features[0] += 1
        features[3 if slow else 1] += float(layer.flops) * padding_waste(layer, vector_width)
        features[4 if slow else 2] += nbytes
        if cache and nbytes > cache:
            features[5] += nbytes
    if len(kinds) != 1:
        raise ValueError(f"benchmark {case.label} mixes op classes {sorted(kinds)}")
    return kinds.pop(), features


def fit(rows: list[list[float]], seconds: list[float]) -> list[float]:
    """Non-negative coefficients ``x`` minimising ``sum(((A x - t) / t)^2)``: every subset of the columns is
    solved by least squares and the best fit with no negative coefficient kept (six columns: 63 subsets)."""
    import numpy as np

    a = np.asarray(rows, dtype=float)
    t = np.asarray(seconds, dtype=float)
    weighted = a / t[:, None]
    target = np.ones_like(t)
    columns = [j for j in range(a.shape[1]) if np.any(a[:, j] > 0)]
    scale = np.array([a[:, j].max() if a[:, j].max() > 0 else 1.0 for j in range(a.shape[1])])
    best, best_error = np.zeros(a.shape[1]), float(np.sum(target ** 2))
    for size in range(1, len(columns) + 1):
        for subset in itertools.combinations(columns, size):
            sub = weighted[:, subset] / scale[list(subset)]
            x, *_ = np.linalg.lstsq(sub, target, rcond=None)
            if np.any(x < 0):
                continue
            error = float(np.sum((sub @ x - target) ** 2))
            if error < best_error - 1e-12:
                best = np.zeros(a.shape[1])
                best[list(subset)] = x / scale[list(subset)]
                best_error = error
    return [float(v) for v in best]


def rates_of(coefficients: list[float], has_slow: bool) -> Rates:
    """``Rates`` from fitted ``[t0, 1/F, 1/B, 1/F_slow, 1/B_slow, 1/B_far]``; without slow benchmarks the
    aligned ones."""
    def rate(c):
        return 1.0 / c if c > 0 else None

    t0, f, b, fs, bs, far = coefficients
    if not has_slow:
        fs, bs = f, b
    return Rates(t0, rate(f), rate(b), rate(fs), rate(bs), rate(far))


def vector_width() -> int:
    """float32 lanes of this CPU's widest SIMD unit ONNX Runtime uses: 16 with AVX-512, else 8 (AVX2, and
    the default elsewhere; ARM NEON's 4 lanes are read from the platform)."""
    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            flags = handle.read(200_000)
    except OSError:
        pass
    if " avx512f" in flags:
        return 16
    if platform.machine().lower() in ("arm64", "aarch64", "armv7l"):
        return 4
    return 8


def cache_bytes() -> int:
    """The per-core L2 cache in bytes (Linux sysfs), 512 KiB where it cannot be read."""
    try:
        with open("/sys/devices/system/cpu/cpu0/cache/index2/size", encoding="ascii") as handle:
            text = handle.read().strip().upper()
        scale = {"K": 1 << 10, "M": 1 << 20}.get(text[-1:], 1)
        return int(text.rstrip("KM")) * scale
    except (OSError, ValueError):
        return 512 << 10


def have_onnxruntime() -> bool:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def calibrate(quick: bool = False, backend: str = "auto", progress: Callable[[str], Any] | None = None,
              runs: int = 15, budget: float = 0.25) -> Device:
    """Measure this machine and fit its ``Device`` (named ``this``): ONNX Runtime micro-benchmarks when
    ``backend`` is ``onnxruntime`` (or ``auto`` and it is installed), else numpy's (``numpy``). ``quick``
    runs a handful of small benchmarks (seconds; for tests, not for predictions); ``progress`` is called
    with a line per benchmark. ``runs`` and ``budget`` (seconds) bound each timing."""
    if backend not in ("auto", "onnxruntime", "numpy"):
        raise UsageError(f"calibrate backend must be auto, onnxruntime or numpy, got {backend!r}")
    if backend == "auto":
        backend = "onnxruntime" if have_onnxruntime() else "numpy"
    if backend == "onnxruntime" and not have_onnxruntime():
        raise UsageError("calibrating with onnxruntime needs onnx and onnxruntime: pip install 'costmodel[measure]'")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    machine = f"{platform.machine()} {platform.processor() or _cpu_name()}".strip()
    width = vector_width()
    if backend == "numpy":
        return _numpy_device(width, stamp, machine, quick)
    return _onnxruntime_device(width, stamp, machine, quick, progress, runs, budget)


def _onnxruntime_device(width, stamp, machine, quick, progress, runs, budget) -> Device:
    import onnxruntime

    from .bench import overhead, time_case

    cache = cache_bytes()
    timed = []
    for case in cases(quick):
        kind, features = unit_features(case, width, cache)
        copies = _copies(features)
        seconds = time_case(case, copies, runs=runs if not quick else 5, budget=budget if not quick else 0.02)
        timed.append((case, seconds))
        if progress:
            progress(f"{kind:11s} {case.label:32s} {seconds * 1e6:10.1f} us")
    best, errors = None, {}
    for alignment in sorted({width, max(width // 2, 1)}, reverse=True):  # the vector width, or half of it
        data: dict[str, list] = {k: [] for k in CLASSES}
        for case, seconds in timed:
            kind, features = unit_features(case, width, cache, alignment)
            data[kind].append((case, features, seconds))
        classes, report, error = _fit_classes(data)
        errors[str(alignment)] = round(error, 4)
        if best is None or error < best[0] - 1e-12:
            best = (error, alignment, data, classes, report)
    _, alignment, data, classes, report = best
    fallback = next(iter(classes.values()))
    for kind in CLASSES:  # a class without benchmarks (quick runs) borrows the first fitted one's rates
        classes.setdefault(kind, fallback)
    run = overhead(runs=runs if not quick else 5)
    description = (f"calibrated on {machine} with ONNX Runtime {onnxruntime.__version__}, 1 thread, "
                   f"{sum(len(v) for v in data.values())} micro-benchmarks{' (quick: not for predictions)' if quick else ''}")
    info = {"measured": stamp, "backend": "onnxruntime", "onnxruntime": onnxruntime.__version__,
            "quick": quick, "fit": report, "alignment_errors": errors}
    return Device("this", classes, "sum", width, run, description, info, cache, alignment)


def _fit_classes(data: dict) -> tuple[dict, dict, float]:
    """Each class's fitted ``Rates``, its fit report, and the summed squared relative error of all."""
    classes, report, total = {}, {}, 0.0
    for kind in CLASSES:
        rows = data[kind]
        if not rows:
            continue
        coefficients = fit([f for _, f, _ in rows], [s for _, _, s in rows])
        has_slow = any(f[3] or f[4] for _, f, _ in rows)
        classes[kind] = rates_of(coefficients, has_slow)
        errors = [abs(_predicted(classes[kind], f) - s) / s for _, f, s in rows]
        total += sum(e * e for e in errors)
        report[kind] = {"benchmarks": len(rows), "median_error": round(statistics.median(errors), 4),
                        "max_error": round(max(errors), 4),
                        "measured": [[case.label, float(f"{s:.4g}"), float(f"{_predicted(classes[kind], f):.4g}")]
                                     for case, f, s in rows]}
    return classes, report, total


def _predicted(rates: Rates, features: list[float]) -> float:
    """A unit's time from its features (what the fit minimised): ``t0 * nodes`` plus both rate pairs' terms."""
    nodes, flops, nbytes, slow_flops, slow_bytes, far_bytes = features
    total = rates.t0 * nodes
    for value, rate in ((flops, rates.flops_per_s), (nbytes, rates.bytes_per_s),
                        (slow_flops, rates.misaligned_flops_per_s), (slow_bytes, rates.misaligned_bytes_per_s),
                        (far_bytes, rates.far_bytes_per_s)):
        if value and rate:
            total += value / rate
    return total


def _copies(features: list[float]) -> int:
    """Copies per benchmark run: more for small ops, so that the difference from one copy stands out."""
    flops, nbytes = features[1] + features[3], features[2] + features[4]
    if flops > 100e6 or nbytes > 20e6:
        return 2
    if flops > 5e6 or nbytes > 1e6:
        return 4
    return 8


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _numpy_device(width, stamp, machine, quick) -> Device:
    """numpy's GEMM rate, copy bandwidth and call cost, the same for every class."""
    import numpy as np

    n = 128 if quick else 512
    a = np.ones((n, n), dtype=np.float32)
    b = np.ones((n, n), dtype=np.float32)
    gemm = statistics.median(time_runs(lambda: a @ b, 5 if quick else 20, 1))
    flops_per_s = n ** 3 / gemm
    size = (1 << 18) if quick else (1 << 22)
    src = np.ones(size, dtype=np.float32)
    dst = np.empty_like(src)
    copy = statistics.median(time_runs(lambda: np.copyto(dst, src), 5 if quick else 20, 1))
    bytes_per_s = 2 * src.nbytes / copy
    tiny = np.ones(4, dtype=np.float32)
    call = statistics.median(time_runs(lambda: np.add(tiny, tiny), 50 if quick else 500, 1))
    rates = Rates(call, flops_per_s, bytes_per_s, flops_per_s, bytes_per_s)
    description = (f"calibrated on {machine} with numpy {np.__version__} only (no ONNX Runtime): one GEMM rate, "
                   f"copy bandwidth and call cost for every op class (coarse; pip install 'costmodel[measure]' "
                   f"and calibrate again for per-class rates)")
    info = {"measured": stamp, "backend": "numpy", "quick": quick}
    return Device("this", {k: rates for k in CLASSES}, "sum", width, call, description, info)
