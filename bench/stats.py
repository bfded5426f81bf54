"""Figures of the benchmark: samples, their median and p95, a floor beside them, and targets."""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample at or above ``fraction`` of them."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary(samples: list[float]) -> dict[str, float | int]:
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "median": round(statistics.median(samples), 3),
        "p95": round(percentile(samples, 0.95), 3),
        "min": round(min(samples), 3),
        "max": round(max(samples), 3),
    }


def timed_ms(fn: Callable[[], Any], cpu: list[float] | None = None) -> float:
    """Wall-clock milliseconds of ``fn()``; its CPU milliseconds on this thread go to ``cpu``."""
    started_cpu = time.thread_time()
    started = time.perf_counter()
    fn()
    elapsed = (time.perf_counter() - started) * 1000
    if cpu is not None:
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return elapsed


@dataclass
class Paired:
    """Wall-clock samples of a figure and its floor, and the CPU time each spent in-process."""

    samples: list[float] = field(default_factory=list)
    floors: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    floor_cpu: list[float] = field(default_factory=list)

    def cpu_extra(self) -> dict[str, float]:
        """Median CPU milliseconds: steadier than wall time on a busy machine (in-process only:
        a PostgreSQL server's own CPU is not counted)."""
        if not self.cpu:
            return {}
        return {
            "cpu_median_ms": round(statistics.median(self.cpu), 3),
            "floor_cpu_median_ms": round(statistics.median(self.floor_cpu), 3),
        }


def paired(fn: Callable[[], Any], floor: Callable[[], Any], repeat: int, warmup: int = 2) -> Paired:
    """Time ``fn`` and its ``floor`` alternately, so both see the same machine noise."""
    for _ in range(warmup):
        fn()
        floor()
    gc.collect()
    out = Paired()
    for i in range(repeat):
        # Alternate which goes first: neither always gets the warmer cache.
        if i % 2:
            out.floors.append(timed_ms(floor, out.floor_cpu))
            out.samples.append(timed_ms(fn, out.cpu))
        else:
            out.samples.append(timed_ms(fn, out.cpu))
            out.floors.append(timed_ms(floor, out.floor_cpu))
    return out


@dataclass
class Figure:
    """One measured figure: samples in ``unit``, an optional floor and the targets it must meet.

    ``stat`` is the statistic the targets apply to: ``p95`` where the issue asks for p95,
    else ``median``. ``target`` bounds that statistic; ``target_ratio`` bounds it divided by
    the same statistic of the floor.
    """

    key: str
    label: str
    unit: str = "ms"
    samples: list[float] = field(default_factory=list)
    floor_label: str = ""
    floor_samples: list[float] = field(default_factory=list)
    stat: str = "p95"
    target: float | None = None
    target_ratio: float | None = None
    status: str = "measured"  # measured, pending, skipped or failed
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def value(self) -> float | None:
        return self._stat(self.samples)

    def floor_value(self) -> float | None:
        return self._stat(self.floor_samples)

    def _stat(self, samples: list[float]) -> float | None:
        if not samples:
            return None
        if self.stat == "median":
            return float(statistics.median(samples))
        return percentile(samples, 0.95)

    def ratio(self) -> float | None:
        value, floor = self.value(), self.floor_value()
        if value is None or not floor:
            return None
        return value / floor

    def met(self) -> bool | None:
        """True or False against the targets; None when there is no target or no value."""
        value = self.value()
        if self.status != "measured" or value is None:
            return None
        if self.target is None and self.target_ratio is None:
            return None
        ok = True
        if self.target is not None:
            ok = ok and value <= self.target
        if self.target_ratio is not None:
            ratio = self.ratio()
            ok = ok and ratio is not None and ratio <= self.target_ratio
        return ok

    def target_text(self) -> str:
        parts = []
        if self.target is not None:
            parts.append(f"{self.stat} ≤ {_num(self.target)} {self.unit}")
        if self.target_ratio is not None:
            parts.append(f"≤ {_num(self.target_ratio)}× floor")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        ratio = self.ratio()
        out: dict[str, Any] = {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "status": self.status,
            "stat": self.stat,
            "value": _round(self.value()),
            "summary": summary(self.samples),
            "samples": [round(s, 3) for s in self.samples],
            "floor": {
                "label": self.floor_label,
                "value": _round(self.floor_value()),
                "summary": summary(self.floor_samples),
                "samples": [round(s, 3) for s in self.floor_samples],
            }
            if self.floor_label
            else None,
            "ratio": _round(ratio),
            "target": self.target,
            "target_ratio": self.target_ratio,
            "target_text": self.target_text(),
            "met": self.met(),
            "note": self.note,
        }
        if self.extra:
            out["extra"] = self.extra
        return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _num(value: float) -> str:
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{_num(value)} {unit}"


def render_table(figures: list[Figure]) -> str:
    """A plain-text table: figure, median, p95, floor, ratio, target, verdict."""
    head = ("figure", "median", "p95", "floor", "ratio", "cpu ratio", "target", "")
    rows: list[tuple[str, ...]] = [head]
    for f in figures:
        s = summary(f.samples)
        if f.status != "measured":
            rows.append((f.label, f.status, "", "", "", "", f.target_text(), f.note[:60]))
            continue
        verdict = {True: "met", False: "MISSED", None: ""}[f.met()]
        floor = format_value(f.floor_value(), f.unit) if f.floor_label else ""
        ratio = f.ratio()
        rows.append(
            (
                f.label,
                format_value(_as_float(s.get("median")), f.unit),
                format_value(_as_float(s.get("p95")), f.unit),
                floor,
                f"{ratio:.2f}×" if ratio is not None else "",
                _cpu_ratio(f),
                f.target_text(),
                verdict,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cpu_ratio(f: Figure) -> str:
    cpu, floor = f.extra.get("cpu_median_ms"), f.extra.get("floor_cpu_median_ms")
    if not cpu or not floor:
        return ""
    return f"{cpu / floor:.2f}×"


def _as_float(value: float | int | None) -> float | None:
    return None if value is None else float(value)
