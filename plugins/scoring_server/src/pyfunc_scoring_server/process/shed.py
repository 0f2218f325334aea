"""The supervisor lets go of the model by re-executing itself once the first workers are up.

The supervisor loads a fork-safe model before forking so that the workers share its pages.
From then on it only watches them, yet it still holds the model and every library it
imported, and each page that every worker wrote to (a reference count, a reused block of the
allocator) exists once per worker plus the supervisor's original, which nothing uses any
more: 10-25 MB for a scikit-learn model and two workers, growing as the workers serve. So
once every first worker is ready, the supervisor execs a fresh interpreter running the same
watch loop in the same process (same pid: the workers stay its children), handed what
watching needs: the listening socket and the shared connection balance as inherited file
descriptors, its bookkeeping in an unnamed file (``marshal``). It then holds ~4 MB, and
imports nothing it does not use (not even ``typing``). A worker started after that
(because one died) loads its own copy of the model.

SIGTERM and SIGINT are blocked across the exec (the signal mask survives it), so a stop asked
meanwhile reaches the new process's handlers instead of killing it half-way. If the exec
fails, or ``PYFUNC_SCORING_SERVER_REEXEC=0``, the supervisor carries on as it was.

Run as ``python -m pyfunc_scoring_server.process.shed FD ...``: FD holds the bookkeeping; the
other arguments are the original command line's, there for ``ps``.
"""

from __future__ import annotations

import logging
import marshal
import os
import signal
import sys

from pyfunc_scoring_server.process.supervisor import STOP_SIGNALS, Supervisor

TYPE_CHECKING = False  # not typing's (see .supervisor)
if TYPE_CHECKING:
    from typing import Any

logger = logging.getLogger("pyfunc_scoring_server")

REEXEC_ENV = "PYFUNC_SCORING_SERVER_REEXEC"


def reexec(supervisor: Supervisor) -> None:
    """Replace this process with a lean supervisor; returns only if that is off or failed."""
    if os.environ.get(REEXEC_ENV, "1") == "0" or not sys.executable:
        return
    import tempfile

    # A stop signal taken by another thread of this process (a BLAS pool's: only this thread
    # blocks them) would be lost with the old image; Python's C handler also writes its number
    # to the wakeup pipe, which the new process reads.
    wake_read, wake_write = os.pipe()
    try:
        state = supervisor.handover()
        state["path"] = sys.path
        state["log_level"] = logger.level
        state["wakeup"] = wake_read
        with tempfile.TemporaryFile() as f:
            marshal.dump(state, f)
            f.flush()
            handed = os.dup(f.fileno())  # the file itself is already unlinked
    except Exception as exc:  # e.g. options another plugin extended with something unpicklable
        logger.warning("the supervisor keeps the model: its state cannot be handed over (%s)", exc)
        os.close(wake_read)
        os.close(wake_write)
        return
    os.lseek(handed, 0, os.SEEK_SET)
    for fd in (handed, state["sock"], state["balance"], wake_read):
        os.set_inheritable(fd, True)
    os.set_blocking(wake_write, False)
    argv = [sys.executable, "-m", __name__, str(handed), *sys.argv[1:]]
    previous_wakeup = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    for handler in logger.handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    failure = "a stop was asked first"
    if not supervisor.stopping:
        try:
            os.execv(sys.executable, argv)
        except OSError as exc:
            failure = f"re-executing it failed ({exc})"
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    signal.set_wakeup_fd(previous_wakeup)
    for fd in (handed, wake_read, wake_write):
        os.close(fd)
    if not supervisor.stopping:
        logger.warning("the supervisor keeps the model: %s", failure)


def stop_asked_during_exec(wakeup: int) -> bool:
    """Whether a stop signal reached the old image after the wakeup pipe was set."""
    asked = b""
    try:
        os.set_blocking(wakeup, False)
        while chunk := os.read(wakeup, 512):
            asked += chunk
    except BlockingIOError:
        pass
    finally:
        os.close(wakeup)
    return any(signum in asked for signum in STOP_SIGNALS)


def resume(state: dict[str, Any]) -> int:
    """Carry on supervising as ``state`` describes, until the server stops; the exit code."""
    from pyfunc_scoring_server.process.server import configure_logging, ignore_stop_signals

    sys.path[:] = state["path"]
    configure_logging()
    logger.setLevel(state["log_level"])
    supervisor = Supervisor.taken_over(state)
    supervisor.stopping = stop_asked_during_exec(state["wakeup"])
    logger.debug("supervisor %d re-executed without the model", os.getpid())
    try:
        return supervisor.run()
    finally:
        ignore_stop_signals()
        if supervisor.cleanup_dir:
            import shutil

            shutil.rmtree(supervisor.cleanup_dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    with os.fdopen(int(argv[1]), "rb") as f:
        state = marshal.load(f)
    return resume(state)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
