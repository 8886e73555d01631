"""Session set-up shared by the whole suite: the demo database that the notebooks run on.

nbval's kernels cannot see pytest fixtures, so when any notebook is collected a demo database
is built once and its path exported as ``KINERJA_DB`` before the first kernel starts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

NOTEBOOK_DEMO = {"pegawai": 300, "seed": 2026}


def build_notebook_db(path: Path) -> Path:
    """Build the notebooks' demo database at ``path`` (also used by tests/pin_notebook_outputs.py)."""
    from kinerja_lib.demo import generate_demo
    from kinerja_lib.store import open_db

    db = open_db(path)
    generate_demo(db, answers=True, **NOTEBOOK_DEMO)
    db.close()
    return path


def _build_notebook_db(config) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="kinerja-nbval-"))
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    return build_notebook_db(folder / "demo.db")


def pytest_collection_modifyitems(session, config, items):
    if any(str(item.path).endswith(".ipynb") for item in items):
        os.environ["KINERJA_DB"] = str(_build_notebook_db(config))
        os.environ.pop("KINERJA_CYCLE", None)
        os.environ.setdefault("MPLBACKEND", "Agg")
