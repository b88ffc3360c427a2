"""The bundled US Census 1990 names (data/names/README.md): a corpus for character models."""

from __future__ import annotations

import gzip
from pathlib import Path

_BUNDLED = Path(__file__).parent / "names"
_FILES = {
    "last": ("dist.all.last.gz",),
    "first": ("dist.female.first.gz", "dist.male.first.gz"),
    "all": ("dist.all.last.gz", "dist.female.first.gz", "dist.male.first.gz"),
}


def load_names(kind: str = "last") -> list[str]:
    """The names of the 1990 US census, lower case, in file order (by frequency).

    Args:
        kind: "last": the 88,799 surnames; "first": the 4,275 female then the 1,219 male
            first names, 5,494 (331 names, such as james, are in both lists, so appear
            twice); "all": the surnames then the first names, 94,293.

    Example:
        >>> load_names()[:3]
        ['smith', 'johnson', 'williams']
    """
    if kind not in _FILES:
        raise ValueError(f"load_names: kind must be one of {', '.join(_FILES)}, got {kind!r}")
    names: list[str] = []
    for file in _FILES[kind]:
        with gzip.open(_BUNDLED / file, "rt", encoding="ascii") as lines:
            names += [line.split()[0].lower() for line in lines if line.strip()]
    return names
