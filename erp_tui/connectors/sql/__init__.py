"""The SQL connector: actors stored in tables of SQLite, PostgreSQL or MariaDB/MySQL.

`connector.SqlConnector` implements the contract with the help of:

* `settings`: the connection's settings (fields and their checked form);
* `descriptor`: the YAML mapping of actor types to tables;
* `binding`: a connection bound to its database (descriptor reflected and checked);
* `values`: values between the contract and the database;
* `reading`: pages by key and the changes since a cursor;
* `search`: text search and advanced-search conditions;
* `writing`: new rows and updates, checked before anything is written;
* `changes`: change detection for tables without a last-modified column;
* `scaffold`: a first descriptor reflected from a database.
"""
