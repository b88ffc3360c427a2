"""Benchmarks of chainrule against PyTorch and hand-written NumPy (never run as tests)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
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
