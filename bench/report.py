"""Markdown tables from benchmark results, for docs/performance.md.

    python -m bench.report bench/results/2026-11-26-sqlite-100000.json ...

prints one table per result file (every figure with median, p95, floor, ratio and verdict)
and, when several sizes of one backend are given, a growth table of each figure's headline
value (the statistic its target applies to) by size.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.stats import format_value


def _load(paths: list[Path]) -> list[dict[str, Any]]:
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    return sorted(runs, key=lambda r: (r["backend"] != "sqlite", r["size"]))


def _verdict(figure: dict[str, Any]) -> str:
    if figure["status"] != "measured":
        return str(figure["status"])
    verdicts: dict[bool | None, str] = {True: "met", False: "**missed**", None: ""}
    return verdicts[figure["met"]]


def _cpu_ratio(figure: dict[str, Any]) -> str:
    extra = figure.get("extra") or {}
    cpu, floor = extra.get("cpu_median_ms"), extra.get("floor_cpu_median_ms")
    return f"{cpu / floor:.2f}×" if cpu and floor else ""


def run_table(run: dict[str, Any]) -> str:
    machine = run["machine"]
    lines = [
        f"**{run['backend']}, {run['size']:,} people** — {run['date']}, commit "
        f"{machine['commit']}, load average at start {machine['load_average'][0]}; "
        f"database generated in {run['database']['generation']['seconds']:.0f} s",
        "",
        "| figure | median | p95 | first run | floor | ratio | CPU ratio | target | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for f in run["figures"]:
        unit = f["unit"]
        s = f["summary"]
        if f["status"] != "measured":
            lines.append(f"| {f['label']} | | | | | | | {f['target_text']} | {f['status']} |")
            continue
        floor = format_value(f["floor"]["value"], unit) if f["floor"] else ""
        ratio = f"{f['ratio']:.2f}×" if f["ratio"] is not None else ""
        first_ms = (f.get("extra") or {}).get("first_ms")
        first = format_value(first_ms, unit) if first_ms is not None else ""
        lines.append(
            f"| {f['label']} | {format_value(s.get('median'), unit)} | "
            f"{format_value(s.get('p95'), unit)} | {first} | {floor} | {ratio} | "
            f"{_cpu_ratio(f)} | "
            f"{f['target_text']} | {_verdict(f)} |"
        )
    return "\n".join(lines)


def growth_table(runs: list[dict[str, Any]]) -> str:
    """Each figure's headline value (and ratio) by size, for one backend."""
    sizes = [r["size"] for r in runs]
    rows: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    labels: dict[str, str] = {}
    for run in runs:
        for f in run["figures"]:
            rows[f["key"]][run["size"]] = f
            labels[f["key"]] = f["label"].split(" (")[0]  # the largest size's label wins
    head = "| figure (stat) | " + " | ".join(f"{n:,}" for n in sizes) + " |"
    lines = [head, "| --- |" + " ---: |" * len(sizes)]
    for key, by_size in rows.items():
        first = next(iter(by_size.values()))
        cells = []
        for n in sizes:
            f = by_size.get(n)
            if f is None or f["status"] != "measured":
                cells.append("" if f is None else f["status"])
                continue
            cell = format_value(f["value"], f["unit"])
            if f["ratio"] is not None and f["floor"]:
                cell += f" ({f['ratio']:.1f}×)"
            cells.append(cell)
        lines.append(f"| {labels[key]} ({first['stat']}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    runs = _load(args.files)
    out = []
    for run in runs:
        out.append(run_table(run))
    by_backend: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_backend[run["backend"]].append(run)
    for backend, group in by_backend.items():
        if len(group) > 1:
            out.append(f"**Growth, {backend}** (headline value, and ratio to the floor)\n")
            out.append(growth_table(group))
    sys.stdout.write("\n\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
