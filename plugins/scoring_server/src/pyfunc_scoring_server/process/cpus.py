"""How many CPUs this process may use: the default number of workers.

``os.cpu_count()`` counts the machine's CPUs, which is wrong in two common places: a process
pinned to fewer CPUs (``taskset``, Kubernetes' static CPU manager: the affinity mask) and a
container whose CPU time is capped by its cgroup (``docker run --cpus 2``, a Kubernetes CPU
limit: ``cpu.max`` in cgroup v2, ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` in v1). Workers
beyond that only fight over the same CPU time, each with its own copy of the request path.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Callable

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def available_cpus(cgroup_root: str | Path = CGROUP_ROOT, proc_cgroup: str | Path = PROC_CGROUP) -> int:
    """CPUs this process may use: its affinity mask, capped by its cgroup's CPU quota; at least 1.

    The quota is rounded up (``--cpus 1.5`` gives 2): a fractional CPU still runs a worker
    part of the time. The paths are parameters so that tests can point them at files of their own.
    """
    count = _affinity_cpus()
    quota = cgroup_cpu_quota(cgroup_root, proc_cgroup)
    if quota is not None:
        count = min(count, math.ceil(quota))
    return max(1, count)


def _affinity_cpus() -> int:
    process_cpu_count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if process_cpu_count is not None:
        return process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def cgroup_cpu_quota(
    cgroup_root: str | Path = CGROUP_ROOT, proc_cgroup: str | Path = PROC_CGROUP
) -> float | None:
    """The CPU quota (in CPUs) of this process's cgroup and its ancestors, None when unlimited.

    ``proc_cgroup`` is ``/proc/self/cgroup`` (one ``id:controllers:path`` line per hierarchy);
    ``cgroup_root`` is where the hierarchies are mounted. cgroup v2 (``0::path``) keeps
    ``cpu.max`` (``"max 100000"`` or ``"QUOTA PERIOD"``) in the unified tree; v1 keeps
    ``cpu.cfs_quota_us`` (``-1``: unlimited) and ``cpu.cfs_period_us`` under the ``cpu``
    controller's mount. The smallest quota along the path is the one that applies. Inside a
    container the path named may not exist under the container's own mount (no cgroup
    namespace): then the mount's root is the container's cgroup.
    """
    root = Path(cgroup_root)
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return None
    quotas: list[float] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":  # cgroup v2
            for base in (root, root / "unified"):
                if (base / "cgroup.controllers").exists():
                    quotas += _walk(base, path, _v2_quota)
                    break
        elif "cpu" in controllers.split(","):
            for name in (controllers, "cpu", "cpu,cpuacct", "cpuacct,cpu"):
                if (root / name).is_dir():
                    quotas += _walk(root / name, path, _v1_quota)
                    break
    return min(quotas) if quotas else None


def _walk(mount: Path, path: str, read: Callable[[Path], float | None]) -> list[float]:
    """The quotas found in ``mount/path`` and each ancestor up to the mount itself."""
    here = mount / path.strip("/")
    if not here.is_dir():
        here = mount
    found: list[float] = []
    while True:
        quota = read(here)
        if quota is not None:
            found.append(quota)
        if here == mount or mount not in here.parents:
            return found
        here = here.parent


def _v2_quota(directory: Path) -> float | None:
    try:
        fields = (directory / "cpu.max").read_text().split()
    except OSError:
        return None
    if len(fields) < 1 or fields[0] == "max":
        return None
    try:
        quota = int(fields[0])
        period = int(fields[1]) if len(fields) > 1 else 100_000
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def _v1_quota(directory: Path) -> float | None:
    try:
        quota = int((directory / "cpu.cfs_quota_us").read_text().strip())
        period = int((directory / "cpu.cfs_period_us").read_text().strip())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None
