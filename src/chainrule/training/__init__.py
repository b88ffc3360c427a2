"""``chainrule train``: the loop (loop.py), the task seam (task.py), the tasks, their registry."""

from __future__ import annotations

from .loop import CHECKPOINT, TrainConfig, TrainingDiverged, load_model, resolve, train
from .mnist import build_model, evaluate
from .registry import RECIPES

__all__ = [
    "CHECKPOINT",
    "RECIPES",
    "TrainConfig",
    "TrainingDiverged",
    "build_model",
    "evaluate",
    "load_model",
    "resolve",
    "train",
]
