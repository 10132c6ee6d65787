"""The conformance kit: the whole connector contract as a pytest test class.

Subclass `ConnectorConformance` in a test module of your connector (the subclass's name starts
with `Test`) and give it a `target` fixture: a connector with one connection created, holding
at least three actors of one actor type. Every test of the class then runs against it:

    import pytest
    from erp_tui.connectors.conformance import ConformanceTarget, ConnectorConformance

    class TestAcmeConformance(ConnectorConformance):
        @pytest.fixture
        def target(self, tmp_path):
            connector = AcmeConnector()
            config = {"url": "...", "api_key": "..."}
            assert connector.create_connection(1, config).ok
            return ConformanceTarget(connector, config=config, connection_id=1,
                                     actor_type="Customer",
                                     new_actor=Actor(actor_type="Customer",
                                                     values={"name": "Conformance Ltd"}),
                                     changes={"city": "Zwolle"})

The kit needs pytest (a test dependency): import it from tests only. What it checks is told by
the connector's capability flags (`ConnectorBase`: `supports_advanced_search`,
`supports_create`, `supports_save`, `supports_delete`, `reads_in_worker_process`,
`search_limit`); a connector that does not subclass `ConnectorBase` gets its defaults, and
`ConformanceTarget.flags` overrides them (e.g. for the `http` connector, whose abilities are the
remote connector's). The tests write to the target's ERP (create and save) when the flags allow
it, so give each test a fresh ERP or one that may change; keep it small (a few hundred actors of
the actor type: some tests read its changes to the end, at most 50 pages of 1000).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest

from erp_tui.connectors.base import OPERATORS_BY_TYPE, TEXT_TYPES, ConnectorBase
from erp_tui.contract import (
    Actor,
    ActorPage,
    ActorResult,
    ActorsResult,
    ActorTypesResult,
    Connector,
    Cursor,
    FieldInfo,
    FieldsResult,
    FieldType,
    ListItemsResult,
    PageResult,
    Restriction,
    Result,
    ResultState,
    SearchableFieldsResult,
    SearchOperator,
    Value,
)

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
"""The form of every `last_modified`: ISO-8601 UTC with microseconds and Z."""

FLAG_NAMES = ("supports_advanced_search", "supports_create", "supports_save",
              "supports_delete", "reads_in_worker_process", "search_limit")

MISSING_KEY = "no-such-key-\u00e6\u00f8\u00e5"
MISSING_FIELD = "no_such_field_\u00e6"
MISSING_TYPE = "NoSuchActorType"
UNKNOWN_ID = 987_654_321
SPARE_ID = 987_654_322
EXAMPLE_VALUES: dict[FieldType, Value] = {
    FieldType.INTEGER: 1, FieldType.DOUBLE: 1.5, FieldType.CHECKBOX: True,
    FieldType.DATE: date(2020, 1, 1), FieldType.DATETIME: datetime(2020, 1, 1, 12, 0)}
"""A value of each non-text type, for criteria on fields the ERP holds no value of."""
WALK_PAGES = 50  # most pages read when following a feed to its end


@dataclass
class ConformanceTarget:
    """What the kit runs against: a connector, its config and one created connection."""

    connector: Connector
    config: dict[str, Any]
    """Config values `test_config` accepts; the kit creates further connections with them."""
    connection_id: int
    """A connection created with `config`, holding at least 3 actors of `actor_type`."""
    actor_type: str
    new_actor: Actor | None = None
    """A valid new actor of `actor_type` for `create_actor` (None: creating is not checked)."""
    changes: dict[str, Value] | None = None
    """Valid values to save on an existing actor of `actor_type` (None: saving is not checked)."""
    search_text: str = ""
    """A text `search_actors` finds at least one actor of `actor_type` with ("": not checked)."""
    flags: dict[str, Any] = field(default_factory=dict)
    """Capability flags that override the connector's own (see `FLAG_NAMES`)."""

    def flag(self, name: str) -> Any:
        """A capability flag: the override, else the connector's, else ConnectorBase's."""
        if name in self.flags:
            return self.flags[name]
        return getattr(self.connector, name, getattr(ConnectorBase, name))


# ---- checks of results -------------------------------------------------------------------------

def assert_ok(result: Result, result_cls: type[Result] = Result) -> None:
    """`result` is a successful result of `result_cls`."""
    assert isinstance(result, result_cls), f"expected {result_cls.__name__}, got {result!r}"
    assert result.ok, f"expected success: {result.user_message} | {result.tech_message}"
    assert result.state is not ResultState.ERROR


def assert_failure(result: Result, result_cls: type[Result] = Result,
                   error_code: str = "") -> None:
    """`result` is a failure of `result_cls` with a message for the user (and `error_code`)."""
    assert isinstance(result, result_cls), f"expected {result_cls.__name__}, got {result!r}"
    assert not result.ok, f"expected a failure, got success: {result!r}"
    assert result.state is ResultState.ERROR
    assert isinstance(result.user_message, str) and result.user_message.strip(), \
        "a failure must tell the user what went wrong"
    if error_code:
        assert result.error_code == error_code, result


def value_fits(ftype: FieldType, value: Value) -> bool:
    """Is `value` a contract value of a field of type `ftype`?"""
    if value is None:
        return True
    if ftype in TEXT_TYPES or ftype is FieldType.LIST:
        return isinstance(value, str)
    if ftype is FieldType.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if ftype is FieldType.DOUBLE:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if ftype is FieldType.CHECKBOX:
        return isinstance(value, bool)
    if ftype is FieldType.DATE:
        return isinstance(value, date) and not isinstance(value, datetime)
    if ftype is FieldType.DATETIME:
        return isinstance(value, datetime)
    return True


def assert_page_shape(page: ActorPage, actor_type: str, fields: Mapping[str, FieldInfo]
                      ) -> None:
    """Columns of equal length, rows as wide as the field keys, typed values, valid stamps."""
    count = len(page.erp_keys)
    assert page.actor_type == actor_type
    assert len(page.last_modified) == count and len(page.rows) == count
    for name in ("parent_types", "parent_keys", "deleted"):
        column = getattr(page, name)
        assert not column or len(column) == count, f"page column {name} has the wrong length"
    assert len(set(page.field_keys)) == len(page.field_keys), "field keys repeat"
    for key in page.field_keys:
        assert key in fields, f"page field {key!r} is not a field of {actor_type}"
    for i, row in enumerate(page.rows):
        assert len(row) == len(page.field_keys), f"row {i} does not match the field keys"
        for key, value in zip(page.field_keys, row, strict=True):
            assert value_fits(fields[key].type, value), \
                f"{page.erp_keys[i]}: {key}={value!r} is not a {fields[key].type.value} value"
    for key, stamp in zip(page.erp_keys, page.last_modified, strict=True):
        assert isinstance(key, str) and key, "an ERP key must be non-empty text"
        assert isinstance(stamp, str) and STAMP.match(stamp), f"{key}: bad stamp {stamp!r}"
    assert page.remaining is None or (isinstance(page.remaining, int) and page.remaining >= 0)


def live_keys(page: ActorPage) -> list[str]:
    """The keys of the page's actors that are not marked deleted."""
    flags = page.deleted or [False] * len(page.erp_keys)
    return [k for k, gone in zip(page.erp_keys, flags, strict=True) if not gone]


# ---- the test class ----------------------------------------------------------------------------

class ConnectorConformance:
    """The connector contract as tests; subclass it and provide the `target` fixture."""

    @pytest.fixture
    def target(self) -> ConformanceTarget:
        raise NotImplementedError("a ConnectorConformance subclass must define the `target` "
                                  "fixture")

    # -- helpers (not tests) --------------------------------------------------------------

    @staticmethod
    def fields_of(target: ConformanceTarget, actor_type: str = "") -> dict[str, FieldInfo]:
        result = target.connector.actor_fields(target.connection_id,
                                               actor_type or target.actor_type)
        assert_ok(result)
        return {f.key: f for f in result.fields}

    @staticmethod
    def read_changes(target: ConformanceTarget, cursor: Cursor,
                     field_keys: Sequence[str] = (), page_size: int = 1000) -> ActorPage:
        result = target.connector.actors_changed_since(
            target.connection_id, target.actor_type, cursor, list(field_keys), page_size)
        assert_ok(result, PageResult)
        assert isinstance(result, PageResult) and result.page is not None
        return result.page

    def walk(self, target: ConformanceTarget, cursor: Cursor, page_size: int = 1000
             ) -> Iterator[ActorPage]:
        """The pages of the changes feed from `cursor`, following `next_cursor`."""
        for _ in range(WALK_PAGES):
            page = self.read_changes(target, cursor, page_size=page_size)
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def first_page(self, target: ConformanceTarget, size: int = 6) -> ActorPage:
        page = self.read_changes(target, Cursor(), page_size=size)
        assert len(live_keys(page)) >= 3, \
            f"the target needs at least 3 live actors of {target.actor_type}"
        return page

    def read(self, target: ConformanceTarget, keys: Sequence[str],
             field_keys: Sequence[str] = ()) -> dict[str, dict[str, Value]]:
        """ERP key -> values of the live actors `get_actors` returns for `keys`."""
        result = target.connector.get_actors(target.connection_id, target.actor_type,
                                             list(keys), list(field_keys))
        assert_ok(result, PageResult)
        assert isinstance(result, PageResult) and result.page is not None
        page = result.page
        return {key: dict(zip(page.field_keys, row, strict=True))
                for key, row in zip(page.erp_keys, page.rows, strict=True)}

    def newest(self, target: ConformanceTarget) -> Cursor:
        """The cursor after the newest actor of the changes feed."""
        cursor = Cursor()
        for page in self.walk(target, Cursor()):
            if page.erp_keys:
                cursor = Cursor(last_modified=page.last_modified[-1], erp_key=page.erp_keys[-1])
        return cursor

    def keys_after(self, target: ConformanceTarget, cursor: Cursor) -> set[str]:
        return {k for page in self.walk(target, cursor) for k in page.erp_keys}

    @staticmethod
    def writable_text_field(fields: Mapping[str, FieldInfo]) -> FieldInfo | None:
        return next((f for f in fields.values()
                     if f.type is FieldType.TEXT and not f.read_only), None)

    # -- the connector class ----------------------------------------------------------------

    def test_declares_kind_and_label(self, target: ConformanceTarget) -> None:
        cls = type(target.connector)
        assert isinstance(cls.kind, str) and cls.kind.strip()
        assert isinstance(cls.label, str) and cls.label.strip()
        assert isinstance(target.connector, Connector)

    def test_capability_flags_have_their_types(self, target: ConformanceTarget) -> None:
        for name in FLAG_NAMES:
            value = target.flag(name)
            if name == "search_limit":
                assert isinstance(value, int) and not isinstance(value, bool) and value >= 1
            else:
                assert isinstance(value, bool), f"{name} must be True or False"

    # -- configuration and connections ----------------------------------------------------

    def test_config_fields_describe_the_settings(self, target: ConformanceTarget) -> None:
        result = target.connector.config_fields()
        assert_ok(result)
        keys = [f.key for f in result.fields]
        assert keys and len(set(keys)) == len(keys), "config field keys must be unique"
        for info in result.fields:
            assert info.label.strip(), f"config field {info.key} has no label"
            if info.type is FieldType.LIST:
                assert info.options, f"list config field {info.key} has no options"
                assert not info.default or info.default in info.options

    def test_config_is_tested(self, target: ConformanceTarget) -> None:
        assert_ok(target.connector.test_config(dict(target.config)))
        fields = target.connector.config_fields().fields
        for info in fields:
            if info.mandatory and target.config.get(info.key) not in (None, ""):
                blanked = {**target.config, info.key: ""}
                assert_failure(target.connector.test_config(blanked))

    def test_bad_config_is_a_failure_not_an_exception(self, target: ConformanceTarget) -> None:
        for values in ({}, {"\u00e6": None}):
            result = target.connector.test_config(values)
            assert isinstance(result, Result)
            if any(f.mandatory for f in target.connector.config_fields().fields):
                assert_failure(result)
        not_values: Any = "not a set of values"
        assert_failure(target.connector.test_config(not_values))

    def test_connection_lifecycle(self, target: ConformanceTarget) -> None:
        c = target.connector
        assert_ok(c.create_connection(SPARE_ID, dict(target.config)))
        assert_ok(c.test_connection(SPARE_ID))
        assert_ok(c.create_connection(SPARE_ID, dict(target.config)))  # bound again
        assert_ok(c.actor_types(SPARE_ID), ActorTypesResult)
        assert_ok(c.delete_connection(SPARE_ID))
        assert_failure(c.delete_connection(SPARE_ID))
        assert_failure(c.test_connection(SPARE_ID))
        assert_failure(c.actor_types(SPARE_ID), ActorTypesResult)
        assert_ok(c.test_connection(target.connection_id))  # the others stay bound

    def test_unknown_connection_is_refused(self, target: ConformanceTarget) -> None:
        for result_cls, call in self.connection_calls(target, UNKNOWN_ID):
            assert_failure(call(), result_cls)

    @staticmethod
    def connection_calls(target: ConformanceTarget, cid: int
                         ) -> list[tuple[type[Result], Callable[[], Result]]]:
        """Every contract method that takes a connection id, called for `cid`."""
        c, t = target.connector, target.actor_type
        actor = target.new_actor or Actor(actor_type=t, values={})
        restriction = Restriction(field_key=MISSING_FIELD, operator=SearchOperator.EQUALS,
                                  values=["x"])
        return [
            (Result, lambda: c.test_connection(cid)),
            (Result, lambda: c.delete_connection(cid)),
            (ActorTypesResult, lambda: c.actor_types(cid)),
            (FieldsResult, lambda: c.actor_fields(cid, t)),
            (SearchableFieldsResult, lambda: c.searchable_fields(cid, t)),
            (ListItemsResult, lambda: c.list_items(cid, "countries")),
            (PageResult, lambda: c.get_actors(cid, t, [MISSING_KEY], [])),
            (PageResult, lambda: c.actors_changed_since(cid, t, Cursor(), [], 10)),
            (PageResult, lambda: c.search_actors(cid, t, "a", [])),
            (PageResult, lambda: c.search_actors_advanced(cid, t, [restriction], [])),
            (ActorResult, lambda: c.create_actor(cid, actor)),
            (ActorsResult, lambda: c.save_actors(
                cid, [Actor(actor_type=t, erp_key=MISSING_KEY, values={})])),
        ]

    # -- metadata -------------------------------------------------------------------------

    def test_actor_types(self, target: ConformanceTarget) -> None:
        result = target.connector.actor_types(target.connection_id)
        assert_ok(result, ActorTypesResult)
        assert isinstance(result, ActorTypesResult)
        keys = [a.key for a in result.actor_types]
        assert len(set(keys)) == len(keys), "actor type keys must be unique"
        assert target.actor_type in keys
        for info in result.actor_types:
            assert info.label.strip(), f"actor type {info.key} has no label"
            for parent in info.parent_types:
                assert parent in keys, f"{info.key} sits under unknown type {parent!r}"

    def test_actor_fields(self, target: ConformanceTarget) -> None:
        types = target.connector.actor_types(target.connection_id)
        assert isinstance(types, ActorTypesResult)
        for info in types.actor_types:
            result = target.connector.actor_fields(target.connection_id, info.key)
            assert_ok(result)
            keys = [f.key for f in getattr(result, "fields", [])]
            assert keys and len(set(keys)) == len(keys), f"field keys of {info.key}"
            for f in getattr(result, "fields", []):
                assert isinstance(f.type, FieldType) and f.label.strip()
                assert f.type is not FieldType.LIST or f.list_name, f"{f.key} names no list"

    def test_searchable_fields_are_fields(self, target: ConformanceTarget) -> None:
        result = target.connector.searchable_fields(target.connection_id, target.actor_type)
        assert_ok(result, SearchableFieldsResult)
        assert isinstance(result, SearchableFieldsResult)
        fields = self.fields_of(target)
        assert set(result.field_keys) <= set(fields)

    def test_unknown_actor_type_is_refused(self, target: ConformanceTarget) -> None:
        c, cid = target.connector, target.connection_id
        assert_failure(c.actor_fields(cid, MISSING_TYPE))
        assert_failure(c.searchable_fields(cid, MISSING_TYPE), SearchableFieldsResult)
        assert_failure(c.get_actors(cid, MISSING_TYPE, [MISSING_KEY], []), PageResult)
        assert_failure(c.actors_changed_since(cid, MISSING_TYPE, Cursor(), [], 10), PageResult)
        assert_failure(c.search_actors(cid, MISSING_TYPE, "a", []), PageResult)

    def test_list_items(self, target: ConformanceTarget) -> None:
        c, cid = target.connector, target.connection_id
        lists = {f.list_name for f in self.fields_of(target).values()
                 if f.type is FieldType.LIST}
        for name in sorted(lists):
            result = c.list_items(cid, name)
            assert_ok(result, ListItemsResult)
            assert isinstance(result, ListItemsResult)
            assert all(isinstance(k, str) and isinstance(v, str)
                       for k, v in result.items.items())
            if result.items:
                first = next(iter(result.items))
                some = c.list_items(cid, name, [first, MISSING_KEY])
                assert_ok(some, ListItemsResult)
                assert isinstance(some, ListItemsResult)
                assert some.items == {first: result.items[first]}
        assert_failure(c.list_items(cid, "no_such_list_\u00e6"), ListItemsResult)

    # -- reading --------------------------------------------------------------------------

    def test_first_page(self, target: ConformanceTarget) -> None:
        fields = self.fields_of(target)
        page = self.first_page(target)
        assert_page_shape(page, target.actor_type, fields)
        assert list(page.field_keys) == list(fields), "no field keys means all fields"
        order = list(zip(page.last_modified, page.erp_keys, strict=True))
        assert order == sorted(order) and len(set(order)) == len(order), \
            "actors come in (last_modified, erp_key) order"

    def test_pages_and_cursors_advance(self, target: ConformanceTarget) -> None:
        whole = self.first_page(target)
        seen: list[str] = []
        cursor = Cursor()
        for _ in range(3):
            page = self.read_changes(target, cursor, page_size=2)
            assert len(page) <= 2
            for stamp, key in zip(page.last_modified, page.erp_keys, strict=True):
                assert (stamp, key) > cursor.as_tuple(), "a page repeats an earlier actor"
            seen += page.erp_keys
            if page.next_cursor is None:
                break
            assert page.next_cursor.as_tuple() > cursor.as_tuple(), "the cursor must advance"
            assert page.erp_keys, "a page with a next cursor holds actors"
            cursor = page.next_cursor
        assert seen == whole.erp_keys[:len(seen)], "small pages read what one page reads"
        assert len(seen) == min(6, len(whole.erp_keys)), "a page with more to come has a cursor"

    def test_selected_fields(self, target: ConformanceTarget) -> None:
        fields = self.fields_of(target)
        whole = self.first_page(target)
        for key in list(fields)[:3]:
            page = self.read_changes(target, Cursor(), [key], page_size=6)
            assert page.field_keys == (key,)
            assert page.erp_keys == whole.erp_keys
            column = whole.field_keys.index(key)
            assert [row[0] for row in page.rows] == [row[column] for row in whole.rows]

    def test_unknown_field_is_refused(self, target: ConformanceTarget) -> None:
        c, cid, t = target.connector, target.connection_id, target.actor_type
        key = live_keys(self.first_page(target))[0]
        assert_failure(c.get_actors(cid, t, [key], [MISSING_FIELD]), PageResult)
        assert_failure(c.actors_changed_since(cid, t, Cursor(), [MISSING_FIELD], 10),
                       PageResult)

    def test_get_actors_by_key(self, target: ConformanceTarget) -> None:
        page = self.first_page(target)
        wanted = live_keys(page)[:3]
        found = self.read(target, [*wanted, MISSING_KEY])
        assert set(found) == set(wanted), "get_actors returns the live actors asked for"
        for key, row in zip(page.erp_keys, page.rows, strict=True):
            if key in found:
                assert found[key] == dict(zip(page.field_keys, row, strict=True))
        assert self.read(target, []) == {}

    def test_bad_page_size_is_a_failure(self, target: ConformanceTarget) -> None:
        c = target.connector
        for size in (0, -1):
            assert_failure(c.actors_changed_since(target.connection_id, target.actor_type,
                                                  Cursor(), [], size), PageResult)

    def test_second_instance_reads_the_same(self, target: ConformanceTarget) -> None:
        if not target.flag("reads_in_worker_process"):
            pytest.skip("the connector does not read in a worker process")
        other = type(target.connector)()
        assert_ok(other.create_connection(target.connection_id, dict(target.config)))
        page = self.first_page(target)
        result = other.actors_changed_since(target.connection_id, target.actor_type, Cursor(),
                                            [], 6)
        assert isinstance(result, PageResult) and result.page is not None
        assert result.page.erp_keys == page.erp_keys
        assert result.page.rows == page.rows

    # -- searching ------------------------------------------------------------------------

    def search(self, target: ConformanceTarget, text: str,
               field_keys: Sequence[str] = ()) -> ActorPage:
        result = target.connector.search_actors(target.connection_id, target.actor_type, text,
                                                list(field_keys))
        assert_ok(result, PageResult)
        assert isinstance(result, PageResult) and result.page is not None
        assert len(result.page) <= target.flag("search_limit")
        return result.page

    def test_search_finds_and_misses(self, target: ConformanceTarget) -> None:
        fields = self.fields_of(target)
        if target.search_text:
            page = self.search(target, target.search_text)
            assert len(page) >= 1, f"searching {target.search_text!r} finds nothing"
            assert_page_shape(page, target.actor_type, fields)
            assert not any(page.deleted), "searches return live actors"
        assert len(self.search(target, "zq\u00e6\u00f8-nothing-is-called-this-8d1f")) == 0
        # Pattern characters are text, not wildcards.
        assert len(self.search(target, "%_")) == 0

    def test_search_returns_the_fields_asked(self, target: ConformanceTarget) -> None:
        key = next(iter(self.fields_of(target)))
        page = self.search(target, target.search_text or "a", [key])
        assert page.field_keys == (key,)

    def test_odd_search_texts_are_results(self, target: ConformanceTarget) -> None:
        for text in ("", " ", "\x00", "'; DROP TABLE x; --", "\u2603" * 300):
            result = target.connector.search_actors(target.connection_id, target.actor_type,
                                                    text, [])
            assert isinstance(result, PageResult), text

    def advanced(self, target: ConformanceTarget, restrictions: Sequence[Restriction],
                 field_keys: Sequence[str] = ()) -> PageResult:
        result = target.connector.search_actors_advanced(
            target.connection_id, target.actor_type, list(restrictions), list(field_keys))
        assert isinstance(result, PageResult)
        return result

    def sample_values(self, target: ConformanceTarget) -> dict[str, Value]:
        """A value per searchable field: the first one the ERP holds, else one of its type."""
        result = target.connector.searchable_fields(target.connection_id, target.actor_type)
        assert isinstance(result, SearchableFieldsResult)
        fields = self.fields_of(target)
        page = self.read_changes(target, Cursor(), page_size=50)
        found: dict[str, Value] = {}
        for key in result.field_keys:
            column = page.field_keys.index(key)
            values = [row[column] for row in page.rows if row[column] not in (None, "")]
            if values:
                found[key] = values[0]
            elif fields[key].type is not FieldType.LIST:
                found[key] = EXAMPLE_VALUES.get(fields[key].type, "a")
        return found

    def test_advanced_search_operators(self, target: ConformanceTarget) -> None:
        if not target.flag("supports_advanced_search"):
            pytest.skip("the connector does not search by criteria")
        fields = self.fields_of(target)
        one_per_type = {fields[k].type: (k, v) for k, v in
                        reversed(self.sample_values(target).items())}
        for key, value in one_per_type.values():
            info = fields[key]
            allowed = OPERATORS_BY_TYPE.get(info.type, frozenset())
            for op in SearchOperator:
                values = [value, value] if op is SearchOperator.BETWEEN else [value]
                result = self.advanced(target, [Restriction(field_key=key, operator=op,
                                                            values=values)])
                if op in allowed:
                    assert_ok(result, PageResult)
                    assert result.page is not None
                    assert len(result.page) <= target.flag("search_limit")
                    assert not any(result.page.deleted)
                else:
                    assert_failure(result, PageResult, "bad_operator")

    def test_advanced_search_finds_an_actor(self, target: ConformanceTarget) -> None:
        if not target.flag("supports_advanced_search"):
            pytest.skip("the connector does not search by criteria")
        searchable = target.connector.searchable_fields(target.connection_id,
                                                        target.actor_type)
        assert isinstance(searchable, SearchableFieldsResult)
        fields = self.fields_of(target)
        page = self.first_page(target)
        key = live_keys(page)[0]
        row = dict(zip(page.field_keys, page.rows[page.erp_keys.index(key)], strict=True))
        texts = [k for k in searchable.field_keys
                 if fields[k].type is FieldType.TEXT and isinstance(row.get(k), str)
                 and row[k]][:3]
        if not texts:
            pytest.skip("the first actor has no searchable text values")
        equal = [Restriction(field_key=k, operator=SearchOperator.EQUALS, values=[row[k]])
                 for k in texts]
        result = self.advanced(target, equal)
        assert_ok(result, PageResult)
        assert result.page is not None and key in result.page.erp_keys
        differs = Restriction(field_key=texts[0], operator=SearchOperator.NOT_EQUAL,
                              values=[row[texts[0]]])
        result = self.advanced(target, [*equal, differs])
        assert_ok(result, PageResult)
        assert result.page is not None and len(result.page) == 0, "all restrictions must hold"
        pattern = Restriction(field_key=texts[0], operator=SearchOperator.CONTAINS,
                              values=["%_"])
        result = self.advanced(target, [pattern])
        assert_ok(result, PageResult)
        assert result.page is not None and len(result.page) == 0, \
            "pattern characters are text, not wildcards"

    def test_advanced_search_refuses_bad_criteria(self, target: ConformanceTarget) -> None:
        if not target.flag("supports_advanced_search"):
            result = self.advanced(target, [])
            assert_failure(result, PageResult)
            return
        fields = self.fields_of(target)
        samples = self.sample_values(target)
        key, value = next(iter(samples.items()))
        assert_failure(self.advanced(target, [Restriction(
            field_key=MISSING_FIELD, operator=SearchOperator.EQUALS, values=["x"])]),
            PageResult)
        assert_failure(self.advanced(target, [Restriction(
            field_key=key, operator=SearchOperator.EQUALS, values=[])]), PageResult)
        assert_failure(self.advanced(target, [Restriction(
            field_key=key, operator=SearchOperator.EQUALS, values=[value, value])]),
            PageResult)
        typed = [k for k in samples if fields[k].type in (
            FieldType.INTEGER, FieldType.DOUBLE, FieldType.DATE, FieldType.DATETIME)]
        for key in typed[:2]:
            assert_failure(self.advanced(target, [Restriction(
                field_key=key, operator=SearchOperator.EQUALS, values=["not a value \u00e6"])]),
                PageResult)

    # -- writing --------------------------------------------------------------------------

    def created(self, target: ConformanceTarget) -> Actor:
        if not target.flag("supports_create"):
            pytest.skip("the connector does not create actors")
        if target.new_actor is None:
            pytest.skip("the target gives no new_actor")
        result = target.connector.create_actor(target.connection_id, target.new_actor)
        assert_ok(result, ActorResult)
        assert isinstance(result, ActorResult) and result.actor is not None
        return result.actor

    def test_create_actor(self, target: ConformanceTarget) -> None:
        before = self.newest(target)
        actor = self.created(target)
        assert target.new_actor is not None
        assert actor.erp_key and actor.actor_type == target.actor_type
        assert STAMP.match(actor.last_modified), actor.last_modified
        assert actor.last_modified > before.last_modified, \
            "a write stamps the actor later than every existing actor"
        stored = self.read(target, [actor.erp_key])[actor.erp_key]
        for key, value in target.new_actor.values.items():
            assert stored[key] == value, f"{key}: sent {value!r}, stored {stored[key]!r}"
            assert actor.values.get(key) == value
        assert actor.erp_key in self.keys_after(target, before), \
            "a created actor comes back from actors_changed_since"

    def test_create_refuses_bad_values(self, target: ConformanceTarget) -> None:
        if not target.flag("supports_create"):
            result = target.connector.create_actor(
                target.connection_id, target.new_actor or Actor(actor_type=target.actor_type))
            assert_failure(result, ActorResult)
            return
        if target.new_actor is None:
            pytest.skip("the target gives no new_actor")
        c, cid, new = target.connector, target.connection_id, target.new_actor
        fields = self.fields_of(target)
        before = self.newest(target)
        known = self.keys_after(target, before)

        def refused(values: dict[str, Value], *names: str) -> None:
            result = c.create_actor(cid, new.model_copy(update={"values": values}))
            assert_failure(result, ActorResult)
            for name in names:
                assert name in result.user_message, f"{name!r} not named: {result.user_message}"

        refused({**new.values, MISSING_FIELD: "x", MISSING_FIELD + "2": "y"},
                MISSING_FIELD, MISSING_FIELD + "2")
        text = self.writable_text_field(fields)
        if text is not None:
            refused({**new.values, text.key: 12345})
        for info in fields.values():
            if info.type is FieldType.TEXT and info.max_length and not info.read_only:
                refused({**new.values, info.key: "\u00e6" * (info.max_length + 1)})
                break
        for info in fields.values():
            if info.read_only:
                refused({**new.values, info.key: "x"})
                break
        mandatory = [f.key for f in fields.values() if f.mandatory and not f.default]
        if mandatory:
            refused({k: v for k, v in new.values.items() if k not in mandatory})
        refused_type = c.create_actor(cid, new.model_copy(update={"actor_type": MISSING_TYPE}))
        assert_failure(refused_type, ActorResult)
        assert self.keys_after(target, before) == known, "a refused create wrote something"

    def existing(self, target: ConformanceTarget) -> tuple[str, dict[str, Value]]:
        """A live actor to save: its key and values."""
        if not target.flag("supports_save"):
            pytest.skip("the connector does not save actors")
        if target.changes is None:
            pytest.skip("the target gives no changes")
        key = live_keys(self.first_page(target))[0]
        return key, self.read(target, [key])[key]

    def test_save_actors(self, target: ConformanceTarget) -> None:
        key, old = self.existing(target)
        assert target.changes is not None
        before = self.newest(target)
        actor = Actor(actor_type=target.actor_type, erp_key=key, values=dict(target.changes))
        result = target.connector.save_actors(target.connection_id, [actor])
        assert_ok(result, ActorsResult)
        assert isinstance(result, ActorsResult) and len(result.actors) == 1
        saved = result.actors[0]
        assert saved.erp_key == key and saved.last_modified > before.last_modified
        stored = self.read(target, [key])[key]
        for field_key, value in old.items():
            expected = target.changes.get(field_key, value)
            assert stored[field_key] == expected, f"{field_key}: {stored[field_key]!r}"
        assert key in self.keys_after(target, before)

    def test_save_is_all_or_nothing(self, target: ConformanceTarget) -> None:
        key, old = self.existing(target)
        assert target.changes is not None
        good = Actor(actor_type=target.actor_type, erp_key=key, values=dict(target.changes))
        for bad in (Actor(actor_type=target.actor_type, erp_key=MISSING_KEY,
                          values=dict(target.changes)),
                    Actor(actor_type=target.actor_type, erp_key=key,
                          values={MISSING_FIELD: "x"})):
            result = target.connector.save_actors(target.connection_id, [good, bad])
            assert_failure(result, ActorsResult)
            assert self.read(target, [key])[key] == old, "a refused save changed an actor"

    def test_delete_by_save(self, target: ConformanceTarget) -> None:
        if target.flag("supports_delete"):
            pytest.skip("deleting is ERP-specific; the connector's own tests check it")
        key = live_keys(self.first_page(target))[0]
        gone = Actor(actor_type=target.actor_type, erp_key=key, deleted=True)
        assert_failure(target.connector.save_actors(target.connection_id, [gone]),
                       ActorsResult)
        assert key in self.read(target, [key]), "a refused delete removed the actor"

    def test_writes_refused_when_not_supported(self, target: ConformanceTarget) -> None:
        if target.flag("supports_save"):
            pytest.skip("the connector saves actors")
        key = live_keys(self.first_page(target))[0]
        actor = Actor(actor_type=target.actor_type, erp_key=key, values={})
        assert_failure(target.connector.save_actors(target.connection_id, [actor]),
                       ActorsResult)

    # -- robustness -----------------------------------------------------------------------

    def test_bad_arguments_give_failures_not_exceptions(self, target: ConformanceTarget
                                                        ) -> None:
        c, cid, t = target.connector, target.connection_id, target.actor_type
        odd: Any = None
        odd_restriction: Any = {"field_key": 1}
        calls: list[tuple[type[Result], Callable[[], Result]]] = [
            (Result, lambda: c.actor_fields(cid, odd)),
            (PageResult, lambda: c.get_actors(cid, t, odd, [])),
            (PageResult, lambda: c.get_actors(cid, t, [MISSING_KEY], odd)),
            (PageResult, lambda: c.actors_changed_since(cid, t, odd, [], 10)),
            (PageResult, lambda: c.actors_changed_since(cid, t, Cursor(), [], odd)),
            (PageResult, lambda: c.search_actors(cid, t, odd, [])),
            (PageResult, lambda: c.search_actors_advanced(cid, t, [odd_restriction], [])),
            (ActorResult, lambda: c.create_actor(cid, odd)),
            (ActorsResult, lambda: c.save_actors(cid, [odd])),
            (ListItemsResult, lambda: c.list_items(cid, odd)),
        ]
        for result_cls, call in calls:
            result = call()
            assert isinstance(result, result_cls), f"expected {result_cls.__name__}: {result!r}"
            if not result.ok:
                assert_failure(result, result_cls)

    def test_secrets_stay_out_of_messages(self, target: ConformanceTarget) -> None:
        c, cid, t = target.connector, target.connection_id, target.actor_type
        secrets = [str(target.config[f.key]) for f in c.config_fields().fields
                   if f.type is FieldType.PASSWORD
                   and len(str(target.config.get(f.key) or "")) >= 3]
        if not secrets:
            pytest.skip("the config holds no password values")
        bad = Restriction(field_key=MISSING_FIELD, operator=SearchOperator.EQUALS,
                          values=["x"])
        results: list[Result] = [
            c.actor_fields(cid, MISSING_TYPE),
            c.get_actors(cid, t, [MISSING_KEY], [MISSING_FIELD]),
            c.actors_changed_since(cid, t, Cursor(), [], 0),
            c.search_actors_advanced(cid, t, [bad], []),
            c.list_items(cid, "no_such_list"),
            c.save_actors(cid, [Actor(actor_type=t, erp_key=MISSING_KEY, values={})]),
            c.create_actor(cid, Actor(actor_type=t, values={MISSING_FIELD: "x"})),
        ]
        results += [call() for _, call in self.connection_calls(target, UNKNOWN_ID)]
        for info in c.config_fields().fields:
            if info.type is FieldType.PASSWORD and info.key in target.config:
                wrong = f"{target.config[info.key]}-wrong"
                secrets.append(wrong)
                results.append(c.test_config({**target.config, info.key: wrong}))
        for result in results:
            for secret in secrets:
                assert secret not in result.user_message, "a secret in a user message"
                assert secret not in result.tech_message, "a secret in a technical message"
