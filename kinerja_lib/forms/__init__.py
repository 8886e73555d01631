"""Voilà apps (ipywidgets): the rater form and the admin dashboard.

Names load lazily, so ``from kinerja_lib.forms import kernel`` can keep the kernel light before
anything imports sqlite-utils.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {"RaterApp": "rater", "AssessmentForm": "rater", "AdminApp": "admin"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kinerja_lib.forms' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
