"""Helpers of the CRM screen tests (records screen, record view, ERP search, create in ERP):
settling workers, linking records and reading what the terminal shows."""

from __future__ import annotations

import sqlite3
from typing import Any

from textual.app import App

from tests.store_support import NORDIC


async def settle(app: App[Any], pilot: Any) -> None:
    """Let workers finish and their messages be handled (also the workers those messages
    start: the records screen counts after its first page)."""
    await pilot.pause()
    for _ in range(10):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            break
    await pilot.pause()


def companies(ctx: Any, text: str = "") -> list[Any]:
    """The CRM companies in the records screen's order."""
    from erp_tui.services.records import list_records

    return list_records(ctx, "company", text, 0, 1000)


def nordic_erp(ctx: Any) -> str:
    """The file of the demo's Nordic sample ERP."""
    return str(ctx.settings.data_dir / "demo" / "erp-nordic.sqlite")


def erp_customer(ctx: Any, erp_key: str, column: str) -> Any:
    """A column of a customer in the Nordic sample ERP's own database."""
    with sqlite3.connect(nordic_erp(ctx)) as conn:
        row = conn.execute(f"SELECT {column} FROM customer WHERE erp_key = ?",
                           (erp_key,)).fetchone()
    return None if row is None else row[0]


def customer_key(ctx: Any, customer_no: str) -> str:
    """The ERP key of the Nordic customer with this customer number."""
    with sqlite3.connect(nordic_erp(ctx)) as conn:
        row = conn.execute("SELECT erp_key FROM customer WHERE customer_no = ?",
                           (customer_no,)).fetchone()
    assert row is not None, customer_no
    return str(row[0])


def link(ctx: Any, crm_id: int, erp_key: str, name: str = NORDIC,
         actor_type: str = "Customer") -> None:
    """Link a CRM company to an ERP customer through the engine (as the search dialog does)."""
    from erp_tui.runner.linking import link_record

    link_record(ctx, name, actor_type, erp_key, crm_id)
