"""The test suite. A package, like each of its folders, so that tests import shared helpers by
name (`tests.store_support`, `.dialog_fixtures` within tests/ui) although pytest runs with
`--import-mode=importlib` and puts no test folder on `sys.path`.

Fixtures live in the conftest.py files (tests/conftest.py: a store per test, the demo, two
sample connections, a PostgreSQL database); helpers in the *_support modules:
- store_support: the demo's connection names, sample connections, frozen timestamps;
- db_support: throw-away databases on the PostgreSQL and MariaDB test servers;
- cli_support: `erp-tui` run in the test process, and its console script;
- screen_support: what the terminal of a running app shows;
- wait_support: a service or connector call held until the test lets it go;
- list_support, erp_support: list mappings, the ERP tab and search set-ups;
- connectors/ (erp_builders, sync_support, http_fixtures, http_proxy) and ui/ (crm_support,
  dialog_fixtures): helpers of those folders' tests.
"""
