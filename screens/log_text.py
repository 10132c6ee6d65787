"""The Sync log screen's texts in English and Dutch, and a run status in the UI's language."""

from __future__ import annotations

from erp_tui.screens.i18n import N_, tr
from erp_tui.screens.widgets.numbers import fit_count

TEXT = {
    "title": N_("Synchronise › Log"),
    "tab_runs": N_("1 Runs"),
    "tab_changes": N_("2 Changes"),
    "tab_errors": N_("3 Errors"),
    "all": N_("all connections"),
    "connection": N_("Connection: {name}"),
    "filter": N_("Filter: {text}"),
    "no_filter": N_("Filter: — (/)"),
    "col_id": N_("Run"),
    "col_connection": N_("Connection"),
    "col_kind": N_("Kind"),
    "col_started": N_("Started"),
    "col_status": N_("Status"),
    "status_finished": N_("finished"),
    "status_cancelled": N_("cancelled"),
    "status_failed": N_("failed"),
    "status_running": N_("running"),
    "status_interrupted": N_("interrupted"),
    "interrupted_detail": N_(
        "Interrupted: its process ({who}) stopped without finishing, last seen {seen}; "
        "the next sync carries on where it stopped."),
    "who": N_("host {host}, process {pid}"),
    "status_finished_error": N_("finished with 1 error"),
    "status_finished_errors": N_("finished with {count} errors"),
    "col_created": N_("New"),
    "col_updated": N_("Upd."),
    "col_errors": N_("Err."),
    "col_actor": N_("Actor"),
    "col_key": N_("ERP key"),
    "col_crm": N_("CRM"),
    "col_field": N_("Field"),
    "col_dir": N_("Dir"),
    "col_old": N_("Old"),
    "col_new": N_("New"),
    "col_mark": N_("Sel"),
    "col_message": N_("Message"),
    "no_runs": N_("No runs yet. s on the connections screen syncs now."),
    "run_detail": N_(
        "Run {id} · {connection} · {kind} · {status} — {created} created, {updated} "
        "updated, {pushed} pushed to ERP, {unchanged} unchanged, {deleted} deleted in "
        "ERP, {conflicts} conflicts, {errors} errors. {message}"),
    "no_run": N_("Choose a run in the Runs view (1) first."),
    "changes_head": N_("Run {id}: {count} field change(s)."),
    "changes_head_filtered": N_("Run {id}: {count} of {total} field change(s) match."),
    "change_detail": N_("Row {row} of {count} · {actor} {erp_key} · {field} {dir}: {old} → {new}"),
    "created_record": N_("record created"),
    "no_changes": N_("This run changed no fields."),
    "only_created": N_(
        "This run changed no fields; it created {created:,} records (their links carry "
        "the run)."),
    "errors_head": N_("{count} open error(s), {marked} marked."),
    "no_errors": N_("✓ No open errors."),
    "error_detail": N_("{connection} · {actor} {erp_key} ({dir}): {message}"),
    "retrying": N_("⏳ Retrying {count} error(s)…"),
    "retried": N_("✓ Retried: {resolved} resolved, {failing} still failing."),
    "retried_bad": N_("! Retried: {resolved} resolved, {failing} still failing."),
    "nothing_marked": N_("Mark errors with space first (or R retries all)."),
    "failed": N_("✗ {message}"),
    "unexpected": N_("✗ Unexpected error: {kind}: {message}"),
    "running": N_("running"),
    "filter_placeholder": N_("text in field or ERP key (errors: message); Enter applies"),
    "Back": N_("Back"),
    "Runs": N_("Runs"),
    "Changes": N_("Changes"),
    "Errors": N_("Errors"),
    "Next view": N_("Next view"),
    "Connection": N_("Connection"),
    "Filter": N_("Filter"),
    "Retry selected": N_("Retry selected"),
    "Retry all": N_("Retry all"),
    "Refresh": N_("Refresh"),
    "open_changes": N_("Changes"),
    "mark": N_("Mark"),
}


def status_label(status: str, errors: int = 0) -> str:
    """A run status in the UI's language ("finished with 2 errors" when it had errors)."""
    if status == "finished" and errors:
        if errors == 1:
            return tr(TEXT, "status_finished_error")
        return tr(TEXT, "status_finished_errors", count=fit_count(errors, 3).strip())
    text = tr(TEXT, f"status_{status}")
    return status if text == f"status_{status}" else text
