"""Shared pytest fixtures: every test draws its random inputs from ``rng``."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator seeded with 0, so every test sees the same inputs on every run."""
    return np.random.default_rng(0)
