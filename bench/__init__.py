"""Benchmarks of chainrule against PyTorch and hand-written NumPy (never run as tests)."""

from __future__ import annotations

import json
import platform
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


def peak_rss_mib(command: list[str]) -> float:
    """The peak resident memory of ``command``, run as the only child of a fresh wrapper
    process, so the reading is its own."""
    wrapper = (
        "import resource, subprocess, sys;"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


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
