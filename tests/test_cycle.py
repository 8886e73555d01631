"""Opening, listing and closing appraisal cycles, from the library and the CLI."""

from __future__ import annotations

import json

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
