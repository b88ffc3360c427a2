"""Neural-network building blocks: modules, layers, initialisers and functional ops."""

from __future__ import annotations

from . import functional, init
from .layers import Flatten, Linear, ReLU, Sequential, Sigmoid, Tanh
from .module import Module, Parameter

__all__ = [
    "Flatten",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "functional",
    "init",
]
