"""Load columns of one table of a SQLite file with dlt: the benchmark's comparison.

Run by bench/bench_sync.py with the Python of a separate virtual environment that has dlt
(dlt is never a dependency of erp-tui); imports nothing of erp-tui. One JSON argument:

    {"source": "sqlite:////path/erp.sqlite", "table": "customer", "columns": [...],
     "destination": "sqlite" | "postgres", "destination_url": "...",
     "pipelines_dir": "...", "loader_file_format": "parquet" | "csv" | ... | ""}

Prints one JSON line: seconds and CPU seconds of `pipeline.run` (this process plus the worker
processes it waited for), dlt's version and the loader file format used. The source is
`sql_table` with `included_columns` (exactly the given columns) and the pyarrow backend.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(spec: dict[str, Any]) -> dict[str, Any]:
    import dlt
    from dlt.sources.sql_database import sql_table

    if spec["destination"] == "postgres":
        destination: Any = dlt.destinations.postgres(credentials=spec["destination_url"])
        dataset = "dlt_bench"
    else:
        destination = dlt.destinations.sqlalchemy(credentials=spec["destination_url"])
        dataset = "main"  # SQLite's own database: the table lands in the destination file
    source = sql_table(credentials=spec["source"], table=spec["table"],
                       included_columns=spec["columns"], backend="pyarrow")
    pipeline = dlt.pipeline(pipeline_name="bench", destination=destination,
                            dataset_name=dataset, pipelines_dir=spec["pipelines_dir"])
    run_kwargs: dict[str, Any] = {}
    if spec.get("loader_file_format"):
        run_kwargs["loader_file_format"] = spec["loader_file_format"]
    cpu = cpu_seconds()
    start = time.perf_counter()
    info = pipeline.run(source, **run_kwargs)
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu
    formats = sorted({job.job_file_info.file_format for package in info.load_packages
                      for job in package.jobs.get("completed_jobs", [])})
    return {"seconds": seconds, "cpu_s": cpu, "dlt_version": dlt.__version__,
            "loader_file_formats": formats, "dataset": dataset,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
