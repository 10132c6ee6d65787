"""Give one widget instance's binding another description (or hide it from the key bar)."""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode


def relabel(node: DOMNode, action: str, description: str | None = None, *,
            show: bool = True) -> None:
    """Bindings of `node` for `action` get `description` (when given) and `show`; only this
    instance changes (a table's Enter can say "Open" on one screen and "Select" on another)."""
    bindings = node._bindings
    bindings.key_to_bindings = {
        key: [dataclasses.replace(binding, show=show,
                                  description=binding.description if description is None
                                  else description)
              if binding.action == action else binding
              for binding in key_bindings]
        for key, key_bindings in bindings.key_to_bindings.items()}
