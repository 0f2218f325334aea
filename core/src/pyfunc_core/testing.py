"""Test kit for plugin authors, loaded by pytest through the ``pytest11`` entry point.

Fixtures:

``pyfunc_plugins``
    A fresh :class:`~pyfunc_core.plugins.Plugins` (built-ins plus installed entry points)
    installed as the process-wide plugins for one test; call ``.add_plugin(obj, name=...)``
    to register a plugin defined in the test.
``pyfunc_cli``
    Run ``pyfunc-core`` in-process: ``pyfunc_cli("info", "-m", path)`` returns click's
    ``Result`` (``exit_code``, ``output``), using the same plugins as ``pyfunc_plugins``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest


@pytest.fixture
def pyfunc_plugins() -> Iterator[Any]:
    from pyfunc_core.plugins import Plugins, reset_plugins

    plugins = Plugins().load()
    reset_plugins(plugins)
    try:
        yield plugins
    finally:
        reset_plugins(None)


@pytest.fixture
def pyfunc_cli(pyfunc_plugins: Any) -> Callable[..., Any]:
    from click.testing import CliRunner

    from pyfunc_core.cli.main import build_cli

    def run(*args: str, input: str | bytes | None = None) -> Any:
        return CliRunner().invoke(build_cli(), list(args), input=input, catch_exceptions=False)

    return run
