"""The default worker count: CPUs this process may use (affinity, cgroup v1 and v2 quotas)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from pyfunc_scoring_server.process.cpus import available_cpus, cgroup_cpu_quota


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def v2_tree(root: Path, group: str, cpu_max: dict[str, str]) -> Path:
    """A cgroup v2 mount under ``root`` with ``cpu.max`` files at the given relative paths."""
    write(root / "cgroup.controllers", "cpu memory\n")
    for where, text in cpu_max.items():
        write(root / where / "cpu.max", text)
    proc = root.parent / "proc-self-cgroup"
    write(proc, f"0::{group}\n")
    return proc


def test_v2_quota_of_the_process_cgroup(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    proc = v2_tree(root, "/kubepods/pod1", {".": "max 100000\n", "kubepods/pod1": "150000 100000\n"})
    assert cgroup_cpu_quota(root, proc) == 1.5
    assert available_cpus(root, proc) == min(2, _affinity())


def test_v2_the_smallest_quota_along_the_path_applies(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    proc = v2_tree(root, "/a/b", {"a": "100000 100000\n", "a/b": "400000 100000\n"})
    assert cgroup_cpu_quota(root, proc) == 1.0
    assert available_cpus(root, proc) == 1


def test_v2_unlimited_is_none(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    proc = v2_tree(root, "/", {".": "max 100000\n"})
    assert cgroup_cpu_quota(root, proc) is None
    assert available_cpus(root, proc) == _affinity()


def test_v2_in_a_container_without_cgroup_namespace_reads_the_mount_root(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    proc = v2_tree(root, "/docker/abc123", {".": "50000 100000\n"})  # the host path is not mounted here
    assert cgroup_cpu_quota(root, proc) == 0.5
    assert available_cpus(root, proc) == 1  # a fraction of a CPU still gets one worker


def test_v2_hybrid_layout_under_unified(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    v2_tree(root / "unified", "/", {".": "200000 100000\n"})
    proc = tmp_path / "proc"
    write(proc, "4:memory:/x\n0::/\n")
    assert cgroup_cpu_quota(root, proc) == 2.0


def test_v1_cfs_quota(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    write(root / "cpu,cpuacct" / "cpu.cfs_quota_us", "-1\n")
    write(root / "cpu,cpuacct" / "cpu.cfs_period_us", "100000\n")
    write(root / "cpu,cpuacct" / "job" / "cpu.cfs_quota_us", "250000\n")
    write(root / "cpu,cpuacct" / "job" / "cpu.cfs_period_us", "100000\n")
    proc = tmp_path / "proc"
    write(proc, "5:memory:/job\n3:cpu,cpuacct:/job\n")
    assert cgroup_cpu_quota(root, proc) == 2.5
    assert available_cpus(root, proc) == min(3, _affinity())


def test_v1_unlimited_and_malformed_files_are_no_limit(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    write(root / "cpu" / "cpu.cfs_quota_us", "-1\n")
    write(root / "cpu" / "cpu.cfs_period_us", "100000\n")
    write(root / "cpu" / "odd" / "cpu.cfs_quota_us", "lots\n")
    write(root / "cpu" / "odd" / "cpu.cfs_period_us", "100000\n")
    proc = tmp_path / "proc"
    write(proc, "1:cpu:/odd\n")
    assert cgroup_cpu_quota(root, proc) is None
    assert available_cpus(root, proc) == _affinity()


def test_no_cgroup_files_at_all(tmp_path: Path) -> None:
    assert cgroup_cpu_quota(tmp_path / "none", tmp_path / "no-proc") is None
    assert available_cpus(tmp_path / "none", tmp_path / "no-proc") == _affinity()


def test_this_machine() -> None:
    """The real value: the affinity mask, less any cgroup quota this machine sets."""
    quota = cgroup_cpu_quota()
    expected = _affinity() if quota is None else max(1, min(_affinity(), math.ceil(quota)))
    assert available_cpus() == expected >= 1


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity")
def test_a_narrower_affinity_mask_is_honoured() -> None:
    """Pinned to one CPU (as ``taskset -c 0`` does), the count is 1, whatever the machine has."""
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
        assert available_cpus() == 1
    finally:
        os.sched_setaffinity(0, before)


def _affinity() -> int:
    count = getattr(os, "process_cpu_count", None)
    if count is not None:
        return count() or 1
    return len(os.sched_getaffinity(0))
