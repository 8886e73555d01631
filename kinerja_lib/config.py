"""Resolves the kit's default paths: environment variable first, then the repository's ``data/``."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the kit is installed in editable mode from a clone).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENV_DB = "KINERJA_DB"
ENV_DATA_DIR = "KINERJA_DATA_DIR"
ENV_REFERENCE_DIR = "KINERJA_REFERENSI"
ENV_BASE_URL = "KINERJA_BASE_URL"

DEFAULT_BASE_URL = "http://127.0.0.1:8866"


def data_dir() -> Path:
    """Return the data folder: ``$KINERJA_DATA_DIR`` or ``<repo>/data``."""
    return Path(os.environ.get(ENV_DATA_DIR) or PROJECT_ROOT / "data")


def db_path(path: str | os.PathLike | None = None) -> Path:
    """Return the database path: the argument, else ``$KINERJA_DB``, else ``data/kinerja.db``."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_DB)
    return Path(env) if env else data_dir() / "kinerja.db"


def reference_dir() -> Path:
    """Return the folder of versioned reference data (instrument, kuadran, rules)."""
    return Path(os.environ.get(ENV_REFERENCE_DIR) or data_dir() / "referensi")


def base_url() -> str:
    """Return the public base URL of the form server, used to build personal links."""
    return os.environ.get(ENV_BASE_URL, DEFAULT_BASE_URL).rstrip("/")
