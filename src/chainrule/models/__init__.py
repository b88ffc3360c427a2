"""Small models built from chainrule's layers: ``models.gpt.GPT``, a character-level transformer.

Imported on demand (``from chainrule.models.gpt import GPT``), not by ``import chainrule``.
"""

from __future__ import annotations

__all__ = ["gpt"]
