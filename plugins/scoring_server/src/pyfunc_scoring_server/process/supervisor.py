"""The supervisor: forks N workers on one pre-bound socket and keeps them running.

It forks the workers (sharing the model it loaded, or each loading its own), announces the
server once every worker is ready, restarts a worker that dies after it was ready, kills and
replaces a ready worker whose heartbeat stopped for ``hung_after`` seconds, and on
SIGTERM/SIGINT forwards SIGTERM to every worker and waits for them to drain. Once the first
workers are up, a supervisor that holds the model re-executes itself without it
(:mod:`.shed`); a worker started after that loads its own model.

This module is what that lean supervisor runs: it imports nothing heavy at module level.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

from pyfunc_scoring_server.process.balance import ConnectionBalance

TYPE_CHECKING = False  # not typing's: importing typing costs the lean supervisor 1.6 MB
if TYPE_CHECKING:
    import socket
    from typing import Any

    from pyfunc_scoring_server.options import ScoringOptions
    from pyfunc_scoring_server.process.balance import WorkerSlot
    from pyfunc_scoring_server.process.workers import LoadedModel

logger = logging.getLogger("pyfunc_scoring_server")

#: A worker that dies this many times within RESTART_WINDOW seconds stops the server.
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
#: Extra seconds beyond --timeout that a draining worker may take before it is killed.
DRAIN_GRACE = 10.0
#: Seconds a ready worker may go without a heartbeat before it is killed and replaced; the
#: default is max(120, 3 x --timeout). Its event loop beats unless the loop itself is stuck
#: (native code holding the GIL) or a predict call has run that long.
HUNG_AFTER_ENV = "PYFUNC_SCORING_SERVER_HUNG_SECONDS"


def hung_after(options: ScoringOptions) -> float:
    """Heartbeat silence after which a worker counts as hung."""
    given = os.environ.get(HUNG_AFTER_ENV)
    if given:
        try:
            return max(float(given), 1.0)
        except ValueError:
            logger.warning("ignoring %s=%r: not a number of seconds", HUNG_AFTER_ENV, given)
    return max(120.0, 3 * options.timeout)


class Supervisor:
    """Forks ``options.workers`` workers on one pre-bound socket and keeps them running.

    ``preloaded``: the model this process loaded, shared by the workers it forks."""

    def __init__(
        self, options: ScoringOptions, sock: socket.socket, preloaded: LoadedModel | None = None
    ) -> None:
        self.options: ScoringOptions | None = options
        self.options_blob = b""  # the pickled options, when this process has not unpickled them
        self.sock: socket.socket | None = sock
        self.sock_fd = sock.fileno()
        self.preloaded = preloaded
        self.workers: dict[int, int] = {}  # pid -> ready pipe read end (-1 once ready)
        self.count = options.workers or 1  # settled by ScoringOptions.with_workers
        self.timeout = options.timeout
        self.address = f"http://{options.host}:{options.port}: model {options.name!r}"
        self.balance = ConnectionBalance(self.count)
        self.slots: dict[int, WorkerSlot] = {}  # pid -> its connection-balance slot
        self.stopping = False
        self.restarts: list[float] = []
        self.ready_at: dict[int, float] = {}  # pid -> when it reported ready
        self.announced_at = 0.0  # when every first worker was ready (0: not yet)
        self.hung_after = hung_after(options)
        self.cleanup_dir: str | None = None  # removed when the server stops (see .shed)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked across a re-exec
        if not self.workers:
            for _ in range(self.count):
                self._spawn()
        failed = False
        while not self.stopping:
            if self._all_ready() and not self.announced_at:
                logger.info("listening on %s, %d workers ready", self.address, self.count)
                self.balance.open_gate()
                self.announced_at = time.monotonic()
                if self.preloaded is not None:
                    self._let_go_of_the_model()
            self._kill_hung()
            if self._reap_and_restart():
                failed = True
                break
            time.sleep(0.05)
        return self._shutdown(failed)

    def _let_go_of_the_model(self) -> None:
        """Re-execute as a lean supervisor (returns only if that is off or failed), else at
        least page out the library files only this process maps."""
        from pyfunc_scoring_server.process.file_pages import release_file_pages
        from pyfunc_scoring_server.process.shed import reexec

        reexec(self)
        release_file_pages()

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def worker_options(self) -> ScoringOptions:
        """The options a forked worker runs with (unpickled in the worker, if need be)."""
        if self.options is None:
            import pickle

            self.options = pickle.loads(self.options_blob)
        return self.options

    def _spawn(self) -> None:
        read_fd, write_fd = os.pipe()
        slot = self.balance.take()
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(read_fd)
            for fd in self.workers.values():
                if fd >= 0:
                    os.close(fd)
            self._worker_main(write_fd, slot)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        self.workers[pid] = read_fd
        self.slots[pid] = slot

    def _worker_main(self, write_fd: int, slot: WorkerSlot) -> None:
        """A forked worker's whole life: serve, then exit the process."""
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            from pyfunc_core.errors import PyfuncError
            from pyfunc_scoring_server.process.heap import limit_malloc_arenas
            from pyfunc_scoring_server.process.workers import run_worker

            limit_malloc_arenas()  # a re-executed supervisor did not inherit the setting
            try:
                import socket

                sock = self.sock or socket.socket(fileno=self.sock_fd)
                code = run_worker(self.worker_options(), sock, write_fd, self.preloaded, slot)
            except PyfuncError as exc:
                print(f"Error: worker {os.getpid()}: {exc}", file=sys.stderr, flush=True)
        except BaseException as exc:
            logger.exception("worker %d crashed: %s", os.getpid(), exc)
        finally:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _all_ready(self) -> bool:
        ready = True
        for pid, fd in list(self.workers.items()):
            if fd < 0:
                continue
            try:
                got = os.read(fd, 1)
            except BlockingIOError:
                ready = False
                continue
            if got:
                os.close(fd)
                self.workers[pid] = -1
                self.ready_at[pid] = time.monotonic()
            else:
                ready = False
        return ready

    def _kill_hung(self) -> None:
        """SIGKILL a ready worker whose heartbeat stopped; reaping then replaces it."""
        if not self.announced_at:  # ready workers wait at the start gate without beating
            return
        now = time.monotonic()
        for pid, since in list(self.ready_at.items()):
            last = max(since, self.announced_at, self.balance.last_beat(self.slots[pid]))
            if now - last > self.hung_after:
                logger.error("worker %d is hung (no heartbeat for %.0fs); killing it", pid, now - last)
                del self.ready_at[pid]
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def _reap_and_restart(self) -> bool:
        """Reap dead workers; restart those that had been ready. True means give up."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return False
            fd = self.workers.pop(pid, None)
            if fd is None:
                continue
            self.ready_at.pop(pid, None)
            self.balance.release(self.slots.pop(pid))
            _mark_worker_dead(pid)
            code = os.waitstatus_to_exitcode(status)
            if fd >= 0:
                try:
                    became_ready = os.read(fd, 1) == b"1"
                except BlockingIOError:
                    became_ready = False
                os.close(fd)
                if not became_ready:
                    logger.error("worker %d exited with code %d before it was ready", pid, code)
                    return True
            now = time.monotonic()
            self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW] + [now]
            if len(self.restarts) > MAX_RESTARTS:
                logger.error(
                    "workers keep dying (%d restarts in %.0fs); stopping", len(self.restarts), RESTART_WINDOW
                )
                return True
            logger.warning("worker %d exited with code %d; starting a new one", pid, code)
            self._spawn()

    def _shutdown(self, failed: bool) -> int:
        if self.sock is not None:
            self.sock.close()
        else:
            os.close(self.sock_fd)
        for pid in list(self.workers):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + self.timeout + DRAIN_GRACE + 5.0
        codes: list[int] = []
        while self.workers and time.monotonic() < deadline:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.05)
                continue
            fd = self.workers.pop(pid, None)
            if fd is not None and fd >= 0:
                os.close(fd)
            _mark_worker_dead(pid)
            codes.append(os.waitstatus_to_exitcode(status))
        for pid in list(self.workers):
            logger.error("worker %d did not stop in time; killing it", pid)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            codes.append(-9)
        if failed:
            return 1
        return 0 if all(c == 0 for c in codes) else 1

    # -- handing over to a re-executed supervisor (see .shed) --------------------------------

    def handover(self) -> dict[str, Any]:
        """What a re-executed supervisor needs to carry on (plain values, for ``marshal``)."""
        import pickle

        return {
            "options": pickle.dumps(self.worker_options()),
            "sock": self.sock_fd,
            "balance": self.balance.fd,
            "count": self.count,
            "timeout": self.timeout,
            "hung_after": self.hung_after,
            "address": self.address,
            "workers": {pid: self.slots[pid].index for pid in self.workers},
            "ready_at": dict(self.ready_at),
            "announced_at": self.announced_at,
            "restarts": self.restarts,
            "cleanup_dir": self.cleanup_dir,
        }

    @classmethod
    def taken_over(cls, state: dict[str, Any]) -> Supervisor:
        """The supervisor ``handover()`` described, in this (re-executed) process."""
        self = cls.__new__(cls)
        self.options = None
        self.options_blob = state["options"]
        self.sock = None
        self.sock_fd = state["sock"]
        self.preloaded = None
        self.count = state["count"]
        self.timeout = state["timeout"]
        self.hung_after = state["hung_after"]
        self.address = state["address"]
        slots: dict[int, int] = state["workers"]
        self.balance = ConnectionBalance.attach(state["balance"], self.count, list(slots.values()))
        self.workers = {pid: -1 for pid in slots}  # only ready workers are handed over
        self.slots = {pid: self.balance.slot(index) for pid, index in slots.items()}
        self.ready_at = dict(state["ready_at"])
        self.announced_at = state["announced_at"]
        self.restarts = list(state["restarts"])
        self.stopping = False
        self.cleanup_dir = state["cleanup_dir"]
        return self


def _mark_worker_dead(pid: int) -> None:
    from pyfunc_scoring_server.http.metrics import mark_worker_dead

    mark_worker_dead(pid)
