"""The MNIST task: the MLP and CNN, their recipes, the data and accuracy. The loop is in loop.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import nn
from ..data import TensorDataset, load_mnist
from ..grad_mode import no_grad
from ..nn import functional as F
from ..tensor import Tensor
from .task import Metric, Recipe, Task

if TYPE_CHECKING:
    from .loop import TrainConfig


RECIPES = {
    # >= 98% on MNIST: SGD + Nesterov 0.9, lr 0.1, per-epoch cosine, 4 epochs
    "mlp": Recipe(epochs=4, optimizer="sgd", lr=0.1, per_step_schedule=False),
    # >= 99.2% on MNIST: Adam 5e-3, cosine over every batch, 2 epochs
    # (chainrule train --model cnn --seed N reports it)
    "cnn": Recipe(epochs=2, optimizer="adam", lr=5e-3, per_step_schedule=True),
}


def build_model(name: str) -> nn.Module:
    """The architectures ``--model`` names; initialise them after ``nn.init.manual_seed``."""
    if name == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 256),
            nn.ReLU(),
            nn.Linear(256, 256),
            nn.ReLU(),
            nn.Linear(256, 10),
        )
    if name == "cnn":
        # A bias before BatchNorm would be cancelled by its mean: the convolutions have none.
        # Pooling before ReLU gives the same values and gradients as after it (max commutes
        # with a non-decreasing function), and ReLU then runs on a quarter of the elements.
        return nn.Sequential(
            nn.Conv2d(1, 16, 5, bias=False),  # 28 -> 24
            nn.BatchNorm2d(16),
            nn.MaxPool2d(2),  # -> 12
            nn.ReLU(),
            nn.Conv2d(16, 32, 5, bias=False),  # -> 8
            nn.BatchNorm2d(32),
            nn.MaxPool2d(2),  # -> 4
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, 128),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )
    raise ValueError(f"unknown model {name!r}; choose from: {', '.join(RECIPES)}")


def evaluate(
    model: nn.Module, images: np.ndarray, labels: np.ndarray, batch_size: int = 1000
) -> float:
    """Fraction of ``images`` whose argmax prediction equals the label."""
    model.eval()
    correct = 0
    with no_grad():
        for start in range(0, len(images), batch_size):
            logits = model(Tensor(images[start : start + batch_size]))
            correct += int((logits.data.argmax(axis=1) == labels[start : start + batch_size]).sum())
    model.train()
    return correct / len(images)


def load_data(config: TrainConfig) -> tuple[TensorDataset, tuple[np.ndarray, np.ndarray]]:
    """The training set (its first ``config.limit`` images only) and the test images, labels."""
    train_images, train_labels = load_mnist(config.data, train=True)
    test_images, test_labels = load_mnist(config.data, train=False)
    if config.limit is not None:
        train_images, train_labels = train_images[: config.limit], train_labels[: config.limit]
    return TensorDataset(train_images, train_labels), (test_images, test_labels)


def loss(model: nn.Module, batch: tuple[np.ndarray, ...]) -> Tensor:
    """Cross-entropy of a batch of images against their labels."""
    images, labels = batch
    return F.cross_entropy(model(Tensor(images)), labels)


def _test_accuracy(model: nn.Module, test: tuple[np.ndarray, np.ndarray]) -> float:
    return evaluate(model, *test)  # looked up at each call, so a test can replace evaluate


MNIST = Task(
    name="mnist",
    recipes=RECIPES,
    build_model=build_model,
    load_data=load_data,
    loss=loss,
    evaluate=_test_accuracy,
    metric=Metric("test_accuracy", short="test_acc", spec=".2%", plot_scale=100, plot_unit="%"),
)
