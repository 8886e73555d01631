"""Objections (keberatan) to a decided predikat: deadlines, who decides, what changes, and the audit trail."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kinerja_lib import keberatan
from kinerja_lib.cli import main
from kinerja_lib.errors import ReferenceDataError
from kinerja_lib.keberatan import KeberatanError

DECIDED = datetime(2027, 1, 10, 2, 0, tzinfo=timezone.utc)


def _decide(org, who="andi", hasil="Sesuai Ekspektasi", perilaku="Di Bawah Ekspektasi", at=DECIDED):
    db, nip = org.db, org.nip
    for table, rating in (("rating_hasil_kerja", hasil), ("rating_perilaku", perilaku)):
        db.execute(f"INSERT INTO {table} (cycle_id, nip, rating, sumber, penilai_nip, diperbarui) "
                   "VALUES (?, ?, ?, 'formulir', ?, ?)", [org.cycle.id, nip[who], rating, nip["kepala"], at.isoformat()])
    # the Pejabat Penilai (kepala) reports to dewi: she decides objections to kepala's decisions
    db.execute("UPDATE pegawai SET atasan_nip = ? WHERE nip = ?", [nip["dewi"], nip["kepala"]])
    db.conn.commit()


def test_an_objection_within_the_deadline_goes_to_the_atasan_of_the_pejabat_penilai(small_org):
    _decide(small_org)
    number = keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "Capaian kerja diabaikan",
                             pelaku="admin:Sari", now=DECIDED + timedelta(days=13))
    row = keberatan.objections(small_org.db, small_org.cycle.id).set_index("id").loc[number]
    assert (row["status"], row["predikat"], row["pemutus_nip"]) == ("diajukan", "Kurang/Misconduct",
                                                                      small_org.nip["dewi"])
    assert row["tenggat_keputusan"].startswith("2027-02-06")     # 13 + 14 days after the decision
    audit = small_org.db.execute("SELECT pelaku, aksi FROM audit_log WHERE entitas = 'keberatan'").fetchall()
    assert audit == [("admin:Sari", "ajukan_keberatan")]


def test_after_the_deadline_or_without_a_decided_predikat_no_objection_is_recorded(small_org):
    with pytest.raises(KeberatanError, match="belum punya predikat yang ditetapkan"):
        keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "x", pelaku="t", now=DECIDED)
    _decide(small_org)
    with pytest.raises(KeberatanError, match="Tenggat pengajuan keberatan sudah lewat: 14 hari .* 2027-01-24"):
        keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "x", pelaku="t",
                        now=DECIDED + timedelta(days=14, seconds=1))
    with pytest.raises(KeberatanError, match="Alasan keberatan wajib diisi"):
        keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "  ", pelaku="t", now=DECIDED)
    assert small_org.db.execute("SELECT count(*) FROM keberatan").fetchone()[0] == 0


def test_one_open_objection_at_a_time_and_only_the_decider_decides(small_org):
    _decide(small_org)
    args = (small_org.db, small_org.cycle.id, small_org.nip["andi"], "Tidak adil")
    number = keberatan.lodge(*args, pelaku="t", now=DECIDED)
    with pytest.raises(KeberatanError, match="sudah punya keberatan yang menunggu keputusan"):
        keberatan.lodge(*args, pelaku="t", now=DECIDED)
    with pytest.raises(KeberatanError, match="diputus oleh atasan Pejabat Penilai Kinerja"):
        keberatan.decide(small_org.db, number, True, "ok", pemutus_nip=small_org.nip["kepala"], pelaku="t",
                         rating_perilaku="Sesuai Ekspektasi")
    ratings = small_org.db.execute("SELECT rating, sumber FROM rating_perilaku WHERE nip = ?",
                                   [small_org.nip["andi"]]).fetchone()
    assert ratings == ("Di Bawah Ekspektasi", "formulir")


def test_an_accepted_objection_changes_the_decided_rating_and_keeps_the_old_one_on_record(small_org):
    _decide(small_org)
    andi = small_org.nip["andi"]
    number = keberatan.lodge(small_org.db, small_org.cycle.id, andi, "Perilaku dinilai tanpa bukti", pelaku="t",
                             now=DECIDED)
    predikat = keberatan.decide(small_org.db, number, True, "Bukti tidak mendukung rating Di Bawah Ekspektasi",
                                pemutus_nip=small_org.nip["dewi"], pelaku="admin:Sari",
                                rating_perilaku="Sesuai Ekspektasi", now=DECIDED + timedelta(days=20))
    assert predikat == "Baik"
    assert small_org.db.execute("SELECT rating, sumber FROM rating_perilaku WHERE nip = ?", [andi]).fetchone() == \
        ("Sesuai Ekspektasi", "keberatan")
    row = keberatan.objections(small_org.db, small_org.cycle.id).set_index("id").loc[number]
    assert (row["status"], row["predikat"], row["predikat_baru"], bool(row["terlambat"])) == \
        ("diterima", "Kurang/Misconduct", "Baik", True)      # decided on day 20 of 14
    with pytest.raises(KeberatanError, match="sudah diterima"):
        keberatan.decide(small_org.db, number, False, "x", pemutus_nip=small_org.nip["dewi"], pelaku="t")


def test_a_refused_objection_changes_nothing(small_org):
    _decide(small_org)
    number = keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "x", pelaku="t", now=DECIDED)
    with pytest.raises(KeberatanError, match="tidak mengubah rating"):
        keberatan.decide(small_org.db, number, False, "x", pemutus_nip=small_org.nip["dewi"], pelaku="t",
                         rating_perilaku="Sesuai Ekspektasi")
    assert keberatan.decide(small_org.db, number, False, "Rating sesuai bukti", pemutus_nip=small_org.nip["dewi"],
                            pelaku="t", now=DECIDED) == "Kurang/Misconduct"


def test_cli_walks_the_route_with_clear_messages(small_org_path):
    from kinerja_lib.store import open_db

    db = open_db(small_org_path)
    nips = dict(db.execute("SELECT nama, nip FROM pegawai").fetchall())
    andi = next(n for name, n in nips.items() if name.startswith("Andi"))
    kepala, dewi = nips["Rina Kartika"], nips["Dewi Anggraini"]
    now = datetime.now(timezone.utc).isoformat()
    for table in ("rating_hasil_kerja", "rating_perilaku"):
        db.execute(f"INSERT INTO {table} (cycle_id, nip, rating, sumber, penilai_nip, diperbarui) "
                   "VALUES (1, ?, 'Sesuai Ekspektasi', 'formulir', ?, ?)", [andi, kepala, now])
    db.execute("UPDATE pegawai SET atasan_nip = ? WHERE nip = ?", [dewi, kepala])
    db.conn.commit()
    db.close()

    def run(*args):
        return CliRunner().invoke(main, ["--db", str(small_org_path), "keberatan", *args])

    result = run("ajukan", "--nip", andi, "--alasan", "Capaian tidak dihitung")
    assert result.exit_code == 0, result.output
    assert "Keberatan nomor 1 dicatat" in result.output and "predikat Baik" in result.output
    assert "Diputus oleh Dewi Anggraini" in result.output
    refused = run("putuskan", "1", "--terima", "--uraian", "ok", "--pemutus", kepala)
    assert refused.exit_code == 2 and "bukan NIP" in refused.output and "Traceback" not in refused.output
    pending = small_org_path.parent / "keberatan-diajukan.xlsx"   # not yet decided: no decision time to show
    assert run("daftar", "--out", str(pending)).exit_code == 0
    before = load_workbook(pending, read_only=True)["Keberatan"]
    head, row = [[c.value for c in r] for r in before.iter_rows(max_row=2)]
    assert dict(zip(head, row))["Diputuskan"] is None
    assert dict(zip(head, row))["Status Keberatan"] == "Diajukan, menunggu keputusan"
    done = run("putuskan", "1", "--terima", "--uraian", "Capaian terbukti", "--pemutus", dewi,
               "--rating-hasil-kerja", "Di Atas Ekspektasi", "--rating-perilaku", "Di Atas Ekspektasi")
    assert done.exit_code == 0 and "predikat kinerja: Sangat Baik" in done.output
    listed = run("daftar")
    assert "1. Andi <b>Pratama</b> & \"Co\" (" in listed.output and "Baik -> Sangat Baik" in listed.output
    # the list and its workbook show the status by its label and times in the office's zone, as people read them
    from kinerja_lib.instansi import load_instansi

    office = load_instansi()
    assert re.search(r"tenggat keputusan \d\d-\d\d-\d{4} \d\d:\d\d " + office.zone_label, listed.output)
    out = small_org_path.parent / "keberatan.xlsx"
    assert run("daftar", "--out", str(out)).exit_code == 0
    sheet = load_workbook(out, read_only=True)["Keberatan"]
    head, row = [[c.value for c in r] for r in sheet.iter_rows(max_row=2)]
    record = dict(zip(head, row))
    assert record["Status Keberatan"] == "Diterima"
    for column in ("Diajukan", "Tenggat Keputusan", "Diputuskan"):
        assert re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d " + office.zone_label, record[column]), record[column]


@pytest.mark.parametrize("change, message", [
    (("tenggat_pengajuan_hari: 14", "tenggat_pengajuan_hari: 0"), "'tenggat_pengajuan_hari' harus bilangan bulat"),
    (("pemutus: atasan_pejabat_penilai", "pemutus: kepala_bkpsdm"), "'pemutus' yang dikenal"),
])
def test_a_wrong_route_file_names_the_key(tmp_path, change, message):
    import shutil

    from kinerja_lib.config import PROJECT_ROOT

    folder = tmp_path / "referensi"
    shutil.copytree(PROJECT_ROOT / "data" / "referensi", folder)
    path = folder / "keberatan.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=message):
        keberatan.load_route(folder)


# --------------------------------------------------------------------------- through the personal links

def _grant(org, key):
    from kinerja_lib import links

    issued = links.issue_links(org.db, org.cycle.id, nips=[org.nip[key]])[0]
    return links.resolve(org.db, issued.token)


def _decide_now(org, days_ago=1):
    _decide(org, at=datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=days_ago))


def _audit(org):
    return org.db.execute("SELECT pelaku, aksi, entitas_id FROM audit_log WHERE entitas = 'keberatan' "
                          "ORDER BY id").fetchall()


def test_through_a_link_a_pegawai_lodges_only_their_own_objection(small_org):
    """The link is the person: andi's link cannot object for budi, and the audit names andi's link."""
    _decide_now(small_org)
    _decide(small_org, who="budi", at=datetime.now(timezone.utc) - timedelta(days=1))
    andi, nip = _grant(small_org, "andi"), small_org.nip
    with pytest.raises(KeberatanError, match="hanya dapat diajukan oleh pegawai yang bersangkutan"):
        keberatan.lodge(small_org.db, small_org.cycle.id, nip["budi"], "Atas nama orang lain",
                        pelaku=andi.pelaku, grant=andi)
    number = keberatan.lodge(small_org.db, small_org.cycle.id, nip["andi"], "Capaian saya diabaikan",
                             pelaku=andi.pelaku, grant=andi)
    assert _audit(small_org) == [(f"penilai:{nip['andi']}", "ajukan_keberatan", str(number))]
    standing = keberatan.own_standing(small_org.db, andi)
    assert (standing.predikat, standing.terbuka.id, standing.dapat_diajukan) == ("Kurang/Misconduct", number, False)


def test_through_a_link_nothing_before_the_decision_or_after_the_deadline(small_org):
    andi = _grant(small_org, "andi")
    assert keberatan.own_standing(small_org.db, andi) is None
    with pytest.raises(KeberatanError, match="belum punya predikat yang ditetapkan"):
        keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "x", pelaku=andi.pelaku, grant=andi)
    _decide_now(small_org, days_ago=15)
    standing = keberatan.own_standing(small_org.db, andi)
    assert (standing.lewat_tenggat, standing.dapat_diajukan) == (True, False)
    with pytest.raises(KeberatanError, match="Tenggat pengajuan keberatan sudah lewat"):
        keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "x", pelaku=andi.pelaku, grant=andi)
    assert _audit(small_org) == []


def test_a_reason_longer_than_the_limit_is_refused(small_org):
    _decide_now(small_org)
    andi = _grant(small_org, "andi")
    with pytest.raises(KeberatanError, match=f"terlalu panjang: {keberatan.TEXT_LIMIT + 1} karakter"):
        keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "x" * (keberatan.TEXT_LIMIT + 1),
                        pelaku=andi.pelaku, grant=andi)


@pytest.mark.parametrize("who", ["kepala", "andi", "budi"])
def test_through_a_link_only_the_decider_decides_and_others_see_an_unknown_number(small_org, who):
    """The Pejabat Penilai, the pegawai or a colleague get the very message an unknown number gets."""
    _decide_now(small_org)
    andi = _grant(small_org, "andi")
    number = keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "x", pelaku=andi.pelaku,
                             grant=andi)
    other = _grant(small_org, who)
    messages = []
    for target in (number, 9999):
        with pytest.raises(KeberatanError) as refused:
            keberatan.decide(small_org.db, target, True, "ok", pemutus_nip=other.rater_nip, pelaku=other.pelaku,
                             grant=other)
        messages.append(str(refused.value).replace(str(target), "N"))
    assert messages == ["Keberatan nomor N tidak ditemukan"] * 2
    assert keberatan.awaiting(small_org.db, other) == []
    assert small_org.db.execute("SELECT status FROM keberatan").fetchone()[0] == "diajukan"


def test_through_a_link_the_decider_decides_and_the_audit_names_them(small_org):
    _decide_now(small_org)
    andi, dewi, nip = _grant(small_org, "andi"), _grant(small_org, "dewi"), small_org.nip
    number = keberatan.lodge(small_org.db, small_org.cycle.id, nip["andi"], "x", pelaku=andi.pelaku, grant=andi)
    [waiting] = keberatan.awaiting(small_org.db, dewi)
    assert (waiting.id, waiting.nip, waiting.unit, waiting.terlambat) == (number, nip["andi"], "Bidang Layanan", False)
    # a crafted nip cannot stand in for the link's own
    with pytest.raises(KeberatanError, match="tidak ditemukan"):
        keberatan.decide(small_org.db, number, False, "x", pemutus_nip=nip["kepala"], pelaku=dewi.pelaku, grant=dewi)
    assert keberatan.decide(small_org.db, number, True, "Terbukti", pemutus_nip=nip["dewi"], pelaku=dewi.pelaku,
                            grant=dewi, rating_perilaku="Sesuai Ekspektasi") == "Baik"
    assert _audit(small_org) == [(f"penilai:{nip['andi']}", "ajukan_keberatan", str(number)),
                                 (f"penilai:{nip['dewi']}", "putuskan_keberatan", str(number))]
    [mine] = keberatan.own_standing(small_org.db, andi).objections
    assert (mine.status, mine.predikat_baru, mine.keputusan) == ("diterima", "Baik", "Terbukti")


def test_through_a_link_only_the_pegawai_withdraws_and_a_revoked_link_does_nothing(small_org):
    from kinerja_lib import links
    from kinerja_lib.errors import AccessDenied

    _decide_now(small_org)
    andi, budi, nip = _grant(small_org, "andi"), _grant(small_org, "budi"), small_org.nip
    number = keberatan.lodge(small_org.db, small_org.cycle.id, nip["andi"], "x", pelaku=andi.pelaku, grant=andi)
    with pytest.raises(KeberatanError, match=f"Keberatan nomor {number} tidak sedang menunggu keputusan"):
        keberatan.withdraw(small_org.db, number, pelaku=budi.pelaku, grant=budi)
    links.revoke(small_org.db, small_org.cycle.id, nip["andi"])
    with pytest.raises(AccessDenied):
        keberatan.withdraw(small_org.db, number, pelaku=andi.pelaku, grant=andi)
    andi = _grant(small_org, "andi")
    keberatan.withdraw(small_org.db, number, pelaku=andi.pelaku, grant=andi)
    assert _audit(small_org)[-1] == (f"penilai:{nip['andi']}", "tarik_keberatan", str(number))
    assert keberatan.own_standing(small_org.db, andi).dapat_diajukan
