"""Importing the roster: upsert on NIP, the unit tree, accepted spellings, and every bad-input rule."""

from pathlib import Path

import pytest

from kinerja_lib.errors import ImportRejected
from kinerja_lib.roster import import_roster, resolve_jabatan, split_pangkat_golongan

CONTOH = Path(__file__).resolve().parent.parent / "data" / "contoh"
HEADER = ["NIP", "Nama", "Jenis Kelamin", "Unit Kerja", "Sub Unit", "Jabatan", "Jenis Jabatan", "Jenjang",
          "Pangkat/Golongan", "NIP Atasan", "TMT CPNS"]

# A small valid organisation: a head (A), a bidang head (B) and two staff (C, D).
A, B, C, D = "197204151998032005", "197606182002122003", "198712112011011002", "199205302019032004"
E = "199410082020121001"
BASE = [
    [A, "Sri Wahyuningsih", "P", "Dinas Kesehatan", "", "Kepala Dinas", "JPT Pratama", "", "Pembina Utama Muda / IV/c", "", "01-03-1998"],
    [B, "Retno Kusumawati", "P", "Dinas Kesehatan", "Bidang P2P", "Kepala Bidang P2P", "Administrator", "", "Pembina / IV/a", A, "01-12-2002"],
    [C, "Fajar Hidayat", "L", "Dinas Kesehatan", "Bidang P2P", "Epidemiolog Kesehatan", "JF", "Ahli Muda", "Penata / III/c", B, "01-01-2011"],
    [D, "Anisa Putri", "P", "Dinas Kesehatan", "Bidang P2P", "Perawat", "JF", "Ahli Pertama", "Penata Muda / III/a", B, "01-03-2019"],
]


def dump(db) -> list[str]:
    return list(db.conn.iterdump())


def write_roster(tmp_path, rows, header=HEADER, name="pegawai.csv", delim=";") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(delim.join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def with_changes(changes: dict[int, dict[str, str]], extra=()) -> list[list[str]]:
    """Return BASE with cells changed: {row index: {header: value}}; ``extra`` rows appended."""
    rows = [list(r) for r in BASE]
    for i, cells in changes.items():
        for h, v in cells.items():
            rows[i][HEADER.index(h)] = v
    return rows + [list(r) for r in extra]


def rejected(db, path) -> list[tuple[int | None, str | None, str]]:
    before = dump(db)
    with pytest.raises(ImportRejected) as info:
        import_roster(db, path)
    assert dump(db) == before
    return [(p.row, p.column, p.message) for p in info.value.problems]


def test_example_roster_builds_units_and_pegawai(db):
    """The example roster imports whole: 14 pegawai, the unit tree with parents, types from jabatan.yaml."""
    summary = import_roster(db, CONTOH / "pegawai.csv")
    assert (summary.rows, summary.inserted, summary.updated, summary.units_created) == (14, 14, 0, 7)
    units = {r["id"]: (r["nama"], r["induk_id"], r["jenis"]) for r in db.query("SELECT * FROM unit")}
    assert units["Dinas Kesehatan"] == ("Dinas Kesehatan", None, "opd")
    assert units["Dinas Kesehatan / Sekretariat / Subbagian Umum dan Kepegawaian"] == (
        "Subbagian Umum dan Kepegawaian", "Dinas Kesehatan / Sekretariat", "unit")
    row = db.execute("SELECT nip, nama, jenis_kelamin, unit_id, jabatan, jenis_jabatan, jenjang, tingkat, "
                     "kepala_unit, golongan, pangkat, atasan_nip, tmt_cpns, aktif FROM pegawai WHERE nip = ?",
                     ["198712112011011002"]).fetchone()
    assert row == ("198712112011011002", "Fajar Hidayat, S.KM.", "L",
                   "Dinas Kesehatan / Bidang Pencegahan dan Pengendalian Penyakit", "Epidemiolog Kesehatan", "JF",
                   "Ahli Muda", 3, 0, "III/c", "Penata", "197606182002122003", "2011-01-01", 1)


def test_example_xlsx_gives_the_same_roster_as_the_csv(db, tmp_path):
    """The XLSX twin, written with other header spellings, stores exactly what the CSV stores."""
    from kinerja_lib.store import open_db

    import_roster(db, CONTOH / "pegawai.csv")
    other = open_db(":memory:")
    summary = import_roster(other, CONTOH / "pegawai.xlsx")
    assert (summary.source, summary.inserted) == ("pegawai.xlsx [Pegawai]", 14)
    query = "SELECT * FROM pegawai ORDER BY nip"
    strip = lambda rows: [{k: v for k, v in r.items() if k != "diperbarui"} for r in rows]  # noqa: E731
    assert strip(other.query(query)) == strip(db.query(query))
    assert list(other.query("SELECT * FROM unit ORDER BY id")) == list(db.query("SELECT * FROM unit ORDER BY id"))


def test_reimport_updates_in_place(db, tmp_path):
    """Importing again upserts on NIP: changed values are updated, nothing is duplicated."""
    import_roster(db, write_roster(tmp_path, BASE))
    changed = with_changes({3: {"Jabatan": "Perawat Ahli", "Jenjang": "Ahli Muda", "Pangkat/Golongan": "Penata / III/c"}})
    summary = import_roster(db, write_roster(tmp_path, changed, name="ulang.csv"))
    assert (summary.inserted, summary.updated, summary.units_created) == (0, 4, 0)
    assert db.execute("SELECT COUNT(*) FROM pegawai").fetchone()[0] == 4
    assert db.execute("SELECT jabatan, jenjang, tingkat, golongan FROM pegawai WHERE nip = ?", [D]).fetchone() == (
        "Perawat Ahli", "Ahli Muda", 3, "III/c")


def test_columns_absent_from_a_reimport_keep_their_values(db, tmp_path):
    """A later file without TMT CPNS or golongan columns does not erase what was stored."""
    import_roster(db, write_roster(tmp_path, BASE))
    keep = [h for h in HEADER if h not in ("TMT CPNS", "Pangkat/Golongan")]
    rows = [[r[HEADER.index(h)] for h in keep] for r in BASE]
    import_roster(db, write_roster(tmp_path, rows, header=keep, name="sebagian.csv"))
    assert db.execute("SELECT tmt_cpns, golongan, pangkat FROM pegawai WHERE nip = ?", [C]).fetchone() == (
        "2011-01-01", "III/c", "Penata")


def test_import_writes_one_audit_row(db, tmp_path):
    """Each import appends one audit row with the counts."""
    import_roster(db, write_roster(tmp_path, BASE), pelaku="cli:admin")
    rows = list(db.query("SELECT pelaku, aksi, entitas, detail FROM audit_log"))
    assert [(r["pelaku"], r["aksi"], r["entitas"]) for r in rows] == [("cli:admin", "impor_pegawai", "pegawai")]
    assert '"ditambahkan": 4' in rows[0]["detail"] and '"unit_baru": 2' in rows[0]["detail"]


def test_atasan_may_be_an_existing_pegawai_not_in_the_file(db, tmp_path):
    """A later file may name an atasan already in the database."""
    import_roster(db, write_roster(tmp_path, BASE))
    extra = [[E, "Rizky Ananda", "L", "Dinas Kesehatan", "Bidang P2P", "Pranata Lab", "JF", "Terampil", "II/c", B, ""]]
    assert import_roster(db, write_roster(tmp_path, extra, name="baru.csv")).inserted == 1


@pytest.mark.parametrize("jenis, jenjang, expected", [
    ("JPT Pratama", "", ("JPT Pratama", None, 5, True)),
    ("jabatan pimpinan tinggi pratama", "", ("JPT Pratama", None, 5, True)),
    ("Eselon II.b", "", ("JPT Pratama", None, 5, True)),
    ("ESELON III", "", ("Administrator", None, 4, True)),
    ("Eselon IV.a", "", ("Pengawas", None, 3, True)),
    ("Pelaksana", "", ("Pelaksana", None, 1, False)),
    ("JFU", "", ("Pelaksana", None, 1, False)),
    ("Jabatan Fungsional", "Ahli Madya", ("JF", "Ahli Madya", 4, False)),
    ("fungsional", "madya", ("JF", "Ahli Madya", 4, False)),
    ("JFT", "penyelia", ("JF", "Penyelia", 2, False)),
    ("JF Ahli Pertama", "", ("JF", "Ahli Pertama", 2, False)),
    ("Fungsional Terampil", "Terampil", ("JF", "Terampil", 1, False)),
])
def test_accepted_jenis_jabatan_spellings(jenis, jenjang, expected):
    """Common unambiguous spellings map to the reference jabatan types."""
    jtype, column, message = resolve_jabatan(jenis, jenjang)
    assert (jtype.kode, jtype.jenjang, jtype.tingkat, jtype.kepala_unit) == expected


@pytest.mark.parametrize("jenis, jenjang, column, fragment", [
    ("JPT", "", "jenis_jabatan", "sebutkan jenjangnya"),
    ("JA", "", "jenis_jabatan", "tidak dikenal"),
    ("Eselon V", "", "jenis_jabatan", "tidak dikenal"),
    ("JF", "", "jenjang", "wajib punya jenjang"),
    ("JF", "Ahli", "jenjang", "tidak dikenal"),
    ("Pelaksana", "Terampil", "jenjang", "hanya diisi untuk JF"),
    ("JF Ahli Muda", "Ahli Madya", "jenjang", "bertentangan"),
    ("", "", "jenis_jabatan", "wajib diisi"),
])
def test_ambiguous_or_unknown_jabatan_types_are_refused(jenis, jenjang, column, fragment):
    """An ambiguous or unknown jenis/jenjang is refused, naming the wrong column."""
    jtype, col, message = resolve_jabatan(jenis, jenjang)
    assert (jtype, col) == (None, column) and fragment in message


@pytest.mark.parametrize("value, expected", [
    ("Penata Muda / III/a", ("Penata Muda", "III/a")), ("Penata Muda Tingkat I, III/b", ("Penata Muda Tingkat I", "III/b")),
    ("Pembina (IV/a)", ("Pembina", "IV/a")), ("Pengatur - II/c", ("Pengatur", "II/c")), ("iv/e", ("", "IV/e")),
    ("Penata", ("Penata", None)),
])
def test_combined_pangkat_golongan_is_split(value, expected):
    """'Pangkat / golongan' cells are split into the two fields."""
    assert split_pangkat_golongan(value) == expected


def test_accepted_value_spellings_in_a_file(db, tmp_path):
    """JK words, golongan spellings, 'Kepala Unit' Ya/Tidak and JK from the NIP when blank are all read."""
    header = HEADER + ["Kepala Unit"]
    rows = [r + [""] for r in BASE]
    rows[0][2] = "Wanita"
    rows[1][2] = ""            # derived from the NIP's 15th digit (2 = perempuan)
    rows[2][2] = "Laki-laki"
    rows[2][8] = "iii-c"       # golongan only
    rows[3][-1] = "Ya"         # a JF acting as head of a team unit
    rows[1][-1] = "tidak"
    import_roster(db, write_roster(tmp_path, rows, header=header))
    got = {r[0]: r[1:] for r in db.execute("SELECT nip, jenis_kelamin, golongan, pangkat, kepala_unit FROM pegawai")}
    assert got == {A: ("P", "IV/c", "Pembina Utama Muda", 1), B: ("P", "IV/a", "Pembina", 0),
                   C: ("L", "III/c", None, 0), D: ("P", "III/a", "Penata Muda", 1)}


BAD_CASES = {
    "malformed nip": (with_changes({2: {"NIP": "19871211201101100"}}),
                      [(4, "NIP", "NIP '19871211201101100' harus tepat 18 angka")]),
    "nip as excel number": (with_changes({3: {"NIP": "1.98712112011011e+17"}}),
                            [(5, "NIP", "NIP tersimpan sebagai angka di Excel")]),
    "duplicate nip": (with_changes({3: {"NIP": C}}), [(5, "NIP", f"NIP {C} ganda: sudah dipakai di baris 4")]),
    "unknown atasan": (with_changes({2: {"NIP Atasan": E}}),
                       [(4, "NIP Atasan", f"atasan {E} tidak ada di berkas ini maupun di basis data")]),
    "own atasan": (with_changes({2: {"NIP Atasan": C}}),
                   [(4, "NIP Atasan", f"pegawai {C} tidak boleh menjadi atasannya sendiri")]),
    "two-person loop": (with_changes({0: {"NIP Atasan": B}}),
                        [(2, "NIP Atasan", f"lingkaran atasan: {A} -> {B} -> {A} (baris 2, 3)")]),
    "three-person loop": (with_changes({0: {"NIP Atasan": C}, 2: {"NIP Atasan": B}}),
                          [(2, "NIP Atasan", f"lingkaran atasan: {A} -> {C} -> {B} -> {A} (baris 2, 3, 4)")]),
    "unknown jenis jabatan": (with_changes({3: {"Jenis Jabatan": "Honorer"}}),
                              [(5, "Jenis Jabatan", "jenis jabatan 'Honorer' tidak dikenal")]),
    "jf without jenjang": (with_changes({3: {"Jenjang": ""}}), [(5, "Jenjang", "jabatan fungsional wajib punya jenjang")]),
    "unknown golongan": (with_changes({3: {"Pangkat/Golongan": "Penata Muda / V/a"}}),
                         [(5, "Pangkat/Golongan", "golongan tidak ditemukan di 'Penata Muda / V/a'")]),
    "bad jenis kelamin": (with_changes({3: {"Jenis Kelamin": "X"}}), [(5, "Jenis Kelamin", "jenis kelamin 'X' tidak dikenal")]),
    "bad date": (with_changes({3: {"TMT CPNS": "31-02-2019"}}), [(5, "TMT CPNS", "tanggal '31-02-2019' tidak ada")]),
    "unreadable date": (with_changes({3: {"TMT CPNS": "Maret 2019"}}), [(5, "TMT CPNS", "tanggal 'Maret 2019' tidak dikenali")]),
    "blank unit": (with_changes({3: {"Unit Kerja": ""}}), [(5, "Unit Kerja", "unit kerja (OPD) wajib diisi")]),
    "blank unit level": (with_changes({3: {"Sub Unit": "Bidang P2P /  / Tim"}}),
                         [(5, "Sub Unit", "nama unit kosong di antara pemisah ' / '")]),
    "unit spelled two ways": (with_changes({3: {"Sub Unit": "Bidang p2p"}}),
                              [(5, "Sub Unit", "unit 'Dinas Kesehatan / Bidang p2p' ditulis berbeda dengan "
                                               "'Dinas Kesehatan / Bidang P2P' di baris 3")]),
    "blank name and jabatan": (with_changes({3: {"Nama": "", "Jabatan": " "}}),
                               [(5, "Nama", "nama wajib diisi"), (5, "Jabatan", "nama jabatan wajib diisi")]),
}


@pytest.mark.parametrize("rows, expected", BAD_CASES.values(), ids=BAD_CASES.keys())
def test_bad_roster_is_refused_whole_with_the_problem_located(db, tmp_path, rows, expected):
    """Each kind of bad row is reported at its row and column, and nothing is written."""
    problems = rejected(db, write_roster(tmp_path, rows))
    assert [(r, c, m[:len(e)]) for (r, c, m), (_, _, e) in zip(problems, expected)] == expected
    assert len(problems) == len(expected)


def test_every_problem_of_a_file_is_reported_at_once(db, tmp_path):
    """Problems in many rows are all listed, not just the first."""
    rows = with_changes({0: {"NIP": "123"}, 1: {"Jenis Kelamin": "?"}, 2: {"TMT CPNS": "kemarin"},
                         3: {"Jenis Jabatan": "Honorer"}})
    problems = rejected(db, write_roster(tmp_path, rows))
    # Row 3's atasan is the person whose NIP was mistyped in row 2, so it is unknown as well.
    assert [(r, c) for r, c, _ in problems] == [(2, "NIP"), (3, "Jenis Kelamin"), (3, "NIP Atasan"),
                                                (4, "TMT CPNS"), (5, "Jenis Jabatan")]


def test_loop_through_a_pegawai_already_in_the_database_is_found(db, tmp_path):
    """A new file that closes a loop with stored reporting lines is refused."""
    import_roster(db, write_roster(tmp_path, BASE))
    rows = [[A, "Sri Wahyuningsih", "P", "Dinas Kesehatan", "", "Kepala Dinas", "JPT Pratama", "", "IV/c", C, ""]]
    problems = rejected(db, write_roster(tmp_path, rows, name="putar.csv"))
    assert problems == [(2, "NIP Atasan", f"lingkaran atasan: {A} -> {C} -> {B} -> {A} (baris 2); "
                                          "setiap rantai atasan harus berakhir pada pimpinan tertinggi")]


def test_each_loop_is_reported_once(db, tmp_path):
    """Two separate loops give two problems, one each."""
    rows = with_changes({0: {"NIP Atasan": B}, 2: {"NIP Atasan": D}, 3: {"NIP Atasan": C}})
    problems = rejected(db, write_roster(tmp_path, rows))
    assert [m.split(" (")[0] for _, _, m in problems] == [f"lingkaran atasan: {A} -> {B} -> {A}",
                                                          f"lingkaran atasan: {C} -> {D} -> {C}"]


def test_missing_required_columns_are_named(db, tmp_path):
    """A roster without the atasan or jabatan columns is refused naming each missing column."""
    header = [h for h in HEADER if h not in ("NIP Atasan", "Jenis Jabatan")]
    rows = [[r[HEADER.index(h)] for h in header] for r in BASE]
    problems = rejected(db, write_roster(tmp_path, rows, header=header))
    assert [(r, c) for r, c, _ in problems] == [(1, "Jenis Jabatan"), (1, "NIP Atasan")]
    assert "'NIP Pejabat Penilai'" in problems[1][2]


@pytest.mark.parametrize("content, fragment", [
    (b"", "berkas kosong"),
    ("NIP;Nama\n198501012010011001;Sri\n".encode("utf-16-le"), "tidak dapat dibaca sebagai teks"),
    (("|".join(HEADER) + "\n" + "|".join(BASE[0]) + "\n").encode(), "hanya satu kolom terbaca"),
])
def test_whole_file_problems_leave_the_database_unchanged(db, tmp_path, content, fragment):
    """An empty file, an unreadable encoding or an unknown delimiter are refused before anything is written."""
    path = tmp_path / "pegawai.csv"
    path.write_bytes(content)
    problems = rejected(db, path)
    assert fragment in problems[0][2]


def test_wrong_sheet_in_the_example_workbook_is_refused(db):
    """Naming a sheet the example workbook lacks lists the sheets it has."""
    with pytest.raises(ImportRejected, match="lembar yang ada: 'Pegawai', 'Petunjuk'"):
        import_roster(db, CONTOH / "pegawai.xlsx", sheet="Sheet1")
    assert db.execute("SELECT COUNT(*) FROM pegawai").fetchone()[0] == 0
