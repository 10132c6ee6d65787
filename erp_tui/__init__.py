"""erp-tui: configure and run CRM <-> ERP synchronisation from the terminal.

The package root exports lazily (PEP 562) so that `erp-tui sync` from cron never pays for the
UI, and importing `erp_tui` costs nothing until a name is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "AppContext": "erp_tui.context",
    "Settings": "erp_tui.settings",
    "ErpTuiError": "erp_tui.errors",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'erp_tui' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
