"""What a task gives the training loop: Task, Recipe, Metric. Neither loop nor tasks live here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..data import Dataset
    from ..nn import Module
    from ..tensor import Tensor
    from .loop import TrainConfig


@dataclass(frozen=True)
class Recipe:
    """A model's default training: epochs, optimiser, learning rate and its cosine schedule."""

    epochs: int
    optimizer: str
    lr: float
    per_step_schedule: bool  # cosine over every batch, or stepped once per epoch


@dataclass(frozen=True)
class Metric:
    """The number a task is judged by after every epoch, and how the run reports it."""

    key: str  # in metrics.json and each epoch's history, e.g. "test_accuracy"
    short: str  # in the epoch line, e.g. "test_acc"
    spec: str  # its format there, e.g. ".2%"
    plot_scale: float = 1.0  # curves.png draws value * plot_scale, labelled plot_unit
    plot_unit: str = ""

    @property
    def label(self) -> str:
        """The key in words, e.g. "test accuracy": the final line and the plot's title."""
        return self.key.replace("_", " ")


@dataclass(frozen=True)
class Task:
    """A data set, the models that learn it and how they are scored; the loop does the rest.

    A new task is a module building one of these and an entry in ``registry.TASKS``.
    """

    name: str
    recipes: Mapping[str, Recipe]  # the models it trains (``--model``), each with its defaults
    build_model: Callable[[str], Module]  # initialise after ``nn.init.manual_seed``
    load_data: Callable[[TrainConfig], tuple[Dataset, Any]]  # the training set, the test data
    loss: Callable[[Module, tuple[Any, ...]], Tensor]  # a batch's mean loss; batch[0] sizes it
    evaluate: Callable[[Module, Any], float]  # the metric on the test data
    metric: Metric
    # What build_model needs from the data beyond the name (a vocabulary, a context length):
    # called with the test data, passed to build_model as keywords, saved with the weights.
    model_args: Callable[[Any], dict[str, Any]] | None = None
