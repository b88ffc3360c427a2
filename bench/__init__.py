"""Benchmarks of chainrule against PyTorch and hand-written NumPy (never run as tests)."""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def machine(**versions: str) -> dict[str, str]:
    """What a result was measured on: Python, NumPy, the given libraries' versions, the CPU."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        **versions,
        "processor": platform.processor(),
    }


def save(out: str | Path, stem: str, report: dict[str, Any], table: str) -> None:
    """Write ``report`` as OUT/STEM.json and ``table`` as OUT/STEM.md, and print the table."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (folder / f"{stem}.md").write_text(table + "\n")
    print(table)


def run_measured(command: list[str]) -> dict[str, Any]:
    """Run ``command`` as the only child of a fresh wrapper process, so the readings are its
    own: its wall seconds from start to exit, its peak resident memory and its output."""
    wrapper = (
        "import json, resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "out = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True).stdout;"
        "s = time.perf_counter() - t;"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024;"
        "print(json.dumps({'seconds': s, 'peak_rss_mib': rss, 'stdout': out}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def interleave(
    contenders: dict[str, Callable[[], Any]], rounds: int, calls: int, pause: float, warmup: int = 0
) -> dict[str, list[float]]:
    """Seconds per call of each contender: each round times a block of ``calls`` back-to-back
    calls of each, in an order that rotates from round to round, after a ``pause`` (spinning
    BLAS threads of the previous block settle); the first ``warmup`` rounds are not kept."""
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_ in range(warmup + rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            time.sleep(pause)
            start = time.perf_counter()
            for _ in range(calls):
                contenders[name]()
            if round_ >= warmup:
                seconds[name].append((time.perf_counter() - start) / calls)
    return seconds


def summary(values: list[float], scale: float = 1.0) -> dict[str, float]:
    """The median, min and max of ``values * scale``: how every benchmark reports a spread."""
    scaled = [x * scale for x in values]
    return {"median": statistics.median(scaled), "min": min(scaled), "max": max(scaled)}


def spread(values: list[float] | dict[str, float], scale: float = 1.0, digits: int = 2) -> str:
    """``median (min-max)`` of ``values * scale``, or of a ``summary`` already taken."""
    s = values if isinstance(values, dict) else summary(values, scale)
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"
