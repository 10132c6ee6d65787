"""Memory and CPU of processes, sampled from /proc while a benchmark step runs (Linux only).

`Sampler` follows a process and every descendant it starts (the runner and its page reader;
dlt and its workers): the peak of their summed resident memory and their CPU seconds. Given a
database name it also follows the PostgreSQL backends serving that database (found by the name
in their process title, "postgres: ... user dbname host(port) ...") and sums their CPU.

Every `interval` seconds the processes of interest are read and new processes classified
(a process once found to be of no interest is not read again, which keeps a sample cheap). A
process living shorter than one interval may be missed, and one that ends loses at most one
interval of CPU time. The benchmark's own CPU figures come from getrusage; the tree's CPU here
is a cross-check, the backends' the only source. Resident
memory is summed over the processes, shared pages counted in each (as `ps` and `top` show it).
The server's shared background processes (WAL writer, checkpointer, autovacuum) are not
counted.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


class ProcStat:
    """The fields of /proc/PID/stat a sampler needs."""

    __slots__ = ("comm", "cpu_s", "ppid", "rss_bytes")

    def __init__(self, text: str) -> None:
        # comm is in parentheses and may hold spaces: split after its closing parenthesis.
        close = text.rindex(")")
        self.comm = text[text.index("(") + 1:close]
        rest = text[close + 2:].split()
        self.ppid = int(rest[1])
        self.cpu_s = (int(rest[11]) + int(rest[12])) / _TICKS
        self.rss_bytes = int(rest[21]) * _PAGE


def read_stat(pid: int) -> ProcStat | None:
    """The stat of process `pid`, or None when it has ended."""
    try:
        return ProcStat(Path(f"/proc/{pid}/stat").read_text())
    except (OSError, ValueError, IndexError):
        return None


def _title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


class Sampler:
    """Samples process `root` with its descendants (and the backends of database `dbname`)
    on a background thread while used as a context manager."""

    def __init__(self, root: int, dbname: str = "", interval: float = 0.05) -> None:
        self.root = root
        self._needle = f" {dbname} " if dbname else ""
        self._interval = interval
        self._tree: set[int] = {root}
        self._backends: set[int] = set()
        # Processes that are neither: never read again (a postgres process whose title does
        # not name the database yet is read again).
        self._others: set[int] = set()
        self._tree_cpu: dict[int, float] = {}
        self._backend_first: dict[int, float] = {}
        self._backend_last: dict[int, float] = {}
        self._first_sample = True
        self.peak_rss_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def sample(self) -> None:
        """Read the known processes and classify the new ones (by parent, by title)."""
        running = {int(name) for name in os.listdir("/proc") if name.isdigit()}
        self._others &= running
        stats: dict[int, ProcStat] = {}
        for pid in running - self._others:
            stat = read_stat(pid)
            if stat is not None:
                stats[pid] = stat
        new = {pid for pid in stats if pid not in self._tree and pid not in self._backends}
        grew = True
        while grew:  # a child may be seen in the same sample as its parent
            grew = False
            for pid in list(new):
                if stats[pid].ppid in self._tree:
                    self._tree.add(pid)
                    new.discard(pid)
                    grew = True
        for pid in new:
            if not self._needle or stats[pid].comm != "postgres":
                self._others.add(pid)
            elif self._needle in _title(pid):  # a backend names its database once it knows it
                self._backends.add(pid)
        self._take(stats)

    def _take(self, stats: dict[int, ProcStat]) -> None:
        tree = [pid for pid in self._tree if pid in stats]
        if tree:
            self.peak_rss_bytes = max(self.peak_rss_bytes,
                                      sum(stats[pid].rss_bytes for pid in tree))
        for pid in tree:
            self._tree_cpu[pid] = stats[pid].cpu_s
        for pid in self._backends:
            if pid in stats:
                # A backend running at the first sample counts from there; a later one from
                # its start.
                self._backend_first.setdefault(
                    pid, stats[pid].cpu_s if self._first_sample else 0.0)
                self._backend_last[pid] = stats[pid].cpu_s
        self._first_sample = False

    @property
    def peak_rss_mb(self) -> float:
        """The peak of the tree's summed resident memory, in MiB."""
        return self.peak_rss_bytes / 2**20

    @property
    def tree_cpu_s(self) -> float:
        """CPU seconds of the tree's processes as last seen (each from its own start)."""
        return sum(self._tree_cpu.values())

    @property
    def backend_cpu_s(self) -> float:
        """CPU seconds the database's backends used while sampled."""
        return sum(self._backend_last[p] - self._backend_first[p] for p in self._backend_last)
