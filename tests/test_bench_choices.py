"""bench.choices, the speed choices the code's comments cite: every cited case exists and
every case is cited, both ways of each compute the same values, and no comment in the
package quotes a speed figure instead of naming its case."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from helpers import bench_module

choices = bench_module("choices")
PACKAGE = Path(__file__).resolve().parents[1] / "src" / "chainrule"
SOURCES = sorted(PACKAGE.rglob("*.py"))
CITATION = re.compile(r"bench\.choices((?: [a-z][a-z0-9_]*)+)(?=\)|$)")
# A speed figure: "3x faster", "1.2-1.6x slower", "0.4 us", "15-25% faster".
FIGURE = re.compile(
    r"\b\d+(\.\d+)?(-\d+(\.\d+)?)?x (faster|slower|cheaper|longer)\b"
    r"|\b\d+(\.\d+)? ?(us|µs|ns|ms)\b|\b\d+(-\d+)?% (faster|slower)\b"
)


def _cited() -> set[str]:
    names = set()
    for path in SOURCES:
        for line in path.read_text().splitlines():
            for match in CITATION.finditer(line.rstrip(" .;,")):
                names.update(match.group(1).split())
    return names


def test_every_cited_case_exists_and_every_case_is_cited():
    cited = _cited()
    assert cited - set(choices.CASES) == set(), "cited in src/ but not in bench/choices.py"
    assert set(choices.CASES) - cited == set(), "in bench/choices.py but cited nowhere"


def test_no_comment_quotes_a_speed_figure():
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in SOURCES
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if FIGURE.search(line)
    ]
    assert found == []


def _values(result):
    """The arrays a way returns, flattened out of tuples, lists and Tensors."""
    if result is None:
        return []
    if isinstance(result, (tuple, list)):
        return [value for item in result for value in _values(item)]
    return [np.asarray(getattr(result, "data", result))]


@pytest.mark.parametrize("name", list(choices.CASES))
def test_both_ways_compute_the_same_values(name):
    choice = choices.CASES[name]()
    chosen, alternative = _values(choice.chosen()), _values(choice.alternative())
    if not choice.same_values:  # stateful updates, or another formula: both still run
        return
    assert len(chosen) == len(alternative)
    for a, b in zip(chosen, alternative):
        assert a.shape == b.shape and a.dtype == b.dtype
        # float32 sums taken in another order: off by rounding, relative to the values' scale
        scale = float(np.abs(b).max()) if b.size else 0.0
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 + 1e-5 * scale)


def test_measure_reports_both_times_and_their_ratio():
    result = choices.measure("transpose_method", rounds=2, block_seconds=1e-4)
    assert result["where"] == "cpu.permute_dims"
    assert result["chosen_us"] > 0 and result["alternative_us"] > 0
    ratio = result["ratio"]
    assert 0 < ratio["min"] <= ratio["median"] <= ratio["max"]
