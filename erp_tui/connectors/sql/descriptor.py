"""The descriptor of a SQL connection: which tables and columns make up which ERP actors.

A descriptor is a YAML file (see docs/sql-connector.md)::

    schema: null                  # optional database schema of every table
    lists:
      countries: {table: country, key: code, text: name, texts: {nl: name_nl}}
    actors:
      Customer:
        table: customer
        key: id
        labels: {nl: Klant}         # optional: the label per language
        last_modified: updated_at   # optional: without it the connector detects changes
        deleted: is_deleted         # optional soft-delete column (NULL, false, 0 = live)
        search: [name, city]        # columns of the simple search (default: text fields)
        fields:
          name: {type: text, label: Name, labels: {nl: Naam}, access: mandatory, max_length: 80}
          country: {column: country_code, type: list, list: countries}
      Person:
        table: contact
        key: id
        parent: {type: Customer, column: customer_id}
        fields:
          name: {type: text}

The model is strict (`extra="forbid"`): a misspelt key is an error naming it, not ignored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from erp_tui.connectors.base import joined
from erp_tui.contract import FieldAccess, FieldType
from erp_tui.i18n import msg

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .-]{0,62}$")


class DescriptorError(ValueError):
    """The descriptor file cannot be used; `str(error)` is one clear sentence (or a few)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListSpec(_Strict):
    """An ERP list read from a table: key column -> text column."""

    table: str
    key: str
    text: str
    texts: dict[str, str] = Field(default_factory=dict,
                                  description="column of the text per language (nl: name_nl)")
    order: str | None = Field(default=None, description="column to order by (default: text)")


class FieldSpec(_Strict):
    """One actor field stored in one column."""

    column: str | None = Field(default=None, description="column name (default: field key)")
    type: FieldType = FieldType.TEXT
    label: str | None = None
    labels: dict[str, str] = Field(default_factory=dict, description="label per language")
    description: str = ""
    descriptions: dict[str, str] = Field(default_factory=dict,
                                         description="description per language")
    access: FieldAccess = FieldAccess.NORMAL
    max_length: int = Field(default=0, ge=0)
    list: str | None = Field(default=None, description="list name, for type list")
    default: str = ""

    @model_validator(mode="after")
    def _list_needs_name(self) -> FieldSpec:
        if self.type is FieldType.LIST and not self.list:
            raise ValueError(msg("a field of type list needs 'list: <list name>'"))
        if self.type is not FieldType.LIST and self.list:
            raise ValueError(msg("'list' is only allowed on fields of type list"))
        return self


class ParentSpec(_Strict):
    """Where a record's parent (Person under Customer/Supplier) is stored.

    Either a fixed parent `type` for every row of the table, or a `type_column` holding the
    parent type, with `types` mapping each parent actor type to the value stored in that column
    (default: the actor type's name itself).
    """

    column: str = Field(description="column holding the parent's ERP key")
    type: str | None = None
    type_column: str | None = None
    types: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _types_as_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("types"), list):
            data = {**data, "types": {str(t): str(t) for t in data["types"]}}
        return data

    @model_validator(mode="after")
    def _one_way(self) -> ParentSpec:
        if bool(self.type) == bool(self.type_column):
            raise ValueError(msg("give either 'type' (a fixed parent type) or 'type_column' "
                                 "(with 'types'), not both or neither"))
        if self.type_column and not self.types:
            raise ValueError(msg("'type_column' needs 'types': the parent actor types it may hold"))
        if self.type and self.types:
            raise ValueError(msg("'types' is only used with 'type_column'"))
        return self

    @property
    def parent_types(self) -> tuple[str, ...]:
        return (self.type,) if self.type else tuple(self.types)


class ActorSpec(_Strict):
    """One actor type stored in one table or view."""

    table: str
    key: str = Field(description="column holding the ERP key (unique, stable)")
    label: str | None = None
    labels: dict[str, str] = Field(default_factory=dict, description="label per language")
    last_modified: str | None = Field(
        default=None, description="timestamp column; without it changes are fingerprinted")
    set_last_modified: bool = Field(
        default=True, description="write the current UTC time into last_modified on writes")
    deleted: str | None = Field(
        default=None, description="soft-delete column (boolean, number, date or timestamp): "
                                  "NULL, false and 0 mean live, any other value deleted")
    search: list[str] = Field(default_factory=list, description="field keys of simple search")
    parent: ParentSpec | None = None
    fields: dict[str, FieldSpec] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _fields_shorthand(cls, data: Any) -> Any:
        """`name: text` is short for `name: {type: text}`; `name: null` for a text field."""
        if isinstance(data, dict) and isinstance(data.get("fields"), dict):
            fields = {}
            for key, spec in data["fields"].items():
                if spec is None:
                    spec = {}
                elif isinstance(spec, str):
                    spec = {"type": spec}
                fields[key] = spec
            data = {**data, "fields": fields}
        return data

    def column_of(self, field_key: str) -> str:
        return self.fields[field_key].column or field_key

    def mapped_columns(self) -> list[str]:
        """Every column the actor maps besides the soft-delete one (key, stamp, parent, fields)."""
        parent = [self.parent.column, self.parent.type_column] if self.parent else []
        named = [self.key, self.last_modified, *parent]
        return [c for c in named if c] + [self.column_of(k) for k in self.fields]


class Descriptor(_Strict):
    """The whole descriptor file."""

    version: int = 1
    schema_: str | None = Field(default=None, alias="schema")
    lists: dict[str, ListSpec] = Field(default_factory=dict)
    actors: dict[str, ActorSpec]

    @model_validator(mode="after")
    def _references(self) -> Descriptor:
        problems = []
        if not self.actors:
            problems.append("'actors' must name at least one actor type")
        for name in [*self.actors, *self.lists]:
            if not _NAME.match(name):
                problems.append(f"{name!r} is not a usable name (letters, digits, _ . - and "
                                f"spaces, starting with a letter)")
        for actor_key, actor in self.actors.items():
            for field_key, spec in actor.fields.items():
                if spec.list and spec.list not in self.lists:
                    problems.append(f"field {actor_key}.{field_key} uses list {spec.list!r}, "
                                    f"which is not under 'lists'")
            for key in actor.search:
                if key not in actor.fields:
                    problems.append(f"search field {actor_key}.{key} is not one of its fields")
            if actor.parent:
                for parent_type in actor.parent.parent_types:
                    if parent_type not in self.actors:
                        problems.append(f"parent type {parent_type!r} of {actor_key} is not an "
                                        f"actor type of this descriptor")
            if actor.deleted and actor.deleted in actor.mapped_columns():
                problems.append(f"the soft-delete column {actor.deleted!r} of {actor_key} is "
                                f"also its key, last_modified, parent or a field; name it only "
                                f"under 'deleted'")
            columns = [actor.column_of(k) for k in actor.fields]
            duplicates = sorted({c for c in columns if columns.count(c) > 1})
            if duplicates:
                problems.append(f"{actor_key} maps column(s) {', '.join(duplicates)} to more "
                                f"than one field")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def parse_descriptor(data: Any, source: str = "descriptor") -> Descriptor:
    """A descriptor from parsed YAML; raises DescriptorError with clear messages."""
    if not isinstance(data, dict):
        raise DescriptorError(msg("{source} must be a YAML mapping with 'actors' (and 'lists').",
                                  source=source))
    try:
        return Descriptor.model_validate(data)
    except ValidationError as exc:
        parts: list[str] = []
        for error in exc.errors()[:8]:
            where = _location(tuple(error["loc"]))
            if error["type"] == "extra_forbidden":
                parts.append(msg("{where}: unknown key (misspelt?)", where=where))
            else:
                message = str(error["msg"]).removeprefix("Value error, ")
                parts.append(f"{where}: {message}")
        if exc.error_count() > 8:
            raise DescriptorError(msg("{source} is not a valid descriptor: {problems} (and "
                                      "{more} more).", source=source, problems=joined(parts),
                                      more=exc.error_count() - 8)) from None
        raise DescriptorError(msg("{source} is not a valid descriptor: {problems}.",
                                  source=source, problems=joined(parts))) from None


def load_descriptor(path: Path) -> Descriptor:
    """Read and check a descriptor file; raises DescriptorError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DescriptorError(msg("Descriptor file {path} does not exist; check the path.",
                                  path=path)) from None
    except OSError as exc:
        raise DescriptorError(msg("Descriptor file {path} cannot be read ({strerror}).",
                                  path=path, strerror=exc.strerror)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            raise DescriptorError(msg("Descriptor file {path} is not valid YAML at line {line}.",
                                      path=path, line=mark.line + 1)) from None
        raise DescriptorError(msg("Descriptor file {path} is not valid YAML.",
                                  path=path)) from None
    return parse_descriptor(data, msg("Descriptor file {path}", path=path))


def dump_descriptor(data: dict[str, Any]) -> str:
    """YAML text of a descriptor mapping (keys kept in order)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
