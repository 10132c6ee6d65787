"""Where the synced fields of one actor type sit: their slots in a link's snapshot, the fields
flowing each way and the CRM columns they fill. Worked out once per actor type and run."""

from __future__ import annotations

from dataclasses import dataclass

from erp_tui.runner.plan import ActorPlan, FieldPlan
from erp_tui.runner.translate import InboundField


@dataclass(frozen=True, slots=True)
class FieldLayout:
    """The synced fields of one actor plan, by direction, with their snapshot slots."""

    fields: list[FieldPlan]
    # Snapshot width: one slot per synced field, in plan order.
    width: int
    # ERP field key -> its snapshot slot.
    index: dict[str, int]
    # Fields flowing ERP→CRM and their snapshot slots.
    in_fields: list[FieldPlan]
    in_slots: list[int]
    # Fields flowing CRM→ERP and their snapshot slots.
    out_fields: list[FieldPlan]
    out_slots: list[int]
    # The CRM column of each ERP→CRM field, and what translating it needs.
    crm_columns: list[str]
    inbound: list[InboundField]
    # CRM columns holding real dates (values are converted on write).
    date_columns: frozenset[str]

    @classmethod
    def of(cls, plan: ActorPlan) -> FieldLayout:
        """The layout of `plan`'s fields."""
        index = {f.erp_key: i for i, f in enumerate(plan.fields)}
        in_fields = plan.in_fields
        out_fields = plan.out_fields
        return cls(
            fields=plan.fields, width=len(plan.fields), index=index,
            in_fields=in_fields, in_slots=[index[f.erp_key] for f in in_fields],
            out_fields=out_fields, out_slots=[index[f.erp_key] for f in out_fields],
            crm_columns=[f.crm_column for f in in_fields],
            inbound=[InboundField(f.label, f.erp_type, f.to_crm_items, f.erp_list,
                                  f.crm_max_length) for f in in_fields],
            date_columns=frozenset(f.crm_column for f in plan.fields if f.crm_date_column))
