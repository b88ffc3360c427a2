"""Project-wide rules: lint clean, within the line budget, a NumPy-only import, and CI's script."""

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


def _ci_calls(tmp_path: Path, *present: str) -> list[str]:
    """The commands .ci/run runs, with stand-ins that only log for apt-get, python, and so on."""
    stubs, log = tmp_path / "bin", tmp_path / "calls"
    stubs.mkdir(parents=True)
    for name in ("apt-get", "sudo", "python", *present):
        then = 'exec "$@"\n' if name == "sudo" else ""
        (stubs / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n{then}')
        (stubs / name).chmod(0o755)
    for tool in ("dirname", "id"):
        (stubs / tool).symlink_to(shutil.which(tool))
    done = subprocess.run(
        [shutil.which("bash"), str(ROOT / ".ci" / "run")],
        env={"PATH": str(stubs)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in log.read_text().splitlines() if not line.startswith("sudo ")]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_ci_installs_graphviz_only_when_dot_is_missing(tmp_path):
    tests = ["python -m pip install -q -e .[test]", "python -m pytest -q"]
    browser = ["chromium", "chromedriver"]
    graphviz = ["apt-get update", "apt-get install -y graphviz"]
    assert _ci_calls(tmp_path, *browser) == [*graphviz, *tests]
    assert _ci_calls(tmp_path / "all", "dot", *browser) == tests  # the README's test command alone


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_ci_installs_chromium_only_when_it_or_its_driver_is_missing(tmp_path):
    tests = ["python -m pip install -q -e .[test]", "python -m pytest -q"]
    install = ["apt-get update", "apt-get install -y chromium chromium-driver"]
    assert _ci_calls(tmp_path / "none", "dot") == [*install, *tests]
    assert _ci_calls(tmp_path / "no-driver", "dot", "chromium") == [*install, *tests]
    assert _ci_calls(tmp_path / "both", "dot", "chromium", "chromedriver") == tests
