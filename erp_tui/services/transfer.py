"""Export and import of a connection's whole configuration as a readable YAML file.

Secrets are left out unless asked for; then they are encrypted with a passphrase (never written
in clear). Import validates the whole file against the connector's metadata and every rule
before it writes anything, and writes everything in one transaction.
"""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import select

from erp_tui.context import AppContext
from erp_tui.contract import FieldType
from erp_tui.crm_catalog import CrmField
from erp_tui.crm_schema import all_entity_fields
from erp_tui.errors import ErpTuiError, Problem, RefusedError, ValidationFailed
from erp_tui.i18n import msg
from erp_tui.model import (
    ActorMapping,
    Connection,
    CrmListItem,
    FieldMapping,
    ListMapping,
    SyncDefault,
)
from erp_tui.rules import DefaultSpec, Direction
from erp_tui.secrets import SecretBox
from erp_tui.services.common import ConnectionRef, get_connection, require_inactive
from erp_tui.services.metadata import ErpMetadata, fetch_metadata, store_metadata

FORMAT_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldEntry(_Strict):
    erp_field: str
    crm_field: str | None = None
    direction: Literal[">", "<", "<>"] | None = None
    show_in_search: bool = False
    show_on_tab: bool = True


class DefaultEntry(_Strict):
    erp_field: str
    value: str | None = None
    ask_user: bool = False
    mandatory: bool = False


class ActorEntry(_Strict):
    crm_entity: str
    enabled: bool = False
    fields: list[FieldEntry] = Field(default_factory=list)
    rank: list[str] = Field(default_factory=list)
    defaults: list[DefaultEntry] = Field(default_factory=list)


class ListEntry(_Strict):
    erp_list: str
    crm_list: str
    items: dict[str, str | None] = Field(default_factory=dict)


class SecretsEntry(_Strict):
    salt: str
    values: dict[str, str]


class ConnectionEntry(_Strict):
    name: str
    connector: str
    scope: Literal["everyone", "chosen"]
    scope_members: list[str] = Field(default_factory=list)
    conflict_policy: Literal["erp_wins", "crm_wins", "newest_wins"] = "erp_wins"
    allow_import: bool = True
    config: dict[str, Any] = Field(default_factory=dict)
    secrets: SecretsEntry | None = None


class ExportFile(_Strict):
    """The file format (`erp_tui_export: 1`)."""

    erp_tui_export: int = FORMAT_VERSION
    connection: ConnectionEntry
    actors: dict[str, ActorEntry] = Field(default_factory=dict)
    lists: list[ListEntry] = Field(default_factory=list)


MIN_PASSPHRASE = 12


def write_export(path: Path, text: str) -> None:
    """Write an export file readable by its owner only (0600), atomically."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def export_connection(ctx: AppContext, ref: ConnectionRef, *,
                      secrets_passphrase: str | None = None) -> str:
    """The connection's whole configuration as YAML text (secrets only with a passphrase of at
    least `MIN_PASSPHRASE` characters)."""
    import yaml

    if secrets_passphrase is not None and len(secrets_passphrase) < MIN_PASSPHRASE:
        raise RefusedError(msg("Use a passphrase of at least {min} characters for the secrets; "
                               "nothing was written.", min=MIN_PASSPHRASE))
    with ctx.session() as session:
        connection = get_connection(session, ref)
        cid = connection.id or 0
        secrets = None
        if secrets_passphrase is not None and connection.secrets:
            salt = os.urandom(16)
            box = SecretBox.from_passphrase(secrets_passphrase, salt)
            secrets = SecretsEntry(
                salt=base64.b64encode(salt).decode(),
                values={k: box.encrypt(ctx.secrets.decrypt(v))
                        for k, v in connection.secrets.items()})
        data = ExportFile(connection=ConnectionEntry(
            name=connection.name, connector=connection.connector,
            scope="chosen" if connection.scope == "chosen" else "everyone",
            scope_members=list(connection.scope_members),
            conflict_policy=connection.conflict_policy,
            allow_import=connection.allow_import, config=dict(connection.config),
            secrets=secrets))
        mappings = list(session.exec(select(FieldMapping).where(
            FieldMapping.connection_id == cid)))
        defaults = list(session.exec(select(SyncDefault).where(
            SyncDefault.connection_id == cid)))
        for actor in session.exec(select(ActorMapping).where(ActorMapping.connection_id == cid)):
            rows = sorted((m for m in mappings if m.actor_type == actor.actor_type),
                          key=lambda m: m.rank)
            data.actors[actor.actor_type] = ActorEntry(
                crm_entity=actor.crm_entity, enabled=actor.enabled,
                fields=[FieldEntry(
                    erp_field=m.erp_field, crm_field=m.crm_field,
                    direction=(d.value if (d := Direction.from_flags(m.to_crm, m.to_erp))
                               else None),
                    show_in_search=m.show_in_search, show_on_tab=m.show_on_tab)
                    for m in rows if m.crm_field or m.show_in_search or not m.show_on_tab],
                rank=[m.erp_field for m in rows],
                defaults=[DefaultEntry(erp_field=d.erp_field,
                                       value=d.value if d.set_value else None,
                                       ask_user=d.ask_user, mandatory=d.mandatory)
                          for d in defaults if d.actor_type == actor.actor_type])
        lists: dict[tuple[str, str], dict[str, str | None]] = {}
        for item in session.exec(select(ListMapping).where(ListMapping.connection_id == cid)):
            lists.setdefault((item.erp_list, item.crm_list), {})[item.erp_key] = item.crm_key
        data.lists = [ListEntry(erp_list=e, crm_list=c, items=items)
                      for (e, c), items in sorted(lists.items())]
    header = ("# erp-tui connection export. Secrets are " +
              ("encrypted with a passphrase.\n" if secrets else "left out.\n"))
    return header + yaml.safe_dump(data.model_dump(mode="json", exclude_none=False),
                                   sort_keys=False, allow_unicode=True)


MAX_IMPORT_BYTES = 1_000_000  # an export is a few kilobytes; lists of thousands stay far below
MAX_IMPORT_DEPTH = 32  # the format nests 5 deep


def read_export(path: Path) -> str:
    """The text of export file `path`: at most `MAX_IMPORT_BYTES`, UTF-8, no binary data."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_IMPORT_BYTES + 1)
    except OSError as exc:
        raise ErpTuiError(msg("Cannot read {path}: {reason}.", path=str(path),
                              reason=exc.strerror)) from None
    if len(data) > MAX_IMPORT_BYTES:
        raise _too_large()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ErpTuiError(msg("{path} is not a UTF-8 text file (byte {byte}); an export file "
                              "is YAML text.", path=str(path), byte=exc.start + 1)) from None
    return text


def _too_large() -> ErpTuiError:
    return ErpTuiError(msg("The file is larger than {max} bytes, the limit of an export file; "
                           "nothing was imported.", max=format(MAX_IMPORT_BYTES, ",")))


def _load_yaml(text: str) -> Any:
    """YAML text as plain data, refusing anchors and aliases (a few lines of them can expand to
    gigabytes), keys given twice and nesting deeper than `MAX_IMPORT_DEPTH`."""
    import yaml
    from yaml.composer import ComposerError
    from yaml.constructor import ConstructorError
    from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 4x faster
    depth = 0
    for event in yaml.parse(text, Loader=base):  # checked before any node is built
        mark: Any = event.start_mark
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
            raise ComposerError(None, None, msg("anchors and aliases (& and *) are not "
                                                "allowed in an export file"), mark)
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_IMPORT_DEPTH:
                raise ComposerError(None, None, msg("it nests deeper than {max} levels",
                                                    max=MAX_IMPORT_DEPTH), mark)
        elif isinstance(event, CollectionEndEvent):
            depth -= 1

    class UniqueKeyLoader(base):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, list | dict):
                    continue  # refused by the base as an unhashable key
                if key in seen:
                    raise ConstructorError(None, None, msg("key {key} appears twice in one "
                                                           "mapping", key=repr(str(key)[:60])),
                                           key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader: plain data only


def parse_export(text: str) -> ExportFile:
    """Parse and shape-check an export file; one clear sentence on error (too large, not YAML,
    anchors or aliases, keys given twice, nested too deep, not the format)."""
    import yaml

    if len(text) > MAX_IMPORT_BYTES or len(text.encode("utf-8", "replace")) > MAX_IMPORT_BYTES:
        raise _too_large()
    try:
        raw = _load_yaml(text)
    except yaml.reader.ReaderError as exc:
        raise ErpTuiError(msg("The file contains the control character U+{code} (character "
                              "{position}); an export file is plain YAML text.",
                              code=format(exc.character, "04X"),
                              position=exc.position + 1)) from None
    except yaml.YAMLError as exc:
        raise ErpTuiError(_yaml_problem(exc)) from None
    except (ValueError, OverflowError) as exc:  # a number or date out of range
        raise ErpTuiError(msg("The file holds a value YAML cannot read ({reason}); fix it and "
                              "import again.", reason=str(exc))) from None
    if not isinstance(raw, dict) or raw.get("erp_tui_export") != FORMAT_VERSION:
        raise ErpTuiError(msg("This is not an erp-tui export file (expected 'erp_tui_export: "
                              "1' at the top)."))
    try:
        return ExportFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ErpTuiError(msg("The file is invalid at '{where}': {reason}.", where=where,
                              reason=first["msg"])) from None


def _yaml_problem(error: Exception) -> str:
    """Why YAML could not read the file, with the line where it could tell."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None)
    if mark is None and not problem:
        return msg("The file is not valid YAML; fix it and import again.")
    if mark is None:
        return msg("The file is not valid YAML: {problem}; fix it and import again.",
                   problem=problem)
    if not problem:
        return msg("The file is not valid YAML at line {line}; fix it and import again.",
                   line=mark.line + 1)
    return msg("The file is not valid YAML at line {line}: {problem}; fix it and import again.",
               line=mark.line + 1, problem=problem)


def import_connection(ctx: AppContext, text: str, *, replace: bool = False,
                      new_name: str | None = None, secrets_passphrase: str | None = None,
                      values: dict[str, str] | None = None) -> int:
    """Create (or, with `replace`, overwrite an inactive) connection from an export file.

    `values` adds or overrides config values (secrets left out of the file, a path that differs
    on this machine). Everything is validated first; nothing is written unless all of it is
    valid. The imported connection is inactive; activate it when ready.
    """
    data = parse_export(text)
    entry = data.connection
    from erp_tui.services.connections import check_name, config_fields

    name = check_name(new_name or entry.name)
    fields = config_fields(ctx, entry.connector)
    secret_keys = {f.key for f in fields if f.type is FieldType.PASSWORD}
    known = {f.key for f in fields}
    _check_config(entry, known)
    clear_secrets: dict[str, str] = {}
    if entry.secrets is not None:
        if secrets_passphrase is None:
            raise ErpTuiError(msg("The file holds encrypted secrets; give the passphrase "
                                  "(ERP_TUI_EXPORT_PASSPHRASE) or import without them "
                                  "(--without-secrets)."))
        try:
            box = SecretBox.from_passphrase(secrets_passphrase,
                                            base64.b64decode(entry.secrets.salt, validate=True))
            clear_secrets = {k: box.decrypt(v) for k, v in entry.secrets.values.items()}
        except (ErpTuiError, ValueError):
            raise ErpTuiError(msg("The passphrase does not decrypt the file's secrets; check it "
                                  "and import again.")) from None
    stray = [k for k in entry.config if k in secret_keys]
    if stray:
        raise ErpTuiError(msg("Secret '{key}' appears in clear in the file; remove it.",
                              key=stray[0]))
    config = dict(entry.config)
    for key, value in (values or {}).items():
        if key not in known:
            raise ErpTuiError(msg("'{key}' is not a config field of connector '{connector}'.",
                                  key=key, connector=entry.connector))
        if key in secret_keys:
            clear_secrets[key] = value
        else:
            config[key] = value
    with ctx.session() as session:
        existing = session.exec(select(Connection).where(Connection.name == name)).first()
        if existing is not None and not replace:
            raise RefusedError(msg("A connection named '{name}' already exists; use --replace "
                                   "to overwrite it or --name to import under another name.",
                                   name=name))
        if existing is not None:
            require_inactive(existing)
            connection = existing
            ctx.connectors.forget(existing.id or 0)
            for table in (ActorMapping, FieldMapping, ListMapping, SyncDefault):
                for row in session.exec(select(table).where(
                        table.connection_id == existing.id)):
                    session.delete(row)
            session.flush()
            connection.version += 1
        else:
            connection = Connection(name=name, connector=entry.connector)
        connection.config = config
        connection.secrets = {k: ctx.secrets.encrypt(v) for k, v in clear_secrets.items()}
        connection.scope = entry.scope
        connection.scope_members = list(entry.scope_members)
        connection.conflict_policy = entry.conflict_policy
        connection.allow_import = entry.allow_import
        connection.active = False
        connection.priority = 0
        connection.last_test_ok = None
        connection.tested_fingerprint = ""
        session.add(connection)
        session.flush()
        cid = connection.id or 0
        meta = fetch_metadata(ctx, session, cid)
        crm_lists = set(session.exec(select(CrmListItem.list_name).distinct()).all())
        problems = _check_import(data, meta, all_entity_fields(session), crm_lists)
        if problems:
            raise ValidationFailed(msg("The file was not imported; nothing was changed:"),
                                   problems)
        store_metadata(session, cid, meta)
        session.flush()
        _apply(session, cid, data)
    return cid


def _check_config(entry: ConnectionEntry, known: set[str]) -> None:
    """Refuse config keys the connector does not declare and values that are not plain text,
    numbers or yes/no (as `connections edit --set` does)."""
    from erp_tui.services.connections import single_line_problem

    unknown = [k for k in entry.config if k not in known]
    if unknown:
        raise RefusedError(msg("{key} under 'config' is not a config field of connector "
                               "'{connector}'; fields: {fields}.", key=repr(unknown[0][:60]),
                               connector=entry.connector, fields=", ".join(sorted(known))))
    for key, value in entry.config.items():
        if value is not None and not isinstance(value, str | int | float | bool):
            raise RefusedError(msg("Config field '{key}' holds a {type}; give it as text, a "
                                   "number or yes/no.", key=key, type=type(value).__name__))
        if isinstance(value, str):
            problem = single_line_problem(msg("Config field '{key}'", key=key), value,
                                          multi_line=True)
            if problem:
                raise RefusedError(problem)


def _check_import(data: ExportFile, meta: ErpMetadata,
                  crm_fields: dict[str, tuple[CrmField, ...]], crm_lists: set[str]
                  ) -> list[Problem]:
    from erp_tui.rules import ErpFieldView, default_problems
    from erp_tui.services.mapping_problems import (
        MappedField,
        default_problem,
        field_problems,
        list_duplicate_problems,
    )

    problems: list[Problem] = []
    actor_keys = {a.key for a in meta.actor_types}
    for actor_type, actor in data.actors.items():
        if actor_type not in actor_keys:
            problems.append(Problem(msg("Actor '{actor}' does not exist in this ERP.",
                                        actor=actor_type), actor_type))
            continue
        entity_fields = crm_fields.get(actor.crm_entity)
        if entity_fields is None:
            problems.append(Problem(msg("{actor}: '{entity}' is not a CRM entity.",
                                        actor=actor_type, entity=actor.crm_entity), actor_type))
            continue
        views = {f.key: ErpFieldView(f.key, f.label, f.type, f.access, f.list_name,
                                     f.max_length) for f in meta.fields.get(actor_type, [])}
        for entry in actor.fields:
            view = views.get(entry.erp_field)
            if view is None:
                problems.append(Problem(msg("{actor}: ERP field '{field}' does not exist in "
                                            "this ERP.", actor=actor_type,
                                            field=entry.erp_field),
                                        actor_type, entry.erp_field))
                continue
            direction = Direction(entry.direction) if entry.direction else None
            problems.extend(field_problems(MappedField(
                actor_type, actor.crm_entity, entity_fields, view, entry.crm_field, direction)))
        for default in actor.defaults:
            view = views.get(default.erp_field)
            items = meta.lists.get(view.list_name, {}) if view else {}
            spec = DefaultSpec(default.erp_field, default.value is not None,
                               default.value or "", default.ask_user, default.mandatory)
            label = view.label if view else default.erp_field
            problems.extend(default_problem(actor_type, default.erp_field, label, message)
                            for message in default_problems(spec, view, items))
        unknown_rank = [f for f in actor.rank if f not in views]
        if unknown_rank:
            problems.append(Problem(msg("{actor}: ranked field '{field}' does not exist in "
                                        "this ERP.", actor=actor_type, field=unknown_rank[0]),
                                    actor_type))
    for list_entry in data.lists:
        name = list_entry.erp_list
        erp_items = meta.lists.get(name)
        if erp_items is None:
            problems.append(Problem(msg("ERP list '{list}' does not exist in this ERP.",
                                        list=name), list_name=name))
            continue
        if list_entry.crm_list not in crm_lists:
            problems.append(Problem(msg(
                "List '{list}': this CRM has no list '{crm_list}'; add the CRM field that uses "
                "it first (erp-tui crm-fields ENTITY --add KEY --type list --list {crm_list} "
                "--item KEY=TEXT ...).", list=name, crm_list=list_entry.crm_list),
                list_name=name))
        unknown = [k for k in list_entry.items if k not in erp_items]
        if unknown:
            problems.append(Problem(msg("List '{list}': ERP item '{item}' does not exist.",
                                        list=name, item=unknown[0]), list_name=name))
        problems.extend(list_duplicate_problems(name, list_entry.items))
    return problems


def _apply(session: Any, connection_id: int, data: ExportFile) -> None:
    from erp_tui.services.lists import crm_list_items

    actors = {a.actor_type: a for a in session.exec(
        select(ActorMapping).where(ActorMapping.connection_id == connection_id))}
    mappings = {(m.actor_type, m.erp_field): m for m in session.exec(
        select(FieldMapping).where(FieldMapping.connection_id == connection_id))}
    for actor_type, entry in data.actors.items():
        actor = actors.get(actor_type)
        if actor is not None:
            actor.enabled = entry.enabled
            actor.crm_entity = entry.crm_entity
            session.add(actor)
        listed = {f.erp_field for f in entry.fields}
        for (a, key), mapping in mappings.items():
            if a == actor_type and key not in listed:
                mapping.crm_field, mapping.to_crm, mapping.to_erp = None, False, False
                session.add(mapping)
        for field_entry in entry.fields:
            mapping = mappings[(actor_type, field_entry.erp_field)]
            direction = Direction(field_entry.direction) if field_entry.direction else None
            mapping.crm_field = field_entry.crm_field
            mapping.to_crm = bool(direction and direction.to_crm)
            mapping.to_erp = bool(direction and direction.to_erp)
            mapping.show_in_search = field_entry.show_in_search
            mapping.show_on_tab = field_entry.show_on_tab
            session.add(mapping)
        ranked = [f for f in entry.rank] + sorted(
            k for (a, k) in mappings if a == actor_type and k not in entry.rank)
        for rank, key in enumerate(ranked, start=1):
            if (actor_type, key) in mappings:
                mappings[(actor_type, key)].rank = rank
        for default in entry.defaults:
            session.add(SyncDefault(
                connection_id=connection_id, actor_type=actor_type, erp_field=default.erp_field,
                set_value=default.value is not None, value=default.value or "",
                ask_user=default.ask_user, mandatory=default.mandatory))
    for list_entry in data.lists:
        known = set(crm_list_items(session, list_entry.crm_list))
        for erp_key, crm_key in list_entry.items.items():
            session.add(ListMapping(connection_id=connection_id, erp_list=list_entry.erp_list,
                                    crm_list=list_entry.crm_list, erp_key=erp_key,
                                    crm_key=crm_key if crm_key in known or not known else None))
