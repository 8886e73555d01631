"""Umpan Balik Berkelanjutan and Ekspektasi per pegawai: who may write what, the lock after acknowledgement, audit."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from conftest import SMALL_ORG

from kinerja_lib import form_service, links, umpan_balik
from kinerja_lib.errors import AccessDenied
from kinerja_lib.umpan_balik import UmpanBalikError


def _grant(org, key):
    issued = links.issue_links(org.db, org.cycle.id, nips=[org.nip[key]])[0]
    return links.resolve(org.db, issued.token)


def _audit(db, aksi):
    return [(r[0], r[1], json.loads(r[2])) for r in db.execute(
        "SELECT pelaku, entitas_id, detail FROM audit_log WHERE aksi = ? ORDER BY id", [aksi]).fetchall()]


def _add(org, atasan="kepala", pegawai="andi", **kw):
    fields = {"tanggal": "2026-03-10", "topik": "Capaian layanan triwulan I", "tindak_lanjut": "Pelatihan SOP",
              "pelaku": "uji"} | kw
    return umpan_balik.add_note(org.db, org.nip[atasan], org.nip[pegawai], **fields)


def test_an_atasan_records_a_note_for_a_direct_bawahan_and_it_is_audited(small_org):
    """The note is stored with its year from the dialog date, and the audit log names who wrote it."""
    nid = _add(small_org, nilai="B2", butir_skp="Menyusun laporan bulanan")
    n = umpan_balik.note(small_org.db, nid)
    assert (n.tahun, n.nip, n.atasan_nip, n.tanggal, n.topik, n.tindak_lanjut, n.nilai, n.butir_skp, n.locked) == (
        2026, small_org.nip["andi"], small_org.nip["kepala"], "2026-03-10", "Capaian layanan triwulan I",
        "Pelatihan SOP", "B2", "Menyusun laporan bulanan", False)
    assert _audit(small_org.db, "catat_umpan_balik") == [
        ("uji", str(nid), {"nip": small_org.nip["andi"], "atasan": small_org.nip["kepala"], "tanggal": "2026-03-10"})]


@pytest.mark.parametrize("atasan, pegawai", [
    ("andi", "budi"),      # a peer
    ("andi", "kepala"),    # one's own atasan
    ("kepala", "dewi"),    # someone in another unit with no atasan
    ("kepala", "kepala"),  # oneself
])
def test_an_atasan_cannot_write_for_someone_not_their_direct_bawahan(small_org, atasan, pegawai):
    """Only the roster's direct supervisor relation opens a pegawai's notes and Ekspektasi to an atasan."""
    with pytest.raises(UmpanBalikError, match="bukan bawahan langsung"):
        _add(small_org, atasan, pegawai)
    with pytest.raises(UmpanBalikError, match="bukan bawahan langsung"):
        umpan_balik.set_ekspektasi(small_org.db, small_org.nip[atasan], small_org.nip[pegawai], 2026, "B1", "x",
                                   pelaku="uji")
    assert small_org.db.execute("SELECT COUNT(*) FROM umpan_balik").fetchone()[0] == 0
    assert small_org.db.execute("SELECT COUNT(*) FROM ekspektasi_pegawai").fetchone()[0] == 0


def test_an_inactive_bawahan_gets_no_new_notes(small_org):
    small_org.db.execute("UPDATE pegawai SET aktif = 0 WHERE nip = ?", [small_org.nip["budi"]])
    with pytest.raises(UmpanBalikError):
        _add(small_org, pegawai="budi")


@pytest.mark.parametrize("fields, message", [
    ({"topik": "   "}, "Hal yang dibahas wajib diisi"),
    ({"topik": "x" * (umpan_balik.MAX_TEKS + 1)}, "terlalu panjang"),
    ({"tanggal": "2026-13-40"}, "Tanggal dialog tidak valid"),
    ({"tanggal": None}, "Tanggal dialog wajib diisi"),
    ({"tanggal": (date.today() + timedelta(days=3)).isoformat()}, "tidak boleh sesudah hari ini"),
    ({"nilai": "B9"}, "tidak dikenal"),
    ({"tindak_lanjut": 5}, "harus berupa teks"),
])
def test_invalid_fields_are_refused_with_the_reason(small_org, fields, message):
    with pytest.raises(UmpanBalikError, match=message):
        _add(small_org, **fields)


def test_the_author_edits_until_acknowledged_then_the_note_is_fixed(small_org):
    """Editing works for the author only; after the pegawai's acknowledgement no one can change it."""
    db, nip = small_org.db, small_org.nip
    nid = _add(small_org)
    umpan_balik.edit_note(db, nid, nip["kepala"], tanggal="2026-03-11", topik="Topik baru", tindak_lanjut="",
                          pelaku="uji")
    assert umpan_balik.note(db, nid).topik == "Topik baru"
    assert _audit(db, "ubah_umpan_balik")[0][2]["sebelumnya"]["topik"] == "Capaian layanan triwulan I"
    with pytest.raises(UmpanBalikError, match="tidak tersedia"):
        umpan_balik.edit_note(db, nid, nip["andi"], tanggal="2026-03-11", topik="x", pelaku="uji")
    with pytest.raises(UmpanBalikError, match="tidak tersedia"):
        umpan_balik.acknowledge(db, nid, nip["budi"], pelaku="uji")   # not the note's pegawai
    stamp = umpan_balik.acknowledge(db, nid, nip["andi"], "Saya setuju <b>ikut</b>", pelaku="penilai:andi")
    n = umpan_balik.note(db, nid)
    assert (n.locked, n.dikonfirmasi, n.tanggapan) == (True, stamp, "Saya setuju <b>ikut</b>")
    with pytest.raises(UmpanBalikError, match="sudah dikonfirmasi"):
        umpan_balik.edit_note(db, nid, nip["kepala"], tanggal="2026-03-11", topik="Ralat", pelaku="uji")
    with pytest.raises(UmpanBalikError, match="sudah Anda konfirmasi"):
        umpan_balik.acknowledge(db, nid, nip["andi"], "lagi", pelaku="uji")
    assert umpan_balik.note(db, nid).topik == "Topik baru"
    assert _audit(db, "konfirmasi_umpan_balik") == [("penilai:andi", str(nid), {"nip": nip["andi"],
                                                                                 "tanggapan": True})]


def test_the_schema_itself_refuses_to_change_or_delete_an_acknowledged_note(small_org):
    db = small_org.db
    nid = _add(small_org)
    umpan_balik.acknowledge(db, nid, small_org.nip["andi"], pelaku="uji")
    for sql in ("UPDATE umpan_balik SET topik = 'x' WHERE id = ?", "DELETE FROM umpan_balik WHERE id = ?"):
        with pytest.raises(sqlite3.IntegrityError, match="sudah dikonfirmasi"):
            db.execute(sql, [nid])


def test_a_link_must_be_usable_and_the_writers_own(small_org):
    """Through a personal link the writer is the link's owner, re-checked inside the write."""
    db, nip = small_org.db, small_org.nip
    grant = _grant(small_org, "kepala")
    nid = _add(small_org, grant=grant)
    with pytest.raises(UmpanBalikError, match="bukan milik"):
        umpan_balik.acknowledge(db, nid, nip["andi"], pelaku="uji", grant=grant)
    links.revoke(db, small_org.cycle.id, nip["kepala"])
    with pytest.raises(AccessDenied):
        _add(small_org, grant=grant)


def test_notes_in_a_period_and_per_year(small_org):
    db = small_org.db
    first = _add(small_org, tanggal="2026-02-01")
    second = _add(small_org, tanggal="2026-05-01", topik="Kedua")
    _add(small_org, pegawai="budi", tanggal="2026-05-02")
    _add(small_org, tanggal="2025-12-30", topik="Tahun lalu")
    assert [n.id for n in umpan_balik.notes_in_period(db, [small_org.nip["andi"]], "2026-01-01",
                                                      "2026-06-30")[small_org.nip["andi"]]] == [first, second]
    assert [n.topik for n in umpan_balik.notes(db, nip=small_org.nip["andi"], tahun=2025)] == ["Tahun lalu"]
    assert {b.nip for b in umpan_balik.bawahan(db, small_org.nip["kepala"])} == {
        small_org.nip[k] for k in ("andi", "budi", "citra")}


def test_ekspektasi_per_pegawai_is_set_audited_and_shown_in_the_rating_form(small_org):
    """The atasan's Ekspektasi for a bawahan appears in every rating form of that ratee in that year."""
    db, nip = small_org.db, small_org.nip
    umpan_balik.set_ekspektasi(db, nip["kepala"], nip["andi"], 2026, "B3", "Kuasai <aplikasi> baru", pelaku="uji")
    assert umpan_balik.ekspektasi(db, nip["andi"], 2026) == {"B3": "Kuasai <aplikasi> baru"}
    spec = form_service.form(db, _grant(small_org, "budi"), small_org.assignment[("budi", "andi")])
    assert spec.ekspektasi_pegawai == {"B3": "Kuasai <aplikasi> baru"}
    other = form_service.form(db, _grant(small_org, "andi"), small_org.assignment[("andi", "budi")])
    assert other.ekspektasi_pegawai == {}
    umpan_balik.set_ekspektasi(db, nip["kepala"], nip["andi"], 2026, "B3", "  ", pelaku="uji")
    assert umpan_balik.ekspektasi(db, nip["andi"], 2026) == {}
    assert [d[2]["teks"] for d in _audit(db, "ekspektasi_pegawai")] == ["Kuasai <aplikasi> baru", None]


def test_the_periodic_report_shows_the_notes_of_its_period_without_naming_the_author(small_org):
    """Notes dated within the cycle appear with Indonesian dates and their acknowledgement; others do not."""
    from kinerja_lib import reports

    db, nip = small_org.db, small_org.nip
    first = _add(small_org, tanggal="2026-03-10", topik="Target <i>layanan</i>")
    _add(small_org, tanggal="2026-07-01", topik="Arsip digital", tindak_lanjut="")
    _add(small_org, tanggal="2025-12-30", topik="Catatan tahun lalu")
    umpan_balik.acknowledge(db, first, nip["andi"], "Siap", pelaku="uji")
    html = reports.report_html(db, small_org.cycle.id, nip["andi"])
    section = html[html.index("Umpan Balik Berkelanjutan dalam periode ini"):html.index("Komentar para penilai")]
    assert ("10 Maret 2026" in section, "Target &lt;i&gt;layanan&lt;/i&gt;" in section, "Arsip digital" in section,
            "belum dikonfirmasi pegawai" in section, "Tanggapan: <bdi>Siap</bdi>" in section,
            "Catatan tahun lalu" in html, "Rina Kartika" in html) == (True, True, True, True, True, False, False)


def test_a_published_report_shows_the_notes_written_after_it(small_org):
    """A stored report version is reused, but its feedback section is the period's notes as they are now."""
    from kinerja_lib.reports.data import prepare_cycle
    from kinerja_lib.reports.individual import published_report

    db, andi = small_org.db, small_org.nip["andi"]
    first = published_report(db, prepare_cycle(db, small_org.cycle.id, nip=andi), andi)
    assert first["umpan_balik"] == []
    _add(small_org, tanggal="2026-04-02", topik="Sesudah terbit")
    again = published_report(db, prepare_cycle(db, small_org.cycle.id, nip=andi), andi)
    assert (again["versi"]["nomor"], [u["topik"] for u in again["umpan_balik"]]) == (1, ["Sesudah terbit"])


def test_the_skp_realisation_export_has_one_row_per_note_and_is_private(small_org_path, tmp_path):
    """`kinerja umpan-balik ekspor` writes the period's notes with the SKP column, owner-only; a bad path writes
    nothing."""
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from kinerja_lib.cli import main
    from kinerja_lib.store import open_db

    db = open_db(small_org_path)
    org = SimpleNamespace(db=db, nip={key: row[0] for key, row in SMALL_ORG.items()})
    first = _add(org, tanggal="2026-02-03", topik="=HYPERLINK(\"x\") target", tindak_lanjut="Bimtek")
    _add(org, pegawai="budi", tanggal="2026-02-04", topik="Disiplin arsip")
    umpan_balik.acknowledge(db, first, org.nip["andi"], "Setuju", pelaku="uji")
    db.close()
    out = tmp_path / "umpan-balik.xlsx"
    result = CliRunner().invoke(main, ["--db", str(small_org_path), "umpan-balik", "ekspor", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 catatan umpan balik" in result.output and (out.stat().st_mode & 0o777) == 0o600
    ws = load_workbook(out)["Umpan balik"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    head = rows[0]
    assert head == ["NIP", "Nama", "Unit Kerja", "NIP Atasan", "Nama Atasan", "Tanggal Dialog", "Nilai BerAKHLAK",
                    "Butir SKP", "Hal yang Dibahas", "Tindak Lanjut yang Disepakati", umpan_balik.REALISASI,
                    "Status Konfirmasi", "Tanggal Konfirmasi", "Tanggapan Pegawai"]
    by_nip = {r[0]: dict(zip(head, r)) for r in rows[1:]}
    andi = by_nip[org.nip["andi"]]
    assert (andi["Tanggal Dialog"], andi["Status Konfirmasi"], andi["Tanggapan Pegawai"], andi["Nama Atasan"]) == (
        "3 Februari 2026", "Dikonfirmasi pegawai", "Setuju", "Rina Kartika")
    assert andi[umpan_balik.REALISASI].startswith("Dialog 3 Februari 2026: ")
    assert not str(andi["Hal yang Dibahas"]).startswith("=")          # formula text neutralised
    assert by_nip[org.nip["budi"]][umpan_balik.REALISASI].endswith("(belum dikonfirmasi pegawai)")
    bad = CliRunner().invoke(main, ["--db", str(small_org_path), "umpan-balik", "ekspor", "--out",
                                    str(tmp_path / "x.csv")])
    assert bad.exit_code == 2 and not (tmp_path / "x.csv").exists() and "Traceback" not in bad.output


def test_the_ekspektasi_pegawai_import_is_all_or_nothing_and_names_rows(small_org, tmp_path):
    from kinerja_lib.errors import ImportRejected
    from kinerja_lib.importers import import_ekspektasi_pegawai

    db, nip = small_org.db, small_org.nip
    good = tmp_path / "ok.csv"
    good.write_text(f"NIP;Nilai;Ekspektasi\n{nip['andi']};Akuntabel;Laporan tepat waktu\n{nip['budi']};B7;Kerja tim\n",
                    encoding="utf-8")
    summary = import_ekspektasi_pegawai(db, good, pelaku="uji")
    assert (summary.inserted, summary.updated) == (2, 0)
    assert umpan_balik.ekspektasi(db, nip["andi"], 2026) == {"B2": "Laporan tepat waktu"}
    bad = tmp_path / "bad.csv"
    bad.write_text(f"NIP;Nilai;Ekspektasi\n{nip['citra']};B1;Baik\n199999999999999999;B1;x\n{nip['andi']};B9;x\n"
                   f"{nip['andi']};B2;\n{nip['budi']};Kolaboratif;a\n{nip['budi']};B7;b\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_ekspektasi_pegawai(db, bad, 2026, pelaku="uji")
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "NIP"), (4, "Nilai"), (5, "Ekspektasi"),
                                                               (7, "Nilai")]
    assert umpan_balik.ekspektasi(db, nip["citra"], 2026) == {}   # the good row was not written either
