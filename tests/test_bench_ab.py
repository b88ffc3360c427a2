"""bench.ab, the in-process A/B of chainrule trees: a revision's tree imports under its own
name beside the working tree's, and each workload's step runs and is compared on both."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from helpers import bench_module

ab = bench_module("ab")


def test_a_revision_and_the_working_tree_import_side_by_side():
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ab.ROOT, capture_output=True, text=True
    ).stdout.strip()
    old, work = ab.tree(head, "chainrule_test_head"), ab.tree(None, "chainrule_test_work")
    assert old.__name__ == "chainrule_test_head" and work.__name__ == "chainrule_test_work"
    assert old.nn.Linear.__module__.startswith("chainrule_test_head.")
    # The trees are separate packages: a tensor of one is not a tensor of the other.
    assert not isinstance(old.tensor([1.0]), work.Tensor)
    for make, _ in ab.WORKLOADS.values():  # every step builds and runs on both trees
        make(old)()
        make(work)()
    result = ab.compare({"head": old, "work": work}, "tiny", rounds=2, scale=0.001)
    assert set(result["median_ms"]) == {"head", "work"}
    ratio = result["ratios"]["work/head"]
    assert 0 < ratio["min"] <= ratio["median"] <= ratio["max"]
    assert np.isfinite(list(result["median_ms"].values())).all()


def test_a_revision_that_does_not_exist_is_named_in_one_line():
    with pytest.raises(SystemExit, match="bench.ab: no chainrule tree at 'no-such-rev'"):
        ab.tree("no-such-rev", "chainrule_test_missing")
