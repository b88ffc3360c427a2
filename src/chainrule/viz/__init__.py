"""See the chain rule: draw a result's recorded graph and trace its backward step by step.

Nothing here touches the engine or ``.grad``. The graph is re-walked from ``tensor._ctx``
and every node's ``backward`` is called again: on its saved arrays while the graph is
retained, else on a replay of its forward (a plain ``backward()`` releases the saved
arrays but keeps the graph's structure and values), so drawing and tracing work before a
backward, after ``backward(retain_graph=True)`` and after a plain ``backward()`` alike.
Graphviz is imported only to render SVG/PNG/PDF; ``html`` writes an interactive page
(Graphviz's ``dot`` lays it out where installed).
"""

from __future__ import annotations

from .dot import draw
from .html import Page, html
from .modules import ModuleMap, capture
from .render import can_render
from .tracing import trace, trace_forward

__all__ = [
    "ModuleMap",
    "Page",
    "can_render",
    "capture",
    "draw",
    "html",
    "trace",
    "trace_forward",
]
