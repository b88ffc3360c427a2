"""Which task trains each ``--model``: one entry per task module, which holds the task itself."""

from __future__ import annotations

from .mnist import MNIST
from .names import NAMES
from .task import Recipe, Task

TASKS: tuple[Task, ...] = (MNIST, NAMES)

RECIPES: dict[str, Recipe] = {
    model: recipe for task in TASKS for model, recipe in task.recipes.items()
}


def task_for(model: str) -> Task:
    """The task whose recipes name ``model``."""
    for task in TASKS:
        if model in task.recipes:
            return task
    raise ValueError(f"unknown model {model!r}; choose from: {', '.join(RECIPES)}")
