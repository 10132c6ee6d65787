"""The embedded *sample ERP*: schema, data generator and small write helpers.

A sample ERP is one plain SQLite file, read and written with the standard `sqlite3` module (no
ORM: the generator must load a million customers in seconds and the connector must page through
them in a couple of seconds).

Layout of the file:

* one table per actor type (`customer`, `supplier`, `person`, `project`) with the columns
  `erp_key`, `last_modified`, `deleted` (persons also `parent_type`, `parent_key`) and one
  column per standard field, named after the field key;
* `extra_field` (metadata of benchmark fields `extra_0001`...) and `extra_value` (their values,
  sparse: one row per actor and field that has a value);
* `list_item(list_name, key, text)`, `settings(key, value)` (api key, company name, schema id)
  and `clock` (the last `last_modified` handed out).

`last_modified` is ISO-8601 UTC with microseconds and fixed width
(`2026-11-27T11:25:01.123456Z`), strictly increasing over all actors of one file: every write
takes `max(now, last + 1 µs)` from the clock. Deleted actors stay as rows with `deleted = 1`.
"""

from __future__ import annotations

import random
import sqlite3
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from erp_tui.contract import FieldAccess, FieldInfo, FieldType
from erp_tui.i18n import msg

SCHEMA_ID = "erp_tui.sample/1"
"""Value of `settings.schema` in every sample ERP file."""

EXTRA_VALUE_ACTORS = 25
"""How many actors of the chosen type get values for every extra field at generation."""

_T = FieldType
_NORMAL = FieldAccess.NORMAL
_MANDATORY = FieldAccess.MANDATORY
_READ_ONLY = FieldAccess.READ_ONLY


# The Dutch label of each field label of the sample ERP.
LABELS_NL: dict[str, str] = {
    "Name": "Naam", "Organisation number": "KvK-nummer", "VAT number": "Btw-nummer",
    "Phone": "Telefoon", "Email": "E-mail", "Website": "Website",
    "Postal address": "Postadres", "Postal code": "Postcode", "City": "Plaats",
    "Country": "Land", "Customer number": "Klantnummer", "Customer group": "Klantgroep",
    "Payment terms": "Betalingstermijn", "Currency": "Valuta", "Credit limit": "Kredietlimiet",
    "Blocked": "Geblokkeerd", "Created": "Aangemaakt", "Note": "Notitie",
    "Supplier number": "Leveranciersnummer", "Supplier group": "Leveranciersgroep",
    "Bank account": "Bankrekening", "Person number": "Persoonsnummer",
    "First name": "Voornaam", "Middle name": "Tussenvoegsel", "Last name": "Achternaam",
    "Title": "Titel", "Position": "Functie", "Mobile": "Mobiel",
    "Birth date": "Geboortedatum", "Project number": "Projectnummer", "Status": "Status",
    "Start date": "Startdatum", "End date": "Einddatum", "Description": "Omschrijving",
    "Budget": "Budget", "Project site": "Projectsite",
}

# The Dutch description of each standard field of the sample ERP, by its English text.
DESCRIPTIONS_NL: dict[str, str] = {
    "The ERP's own customer number, set on creation.":
        "Het eigen klantnummer van het ERP, gezet bij het aanmaken.",
    "Registered name of the company.": "Statutaire naam van het bedrijf.",
    "Chamber of commerce / company registration number.":
        "Nummer bij de Kamer van Koophandel / handelsregister.",
    "VAT registration number, with country prefix.": "Btw-nummer, met landcode ervoor.",
    "Main phone number, international format.": "Algemeen telefoonnummer, internationaal.",
    "General email address of the company.": "Algemeen e-mailadres van het bedrijf.",
    "Web address of the company.": "Webadres van het bedrijf.",
    "Street and house number of the postal address.": "Straat en huisnummer van het postadres.",
    "Postal (zip) code of the postal address.": "Postcode van het postadres.",
    "City of the postal address.": "Plaats van het postadres.",
    "Country of the postal address.": "Land van het postadres.",
    "Customer group used for pricing and reporting.":
        "Klantgroep voor prijzen en rapportages.",
    "Number of days within which invoices are due (30 days when not given).":
        "Aantal dagen waarbinnen facturen betaald moeten zijn (30 dagen als niets is gegeven).",
    "Currency the customer is invoiced in.": "Valuta waarin de klant wordt gefactureerd.",
    "Maximum open invoice amount, in the currency.":
        "Hoogste openstaande factuurbedrag, in de valuta.",
    "Blocked customers get no new orders or deliveries.":
        "Geblokkeerde klanten krijgen geen nieuwe orders of leveringen.",
    "Date the customer was created in the ERP.": "Datum waarop de klant in het ERP is aangemaakt.",
    "Free internal note about the customer.": "Vrije interne notitie over de klant.",
    "The ERP's own contact number, set on creation.":
        "Het eigen contactnummer van het ERP, gezet bij het aanmaken.",
    "Given name of the contact.": "Voornaam van de contactpersoon.",
    "Name particle such as 'van der' or 'de'.": "Tussenvoegsel zoals 'van der' of 'de'.",
    "Family name of the contact.": "Achternaam van de contactpersoon.",
    "Academic or honorary title, such as 'Dr.' or 'ir.'.":
        "Academische of eretitel, zoals 'dr.' of 'ir.'.",
    "Job position of the contact at the company.":
        "Functie van de contactpersoon bij het bedrijf.",
    "Personal work email address.": "Persoonlijk zakelijk e-mailadres.",
    "Direct phone number.": "Direct telefoonnummer.",
    "Mobile phone number.": "Mobiel telefoonnummer.",
    "Date of birth of the contact.": "Geboortedatum van de contactpersoon.",
    "The ERP's own project number, set on creation.":
        "Het eigen projectnummer van het ERP, gezet bij het aanmaken.",
    "Short name of the project.": "Korte naam van het project.",
    "Where the project stands.": "Hoe het project ervoor staat.",
    "Date work on the project starts.": "Datum waarop het werk aan het project begint.",
    "Planned or actual end date of the project.":
        "Geplande of werkelijke einddatum van het project.",
    "What the project is about.": "Waar het project over gaat.",
    "Budgeted cost of the project in euro.": "Begrote kosten van het project in euro.",
    "Web address with project information.": "Webadres met informatie over het project.",
    "The ERP's own supplier number, set on creation.":
        "Het eigen leveranciersnummer van het ERP, gezet bij het aanmaken.",
    "Supplier group used for purchasing reports.": "Leveranciersgroep voor inkooprapportages.",
    "Number of days within which we pay invoices (30 days when not given).":
        "Aantal dagen waarbinnen wij facturen betalen (30 dagen als niets is gegeven).",
    "Currency the supplier invoices in.": "Valuta waarin de leverancier factureert.",
    "IBAN the supplier is paid to.": "IBAN waarop de leverancier wordt betaald.",
    "Blocked suppliers get no new purchase orders.":
        "Geblokkeerde leveranciers krijgen geen nieuwe inkooporders.",
    "Date the supplier was created in the ERP.":
        "Datum waarop de leverancier in het ERP is aangemaakt.",
    "Free internal note about the supplier.": "Vrije interne notitie over de leverancier.",
}


def _f(key: str, label: str, description: str, type_: FieldType = FieldType.TEXT, *,
       list_name: str = "", max_length: int = 0,
       access: FieldAccess = FieldAccess.NORMAL, default: str = "") -> FieldInfo:
    return FieldInfo(key=key, label=label, description=description, type=type_,
                     list_name=list_name, max_length=max_length, access=access,
                     default=default, labels={"nl": LABELS_NL[label]},
                     descriptions={"nl": DESCRIPTIONS_NL[description]})


@dataclass(frozen=True)
class ActorSpec:
    """One actor type of the sample ERP: its table, key prefix and standard fields."""

    key: str
    label: str
    label_nl: str
    table: str
    key_prefix: str
    number_field: str
    number_format: str
    fields: tuple[FieldInfo, ...]
    # SQL expressions (over the table's columns) the simple text search looks in.
    search_columns: tuple[str, ...]
    parent_types: tuple[str, ...] = ()

    @property
    def field_map(self) -> dict[str, FieldInfo]:
        return {f.key: f for f in self.fields}

    def erp_key(self, number: int) -> str:
        """The ERP key of the `number`-th actor of this type (1-based)."""
        return f"{self.key_prefix}{number:07d}"


_COMPANY_COMMON_HEAD = (
    _f("name", "Name", "Registered name of the company.", max_length=100, access=_MANDATORY),
    _f("orgno", "Organisation number", "Chamber of commerce / company registration number.",
       max_length=20),
    _f("vatno", "VAT number", "VAT registration number, with country prefix.", max_length=20),
    _f("phone", "Phone", "Main phone number, international format.", max_length=30),
    _f("email", "Email", "General email address of the company.", max_length=120),
    _f("url", "Website", "Web address of the company.", max_length=200),
    _f("postal_address1", "Postal address", "Street and house number of the postal address.",
       max_length=100),
    _f("postal_zip", "Postal code", "Postal (zip) code of the postal address.", max_length=12),
    _f("postal_city", "City", "City of the postal address.", max_length=60),
    _f("country", "Country", "Country of the postal address.", _T.LIST, list_name="country"),
)

CUSTOMER = ActorSpec(
    key="Customer", label="Customer", label_nl="Klant",
    table="customer", key_prefix="C",
    number_field="customer_no", number_format="{:d}",
    fields=(
        _f("customer_no", "Customer number", "The ERP's own customer number, set on creation.",
           access=_READ_ONLY),
        *_COMPANY_COMMON_HEAD,
        _f("category", "Customer group", "Customer group used for pricing and reporting.",
           _T.LIST, list_name="customer_group"),
        _f("payment_terms", "Payment terms", "Number of days within which invoices are due "
           "(30 days when not given).", _T.LIST, list_name="payment_terms", default="30"),
        _f("currency", "Currency", "Currency the customer is invoiced in.", _T.LIST,
           list_name="currency"),
        _f("credit_limit", "Credit limit", "Maximum open invoice amount, in the currency.",
           _T.DOUBLE),
        _f("blocked", "Blocked", "Blocked customers get no new orders or deliveries.",
           _T.CHECKBOX),
        _f("created", "Created", "Date the customer was created in the ERP.", _T.DATE,
           access=_READ_ONLY),
        _f("note", "Note", "Free internal note about the customer.", max_length=500),
    ),
    search_columns=("name", "customer_no", "orgno", "email", "postal_city"),
)

SUPPLIER = ActorSpec(
    key="Supplier", label="Supplier", label_nl="Leverancier",
    table="supplier", key_prefix="S",
    number_field="supplier_no", number_format="{:d}",
    fields=(
        _f("supplier_no", "Supplier number", "The ERP's own supplier number, set on creation.",
           access=_READ_ONLY),
        *_COMPANY_COMMON_HEAD,
        _f("category", "Supplier group", "Supplier group used for purchasing reports.",
           _T.LIST, list_name="supplier_group"),
        _f("payment_terms", "Payment terms", "Number of days within which we pay invoices "
           "(30 days when not given).", _T.LIST, list_name="payment_terms", default="30"),
        _f("currency", "Currency", "Currency the supplier invoices in.", _T.LIST,
           list_name="currency"),
        _f("bank_account", "Bank account", "IBAN the supplier is paid to.", max_length=34),
        _f("blocked", "Blocked", "Blocked suppliers get no new purchase orders.", _T.CHECKBOX),
        _f("created", "Created", "Date the supplier was created in the ERP.", _T.DATE,
           access=_READ_ONLY),
        _f("note", "Note", "Free internal note about the supplier.", max_length=500),
    ),
    search_columns=("name", "supplier_no", "orgno", "email", "postal_city"),
)

PERSON = ActorSpec(
    key="Person", label="Contact person", label_nl="Contactpersoon",
    table="person", key_prefix="P",
    number_field="person_no", number_format="{:d}",
    fields=(
        _f("person_no", "Person number", "The ERP's own contact number, set on creation.",
           access=_READ_ONLY),
        _f("firstname", "First name", "Given name of the contact.", max_length=50,
           access=_MANDATORY),
        _f("middlename", "Middle name", "Name particle such as 'van der' or 'de'.",
           max_length=20),
        _f("lastname", "Last name", "Family name of the contact.", max_length=50,
           access=_MANDATORY),
        _f("title", "Title", "Academic or honorary title, such as 'Dr.' or 'ir.'.",
           max_length=20),
        _f("position", "Position", "Job position of the contact at the company.",
           max_length=60),
        _f("email", "Email", "Personal work email address.", max_length=120),
        _f("phone", "Phone", "Direct phone number.", max_length=30),
        _f("mobile", "Mobile", "Mobile phone number.", max_length=30),
        _f("birthdate", "Birth date", "Date of birth of the contact.", _T.DATE),
    ),
    search_columns=(
        "firstname || ' ' || COALESCE(middlename || ' ', '') || lastname",
        "person_no", "email",
    ),
    parent_types=("Customer", "Supplier"),
)

PROJECT = ActorSpec(
    key="Project", label="Project", label_nl="Project",
    table="project", key_prefix="J",
    number_field="project_no", number_format="PRJ-{:05d}",
    fields=(
        _f("project_no", "Project number", "The ERP's own project number, set on creation.",
           access=_READ_ONLY),
        _f("name", "Name", "Short name of the project.", max_length=100, access=_MANDATORY),
        _f("status", "Status", "Where the project stands.", _T.LIST, list_name="project_status"),
        _f("startdate", "Start date", "Date work on the project starts.", _T.DATE),
        _f("enddate", "End date", "Planned or actual end date of the project.", _T.DATE),
        _f("text", "Description", "What the project is about.", max_length=1000),
        _f("budget", "Budget", "Budgeted cost of the project in euro.", _T.DOUBLE),
        _f("url", "Project site", "Web address with project information.", max_length=200),
    ),
    search_columns=("name", "project_no"),
)

ACTOR_SPECS: dict[str, ActorSpec] = {s.key: s for s in (CUSTOMER, SUPPLIER, PERSON, PROJECT)}
"""The four actor types of the sample ERP, by key."""

LISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "customer_group": (
        ("RETAIL", "Retail"), ("WHOLESALE", "Wholesale"), ("PUBLIC", "Public sector"),
        ("EDU", "Education"), ("HEALTH", "Healthcare"), ("INDUSTRY", "Industry"),
    ),
    "supplier_group": (
        ("GOODS", "Goods"), ("SERVICES", "Services"), ("LOGISTICS", "Logistics"),
        ("IT", "IT and software"), ("UTILITIES", "Utilities"),
    ),
    "payment_terms": (
        ("0", "Cash on delivery"), ("14", "14 days"), ("30", "30 days"), ("60", "60 days"),
    ),
    "currency": (
        ("EUR", "Euro"), ("SEK", "Swedish krona"), ("NOK", "Norwegian krone"),
        ("DKK", "Danish krone"), ("USD", "US dollar"),
    ),
    "country": (
        ("NL", "Netherlands"), ("SE", "Sweden"), ("NO", "Norway"), ("DK", "Denmark"),
        ("FI", "Finland"), ("DE", "Germany"), ("BE", "Belgium"),
    ),
    "project_status": (
        ("planned", "Planned"), ("active", "Active"), ("on_hold", "On hold"),
        ("completed", "Completed"),
    ),
}
"""The ERP's lists: list name -> (key, text) items in display order."""

LISTS_NL: dict[str, dict[str, str]] = {
    "customer_group": {"RETAIL": "Detailhandel", "WHOLESALE": "Groothandel",
                       "PUBLIC": "Publieke sector", "EDU": "Onderwijs", "HEALTH": "Zorg",
                       "INDUSTRY": "Industrie"},
    "supplier_group": {"GOODS": "Goederen", "SERVICES": "Diensten", "LOGISTICS": "Logistiek",
                       "IT": "IT en software", "UTILITIES": "Nutsvoorzieningen"},
    "payment_terms": {"0": "Contant bij levering", "14": "14 dagen", "30": "30 dagen",
                      "60": "60 dagen"},
    "currency": {"EUR": "Euro", "SEK": "Zweedse kroon", "NOK": "Noorse kroon",
                 "DKK": "Deense kroon", "USD": "Amerikaanse dollar"},
    "country": {"NL": "Nederland", "SE": "Zweden", "NO": "Noorwegen", "DK": "Denemarken",
                "FI": "Finland", "DE": "Duitsland", "BE": "België"},
    "project_status": {"planned": "Gepland", "active": "Actief", "on_hold": "Gepauzeerd",
                       "completed": "Afgerond"},
}
"""The Dutch texts of the lists' items (list name -> key -> text)."""


# ---- timestamps ------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_GENERATION_START = datetime(2025, 9, 1, 6, 0, 0, tzinfo=UTC)
_GENERATION_SPAN_US = 30 * 86_400 * 1_000_000  # generated actors change over 30 days
_MIN_STEP_US = 1


def format_timestamp(moment: datetime) -> str:
    """`moment` as a fixed-width ISO-8601 UTC string with microseconds and a `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """Inverse of `format_timestamp`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _to_us(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _timestamp_strings(start_us: int, step_us: int, count: int) -> Iterator[str]:
    """`count` strictly increasing timestamps, fast (one strftime per day, not per row)."""
    day_len = 86_400_000_000
    clock = _seconds_of_day() if count > 1000 else None
    cached_day = -1
    prefix = ""
    t = start_us
    for _ in range(count):
        day, rest = divmod(t, day_len)
        if day != cached_day:
            cached_day = day
            prefix = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")
        secs, us = divmod(rest, 1_000_000)
        if clock is None:
            hours, minutes = divmod(secs // 60, 60)
            yield f"{prefix}{hours:02d}:{minutes:02d}:{secs % 60:02d}.{us:06d}Z"
        else:
            yield f"{prefix}{clock[secs]}{us:06d}Z"
        t += step_us


def _seconds_of_day() -> list[str]:
    """'HH:MM:SS.' for every second of a day (precomputed for bulk generation)."""
    return [f"{h:02d}:{m:02d}:{s:02d}." for h in range(24) for m in range(60) for s in range(60)]


def next_timestamps(conn: sqlite3.Connection, count: int = 1) -> list[str]:
    """Take `count` new `last_modified` values from the file's clock (inside a write
    transaction): the first is max(now, last + 1 µs), the others follow 1 µs apart."""
    row = conn.execute("SELECT last_modified FROM clock WHERE id = 1").fetchone()
    now_us = _to_us(datetime.now(UTC))
    first = now_us if row is None else max(now_us, _to_us(parse_timestamp(row[0])) + 1)
    stamps = [format_timestamp(_EPOCH + timedelta(microseconds=first + i)) for i in range(count)]
    if stamps:
        conn.execute("INSERT INTO clock (id, last_modified) VALUES (1, ?) "
                     "ON CONFLICT (id) DO UPDATE SET last_modified = excluded.last_modified",
                     (stamps[-1],))
    return stamps


# ---- opening and schema ----------------------------------------------------------------------

def open_erp(path: str | Path, *, read_only: bool = False, timeout: float = 10.0
             ) -> sqlite3.Connection:
    """Open an existing sample ERP file (never creates one) in autocommit mode.

    Raises `FileNotFoundError` when the file does not exist and `sqlite3.Error` when it cannot
    be opened. The caller owns the connection and must close it; do not share it across threads.
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"ERP database {file} does not exist")
    mode = "ro" if read_only else "rw"
    conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode={mode}", uri=True,
                           timeout=timeout, isolation_level=None, check_same_thread=True)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    conn.execute("PRAGMA mmap_size = 1073741824")  # reads without copying into the page cache
    return conn


def sql_type(field_type: FieldType) -> str:
    """SQLite column type used to store a field of this type."""
    if field_type in (FieldType.INTEGER, FieldType.CHECKBOX):
        return "INTEGER"
    if field_type is FieldType.DOUBLE:
        return "REAL"
    return "TEXT"


def _create_schema(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("CREATE TABLE clock (id INTEGER PRIMARY KEY CHECK (id = 1), "
                 "last_modified TEXT NOT NULL)")
    conn.execute("CREATE TABLE list_item (list_name TEXT NOT NULL, key TEXT NOT NULL, "
                 "text TEXT NOT NULL, position INTEGER NOT NULL, "
                 "PRIMARY KEY (list_name, key)) WITHOUT ROWID")
    conn.execute("CREATE TABLE extra_field (actor_type TEXT NOT NULL, key TEXT NOT NULL, "
                 "position INTEGER NOT NULL, label TEXT NOT NULL, description TEXT NOT NULL, "
                 "type TEXT NOT NULL, max_length INTEGER NOT NULL DEFAULT 0, "
                 "PRIMARY KEY (actor_type, key)) WITHOUT ROWID")
    conn.execute("CREATE TABLE extra_value (actor_type TEXT NOT NULL, erp_key TEXT NOT NULL, "
                 "field_key TEXT NOT NULL, value, "
                 "PRIMARY KEY (actor_type, erp_key, field_key)) WITHOUT ROWID")
    for spec in ACTOR_SPECS.values():
        columns = ["erp_key TEXT NOT NULL", "last_modified TEXT NOT NULL",
                   "deleted INTEGER NOT NULL DEFAULT 0"]
        if spec.parent_types:
            columns += ["parent_type TEXT NOT NULL", "parent_key TEXT NOT NULL"]
        for field in spec.fields:
            column = f"{field.key} {sql_type(field.type)}"
            if field.type is FieldType.CHECKBOX:
                column += " NOT NULL DEFAULT 0"
            columns.append(column)
        conn.execute(f"CREATE TABLE {spec.table} ({', '.join(columns)})")


def _create_indexes(conn: sqlite3.Connection) -> None:
    for spec in ACTOR_SPECS.values():
        conn.execute(f"CREATE UNIQUE INDEX {spec.table}_key ON {spec.table} (erp_key)")
        conn.execute(f"CREATE INDEX {spec.table}_changes "
                     f"ON {spec.table} (last_modified, erp_key)")
    conn.execute("CREATE INDEX person_parent ON person (parent_key)")


def load_extra_fields(conn: sqlite3.Connection, actor_type: str) -> list[FieldInfo]:
    """Metadata of the extra (benchmark) fields of one actor type, in position order."""
    rows = conn.execute("SELECT key, label, description, type, max_length FROM extra_field "
                        "WHERE actor_type = ? ORDER BY position", (actor_type,)).fetchall()
    return [FieldInfo(key=k, label=label, description=desc, type=FieldType(t), max_length=m)
            for k, label, desc, t, m in rows]


def to_db(field_type: FieldType, value: Any) -> Any:
    """A typed field value as stored in SQLite (dates as ISO text, booleans as 0/1)."""
    if value is None:
        return None
    if field_type is FieldType.CHECKBOX:
        return 1 if value else 0
    if field_type is FieldType.DATE and isinstance(value, date):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if field_type is FieldType.DOUBLE:
        return float(value)
    return value


# ---- writing (used by the connector, by tests and by benchmarks) -----------------------------

def actor_spec(actor_type: str) -> ActorSpec:
    """The spec of an actor type; ValueError when the type does not exist."""
    try:
        return ACTOR_SPECS[actor_type]
    except KeyError:
        raise ValueError(msg("The sample ERP has no actor type {actor_type!r}.",
                             actor_type=actor_type)) from None


def write_actor(conn: sqlite3.Connection, actor_type: str, erp_key: str,
                db_values: Mapping[str, Any], last_modified: str, *,
                deleted: bool | None = None, parent: tuple[str, str] | None = None) -> bool:
    """Update one actor (standard columns and extra values, already in stored form).

    Returns False when no actor has this key. Runs inside the caller's transaction.
    """
    spec = actor_spec(actor_type)
    standard = spec.field_map
    sets = ["last_modified = ?"]
    params: list[Any] = [last_modified]
    extras: list[tuple[str, Any]] = []
    for key, value in db_values.items():
        if key in standard:
            sets.append(f"{key} = ?")
            params.append(value)
        else:
            extras.append((key, value))
    if deleted is not None:
        sets.append("deleted = ?")
        params.append(1 if deleted else 0)
    if parent is not None and spec.parent_types:
        sets += ["parent_type = ?", "parent_key = ?"]
        params += list(parent)
    params.append(erp_key)
    cur = conn.execute(f"UPDATE {spec.table} SET {', '.join(sets)} WHERE erp_key = ?", params)
    if cur.rowcount == 0:
        return False
    if extras:
        conn.executemany(
            "INSERT INTO extra_value (actor_type, erp_key, field_key, value) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (actor_type, erp_key, field_key) DO UPDATE SET value = excluded.value",
            [(actor_type, erp_key, k, v) for k, v in extras])
    return True


def insert_actor(conn: sqlite3.Connection, actor_type: str, db_values: Mapping[str, Any],
                 last_modified: str, *, parent: tuple[str, str] | None = None) -> str:
    """Insert a new actor (values in stored form), assigning its ERP key and ERP number.

    Returns the new ERP key. Runs inside the caller's transaction.
    """
    spec = actor_spec(actor_type)
    standard = spec.field_map
    (number,) = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) + 1 FROM {spec.table}").fetchone()
    erp_key = spec.erp_key(number)
    columns = ["erp_key", "last_modified", spec.number_field]
    params: list[Any] = [erp_key, last_modified, _number_text(spec, number)]
    if spec.parent_types:
        if parent is None:
            raise ValueError(msg("A {actor_type} needs a parent.", actor_type=actor_type))
        columns += ["parent_type", "parent_key"]
        params += list(parent)
    extras = []
    for key, value in db_values.items():
        if key in standard:
            if key != spec.number_field:
                columns.append(key)
                params.append(value)
        else:
            extras.append((actor_type, erp_key, key, value))
    marks = ", ".join("?" for _ in columns)
    conn.execute(f"INSERT INTO {spec.table} ({', '.join(columns)}) VALUES ({marks})", params)
    if extras:
        conn.executemany("INSERT INTO extra_value (actor_type, erp_key, field_key, value) "
                         "VALUES (?, ?, ?, ?)", extras)
    return erp_key


def _number_text(spec: ActorSpec, number: int) -> str:
    offsets = {"Customer": 10_000, "Supplier": 70_000, "Person": 0, "Project": 0}
    return spec.number_format.format(offsets[spec.key] + number)


def _field_types(conn: sqlite3.Connection, actor_type: str) -> dict[str, FieldType]:
    spec = actor_spec(actor_type)
    types = {f.key: f.type for f in spec.fields}
    types.update({f.key: f.type for f in load_extra_fields(conn, actor_type)})
    return types


def mark_deleted(path: str | Path, actor_type: str, keys: Iterable[str], *,
                 deleted: bool = True) -> list[str]:
    """Flag actors as deleted in the ERP, or with `deleted=False` restore them (each gets a new
    last_modified).

    Returns the new last_modified values in key order; unknown keys raise ValueError.
    """
    keys = list(keys)
    conn = open_erp(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            stamps = next_timestamps(conn, len(keys))
            for key, stamp in zip(keys, stamps, strict=True):
                if not write_actor(conn, actor_type, key, {}, stamp, deleted=deleted):
                    raise ValueError(msg("{actor_type} {key!r} does not exist.",
                                         actor_type=actor_type, key=key))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()
    return stamps


def touch_actors(path: str | Path, actor_type: str, keys: Iterable[str],
                 values: Mapping[str, Any] | None = None) -> list[str]:
    """Set `values` (typed; may be empty) on actors and give each a new last_modified.

    Returns the new last_modified values in key order. Unknown keys or fields raise ValueError.
    """
    keys = list(keys)
    values = dict(values or {})
    conn = open_erp(path)
    try:
        types = _field_types(conn, actor_type)
        unknown = sorted(set(values) - set(types))
        if unknown:
            raise ValueError(msg("{actor_type} has no field(s) {names}.",
                                 actor_type=actor_type, names=', '.join(unknown)))
        db_values = {k: to_db(types[k], v) for k, v in values.items()}
        conn.execute("BEGIN IMMEDIATE")
        try:
            stamps = next_timestamps(conn, len(keys))
            for key, stamp in zip(keys, stamps, strict=True):
                if not write_actor(conn, actor_type, key, db_values, stamp):
                    raise ValueError(msg("{actor_type} {key!r} does not exist.",
                                         actor_type=actor_type, key=key))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()
    return stamps


# ---- realistic data pools --------------------------------------------------------------------

_NORDIC_FIRST = (
    "Søren", "Åsa", "Björn", "Jörgen", "Märta", "Øystein", "Åke", "Sigrid", "Ingrid", "Lars",
    "Mette", "Kirsten", "Jens", "Anders", "Päivi", "Jukka", "Sanna", "Linnéa", "Göran", "Torbjørn",
    "Ragnhild", "Håkan", "Kåre", "Bodil", "Freja", "Astrid", "Elin", "Nils", "Oskar", "Liv",
    "Hanne", "Pål", "Siv", "Mikael", "Emilia", "Aino", "Väinö", "Frida", "Sølvi", "Jönsi",
)
_NORDIC_LAST = (
    "Østergaard", "Ångström", "Lindqvist", "Sjöberg", "Bergström", "Hansen", "Johansson",
    "Nyström", "Åberg", "Kähkönen", "Virtanen", "Mäkinen", "Dahl", "Løvland", "Sørensen",
    "Jørgensen", "Holmström", "Engström", "Lund", "Strand", "Haugen", "Bakke", "Nieminen",
    "Söderberg", "Fjeld", "Mølgaard", "Kristiansen", "Lönnqvist", "Häkkinen", "Björklund",
)
_DUTCH_FIRST = (
    "Daan", "Sanne", "Bram", "Eva", "Joost", "Anouk", "Thijs", "Lotte", "Sem", "Fleur", "Ruud",
    "Marieke", "Hélène", "Anaïs", "Chloé", "Zoë", "IJsbrand", "Rutger", "Femke", "Wouter",
    "Renée", "Geert", "Maaike", "Stijn", "Inge", "Noël", "Ilse", "Jeroen", "Floor", "Sjoerd",
)
_DUTCH_LAST = (
    ("", "Jansen"), ("de", "Vries"), ("van den", "Berg"), ("", "Bakker"), ("", "Visser"),
    ("", "Smit"), ("", "Meijer"), ("de", "Boer"), ("", "Mulder"), ("de", "Groot"), ("", "Bos"),
    ("", "Vos"), ("", "Hendriks"), ("van", "Dijk"), ("", "Dekker"), ("", "Brouwer"),
    ("van", "IJzendoorn"), ("", "Schrijver"), ("", "Wijnands"), ("de", "Bruijn"),
    ("", "Kuijpers"), ("van 't", "Hek"), ("van der", "Heijden"), ("", "Pijl"),
    ("", "Rijkaard"), ("ter", "Haar"), ("", "Ouédraogo"), ("", "Çelik"),
)

_CITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "NL": (("Amsterdam", "1011"), ("Rotterdam", "3011"), ("Den Haag", "2511"),
           ("Utrecht", "3511"), ("Eindhoven", "5611"), ("Groningen", "9711"), ("Tilburg", "5038"),
           ("Breda", "4811"), ("Nijmegen", "6511"), ("IJmuiden", "1971"),
           ("'s-Hertogenbosch", "5211"), ("Zwolle", "8011"), ("Leeuwarden", "8911"),
           ("Maastricht", "6211"), ("Almere", "1315")),
    "BE": (("Antwerpen", "2000"), ("Gent", "9000"), ("Brussel", "1000"), ("Leuven", "3000"),
           ("Brugge", "8000"), ("Liège", "4000")),
    "SE": (("Stockholm", "111 20"), ("Göteborg", "411 01"), ("Malmö", "211 20"),
           ("Uppsala", "753 20"), ("Västerås", "721 30"), ("Örebro", "702 10"),
           ("Linköping", "581 83"), ("Umeå", "903 25"), ("Jönköping", "553 20")),
    "NO": (("Oslo", "0150"), ("Bergen", "5003"), ("Trondheim", "7010"), ("Stavanger", "4006"),
           ("Tromsø", "9008"), ("Ålesund", "6002"), ("Bodø", "8006")),
    "DK": (("København", "1050"), ("Aarhus", "8000"), ("Odense", "5000"), ("Aalborg", "9000"),
           ("Esbjerg", "6700"), ("Køge", "4600"), ("Helsingør", "3000")),
    "FI": (("Helsinki", "00100"), ("Espoo", "02100"), ("Tampere", "33100"), ("Turku", "20100"),
           ("Oulu", "90100"), ("Jyväskylä", "40100")),
    "DE": (("Hamburg", "20095"), ("Berlin", "10115"), ("Düsseldorf", "40213"),
           ("Köln", "50667"), ("München", "80331")),
}
_STREETS: dict[str, tuple[str, ...]] = {
    "NL": ("Kerkstraat", "Dorpsstraat", "Stationsweg", "Molenweg", "Prinsengracht",
           "Keizersgracht", "Oranjelaan", "Wilhelminastraat", "Havenkade", "Rijksstraatweg",
           "Zuiderdijk", "Bijlmerdreef"),
    "BE": ("Meir", "Veldstraat", "Rue Neuve", "Bondgenotenlaan", "Steenstraat"),
    "SE": ("Storgatan", "Drottninggatan", "Kungsgatan", "Sveavägen", "Järnvägsgatan",
           "Åsgatan", "Södra vägen"),
    "NO": ("Storgata", "Kirkegata", "Strandveien", "Øvre Slottsgate", "Bryggen",
           "Kongens gate"),
    "DK": ("Vestergade", "Østergade", "Nørregade", "Strøget", "Havnegade", "Søndergade"),
    "FI": ("Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu", "Kauppakatu", "Itäinen katu"),
    "DE": ("Hauptstraße", "Bahnhofstraße", "Königsallee", "Schillerstraße"),
}
# country -> (phone prefix, currency, orgno format, vat format); formats take one int.
_COUNTRY_FORMATS: dict[str, tuple[str, str, str, str]] = {
    "NL": ("+31 {} ", "EUR", "%08d", "NL%09dB01"),
    "BE": ("+32 {} ", "EUR", "0%09d", "BE0%09d"),
    "SE": ("+46 {} ", "SEK", "556%07d", "SE556%07d01"),
    "NO": ("+47 ", "NOK", "9%08d", "NO9%08dMVA"),
    "DK": ("+45 ", "DKK", "%08d", "DK%08d"),
    "FI": ("+358 {} ", "EUR", "%08d", "FI%08d"),
    "DE": ("+49 {} ", "EUR", "HRB %06d", "DE%09d"),
}
_AREA_CODES = {"NL": ("20", "10", "70", "30", "40", "50"), "BE": ("3", "9", "2", "16"),
               "SE": ("8", "31", "40", "18"), "FI": ("9", "3", "2"), "DE": ("40", "30", "221")}
_CALLING_CODES = {"NL": "+31", "BE": "+32", "SE": "+46", "NO": "+47", "DK": "+45",
                  "FI": "+358", "DE": "+49"}
_TLD = {"NL": "nl", "BE": "be", "SE": "se", "NO": "no", "DK": "dk", "FI": "fi", "DE": "de"}
_COUNTRY_WEIGHTS = {
    "nordic": (("SE", 35), ("NO", 25), ("DK", 20), ("FI", 15), ("DE", 5)),
    "dutch": (("NL", 75), ("BE", 20), ("DE", 5)),
}
_NORDIC_WORDS = ("Fjäll", "Norr", "Vinter", "Björk", "Sjö", "Nord", "Havs", "Skog", "Granit",
                 "Stål", "Fjord", "Ålands", "Østlands", "Söder", "Lyng", "Elv", "Ek", "Tind")
_NORDIC_TRADES = ("bygg", "transport", "data", "el", "mekaniska", "konsult", "logistik",
                  "handel", "maskin", "fisk", "energi", "trä", "design", "vvs")
_NORDIC_LEGAL = {"SE": "AB", "NO": "AS", "DK": "A/S", "FI": "Oy", "DE": "GmbH"}
_DUTCH_TRADES = ("Bouwbedrijf", "Installatietechniek", "Transport", "Bakkerij", "Adviesgroep",
                 "Metaalbewerking", "Hoveniersbedrijf", "Schildersbedrijf", "Automatisering",
                 "Kaashandel", "Drukkerij", "Zorggroep", "Techniek", "Logistiek")
_DUTCH_PLACES = ("IJsselmeer", "Zuiderzee", "Veluwe", "De Kempen", "Waddenzee", "Maasland",
                 "Kennemerland", "'t Gooi", "Achterhoek", "Brabant", "Twente", "Zeeland")
_DUTCH_LEGAL = {"NL": "B.V.", "BE": "BV", "DE": "GmbH"}
_POSITIONS = ("Managing director", "CFO", "Purchasing manager", "Sales manager", "Accountant",
              "Project manager", "IT manager", "Office manager", "Warehouse lead", "Engineer",
              "HR advisor", "Controller")
_TITLES: tuple[str | None, ...] = (None, None, None, None, None, "Dr.", "ir.", "drs.", "mr.",
                                   "ing.", "Prof.")
_NOTES: tuple[str | None, ...] = (
    None, None, None, "Prefers invoices by email.", "Call before delivery.",
    "Key account – quarterly review.", "Ships via the north gate; ask for Søren.",
    "Pays late in summer; reminder after 7 days.", "Uses purchase order numbers on every order.",
    "Café on site – deliveries before 10:00.",
)
_PROJECT_WORDS = ("Renovation", "Migration", "Rollout", "Expansion", "Audit", "Upgrade",
                  "Pilot", "Integration", "Redesign", "Relocation")
_PROJECT_SUBJECTS = ("ERP", "warehouse", "head office", "webshop", "solar roof", "fleet",
                     "data centre", "payroll", "CRM", "packaging line", "canteen", "harbour crane")


def _ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: 'Østergaard & Co' -> 'ostergaardco'."""
    special = {"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "ß": "ss", "ı": "i"}
    text = "".join(special.get(c, c) for c in text)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


def _weighted(rng: random.Random, weights: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weights], [w for _, w in weights])[0]


def _company_pool(rng: random.Random, flavour: str, size: int) -> list[tuple[str, ...]]:
    """(name, email, url, domain, country) entries."""
    pool: list[tuple[str, ...]] = []
    seen: set[str] = set()
    weights = _COUNTRY_WEIGHTS[flavour]
    while len(pool) < size:
        country = _weighted(rng, weights)
        if flavour == "nordic":
            legal = _NORDIC_LEGAL[country]
            shape = rng.randrange(3)
            if shape == 0:
                base = f"{rng.choice(_NORDIC_WORDS)}{rng.choice(_NORDIC_TRADES)}"
            elif shape == 1:
                base = f"{rng.choice(_NORDIC_LAST)} {rng.choice(_NORDIC_TRADES).capitalize()}"
            else:
                base = f"{rng.choice(_NORDIC_LAST)} & Söner"
        else:
            legal = _DUTCH_LEGAL[country]
            mid, last = rng.choice(_DUTCH_LAST)
            surname = f"{mid[:1].upper()}{mid[1:]} {last}".strip() if mid else last
            shape = rng.randrange(3)
            if shape == 0:
                base = f"{rng.choice(_DUTCH_TRADES)} {surname}"
            elif shape == 1:
                base = f"{rng.choice(_DUTCH_PLACES)} {rng.choice(_DUTCH_TRADES)}"
            else:
                base = f"{surname} & Zonen"
        name = f"{base} {legal}"
        if name in seen:
            name = f"{base} {rng.choice(_CITIES[country])[0]} {legal}"
            if name in seen:
                continue
        seen.add(name)
        domain = f"{_ascii_slug(base)}.{_TLD[country]}"
        pool.append((name, f"info@{domain}", f"https://www.{domain}", domain, country))
    return pool


def _address_pool(rng: random.Random, country: str, size: int) -> list[tuple[Any, ...]]:
    """(postal_address1, postal_zip, postal_city, country, currency) plus number formats."""
    out = []
    phone_fmt, currency, org_fmt, vat_fmt = _COUNTRY_FORMATS[country]
    for _ in range(size):
        city, zip_base = rng.choice(_CITIES[country])
        street = rng.choice(_STREETS[country])
        number = rng.randrange(1, 240)
        if country == "NL":
            zip_code = f"{zip_base[:2]}{rng.randrange(10, 99)} {chr(65 + rng.randrange(26))}" \
                       f"{chr(65 + rng.randrange(26))}"
            address = f"{street} {number}"
        elif country in ("SE", "DK", "NO", "FI", "DE", "BE"):
            zip_code = zip_base
            address = f"{street} {number}"
        else:  # pragma: no cover - every country has a branch above
            zip_code, address = zip_base, street
        area = rng.choice(_AREA_CODES.get(country, ("",)))
        phone_prefix = phone_fmt.format(area)
        out.append((address, zip_code, city, country,
                    "USD" if rng.random() < 0.04 else currency, phone_prefix, org_fmt, vat_fmt))
    return out


def _random_date(rng: random.Random, start: date, end: date) -> str:
    return (start + timedelta(days=rng.randrange((end - start).days))).isoformat()


def _commercial_pool(rng: random.Random, groups: Sequence[str], size: int
                     ) -> list[tuple[Any, ...]]:
    """(category, payment_terms, credit_limit, blocked, created, note)."""
    terms = [k for k, _ in LISTS["payment_terms"]]
    out = []
    for _ in range(size):
        out.append((
            rng.choice(groups),
            rng.choices(terms, (5, 25, 55, 15))[0],
            float(rng.choice((0, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000))),
            1 if rng.random() < 0.03 else 0,
            _random_date(rng, date(2008, 1, 1), date(2025, 8, 1)),
            rng.choice(_NOTES),
        ))
    return out


def _person_name_pool(rng: random.Random, flavour: str) -> list[tuple[Any, ...]]:
    """(firstname, middlename, lastname, email local part) for every name combination."""
    out: list[tuple[Any, ...]] = []
    if flavour == "nordic":
        for first in _NORDIC_FIRST:
            for last in _NORDIC_LAST:
                out.append((first, None, last, f"{_ascii_slug(first)}.{_ascii_slug(last)}"))
    else:
        for first in _DUTCH_FIRST:
            for mid, last in _DUTCH_LAST:
                local = f"{_ascii_slug(first)}.{_ascii_slug(mid + last)}"
                out.append((first, mid or None, last, local))
    rng.shuffle(out)
    return out


@dataclass(frozen=True)
class SampleErpSummary:
    """What `generate_sample_erp` wrote."""

    path: Path
    customers: int
    suppliers: int
    persons: int
    projects: int
    extra_fields: int
    extra_fields_actor: str
    seconds: float


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})")


def generate_sample_erp(
    path: str | Path, *, customers: int = 200, suppliers: int = 40,
    persons_per_customer: float = 2.0, persons_per_supplier: float = 1.0, projects: int = 60,
    extra_fields: int = 0, extra_fields_actor: str = "Customer", seed: int = 1,
    flavour: str = "nordic", api_key: str = "demo-key", company_name: str | None = None,
    overwrite: bool = False,
) -> SampleErpSummary:
    """Create a sample ERP file with realistic, seed-deterministic data.

    Refuses (ValueError) to overwrite an existing file unless `overwrite=True`. Persons are
    spread evenly over customers and suppliers (`persons_per_*` may be fractions, 0 = none).
    `extra_fields` adds that many fields `extra_0001`... of mixed types to `extra_fields_actor`.
    """
    started = time.perf_counter()
    file = Path(path)
    if flavour not in _COUNTRY_WEIGHTS:
        raise ValueError(msg("Unknown flavour {flavour!r}; use 'nordic' or 'dutch'.",
                             flavour=flavour))
    if extra_fields_actor not in ACTOR_SPECS:
        raise ValueError(msg("Unknown actor type {extra_fields_actor!r} for extra fields; use "
                             "one of {names}.",
                             extra_fields_actor=extra_fields_actor, names=', '.join(ACTOR_SPECS)))
    if min(customers, suppliers, projects, extra_fields) < 0 \
            or min(persons_per_customer, persons_per_supplier) < 0:
        raise ValueError(msg("Counts of the sample ERP cannot be negative."))
    if file.exists():
        if not overwrite:
            raise ValueError(msg("{file} already exists; choose another path or pass "
                                 "overwrite=True to replace it.",
                                 file=file))
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{file}{suffix}").unlink(missing_ok=True)
    file.parent.mkdir(parents=True, exist_ok=True)
    if company_name is None:
        company_name = "Nordlys Handel AB" if flavour == "nordic" else "Polderwerk B.V."
    n_persons_c = round(customers * persons_per_customer)
    n_persons_s = round(suppliers * persons_per_supplier)
    total = customers + suppliers + n_persons_c + n_persons_s + projects
    step = max(_MIN_STEP_US, _GENERATION_SPAN_US // max(total, 1))
    stamps = _timestamp_strings(_to_us(_GENERATION_START), step, total)

    rng = random.Random(seed)
    # Pools are as large as needed, up to co-prime sizes that are cycled for big files.
    n_companies = customers + suppliers
    companies = _company_pool(rng, flavour, max(1, min(5003, n_companies)))
    countries = sorted({c for c, _ in _COUNTRY_WEIGHTS[flavour]})
    addresses = {c: _address_pool(rng, c, max(1, min(1009, n_companies))) for c in countries}
    cust_groups = [k for k, _ in LISTS["customer_group"]]
    supp_groups = [k for k, _ in LISTS["supplier_group"]]
    cust_commercial = _commercial_pool(rng, cust_groups, max(1, min(2003, customers)))
    # Suppliers have no credit limit: drop that column of the profile.
    supp_commercial = [(g, t, b, c, n)
                       for g, t, _l, b, c, n in _commercial_pool(rng, supp_groups,
                                                       max(1, min(211, suppliers)))]
    people = _person_name_pool(rng, flavour)
    n_comp, n_people = len(companies), len(people)
    # A customer/supplier row combines an identity (company + an address in its country) with
    # a commercial profile; cycling pools of co-prime sizes keeps rows varied and cheap.
    identities = []
    for j, (name, email, url, _domain, country) in enumerate(companies):
        address, zip_code, city, _c, currency, phone_prefix, org_fmt, vat_fmt = \
            addresses[country][(j * 7) % len(addresses[country])]
        identities.append((org_fmt, vat_fmt, phone_prefix,
                           (name, email, url, address, zip_code, city, country, currency)))
    comp_contact = [(d, _CALLING_CODES[c]) for _n, _e, _u, d, c in companies]

    conn = sqlite3.connect(file, isolation_level=None)
    try:
        conn.execute("PRAGMA page_size = 8192")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("PRAGMA cache_size = -262144")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("BEGIN")
        _create_schema(conn)
        conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?)", [
            ("schema", SCHEMA_ID), ("api_key", api_key), ("company_name", company_name),
            ("flavour", flavour), ("seed", str(seed)),
        ])
        conn.executemany(
            "INSERT INTO list_item (list_name, key, text, position) VALUES (?, ?, ?, ?)",
            [(name, key, text, i) for name, items in LISTS.items()
             for i, (key, text) in enumerate(items)])

        company_cols = ("erp_key", "last_modified", "{no}", "orgno", "vatno", "phone",
                        "name", "email", "url",
                        "postal_address1", "postal_zip", "postal_city", "country", "currency",
                        "category", "payment_terms", "credit_limit", "blocked", "created", "note")

        def company_rows(spec: ActorSpec, count: int, offset: int, commercial: list[Any],
                         bank: bool) -> Iterator[tuple[Any, ...]]:
            prefix = spec.key_prefix
            base_no = 10_000 if spec.key == "Customer" else 70_000
            for i, stamp, (org_fmt, vat_fmt, phone_prefix, ident), profile in zip(
                    range(1, count + 1), stamps, islice(cycle(identities), offset, None),
                    islice(cycle(commercial), offset, None), strict=False):
                num = (i * 7_919 + 1_234_567 + offset) % 10_000_000
                head = (f"{prefix}{i:07d}", stamp, str(base_no + i), org_fmt % num,
                        vat_fmt % num, f"{phone_prefix}{num:07d}")
                row = head + ident + profile
                if bank:
                    row += (f"{ident[6]}{(num * 31) % 100:02d}BANK0{num:09d}",)
                yield row

        cols = [c.format(no="customer_no") for c in company_cols]
        conn.executemany(_insert_sql("customer", cols),
                         company_rows(CUSTOMER, customers, 0, cust_commercial, False))
        cols = [c.format(no="supplier_no") for c in company_cols
                if c != "credit_limit"] + ["bank_account"]
        conn.executemany(_insert_sql("supplier", cols),
                         company_rows(SUPPLIER, suppliers, customers, supp_commercial, True))

        person_extra = [(rng.choice(_TITLES), rng.choice(_POSITIONS),
                         _random_date(rng, date(1955, 1, 1), date(2003, 1, 1)))
                        for _ in range(max(1, min(997, n_persons_c + n_persons_s)))]

        n_extra = len(person_extra)

        def person_rows() -> Iterator[tuple[Any, ...]]:
            number = 0
            for parent_spec, parents, count, offset in (
                    (CUSTOMER, customers, n_persons_c, 0), (SUPPLIER, suppliers, n_persons_s,
                                                            customers)):
                for j in range(count):
                    parent = j * parents // count
                    number += 1
                    first, middle, last, local = people[(number * 17) % n_people]
                    num = (number * 7_919 + 7_654_321) % 10_000_000
                    domain, calling = comp_contact[(parent + offset) % n_comp]
                    yield (f"P{number:07d}", next(stamps), parent_spec.key,
                           parent_spec.erp_key(parent + 1), str(number), first, middle, last,
                           f"{local}@{domain}", f"{calling} {num:07d}",
                           f"{calling} 6{(num * 3) % 10_000_000:07d}") \
                        + person_extra[number % n_extra]

        conn.executemany(_insert_sql("person", (
            "erp_key", "last_modified", "parent_type", "parent_key", "person_no", "firstname",
            "middlename", "lastname", "email", "phone", "mobile", "title", "position",
            "birthdate")), person_rows())

        statuses = [k for k, _ in LISTS["project_status"]]
        project_pool = []
        for _ in range(max(1, min(499, projects))):
            start = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
            status = rng.choice(statuses)
            project_pool.append((
                f"{rng.choice(_PROJECT_SUBJECTS).capitalize()} {rng.choice(_PROJECT_WORDS)}",
                status, start.isoformat(),
                (start + timedelta(days=rng.randrange(30, 400))).isoformat(),
                rng.choice((None, "Phase one of the plan.", "Joint project with the customer; "
                            "weekly status on Mondays.", "Budget approved by the board.")),
                float(rng.randrange(5, 500) * 1_000)))

        def project_rows() -> Iterator[tuple[Any, ...]]:
            for i in range(projects):
                city = rng.choice(_CITIES[countries[i % len(countries)]])[0]
                name, *rest = project_pool[(i * 7) % len(project_pool)]
                yield (f"J{i + 1:07d}", next(stamps), f"PRJ-{i + 1:05d}", f"{name} {city}",
                       *rest, f"https://projects.example.com/{i + 1}")

        conn.executemany(_insert_sql("project", (
            "erp_key", "last_modified", "project_no", "name", "status", "startdate", "enddate",
            "text", "budget", "url")), project_rows())

        if extra_fields:
            _generate_extra_fields(conn, rng, extra_fields_actor, extra_fields, {
                "Customer": customers, "Supplier": suppliers,
                "Person": n_persons_c + n_persons_s, "Project": projects}[extra_fields_actor])

        last = _last_stamp(step, total) if total else format_timestamp(_GENERATION_START)
        conn.execute("INSERT INTO clock (id, last_modified) VALUES (1, ?)", (last,))
        _create_indexes(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.close()
        for suffix in ("", "-journal"):
            Path(f"{file}{suffix}").unlink(missing_ok=True)
        raise
    conn.execute("PRAGMA locking_mode = NORMAL")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return SampleErpSummary(
        path=file, customers=customers, suppliers=suppliers,
        persons=n_persons_c + n_persons_s, projects=projects, extra_fields=extra_fields,
        extra_fields_actor=extra_fields_actor, seconds=time.perf_counter() - started)


def _last_stamp(step: int, total: int) -> str:
    return next(_timestamp_strings(_to_us(_GENERATION_START) + (total - 1) * step, step, 1))


_EXTRA_TYPES = (FieldType.TEXT, FieldType.INTEGER, FieldType.DOUBLE, FieldType.CHECKBOX,
                FieldType.DATE)


def _generate_extra_fields(conn: sqlite3.Connection, rng: random.Random, actor_type: str,
                           count: int, actors: int) -> None:
    spec = ACTOR_SPECS[actor_type]
    fields = []
    for i in range(1, count + 1):
        ftype = _EXTRA_TYPES[(i - 1) % len(_EXTRA_TYPES)]
        fields.append((actor_type, f"extra_{i:04d}", i, f"Extra field {i}",
                       f"Benchmark field number {i}, of type {ftype.value}.", ftype.value,
                       40 if ftype is FieldType.TEXT else 0))
    conn.executemany("INSERT INTO extra_field (actor_type, key, position, label, description, "
                     "type, max_length) VALUES (?, ?, ?, ?, ?, ?, ?)", fields)

    def values() -> Iterator[tuple[Any, ...]]:
        for n in range(1, min(actors, EXTRA_VALUE_ACTORS) + 1):
            key = spec.erp_key(n)
            for _a, fkey, i, *_rest, ftype_text, _m in fields:
                ftype = FieldType(ftype_text)
                value: Any
                if ftype is FieldType.TEXT:
                    value = f"Wert {n}.{i} – ø"
                elif ftype is FieldType.INTEGER:
                    value = n * 1000 + i
                elif ftype is FieldType.DOUBLE:
                    value = round(n + i / 1000, 3)
                elif ftype is FieldType.CHECKBOX:
                    value = (n + i) % 2
                else:
                    value = _random_date(rng, date(2020, 1, 1), date(2026, 1, 1))
                yield (actor_type, key, fkey, value)

    conn.executemany("INSERT INTO extra_value (actor_type, erp_key, field_key, value) "
                     "VALUES (?, ?, ?, ?)", values())
