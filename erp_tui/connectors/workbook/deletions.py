"""Deleted rows: the keys of each sheet are remembered in a file beside the workbook, and a key
that is no longer in its sheet is reported deleted, with a stamp of its own."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from erp_tui.connectors.workbook.book import Book, Row
from erp_tui.connectors.workbook.settings import WorkbookSettings
from erp_tui.connectors.workbook.stamps import STAMP_RE, now_us, stamp_from_us, stamp_us

STATE_SUFFIX = ".erp-tui-keys.json"


def state_path(workbook: Path) -> Path:
    """The file beside the workbook that remembers its keys (to notice deleted rows)."""
    return workbook.with_name(workbook.name + STATE_SUFFIX)


def track_deletions(book: Book, settings: WorkbookSettings) -> None:
    """Add a deleted row for every key the workbook held before and holds no longer.

    Each such key gets one stamp, when its row is first missed (newer than every stamp), and
    keeps it, so incremental reads report it deleted once; a key that comes back loses it.
    """
    path = state_path(settings.path)
    state = _load_state(path)
    changed = False
    next_us = max(now_us(), book.max_stamp_us + 1,
                  *(stamp_us(stamp) + 1 for entry in state.values()
                    for stamp in entry["gone"].values()))
    for actor_type, sheet in book.sheets.items():
        entry = state.setdefault(actor_type, {"keys": [], "gone": {}})
        present = set(sheet.rows)
        gone: dict[str, str] = entry["gone"]
        for key in sorted(set(entry["keys"]) - present - set(gone)):
            gone[key] = stamp_from_us(next_us)
            next_us += 1
            changed = True
        for key in [k for k in gone if k in present]:
            del gone[key]
            changed = True
        if set(entry["keys"]) != present:
            entry["keys"] = sorted(present)
            changed = True
        if not gone:
            continue
        blank = (None,) * len(sheet.fields)
        for key, stamp in gone.items():
            sheet.rows[key] = Row(key, stamp, 0, blank, "", "", True)
            book.max_stamp_us = max(book.max_stamp_us, stamp_us(stamp))
        sheet.sort()
    if changed:
        _save_state(path, state)


def _load_state(path: Path) -> dict[str, dict[str, Any]]:
    """The remembered keys per actor type; empty when missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    sheets = data.get("sheets") if isinstance(data, dict) else None
    if not isinstance(sheets, dict):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for actor_type, entry in sheets.items():
        if not isinstance(entry, dict):
            continue
        keys = entry.get("keys", [])
        gone = entry.get("gone", {})
        out[str(actor_type)] = {
            "keys": [str(k) for k in keys] if isinstance(keys, list) else [],
            "gone": {str(k): str(v) for k, v in gone.items() if STAMP_RE.match(str(v))}
            if isinstance(gone, dict) else {}}
    return out


def _save_state(path: Path, state: dict[str, dict[str, Any]]) -> None:
    """Write the remembered keys atomically; a folder that cannot be written is left alone
    (deleted rows are then noticed only while this process runs)."""
    text = json.dumps({"format": 1, "sheets": state}, ensure_ascii=False, sort_keys=True)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp_name, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
