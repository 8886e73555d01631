"""Shared fixtures: fresh databases, paths to reference data, and the demo database for notebooks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kinerja_lib.store import open_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db():
    """A fresh, migrated in-memory database."""
    database = open_db(":memory:")
    yield database
    database.close()


@pytest.fixture
def db_path(tmp_path) -> Path:
    """Path of a fresh, migrated database file (WAL mode) in a temporary folder."""
    path = tmp_path / "kinerja.db"
    open_db(path).close()
    return path


@pytest.fixture
def open_cycle_db(db):
    """A fresh database holding one open annual cycle (id 1) with the default settings."""
    from kinerja_lib.cycle import open_cycle

    open_cycle(db, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31")
    return db
