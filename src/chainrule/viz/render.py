"""Saving DOT text and rendering it with Graphviz, else a .dot and one line; no DOT building."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

_TEXT_FORMATS = {".dot", ".gv"}
_RENDERED_FORMATS = {".svg", ".png", ".pdf"}


def can_render() -> bool:
    """Whether SVG/PNG/PDF can be made here: the graphviz package and ``dot`` are installed."""
    return not _render_needs()


def _render_needs() -> list[str]:
    """What rendering lacks here, each with how to install it; empty when nothing."""
    needs = []
    try:
        import graphviz  # noqa: F401
    except ImportError:
        needs.append("the 'graphviz' Python package (pip install graphviz)")
    if shutil.which("dot") is None:
        needs.append("Graphviz's 'dot' program (apt-get install graphviz, brew install graphviz)")
    return needs


def _render_hint(path: Path) -> str:
    """One line: what rendering ``path`` needs that is not installed."""
    return f"rendering {path.name} needs {' and '.join(_render_needs() or ['Graphviz'])}"


def _save(text: str, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in _TEXT_FORMATS:
        path.write_text(text)
        return
    if suffix not in _RENDERED_FORMATS:
        formats = ", ".join(sorted(_TEXT_FORMATS | _RENDERED_FORMATS))
        raise ValueError(f"draw: unknown format {suffix!r} for {path}, use one of {formats}")
    if not can_render():  # NOTE: the DOT text and one line, never an exception: nothing is lost
        fallback = path.with_suffix(".dot")
        fallback.write_text(text)
        print(f"draw: wrote the DOT text to {fallback}; {_render_hint(path)}", file=sys.stderr)
        return
    import graphviz

    path.write_bytes(graphviz.Source(text).pipe(format=suffix[1:]))
