"""The ``pyfunc-core`` command line; ``__all__`` lists the helpers a plugin's own commands use.

``one_line_errors`` turns a ``PyfuncError`` into ``Error: <message>`` and exit code 1;
``model_option`` is the ``-m/--model`` option the built-in commands share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfunc_core._lazy import lazy_exports

if TYPE_CHECKING:
    from pyfunc_core.cli.errors import one_line_errors
    from pyfunc_core.cli.options import model_option

__all__ = ["model_option", "one_line_errors"]

__getattr__, __dir__ = lazy_exports(__name__, {"errors": ("one_line_errors",), "options": ("model_option",)})
