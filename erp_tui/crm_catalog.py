"""The CRM side's catalog: entities, their standard fields and lists.

Field keys follow the CRM's own names so that ERP fields with the same key map automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

from erp_tui.contract import FieldType

COMPANY = "company"
PERSON = "person"
PROJECT = "project"

ENTITY_LABELS: dict[str, tuple[str, str]] = {
    # entity -> (English, Dutch)
    COMPANY: ("Company", "Bedrijf"),
    PERSON: ("Person", "Persoon"),
    PROJECT: ("Project", "Project"),
}

# The CRM entity an ERP actor type syncs with by default.
DEFAULT_ENTITY_FOR_ACTOR: dict[str, str] = {
    "Customer": COMPANY,
    "Supplier": COMPANY,
    "Partner": COMPANY,
    "Person": PERSON,
    "Project": PROJECT,
}

# Actor types that exist in ERPs but are never synced.
UNSYNCED_ACTOR_TYPES = frozenset({"Employee", "Sale"})


@dataclass(frozen=True)
class CrmField:
    """One field of a CRM entity."""

    key: str
    label: str
    type: FieldType = FieldType.TEXT
    list_name: str = ""
    read_only: bool = False
    max_length: int = 0


def _text(key: str, label: str, max_length: int = 200) -> CrmField:
    return CrmField(key, label, FieldType.TEXT, max_length=max_length)


def _list(key: str, label: str, list_name: str) -> CrmField:
    return CrmField(key, label, FieldType.LIST, list_name=list_name)


_READ_ONLY = (
    CrmField("id", "ID", FieldType.INTEGER, read_only=True),
    CrmField("created", "Created", FieldType.DATETIME, read_only=True),
    CrmField("updated", "Updated", FieldType.DATETIME, read_only=True),
)

CRM_FIELDS: dict[str, tuple[CrmField, ...]] = {
    COMPANY: (
        *_READ_ONLY,
        _text("name", "Name"),
        _text("department", "Department"),
        _text("number1", "Number 1", 50),
        _text("number2", "Number 2", 50),
        _text("vatno", "VAT number", 50),
        _text("phone", "Phone", 50),
        _text("fax", "Fax", 50),
        _text("email", "E-mail"),
        _text("url", "Web site"),
        _text("postal_address1", "Postal address 1"),
        _text("postal_address2", "Postal address 2"),
        _text("postal_address3", "Postal address 3"),
        _text("postal_zip", "Postal zip", 20),
        _text("postal_city", "Postal city", 100),
        _text("street_address1", "Street address 1"),
        _text("street_address2", "Street address 2"),
        _text("street_address3", "Street address 3"),
        _text("street_zip", "Street zip", 20),
        _text("street_city", "Street city", 100),
        _list("country", "Country", "country"),
        _list("category", "Category", "category"),
        _list("business", "Business", "business"),
    ),
    PERSON: (
        *_READ_ONLY,
        _text("firstname", "First name", 100),
        _text("middlename", "Middle name", 100),
        _text("lastname", "Last name", 100),
        _text("title", "Title", 100),
        _list("position", "Position", "position"),
        _text("email", "E-mail"),
        _text("phone", "Phone", 50),
        _text("mobile", "Mobile", 50),
        CrmField("birthdate", "Birth date", FieldType.DATE),
    ),
    PROJECT: (
        *_READ_ONLY,
        _text("name", "Name"),
        _text("number", "Number", 50),
        _list("type", "Project type", "project_type"),
        _list("status", "Project status", "project_status"),
        CrmField("enddate", "End date", FieldType.DATE),
        CrmField("text", "Description", FieldType.TEXT),
        _text("url", "Web site"),
    ),
}

CRM_LISTS: dict[str, list[tuple[str, str]]] = {
    "category": [("customer", "Customer"), ("prospect", "Prospect"), ("supplier", "Supplier"),
                 ("partner", "Partner"), ("public", "Public sector"), ("wholesale", "Wholesale"),
                 ("retail", "Retail"), ("education", "Education"),
                 ("healthcare", "Healthcare"), ("industry", "Industry")],
    "business": [("it", "IT"), ("retail", "Retail"), ("manufacturing", "Manufacturing"),
                 ("logistics", "Logistics"), ("finance", "Finance"), ("public", "Public sector")],
    "country": [("NL", "Netherlands"), ("SE", "Sweden"), ("NO", "Norway"), ("DK", "Denmark"),
                ("FI", "Finland"), ("DE", "Germany"), ("BE", "Belgium"), ("GB", "United Kingdom"),
                ("US", "United States")],
    "position": [("ceo", "CEO"), ("cfo", "CFO"), ("buyer", "Buyer"), ("sales", "Sales"),
                 ("it", "IT manager"), ("other", "Other")],
    "project_type": [("internal", "Internal"), ("customer", "Customer project"),
                     ("implementation", "Implementation"), ("support", "Support")],
    "project_status": [("planned", "Planned"), ("active", "In progress"),
                       ("on_hold", "On hold"), ("completed", "Completed"),
                       ("cancelled", "Cancelled")],
}


def crm_field(entity: str, key: str) -> CrmField | None:
    """The CRM field `key` of `entity`, or None."""
    for field in CRM_FIELDS.get(entity, ()):
        if field.key == key:
            return field
    return None


def entity_label(entity: str, language: str = "en") -> str:
    """Display name of a CRM entity."""
    english, dutch = ENTITY_LABELS.get(entity, (entity, entity))
    return dutch if language == "nl" else english
