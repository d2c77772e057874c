"""The directory prometheus_client's multiprocess mode keeps each worker's metric files in.

`counselbot serve --workers N` prepares it before uvicorn starts the workers, which inherit
PROMETHEUS_MULTIPROC_DIR from the environment: COUNSELBOT_METRICS_DIR, else PROMETHEUS_MULTIPROC_DIR,
else a fresh private temporary directory removed when the server stops. It is emptied at start: the
files of a previous run would add that run's counts (under process ids that may come back) to this
one's. One directory per server: two servers sharing one would each wipe and add up the other's.

A single process needs none (its counters are in memory) and ignores COUNSELBOT_METRICS_DIR; given
PROMETHEUS_MULTIPROC_DIR in its environment, prometheus_client uses it anyway, so it is prepared too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextlib.contextmanager
def metrics_directory(configured: Path | None, workers: int) -> Iterator[Path | None]:
    """The directory, ready and empty, named in the environment for the workers (None: in memory)."""
    given = os.environ.get(ENV) or None
    if workers > 1 and configured is not None:
        given = str(configured)
    if given is None and workers <= 1:
        yield None
        return
    created = given is None
    path = Path(tempfile.mkdtemp(prefix="counselbot-metrics-")) if given is None else Path(given)
    if not created:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        empty(path)
    before = os.environ.get(ENV)
    os.environ[ENV] = str(path)
    try:
        yield path
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
        if created:
            shutil.rmtree(path, ignore_errors=True)


def empty(path: Path) -> None:
    """Remove prometheus_client's files (`counter_<pid>.db` and the like), nothing else."""
    for file in path.glob("*.db"):
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
