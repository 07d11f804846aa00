"""Optional dependencies: server-backend clients live in extras, imported only when configured.

`require("boto3", "s3")` imports a module or raises MissingExtra, whose message is the one line
an operator needs: which extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from core.errors import CoreError


class MissingExtra(CoreError):
    """A configured backend needs a package of an extra that is not installed."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"{module} is not installed: install the '{extra}' extra "
            f"(pip install 'tgassist[{extra}]', or 'tgassist[all]')"
        )
        self.module = module
        self.extra = extra


def require(module: str, extra: str) -> ModuleType:
    """Import `module`, or raise MissingExtra naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        missing = error.name or module
        if missing == module or module.startswith(missing + "."):
            raise MissingExtra(missing.split(".")[0], extra) from error
        raise
