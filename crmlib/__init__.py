"""crmlib: the computation behind the CRM course and analysis kit.

Every chapter of the course calls this package; nothing is computed in the notebooks themselves.
Submodules are imported on first use, so ``import crmlib`` stays fast and needs no display::

    >>> import crmlib
    >>> crmlib.clv.retention_clv(100, 0.8, 0.1)  # doctest: +SKIP
    266.666...

One module per concept (see the README's module map): ``data``, ``datasets``, ``rfm``, ``clv``,
``models``, ``tiers``, ``lifecycle``, ``loyalty``, ``relationship``, ``value``, ``churn``, ``plot``,
``widgets``, ``exercises``, ``course``, ``cli``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "data",
    "datasets",
    "rfm",
    "clv",
    "models",
    "tiers",
    "lifecycle",
    "loyalty",
    "relationship",
    "value",
    "churn",
    "plot",
    "widgets",
    "exercises",
    "course",
    "params",
    "chapter",
    "report",
    "scale",
    "cli",
]
#: The submodules, imported on first use (``crmlib.rfm``).
_SUBMODULES = tuple(name for name in __all__ if name != "__version__")


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'crmlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
