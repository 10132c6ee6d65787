"""The demo: a small CRM and two sample ERP connections, configured through the same services
the UI and CLI use (so the demo is also a walk through every rule)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert
from sqlmodel import select

from erp_tui.context import AppContext
from erp_tui.errors import ErpTuiError
from erp_tui.i18n import msg
from erp_tui.model import Connection, CrmCompany, CrmPerson, CrmProject, utc_now
from erp_tui.rules import DefaultSpec, Direction

NORDIC = "Nordic Trading AB"
DUTCH = "Dutch Wholesale BV"
DEMO_API_KEY = "demo-key"

_PREFERRED: dict[str, dict[str, Direction]] = {
    # actor -> erp field -> direction (fields auto-mapped by key get these directions)
    "Customer": {"name": Direction.BOTH, "vatno": Direction.BOTH, "phone": Direction.BOTH,
                 "email": Direction.BOTH, "url": Direction.TO_CRM,
                 "postal_address1": Direction.BOTH, "postal_zip": Direction.BOTH,
                 "postal_city": Direction.BOTH, "country": Direction.BOTH,
                 "category": Direction.TO_CRM},
    # Suppliers too: their people sit under them (a person waits for its parent company).
    "Supplier": {"name": Direction.BOTH, "vatno": Direction.BOTH, "phone": Direction.BOTH,
                 "email": Direction.BOTH, "url": Direction.TO_CRM},
    "Person": {"firstname": Direction.BOTH, "lastname": Direction.BOTH,
               "middlename": Direction.BOTH, "title": Direction.BOTH, "email": Direction.BOTH,
               "phone": Direction.BOTH, "mobile": Direction.BOTH, "birthdate": Direction.TO_CRM},
    "Project": {"name": Direction.BOTH, "status": Direction.TO_CRM, "enddate": Direction.BOTH,
                "text": Direction.BOTH, "url": Direction.TO_CRM},
}
# User-defined company fields of the demo (typed: the sample ERP's Customer has a decimal and a
# checkbox of the same keys, so they map by key), synced in the active demo connection.
_USER_FIELDS = (("credit_limit", "Credit limit", "Kredietlimiet", "decimal"),
                ("blocked", "Blocked", "Geblokkeerd", "checkbox"))
_USER_FIELD_DIRECTIONS = {"credit_limit": Direction.TO_CRM, "blocked": Direction.BOTH}


@dataclass
class DemoSummary:
    """What the demo created (or found)."""

    data_dir: Path
    database_url: str
    connections: list[str] = field(default_factory=list)
    created: bool = True
    crm_companies: int = 0

    def describe(self) -> str:
        values = {"folder": str(self.data_dir), "connections": ", ".join(self.connections),
                  "count": self.crm_companies}
        if self.created:
            return msg("Created the demo in {folder}: connections {connections}; {count} CRM "
                       "companies.", **values)
        return msg("Found the demo in {folder}: connections {connections}; {count} CRM "
                   "companies.", **values)


def build_demo(ctx: AppContext, *, size: int = 200, extra_fields: int = 0, reset: bool = False,
               progress: Callable[[str], None] = lambda _: None) -> DemoSummary:
    """Create the demo once (idempotent); `reset` throws an earlier demo away first."""
    if size < 1:
        raise ErpTuiError(msg("--size must be at least 1."))
    demo_dir = ctx.settings.data_dir / "demo"
    summary = DemoSummary(demo_dir, _safe_url(ctx.settings.resolved_database_url()),
                          [NORDIC, DUTCH])
    with ctx.session() as session:
        existing = session.exec(select(Connection).where(
            Connection.name.in_([NORDIC, DUTCH]))).all()  # type: ignore[attr-defined]
        if existing and not reset:
            summary.created = False
            summary.crm_companies = session.exec(select(func.count()).select_from(CrmCompany)
                                                 ).one()
            return summary
        for connection in existing:
            session.delete(connection)
    from erp_tui.connectors.sample_data import generate_sample_erp

    demo_dir.mkdir(parents=True, exist_ok=True)
    nordic_file = demo_dir / "erp-nordic.sqlite"
    dutch_file = demo_dir / "erp-dutch.sqlite"
    progress(msg("Generating sample ERP with {count} customers ...", count=size))
    generate_sample_erp(nordic_file, customers=size, suppliers=max(1, size // 5),
                        projects=max(1, size // 4), extra_fields=extra_fields, seed=1,
                        flavour="nordic", api_key=DEMO_API_KEY, company_name=NORDIC,
                        overwrite=True)
    generate_sample_erp(dutch_file, customers=max(1, size // 2), suppliers=max(1, size // 10),
                        projects=max(1, size // 8), seed=2, flavour="dutch",
                        api_key=DEMO_API_KEY, company_name=DUTCH, overwrite=True)
    progress(msg("Filling the CRM ..."))
    summary.crm_companies = _seed_crm(ctx, max(20, size // 4))
    _add_user_fields(ctx)
    progress(msg("Configuring '{name}' ...", name=NORDIC))
    _configure(ctx, NORDIC, nordic_file, activate=True)
    progress(msg("Configuring '{name}' ...", name=DUTCH))
    _configure(ctx, DUTCH, dutch_file, activate=False)
    return summary


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _add_user_fields(ctx: AppContext) -> None:
    """The demo's user-defined company fields (kept when they exist from an earlier demo)."""
    from erp_tui.services import crm_fields

    present = {f.key for f in crm_fields.list_fields(ctx, "company")}
    for key, label, label_nl, type_name in _USER_FIELDS:
        if key not in present:
            crm_fields.add_field(ctx, crm_fields.NewField("company", key, label, type_name,
                                                          label_nl=label_nl))


def _configure(ctx: AppContext, name: str, erp_file: Path, *, activate: bool) -> None:
    from erp_tui.services import connections, defaults, lists, mappings

    draft = connections.ConnectionDraft(
        name=name, connector="sample",
        values={"database": str(erp_file), "api_key": DEMO_API_KEY, "environment": "production",
                "page_size": 5000},
        scope="everyone", conflict_policy="newest_wins" if activate else "erp_wins")
    outcome = connections.test_draft(ctx, draft)
    connection_id = connections.save_draft(ctx, draft, outcome)

    state = mappings.load_mappings(ctx, connection_id)
    for tab in state.tabs:
        preferred = _PREFERRED.get(tab.actor_type, {})
        tab.enabled = tab.actor_type in _PREFERRED and (activate or tab.actor_type == "Customer")
        for row in tab.rows:
            if tab.actor_type == "Customer" and row.erp.key == "customer_no":
                mappings.set_crm_field(tab, row, "number1")
                mappings.set_direction(tab, row, Direction.TO_CRM)
            wanted = preferred.get(row.erp.key)
            if activate and tab.actor_type == "Customer" and row.crm_field is not None:
                wanted = _USER_FIELD_DIRECTIONS.get(row.crm_field, wanted)
            if wanted is None or row.crm_field is None:
                continue
            if not activate and row.erp.mandatory:
                continue  # the Dutch demo shows a refused activation
            mappings.set_direction(tab, row, wanted)
            row.show_in_search = row.erp.key in ("name", "lastname", "email")
            row.show_on_tab = row.direction is None
    mappings.save_mappings(ctx, state)

    for mapped in lists.mapped_lists(ctx, connection_id):
        list_state = lists.load_list_mapping(ctx, connection_id, mapped.erp_list,
                                             mapped.crm_list)
        lists.save_list_mapping(ctx, list_state)

    defaults_state = defaults.load_defaults(ctx, connection_id)
    customer = defaults_state.tab("Customer")
    terms = customer.field("payment_terms")
    if terms is not None:
        first = next(iter(customer.list_items.get(terms.list_name, {})), "")
        if first:
            defaults.save_default(ctx, connection_id, "Customer",
                                  DefaultSpec("payment_terms", True, first, False, True))
    if customer.field("currency") is not None:
        defaults.save_default(ctx, connection_id, "Customer",
                              DefaultSpec("currency", False, "", True, False))
    if activate:
        connections.activate(ctx, connection_id)


_FIRST = ["Anna", "Lars", "Sofie", "Bram", "Ingrid", "Jesper", "Eva", "Mårten", "Noor", "Sven",
          "Frida", "Daan", "Björn", "Emma", "Jørgen", "Liv", "Sanne", "Åsa", "Thijs", "Helmi"]
_LAST = ["Andersson", "de Vries", "Hansen", "Jansen", "Nieminen", "Bakker", "Lindqvist",
         "van Dijk", "Ødegaard", "Visser", "Johansson", "Smit", "Berg", "Mulder", "Virtanen"]
_STEMS = ["Fjord", "Polder", "Nord", "Tulp", "Skog", "Dijk", "Havn", "Molen", "Sjö", "Berg",
          "Linde", "Vliet", "Ek", "Duin", "Älv", "Gracht"]
_KINDS = ["Trading", "Logistics", "Systems", "Foods", "Design", "Bouw", "Marine", "Consult"]
_SUFFIX = {"SE": "AB", "NO": "AS", "DK": "ApS", "FI": "Oy", "NL": "BV", "BE": "NV"}
_CITIES = {"SE": ["Stockholm", "Göteborg", "Malmö"], "NO": ["Oslo", "Bergen", "Tromsø"],
           "DK": ["København", "Aarhus"], "FI": ["Helsinki", "Espoo"],
           "NL": ["Amsterdam", "Utrecht", "Groningen"], "BE": ["Antwerpen", "Gent"]}


def _seed_crm(ctx: AppContext, companies: int) -> int:
    """Add demo CRM companies with a person each and some projects (bulk inserts)."""
    rng = random.Random(7)
    now = utc_now()
    from erp_tui.runner import crm

    with ctx.session() as session:
        conn = session.connection()
        start = session.exec(select(func.count()).select_from(CrmCompany)).one()
        stamps = crm.next_stamps(conn, "company", companies)
        rows = []
        for i in range(companies):
            country = rng.choice(list(_CITIES))
            name = f"{rng.choice(_STEMS)} {rng.choice(_KINDS)} {_SUFFIX[country]}"
            rows.append({"name": name, "number1": f"CRM{start + i + 1:05}",
                         "phone": f"+{rng.randint(30, 49)} {rng.randint(100000, 999999)}",
                         "email": f"info{i}@example.com", "url": f"https://example.com/{i}",
                         "postal_city": rng.choice(_CITIES[country]), "country": country,
                         "category": rng.choice(["customer", "prospect", "partner"]),
                         "created": now, "updated": now, "change_stamp": stamps[i]})
        session.execute(insert(CrmCompany), rows)
        ids = session.exec(select(CrmCompany.id).order_by(CrmCompany.id.desc())  # type: ignore[union-attr]
                           .limit(companies)).all()
        person_stamps = crm.next_stamps(conn, "person", len(ids))
        people = [{"company_id": company_id, "firstname": rng.choice(_FIRST),
                   "lastname": rng.choice(_LAST), "email": f"p{company_id}@example.com",
                   "created": now, "updated": now, "change_stamp": person_stamps[n]}
                  for n, company_id in enumerate(ids)]
        session.execute(insert(CrmPerson), people)
        project_count = max(5, companies // 5)
        project_stamps = crm.next_stamps(conn, "project", project_count)
        projects = [{"name": f"Project {rng.choice(_STEMS)} {i + 1}", "number": f"P{i + 1:04}",
                     "status": rng.choice(["planned", "active", "completed"]),
                     "type": "customer", "created": now, "updated": now,
                     "change_stamp": project_stamps[i]}
                    for i in range(project_count)]
        session.execute(insert(CrmProject), projects)
        total: int = session.exec(select(func.count()).select_from(CrmCompany)).one()
        return total
