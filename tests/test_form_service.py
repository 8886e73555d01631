"""The form data layer: what a link sees, and every write re-checked (link, owner, cycle, lock, item, value)."""

from __future__ import annotations

import csv
import json

import pytest

from kinerja_lib import form_service as fs
from kinerja_lib import links
from kinerja_lib.cycle import close_cycle
from kinerja_lib.errors import AccessDenied, DatabaseReplaced, FormConflict, FormError
from kinerja_lib.reference import load_instrument

BEHAVIOUR = load_instrument().item_codes


def _grants(org):
    issued = links.issue_links(org.db, org.cycle.id)
    grants = {key: links.resolve(org.db, next(i.token for i in issued if i.nip == nip))
              for key, nip in org.nip.items()}
    grants["admin"] = links.resolve(org.db, links.issue_admin_link(org.db, org.cycle.id).token)
    return grants


def _fill(org, grant, aid, score=4, tdm=0):
    """Answer every item of a form: the first ``tdm`` items "tidak dapat menilai", the rest ``score``."""
    for n, item in enumerate(fs.form(org.db, grant, aid).progress.missing):
        fs.save_answer(org.db, grant, aid, item, None if n < tdm else score)


def _rows(db, aid):
    return db.execute("SELECT item, score FROM response WHERE assignment_id = ? ORDER BY item", [aid]).fetchall()


def _snapshot(db):
    return (db.execute("SELECT * FROM response ORDER BY assignment_id, item").fetchall(),
            db.execute("SELECT * FROM comment ORDER BY assignment_id, jenis").fetchall(),
            db.execute("SELECT id, status, terkirim FROM assignment ORDER BY id").fetchall())


def test_overview_lists_self_first_then_by_relation(small_org):
    """The rater sees themselves first, then the people they rate by relation, with labels and progress."""
    g = _grants(small_org)
    ov = fs.overview(small_org.db, g["andi"])
    assert ov.rater.nama == 'Andi <b>Pratama</b> & "Co"'
    assert [(a.ratee.nama, a.relation_label, a.status_label, a.progress.total) for a in ov.assignments] == [
        ('Andi <b>Pratama</b> & "Co"', "Diri sendiri", "Belum diisi", 30),
        ("Budi Santoso", "Rekan kerja", "Belum diisi", 30),
        ("Citra Lestari", "Rekan kerja", "Belum diisi", 30),
        ("Rina Kartika", "Bawahan", "Belum diisi", 25),
    ]


@pytest.mark.parametrize("rater, ratee, competencies", [
    ("andi", "andi", ["K01", "K02", "K03", "K04", "K05", "K06", "K07", "K08", "K09"]),
    ("kepala", "andi", ["K01", "K02", "K03", "K04", "K05", "K06", "K07", "K08", "K09"]),
    ("andi", "budi", ["K01", "K02", "K03", "K04", "K05", "K06", "K07", "K08", "K09"]),
    ("andi", "kepala", ["K02", "K03", "K06", "K07"]),
])
def test_form_items_follow_the_cycle_settings_for_the_relation(small_org, rater, ratee, competencies):
    """A form asks the 21 BerAKHLAK indicators plus the competencies the cycle sets for that relation."""
    g = _grants(small_org)
    spec = fs.form(small_org.db, g[rater], small_org.assignment[(rater, ratee)])
    assert [i.kode for v in spec.values for i in v.items] == list(BEHAVIOUR)
    assert [c.kode for c in spec.competencies] == competencies
    assert all(set(c.levels) == {1, 2, 3, 4, 5} for c in spec.competencies)
    assert spec.progress.missing == (*BEHAVIOUR, *competencies)


def test_ekspektasi_khusus_nearest_unit_wins(small_org):
    """The ratee's own unit's Ekspektasi Khusus Pimpinan overrides its OPD's for the same value."""
    g = _grants(small_org)
    spec = fs.form(small_org.db, g["kepala"], small_org.assignment[("kepala", "budi")])
    assert spec.ekspektasi == {"B1": "Layani <warga> dengan senyum & cepat", "B2": "Arsip digital rapi"}
    spec = fs.form(small_org.db, g["dewi"], small_org.assignment[("dewi", "dewi")])
    assert spec.ekspektasi == {}


def test_save_is_an_idempotent_upsert_that_marks_a_draft(small_org):
    """Saving the same item twice keeps one row with the last value; the form becomes 'draf'."""
    g, aid = _grants(small_org), small_org.assignment[("budi", "citra")]
    fs.save_answer(small_org.db, g["budi"], aid, "B1.1", 2)
    fs.save_answer(small_org.db, g["budi"], aid, "B1.1", 2)
    progress = fs.save_answer(small_org.db, g["budi"], aid, "B1.1", 5)
    fs.save_answer(small_org.db, g["budi"], aid, "K05", None)
    assert _rows(small_org.db, aid) == [("B1.1", 5), ("K05", None)]
    status, mulai = small_org.db.execute("SELECT status, mulai FROM assignment WHERE id = ?", [aid]).fetchone()
    assert status == "draf" and mulai is not None
    assert (progress.answered, progress.total, progress.missing[:2]) == (1, 30, ("B1.2", "B1.3"))


@pytest.mark.parametrize("case, rater, pair, item, score, error", [
    ("someone else's form", "budi", ("andi", "citra"), "B1.1", 3, FormError),
    ("score 0", "andi", ("andi", "citra"), "B1.1", 0, FormError),
    ("score 6", "andi", ("andi", "citra"), "B1.1", 6, FormError),
    ("fractional score", "andi", ("andi", "citra"), "B1.1", 2.5, FormError),
    ("boolean score", "andi", ("andi", "citra"), "B1.1", True, FormError),
    ("text score", "andi", ("andi", "citra"), "B1.1", "3", FormError),
    ("competency not asked of bawahan", "andi", ("andi", "kepala"), "K04", 3, FormError),
    ("unknown item", "andi", ("andi", "citra"), "B9.9", 3, FormError),
    ("admin link on a rater form", "admin", ("andi", "citra"), "B1.1", 3, AccessDenied),
])
def test_refused_answers_change_nothing(small_org, case, rater, pair, item, score, error):
    """Every answer the form would never send is refused and leaves the database as it was."""
    g = _grants(small_org)
    before = _snapshot(small_org.db)
    with pytest.raises(error):
        fs.save_answer(small_org.db, g[rater], small_org.assignment[pair], item, score)
    assert _snapshot(small_org.db) == before


@pytest.mark.parametrize("spoil, error", [
    ("revoke", AccessDenied), ("close_cycle", AccessDenied), ("deactivate_assignment", FormError),
    ("submit", FormError),
])
def test_answers_are_refused_once_the_link_cycle_or_form_stops_allowing_them(small_org, spoil, error):
    """A grant obtained earlier cannot write after revocation, closing, removal or submission."""
    g, aid = _grants(small_org), small_org.assignment[("citra", "citra")]
    if spoil == "revoke":
        links.revoke(small_org.db, small_org.cycle.id, small_org.nip["citra"])
    elif spoil == "close_cycle":
        close_cycle(small_org.db, small_org.cycle.id)
    elif spoil == "deactivate_assignment":
        small_org.db.execute("UPDATE assignment SET aktif = 0, alasan_hapus = 'pindah' WHERE id = ?", [aid])
    else:
        _fill(small_org, g["citra"], aid)
        fs.submit(small_org.db, g["citra"], aid)
    before = _snapshot(small_org.db)
    with pytest.raises(error):
        fs.save_answer(small_org.db, g["citra"], aid, "B1.1", 1)
    with pytest.raises(error):
        fs.save_comment(small_org.db, g["citra"], aid, "kekuatan", "baru")
    with pytest.raises(error):
        fs.submit(small_org.db, g["citra"], aid)
    assert _snapshot(small_org.db) == before


def test_comments_are_stored_as_typed_within_the_limit(small_org):
    """A comment is stored verbatim (markup included); over the limit it is refused; empty removes it."""
    g, aid = _grants(small_org), small_org.assignment[("budi", "andi")]
    text = "<script>alert('x')</script> & teliti"
    fs.save_comment(small_org.db, g["budi"], aid, "kekuatan", text)
    fs.save_comment(small_org.db, g["budi"], aid, "pengembangan", "x" * 1000)
    with pytest.raises(FormError, match="1001 karakter"):
        fs.save_comment(small_org.db, g["budi"], aid, "pengembangan", "y" * 1001)
    with pytest.raises(FormError):
        fs.save_comment(small_org.db, g["budi"], aid, "lainnya", "z")
    assert dict(small_org.db.execute("SELECT jenis, teks FROM comment WHERE assignment_id = ?", [aid])) == {
        "kekuatan": text, "pengembangan": "x" * 1000}
    fs.save_comment(small_org.db, g["budi"], aid, "kekuatan", "   ")
    assert [r[0] for r in small_org.db.execute("SELECT jenis FROM comment WHERE assignment_id = ?", [aid])] == [
        "pengembangan"]


def test_submit_needs_every_item(small_org):
    """Submitting with an item unanswered is refused, naming what is missing."""
    g, aid = _grants(small_org), small_org.assignment[("budi", "citra")]
    _fill(small_org, g["budi"], aid)
    small_org.db.execute("DELETE FROM response WHERE assignment_id = ? AND item IN ('B4.2', 'K03')", [aid])
    with pytest.raises(FormError, match=r"2 butir belum diisi \(B4.2, K03\)"):
        fs.submit(small_org.db, g["budi"], aid)


@pytest.mark.parametrize("tdm, allowed", [(10, True), (11, False)])
def test_submit_limits_tidak_dapat_menilai(small_org, tdm, allowed):
    """At most floor(0.34 x 30) = 10 "tidak dapat menilai" answers may be submitted on a rekan form."""
    g, aid = _grants(small_org), small_org.assignment[("budi", "citra")]
    _fill(small_org, g["budi"], aid, tdm=tdm)
    if allowed:
        fs.submit(small_org.db, g["budi"], aid)
    else:
        with pytest.raises(FormError, match="paling banyak 10"):
            fs.submit(small_org.db, g["budi"], aid)
    status = small_org.db.execute("SELECT status FROM assignment WHERE id = ?", [aid]).fetchone()[0]
    assert status == ("terkirim" if allowed else "draf")


def test_submit_locks_and_is_audited(small_org):
    """A complete form becomes 'terkirim' with a timestamp and one audit row by the rater."""
    g, aid = _grants(small_org), small_org.assignment[("kepala", "citra")]
    _fill(small_org, g["kepala"], aid, score=3)
    stamp = fs.submit(small_org.db, g["kepala"], aid)
    assert small_org.db.execute("SELECT status, terkirim FROM assignment WHERE id = ?", [aid]).fetchone() == (
        "terkirim", stamp)
    audit = small_org.db.execute("SELECT pelaku, entitas_id, detail FROM audit_log WHERE aksi = 'kirim_penilaian'"
                                 ).fetchall()
    assert audit == [(f"penilai:{small_org.nip['kepala']}", str(aid),
                      json.dumps({"ratee": small_org.nip["citra"], "relation": "atasan"}))]
    assert len(_rows(small_org.db, aid)) == 30


def test_decisions_belong_to_the_pejabat_penilai(small_org):
    """Only the ratee's atasan's form carries decisions: Rating Hasil Kerja now, Rating Perilaku after results."""
    g = _grants(small_org)
    assert fs.form(small_org.db, g["andi"], small_org.assignment[("andi", "budi")]).decisions == ()
    spec = fs.form(small_org.db, g["kepala"], small_org.assignment[("kepala", "budi")])
    assert [(d.jenis, d.editable) for d in spec.decisions] == [("hasil_kerja", True), ("perilaku", False)]
    with pytest.raises(FormError):
        fs.save_decision(small_org.db, g["andi"], small_org.assignment[("andi", "budi")], "hasil_kerja",
                         "Sesuai Ekspektasi")
    with pytest.raises(FormError):
        fs.save_decision(small_org.db, g["kepala"], small_org.assignment[("kepala", "budi")], "perilaku",
                         "Sesuai Ekspektasi")
    with pytest.raises(FormError):
        fs.save_decision(small_org.db, g["kepala"], small_org.assignment[("kepala", "budi")], "hasil_kerja",
                         "Luar Biasa")
    fs.save_decision(small_org.db, g["kepala"], small_org.assignment[("kepala", "budi")], "hasil_kerja",
                     "Di Atas Ekspektasi")
    assert small_org.db.execute("SELECT rating, sumber, penilai_nip FROM rating_hasil_kerja WHERE nip = ?",
                                [small_org.nip["budi"]]).fetchone() == (
        "Di Atas Ekspektasi", "formulir", small_org.nip["kepala"])
    assert small_org.db.execute("SELECT COUNT(*) FROM audit_log WHERE aksi = 'keputusan_rating_hasil_kerja'"
                                ).fetchone()[0] == 1


def test_imported_rating_hasil_kerja_is_not_overwritten_from_the_form(small_org):
    """When Rating Hasil Kerja was imported, the form shows it read-only and refuses a change."""
    g, aid = _grants(small_org), small_org.assignment[("kepala", "andi")]
    small_org.db["rating_hasil_kerja"].insert({"cycle_id": small_org.cycle.id, "nip": small_org.nip["andi"],
                                               "rating": "Sesuai Ekspektasi", "sumber": "impor",
                                               "diperbarui": "2026-06-01T00:00:00+00:00"})
    hk = fs.form(small_org.db, g["kepala"], aid).decisions[0]
    assert (hk.rating, hk.sumber, hk.editable) == ("Sesuai Ekspektasi", "impor", False)
    with pytest.raises(FormError):
        fs.save_decision(small_org.db, g["kepala"], aid, "hasil_kerja", "Di Atas Ekspektasi")


def test_rating_perilaku_opens_once_results_exist(small_org):
    """With a 360 result for the ratee, the form shows the suggestion and records the decision."""
    g, aid = _grants(small_org), small_org.assignment[("kepala", "andi")]
    run = small_org.db.execute("INSERT INTO analysis_run (cycle_id, jenis, settings, dihitung) "
                               "VALUES (?, 'skor', '{}', '2026-06-01')", [small_org.cycle.id]).lastrowid
    small_org.db.execute("INSERT INTO hasil_skor (cycle_id, nip, rating_perilaku_saran, analysis_run_id) "
                         "VALUES (?, ?, 'Di Atas Ekspektasi', ?)", [small_org.cycle.id, small_org.nip["andi"], run])
    rp = fs.form(small_org.db, g["kepala"], aid).decisions[1]
    assert (rp.saran, rp.editable) == ("Di Atas Ekspektasi", True)
    fs.save_decision(small_org.db, g["kepala"], aid, "perilaku", "Sesuai Ekspektasi")
    assert small_org.db.execute("SELECT rating, sumber FROM rating_perilaku WHERE nip = ?",
                                [small_org.nip["andi"]]).fetchone() == ("Sesuai Ekspektasi", "formulir")


def _suggest(org, key, saran="Di Atas Ekspektasi"):
    """Store a 360 Rating Perilaku suggestion for ``key`` (what a scoring run writes)."""
    run = org.db.execute("INSERT INTO analysis_run (cycle_id, jenis, settings, dihitung) "
                         "VALUES (?, 'skor', '{}', '2026-06-01')", [org.cycle.id]).lastrowid
    org.db.execute("INSERT INTO hasil_skor (cycle_id, nip, rating_perilaku_saran, analysis_run_id) VALUES (?, ?, ?, ?)",
                   [org.cycle.id, org.nip[key], saran, run])


def test_overview_counts_rating_perilaku_decisions_waiting_for_the_pejabat_penilai(small_org):
    """The supervisor's list flags each bawahan whose Rating Perilaku Kerja is not yet set, until it is recorded."""
    g = _grants(small_org)

    def waiting():
        ov = fs.overview(small_org.db, g["kepala"])
        return ov.decisions_waiting, {a.ratee.nip: (a.perilaku_waiting, a.perilaku_ready) for a in ov.assignments}

    n = small_org.nip
    assert waiting() == (3, {n["kepala"]: (False, False), n["andi"]: (True, False), n["budi"]: (True, False),
                             n["citra"]: (True, False)})
    _suggest(small_org, "andi")
    _suggest(small_org, "budi")
    fs.save_decision(small_org.db, g["kepala"], small_org.assignment[("kepala", "andi")], "perilaku",
                     "Sesuai Ekspektasi")
    small_org.db.execute("INSERT INTO rating_perilaku (cycle_id, nip, rating, sumber, diperbarui) "
                         "VALUES (?, ?, 'Di Bawah Ekspektasi', 'impor', '2026-06-02')", [small_org.cycle.id, n["citra"]])
    assert waiting() == (1, {n["kepala"]: (False, False), n["andi"]: (False, True), n["budi"]: (True, True),
                             n["citra"]: (False, False)})
    assert fs.overview(small_org.db, g["andi"]).decisions_waiting == 0  # a peer or bawahan decides nothing


def test_two_pages_never_silently_overwrite_an_answer(small_org):
    """A change based on what the page showed is refused when another page stored something else since."""
    g, aid = _grants(small_org), small_org.assignment[("budi", "andi")]
    fs.save_answer(small_org.db, g["budi"], aid, "B1.1", 4, expected=fs.UNANSWERED)  # tab A
    with pytest.raises(FormConflict, match="tab atau perangkat lain"):
        fs.save_answer(small_org.db, g["budi"], aid, "B1.1", 2, expected=fs.UNANSWERED)  # tab B, stale
    with pytest.raises(FormConflict):
        fs.save_answer(small_org.db, g["budi"], aid, "B1.1", 2, expected=None)  # "tidak dapat menilai" is not 4
    assert _rows(small_org.db, aid) == [("B1.1", 4)]
    fs.save_answer(small_org.db, g["budi"], aid, "B1.1", 4, expected=fs.UNANSWERED)  # the same choice: no conflict
    fs.save_answer(small_org.db, g["budi"], aid, "B1.1", None, expected=4)            # tab B after reloading
    fs.save_answer(small_org.db, g["budi"], aid, "B1.2", 3, expected=fs.UNANSWERED)   # another item is no conflict
    assert _rows(small_org.db, aid) == [("B1.1", None), ("B1.2", 3)]
    fs.save_answer(small_org.db, g["budi"], aid, "B1.2", 5)  # a caller that owns the form may skip the check
    assert _rows(small_org.db, aid)[-1] == ("B1.2", 5)


def test_two_pages_never_silently_overwrite_a_comment_or_a_decision(small_org):
    """Comments and Pejabat Penilai decisions carry the same check."""
    g, aid = _grants(small_org), small_org.assignment[("kepala", "budi")]
    fs.save_comment(small_org.db, g["kepala"], aid, "kekuatan", "Teliti", expected="")
    with pytest.raises(FormConflict):
        fs.save_comment(small_org.db, g["kepala"], aid, "kekuatan", "Rapi", expected="")
    fs.save_comment(small_org.db, g["kepala"], aid, "kekuatan", "Teliti dan rapi", expected="Teliti")
    fs.save_decision(small_org.db, g["kepala"], aid, "hasil_kerja", "Sesuai Ekspektasi", expected=None)
    with pytest.raises(FormConflict):
        fs.save_decision(small_org.db, g["kepala"], aid, "hasil_kerja", "Di Atas Ekspektasi", expected=None)
    assert small_org.db.execute("SELECT teks FROM comment WHERE assignment_id = ?", [aid]).fetchone() == (
        "Teliti dan rapi",)
    assert small_org.db.execute("SELECT rating FROM rating_hasil_kerja WHERE nip = ?",
                                [small_org.nip["budi"]]).fetchone() == ("Sesuai Ekspektasi",)


def _watched(path):
    from kinerja_lib.store import connect

    db = connect(path)
    fs.watch_file(db)
    return db


def _replace_file(path, tmp_path):
    """Put another database file at ``path`` (a copy of it), as a demo rebuild or a restore does."""
    import os
    import sqlite3

    copy = tmp_path / "pengganti.db"
    with sqlite3.connect(path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"{path.name}{suffix}").unlink(missing_ok=True)
    os.replace(copy, path)


def _count(path, sql):
    import sqlite3

    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.mark.parametrize("how", ["replaced", "deleted"])
def test_writes_stop_once_the_database_file_is_replaced_or_deleted(small_org_path, tmp_path, how):
    """A form connection whose file was swapped or removed refuses every read and write with a plain message."""
    db = _watched(small_org_path)
    issued = links.issue_links(db, 1)
    grant = links.resolve(db, issued[0].token)
    aid = fs.overview(db, grant).assignments[0].id
    fs.save_answer(db, grant, aid, "B1.1", 3)
    if how == "replaced":
        _replace_file(small_org_path, tmp_path)
    else:
        small_org_path.unlink()
    for call in (lambda: fs.save_answer(db, grant, aid, "B1.2", 4), lambda: fs.save_comment(db, grant, aid,
                 "kekuatan", "x"), lambda: fs.submit(db, grant, aid), lambda: fs.overview(db, grant),
                 lambda: fs.form(db, grant, aid)):
        with pytest.raises(DatabaseReplaced, match="Basis data di server telah diganti"):
            call()
    # nothing reached the old (unlinked) file either: the connection still sees only the first answer
    assert db.execute("SELECT COUNT(*) FROM response").fetchone()[0] == 1
    db.close()
    if how == "replaced":
        assert _count(small_org_path, "SELECT COUNT(*) FROM response") == 1


def test_a_file_replaced_during_a_write_is_caught_before_commit(small_org_path, tmp_path, monkeypatch):
    """The check runs again as the last step of the transaction, so a swap mid-write loses nothing silently."""
    db = _watched(small_org_path)
    grant = links.resolve(db, links.issue_links(db, 1)[0].token)
    aid = fs.overview(db, grant).assignments[0].id
    writable = fs._writable

    def swap_then_check(*args):
        found = writable(*args)
        _replace_file(small_org_path, tmp_path)
        return found

    monkeypatch.setattr(fs, "_writable", swap_then_check)
    with pytest.raises(DatabaseReplaced):
        fs.save_answer(db, grant, aid, "B1.1", 3)
    assert db.execute("SELECT COUNT(*) FROM response").fetchone()[0] == 0
    assert not db.conn.in_transaction
    db.close()


def test_admin_completion_by_unit_and_relation(small_org):
    """Completion counts per OPD (rater's unit rolled up) and per relation match the statuses."""
    g = _grants(small_org)
    _fill(small_org, g["kepala"], small_org.assignment[("kepala", "andi")])
    fs.submit(small_org.db, g["kepala"], small_org.assignment[("kepala", "andi")])
    fs.save_answer(small_org.db, g["dewi"], small_org.assignment[("dewi", "dewi")], "B1.1", 3)
    as_tuples = lambda rows: [(r.label, r.total, r.belum, r.draf, r.terkirim) for r in rows]  # noqa: E731
    assert as_tuples(fs.completion_by_unit(small_org.db, g["admin"])) == [
        ("Dinas Lain", 1, 0, 1, 0), ("Dinas Uji", 16, 15, 0, 1)]
    assert as_tuples(fs.completion_by_relation(small_org.db, g["admin"])) == [
        ("Diri sendiri", 5, 4, 1, 0), ("Atasan", 3, 2, 0, 1), ("Rekan kerja", 6, 6, 0, 0), ("Bawahan", 3, 3, 0, 0)]
    not_started = [r.nama for r in fs.rater_status(small_org.db, g["admin"], "belum_mulai")]
    assert not_started == ['Andi <b>Pratama</b> & "Co"', "Budi Santoso", "Citra Lestari"]


def test_reminder_export(small_org, tmp_path):
    """The reminder CSV lists every rater with something unsubmitted, with their counts."""
    g = _grants(small_org)
    aid = small_org.assignment[("dewi", "dewi")]
    _fill(small_org, g["dewi"], aid)
    fs.submit(small_org.db, g["dewi"], aid)
    with open(fs.export_reminders(small_org.db, g["admin"], tmp_path / "p.csv"), encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    n = small_org.nip
    assert rows == [
        ["NIP", "Nama", "Unit Kerja", "Jumlah Dinilai", "Belum Diisi", "Draf", "Terkirim"],
        [n["andi"], 'Andi <b>Pratama</b> & "Co"', "Dinas Uji / Bidang Layanan", "4", "4", "0", "0"],
        [n["budi"], "Budi Santoso", "Dinas Uji / Bidang Layanan", "4", "4", "0", "0"],
        [n["citra"], "Citra Lestari", "Dinas Uji / Bidang Layanan", "4", "4", "0", "0"],
        [n["kepala"], "Rina Kartika", "Dinas Uji / Bidang Layanan", "4", "4", "0", "0"],
    ]


def test_reopen_needs_a_reason_and_is_audited(small_org):
    """The admin reopens a submitted form as a draft with a reason kept in the audit log."""
    g, aid = _grants(small_org), small_org.assignment[("budi", "budi")]
    with pytest.raises(FormError, match="Hanya formulir yang sudah terkirim"):
        fs.reopen(small_org.db, g["admin"], aid, "salah pilih")
    _fill(small_org, g["budi"], aid)
    fs.submit(small_org.db, g["budi"], aid)
    with pytest.raises(FormError, match="Alasan"):
        fs.reopen(small_org.db, g["admin"], aid, "  ")
    with pytest.raises(AccessDenied):
        fs.reopen(small_org.db, g["budi"], aid, "saya sendiri")
    fs.reopen(small_org.db, g["admin"], aid, "Penilai salah menilai butir B3")
    assert small_org.db.execute("SELECT status, terkirim FROM assignment WHERE id = ?", [aid]).fetchone() == (
        "draf", None)
    detail = small_org.db.execute("SELECT detail FROM audit_log WHERE aksi = 'buka_kembali_penilaian'").fetchone()[0]
    assert json.loads(detail)["alasan"] == "Penilai salah menilai butir B3"
    fs.save_answer(small_org.db, g["budi"], aid, "B3.1", 1)  # the rater can change it again


def test_admin_functions_refuse_rater_links(small_org):
    """A rater's grant cannot read the dashboard figures."""
    g = _grants(small_org)
    for call in (fs.admin_overview, fs.completion_by_relation, fs.completion_by_unit, fs.reminder_csv):
        with pytest.raises(AccessDenied):
            call(small_org.db, g["andi"])
    with pytest.raises(AccessDenied):
        fs.overview(small_org.db, g["admin"])
