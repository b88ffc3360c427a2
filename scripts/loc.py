"""Count the package's lines of code (no blanks, comments or docstrings) against a budget.

    python scripts/loc.py [--budget 14800]

Exits 1 when over budget, so the line count stays a decision rather than a drift.
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "chainrule"
BUDGET = 14800


def code_lines(path: Path) -> int:
    """Lines holding code: not blank, not only a comment, not inside a docstring."""
    source = path.read_text()
    docstring_lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstring_lines.update(range(value.lineno, value.end_lineno + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.ENDMARKER,
        ):
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstring_lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="chainrule's line budget")
    parser.add_argument("--budget", type=int, default=BUDGET)
    args = parser.parse_args()
    counts = {p.relative_to(PACKAGE): code_lines(p) for p in sorted(PACKAGE.rglob("*.py"))}
    for path, count in sorted(counts.items(), key=lambda item: -item[1]):
        print(f"{count:6d}  {path}")
    total = sum(counts.values())
    print(f"{total:6d}  total (budget {args.budget})")
    return 0 if total <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
