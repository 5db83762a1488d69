"""Validation of the device model: every ARM (CPU) configuration of ShuffleNet V2's Tables 1-4 and every zoo
network, measured in ONNX Runtime (costmodel.measure, what `costmodel measure` runs; 1 thread, batch 1) and
predicted with a device calibrated from micro-benchmarks (costmodel.calibrate, what `costmodel calibrate`
runs), beside two baselines: flops alone and mac alone, each scaled by one constant fitted on the rows it
is compared on (the median of measured / count; an advantage the device model does not get).

    PYTHONPATH=. python benchmarks/latency.py --calibrate            # calibrate, then measure and predict
    PYTHONPATH=. python benchmarks/latency.py --device device.json   # an existing device file
    PYTHONPATH=. python benchmarks/latency.py --quick                # two rows of each set: checks the script

Writes benchmarks/results/latency.json (every row), latency.md (the tables for benchmarks/README.md and
docs/speed.md) and latency.png (predicted against measured). Timings are only meaningful on a quiet
machine: the load average is recorded before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from costmodel import analyze, load  # noqa: E402
from costmodel.device import calibrate, read_device  # noqa: E402
from costmodel.errors import CostModelError  # noqa: E402
from costmodel.measure import measure  # noqa: E402
from costmodel.zoo import ARCHITECTURES  # noqa: E402
from costmodel.zoo.guidelines import TABLES  # noqa: E402


def guideline_rows():
    """(set, label, builder, parameters, the paper's ARM images/s) for every ARM cell of Tables 1-4."""
    for table in TABLES.values():
        for label, platform, column, params, speed in table.cells():
            if platform == "ARM":
                yield table.name, f"{table.name} {label} ({table.column_kind} {column})", table.builder, params, \
                    speed, f"{table.name} {table.column_kind} {column}"


def zoo_rows():
    for name in ARCHITECTURES:
        if not name.endswith("_bench"):
            yield "zoo", name, name, {}, None, None


def spearman(a, b) -> float:
    """Spearman's rank correlation (ties get their mean rank)."""
    def ranks(x):
        x = np.asarray(x, dtype=float)
        order = np.argsort(x, kind="mergesort")
        r = np.empty(len(x))
        r[order] = np.arange(len(x), dtype=float)
        for value in np.unique(x):
            same = x == value
            r[same] = r[same].mean()
        return r
    if len(a) < 2:
        return float("nan")
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def scores(measured, predicted) -> dict:
    m, p = np.asarray(measured), np.asarray(predicted)
    error = p / m - 1
    return {"spearman": spearman(m, p), "within_10": float(np.mean(np.abs(error) <= 0.10)),
            "within_25": float(np.mean(np.abs(error) <= 0.25)), "median_abs_error": float(np.median(np.abs(error))),
            "n": int(len(m))}


def evaluate(rows: list[dict]) -> dict:
    """Scores of the device model and of the two baselines (constant = median measured / count)."""
    measured = [r["measured"] for r in rows]
    out = {"device": scores(measured, [r["predicted"] for r in rows])}
    for key in ("flops", "mac"):
        constant = statistics.median(r["measured"] / r[key] for r in rows)
        out[key] = {**scores(measured, [constant * r[key] for r in rows]), "seconds_per_unit": constant}
    return out


def per_column(rows: list[dict]) -> dict:
    """Spearman within each column of Tables 1-4 (rows of about equal flops), for columns of 3 rows or more."""
    out = {}
    for column in dict.fromkeys(r["column"] for r in rows):
        chosen = [r for r in rows if r["column"] == column]
        if len(chosen) >= 3:
            out[column] = evaluate(chosen)
    return out


def load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", help="device file to predict with (default: calibrate now)")
    parser.add_argument("--calibrate", action="store_true", help="calibrate first (writes results/device.json)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per network (median)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="two rows per set, quick calibration")
    parser.add_argument("--out", default=str(HERE / "results"), help="folder for latency.json/.md/.png")
    parser.add_argument("--write-docs", action="store_true",
                        help="put latency.md between the result markers of benchmarks/README.md and docs/speed.md")
    parser.add_argument("--from-json", help="no measuring: rewrite latency.md (and the docs) from a latency.json")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        (out / "latency.md").write_text(markdown(results), encoding="utf-8")
        if args.write_docs:
            for page in (HERE / "README.md", HERE.parent / "docs" / "speed.md"):
                write_between_markers(page, markdown(results))
        return
    started = time.time()
    load_before = load_average()
    if args.device and not args.calibrate:
        device = read_device(args.device)
        calibration_seconds = None
    else:
        t = time.perf_counter()
        device = calibrate(quick=args.quick)
        calibration_seconds = time.perf_counter() - t
        device.save(out / "device.json")
    rows, refused = [], []
    wanted = list(guideline_rows()) + list(zoo_rows())
    if args.quick:
        wanted = wanted[:2] + [w for w in wanted if w[0] == "zoo"][:2]
    for group, label, builder, params, paper, column in wanted:
        try:
            graph = load(builder, **params)
        except CostModelError as error:
            refused.append({"set": group, "label": label, "reason": str(error)})
            print(f"refused {label}: {error}", file=sys.stderr)
            continue
        costs = analyze(graph).totals
        measured = measure(graph, runs=args.runs, warmup=args.warmup, profile_runs=0)
        predicted = device.predict(graph)
        row = {"set": group, "label": label, "builder": builder, "parameters": params,
               "measured": measured.cpu_median, "wall": measured.median, "q1": measured.quartiles[0],
               "q3": measured.quartiles[1],
               "predicted": predicted.total, "flops": int(costs.flops), "mac": int(costs.mac),
               "paper_arm_images_per_s": paper, "column": column}
        rows.append(row)
        print(f"{label:60s} measured {row['measured'] * 1e3:9.3f} ms  predicted {row['predicted'] * 1e3:9.3f} ms  "
              f"{row['predicted'] / row['measured'] - 1:+.0%}", file=sys.stderr)
    guideline = [r for r in rows if r["set"] != "zoo"]
    zoo = [r for r in rows if r["set"] == "zoo"]
    results = {"onnxruntime": measured.onnxruntime, "runs": args.runs, "warmup": args.warmup,
               "load_average_before": load_before, "load_average_after": load_average(),
               "seconds": round(time.time() - started, 1), "calibration_seconds": calibration_seconds,
               "device": device.as_dict(), "rows": rows, "refused": refused,
               "scores": {"guidelines": evaluate(guideline) if len(guideline) > 1 else None,
                          "zoo": evaluate(zoo) if len(zoo) > 1 else None,
                          "per_table": {name: evaluate([r for r in guideline if r["set"] == name])
                                        for name in TABLES if sum(r["set"] == name for r in guideline) > 1},
                          "per_column": per_column(guideline)}}
    (out / "latency.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out / "latency.md").write_text(markdown(results), encoding="utf-8")
    plot(results, out / "latency.png")
    print(markdown(results))
    if args.write_docs:
        for page in (HERE / "README.md", HERE.parent / "docs" / "speed.md"):
            write_between_markers(page, markdown(results))
        import shutil

        (HERE.parent / "docs" / "speed").mkdir(exist_ok=True)
        shutil.copyfile(out / "latency.png", HERE.parent / "docs" / "speed" / "latency.png")


BEGIN, END = "<!-- latency results: benchmarks/latency.py --write-docs -->", "<!-- end of latency results -->"


def write_between_markers(page: Path, text: str) -> None:
    """Replace what stands between the two result markers of ``page`` with ``text``."""
    content = page.read_text(encoding="utf-8")
    head, found, rest = content.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise SystemExit(f"{page}: no result markers")
    page.write_text(f"{head}{BEGIN}\n{text}{END}{tail}", encoding="utf-8")


def markdown(results: dict) -> str:
    lines = [f"ONNX Runtime {results['onnxruntime']}, 1 thread, batch 1, median CPU time of the computing thread "
             f"over {results['runs']} runs; "
             f"load average before {results['load_average_before']}, after {results['load_average_after']}.", ""]
    lines += ["| rows | model | Spearman | within ±10 % | within ±25 % | median error |",
              "|---|---|---:|---:|---:|---:|"]
    for key, title in (("guidelines", "Tables 1–4 (ARM sizes)"), ("zoo", "zoo networks")):
        found = results["scores"].get(key)
        if not found:
            continue
        for model, name in (("device", "device model"), ("flops", "flops × c"), ("mac", "mac × c")):
            s = found[model]
            lines.append(f"| {title} ({s['n']}) | {name} | {s['spearman']:.2f} | {s['within_10']:.0%} | "
                         f"{s['within_25']:.0%} | {s['median_abs_error']:.0%} |")
    per_table = results["scores"].get("per_table") or {}
    if per_table:
        lines += ["", "Within each table (all its rows: its columns differ in flops, its rows at one column do not):", "",
                  "| table | device model | flops × c | mac × c |", "|---|---:|---:|---:|"]
        for name, s in per_table.items():
            lines.append(f"| {name} ({s['device']['n']}) | {s['device']['spearman']:.2f} | "
                         f"{s['flops']['spearman']:.2f} | {s['mac']['spearman']:.2f} |")
    columns = results["scores"].get("per_column") or {}
    if columns:
        lines += ["", "Within each column of a table (the rows the paper compares at equal flops):", "",
                  "| column | rows | device model | flops × c | mac × c |", "|---|---:|---:|---:|---:|"]
        for name, s in columns.items():
            lines.append(f"| {name} | {s['device']['n']} | {s['device']['spearman']:.2f} | "
                         f"{s['flops']['spearman']:.2f} | {s['mac']['spearman']:.2f} |")
        mean = statistics.mean(s["device"]["spearman"] for s in columns.values())
        lines.append(f"| mean | | {mean:.2f} | "
                     f"{statistics.mean(s['flops']['spearman'] for s in columns.values()):.2f} | "
                     f"{statistics.mean(s['mac']['spearman'] for s in columns.values()):.2f} |")
    lines += ["", "| network | measured | predicted | error | paper ARM images/s |", "|---|---:|---:|---:|---:|"]
    for r in results["rows"]:
        paper = "" if r["paper_arm_images_per_s"] is None else f"{r['paper_arm_images_per_s']:g}"
        lines.append(f"| {r['label']} | {r['measured'] * 1e3:.3f} ms | {r['predicted'] * 1e3:.3f} ms | "
                     f"{r['predicted'] / r['measured'] - 1:+.0%} | {paper} |")
    for r in results["refused"]:
        lines.append(f"| {r['label']} | refused: {r['reason']} | | | |")
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["rows"]
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), sharex=True, sharey=True)
    scores_of = results["scores"]
    for ax, (model, title) in zip(axes, (("device", "device model"), ("flops", "flops × c"), ("mac", "mac × c"))):
        for group, colour, marker in (("guidelines", "#1f77b4", "o"), ("zoo", "#d62728", "s")):
            chosen = [r for r in rows if (r["set"] == "zoo") == (group == "zoo")]
            if not chosen:
                continue
            if model == "device":
                predicted = [r["predicted"] for r in chosen]
            else:
                c = (scores_of[group] or {}).get(model, {}).get("seconds_per_unit", 0)
                predicted = [c * r[model] for r in chosen]
            s = (scores_of[group] or {}).get(model)
            label = f"{'Tables 1-4' if group == 'guidelines' else 'zoo'}" + (
                f": rho {s['spearman']:.2f}, {s['within_25']:.0%} within 25%" if s else "")
            ax.scatter([r["measured"] * 1e3 for r in chosen], [p * 1e3 for p in predicted], s=18, c=colour,
                       marker=marker, alpha=0.75, label=label, edgecolor="k", linewidth=0.3)
        low = min(r["measured"] for r in rows) * 1e3 / 2
        high = max(r["measured"] for r in rows) * 1e3 * 2
        xs = np.array([low, high])
        ax.plot(xs, xs, "k-", lw=0.8)
        ax.fill_between(xs, xs * 0.75, xs * 1.25, color="0.85", zorder=0, label="±25 %")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("measured ms (ONNX Runtime, 1 thread)")
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("predicted ms")
    fig.suptitle(f"predicted against measured; load average {results['load_average_before']} before, "
                 f"{results['load_average_after']} after", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=130)


if __name__ == "__main__":
    main()
