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
    """The names of the 1990 US census, lower case, in file order (by frequency), no repeats.

    Args:
        kind: "last": the 88,799 surnames; "first": the female then the male first names,
            5,163 (4,275 + 1,219 less the 331 names in both lists, kept where first seen);
            "all": the surnames then the first names, 91,910 without repeats.

    Example:
        >>> load_names()[:3]
        ['smith', 'johnson', 'williams']
    """
    if kind not in _FILES:
        raise ValueError(f"load_names: kind must be one of {', '.join(_FILES)}, got {kind!r}")
    names: dict[str, None] = {}
    for file in _FILES[kind]:
        with gzip.open(_BUNDLED / file, "rt", encoding="ascii") as lines:
            names.update((line.split()[0].lower(), None) for line in lines if line.strip())
    return list(names)
