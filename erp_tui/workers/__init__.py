"""Workers on many hosts: `erp-tui worker` shares the syncs of a PostgreSQL store through
procrastinate, a job queue that keeps its jobs in that same database.

- `database`: the store's URL as a psycopg conninfo; the queue's schema, applied once.
- `app`: the procrastinate app, its tasks (one sync job per connection, the schedule tick)
  and deferring the syncs of the active connections.
- `schedule`: `--every` as the cron of the periodic schedule tick.
- `liveness`: each worker holds an advisory lock while it lives; the jobs of a worker whose
  lock is free (it died) are handed back to the queue at once.
- `signals`: SIGTERM, SIGHUP and SIGINT finish the running batch and stop the worker.
- `runtime`: one worker process, start to stop.

Nothing here is imported by `erp-tui --help`; the CLI imports `runtime` when the command runs.
"""
