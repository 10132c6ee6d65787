"""The runner's named shapes: the typed rows it reads and writes (and, from
erp_tui.sync_marks, the link states and change kinds they carry).

Rows are NamedTuples: reading a field by name costs about what indexing does.
Light on imports: the page-reader process imports the runner's small modules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

# Re-exported: the runner's modules take them from here with the rows.
from erp_tui.sync_marks import ChangeKind as ChangeKind
from erp_tui.sync_marks import LinkState as LinkState
from erp_tui.sync_marks import RecordEvent as RecordEvent


class LinkRow(NamedTuple):
    """A link as the page planning reads it (see erp_tui.runner.crm.lookup_links)."""

    id: int
    crm_id: int
    snapshot: str
    # The CRM record's change stamp when the runner last wrote or read it.
    crm_stamp: int
    state: str


class CrmRecord(NamedTuple):
    """A CRM record's change stamp, last update and the values of the columns asked for."""

    change_stamp: int
    updated: datetime | None
    values: tuple[Any, ...]


class LinkedRecord(NamedTuple):
    """A linked CRM record as phase B (CRM→ERP) reads it: the record, its link and the values
    of the CRM→ERP columns (see erp_tui.runner.crm.changed_since)."""

    crm_id: int
    change_stamp: int
    updated: datetime | None
    link_id: int
    erp_key: str
    snapshot: str
    # The CRM record's change stamp the link last synced (equal: the runner's own write).
    link_stamp: int
    values: tuple[Any, ...]


class StoredCursor(NamedTuple):
    """Where one actor type's sync stands: the ERP cursor and the CRM change stamp."""

    erp_modified: str
    erp_key: str
    crm_stamp: int


class StampRange(NamedTuple):
    """The CRM entity's newest change stamp before a batch, and after its writes."""

    before: int
    after: int


class StagedPage(NamedTuple):
    """A page of new records staged by the reader process: a serialized SQLite database, the
    CRM id of its first row and that row's change stamp (the others count on)."""

    data: bytes
    first_id: int
    first_stamp: int


class ErpCurrent(NamedTuple):
    """An ERP actor's current values of the two-way fields (canonical, CRM terms) and its
    last-modified stamp."""

    values: dict[str, str]
    last_modified: str
