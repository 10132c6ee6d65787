"""The workbook's layout: which sheets hold which actor types and the columns with a meaning
of their own."""

from __future__ import annotations

ACTOR_SHEETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Customer": ("Customer", ()),
    "Supplier": ("Supplier", ()),
    "Person": ("Person", ("Customer", "Supplier")),
    "Project": ("Project", ()),
}
"""Actor type -> (label, parent types); the sheet has the actor type's name."""

ACTOR_LABELS_NL: dict[str, str] = {
    "Customer": "Klant", "Supplier": "Leverancier", "Person": "Contactpersoon",
    "Project": "Project"}
"""The Dutch label of each actor sheet."""

ID_COLUMN = "ID"
STAMP_COLUMN = "LastModified"
PARENT_TYPE_COLUMN = "ParentType"
PARENT_ID_COLUMN = "ParentID"
DELETED_COLUMN = "Deleted"
TEXT_COLUMN = "Text"
"""The column of a list sheet that holds an item's text (its key is in ID_COLUMN); a column
`Text.nl` (`Text.` and a language) holds the item's text in that language."""

LABELS_SHEET = "Labels"
"""The optional sheet of labels per language: columns `Sheet`, `Column` and one per language
(`nl`); a row without a column labels the sheet's actor type."""
LABELS_SHEET_COLUMNS = ("Sheet", "Column")

SPECIAL_COLUMNS = (ID_COLUMN, STAMP_COLUMN, PARENT_TYPE_COLUMN, PARENT_ID_COLUMN, DELETED_COLUMN)
"""The columns of an actor sheet that are no field."""


def parent_types(actor_type: str) -> tuple[str, ...]:
    """The actor types an actor of `actor_type` may sit under (none for most)."""
    return ACTOR_SHEETS[actor_type][1]
