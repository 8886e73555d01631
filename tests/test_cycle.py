"""Opening, listing and closing appraisal cycles, from the library and the CLI."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from kinerja_lib.cli import main
from kinerja_lib.cycle import close_cycle, get_cycle, merge_settings, open_cycle
from kinerja_lib.errors import CycleError
from kinerja_lib.reference import load_instrument


def test_open_cycle_stores_merged_settings_and_instrument_version(db):
    """A new cycle is open, carries the instrument version and the full method settings."""
    c = open_cycle(db, "Triwulan I 2026", "Triwulan I", 2026, "2026-01-01", "2026-03-31",
                   {"minimal_penilai": {"rekan": 4}, "rekan_per_pegawai": 6})
    assert (c.status, c.instrumen_versi) == ("terbuka", load_instrument().versi)
    assert c.settings["minimal_penilai"] == {"diri": 1, "atasan": 1, "rekan": 4, "bawahan": 3, "lainnya": 3}
    assert c.settings["rekan_per_pegawai"] == 6
    stored = json.loads(db.execute("SELECT settings FROM cycle WHERE id = ?", [c.id]).fetchone()[0])
    assert stored == c.settings
    assert db.execute("SELECT aksi FROM audit_log").fetchall() == [("buka_siklus",)]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"bobot": {"diri": 0.5}}, "bobot.diri"),
        ({"bobot": {"atasan": -1}}, "bobot"),
        ({"minimal_penilai": {"rekan": 0}}, "minimal_penilai.rekan"),
        ({"rekan_per_pegawai": -2}, "rekan_per_pegawai"),
        ({"maks_tidak_dapat_menilai": 1.5}, "maks_tidak_dapat_menilai"),
        ({"kompetensi_per_relasi": {"rekan": ["K99"]}}, "K99"),
        ({"ambang_rating_perilaku": {"di_atas": 2.0, "di_bawah": 3.0}}, "ambang_rating_perilaku"),
        ({"warna": "biru"}, "warna"),
        ({"bobot": "abc"}, "bobot: harus pasangan 'kunci: nilai', bukan teks"),
        ({"bobot": {"atasan": "0.4"}}, "bobot.atasan: harus bilangan, bukan teks"),
        ({"ambang_rating_perilaku": 5}, "ambang_rating_perilaku: harus pasangan"),
        ({"ambang_rating_perilaku": {"tengah": 3.0}}, "isi di_atas, di_bawah"),
        ({"kelompok": "diri"}, "kelompok: harus daftar"),
        ({"kelompok": [1, 2]}, r"kelompok\[1\]: harus teks"),
        ({"minimal_penilai": {"rekan": True}}, "minimal_penilai.rekan: harus bilangan bulat"),
        ({"rekan_per_pegawai": 10**30}, "rekan_per_pegawai"),
        ({"benih_acak": -1}, "benih_acak"),
        ({"maks_tidak_dapat_menilai": float("nan")}, "bilangan terhingga"),
        ({"komentar_maks_karakter": 0}, "komentar_maks_karakter"),
    ],
)
def test_bad_settings_are_refused_by_name(overrides, message):
    """Every incoherent method setting is rejected with a message naming it."""
    with pytest.raises(CycleError, match=message):
        merge_settings(overrides)


def test_narrowing_the_groups_drops_their_defaults():
    """A cycle without bawahan and lainnya keeps no weight, minimum or competency list for them."""
    settings = merge_settings({"kelompok": ["diri", "atasan", "rekan"]})
    for key in ("minimal_penilai", "bobot", "kompetensi_per_relasi"):
        assert set(settings[key]) <= {"diri", "atasan", "rekan"}, key
    assert settings["bobot"] == {"atasan": 0.4, "rekan": 0.3}
    assert settings["minimal_penilai"]["rekan"] == 3


def test_a_weight_given_for_a_removed_group_is_refused():
    with pytest.raises(CycleError, match="bobot"):
        merge_settings({"kelompok": ["diri", "atasan", "rekan"], "bobot": {"bawahan": 0.5}})


@pytest.mark.parametrize(
    "args, message",
    [
        (("Triwulan V", "2026-01-01", "2026-03-31"), "periode"),
        (("Tahunan", "2026-02-30", "2026-12-31"), "tanggal_mulai"),
        (("Tahunan", "2026-12-31", "2026-01-01"), "tanggal_selesai"),
    ],
)
def test_bad_period_or_dates_are_refused(db, args, message):
    """Unknown periods and impossible or reversed dates never create a cycle."""
    periode, start, end = args
    with pytest.raises(CycleError, match=message):
        open_cycle(db, "X", periode, 2026, start, end)
    assert db.execute("SELECT count(*) FROM cycle").fetchone()[0] == 0


def test_duplicate_cycle_name_is_refused(open_cycle_db):
    """Cycle names are unique."""
    with pytest.raises(CycleError, match="sudah ada"):
        open_cycle(open_cycle_db, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31")


def test_close_cycle_and_newest_open_lookup(open_cycle_db):
    """Closing a cycle removes it from the 'newest open' lookup."""
    db = open_cycle_db
    assert get_cycle(db).nama == "Tahunan 2026"
    close_cycle(db, "Tahunan 2026")
    assert get_cycle(db, 1).status == "ditutup"
    with pytest.raises(CycleError, match="Belum ada siklus yang terbuka"):
        get_cycle(db)


def test_cli_opens_lists_and_closes_a_cycle(tmp_path):
    """`kinerja cycle open/list/close` work on a database file and report clearly."""
    runner, db = CliRunner(), str(tmp_path / "k.db")
    opened = runner.invoke(main, ["--db", db, "cycle", "open", "--nama", "Tahunan 2026", "--periode", "Tahunan",
                                  "--tahun", "2026", "--mulai", "2026-01-01", "--selesai", "2026-12-31"])
    assert opened.exit_code == 0, opened.output
    assert "Siklus #1 'Tahunan 2026' dibuka" in opened.output
    listed = runner.invoke(main, ["--db", db, "cycle", "list"])
    assert "terbuka\tTahunan 2026" in listed.output
    closed = runner.invoke(main, ["--db", db, "cycle", "close", "1"])
    assert closed.exit_code == 0 and "ditutup" in closed.output


def test_cli_reports_a_bad_cycle_without_traceback(tmp_path):
    """A wrong date gives one Indonesian line and exit status 2, no traceback."""
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "k.db"), "cycle", "open", "--nama", "X",
                                       "--periode", "Tahunan", "--tahun", "2026", "--mulai", "2026-12-31",
                                       "--selesai", "2026-01-01"])
    assert result.exit_code == 2
    assert "Galat: tanggal_selesai tidak boleh sebelum tanggal_mulai" in result.output
    assert "Traceback" not in result.output


def test_a_minimum_below_three_for_an_anonymous_group_needs_an_explicit_override():
    """minimal_penilai rekan 2 is refused unless izinkan_minimal_di_bawah_3 is set; then every output warns."""
    from kinerja_lib.cycle import anonymity_warning

    with pytest.raises(CycleError, match="rekan 2 di bawah 3 melemahkan anonimitas"):
        merge_settings({"minimal_penilai": {"rekan": 2}})
    settings = merge_settings({"minimal_penilai": {"rekan": 2}, "izinkan_minimal_di_bawah_3": True})
    assert anonymity_warning(settings) == ("PERHATIAN: minimal penilai di bawah 3 (rekan 2); anonimitas lebih lemah "
                                           "dari bawaan dan jawaban seseorang mungkin dapat dikenali.")
    assert anonymity_warning(merge_settings()) is None
    assert merge_settings({"minimal_penilai": {"atasan": 1}})["minimal_penilai"]["atasan"] == 1


def test_closing_a_closed_cycle_keeps_its_closing_time(open_cycle_db):
    """A second close is refused with the recorded time; the time and the audit log stay as they were."""
    db = open_cycle_db
    first = close_cycle(db, "Tahunan 2026")
    ditutup = db.execute("SELECT ditutup FROM cycle WHERE id = 1").fetchone()[0]
    with pytest.raises(CycleError, match=re.escape(f"sudah ditutup pada {ditutup}; tidak ada yang diubah")):
        close_cycle(db, "Tahunan 2026")
    assert db.execute("SELECT status, ditutup FROM cycle WHERE id = 1").fetchone() == ("ditutup", ditutup)
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE aksi = 'tutup_siklus'").fetchone() == (1,)
    assert first.status == "ditutup"


def test_cli_close_twice_exits_2_saying_so(tmp_path):
    """`kinerja cycle close` on a closed cycle exits 2 with the Indonesian reason."""
    db = str(tmp_path / "k.db")
    run = CliRunner().invoke
    run(main, ["--db", db, "cycle", "open", "--nama", "Tahunan 2026", "--periode", "Tahunan", "--tahun", "2026",
               "--mulai", "2026-01-01", "--selesai", "2026-12-31"])
    assert run(main, ["--db", db, "cycle", "close", "Tahunan 2026"]).exit_code == 0
    again = run(main, ["--db", db, "cycle", "close", "Tahunan 2026"])
    assert again.exit_code == 2
    assert again.stderr.startswith("Galat: Siklus 'Tahunan 2026' sudah ditutup pada 20")


@pytest.mark.parametrize("nama", ["", "   ", "\t\n", None, "x" * 201])
def test_empty_or_overlong_cycle_names_are_refused(db, nama):
    """A cycle needs a name that is more than whitespace (and fits a report header)."""
    with pytest.raises(CycleError, match="nama siklus"):
        open_cycle(db, nama, "Tahunan", 2026, "2026-01-01", "2026-12-31")
    assert db.execute("SELECT COUNT(*) FROM cycle").fetchone() == (0,)


def test_cycle_names_are_stored_without_surrounding_spaces(db):
    """'  Tahunan   2026 ' is stored as 'Tahunan 2026', so the same name cannot be opened twice by spacing."""
    assert open_cycle(db, "  Tahunan   2026 ", "Tahunan", 2026, "2026-01-01", "2026-12-31").nama == "Tahunan 2026"
    with pytest.raises(CycleError, match="sudah ada"):
        open_cycle(db, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31")


@pytest.mark.parametrize("tahun", [10**30, 1899, 2101, True])
def test_out_of_range_years_are_refused(db, tahun):
    """The year is a whole number 1900-2100; a huge one never reaches SQLite."""
    with pytest.raises(CycleError, match="tahun"):
        open_cycle(db, "X", "Tahunan", tahun, "2026-01-01", "2026-12-31")


def test_a_huge_cycle_id_is_simply_not_found(open_cycle_db):
    """A 40-digit id is not an SQLite integer: 'tidak ditemukan', not an overflow."""
    with pytest.raises(CycleError, match="tidak ditemukan"):
        get_cycle(open_cycle_db, "9" * 40)


@pytest.mark.parametrize("content, message", [
    (b"bobot: [1,\n  2", "pengaturan.yaml, baris 2: YAML tidak valid"),
    (b"- satu\n- dua\n", "harus berupa pasangan 'kunci: nilai'"),
    (b"\xff\xfe\x00b", "bukan teks UTF-8"),
    (b"bobot: abc\n", "bobot: harus pasangan 'kunci: nilai'"),
    (b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
     "terlalu banyak nilai"),
])
def test_malformed_settings_files_exit_2_naming_the_file(tmp_path, content, message):
    """`cycle open --settings` with broken YAML, a list, bad bytes, a wrong type or an alias bomb: exit 2, no cycle."""
    settings = tmp_path / "pengaturan.yaml"
    settings.write_bytes(content)
    db = tmp_path / "k.db"
    result = CliRunner().invoke(main, ["--db", str(db), "cycle", "open", "--nama", "X", "--periode", "Tahunan",
                                       "--tahun", "2026", "--mulai", "2026-01-01", "--selesai", "2026-12-31",
                                       "--settings", str(settings)])
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("make", [lambda t: "/dev/zero", lambda t: str(t), lambda t: str(t / "tidak-ada.yaml")],
                         ids=["device", "folder", "missing"])
def test_a_settings_path_that_is_not_a_file_is_refused_without_reading(tmp_path, make):
    """/dev/zero, a folder or a missing file as --settings: exit 2 at once, no cycle."""
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "k.db"), "cycle", "open", "--nama", "X",
                                       "--periode", "Tahunan", "--tahun", "2026", "--mulai", "2026-01-01",
                                       "--selesai", "2026-12-31", "--settings", make(tmp_path)])
    assert result.exit_code == 2 and result.stderr.startswith("Galat: "), result.output
