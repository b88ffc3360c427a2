"""``html``: the explorer page as one self-contained file; its data is page.py's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..tensor import Tensor
from .modules import ModuleMap


class Page:
    """An explorer page: ``text`` is the HTML, ``data`` what it shows; Jupyter displays it."""

    def __init__(self, text: str, data: dict[str, Any]) -> None:
        self.text = text
        self.data = data

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (one file, opens offline in any browser)."""
        path = Path(path)
        path.write_text(self.text, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        """The page in an iframe, so its script and style stay its own."""
        import html as markup

        height = min(900, 420 + int(self.data["layout"]["height"]))
        return (
            f'<iframe srcdoc="{markup.escape(self.text)}" '
            f'style="width: 100%; height: {height}px; border: 1px solid #ccc"></iframe>'
        )


def html(
    tensor: Tensor,
    path: str | Path | None = None,
    grad: Any = None,
    *,
    modules: ModuleMap | None = None,
    collapse: bool | None = None,
    lr: float = 0.1,
    digits: int = 4,
    title: str | None = None,
) -> Page:
    """An interactive page that walks ``tensor``'s backward pass, step by step, in a browser.

    The graph is laid out left to right (with Graphviz's ``dot`` where installed, else by
    chainrule), every node showing its op and forward value. Next/→ and Prev/← move one
    backward step, Play animates; each step highlights its node, puts the gradients on its
    edges in red and shows ``dL/dx = dL/dy * dy/dx`` with the numbers, as ``trace`` prints
    them. After the last step comes the SGD update ``old - lr * grad = new`` of every leaf
    that requires grad. The file is self-contained: no network, no server.

    Args:
        tensor: the result L, before or after ``L.backward()`` (``.grad`` is left alone).
        path: where to write the ``.html`` file (None: only return the page).
        grad: dL/d(tensor) for a non-scalar tensor.
        modules: from ``capture(model)``: module clusters that fold and unfold.
        collapse: one node per top-level module (None: when the graph has over 80 nodes).
        lr: the learning rate of the SGD update shown last.
        digits: significant digits of the numbers.
        title: the page's heading (default: "backward from L").

    Returns:
        The ``Page``; in Jupyter it displays itself.
    """
    import html as markup  # NOTE: here, not at the top: `import chainrule` stays fast
    import json
    from importlib import resources

    from .. import __version__
    from .layout import layout
    from .page import page_data

    data = page_data(tensor, grad, modules=modules, collapse=collapse, lr=lr, digits=digits)
    data["title"] = title or f"backward from {data['root']}"
    data["layout"] = layout(data)
    data["version"] = __version__
    script = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    template = resources.files("chainrule.viz").joinpath("explorer.html").read_text("utf-8")
    text = template.replace("__TITLE__", markup.escape(data["title"])).replace("__DATA__", script)
    page = Page(text, data)
    if path is not None:
        page.save(path)
    return page
