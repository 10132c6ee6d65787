"""The CRM side's catalog: entities, their standard fields and lists.

This is the one declaration of the CRM schema: each standard field's key, column, type and
maximum length, and each entity's parent column. The entity tables (`erp_tui.model`) are built
from it; a new field needs a migration as well (tests/test_migrations.py and
tests/test_crm_schema_once.py say when one is missing). Field keys follow the CRM's own names
so that ERP fields with the same key map automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

from erp_tui.contract import SYNCED_ACTOR_TYPES, FieldType
from erp_tui.i18n import msg

COMPANY = "company"
PERSON = "person"
PROJECT = "project"
# The CRM's entities, in the order they are offered.
CRM_ENTITIES: tuple[str, ...] = (COMPANY, PERSON, PROJECT)

ENTITY_LABELS: dict[str, tuple[str, str]] = {
    # entity -> (English, Dutch)
    COMPANY: ("Company", "Bedrijf"),
    PERSON: ("Person", "Persoon"),
    PROJECT: ("Project", "Project"),
}

# The names of the actor types the CRM knows, as the source page writes them: (English, Dutch).
ACTOR_LABELS: dict[str, tuple[str, str]] = {
    "Customer": ("Customer", "Klant"),
    "Supplier": ("Supplier", "Leverancier"),
    "Partner": ("Partner", "Partner"),
    "Project": ("Project", "Project"),
    "Person": ("Contact person", "Contactpersoon"),
    "Employee": ("Employee", "Medewerker"),
    "Sale": ("Sale", "Verkoop"),
}

# The CRM entity an ERP actor type syncs with by default.
DEFAULT_ENTITY_FOR_ACTOR: dict[str, str] = {
    "Customer": COMPANY,
    "Supplier": COMPANY,
    "Partner": COMPANY,
    "Person": PERSON,
    "Project": PROJECT,
}

# The order in which actor types are synced (the contract's): a record's parent company first.
ACTOR_TYPE_ORDER: tuple[str, ...] = SYNCED_ACTOR_TYPES

# The column of an entity's table that points to its parent company (entities under no parent
# have none).
PARENT_COLUMNS: dict[str, str] = {PERSON: "company_id"}


def actor_type_rank(actor_type: str) -> tuple[int, str]:
    """Sort key of an actor type in `ACTOR_TYPE_ORDER`; unknown types after the known ones,
    by name."""
    try:
        return ACTOR_TYPE_ORDER.index(actor_type), actor_type
    except ValueError:
        return len(ACTOR_TYPE_ORDER), actor_type


def parent_column(entity: str) -> str | None:
    """The column of `entity`'s CRM table that points to its parent company, or None."""
    return PARENT_COLUMNS.get(entity)


@dataclass(frozen=True)
class CrmField:
    """One field of a CRM entity: a standard field (its own column) or a user-defined one (a
    slot column holding the value's canonical text)."""

    key: str
    label: str
    type: FieldType = FieldType.TEXT
    list_name: str = ""
    read_only: bool = False
    max_length: int = 0
    # The database column; "" means the column is named like the key.
    column: str = ""
    user_defined: bool = False
    # The Dutch label ("" when it reads as the English one).
    label_nl: str = ""

    def __post_init__(self) -> None:
        if not self.column:
            object.__setattr__(self, "column", self.key)

    @property
    def date_column(self) -> bool:
        """True when the column is a real date (or date-time) column: a standard date field.
        A user-defined date field keeps its ISO text in a text slot."""
        return not self.user_defined and self.type in (FieldType.DATE, FieldType.DATETIME)

    def label_in(self, language: str) -> str:
        """The label in `language` ("en" or "nl")."""
        return (self.label_nl or self.label) if language == "nl" else self.label


def _text(key: str, label: str, max_length: int = 200, label_nl: str = "") -> CrmField:
    return CrmField(key, label, FieldType.TEXT, max_length=max_length, label_nl=label_nl)


def _list(key: str, label: str, list_name: str, label_nl: str = "") -> CrmField:
    return CrmField(key, label, FieldType.LIST, list_name=list_name, label_nl=label_nl)


# The fields every record has: columns the store keeps (`erp_tui.model.CrmRecord`).
_READ_ONLY = (
    CrmField("id", "ID", FieldType.INTEGER, read_only=True, label_nl="ID"),
    CrmField("created", "Created", FieldType.DATETIME, read_only=True,
             label_nl="Aangemaakt"),
    CrmField("updated", "Updated", FieldType.DATETIME, read_only=True,
             label_nl="Gewijzigd"),
)

CRM_FIELDS: dict[str, tuple[CrmField, ...]] = {
    COMPANY: (
        *_READ_ONLY,
        _text("name", "Name", label_nl="Naam"),
        _text("department", "Department", label_nl="Afdeling"),
        _text("number1", "Number 1", 50, "Nummer 1"),
        _text("number2", "Number 2", 50, "Nummer 2"),
        _text("vatno", "VAT number", 50, "Btw-nummer"),
        _text("phone", "Phone", 50, "Telefoon"),
        _text("fax", "Fax", 50, "Fax"),
        _text("email", "E-mail", label_nl="E-mail"),
        _text("url", "Web site", label_nl="Website"),
        _text("postal_address1", "Postal address 1", label_nl="Postadres 1"),
        _text("postal_address2", "Postal address 2", label_nl="Postadres 2"),
        _text("postal_address3", "Postal address 3", label_nl="Postadres 3"),
        _text("postal_zip", "Postal zip", 20, "Postcode (post)"),
        _text("postal_city", "Postal city", 100, "Plaats (post)"),
        _text("street_address1", "Street address 1", label_nl="Bezoekadres 1"),
        _text("street_address2", "Street address 2", label_nl="Bezoekadres 2"),
        _text("street_address3", "Street address 3", label_nl="Bezoekadres 3"),
        _text("street_zip", "Street zip", 20, "Postcode (bezoek)"),
        _text("street_city", "Street city", 100, "Plaats (bezoek)"),
        _list("country", "Country", "country", "Land"),
        _list("category", "Category", "category", "Categorie"),
        _list("business", "Business", "business", "Branche"),
    ),
    PERSON: (
        *_READ_ONLY,
        _text("firstname", "First name", 100, "Voornaam"),
        _text("middlename", "Middle name", 100, "Tussenvoegsel"),
        _text("lastname", "Last name", 100, "Achternaam"),
        _text("title", "Title", 100, "Titel"),
        _list("position", "Position", "position", "Functie"),
        _text("email", "E-mail", label_nl="E-mail"),
        _text("phone", "Phone", 50, "Telefoon"),
        _text("mobile", "Mobile", 50, "Mobiel"),
        CrmField("birthdate", "Birth date", FieldType.DATE, label_nl="Geboortedatum"),
    ),
    PROJECT: (
        *_READ_ONLY,
        _text("name", "Name", label_nl="Naam"),
        _text("number", "Number", 50, "Nummer"),
        _list("type", "Project type", "project_type", "Projectsoort"),
        _list("status", "Project status", "project_status", "Projectstatus"),
        CrmField("enddate", "End date", FieldType.DATE, label_nl="Einddatum"),
        CrmField("text", "Description", FieldType.TEXT, label_nl="Omschrijving"),
        _text("url", "Web site", label_nl="Website"),
    ),
}

# The CRM's lists: their names (English, Dutch) and items (key, English text).
LIST_LABELS: dict[str, tuple[str, str]] = {
    "category": ("Category", "Categorie"),
    "business": ("Business", "Branche"),
    "country": ("Country", "Land"),
    "position": ("Position", "Functie"),
    "project_type": ("Project type", "Projectsoort"),
    "project_status": ("Project status", "Projectstatus"),
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

# The Dutch text of each standard list item (list -> key -> text).
CRM_LISTS_NL: dict[str, dict[str, str]] = {
    "category": {"customer": "Klant", "prospect": "Prospect", "supplier": "Leverancier",
                 "partner": "Partner", "public": "Publieke sector", "wholesale": "Groothandel",
                 "retail": "Detailhandel", "education": "Onderwijs", "healthcare": "Zorg",
                 "industry": "Industrie"},
    "business": {"it": "IT", "retail": "Detailhandel", "manufacturing": "Productie",
                 "logistics": "Logistiek", "finance": "Financiën", "public": "Publieke sector"},
    "country": {"NL": "Nederland", "SE": "Zweden", "NO": "Noorwegen", "DK": "Denemarken",
                "FI": "Finland", "DE": "Duitsland", "BE": "België", "GB": "Verenigd Koninkrijk",
                "US": "Verenigde Staten"},
    "position": {"ceo": "Algemeen directeur", "cfo": "Financieel directeur", "buyer": "Inkoper",
                 "sales": "Verkoop", "it": "IT-manager", "other": "Overig"},
    "project_type": {"internal": "Intern", "customer": "Klantproject",
                     "implementation": "Implementatie", "support": "Ondersteuning"},
    "project_status": {"planned": "Gepland", "active": "In uitvoering", "on_hold": "Gepauzeerd",
                       "completed": "Afgerond", "cancelled": "Geannuleerd"},
}


def standard_field(entity: str, key: str) -> CrmField | None:
    """The standard CRM field `key` of `entity`, or None (user-defined fields live in the
    store: ask `erp_tui.crm_schema`)."""
    for field in CRM_FIELDS.get(entity, ()):
        if field.key == key:
            return field
    return None


def entity_label(entity: str, language: str = "en") -> str:
    """Display name of a CRM entity."""
    english, dutch = ENTITY_LABELS.get(entity, (entity, entity))
    return dutch if language == "nl" else english


# The CRM's actor names as messages, for the parameters of engine messages (a run's record
# error names the actor; the reader sees the name in their language).
_ACTOR_MESSAGES: dict[str, str] = {
    "Customer": msg("Customer"), "Supplier": msg("Supplier"), "Partner": msg("Partner"),
    "Project": msg("Project"), "Person": msg("Contact person"), "Employee": msg("Employee"),
    "Sale": msg("Sale")}


def actor_param(actor_type: str) -> str:
    """An actor type as a parameter of a message: the CRM's name for a type it knows (a
    message, shown in the reader's language), else the type itself."""
    return _ACTOR_MESSAGES.get(actor_type, actor_type)


def actor_label(actor_type: str, language: str = "en", fallback: str = "") -> str:
    """Display name of an actor type the CRM knows ("Person" reads "Contact person"); for
    another type `fallback`, else the type itself."""
    english, dutch = ACTOR_LABELS.get(actor_type, (fallback or actor_type,) * 2)
    return dutch if language == "nl" else english


def list_label(list_name: str, language: str = "en") -> str:
    """Display name of a CRM list; an unknown list reads as its name."""
    english, dutch = LIST_LABELS.get(list_name, (list_name, list_name))
    return dutch if language == "nl" else english


def list_item_text(list_name: str, key: str, text: str, language: str = "en") -> str:
    """The text of a CRM list item in `language`: a standard item whose stored `text` is still
    the catalogue's English reads in Dutch too; an item the user added or renamed keeps its
    `text`."""
    if language != "nl" or text != _ENGLISH_ITEMS.get(list_name, {}).get(key):
        return text
    return CRM_LISTS_NL.get(list_name, {}).get(key, text)


_ENGLISH_ITEMS: dict[str, dict[str, str]] = {
    name: dict(items) for name, items in CRM_LISTS.items()}
