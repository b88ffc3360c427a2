"""Optimisers and learning-rate schedules; updates happen in place on parameter arrays."""

from __future__ import annotations

from . import lr_scheduler
from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "Optimizer", "lr_scheduler"]
