"""The embedded CRM's data: its standard lists and a few records for the demo."""

from __future__ import annotations

from sqlmodel import Session, select

from erp_tui.crm_catalog import CRM_LISTS
from erp_tui.model import CrmListItem


def ensure_crm_lists(session: Session) -> int:
    """Add the standard CRM list items that are missing; returns how many were added."""
    present = {(row.list_name, row.key) for row in session.exec(select(CrmListItem))}
    added = 0
    for list_name, items in CRM_LISTS.items():
        for position, (key, text) in enumerate(items):
            if (list_name, key) not in present:
                session.add(CrmListItem(list_name=list_name, key=key, text=text,
                                        position=position))
                added += 1
    return added
