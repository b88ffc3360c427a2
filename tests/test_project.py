"""Project-wide rules: lint clean, within the line budget, and a NumPy-only import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_chainrule_loads_numpy_only():
    probe = (
        "import sys, chainrule; "
        "heavy = {'safetensors', 'tqdm', 'matplotlib', 'graphviz', 'torch', 'scipy'}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_package_is_within_its_line_budget():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "loc.py")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_reports_nothing():
    done = subprocess.run(["ruff", "check", "--quiet", str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_reports_nothing():
    pytest.importorskip("mypy")
    # Files and options come from [tool.mypy] in pyproject.toml; .mypy_cache keeps reruns fast.
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
