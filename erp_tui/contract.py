"""The connector contract: result types, field metadata, actor pages, the protocol.

Every connector call returns a `Result` (or a subclass carrying data). Connectors report problems
through results; callers never rely on exceptions crossing the contract.

Names a user reads (actor types, fields, list items, connection settings) come with an
optional `labels` (language -> text) next to the connector's own `label`; `label_for` picks
the one for a language and falls back to `label`. A connector that gives no labels keeps
working: its own texts are shown in every language.

The unit of bulk data is an `ActorPage`: the field keys once, then one row of values per actor.
In-process connectors build pages with `ActorPage.trusted(...)` (no per-row validation); pages
that cross a process boundary are validated column by column with `ActorPage.validated(...)`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidatorFunctionWrapHandler, field_validator

from erp_tui.i18n import Msg, msg

Value = str | int | float | bool | date | datetime | None


# The actor types the CRM syncs, in the order a run syncs them (a record's parent company before
# the record), and the actor types ERPs have that the CRM never syncs.
SYNCED_ACTOR_TYPES: tuple[str, ...] = ("Customer", "Supplier", "Partner", "Project", "Person")
UNSYNCED_ACTOR_TYPES: frozenset[str] = frozenset({"Employee", "Sale"})


class ResultState(enum.StrEnum):
    """Outcome of a connector call."""

    OK = "ok"
    OK_WITH_INFO = "ok_with_info"
    WARNING = "warning"
    ERROR = "error"


class FieldType(enum.StrEnum):
    """Types a field (config field or actor field) can have."""

    CHECKBOX = "checkbox"
    TEXT = "text"
    PASSWORD = "password"
    INTEGER = "integer"
    DOUBLE = "double"
    LIST = "list"
    DATE = "date"
    DATETIME = "datetime"
    LABEL = "label"


class FieldAccess(enum.StrEnum):
    """Whether a field may be written, must be written, or is read-only."""

    NORMAL = "normal"
    MANDATORY = "mandatory"
    READ_ONLY = "read_only"


class Result(BaseModel):
    """What every connector call returns."""

    model_config = ConfigDict(frozen=True)

    ok: bool = True
    state: ResultState = ResultState.OK
    user_message: str = ""
    tech_message: str = ""
    error_code: str = ""

    @field_validator("user_message", "tech_message", mode="wrap")
    @classmethod
    def _keep_messages(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """A message by code (`Msg`) stays one, so it can be shown in the user's language."""
        return value if isinstance(value, Msg) else handler(value)

    @classmethod
    def failure(cls, user_message: str, *, tech_message: str = "", error_code: str = "error",
                **data: Any) -> Any:
        """A failed result of this class, with one clear sentence for the user."""
        return cls(ok=False, state=ResultState.ERROR, user_message=user_message,
                   tech_message=tech_message or user_message, error_code=error_code, **data)


class FieldInfo(BaseModel):
    """Metadata of a config field or an actor field."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    description: str = ""
    type: FieldType = FieldType.TEXT
    list_name: str = ""
    default: str = ""
    max_length: int = 0
    access: FieldAccess = FieldAccess.NORMAL
    # Choices of a list-type *config* field (key -> text); actor lists come from list_items().
    options: dict[str, str] = Field(default_factory=dict)
    # The label and description per language ("nl" -> text); `label_for` falls back to `label`.
    labels: dict[str, str] = Field(default_factory=dict)
    descriptions: dict[str, str] = Field(default_factory=dict)
    # Texts of `options` per language ("nl" -> key -> text).
    option_labels: dict[str, dict[str, str]] = Field(default_factory=dict)

    @property
    def mandatory(self) -> bool:
        return self.access is FieldAccess.MANDATORY

    @property
    def read_only(self) -> bool:
        return self.access is FieldAccess.READ_ONLY


class ActorTypeInfo(BaseModel):
    """An actor type the ERP supports."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    # Actor types a record of this type may sit under (Person under Customer/Supplier).
    parent_types: tuple[str, ...] = ()
    # The label per language ("nl" -> text); `label_for` falls back to `label`.
    labels: dict[str, str] = Field(default_factory=dict)


class Actor(BaseModel):
    """One ERP record, used for single-record calls (create, save)."""

    actor_type: str
    erp_key: str = ""
    last_modified: str = ""
    parent_actor_type: str = ""
    parent_erp_key: str = ""
    deleted: bool = False
    values: dict[str, Value] = Field(default_factory=dict)


class Cursor(BaseModel):
    """Compound incremental cursor: (last_modified, erp_key), compared as a tuple."""

    model_config = ConfigDict(frozen=True)

    last_modified: str = ""
    erp_key: str = ""

    def as_tuple(self) -> tuple[str, str]:
        return (self.last_modified, self.erp_key)


class ActorPage(BaseModel):
    """A page of actors: field keys once, then parallel columns, one entry per actor.

    `rows[i]` holds the values of actor i in the order of `field_keys`. `last_modified` strings
    are ISO-8601 UTC with microseconds (fixed width, so they sort as text) and are ordered
    globally across all actors of a connection.
    """

    actor_type: str
    field_keys: tuple[str, ...]
    erp_keys: list[str]
    last_modified: list[str]
    rows: list[tuple[Value, ...]]
    parent_types: list[str] = Field(default_factory=list)
    parent_keys: list[str] = Field(default_factory=list)
    deleted: list[bool] = Field(default_factory=list)
    # Cursor to pass to the next call; None when there is nothing more.
    next_cursor: Cursor | None = None
    # How many more actors the calls after this one will return, when the connector can tell
    # cheaply (None when it cannot); the runner shows it as progress.
    remaining: int | None = Field(default=None, ge=0)

    MAX_ROWS: ClassVar[int] = 100_000

    @classmethod
    def trusted(cls, **columns: Any) -> ActorPage:
        """Build a page from an in-process connector without per-row validation."""
        columns.setdefault("parent_types", [])
        columns.setdefault("parent_keys", [])
        columns.setdefault("deleted", [])
        columns.setdefault("next_cursor", None)
        columns.setdefault("remaining", None)
        return cls.model_construct(**columns)

    @classmethod
    def validated(cls, data: dict[str, Any]) -> ActorPage:
        """Validate a page received from outside the process (column shapes and lengths)."""
        page = cls.model_validate(data)
        width = len(page.field_keys)
        count = len(page.erp_keys)
        if len(page.last_modified) != count or len(page.rows) != count:
            raise ValueError(msg("page columns have different lengths"))
        for name in ("parent_types", "parent_keys", "deleted"):
            column = getattr(page, name)
            if column and len(column) != count:
                raise ValueError(msg("page column {name} has the wrong length", name=name))
        if any(len(row) != width for row in page.rows):
            raise ValueError(msg("a page row does not match the field keys"))
        return page

    @field_validator("rows", mode="before")
    @classmethod
    def _rows_as_tuples(cls, rows: Any) -> Any:
        return [tuple(row) for row in rows] if isinstance(rows, list) else rows

    def __len__(self) -> int:
        return len(self.erp_keys)

    def actors(self) -> list[Actor]:
        """The page as individual actors (for small pages: search results, single gets)."""
        out = []
        for i, key in enumerate(self.erp_keys):
            out.append(Actor(
                actor_type=self.actor_type,
                erp_key=key,
                last_modified=self.last_modified[i],
                parent_actor_type=self.parent_types[i] if self.parent_types else "",
                parent_erp_key=self.parent_keys[i] if self.parent_keys else "",
                deleted=self.deleted[i] if self.deleted else False,
                values=dict(zip(self.field_keys, self.rows[i], strict=True)),
            ))
        return out


class SearchOperator(enum.StrEnum):
    """Operators of an advanced search restriction."""

    EQUALS = "="
    BEGINS = "begins"
    CONTAINS = "contains"
    ENDS = "ends"
    NOT_BEGINS = "notbegins"
    NOT_CONTAINS = "notcontains"
    NOT_ENDS = "notends"
    IS_NOT = "isnot"
    BETWEEN = "between"
    GREATER = ">"
    LESS = "<"
    GREATER_EQUAL = ">="
    LESS_EQUAL = "<="
    NOT_EQUAL = "!="
    ONE_OF = "oneof"
    NOT_ONE_OF = "notoneof"
    BEFORE = "before"
    AFTER = "after"
    BEFORE_OR_EQUAL = "beforeOrEqual"
    AFTER_OR_EQUAL = "afterOrEqual"


class Restriction(BaseModel):
    """One criterion of an advanced search."""

    field_key: str
    operator: SearchOperator
    values: list[Value] = Field(default_factory=list)


# ---- results carrying data -------------------------------------------------------------------

class ConfigFieldsResult(Result):
    fields: list[FieldInfo] = Field(default_factory=list)


class ActorTypesResult(Result):
    actor_types: list[ActorTypeInfo] = Field(default_factory=list)


class FieldsResult(Result):
    fields: list[FieldInfo] = Field(default_factory=list)


class SearchableFieldsResult(Result):
    field_keys: list[str] = Field(default_factory=list)


class PageResult(Result):
    page: ActorPage | None = None


class ActorResult(Result):
    actor: Actor | None = None


class ActorsResult(Result):
    actors: list[Actor] = Field(default_factory=list)


class ListItemsResult(Result):
    items: dict[str, str] = Field(default_factory=dict)
    # Texts of the items per language ("nl" -> key -> text); `items` is the fallback.
    labels: dict[str, dict[str, str]] = Field(default_factory=dict)

    def items_in(self, language: str) -> dict[str, str]:
        """Key -> text in `language`, each item falling back to its text in `items`."""
        return texts_in(self.items, self.labels, language)


# ---- names in the user's language ------------------------------------------------------------

class Labelled(Protocol):
    """Anything with a `label` and optional `labels` per language (fields, actor types,
    connector classes)."""

    @property
    def label(self) -> str: ...


def label_for(obj: Labelled, language: str) -> str:
    """The label of `obj` in `language`: its `labels[language]` when given, else `label`."""
    labels: Mapping[str, str] = getattr(obj, "labels", None) or {}
    return labels.get(language) or obj.label


def texts_in(texts: Mapping[str, str], by_language: Mapping[str, Mapping[str, str]],
             language: str) -> dict[str, str]:
    """Key -> text with each text in `language` where `by_language` has it."""
    chosen = by_language.get(language, {})
    return {key: chosen.get(key) or text for key, text in texts.items()}


def field_in(field: FieldInfo, language: str) -> FieldInfo:
    """`field` with its label, description and option texts in `language`."""
    if not (field.labels or field.descriptions or field.option_labels):
        return field
    return field.model_copy(update={
        "label": label_for(field, language),
        "description": field.descriptions.get(language) or field.description,
        "options": texts_in(field.options, field.option_labels, language)})


@runtime_checkable
class Connector(Protocol):
    """What every connector implements (in-process, plugin, or HTTP client)."""

    kind: ClassVar[str]
    label: ClassVar[str]
    # Optional: the connector's label per language ("nl" -> text), read with `label_for`.

    def config_fields(self) -> ConfigFieldsResult:
        """The fields needed to define a connection."""

    def test_config(self, values: dict[str, Any]) -> Result:
        """Is this configuration usable? Called before saving."""

    def create_connection(self, connection_id: int, values: dict[str, Any]) -> Result:
        """Bind a saved connection id to its config values (called before any other call)."""

    def delete_connection(self, connection_id: int) -> Result:
        """Forget a connection id."""

    def test_connection(self, connection_id: int) -> Result:
        """Is the saved connection up and correctly configured?"""

    def actor_types(self, connection_id: int) -> ActorTypesResult:
        """The actor types this ERP supports."""

    def actor_fields(self, connection_id: int, actor_type: str) -> FieldsResult:
        """Field metadata of one actor type."""

    def get_actors(self, connection_id: int, actor_type: str, keys: Sequence[str],
                   field_keys: Sequence[str]) -> PageResult:
        """Actors by ERP key (unknown keys are left out)."""

    def actors_changed_since(self, connection_id: int, actor_type: str, cursor: Cursor,
                             field_keys: Sequence[str], page_size: int = 5000) -> PageResult:
        """Actors with (last_modified, erp_key) > cursor, in that order, one page at a time."""

    def search_actors(self, connection_id: int, actor_type: str, text: str,
                      field_keys: Sequence[str]) -> PageResult:
        """Simple text search."""

    def search_actors_advanced(self, connection_id: int, actor_type: str,
                               restrictions: Sequence[Restriction],
                               field_keys: Sequence[str]) -> PageResult:
        """Criteria search; all restrictions must hold."""

    def searchable_fields(self, connection_id: int, actor_type: str) -> SearchableFieldsResult:
        """Field keys usable as criteria."""

    def create_actor(self, connection_id: int, actor: Actor) -> ActorResult:
        """Create an actor; the result carries its ERP key and last-modified."""

    def save_actors(self, connection_id: int, actors: Sequence[Actor]) -> ActorsResult:
        """Update actors (only the values given); the result carries them as saved."""

    def list_items(self, connection_id: int, list_name: str,
                   keys: Sequence[str] | None = None) -> ListItemsResult:
        """Key -> text of a whole ERP list, or of some of its items."""
