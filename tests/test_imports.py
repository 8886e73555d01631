"""The imports beside the roster: each example file imports, each bad input is refused whole."""

import csv
from pathlib import Path

import pytest

from kinerja_lib.cycle import close_cycle, open_cycle
from kinerja_lib.errors import CycleError, ImportRejected
from kinerja_lib.importers import (import_disiplin, import_ekspektasi, import_hasil_kerja, import_potensi,
                                   import_predikat_organisasi, import_responses, import_standar_kompetensi)
from kinerja_lib.roster import import_roster

CONTOH = Path(__file__).resolve().parent.parent / "data" / "contoh"
KEPALA_BIDANG, FAJAR, ANISA, YOGA = "197606182002122003", "198712112011011002", "199205302019032004", "199001252015031001"
UNKNOWN = "199912312025011999"


def dump(db) -> list[str]:
    return list(db.conn.iterdump())


def org(db):
    """Import the example roster and open the cycle the example files are meant for; return its id."""
    import_roster(db, CONTOH / "pegawai.csv")
    return open_cycle(db, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31").id


def assign(db, cycle_id, rater, ratee, relation, **columns) -> int:
    """Insert one assignment directly (as the assignment generator would) and return its id."""
    row = {"cycle_id": cycle_id, "rater_nip": rater, "ratee_nip": ratee, "relation": relation, **columns}
    return db.table("assignment").insert(row).last_pk


def example_assignments(db, cycle_id) -> tuple[int, int]:
    return (assign(db, cycle_id, KEPALA_BIDANG, ANISA, "atasan"), assign(db, cycle_id, FAJAR, ANISA, "rekan"))


def write_csv(tmp_path, header, rows, name="berkas.csv") -> Path:
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def rejected(db, call) -> list[tuple]:
    """Run an import expected to fail; check the database is unchanged; return (row, column, message)."""
    before = dump(db)
    with pytest.raises(ImportRejected) as info:
        call()
    assert dump(db) == before
    return [(p.row, p.column, p.message) for p in info.value.problems]


EXAMPLES = [
    (import_hasil_kerja, "hasil_kerja.csv", True, "rating_hasil_kerja", 14),
    (import_disiplin, "disiplin.csv", False, "disiplin", 2),
    (import_predikat_organisasi, "predikat_organisasi.csv", True, "predikat_organisasi", 3),
    (import_ekspektasi, "ekspektasi.csv", True, "ekspektasi_khusus", 4),
    (import_standar_kompetensi, "standar_kompetensi.csv", False, "standar_kompetensi", 9),
    (import_potensi, "potensi.csv", False, "potensi", 8),
]


@pytest.mark.parametrize("importer, name, per_cycle, table, n", EXAMPLES, ids=[e[1] for e in EXAMPLES])
def test_example_file_imports_and_reimports_in_place(db, importer, name, per_cycle, table, n):
    """Each example file imports whole; importing it again updates the same rows."""
    cycle_id = org(db)
    args = (cycle_id,) if per_cycle else ()
    first = importer(db, CONTOH / name, *args)
    again = importer(db, CONTOH / name, *args)
    assert (first.rows, first.inserted, first.updated) == (n, n, 0)
    assert (again.inserted, again.updated) == (0, n)
    assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == n
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE aksi LIKE 'impor_%'").fetchone()[0] == 3


def test_example_responses_import_as_submitted_forms(db):
    """The example answers fill both assigned forms, mark them submitted by import, blank = tidak dapat menilai."""
    cycle_id = org(db)
    atasan, rekan = example_assignments(db, cycle_id)
    summary = import_responses(db, CONTOH / "jawaban.csv", cycle_id)
    assert (summary.rows, summary.inserted, summary.updated, summary.counted) == (60, 2, 0, "formulir")
    forms = {r["id"]: (r["status"], r["dikirim_melalui"], r["terkirim"] is not None)
             for r in db.query("SELECT * FROM assignment")}
    assert forms == {atasan: ("terkirim", "impor", True), rekan: ("terkirim", "impor", True)}
    counts = dict(db.execute("SELECT assignment_id, COUNT(*) FROM response GROUP BY assignment_id").fetchall())
    assert counts == {atasan: 30, rekan: 30}
    assert db.execute("SELECT assignment_id, item FROM response WHERE score IS NULL").fetchall() == [(rekan, "B5.2")]


# --------------------------------------------------------------------------- Rating Hasil Kerja

@pytest.mark.parametrize("written, stored", [
    ("Di Atas Ekspektasi", "Di Atas Ekspektasi"), ("DIATAS EKSPEKTASI", "Di Atas Ekspektasi"),
    ("  sesuai   ekspektasi ", "Sesuai Ekspektasi"), ("dibawah ekspektasi", "Di Bawah Ekspektasi"),
    ("DI BAWAH EKSPEKTASI", "Di Bawah Ekspektasi"),
])
def test_rating_spellings_accepted(db, tmp_path, written, stored):
    """The three labels in any case and spacing, and e-Kinerja's joined spellings, are stored exactly."""
    cycle_id = org(db)
    import_hasil_kerja(db, write_csv(tmp_path, ["NIP", "Rating Hasil Kerja"], [[ANISA, written]]), cycle_id)
    assert db.execute("SELECT rating, sumber FROM rating_hasil_kerja").fetchall() == [(stored, "impor")]


def test_bad_hasil_kerja_file_is_refused_whole(db, tmp_path):
    """Unknown ratings, unknown or duplicate NIPs and unknown penilai are each reported; nothing is written."""
    cycle_id = org(db)
    rows = [[ANISA, "Di Atas", ""], [FAJAR, "Baik", ""], [UNKNOWN, "Sesuai Ekspektasi", ""],
            [ANISA, "Sesuai Ekspektasi", ""], [YOGA, "Sesuai Ekspektasi", UNKNOWN], [KEPALA_BIDANG, "Sesuai Ekspektasi", ""]]
    path = write_csv(tmp_path, ["NIP", "Rating", "NIP Penilai"], rows)
    problems = rejected(db, lambda: import_hasil_kerja(db, path, cycle_id))
    assert [(r, c) for r, c, _ in problems] == [(2, "Rating"), (3, "Rating"), (4, "NIP"), (5, "NIP"), (6, "NIP Penilai")]
    assert problems[0][2] == ("rating 'Di Atas' tidak dikenal; pilihan: 'Di Atas Ekspektasi', 'Sesuai Ekspektasi' "
                              "atau 'Di Bawah Ekspektasi'")
    assert problems[3][2] == f"NIP {ANISA} ganda: sudah ada di baris 2"
    assert problems[2][2] == f"pegawai dengan NIP {UNKNOWN} tidak ada di basis data; impor daftar pegawai dahulu"


def test_import_needs_an_existing_cycle(db):
    """A cycle that does not exist is a CycleError before the file is read."""
    org(db)
    with pytest.raises(CycleError, match="tidak ditemukan"):
        import_hasil_kerja(db, CONTOH / "hasil_kerja.csv", "Tahunan 1999")


# --------------------------------------------------------------------------- disiplin

def test_disiplin_levels_and_dates(db, tmp_path):
    """Level spellings are folded to ringan/sedang/berat; dates are stored as ISO; end date optional."""
    org(db)
    rows = [[YOGA, "Hukuman Disiplin Berat", "Penurunan jabatan setingkat lebih rendah selama 12 bulan", "2025-02-01", "31/01/2026"],
            [ANISA, "RINGAN", "Teguran lisan", "3 Maret 2025", ""]]
    path = write_csv(tmp_path, ["NIP", "Tingkat Hukuman", "Jenis Hukuman", "TMT Hukuman", "Tanggal Selesai"], rows)
    import_disiplin(db, path)
    got = db.execute("SELECT nip, tingkat, tanggal_mulai, tanggal_selesai FROM disiplin ORDER BY id").fetchall()
    assert got == [(YOGA, "berat", "2025-02-01", "2026-01-31"), (ANISA, "ringan", "2025-03-03", None)]


def test_bad_disiplin_file_is_refused_whole(db, tmp_path):
    """Unknown level, missing or bad dates, end before start and duplicates are all reported."""
    org(db)
    rows = [[YOGA, "menengah", "Teguran", "01-01-2025", ""],
            [YOGA, "ringan", "Teguran", "", ""],
            [YOGA, "ringan", "Teguran", "31-13-2025", ""],
            [ANISA, "sedang", "Pemotongan tukin", "01-07-2025", "01-01-2025"],
            [FAJAR, "ringan", "Teguran", "01-01-2025", ""],
            [FAJAR, "Ringan", "Teguran", "2025-01-01", ""]]
    path = write_csv(tmp_path, ["NIP", "Tingkat", "Jenis Hukuman", "Tanggal Mulai", "Tanggal Selesai"], rows)
    problems = rejected(db, lambda: import_disiplin(db, path))
    assert [(r, c) for r, c, _ in problems] == [(2, "Tingkat"), (3, "Tanggal Mulai"), (4, "Tanggal Mulai"),
                                                (5, "Tanggal Selesai"), (7, "NIP")]
    assert problems[3][2] == "tanggal selesai 2025-01-01 sebelum tanggal mulai 2025-07-01"
    assert problems[4][2] == "hukuman yang sama ganda: sudah ada di baris 6"


# --------------------------------------------------------------------------- responses

def example_rows() -> list[list[str]]:
    with open(CONTOH / "jawaban.csv", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))[1:]


RESPONSE_HEADER = ["nip_penilai", "nip_dinilai", "relasi", "kode_butir", "skor"]


def responses_file(tmp_path, change=None, extra=(), drop=()) -> Path:
    """The example answers with ``change`` {row index: {column: value}}, rows dropped and extra rows added."""
    rows = [r for i, r in enumerate(example_rows()) if i not in drop]
    for i, cells in (change or {}).items():
        for col, value in cells.items():
            rows[i][RESPONSE_HEADER.index(col)] = value
    return write_csv(tmp_path, RESPONSE_HEADER, rows + [list(r) for r in extra], name="jawaban.csv")


# Row indexes of the example answers: 0..29 the atasan form (B1.1..B7.3, K01..K09), 30..54 the rekan form.
BAD_RESPONSES = {
    "score above the scale": ({"change": {0: {"skor": "6"}}}, [(2, "skor", "skor '6' di luar skala")]),
    "score below the scale": ({"change": {1: {"skor": "0"}}}, [(3, "skor", "skor '0' di luar skala")]),
    "fractional score": ({"change": {2: {"skor": "3.5"}}}, [(4, "skor", "skor '3.5' di luar skala")]),
    "word as score": ({"change": {3: {"skor": "baik"}}}, [(5, "skor", "skor 'baik' di luar skala")]),
    "unassigned rater": ({"extra": [[YOGA, ANISA, "rekan", "B1.1", "4"]]},
                         [(62, "nip_penilai", f"penilai {YOGA} tidak ditugaskan menilai {ANISA}")]),
    "relation differs from the assignment": ({"change": {31: {"relasi": "bawahan"}}},
                                             [(33, "relasi", "relasi 'bawahan' tidak sesuai penugasan")]),
    "unknown relation": ({"change": {31: {"relasi": "teman"}}}, [(33, "relasi", "relasi 'teman' tidak dikenal")]),
    "unknown item": ({"change": {0: {"kode_butir": "B8.1"}}},
                     [(2, "kode_butir", "butir 'B8.1' tidak ada pada formulir relasi 'atasan'")]),
    "duplicate answer": ({"extra": [[FAJAR, ANISA, "rekan", "b1.1", "4"]]},
                         [(62, "kode_butir", "jawaban butir B1.1 untuk pasangan ini ganda: sudah ada di baris 32")]),
    "incomplete form": ({"drop": (40, 41)}, [(32, "kode_butir", "jawaban 198712112011011002 untuk 199205302019032004 "
                                                                "belum lengkap: 2 butir tidak ada (B4.2, B4.3)")]),
    "too many tidak dapat menilai": ({"change": {i: {"skor": ""} for i in range(30, 40)}},
                                     [(32, "skor", "jawaban 198712112011011002 untuk 199205302019032004: "
                                                   "11 butir 'Tidak dapat menilai', paling banyak 10")]),
    "malformed nip": ({"change": {5: {"nip_dinilai": "19920530201903200"}}},
                      [(7, "nip_dinilai", "NIP '19920530201903200' harus tepat 18 angka")]),
}


@pytest.mark.parametrize("edit, expected", BAD_RESPONSES.values(), ids=BAD_RESPONSES.keys())
def test_bad_responses_are_refused_whole(db, tmp_path, edit, expected):
    """Each bad answer is reported at its row and column, and no form changes."""
    cycle_id = org(db)
    example_assignments(db, cycle_id)
    path = responses_file(tmp_path, **edit)
    problems = rejected(db, lambda: import_responses(db, path, cycle_id))
    assert [(r, c, m[:len(e)]) for (r, c, m), (_, _, e) in zip(problems, expected)] == expected
    assert len(problems) == len(expected)


def test_an_inactive_assignment_does_not_accept_answers(db, tmp_path):
    """A removed (inactive) assignment counts as not assigned."""
    cycle_id = org(db)
    assign(db, cycle_id, KEPALA_BIDANG, ANISA, "atasan")
    assign(db, cycle_id, FAJAR, ANISA, "rekan", aktif=0, alasan_hapus="pindah unit")
    problems = rejected(db, lambda: import_responses(db, CONTOH / "jawaban.csv", cycle_id))
    prefix = f"penilai {FAJAR} tidak ditugaskan menilai {ANISA}"
    assert {(r, m[:len(prefix)]) for r, _, m in problems} == {(n, prefix) for n in range(32, 62)}


@pytest.mark.parametrize("status", ["draf", "terkirim"])
def test_a_form_filled_online_is_only_replaced_with_ganti(db, tmp_path, status):
    """A form started or submitted online is refused unless ganti=True, which replaces its answers."""
    cycle_id = org(db)
    atasan = assign(db, cycle_id, KEPALA_BIDANG, ANISA, "atasan", status=status, terkirim="2026-03-01T08:00:00+00:00"
                    if status == "terkirim" else None)
    rekan = assign(db, cycle_id, FAJAR, ANISA, "rekan")
    db.table("response").insert_all([{"assignment_id": atasan, "item": "B1.1", "score": 1, "diperbarui": "x"},
                                     {"assignment_id": atasan, "item": "K04", "score": 1, "diperbarui": "x"}])
    problems = rejected(db, lambda: import_responses(db, CONTOH / "jawaban.csv", cycle_id))
    state = "sudah dikirim daring pada 2026-03-01T08:00:00+00:00" if status == "terkirim" else "sudah berisi draf daring"
    assert problems == [(2, "nip_penilai", f"formulir {KEPALA_BIDANG} untuk {ANISA} {state}; gunakan --ganti bila "
                                           "jawaban dari berkas ini memang harus menimpanya")]
    summary = import_responses(db, CONTOH / "jawaban.csv", cycle_id, ganti=True)
    assert (summary.inserted, summary.updated) == (1, 1)
    assert db.execute("SELECT score FROM response WHERE assignment_id = ? AND item = 'B1.1'", [atasan]).fetchone() == (4,)
    assert db.execute("SELECT COUNT(*) FROM response WHERE assignment_id IN (?, ?)", [atasan, rekan]).fetchone() == (60,)


def test_a_form_imported_earlier_is_replaced_by_a_new_import(db, tmp_path):
    """Correcting a paper form by importing again needs no ganti: only online forms are protected."""
    cycle_id = org(db)
    atasan, _ = example_assignments(db, cycle_id)
    import_responses(db, CONTOH / "jawaban.csv", cycle_id)
    summary = import_responses(db, responses_file(tmp_path, change={0: {"skor": "2"}}), cycle_id)
    assert (summary.inserted, summary.updated) == (0, 2)
    assert db.execute("SELECT score FROM response WHERE assignment_id = ? AND item = 'B1.1'", [atasan]).fetchone() == (2,)


def test_responses_cannot_be_imported_into_a_closed_cycle(db):
    """A closed cycle's forms are locked, so its answers cannot be imported."""
    cycle_id = org(db)
    example_assignments(db, cycle_id)
    close_cycle(db, cycle_id)
    with pytest.raises(CycleError, match="sudah ditutup"):
        import_responses(db, CONTOH / "jawaban.csv", cycle_id)


def test_relation_labels_and_tidak_dapat_menilai_words_are_accepted(db, tmp_path):
    """Relations may be written as their labels; 'TDM' and the scale's label mean tidak dapat menilai."""
    cycle_id = org(db)
    _, rekan = example_assignments(db, cycle_id)
    change = {i: {"relasi": "Rekan kerja"} for i in range(30, 60)}
    change[30]["skor"], change[31]["skor"] = "TDM", "tidak dapat menilai"
    import_responses(db, responses_file(tmp_path, change=change), cycle_id)
    assert db.execute("SELECT item FROM response WHERE assignment_id = ? AND score IS NULL ORDER BY item",
                      [rekan]).fetchall() == [("B1.1",), ("B1.2",), ("B5.2",)]


# --------------------------------------------------------------------------- units, standards, potensi

def test_units_are_found_by_path_name_or_case(db, tmp_path):
    """A unit may be written as its path in any case or as a unique name."""
    cycle_id = org(db)
    rows = [["dinas kesehatan", "istimewa"], ["Bidang Pengembangan Kompetensi Aparatur", "BAIK"],
            ["Dinas Kesehatan/Sekretariat", "Butuh Perbaikan"]]
    import_predikat_organisasi(db, write_csv(tmp_path, ["OPD", "Predikat"], rows), cycle_id)
    got = dict(db.execute("SELECT unit_id, predikat FROM predikat_organisasi").fetchall())
    assert got == {"Dinas Kesehatan": "Istimewa", "Dinas Kesehatan / Sekretariat": "Butuh Perbaikan",
                   "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia / Bidang Pengembangan Kompetensi Aparatur": "Baik"}


def test_bad_predikat_organisasi_file_is_refused_whole(db, tmp_path):
    """Unknown units (with a suggestion), unknown predikat and duplicate units are reported."""
    cycle_id = org(db)
    rows = [["Dinas Kesehatn", "Baik"], ["Dinas Pendidikan", "Baik"], ["Sekretariat Daerah", "Sangat Baik"],
            ["Dinas Kesehatan", "Baik"], ["dinas kesehatan", "Baik"]]
    path = write_csv(tmp_path, ["Unit Kerja", "Predikat Kinerja Organisasi"], rows)
    problems = rejected(db, lambda: import_predikat_organisasi(db, path, cycle_id))
    assert problems == [
        (2, "Unit Kerja", "unit 'Dinas Kesehatn' tidak dikenal; mungkin maksudnya 'Dinas Kesehatan'"),
        (3, "Unit Kerja", "unit 'Dinas Pendidikan' tidak dikenal"),
        (4, "Predikat Kinerja Organisasi", "predikat 'Sangat Baik' tidak dikenal; pilihan: 'Istimewa', 'Baik', "
                                           "'Butuh Perbaikan', 'Kurang' atau 'Sangat Kurang'"),
        (6, "Unit Kerja", "unit 'Dinas Kesehatan' ganda: sudah ada di baris 5"),
    ]


def test_a_unit_name_shared_by_two_units_needs_its_path(db, tmp_path):
    """'Sekretariat' names a sub-unit of several OPDs, so the file must give the path."""
    cycle_id = org(db)
    db.table("unit").insert({"id": "Sekretariat Daerah / Sekretariat", "nama": "Sekretariat",
                             "induk_id": "Sekretariat Daerah", "jenis": "unit"})
    path = write_csv(tmp_path, ["Unit", "Predikat"], [["Sekretariat", "Baik"]])
    problems = rejected(db, lambda: import_predikat_organisasi(db, path, cycle_id))
    assert problems[0][2].startswith("nama unit 'Sekretariat' dipakai beberapa unit; tulis jalurnya lengkap")


def test_bad_ekspektasi_file_is_refused_whole(db, tmp_path):
    """Unknown values, blank text and a value given twice for one unit are reported."""
    cycle_id = org(db)
    rows = [["Dinas Kesehatan", "Amanah", "Jujur"], ["Dinas Kesehatan", "B2", ""],
            ["Dinas Kesehatan", "kolaboratif", "Bekerja sama"], ["Dinas Kesehatan", "B7", "Lagi"]]
    path = write_csv(tmp_path, ["Unit", "Nilai", "Ekspektasi Khusus"], rows)
    problems = rejected(db, lambda: import_ekspektasi(db, path, cycle_id))
    assert [(r, c) for r, c, _ in problems] == [(2, "Nilai"), (3, "Ekspektasi Khusus"), (5, "Nilai")]
    assert problems[0][2].startswith("nilai BerAKHLAK 'Amanah' tidak dikenal; pilihan: B1 (Berorientasi Pelayanan)")


def test_bad_standar_kompetensi_file_is_refused_whole(db, tmp_path):
    """Unknown competencies and levels outside 1-5 are reported."""
    rows = [["Perawat", "Kepemimpinan", "3"], ["Perawat", "K01", "6"], ["Perawat", "Komunikasi", "2,5"], ["", "K02", "2"]]
    path = write_csv(tmp_path, ["Jabatan", "Kompetensi", "Level"], rows)
    problems = rejected(db, lambda: import_standar_kompetensi(db, path))
    assert [(r, c) for r, c, _ in problems] == [(2, "Kompetensi"), (3, "Level"), (4, "Level"), (5, "Jabatan")]


def test_bad_potensi_file_is_refused_whole(db, tmp_path):
    """Unknown kategori, a non-number skor, a bad date and an unknown NIP are reported."""
    org(db)
    rows = [[ANISA, "01-01-2025", "sedang", "70"], [FAJAR, "2025-13-01", "tinggi", ""],
            [YOGA, "01-01-2025", "rendah", "enam puluh"], [UNKNOWN, "01-01-2025", "tinggi", "90"]]
    path = write_csv(tmp_path, ["NIP", "Tanggal", "Kategori", "Skor"], rows)
    problems = rejected(db, lambda: import_potensi(db, path))
    assert [(r, c) for r, c, _ in problems] == [(2, "Kategori"), (3, "Tanggal"), (4, "Skor"), (5, "NIP")]


# --------------------------------------------------------------------------- the admin guide

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "panduan-admin.md"


def guide_sections() -> dict[str, set[str]]:
    """Return {import verb: normalised column names and aliases listed in its table} from the guide."""
    from kinerja_lib.tabular import normalise_header

    sections: dict[str, set[str]] = {}
    current = None
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        if line.startswith("### `kinerja import "):
            current = line.split("`kinerja import ")[1].split("`")[0]
            sections[current] = set()
        elif current and line.startswith("| ") and not line.startswith("| Kolom") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            sections[current] |= {normalise_header(n) for n in [cells[0], *cells[2].split(", ")] if n}
    return sections


def test_guide_lists_every_accepted_column_name_and_links_every_example():
    """The admin guide names each importer's columns and all their aliases, and links each example file."""
    from kinerja_lib import importers, pihak_lain, roster
    from kinerja_lib.tabular import normalise_header

    tables = {"roster": roster.COLUMNS, "hasil-kerja": importers.HASIL_KERJA_COLUMNS,
              "disiplin": importers.DISIPLIN_COLUMNS, "responses": importers.RESPONSES_COLUMNS,
              "predikat-organisasi": importers.PREDIKAT_ORGANISASI_COLUMNS, "ekspektasi": importers.EKSPEKTASI_COLUMNS,
              "standar-kompetensi": importers.STANDAR_KOMPETENSI_COLUMNS, "potensi": importers.POTENSI_COLUMNS,
              "cltn": importers.CLTN_COLUMNS, "satyalancana": importers.SATYALANCANA_COLUMNS,
              "inovasi": importers.INOVASI_COLUMNS, "ekspektasi-pegawai": importers.EKSPEKTASI_PEGAWAI_COLUMNS,
              "pihak-lain": pihak_lain.COLUMNS}
    sections = guide_sections()
    assert set(sections) == set(tables)
    missing = {verb: sorted({normalise_header(a) for aliases in cols.values() for a in aliases} - sections[verb])
               for verb, cols in tables.items()}
    assert missing == {verb: [] for verb in tables}
    text = GUIDE.read_text(encoding="utf-8")
    examples = sorted(p.name for p in CONTOH.iterdir() if p.suffix in (".csv", ".xlsx"))
    assert [name for name in examples if f"(../data/contoh/{name})" not in text] == []


def test_a_competency_not_asked_of_the_relation_is_refused(db, tmp_path):
    """Bawahan are asked K02, K03, K06 and K07 only: a K04 answer from a bawahan is refused at its row."""
    cycle_id = org(db)
    assign(db, cycle_id, ANISA, KEPALA_BIDANG, "bawahan")
    rows = [[ANISA, KEPALA_BIDANG, "bawahan", item, "4"]
            for item in [*(f"B{v}.{i}" for v in range(1, 8) for i in range(1, 4)), "K02", "K03", "K06", "K07", "K04"]]
    path = write_csv(tmp_path, RESPONSE_HEADER, rows, name="jawaban.csv")
    problems = rejected(db, lambda: import_responses(db, path, cycle_id))
    assert problems == [(27, "kode_butir", "butir 'K04' tidak ada pada formulir relasi 'bawahan'; butir yang "
                                           "berlaku: B1.1..B7.3, K02, K03, K06, K07")]


def test_cltn_and_satyalancana_examples_import_and_bad_rows_are_refused(db, tmp_path):
    """The example CLTN and Satyalancana files import; an unknown tier, a reversed period and a duplicate are refused."""
    from kinerja_lib.importers import import_cltn, import_satyalancana
    from kinerja_lib.roster import import_roster

    import_roster(db, CONTOH / "pegawai.csv")
    assert import_cltn(db, CONTOH / "cltn.csv").inserted == 1
    assert import_satyalancana(db, CONTOH / "satyalancana.csv").inserted == 5
    nip = "196805121994031003"
    bad = write_csv(tmp_path, ["NIP", "Tingkat", "Tahun"], [[nip, "15", "2010"], [nip, "Satyalancana Karya Satya 30 Tahun", ""],
                                                           [nip, "30", "1800"], [nip, "30 tahun", ""]])
    problems = rejected(db, lambda: import_satyalancana(db, bad))
    # 15 is no tier; 1800 no year; rows 4 and 5 repeat the 30-year tier of row 3
    assert [(r, c) for r, c, _ in problems] == [(2, "Tingkat"), (4, "Tahun"), (4, "Tingkat"), (5, "Tingkat")]
    periods = write_csv(tmp_path, ["NIP", "Tanggal Mulai", "Tanggal Selesai"], [[nip, "01-07-2010", "30-06-2010"]],
                        name="cltn.csv")
    assert [(r, c) for r, c, _ in rejected(db, lambda: import_cltn(db, periods))] == [(2, "Tanggal Selesai")]
