"""README.md runs as written: its Python blocks, in order, in one interpreter session."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
# Each block is compiled at its own README line numbers, so a traceback names the README line.
DRIVER = """
import json, sys
namespace = {"__name__": "__main__"}
for line, code in json.loads(sys.stdin.read()):
    exec(compile("\\n" * line + code, "README.md", "exec"), namespace)
"""


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ```python blocks of ``text``: (lines before the code, the code), in order."""
    return [
        (text.count("\n", 0, match.start(1)), match.group(1))
        for match in re.finditer(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    ]


def test_readme_python_blocks_run_in_one_session(tmp_path):
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 5
    done = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps(blocks),
        cwd=tmp_path,  # the files the blocks write land here
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "13.0 5.0 2.0 1.0"  # as the first block's comment says


def test_readme_quick_start_is_the_plain_install():
    # tests/test_install.py checks that this install runs the main job
    assert "```bash\npip install . && chainrule train\n```" in README.read_text()
