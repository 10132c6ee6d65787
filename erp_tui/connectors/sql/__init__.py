"""The SQL connector: actors stored in tables of SQLite, PostgreSQL or MariaDB/MySQL.

`connector.SqlConnector` implements the contract, `descriptor` the YAML mapping of actor types to
tables, `changes` change detection for tables without a last-modified column, and `scaffold` a
first descriptor reflected from a database.
"""
