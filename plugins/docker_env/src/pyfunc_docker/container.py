"""Running the serving container: publish the port, stream its logs, forward signals."""

from __future__ import annotations

import signal
import sys
import threading
from typing import TYPE_CHECKING, Callable, Sequence

from pyfunc_core.errors import EnvironmentBuildError, InvalidParameterError
from pyfunc_docker.client import connect
from pyfunc_docker.dockerfile import PORT

if TYPE_CHECKING:
    import docker.models.containers

#: Options the image's entrypoint sets itself (model path, bind address and port).
_SET_BY_ENTRYPOINT = {"-m", "--model", "-h", "--host", "-p", "--port", "--env-manager"}
#: Seconds between SIGTERM and SIGKILL when stopping; the server drains well within it.
STOP_TIMEOUT = 30


def split_serve_args(args: Sequence[str]) -> tuple[str, int, list[str]]:
    """``serve`` options → (host address, host port, options for the container's server)."""
    host, port, rest = "127.0.0.1", 5000, []
    i = 0
    while i < len(args):
        arg, value = args[i], args[i + 1] if i + 1 < len(args) else None
        name, eq, inline = arg.partition("=")
        if name in _SET_BY_ENTRYPOINT:
            value = inline if eq else value
            if value is None:
                raise InvalidParameterError(f"option {name} needs a value")
            if name in ("-h", "--host"):
                host = value
            elif name in ("-p", "--port"):
                try:
                    port = int(value)
                except ValueError:
                    raise InvalidParameterError(f"port {value!r} is not a number") from None
            i += 1 if eq else 2
            continue
        rest.append(arg)
        i += 1
    return host, port, rest


def serve_in_container(image: str, args: Sequence[str]) -> int:
    """Run ``image`` with ``pyfunc-core serve`` published on the host; return its exit code.

    SIGTERM stops the container (its server drains in-flight requests, SIGKILL after
    :data:`STOP_TIMEOUT` seconds); SIGINT is passed on as SIGINT. The container's output
    is copied to this process's stderr, and the container is removed afterwards.
    """
    import docker

    host, port, server_args = split_serve_args(args)
    client = connect()
    try:
        container = client.containers.run(
            image, command=server_args, detach=True, ports={f"{PORT}/tcp": (host, port)},
            labels={"io.pyfunc.serve": image}, init=False,
        )  # fmt: skip
    except docker.errors.DockerException as exc:
        reason = str(getattr(exc, "explanation", None) or exc).strip().splitlines()[0]
        raise EnvironmentBuildError(
            f"Could not start a container of {image} on {host}:{port}: {reason}"
        ) from None
    print(f"[pyfunc-core] serving {image} in container {container.short_id} on http://{host}:{port}",
          file=sys.stderr, flush=True)  # fmt: skip
    logs = threading.Thread(target=_copy_logs, args=(container,), daemon=True)
    logs.start()
    previous = {s: signal.signal(s, _forwarder(container)) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        result = container.wait(timeout=None)
        logs.join(timeout=10)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        try:  # also when waiting failed (the daemon went away): never leave the container behind
            container.remove(force=True)
        except docker.errors.DockerException:
            pass
    return int(result.get("StatusCode", 1))


def _forwarder(container: docker.models.containers.Container) -> Callable[[int, object], None]:
    def forward(signum: int, _frame: object) -> None:
        # The Docker API call happens off the signal handler, on its own connection.
        target: Callable[..., object]
        kwargs: dict[str, object]
        if signum == signal.SIGTERM:
            target, kwargs = container.stop, {"timeout": STOP_TIMEOUT}
        else:
            target, kwargs = container.kill, {"signal": signal.Signals(signum).name}
        threading.Thread(target=_quietly, args=(target,), kwargs=kwargs, daemon=True).start()

    return forward


def _quietly(call: Callable[..., object], **kwargs: object) -> None:
    import docker

    try:
        call(**kwargs)
    except docker.errors.DockerException:
        pass  # the container already exited


def _copy_logs(container: docker.models.containers.Container) -> None:
    import docker

    try:
        for chunk in container.logs(stream=True, follow=True):
            sys.stderr.buffer.write(chunk)
            sys.stderr.buffer.flush()
    except (docker.errors.DockerException, OSError, ValueError):
        pass
