"""Refresh the pinned outputs of the notebooks after a deliberate change to the demo or the analyses.

nbval compares only the cells marked ``# NBVAL_CHECK_OUTPUT`` (the suite runs with ``--nbval-lax``).
This script builds the same demo database as ``conftest.py``, runs every notebook in
``notebooks/`` against it, keeps the outputs of the pinned cells and clears all others, so the
committed notebooks stay small and a reviewer sees exactly which pinned figures moved::

    .venv/bin/python -m tests.pin_notebook_outputs            # all notebooks
    .venv/bin/python -m tests.pin_notebook_outputs notebooks/02-kebutuhan-pelatihan.ipynb

Review ``git diff notebooks/`` before committing: every changed number must be explained by the change.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
PIN_MARK = "# NBVAL_CHECK_OUTPUT"


def is_pinned(cell) -> bool:
    return cell.cell_type == "code" and cell.source.lstrip().startswith(PIN_MARK)


def pin(notebook: Path, db_path: Path) -> int:
    """Execute ``notebook`` on ``db_path`` and rewrite it with only the pinned outputs; return their count."""
    nb = nbformat.read(notebook, as_version=4)
    os.environ["KINERJA_DB"] = str(db_path)
    os.environ.pop("KINERJA_CYCLE", None)
    os.environ["MPLBACKEND"] = "Agg"
    client = NotebookClient(nb, timeout=600, record_timing=False,
                            resources={"metadata": {"path": str(notebook.parent)}})
    client.execute()
    pinned = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if is_pinned(cell):
            pinned += 1
            cell.execution_count = pinned
        else:
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, notebook)
    return pinned


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in notebooks/")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="kinerja-pin-") as tmp:
        sys.path.insert(0, str(ROOT))
        from conftest import build_notebook_db  # the very database the suite's notebooks run on

        db_path = build_notebook_db(Path(tmp) / "demo.db")
        for notebook in notebooks:
            count = pin(notebook.resolve(), db_path)
            print(f"{notebook}: {count} pinned cells refreshed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
