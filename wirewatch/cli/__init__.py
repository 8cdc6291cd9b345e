"""The ``wirewatch`` command line: one entry point for every stage and tool.

Settings are loaded once (``_common.settings()``) and passed down. Each module of this
package adds its own commands to the shared Typer ``app``; every module found here is
imported, so a new command group is a new file.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from wirewatch.cli._common import app
from wirewatch.errors import WirewatchError

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except WirewatchError as exc:
        print(f"wirewatch: error: {exc}", file=sys.stderr)
        sys.exit(2)
