"""A plain ``pip install`` of the repository, no extras, into a fresh venv runs the main job.

It installs from the package index: about 15 s with pip's cache warm, up to a minute or so
without. It carries the ``install`` mark, so ``python -m pytest -m "not install"`` skips it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parent.parent
# What a fresh clone does not hold: build outputs, caches, runs, local venvs.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", ".*cache", ".venv", "runs", "results"
)


def _run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    # NOTE: no PYTHONPATH, so the venv imports the chainrule it installed, not a source tree.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh venv (no system site packages) with ``pip install REPO``."""
    tmp = tmp_path_factory.mktemp("install")
    shutil.copytree(ROOT, tmp / "repo", ignore=NOT_IN_A_CLONE)  # the tree stays as it is
    venv.create(tmp / "venv", with_pip=True, system_site_packages=False)
    bin_dir = tmp / "venv" / ("Scripts" if sys.platform == "win32" else "bin")
    done = _run(bin_dir / "python", "-m", "pip", "install", "-q", tmp / "repo", cwd=tmp)
    assert done.returncode == 0, done.stdout + done.stderr
    return bin_dir


def test_plain_install_imports_its_own_copy(installed, tmp_path):
    done = _run(
        installed / "python", "-c", "import chainrule; print(chainrule.__file__)", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(installed.parent), done.stdout


def test_plain_install_runs_chainrule_train(installed, tmp_path):
    out = tmp_path / "run"
    train = "train --limit 2000 --epochs 1 --out".split()
    done = _run(installed / "chainrule", *train, out, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-2].startswith("test accuracy: ")
    written = {p.name for p in out.iterdir()}
    assert written >= {"model.safetensors", "checkpoint.safetensors", "metrics.json", "curves.png"}


def test_plain_install_ships_the_names_corpus(installed, tmp_path):
    code = (
        "from chainrule.data import load_names; "
        "print(*(len(load_names(k)) for k in ('last', 'first', 'all')), load_names()[0])"
    )
    done = _run(installed / "python", "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["88799", "5494", "94293", "smith"]
