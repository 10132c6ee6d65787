"""One actor order and one actor naming for every configuration dialog: the order and the names
Mappings shows ("Contact person", never "Person"), in the current language."""

from __future__ import annotations

from erp_tui.context import AppContext
from erp_tui.crm_catalog import actor_label
from erp_tui.screens.i18n import label_language
from erp_tui.services.mappings import actor_tabs


def actor_name(actor_type: str, fallback: str = "") -> str:
    """The display name of an actor type in the current language ("Klant", "Contactpersoon")."""
    return actor_label(actor_type, label_language(), fallback)


def actor_order(ctx: AppContext, connection_id: int) -> list[tuple[str, str]]:
    """(actor type, display name) of the connection's actors, in the order Mappings shows
    them (the ERP's order)."""
    return [(actor_type, actor_name(actor_type, label))
            for actor_type, label in actor_tabs(ctx, connection_id)]


def in_actor_order(actor_types: list[str], order: list[tuple[str, str]]) -> list[str]:
    """`actor_types` sorted as `order` lists them; unknown types last, in their own order."""
    position = {actor: index for index, (actor, _name) in enumerate(order)}
    return sorted(actor_types, key=lambda actor: position.get(actor, len(position)))
