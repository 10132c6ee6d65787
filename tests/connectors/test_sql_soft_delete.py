"""Soft-delete columns of the SQL connector (descriptor `deleted:`), on SQLite, PostgreSQL and
MariaDB, with a boolean, an integer and a timestamp flag column.

Rule under test: NULL, false and 0 mean live; any other value means deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from erp_tui.connectors.sql.connector import SqlConnector
from erp_tui.connectors.sql.descriptor import DescriptorError, parse_descriptor
from erp_tui.contract import Actor, ActorPage, Cursor, Restriction, SearchOperator

from .conftest import BASE_TIME, stamp_type
from .test_sql_connector import CID, keys_of, make, read_all, table_rows

KINDS = ("boolean", "integer", "timestamp")
FLAG_COLUMN = {"boolean": "is_deleted", "integer": "deleted", "timestamp": "deleted_at"}
ACCOUNTS = 10
GONE = (9, 10)  # soft-deleted from the start
LIVE = [str(i) for i in range(1, ACCOUNTS + 1) if i not in GONE]


def descriptor_text(flag: str, *, timestamps: bool = True) -> str:
    """Account (with search) and Contact under Account, both with `deleted: <flag>`."""
    lm = "    last_modified: updated_at\n" if timestamps else ""
    deleted = f"    deleted: {flag}\n"
    return (f"actors:\n  Account:\n    table: account\n    key: id\n{lm}{deleted}"
            f"    search: [name]\n"
            f"    fields:\n      name: {{type: text, access: mandatory}}\n      city: text\n"
            f"  Contact:\n    table: account_contact\n    key: id\n{lm}{deleted}"
            f"    parent: {{type: Account, column: account_id}}\n"
            f"    fields: {{name: text}}\n")


class Erp:
    """An ERP database whose `account` and `account_contact` rows carry a soft-delete flag.

    boolean: nullable BOOLEAN (live rows hold NULL or false); integer: INTEGER NOT NULL without
    default (0 live, 1 or 2 deleted); timestamp: nullable timestamp (NULL live).
    """

    def __init__(self, url: str, kind: str) -> None:
        self.url, self.kind, self.flag = url, kind, FLAG_COLUMN[kind]
        self.engine = sa.create_engine(url)
        self.clock = BASE_TIME + timedelta(hours=1)
        metadata = sa.MetaData()
        self.account = sa.Table(
            "account", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("name", sa.String(60), nullable=False),
            sa.Column("city", sa.String(40)),
            sa.Column("note", sa.String(20)),  # not mapped
            sa.Column("updated_at", stamp_type(), nullable=False),
            self._flag_column())
        self.contact = sa.Table(
            "account_contact", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")),
            sa.Column("name", sa.String(60)),
            sa.Column("note", sa.String(20)),
            sa.Column("updated_at", stamp_type(), nullable=False),
            self._flag_column())
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            conn.execute(sa.insert(self.account), [
                {"id": i, "name": f"Account {i:02d}", "city": "Gent" if i % 2 else "Köln",
                 "updated_at": BASE_TIME + timedelta(seconds=i),
                 self.flag: self.value(deleted=i in GONE, step=i)}
                for i in range(1, ACCOUNTS + 1)])
            conn.execute(sa.insert(self.contact), [
                {"id": i, "account_id": parent, "name": f"Contact {i}",
                 "updated_at": BASE_TIME + timedelta(seconds=i),
                 self.flag: self.value(deleted=i == 4, step=i)}
                for i, parent in enumerate((1, 2, 9, 1), start=1)])
            if conn.dialect.name == "postgresql":
                for table in ("account", "account_contact"):
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', "
                                         f"'id'), (SELECT max(id) FROM {table}))"))

    def _flag_column(self) -> sa.Column[Any]:
        if self.kind == "boolean":
            return sa.Column(self.flag, sa.Boolean)
        if self.kind == "integer":
            return sa.Column(self.flag, sa.Integer, nullable=False)
        return sa.Column(self.flag, stamp_type())

    def value(self, *, deleted: bool, step: int = 1) -> Any:
        """A flag value: every live form (NULL/false/0) and deleted form (true, 1, 2, a time)."""
        if self.kind == "boolean":
            return True if deleted else (None if step % 2 else False)
        if self.kind == "integer":
            return (1 + step % 2) if deleted else 0
        return BASE_TIME + timedelta(days=step) if deleted else None

    def _tick(self) -> datetime:
        self.clock = max(datetime.now(UTC).replace(tzinfo=None),
                         self.clock + timedelta(milliseconds=1))
        return self.clock

    def set_deleted(self, key: int, deleted: bool, *, bump: bool = True,
                    table: sa.Table | None = None) -> None:
        """Soft-delete or restore a row the way an ERP does (bumping its modified time)."""
        table = self.account if table is None else table
        values: dict[str, Any] = {self.flag: self.value(deleted=deleted, step=key)}
        if bump:
            values["updated_at"] = self._tick()
        with self.engine.begin() as conn:
            assert conn.execute(sa.update(table).where(table.c.id == key)
                                .values(values)).rowcount == 1

    def connect(self, tmp_path: Path, *, timestamps: bool = True) -> SqlConnector:
        tmp_path.mkdir(parents=True, exist_ok=True)
        return make(self.url, tmp_path,
                    descriptor=descriptor_text(self.flag, timestamps=timestamps))


@pytest.fixture(params=KINDS)
def erp(request: pytest.FixtureRequest, db_url: str) -> Iterator[Erp]:
    database = Erp(db_url, request.param)
    try:
        yield database
    finally:
        database.engine.dispose()


@pytest.fixture
def sql(erp: Erp, tmp_path: Path) -> Iterator[SqlConnector]:
    """The connector in timestamp mode (last_modified: updated_at)."""
    connector = erp.connect(tmp_path)
    yield connector
    connector.close()


def flags(pages: list[ActorPage]) -> dict[str, bool]:
    """ERP key -> deleted, in the order read."""
    return {k: d for p in pages for k, d in zip(p.erp_keys, p.deleted, strict=True)}


def changes(pages: list[ActorPage]) -> list[tuple[str, bool, dict[str, Any]]]:
    return [(a.erp_key, a.deleted, a.values) for p in pages for a in p.actors()]


# ---- timestamp mode -----------------------------------------------------------------------------

def test_a_soft_deleted_row_comes_back_once_marked_deleted(sql: SqlConnector, erp: Erp) -> None:
    pages, cursor = read_all(sql, "Account", 4)
    # A first read returns every stamped row in cursor order, the soft-deleted ones marked.
    assert flags(pages) == {str(i): i in GONE for i in range(1, ACCOUNTS + 1)}
    assert keys_of(pages) == [str(i) for i in range(1, ACCOUNTS + 1)]
    gone = [a for p in pages for a in p.actors() if a.deleted]
    assert [a.values for a in gone] == [{"name": None, "city": None}] * len(GONE)
    erp.set_deleted(3, True)
    pages, cursor2 = read_all(sql, "Account", 4, cursor)
    assert changes(pages) == [("3", True, {"name": None, "city": None})]
    assert pages[0].last_modified[0] > cursor.last_modified
    assert keys_of(read_all(sql, "Account", 4, cursor2)[0]) == []  # once
    # Children: a soft-deleted contact carries no parent either.
    persons = read_all(sql, "Contact", 10)[0]
    assert flags(persons) == {"1": False, "2": False, "3": False, "4": True}
    assert persons[0].parent_keys == ["1", "2", "9", ""]
    assert persons[0].parent_types == ["Account", "Account", "Account", ""]


def test_a_restored_row_comes_back_live(sql: SqlConnector, erp: Erp) -> None:
    _pages, cursor = read_all(sql, "Account", 4)
    erp.set_deleted(9, False)
    pages, cursor2 = read_all(sql, "Account", 4, cursor)
    assert changes(pages) == [("9", False, {"name": "Account 09", "city": "Gent"})]
    erp.set_deleted(9, True)
    erp.set_deleted(9, False)
    assert changes(read_all(sql, "Account", 4, cursor2)[0]) == \
        [("9", False, {"name": "Account 09", "city": "Gent"})]


def test_get_and_search_skip_soft_deleted_rows(sql: SqlConnector) -> None:
    page = sql.get_actors(CID, "Account", ["9", "2", "10", "3"], ["name"]).page
    assert page is not None and page.erp_keys == ["2", "3"] and not any(page.deleted)
    found = sql.search_actors(CID, "Account", "account", []).page
    assert found is not None and found.erp_keys == LIVE
    advanced = sql.search_actors_advanced(CID, "Account", [
        Restriction(field_key="name", operator=SearchOperator.BEGINS, values=["Account"])],
        ["name"]).page
    assert advanced is not None and advanced.erp_keys == LIVE
    children = sql.search_actors(CID, "Contact", "contact", ["name"]).page
    assert children is not None and children.erp_keys == ["1", "2", "3"]


def test_remaining_counts_what_the_reads_return(erp: Erp, tmp_path: Path) -> None:
    erp.set_deleted(3, True)
    for timestamps in (True, False):
        connector = erp.connect(tmp_path / f"timestamps-{timestamps}", timestamps=timestamps)
        try:
            if not timestamps:  # fingerprint mode: 3 was live once, then soft-deleted
                erp.set_deleted(3, False, bump=False)
                read_all(connector, "Account", 100)
                erp.set_deleted(3, True, bump=False)
            pages, _ = read_all(connector, "Account", 3)
            assert pages[0].remaining == len(keys_of(pages)) - 3
            expected = {str(i): i in GONE or i == 3 for i in range(1, ACCOUNTS + 1)}
            if not timestamps:  # never seen live: never reported
                expected = {k: d for k, d in expected.items() if int(k) not in GONE}
            assert flags(pages) == expected
        finally:
            connector.close()


# ---- fingerprint mode ---------------------------------------------------------------------------

def test_fingerprint_mode_treats_a_soft_deleted_row_as_deleted(erp: Erp, tmp_path: Path
                                                              ) -> None:
    connector = erp.connect(tmp_path, timestamps=False)
    try:
        pages, cursor = read_all(connector, "Account", 4)
        assert flags(pages) == {k: False for k in LIVE}  # 9 and 10 were never live
        erp.set_deleted(3, True, bump=False)  # no timestamp at all in this mode
        pages, cursor = read_all(connector, "Account", 4, cursor)
        assert changes(pages) == [("3", True, {"name": None, "city": None})]
        assert keys_of(read_all(connector, "Account", 4, cursor)[0]) == []  # once
        page = connector.get_actors(CID, "Account", ["3", "4"], []).page
        assert page is not None and page.erp_keys == ["4"]
        erp.set_deleted(3, False, bump=False)
        erp.set_deleted(10, False, bump=False)
        pages, cursor = read_all(connector, "Account", 4, cursor)
        assert sorted(changes(pages)) == [
            ("10", False, {"name": "Account 10", "city": "Köln"}),
            ("3", False, {"name": "Account 03", "city": "Gent"})]
        assert keys_of(read_all(connector, "Account", 4, cursor)[0]) == []
    finally:
        connector.close()


# ---- writing ------------------------------------------------------------------------------------

def test_saving_a_soft_deleted_actor_is_refused_and_writes_nothing(sql: SqlConnector, erp: Erp
                                                                 ) -> None:
    before = table_rows(erp.url, "account")
    result = sql.save_actors(CID, [
        Actor(actor_type="Account", erp_key="1", values={"city": "Oslo"}),
        Actor(actor_type="Account", erp_key="9", values={"city": "Oslo"})])
    assert not result.ok and result.error_code == "unknown_actor"
    assert result.user_message == "Account '9' is deleted in the ERP; nothing was saved."
    assert table_rows(erp.url, "account") == before  # all or nothing: 1 is untouched too
    child = sql.create_actor(CID, Actor(actor_type="Contact", parent_actor_type="Account",
                                        parent_erp_key="10", values={"name": "C"}))
    assert not child.ok and child.error_code == "bad_parent"
    assert child.user_message == "Parent Account '10' does not exist in the ERP."
    assert len(table_rows(erp.url, "account_contact")) == 4
    # A live actor saves; a new one is live (the integer flag is NOT NULL without a default).
    saved = sql.save_actors(CID, [Actor(actor_type="Account", erp_key="1",
                                        values={"city": "Oslo"})])
    assert saved.ok and saved.actors[0].values["city"] == "Oslo"
    created = sql.create_actor(CID, Actor(actor_type="Account", values={"name": "New"}))
    assert created.ok and created.actor is not None and not created.actor.deleted
    assert created.actor.erp_key == str(ACCOUNTS + 1)
    assert len(table_rows(erp.url, "account")) == ACCOUNTS + 1


# ---- configuration and scaffold -----------------------------------------------------------------

def test_an_unknown_or_unusable_deleted_column_is_refused(db_url: str, tmp_path: Path) -> None:
    Erp(db_url, "boolean").engine.dispose()
    path = tmp_path / "erp.yaml"
    connector = SqlConnector()
    try:
        path.write_text(descriptor_text("is_removed"), encoding="utf-8")
        result = connector.test_config({"url": db_url, "descriptor": str(path)})
        assert not result.ok and result.error_code == "unknown_identifier"
        assert result.user_message.startswith("The database has no column 'account.is_removed'")
        created = connector.create_connection(CID, {"url": db_url, "descriptor": str(path)})
        assert not created.ok and "account.is_removed" in created.user_message
        path.write_text(descriptor_text("note"), encoding="utf-8")  # a text column
        result = connector.test_config({"url": db_url, "descriptor": str(path)})
        assert not result.ok and result.error_code == "bad_descriptor"
        assert result.user_message == (
            "Soft-delete column 'account.note', 'account_contact.note' is not a boolean, "
            "number, date or timestamp column; choose another or leave it out.")
    finally:
        connector.close()


def test_the_descriptor_checks_the_deleted_setting() -> None:
    data = yaml.safe_load(descriptor_text("is_deleted"))
    assert parse_descriptor(data).actors["Account"].deleted == "is_deleted"
    data["actors"]["Account"]["deleted_column"] = data["actors"]["Account"].pop("deleted")
    with pytest.raises(DescriptorError, match=r"actors\.Account\.deleted_column: unknown key"):
        parse_descriptor(data)
    for column in ("name", "id", "updated_at"):
        data = yaml.safe_load(descriptor_text(column))
        with pytest.raises(DescriptorError, match=f"the soft-delete column '{column}' of "
                                                  f"Account is also its key, last_modified, "
                                                  f"parent or a field"):
            parse_descriptor(data)
    data = yaml.safe_load(descriptor_text("account_id"))
    with pytest.raises(DescriptorError, match="soft-delete column 'account_id' of Contact"):
        parse_descriptor(data)


def test_scaffold_proposes_the_soft_delete_column(db_url: str, tmp_path: Path) -> None:
    from erp_tui.connectors.sql.scaffold import scaffold_text

    engine = sa.create_engine(db_url)
    metadata = sa.MetaData()

    # Tables named for the actor types the CRM syncs (others are left out of the draft).
    def table(name: str, *columns: sa.Column[Any]) -> sa.Table:
        return sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("name", sa.String(40)), *columns)

    ledger = table("customer", sa.Column("updated_at", stamp_type()),
                   sa.Column("deleted_at", stamp_type()))
    item = table("supplier", sa.Column("is_deleted", sa.Boolean, nullable=False))
    flagged = table("project", sa.Column("del_flag", sa.Integer))
    memo = table("partner", sa.Column("deleted", sa.String(1)))  # text: not a usable flag
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(ledger), [
            {"id": 1, "name": "a", "updated_at": BASE_TIME, "deleted_at": None},
            {"id": 2, "name": "b", "updated_at": BASE_TIME, "deleted_at": BASE_TIME}])
        conn.execute(sa.insert(item), [{"id": 1, "name": "x", "is_deleted": False},
                                       {"id": 2, "name": "y", "is_deleted": True}])
        conn.execute(sa.insert(flagged), [{"id": 1, "name": "f", "del_flag": 0}])
        conn.execute(sa.insert(memo), [{"id": 1, "name": "m", "deleted": "N"}])
    engine.dispose()
    text = scaffold_text(db_url)
    actors = yaml.safe_load(text)["actors"]
    assert (actors["Customer"]["last_modified"], actors["Customer"]["deleted"]) == \
        ("updated_at", "deleted_at")
    assert actors["Supplier"]["deleted"] == "is_deleted"
    assert "last_modified" not in actors["Supplier"]
    assert actors["Project"]["deleted"] == "del_flag"
    assert "deleted" not in actors["Partner"] and "deleted" in actors["Partner"]["fields"]
    for entry in (actors["Customer"], actors["Supplier"]):
        assert entry["deleted"] not in entry["fields"]
    connector = make(db_url, tmp_path, descriptor=text)
    try:
        assert connector.test_connection(CID).ok
        ledger_page = connector.actors_changed_since(CID, "Customer", Cursor(), []).page
        assert ledger_page is not None and flags([ledger_page]) == {"1": False, "2": True}
        item_page = connector.actors_changed_since(CID, "Supplier", Cursor(), []).page
        assert item_page is not None and flags([item_page]) == {"1": False}
    finally:
        connector.close()
