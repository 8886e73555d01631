"""Where SQL may be written: only the modules that face the database.

Analyses, reports, the forms' widgets and the command-line tool take and return data; a second storage engine
(a shared PostgreSQL for several form servers) must be addable by changing the modules listed here and nothing
else. The scan reads each module's syntax tree for the calls that reach SQLite: ``execute``/``executemany``/
``executescript``, pandas' ``read_sql*``, sqlite-utils' ``query``/``insert_all``/``upsert_all``/``table`` and
``db[...]`` table access.
"""

from __future__ import annotations

import ast
from pathlib import Path

import kinerja_lib

PACKAGE = Path(kinerja_lib.__file__).parent

# The modules that face the database, and why each does.
DATABASE_FACING = {
    "store.py": "schema, migrations, connections, transactions, stored results",
    "records.py": "people, decisions and history read for the analyses and reports",
    "responses.py": "the submitted answers",
    "organisation.py": "the unit tree",
    "importers.py": "all-or-nothing imports",
    "roster.py": "the roster's import and its checks",
    "form_service.py": "what a rater's and an admin's form read and write",
    "cycle.py": "appraisal cycles and their settings",
    "links.py": "personal links (hashes only)",
    "outreach.py": "who is invited or reminded, and the e-mail sent log (kiriman)",
    "assignments.py": "who rates whom",
    "backup.py": "online backup and restore",
    "demo.py": "the synthetic city and its planted truths",
    "keberatan.py": "objections to a decided predikat and their decisions",
    "umpan_balik.py": "continuous feedback notes and Ekspektasi per pegawai",
    "pihak_lain.py": "raters from outside the roster and their assignments",
    "survei.py": "the public-service survey's service points and answers",
    "hasil.py": "stored scoring results (analysis_run, hasil_skor and its companion tables)",
    "report_access.py": "a pegawai's own published report and who opened it",
    "nominasi.py": "peer nominations and their approval by the atasan",
}
# Modules still issuing SQL that is to move into the modules above. The test fails when one of them stops
# (so the list only shrinks) as well as when any other module starts.
NOT_YET_MOVED: dict[str, str] = {}

_CALLS = {"execute", "executemany", "executescript", "read_sql", "read_sql_query", "read_sql_table", "query",
          "insert_all", "upsert_all", "table"}


def _issues_sql(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _CALLS:
            lines.append(node.lineno)
        elif (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "db"
              and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
            lines.append(node.lineno)
    return lines


def _sql_modules() -> dict[str, list[int]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = _issues_sql(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if lines:
            found[path.relative_to(PACKAGE).as_posix()] = lines
    return found


def test_only_database_facing_modules_issue_sql():
    """No analysis, report, form widget or CLI module issues SQL of its own."""
    outside = {m: lines for m, lines in _sql_modules().items() if m not in DATABASE_FACING and m not in NOT_YET_MOVED}
    assert outside == {}, f"SQL outside the database-facing modules (module: lines): {outside}"


def test_the_not_yet_moved_list_only_shrinks():
    """A module listed as not yet moved still issues SQL; remove it from the list once it stops."""
    found = _sql_modules()
    assert [m for m in NOT_YET_MOVED if m not in found] == []


def test_the_scan_sees_sql_when_it_is_there():
    """The scanner itself finds each kind of call (so an empty result above means something)."""
    for source in ["db.execute('SELECT 1')", "pd.read_sql_query(sql, db.conn)", "db['pegawai'].insert_all(rows)",
                   "db.conn.executemany(sql, rows)", "list(db.query('SELECT 1'))", "x = db['unit']"]:
        assert _issues_sql(ast.parse(source)), source
    assert _issues_sql(ast.parse("frame = records.pegawai(db); frame.loc['x']")) == []
