"""The Sync log screen's texts, and what the run, log and CRM screens share to show the
runner's and the engine's words in the UI's language: a run status, a stored text, an error, an
actor type."""

from __future__ import annotations

from erp_tui.i18n import Msg
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import N_, gettext, label_language, localize, msgn, tr
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
    "change_detail": N_("Row {row} of {count} · {actor} {erp_key} · {field} {dir}: {old} → {new}"),
    "created_record": N_("record created"),
    "no_changes": N_("This run changed no fields."),
    "only_created": N_(
        "This run changed no fields; it created {created:,} records (their links carry "
        "the run)."),
    "no_errors": N_("✓ No open errors."),
    "error_detail": N_("{connection} · {actor} {erp_key} ({dir}): {message}"),
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


# The whole-record events the runner stores as words (sync_marks.RecordEvent): `stored_text`
# finds their translation in the catalogue.
RECORD_EVENTS = (N_("create"), N_("deleted in ERP"), N_("restored in ERP"))

# The kinds of run the runner stores (`SyncRun.kind`, a code), as the Kind column shows them.
RUN_KINDS = {"sync": N_("sync"), "retry": N_("retry"), "resync": N_("resync"),
             "reread": N_("reread"), "link": N_("link"), "import": N_("import")}


def status_label(status: str, errors: int = 0) -> str:
    """A run status in the UI's language ("finished with 2 errors" when it had errors)."""
    if status == "finished" and errors:
        if errors == 1:
            return tr(TEXT, "status_finished_error")
        return tr(TEXT, "status_finished_errors", count=fit_count(errors, 3).strip())
    text = tr(TEXT, f"status_{status}")
    return status if text == f"status_{status}" else text


def changes_head(run_id: int, total: int, shown: int | None = None) -> str:
    """The head of a run's field changes: how many, and how many the filter shows."""
    if shown is None:
        return localize(msgn("Run {id}: {count:,} field change.",
                             "Run {id}: {count:,} field changes.", total, id=run_id))
    return localize(msgn("Run {id}: {shown:,} of {count:,} field change shown.",
                         "Run {id}: {shown:,} of {count:,} field changes shown.", total,
                         id=run_id, shown=shown))


def errors_head(count: int, marked: int) -> str:
    """The head of the open errors: how many, and how many are marked."""
    return localize(msgn("{count} open error, {marked} marked.",
                         "{count} open errors, {marked} marked.", count, marked=marked))


def retrying_text(count: int) -> str:
    """The status while `count` errors are retried."""
    return localize(msgn("⏳ Retrying {count} error…", "⏳ Retrying {count} errors…", count))


def kind_label(kind: str) -> str:
    """A run's kind (a code: `sync`, `retry` …) in the UI's language; an unknown one as given."""
    return tr(RUN_KINDS, kind) if kind in RUN_KINDS else kind


def stored_text(value: str) -> str:
    """A text the runner stored (a run's message, an error, a record event) in the UI's
    language: a message by code is translated, a stored sentence when the catalogue knows it."""
    from erp_tui.runner.stored import from_stored

    value = from_stored(value) if not isinstance(value, Msg) else value
    translated = gettext(str(value)) if value and not isinstance(value, Msg) else value
    return translated if translated != value else engine_text(value)


def error_text(error: BaseException) -> str:
    """An error's sentence(s) in the UI's language (a message by code, or a sentence the
    engine still writes in English)."""
    return engine_text(localize(error))


def actor_text(actor_type: str) -> str:
    """An ERP actor type as named in the UI's language ("Klant" for Customer)."""
    from erp_tui.crm_catalog import actor_label

    return actor_label(actor_type, label_language()) if actor_type else ""
