"""Benchmarks of chainrule against PyTorch and hand-written NumPy (never run as tests)."""

from __future__ import annotations

import json
import platform
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
