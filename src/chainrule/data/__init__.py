"""Datasets, batching and the MNIST loader. Model code lives in chainrule.nn."""

from __future__ import annotations

from chainrule.data.collate import default_collate
from chainrule.data.dataloader import DataLoader
from chainrule.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from chainrule.data.mnist import load_mnist

__all__ = [
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "load_mnist",
    "random_split",
]

from chainrule.data.names import load_names  # noqa: E402

__all__ += ["load_names"]

from chainrule.data.sampler import DistributedSampler  # noqa: E402

__all__ += ["DistributedSampler"]
