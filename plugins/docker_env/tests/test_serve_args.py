"""How ``serve`` options are split between the host (address, port) and the container's server."""

from __future__ import annotations

import pytest

from pyfunc_core.errors import InvalidParameterError
from pyfunc_docker.container import split_serve_args


def test_host_and_port_publish_the_container_the_rest_reaches_its_server() -> None:
    args = ["-m", "/models/m", "--name", "m", "--host", "127.0.0.1", "--port", "6001", "--workers", "2",
            "--threads", "4", "--server", "scoring-server", "--debug", "--env-manager", "local"]  # fmt: skip
    host, port, rest = split_serve_args(args)
    assert (host, port) == ("127.0.0.1", 6001)
    assert rest == [
        "--name",
        "m",
        "--workers",
        "2",
        "--threads",
        "4",
        "--server",
        "scoring-server",
        "--debug",
    ]


def test_short_and_inline_forms() -> None:
    host, port, rest = split_serve_args(["-h", "0.0.0.0", "--port=7000", "--model=/m", "-w", "3"])
    assert (host, port, rest) == ("0.0.0.0", 7000, ["-w", "3"])


def test_defaults_are_loopback_and_5000() -> None:
    assert split_serve_args([]) == ("127.0.0.1", 5000, [])


@pytest.mark.parametrize("args", [["--port", "http"], ["--host"]])
def test_bad_values_are_refused(args: list[str]) -> None:
    with pytest.raises(InvalidParameterError):
        split_serve_args(args)
