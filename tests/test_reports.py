"""Individual 360 reports and the berita acara: content, anonymity, escaping, redaction, order, CLI."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import pdf_text

import kinerja_lib
from kinerja_lib import reports, scoring
from kinerja_lib.cli import main
from kinerja_lib.cycle import get_cycle
from kinerja_lib.errors import ReportError
from kinerja_lib.reports import NameRedactor, angka, css_string, tanggal
from kinerja_lib.store import now

INSTRUMENT_VALUES = ["Berorientasi Pelayanan", "Akuntabel", "Kompeten", "Harmonis", "Loyal", "Adaptif",
                     "Kolaboratif"]


def _raters(db, cycle_id: int, ratee: str) -> list[tuple[str, str, str]]:
    """Return (nip, name, relation) of everyone but the ratee who rates them, once with the name as stored
    and once without the degrees after the comma (the form people type)."""
    rows = db.execute("SELECT a.rater_nip, p.nama, a.relation FROM assignment a JOIN pegawai p ON p.nip = a.rater_nip "
                      "WHERE a.cycle_id = ? AND a.ratee_nip = ? AND a.relation <> 'diri'", [cycle_id, ratee]).fetchall()
    return rows + [(nip, nama.split(",")[0].strip(), rel) for nip, nama, rel in rows]


# --- formatting and escaping helpers --------------------------------------------------------------

@pytest.mark.parametrize("value, digits, text", [
    (3.846, 2, "3,85"), (4, 1, "4,0"), (None, 2, "–"), (float("nan"), 2, "–"), (0.5, 0, "0"),
])
def test_angka_writes_a_decimal_comma_and_a_dash_for_missing(value, digits, text):
    """Numbers use the Indonesian decimal comma; missing values show as an en dash."""
    assert angka(value, digits) == text


@pytest.mark.parametrize("value, text", [("2026-03-12", "12 Maret 2026"), ("2026-12-01T08:00:00+00:00",
                                                                             "1 Desember 2026")])
def test_tanggal_writes_indonesian_dates(value, text):
    """Dates read '12 Maret 2026'."""
    assert tanggal(value) == text


@pytest.mark.parametrize("raw, escaped", [
    ("Budi", "Budi"),
    ('a"b', "a\\000022b"),
    ("x</style>", "x\\00003c\\00002fstyle\\00003e"),
    ("a b", "a\\000020b"),
])
def test_css_string_escapes_everything_but_ascii_letters_and_digits(raw, escaped):
    """A name placed in the page footer (a CSS string) cannot end the string or the style element."""
    assert str(css_string(raw)) == escaped


# --- redaction of names typed in comments ---------------------------------------------------------

ROSTER = ["Dr. Budi Santoso, S.Kom.", "Sri Wahyuni", "Hj. Siti Aminah, M.Si."]


@pytest.mark.parametrize("typed, shown", [
    ("Budi Santoso sangat membantu.", "[nama disamarkan] sangat membantu."),
    ("terima kasih BUDI SANTOSO", "terima kasih [nama disamarkan]"),
    ("Bu Sri selalu sabar.", "[nama disamarkan] selalu sabar."),
    ("Pak Budi dan Bu Siti Aminah hadir.", "[nama disamarkan] dan [nama disamarkan] hadir."),
    ("Ibu Sri Wahyuni, terima kasih.", "[nama disamarkan], terima kasih."),
    ("Budiman bukan nama di daftar.", "Budiman bukan nama di daftar."),
    ("Budi sendirian tanpa sapaan tidak disamarkan.", "Budi sendirian tanpa sapaan tidak disamarkan."),
    ("Pak Joko bukan pegawai.", "Pak Joko bukan pegawai."),
])
def test_redactor_replaces_roster_names_and_honorific_forms(typed, shown):
    """Full roster names and honorific + roster-name forms become [nama disamarkan]; other words stay."""
    assert NameRedactor(ROSTER)(typed) == shown


def test_redactor_takes_extra_names():
    """Names given besides the roster are redacted too."""
    assert NameRedactor([], ["Joko Widodo"])("Seperti Joko Widodo.") == "Seperti [nama disamarkan]."


# --- the demo cycle's reports ----------------------------------------------------------------------

def test_report_shows_the_person_the_engine_scores_and_the_guide(reports_demo):
    """The PDF names the ratee, the cycle and settings, each BerAKHLAK value, the engine's 360 score, the guide."""
    d = reports_demo
    person = d.db.execute("SELECT nama, jabatan FROM pegawai WHERE nip = ?", [d.target]).fetchone()
    settings = get_cycle(d.db, d.cycle_id).settings
    scores = scoring.score_responses(scoring.load_responses(d.db, d.cycle_id), settings).set_index("nip")
    text = d.reports[d.target]["pdf"]
    expected = [person[0], d.target, "Demo Tahunan 2026", "Laporan Umpan Balik 360°",
                f"{angka(scores.loc[d.target, 'skor'])} dari 5", "Cara membaca laporan ini",
                "instrumen berakhlak-2023.1", "Atasan 40%", "Rekan kerja 3", *INSTRUMENT_VALUES]
    assert [s for s in expected if s not in text] == []


def test_reports_cover_every_rated_pegawai_of_the_unit_with_an_index(reports_demo):
    """One PDF per rated pegawai of the unit (sub-units included) and an index listing each file."""
    d = reports_demo
    rated = {r[0] for r in d.db.execute(
        "SELECT DISTINCT a.ratee_nip FROM assignment a JOIN pegawai p ON p.nip = a.ratee_nip "
        "WHERE a.cycle_id = ? AND a.aktif = 1 AND (p.unit_id = ? OR p.unit_id LIKE ?)",
        [d.cycle_id, d.unit, d.unit + " / %"])}
    index = d.paths[-1].read_text()
    assert (set(d.reports), [p.name for p in d.paths[:-1] if p.name not in index]) == (rated, [])


def test_no_report_names_a_rater(reports_demo):
    """No rater's name or NIP appears in the PDF or HTML of the report about them (only the ratee is named)."""
    d = reports_demo
    leaks = []
    for ratee, rendered in d.reports.items():
        for nip, nama, relation in _raters(d.db, d.cycle_id, ratee):
            for kind in ("pdf", "html"):
                leaks += [(ratee, relation, kind, s) for s in (nip, nama) if s in rendered[kind]]
    assert leaks == []


def test_a_group_under_its_minimum_shows_no_score_count_or_comment(reports_demo):
    """The 2 rekan of the target are dropped entirely: their comments are absent and the row says why."""
    d = reports_demo
    text, html = d.reports[d.target]["pdf"], d.reports[d.target]["html"]
    assert ([m for m in d.markers if m in text or m in html],
            "Rekan kerja – – tidak ditampilkan: kurang dari 3 penilai" in text) == ([], True)


def test_report_context_carries_no_rater_identity(reports_demo):
    """build_report_data's context holds no NIP or name of any rater, and no count of a hidden group."""
    d = reports_demo
    context = reports.build_report_data(d.db, d.cycle_id, d.target)
    strings = []

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)
        elif isinstance(x, str):
            strings.append(x)

    walk(context)
    blob = "\n".join(strings)
    found = [s for nip, nama, _ in _raters(d.db, d.cycle_id, d.target) for s in (nip, nama) if s in blob]
    rekan = next(g for g in context["kelompok"] if g["kode"] == "rekan")
    assert (found, rekan["tampil"], rekan["n"], rekan["mean"]) == ([], False, None, None)


def test_comment_markup_is_shown_as_text(reports_demo):
    """A typed <script> or <b> is escaped in the HTML and printed literally in the PDF."""
    d = reports_demo
    html, text = d.reports[d.target]["html"], d.reports[d.target]["pdf"]
    assert ("<script>" in html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html,
            "&lt;b&gt;rapi&lt;/b&gt;" in html, "<script>alert('x')</script> Kerja <b>rapi</b>" in text) == (
        False, True, True, True)


def test_names_typed_in_a_comment_are_redacted(reports_demo):
    """Both rekan names typed by the atasan appear as [nama disamarkan] in the printed comment."""
    d = reports_demo
    text = d.reports[d.target]["pdf"]
    assert "Kerja <b>rapi</b> bersama [nama disamarkan] dan [nama disamarkan]." in text


def test_comments_keep_one_seeded_order_independent_of_insertion(reports_demo):
    """Comments come out in the same order whatever order they were stored in, shuffled rather than sorted."""
    d = reports_demo
    prepared = reports.prepare_cycle(d.db, d.cycle_id, unit=d.unit, competency=False)

    def shown(nip):
        return [j["teks"] for b in reports.build_report_data(d.db, d.cycle_id, nip, prepared=prepared)["komentar"]
                for j in b["jenis"]]

    first = {nip: shown(nip) for nip in prepared.ratees}
    for stored in prepared.comments.values():
        for texts in stored.values():
            texts.reverse()
    second = {nip: shown(nip) for nip in prepared.ratees}
    long_lists = [t for lists in first.values() for t in lists if len(t) >= 3]
    assert (first == second, len(long_lists) > 0, all(t == sorted(t) for t in long_lists)) == (True, True, False)


def test_competency_section_is_optional(reports_demo, monkeypatch):
    """The competency profile appears with the analysis and is left out, without error, when the module is absent."""
    d = reports_demo
    with_section = reports.report_html(d.db, d.cycle_id, d.target)
    monkeypatch.setitem(sys.modules, "kinerja_lib.competency", None)  # import now raises ImportError
    monkeypatch.delattr(kinerja_lib, "competency", raising=False)
    without = reports.report_html(d.db, d.cycle_id, d.target)
    title = "Profil kompetensi terhadap standar jabatan"
    assert (title in with_section, title in without) == (True, False)


def test_stored_scores_are_used_until_a_form_changes(reports_demo):
    """After 'kinerja score' the report reuses the stored run; a later form change makes it re-score."""
    d = reports_demo
    run = scoring.run_scoring(d.db, d.cycle_id)
    dihitung = d.db.execute("SELECT dihitung FROM analysis_run WHERE id = ?", [run.run_id]).fetchone()[0]
    fresh = reports.prepare_cycle(d.db, d.cycle_id, nip=d.target, competency=False).skor_dihitung
    # A form reopened and submitted again within the same second as the run: the clock cannot tell, the
    # change counter can.
    d.db.execute("UPDATE assignment SET status = 'terkirim', diperbarui = ? WHERE id = "
                 "(SELECT min(id) FROM assignment WHERE cycle_id = ? AND status = 'terkirim')", [dihitung, d.cycle_id])
    stale = reports.prepare_cycle(d.db, d.cycle_id, nip=d.target, competency=False).skor_dihitung
    assert (fresh, stale) == (dihitung, None)


def test_scores_computed_now_reach_the_report_as_the_stored_ones_do(small_org):
    """The rows a report scores in memory carry hasil_skor's names and values, as the stored rows do once
    'kinerja score' ran: the two sources of cycle_scores differ in when the scores were computed, not in how
    their columns are named (only the raw score's error is not stored)."""
    from conftest import answer_everything

    db = small_org.db
    answer_everything(db, small_org)
    cycle, ratees = get_cycle(db, small_org.cycle.id), sorted(small_org.nip.values())
    computed, when = reports.cycle_scores(db, cycle, ratees)
    scoring.run_scoring(db, cycle.id)
    stored, dihitung = reports.cycle_scores(db, cycle, ratees)
    assert (when, dihitung is None) == (None, False)
    assert set(computed.columns) - set(stored.columns) == {"skor_se"}
    shared = [c for c in computed.columns if c != "skor_se"]
    # A column with no figure at all reads back from SQLite as None where the analysis has NaN: both are missing.
    computed, stored = (f[shared].astype(object).where(f[shared].notna(), None) for f in (computed, stored))
    pd.testing.assert_frame_equal(computed, stored)


# --- the berita acara ------------------------------------------------------------------------------

def _decide_all(org, hasil: str, perilaku: str) -> None:
    stamp = now()
    for nip in org.nip.values():
        for table, rating in (("rating_hasil_kerja", hasil), ("rating_perilaku", perilaku)):
            org.db.execute(f"INSERT INTO {table} (cycle_id, nip, rating, sumber, diperbarui) VALUES (?, ?, ?, 'impor', ?)",
                           [org.cycle.id, nip, rating, stamp])


def test_berita_acara_lists_the_unit_and_warns_with_numbers(small_org, tmp_path):
    """Every pegawai of the unit (sub-units included) is listed with both ratings and the predikat, and each
    broken distribution rule is a warning with its numbers, while the document is still produced."""
    _decide_all(small_org, "Sesuai Ekspektasi", "Sesuai Ekspektasi")  # everyone 'Baik'
    small_org.db.execute("INSERT INTO predikat_organisasi (cycle_id, unit_id, predikat) VALUES (?, 'Dinas Uji', 'Baik')",
                         [small_org.cycle.id])
    [path] = reports.render_berita_acara(small_org.db, small_org.cycle.id, unit="Dinas Uji", out_dir=tmp_path,
                                         tanggal_penetapan="2026-12-15")
    text = pdf_text(path)
    members = ["Rina Kartika", 'Andi <b>Pratama</b> & "Co"', "Budi Santoso", "Citra Lestari"]
    expected = ["Dinas Uji", "Surakarta, 15 Desember 2026", "Pejabat Penilai Kinerja", *members,
                "Baik paling banyak 70%, sedangkan saat ini 4 dari 4 pegawai",
                "Butuh Perbaikan + Kurang/Misconduct paling sedikit 1 orang, sedangkan saat ini 0 dari 4 pegawai"]
    assert ([s for s in expected if s not in text], "Dewi Anggraini" in text, text.count("Sesuai Ekspektasi")) == (
        [], False, 8)


def test_berita_acara_prints_decisions_only_and_is_a_draft_while_anyone_waits(small_org):
    """Without a decided Rating Perilaku nobody gets a predikat (a 360 suggestion is never printed) and the
    document is a draft; once everyone is decided it is not."""
    stamp = now()
    for nip in small_org.nip.values():
        small_org.db.execute("INSERT INTO rating_hasil_kerja (cycle_id, nip, rating, sumber, diperbarui) "
                             "VALUES (?, ?, 'Di Atas Ekspektasi', 'impor', ?)", [small_org.cycle.id, nip, stamp])
    ctx = reports.build_berita_acara_data(small_org.db, small_org.cycle.id, "Dinas Uji")
    assert ([(r["predikat"], r["perilaku"], r["menunggu"]) for r in ctx["pegawai"]], ctx["menunggu"], ctx["draf"],
            ctx["peringatan"]) == ([(None, None, True)] * 4, 4, True, [])
    html = reports.render_berita_acara_html(ctx)
    assert "DRAF – BELUM DAPAT DITETAPKAN" in html and 'class="draf-tanda"' in html
    for nip in small_org.nip.values():
        small_org.db.execute("INSERT INTO rating_perilaku (cycle_id, nip, rating, sumber, diperbarui) "
                             "VALUES (?, ?, 'Sesuai Ekspektasi', 'formulir', ?)", [small_org.cycle.id, nip, stamp])
    ctx = reports.build_berita_acara_data(small_org.db, small_org.cycle.id, "Dinas Uji")
    assert (ctx["menunggu"], ctx["draf"], {r["predikat"] for r in ctx["pegawai"]}) == (0, False, {"Baik"})
    assert "DRAF" not in reports.render_berita_acara_html(ctx)


# --- the command line ------------------------------------------------------------------------------

def test_cli_writes_one_report_and_the_index(small_org_path, tmp_path):
    """'kinerja report --pegawai NIP' writes that person's PDF and index.html."""
    kepala = "197501012000031001"
    result = CliRunner().invoke(main, ["--db", str(small_org_path), "report", "--pegawai", kepala,
                                       "--out", str(tmp_path / "out")])
    assert (result.exit_code, sorted(p.name for p in (tmp_path / "out").iterdir())) == (
        0, ["index.html", f"laporan-360-{kepala}.pdf"]), result.output


@pytest.mark.parametrize("args, message", [
    (["--unit", "Dinas Tidak Ada"], "Galat: Unit 'Dinas Tidak Ada' tidak ditemukan"),
    (["--pegawai", "199999999999999999"], "Galat: Pegawai dengan NIP 199999999999999999 tidak ditemukan"),
    (["--berita-acara", "--tanggal", "15-12-2026"], "Galat: Tanggal penetapan '15-12-2026' tidak valid"),
])
def test_cli_reports_bad_input_in_indonesian(small_org_path, tmp_path, args, message):
    """Unknown units and pegawai, and bad dates, end with a clear message and exit code 2."""
    result = CliRunner().invoke(main, ["--db", str(small_org_path), "report", "--out", str(tmp_path), *args])
    assert (result.exit_code, message in result.output) == (2, True), result.output


def test_missing_browser_is_a_clear_error(tmp_path):
    """Without a Chromium to print with, printing stops with an Indonesian message naming the fix."""
    with pytest.raises(ReportError, match="Chromium tidak dapat dijalankan untuk membuat PDF"):
        reports.print_pdfs([("<p>x</p>", tmp_path / "x.pdf")], executable=str(tmp_path / "tidak-ada"))


def test_a_name_full_of_markup_is_escaped_in_the_page_and_its_footer(small_org):
    """A ratee named 'Andi <b>Pratama</b> & "Co"' is text in the body and an escaped CSS string in the footer,
    and a report with no submitted forms at all still renders."""
    html = reports.report_html(small_org.db, small_org.cycle.id, small_org.nip["andi"])
    assert ("<b>Pratama</b>" in html, "Andi &lt;b&gt;Pratama&lt;/b&gt; &amp; &#34;Co&#34;" in html,
            "Andi\\000020\\00003cb\\00003ePratama" in html) == (False, True, True)


def test_a_weakened_anonymity_minimum_is_printed_on_the_report(small_org):
    """With minimal_penilai rekan 2 (allowed explicitly), the report says anonymity is weaker, at the top and in
    the settings table."""
    import json

    from kinerja_lib.cycle import merge_settings

    settings = merge_settings({"minimal_penilai": {"rekan": 2}, "izinkan_minimal_di_bawah_3": True})
    small_org.db.execute("UPDATE cycle SET settings = ? WHERE id = ?", [json.dumps(settings), small_org.cycle.id])
    kepala = small_org.nip["kepala"]
    ctx = reports.build_report_data(small_org.db, small_org.cycle.id, kepala)
    warning = "PERHATIAN: minimal penilai di bawah 3 (rekan 2)"
    assert ctx["pengaturan"]["peringatan_anonimitas"].startswith(warning)
    assert reports.render_report_html(ctx).count(warning) == 2


# --- published versions: no difference of one rater ------------------------------------------------

@pytest.mark.parametrize("before, after, blocked", [
    ({"rekan": [[1, "t"], [2, "t"], [3, "t"]]}, {"rekan": [[1, "t"], [2, "t"], [3, "t"], [4, "t"]]}, ["rekan"]),
    ({"rekan": [[1, "t"], [2, "t"], [3, "t"]]}, {"rekan": [[1, "t"], [2, "t"], [3, "u"]]}, ["rekan"]),
    ({"rekan": [[1, "t"], [2, "t"], [3, "t"]]}, {"rekan": [[1, "t"], [2, "t"], [3, "t"], [4, "t"], [5, "t"],
                                                           [6, "t"]]}, []),
    ({"atasan": [[9, "t"]]}, {"atasan": [[9, "u"]]}, []),          # the atasan is named anyway: minimum 1
])
def test_a_new_version_needs_a_changed_group_to_differ_by_its_minimum(before, after, blocked):
    """One added or resubmitted peer would be recoverable by subtraction; three are a group; the atasan is
    shown by name anyway."""
    assert reports.publishable(after, [before], {"rekan": 3, "atasan": 1}) == blocked


def test_differences_are_checked_against_every_earlier_version():
    """v1 -> v2 and v2 -> v3 each change 3 peers, but v1 and v3 differ by 2: v3 is not published."""
    v1 = {"rekan": [[i, "t"] for i in (1, 2, 3, 4, 5)]}
    v2 = {"rekan": [[i, "t"] for i in (1, 2, 3, 4, 5, 6, 7, 8)]}
    v3 = {"rekan": [[i, "t"] for i in (1, 2, 3, 4, 5, 6, 9)]}
    assert reports.publishable(v3, [v2], {"rekan": 3}) == []
    assert reports.publishable(v3, [v1, v2], {"rekan": 3}) == ["rekan"]


def test_a_reopened_peer_does_not_change_the_published_report(tmp_path):
    """A peer's form reopened and resubmitted with other answers leaves the pegawai's published report as it
    was (with a note); three new peers' forms do change it, as a new version."""
    from kinerja_lib.demo import build_demo_database

    db, summary = build_demo_database(tmp_path / "demo.db", 120, 2026, cycles=1)
    cycle = summary.cycle_id
    target, = db.execute("SELECT ratee_nip FROM assignment WHERE cycle_id = ? AND relation = 'rekan' AND "
                         "status = 'terkirim' GROUP BY ratee_nip HAVING count(*) >= 3 LIMIT 1", [cycle]).fetchone()
    data = reports.prepare_cycle(db, cycle, nip=target, competency=False)
    first = reports.published_report(db, data, target)
    assert "rekan" in {g["kode"] for g in first["kelompok"] if g["tampil"]}
    # nothing changed: the stored version comes back and renders exactly as it was published
    assert reports.render_report_html(reports.published_report(db, data, target)) == reports.render_report_html(first)
    aid, = db.execute("SELECT id FROM assignment WHERE cycle_id = ? AND ratee_nip = ? AND relation = 'rekan' "
                      "AND status = 'terkirim' LIMIT 1", [cycle, target]).fetchone()
    db.execute("UPDATE response SET score = CASE WHEN score IS NULL THEN NULL ELSE 6 - score END "
               "WHERE assignment_id = ?", [aid])
    db.execute("UPDATE assignment SET terkirim = '2099-01-01T00:00:00+00:00' WHERE id = ?", [aid])
    data = reports.prepare_cycle(db, cycle, nip=target, competency=False)
    assert reports.build_report_data(db, cycle, target, prepared=data)["nilai"] != first["nilai"]
    second = reports.published_report(db, data, target)
    assert second["nilai"] == first["nilai"] and second["ringkasan"]["skor"] == first["ringkasan"]["skor"]
    assert "belum diterbitkan" in second["versi"]["tertahan"]
    assert "belum diterbitkan" in reports.render_report_html(second)
    db.execute("UPDATE assignment SET terkirim = '2099-01-02T00:00:00+00:00' WHERE cycle_id = ? AND ratee_nip = ? "
               "AND relation = 'rekan' AND status = 'terkirim' AND id <> ?", [cycle, target, aid])
    third = reports.published_report(db, reports.prepare_cycle(db, cycle, nip=target, competency=False), target)
    assert (third["versi"]["nomor"], third["versi"]["tertahan"]) == (2, None)
    # A version stored by an earlier release (no header text in its context) still renders.
    import json
    import zlib
    stored, = db.execute("SELECT konteks FROM laporan_versi WHERE nip = ? AND versi = 2", [target]).fetchone()
    old = json.loads(zlib.decompress(stored))
    del old["teks_logo"]
    db.execute("UPDATE laporan_versi SET konteks = ? WHERE nip = ? AND versi = 2",
               [zlib.compress(json.dumps(old).encode()), target])
    again = reports.published_report(db, reports.prepare_cycle(db, cycle, nip=target, competency=False), target)
    assert again["versi"]["nomor"] == 2 and old["instansi"] in reports.render_report_html(again)
    db.close()


def test_reports_printed_together_are_split_into_their_own_files(reports_demo, tmp_path):
    """Several reports printed by one Chromium call come out exactly as printed one by one: each file has its
    own pages, its own title and footer, 'Halaman i dari n' counted within itself, and no trace of the batch."""
    import re
    import subprocess

    d = reports_demo
    nips = sorted(d.reports)[:3]
    assert len(nips) == 3

    alone = {}
    for nip in nips:
        [path, _] = reports.render_reports(d.db, d.cycle_id, nip=nip, out_dir=tmp_path / "sendiri" / nip,
                                           progress=False, batch=1)
        alone[nip] = path
    together = tmp_path / "bersama"
    jobs = [(reports.render_report_html(reports.build_report_data(d.db, d.cycle_id, nip)), together / f"{nip}.pdf")
            for nip in nips]
    together.mkdir()
    reports.print_pdfs(jobs, batch=3)
    for nip in nips:
        name = d.db.execute("SELECT nama FROM pegawai WHERE nip = ?", [nip]).fetchone()[0]
        info = subprocess.run(["pdfinfo", str(together / f"{nip}.pdf")], capture_output=True, text=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert pages == int(re.search(r"Pages:\s+(\d+)", subprocess.run(
            ["pdfinfo", str(alone[nip])], capture_output=True, text=True).stdout).group(1))
        assert name in re.search(r"Title:\s+(.*)", info).group(1)
        for page in range(1, pages + 1):
            text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(together / f"{nip}.pdf"), "-"],
                                  capture_output=True, text=True).stdout
            assert f"Halaman {page} dari {pages}" in text
            assert re.sub(r"\s+", " ", f"Laporan 360° · {name}") in re.sub(r"\s+", " ", text)
        assert b"penanda.kinerja.invalid" not in (together / f"{nip}.pdf").read_bytes()


def _plain_document(title: str) -> str:
    return reports.template_env().from_string(
        '{% extends "_dasar.html.j2" %}{% block judul %}{{ t }}{% endblock %}{% block isi %}<p>{{ t }}</p>'
        '{% endblock %}').render(t=title, kaki=f"Uji · {title}")


def _printing_threads() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name == "kinerja-cetak"]


def test_a_failure_while_documents_are_built_stops_chromium_and_is_the_error_raised(tmp_path):
    """Chromium prints in a thread of its own while the caller builds the next documents: when building fails,
    that failure is what the caller sees, promptly, and the printing thread and its Chromium are gone."""
    import time

    def jobs():
        yield _plain_document("Satu"), tmp_path / "satu.pdf"
        raise ReportError("dokumen kedua rusak")

    started = time.perf_counter()
    with pytest.raises(ReportError, match="dokumen kedua rusak"):
        reports.print_pdfs(jobs(), batch=1)
    assert (_printing_threads(), time.perf_counter() - started < 60) == ([], True)


def test_a_file_that_cannot_be_written_stops_the_printing_with_an_indonesian_error(tmp_path):
    """A write failing in the writing thread reaches the caller as the export's own message, not a hang."""
    from kinerja_lib.errors import OutputError

    blocked = tmp_path / "bukan-folder"
    blocked.write_text("berkas biasa")
    jobs = [(_plain_document(f"Dok {i}"), blocked / f"{i}.pdf") for i in range(6)]
    with pytest.raises(OutputError, match="tidak dapat dibuat"):
        reports.print_pdfs(jobs, batch=2, pages=2)
    assert _printing_threads() == []


def test_the_printed_copy_hides_only_its_screen_layout(tmp_path):
    """What Chromium is given to print carries a screen-only rule that hides the documents; the pages printed
    keep every word (the rule is for the screen, the PDF is print)."""
    import subprocess

    from kinerja_lib.reports import printing

    jobs = [(_plain_document(f"Dokumen nomor {i}"), tmp_path / f"{i}.pdf") for i in range(3)]
    composed = printing.compose([printing._job(h, p) for h, p in jobs], print_only=True)
    assert "@media screen { .dokumen { display: none; } }" in composed
    assert "@media screen" not in printing.compose([printing._job(h, p) for h, p in jobs])
    reports.print_pdfs(jobs, batch=3)
    texts = [subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True).stdout for _, p in jobs]
    assert [f"Dokumen nomor {i}" in t for i, t in enumerate(texts)] == [True, True, True]
