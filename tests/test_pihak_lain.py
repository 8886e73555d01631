"""Raters from outside the roster ("pihak lain"): added by name, given a personal link, their own group in scoring."""

from __future__ import annotations

import sqlite3

import pytest

from kinerja_lib import form_service, links
from kinerja_lib.errors import AccessDenied, ExternalRaterError, FormError, ImportRejected
from kinerja_lib.items import items_for_relation
from kinerja_lib.pihak_lain import add_external_rater, external_raters, import_external_raters


def _fill_and_submit(db, grant, score: int) -> None:
    ov = form_service.overview(db, grant)
    for a in ov.assignments:
        for item in items_for_relation(ov.cycle.settings, a.relation):
            form_service.save_answer(db, grant, a.id, item, score)
        form_service.save_comment(db, grant, a.id, "kekuatan", f"<b>pelayanan</b> {score}")
        form_service.submit(db, grant, a.id)


def _external(org, n: int, ratee: str = "budi") -> list[links.LinkGrant]:
    db = org.db
    for k in range(n):
        add_external_rater(db, org.cycle.id, f"Penilai Luar {k}", "Dinas Kominfo Provinsi", [org.nip[ratee]],
                           jabatan="Analis", email=f"luar{k}@contoh.go.id", no_hp="0812-3456-789" + str(k))
    issued = links.issue_external_links(db, org.cycle.id, base_url="https://nilai.contoh.go.id")
    return [links.verify(db, i.token) for i in issued]


def test_an_external_rater_is_not_on_the_roster_and_rates_as_pihak_lain(small_org):
    """Adding an external rater creates no pegawai; their assignment is relation 'lainnya' by id, without a NIP."""
    db = small_org.db
    before = db.execute("SELECT COUNT(*) FROM pegawai").fetchone()[0]
    rater_id, added = add_external_rater(db, None, "  Siti  Aminah ", "Kementerian PANRB", [small_org.nip["budi"]])
    assert (added, db.execute("SELECT COUNT(*) FROM pegawai").fetchone()[0]) == (1, before)
    row = db.execute("SELECT rater_nip, penilai_luar_id, relation, sumber FROM assignment WHERE penilai_luar_id = ?",
                     [rater_id]).fetchone()
    assert row == (None, rater_id, "lainnya", "manual")
    assert [(r.nama, r.instansi, r.jumlah_dinilai) for r in external_raters(db, small_org.cycle.id)] == [
        ("Siti Aminah", "Kementerian PANRB", 1)]
    # adding the same person again adds nothing
    assert add_external_rater(db, None, "Siti Aminah", "Kementerian PANRB", [small_org.nip["budi"]]) == (rater_id, 0)


def test_the_schema_refuses_an_assignment_with_no_rater_two_raters_or_an_external_rater_of_another_relation(small_org):
    """Exactly one of rater_nip / penilai_luar_id, and an external rater rates only as 'lainnya'."""
    db = small_org.db
    rater_id, _ = add_external_rater(db, None, "Siti", "Kementerian PANRB", [small_org.nip["budi"]])
    bad = [(None, None, "lainnya"), (small_org.nip["andi"], rater_id, "lainnya"), (None, rater_id, "rekan")]
    for nip, ext, relation in bad:
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("INSERT INTO assignment (cycle_id, rater_nip, penilai_luar_id, ratee_nip, relation) "
                       "VALUES (?, ?, ?, ?, ?)", [small_org.cycle.id, nip, ext, small_org.nip["citra"], relation])


@pytest.mark.parametrize("nama, instansi, nips, email, message", [
    ("", "Kementerian", ["199003032015022003"], None, "Nama dan instansi"),
    ("Siti", "Kementerian", ["199999999999999999"], None, "199999999999999999"),
    ("Siti", "Kementerian", ["199003032015022003"], "bukan-surel", "bukan-surel"),
    ("Siti", "Kementerian", [], None, "paling sedikit satu NIP"),
])
def test_a_bad_external_rater_is_refused_in_indonesian_and_nothing_is_written(small_org, nama, instansi, nips,
                                                                             email, message):
    """A missing name, an unknown NIP, a bad e-mail or no one to rate: refused, no row written."""
    with pytest.raises(ExternalRaterError, match=message):
        add_external_rater(small_org.db, None, nama, instansi, nips, email=email)
    assert small_org.db.execute("SELECT COUNT(*) FROM penilai_luar").fetchone()[0] == 0


def test_an_external_rater_opens_their_link_sees_their_name_and_only_their_own_form(small_org):
    """The link grants the external rater's own assignments; another rater's form is refused."""
    db = small_org.db
    (grant,) = _external(small_org, 1)
    assert (grant.rater_nip, grant.jenis, grant.pelaku) == (None, "penilai", f"pihak_lain:{grant.penilai_luar_id}")
    ov = form_service.overview(db, grant)
    assert (ov.rater.nip, ov.rater.nama, ov.rater.unit) == ("", "Penilai Luar 0", "Dinas Kominfo Provinsi")
    assert [(a.ratee.nip, a.relation, a.relation_label) for a in ov.assignments] == [
        (small_org.nip["budi"], "lainnya", "Pihak lain")]
    with pytest.raises(FormError):
        form_service.form(db, grant, small_org.assignment[("kepala", "andi")])
    spec = form_service.form(db, grant, ov.assignments[0].id)
    assert spec.decisions == ()   # never the Pejabat Penilai's decisions


def test_reissuing_an_external_link_revokes_the_old_one_only(small_org):
    """A new link for one external rater ends their old link and leaves the others' alone."""
    db = small_org.db
    grants = _external(small_org, 2)
    first = links.issue_external_links(db, small_org.cycle.id, ids=[grants[0].penilai_luar_id])
    with pytest.raises(AccessDenied):
        form_service.overview(db, grants[0])
    form_service.overview(db, grants[1])
    assert links.verify(db, first[0].token).penilai_luar_id == grants[0].penilai_luar_id


def test_pihak_lain_answers_form_their_own_group_under_its_anonymity_minimum(small_org):
    """Three external raters make a shown 'lainnya' group; with two the group is dropped entirely."""
    from kinerja_lib.scoring import run_scoring

    db = small_org.db
    for key in ("kepala", "andi", "citra"):   # the ratee's atasan and peers, so 'lainnya' is one group of several
        grant = links.verify(db, next(i.token for i in links.issue_links(db, small_org.cycle.id,
                                                                        nips=[small_org.nip[key]])))
        _fill_and_submit(db, grant, 3)
    grants = _external(small_org, 3)
    for grant in grants[:2]:
        _fill_and_submit(db, grant, 5)
    run_scoring(db, small_org.cycle.id)
    row = db.execute("SELECT n_lainnya, rerata_lainnya, kelompok_tampil FROM hasil_skor WHERE nip = ?",
                     [small_org.nip["budi"]]).fetchone()
    assert row[0] == 2 and row[1] is None and "lainnya" not in row[2].split(",")
    _fill_and_submit(db, grants[2], 5)
    run_scoring(db, small_org.cycle.id)
    row = db.execute("SELECT n_lainnya, rerata_lainnya, kelompok_tampil FROM hasil_skor WHERE nip = ?",
                     [small_org.nip["budi"]]).fetchone()
    assert row[0] == 3 and row[1] == pytest.approx(5.0) and "lainnya" in row[2].split(",")
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE pelaku LIKE 'pihak_lain:%' AND aksi = 'kirim_penilaian'"
                      ).fetchone()[0] == 3


def test_the_import_adds_raters_and_assignments_all_or_nothing(small_org, tmp_path):
    """A file with one bad row writes nothing; the corrected file adds each rater once and each assignment."""
    db = small_org.db
    head = "Nama,Instansi,Jabatan,Email,No. HP,NIP Dinilai,Alasan\n"
    good = (f"Siti Aminah,Kementerian PANRB,Analis,siti@contoh.go.id,081234567890,{small_org.nip['budi']},mitra\n"
            f"Siti Aminah,Kementerian PANRB,Analis,,,{small_org.nip['andi']},\n"
            f"Joko,BPS Kota,Statistisi,,,{small_org.nip['budi']},\n")
    bad = tmp_path / "salah.csv"
    bad.write_text(head + good + "Tono,,Staf,,,199999999999999999,\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        import_external_raters(db, bad, small_org.cycle.id)
    assert [(p.row, p.column) for p in info.value.problems] == [(5, "Instansi"), (5, "NIP Dinilai")]
    assert db.execute("SELECT COUNT(*) FROM penilai_luar").fetchone()[0] == 0
    ok = tmp_path / "pihak_lain.csv"
    ok.write_text(head + good, encoding="utf-8")
    summary = import_external_raters(db, ok, small_org.cycle.id)
    assert (summary.rows, summary.inserted, summary.updated) == (3, 3, 0)
    assert [(r.nama, r.jumlah_dinilai) for r in external_raters(db, small_org.cycle.id)] == [("Joko", 1),
                                                                                               ("Siti Aminah", 2)]
    assert import_external_raters(db, ok, small_org.cycle.id).inserted == 0


def test_regenerating_assignments_from_the_org_chart_keeps_external_raters(small_org):
    """`kinerja assign` run again leaves a pihak lain assignment active and its link working."""
    from kinerja_lib.assignments import generate_assignments

    db = small_org.db
    (grant,) = _external(small_org, 1)
    generate_assignments(db, small_org.cycle.id)
    ov = form_service.overview(db, grant)
    assert [(a.ratee.nip, a.relation) for a in ov.assignments] == [(small_org.nip["budi"], "lainnya")]


def test_an_external_rater_sees_their_list_and_form_in_the_app_without_the_roster_only_entries(small_org):
    """The rater app of a link from outside the roster opens (no Umpan Balik or other roster-only entry fails it)."""
    from kinerja_lib.forms.rater import RaterApp

    grant = _external(small_org, 1)[0]
    app = RaterApp(small_org.db, grant)
    assert not app.denied and not app.halted
    assert len(app.open_buttons) == 1
    next(iter(app.open_buttons.values())).click()
    assert app.form is not None and app.form.scores
