"""A Docker daemon and a registry-free base image for the tests.

No registry is reachable from CI, so the base image (Debian bookworm with python3, venv
and pip) is built with ``debootstrap --variant=minbase`` from the configured Debian
mirror and imported with ``docker import``, once per machine (cached by tag).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

BASE_TAG = "pyfunc-test-base:bookworm"
BASE_PACKAGES = "python3,python3-venv,python3-pip,ca-certificates"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DAEMON_WAIT_SECONDS = 60
DEBOOTSTRAP_TIMEOUT = 1200
_LOCK = Path(tempfile.gettempdir()) / "pyfunc-docker-test-base.lock"
# Trimmed from the rootfs before import: documentation and package caches.
_TRIM = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "var/cache/apt/archives",
         "var/lib/apt/lists")  # fmt: skip


def docker_cli() -> str | None:
    return shutil.which("docker")


def daemon_answers() -> bool:
    cli = docker_cli()
    if cli is None:
        return False
    try:
        return subprocess.run([cli, "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_daemon() -> str | None:
    """Make sure a Docker daemon answers; None when it does, else why it cannot."""
    if daemon_answers():
        return None
    dockerd = shutil.which("dockerd")
    if docker_cli() is None:
        return "the docker CLI is not installed (run dev/docker-setup.sh)"
    if dockerd is None:
        return "no Docker daemon answers and dockerd is not installed (run dev/docker-setup.sh)"
    if os.geteuid() != 0:
        return "no Docker daemon answers and dockerd can only be started as root"
    log = open(Path(tempfile.gettempdir()) / "pyfunc-dockerd.log", "ab")
    subprocess.Popen([dockerd], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + DAEMON_WAIT_SECONDS
    while time.monotonic() < deadline:
        if daemon_answers():
            return None
        time.sleep(1)
    return f"dockerd was started but did not answer within {DAEMON_WAIT_SECONDS}s (see {log.name})"


def debian_mirror() -> str:
    """The Debian mirror apt is configured with here (deb822 or one-line sources)."""
    files = [*sorted(Path("/etc/apt").glob("sources.list.d/*.sources")), Path("/etc/apt/sources.list")]
    files += sorted(Path("/etc/apt").glob("sources.list.d/*.list"))
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError:
            continue
        for match in re.finditer(r"^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+)", text, re.MULTILINE):
            url = match.group(1)
            if re.search(r"/debian/?$", url):
                return url.rstrip("/")
    return DEFAULT_MIRROR


def image_exists(tag: str) -> bool:
    cli = docker_cli()
    return bool(cli) and subprocess.run([cli, "image", "inspect", tag], capture_output=True).returncode == 0


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    with open(_LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_base_image(tag: str = BASE_TAG) -> str:
    """Build (once) and return a python3 base image that needs no registry."""
    if image_exists(tag):
        return tag
    with _locked():
        if image_exists(tag):
            return tag
        debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
        if not Path(debootstrap).is_file():
            raise RuntimeError("debootstrap is not installed (run dev/docker-setup.sh)")
        with tempfile.TemporaryDirectory(prefix="pyfunc-rootfs-") as tmp:
            rootfs = Path(tmp) / "rootfs"
            cmd = [debootstrap, "--variant=minbase", f"--include={BASE_PACKAGES}", "bookworm", str(rootfs),
                   debian_mirror()]  # fmt: skip
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=DEBOOTSTRAP_TIMEOUT)
            if proc.returncode != 0:
                raise RuntimeError(f"debootstrap failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
            for rel in _TRIM:
                target = rootfs / rel
                if target.is_dir():
                    shutil.rmtree(target)
                    target.mkdir()
            tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
            imported = subprocess.run(
                [docker_cli(), "import", "--change", 'CMD ["/bin/bash"]', "--change", "ENV LANG=C.UTF-8",
                 "-", tag],
                stdin=tar.stdout, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            assert tar.stdout is not None
            tar.stdout.close()
            tar.wait()
            if imported.returncode != 0 or tar.returncode != 0:
                raise RuntimeError(f"docker import failed: {imported.stderr.strip()}")
    return tag


def glibc_version(image: str) -> str:
    """``glibc 2.36``: the C library of ``image`` (empty when it cannot be told)."""
    cli = docker_cli()
    if cli is None:
        return ""
    proc = subprocess.run(
        [cli, "run", "--rm", "--entrypoint", "getconf", image, "GNU_LIBC_VERSION"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return proc.stdout.strip() if proc.returncode == 0 else ""


if __name__ == "__main__":
    reason = ensure_daemon()
    if reason:
        raise SystemExit(reason)
    started = time.perf_counter()
    print(ensure_base_image(), f"ready in {time.perf_counter() - started:.0f}s")
