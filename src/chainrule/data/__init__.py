"""Datasets, batching and the MNIST loader. Model code lives in chainrule.nn."""

from __future__ import annotations

from chainrule.data.dataloader import DataLoader
from chainrule.data.dataset import Dataset, TensorDataset
from chainrule.data.mnist import load_mnist

__all__ = ["DataLoader", "Dataset", "TensorDataset", "load_mnist"]
