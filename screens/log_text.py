"""The Sync log screen's texts in English and Dutch, and a run status in the UI's language."""

from __future__ import annotations

from erp_tui.screens.i18n import tr
from erp_tui.screens.widgets.numbers import fit_count

TEXT = {
    "en": {
        "title": "Synchronise › Log",
        "tab_runs": "1 Runs",
        "tab_changes": "2 Changes",
        "tab_errors": "3 Errors",
        "all": "all connections",
        "connection": "Connection: {name}",
        "filter": "Filter: {text}",
        "no_filter": "Filter: — (/)",
        "col_id": "Run",
        "col_connection": "Connection",
        "col_kind": "Kind",
        "col_started": "Started",
        "col_status": "Status",
        "status_finished": "finished", "status_cancelled": "cancelled",
        "status_failed": "failed", "status_running": "running",
        "status_interrupted": "interrupted",
        "interrupted_detail": "Interrupted: its process ({who}) stopped without finishing, "
                              "last seen {seen}; the next sync carries on where it stopped.",
        "who": "host {host}, process {pid}",
        "status_finished_error": "finished with 1 error",
        "status_finished_errors": "finished with {count} errors",
        "col_created": "New",
        "col_updated": "Upd.",
        "col_errors": "Err.",
        "col_actor": "Actor",
        "col_key": "ERP key",
        "col_crm": "CRM",
        "col_field": "Field",
        "col_dir": "Dir",
        "col_old": "Old",
        "col_new": "New",
        "col_mark": "Sel",
        "col_message": "Message",
        "no_runs": "No runs yet. s on the connections screen syncs now.",
        "run_detail": "Run {id} · {connection} · {kind} · {status} — {created} created, "
                      "{updated} updated, {pushed} pushed to ERP, {unchanged} unchanged, "
                      "{deleted} deleted in ERP, {conflicts} conflicts, {errors} errors. "
                      "{message}",
        "no_run": "Choose a run in the Runs view (1) first.",
        "changes_head": "Run {id}: {count} field change(s).",
        "changes_head_filtered": "Run {id}: {count} of {total} field change(s) match.",
        "change_detail": "Row {row} of {count} · {actor} {erp_key} · {field} {dir}: {old} → {new}",
        "created_record": "record created",
        "no_changes": "This run changed no fields.",
        "only_created": "This run changed no fields; it created {created:,} records (their "
                        "links carry the run).",
        "errors_head": "{count} open error(s), {marked} marked.",
        "no_errors": "✓ No open errors.",
        "error_detail": "{connection} · {actor} {erp_key} ({dir}): {message}",
        "retrying": "⏳ Retrying {count} error(s)…",
        "retried": "✓ Retried: {resolved} resolved, {failing} still failing.",
        "retried_bad": "! Retried: {resolved} resolved, {failing} still failing.",
        "nothing_marked": "Mark errors with space first (or R retries all).",
        "failed": "✗ {message}",
        "unexpected": "✗ Unexpected error: {kind}: {message}",
        "running": "running",
        "filter_placeholder": "text in field or ERP key (errors: message); Enter applies",
        "Back": "Back",
        "Runs": "Runs",
        "Changes": "Changes",
        "Errors": "Errors",
        "Next view": "Next view",
        "Connection": "Connection",
        "Filter": "Filter",
        "Retry selected": "Retry selected",
        "Retry all": "Retry all",
        "Refresh": "Refresh",
        "open_changes": "Changes",
        "mark": "Mark",
    },
    "nl": {
        "title": "Synchroniseren › Logboek",
        "tab_runs": "1 Runs",
        "tab_changes": "2 Wijzigingen",
        "tab_errors": "3 Fouten",
        "all": "alle verbindingen",
        "connection": "Verbinding: {name}",
        "filter": "Filter: {text}",
        "no_filter": "Filter: — (/)",
        "col_id": "Run",
        "col_connection": "Verbinding",
        "col_kind": "Soort",
        "col_started": "Gestart",
        "col_status": "Status",
        "status_finished": "voltooid", "status_cancelled": "gestopt",
        "status_failed": "mislukt", "status_running": "bezig",
        "status_interrupted": "onderbroken",
        "interrupted_detail": "Onderbroken: het proces ({who}) stopte zonder af te ronden, "
                              "laatst gezien {seen}; de volgende synchronisatie gaat verder "
                              "waar deze stopte.",
        "who": "host {host}, proces {pid}",
        "status_finished_error": "voltooid met 1 fout",
        "status_finished_errors": "voltooid met {count} fouten",
        "col_created": "Nieuw",
        "col_updated": "Gew.",
        "col_errors": "Fout",
        "col_actor": "Actor",
        "col_key": "Sleutel",
        "col_crm": "CRM",
        "col_field": "Veld",
        "col_dir": "Richt",
        "col_old": "Oud",
        "col_new": "Nieuw",
        "col_mark": "Sel",
        "col_message": "Melding",
        "no_runs": "Nog geen runs. s in het verbindingenscherm synchroniseert nu.",
        "run_detail": "Run {id} · {connection} · {kind} · {status} — {created} nieuw, "
                      "{updated} gewijzigd, {pushed} naar ERP, {unchanged} ongewijzigd, "
                      "{deleted} verwijderd in ERP, {conflicts} conflicten, {errors} fouten. "
                      "{message}",
        "no_run": "Kies eerst een run in de weergave Runs (1).",
        "changes_head": "Run {id}: {count} veldwijziging(en).",
        "changes_head_filtered": "Run {id}: {count} van {total} veldwijziging(en) komen "
                                 "overeen.",
        "change_detail": "Rij {row} van {count} · {actor} {erp_key} · {field} {dir}: {old} → {new}",
        "created_record": "record gemaakt",
        "no_changes": "Deze run heeft geen velden gewijzigd.",
        "only_created": "Deze run heeft geen velden gewijzigd; er zijn {created:,} records "
                        "aangemaakt.",
        "errors_head": "{count} openstaande fout(en), {marked} gemarkeerd.",
        "no_errors": "✓ Geen openstaande fouten.",
        "error_detail": "{connection} · {actor} {erp_key} ({dir}): {message}",
        "retrying": "⏳ {count} fout(en) opnieuw proberen…",
        "retried": "✓ Opnieuw geprobeerd: {resolved} opgelost, {failing} nog fout.",
        "retried_bad": "! Opnieuw geprobeerd: {resolved} opgelost, {failing} nog fout.",
        "nothing_marked": "Markeer eerst fouten met spatie (of R probeert alle opnieuw).",
        "failed": "✗ {message}",
        "unexpected": "✗ Onverwachte fout: {kind}: {message}",
        "running": "bezig",
        "filter_placeholder": "tekst in veld of ERP-sleutel (fouten: melding); Enter past toe",
        "Back": "Terug",
        "Runs": "Runs",
        "Changes": "Wijzigingen",
        "Errors": "Fouten",
        "Next view": "Volgende weergave",
        "Connection": "Verbinding",
        "Filter": "Filter",
        "Retry selected": "Geselecteerde opnieuw proberen",
        "Retry all": "Alle opnieuw proberen",
        "Refresh": "Vernieuwen",
        "open_changes": "Wijzigingen",
        "mark": "Markeren",
    },
}


def status_label(status: str, errors: int = 0) -> str:
    """A run status in the UI's language ("finished with 2 errors" when it had errors)."""
    if status == "finished" and errors:
        if errors == 1:
            return tr(TEXT, "status_finished_error")
        return tr(TEXT, "status_finished_errors", count=fit_count(errors, 3).strip())
    text = tr(TEXT, f"status_{status}")
    return status if text == f"status_{status}" else text
