"""The words the sync's bookkeeping stores: link states and the change log's marks.

They are `StrEnum`s whose values are what the store holds (`link.state`, `change_log.field`,
`change_log.new_value`), so members compare equal to the stored text and bind as it. They live
below the runner so that the model, the services, the CLI and the screens read them too.
"""

from __future__ import annotations

from enum import StrEnum


class LinkState(StrEnum):
    """The state of a link (`link.state`)."""

    LINKED = "linked"
    # The ERP reported the actor deleted; a live row of it later brings the link back.
    DELETED_IN_ERP = "deleted_in_erp"


class ChangeKind(StrEnum):
    """The `field` of a change that is not about one field."""

    # A whole-record event: created, deleted in the ERP, restored in the ERP (see RecordEvent).
    RECORD = "*"
    # A record error (dry runs report their errors as changes).
    ERROR = "!"


class RecordEvent(StrEnum):
    """What happened to a whole record (`new_value` of a ChangeKind.RECORD change; a
    restore's `old_value` is DELETED_IN_ERP)."""

    CREATED = "create"
    DELETED_IN_ERP = "deleted in ERP"
    RESTORED_IN_ERP = "restored in ERP"
