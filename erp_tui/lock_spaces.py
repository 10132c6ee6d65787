"""The first keys of every two-key PostgreSQL advisory lock erp-tui takes, in one place so that
no two uses share one (a worker's lock once blocked the stamp writers that way).

Each is four ASCII letters read as a 32-bit number; the second key says which connection,
entity, table or worker the lock is of (see the module named beside each).
"""

from __future__ import annotations

RUN = 0x45525054  # "ERPT": a connection's run (runner.lock)
STAMP_ALLOCATION = 0x45525053  # "ERPS": one stamp allocator at a time (runner.crm)
STAMP_WRITERS = 0x45525057  # "ERPW": transactions holding new stamps (runner.crm)
ID_ALLOCATION = 0x45525049  # "ERPI": one id allocator at a time (runner.crm)
BULK_INDEXES = 0x45525058  # "ERPX": a table's suspended indexes (runner.bulk_indexes)
WORKERS = 0x45525051  # "ERPQ": the queue's schema and each live worker (workers)

ALL = (RUN, STAMP_ALLOCATION, STAMP_WRITERS, ID_ALLOCATION, BULK_INDEXES, WORKERS)
assert len(set(ALL)) == len(ALL), "two advisory lock spaces share a first key"
