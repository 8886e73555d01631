"""The training planner's XLSX workbook: sheets, Indonesian headers, frozen header rows, readable cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kinerja_lib import competency as comp

SHEETS = ["Rencana per Pegawai", "Ringkasan Pegawai", "Kohort", "Peserta Kohort", "Ringkasan Unit",
          "Prioritas Kompetensi", "Tanpa Standar", "Pengaturan"]


def _nip(i: int) -> str:
    return f"{199001012020011000 + i:018d}"


def _report() -> comp.CompetencyReport:
    """Six pegawai in two OPD: one without a standard, the rest rated by a supervisor and three peers."""
    jenis = ["Pelaksana", "Pengawas", "Pengawas", "Administrator", "Pelaksana", "Honorer"]
    pegawai = pd.DataFrame({"nip": [_nip(i) for i in range(6)], "nama": [f"Pegawai {i}" for i in range(6)],
                            "unit_id": [f"Dinas {'AB'[i % 2]} / Bidang" for i in range(6)],
                            "opd": [f"Dinas {'AB'[i % 2]}" for i in range(6)], "jabatan": "Staf",
                            "jenis_jabatan": jenis, "jenjang": None})
    rng = np.random.default_rng(7)
    rows = []
    for i in range(5):
        raters = [("atasan", 10), ("rekan", 11), ("rekan", 12), ("rekan", 13), ("diri", i)]
        for relation, rater in raters:
            for k in range(1, 10):
                rows.append((_nip(i), _nip(rater), relation, f"K0{k}", float(rng.integers(1, 4))))
    responses = pd.DataFrame(rows, columns=["ratee", "rater", "relation", "item", "score"])
    return comp.analyse_frames(pegawai, responses)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    report = _report()
    path = comp.export_training_xlsx(report, tmp_path_factory.mktemp("xlsx") / "rencana.xlsx")
    return report, load_workbook(path)


def _header(ws) -> list[str]:
    return [c.value for c in ws[1]]


def test_workbook_has_every_sheet_with_a_frozen_header(workbook):
    """One sheet per view, in order, each with its header row frozen."""
    _, wb = workbook
    assert wb.sheetnames == SHEETS
    assert {ws.title: ws.freeze_panes for ws in wb} == {name: "A2" for name in SHEETS}


def test_headers_are_readable_indonesian(workbook):
    """The per-person sheet and the cohort sheet carry the labels a planner reads, not column codes."""
    _, wb = workbook
    assert _header(wb["Rencana per Pegawai"]) == [
        "NIP", "Nama", "Perangkat Daerah", "Unit Kerja", "Jabatan", "Perkiraan JPM dari Penilaian 360° (%)",
        "Kategori Perkiraan JPM", "Prioritas",
        "Kode Kompetensi", "Kompetensi", "Level Standar", "Level Dinilai", "Galat Baku", "Jumlah Penilai",
        "Kesenjangan", "Peluang Kesenjangan ≥ 1 Level", "Bentuk Pengembangan", "JP", "Uraian", "Kohort"]
    assert _header(wb["Kohort"]) == [
        "Kohort", "Kode Kompetensi", "Kompetensi", "Level Standar", "Unit", "Kelas", "Jumlah Kelas",
        "Jumlah Peserta", "Bentuk Pengembangan", "JP", "Rerata Kesenjangan", "Peringkat Borich",
        "Kelas Kecil (pertimbangkan gabung)"]
    assert _header(wb["Pengaturan"]) == ["Pengaturan", "Nilai"]
    assert all(isinstance(h, str) and "_" not in h for ws in wb for h in _header(ws))


def test_sheets_hold_every_row_of_the_report(workbook):
    """Row counts match the report: needs, people, cohorts, members, units, competencies, no-standard list."""
    report, wb = workbook
    expected = {"Rencana per Pegawai": len(report.needs), "Ringkasan Pegawai": len(report.people),
                "Kohort": len(report.cohorts), "Peserta Kohort": len(report.cohort_members),
                "Ringkasan Unit": len(report.units), "Prioritas Kompetensi": len(report.borich),
                "Tanpa Standar": 1}
    assert {name: wb[name].max_row - 1 for name in expected} == expected


def test_nip_stays_text_and_figures_stay_numbers(workbook):
    """An 18-digit NIP is written as text (Excel would round it as a number); JP and levels are numbers."""
    report, wb = workbook
    ws = wb["Rencana per Pegawai"]
    first = [c for c in ws[2]]
    assert (first[0].value, first[0].data_type, first[0].number_format) == (report.needs["nip"].iloc[0], "s", "@")
    jp = [row[17].value for row in ws.iter_rows(min_row=2)]
    assert jp == report.needs["jp"].tolist()
    summary = wb["Ringkasan Pegawai"]
    assert [row[13].value for row in summary.iter_rows(min_row=2)] == ["Ya"] * len(report.people)


def test_column_widths_fit_the_content_within_bounds(workbook):
    """Every column has a width between 8 and 60 characters, wide enough for the NIP."""
    _, wb = workbook
    widths = {ws.title: [ws.column_dimensions[c].width for c in ws.column_dimensions] for ws in wb}
    assert all(8 <= w <= 60 for values in widths.values() for w in values)
    assert wb["Rencana per Pegawai"].column_dimensions["A"].width >= 18


def test_settings_sheet_states_the_method(workbook):
    """The settings sheet stamps thresholds, weights, the Borich tie rule and the sources."""
    _, wb = workbook
    rows = {r[0].value: r[1].value for r in wb["Pengaturan"].iter_rows(min_row=2)}
    assert rows["Kategori perkiraan JPM"] == "Optimal ≥ 90; Cukup Optimal ≥ 78; Kurang Optimal ≥ 0"
    assert "perkiraan, bukan JPM hasil asesmen" in rows["Perkiraan JPM"] and "Peraturan BKN 26/2019" in rows["Perkiraan JPM"]
    assert "kepentingan diproksikan dengan rerata level standar" in rows["Prioritas kompetensi"]
    assert rows["JP minimal per tahun"] == "20"
    assert rows["Aturan seri prioritas"] == comp.TIE_RULE
    assert "PermenPANRB Nomor 38 Tahun 2017" in rows["Sumber"] and "Pasal 203-207" in rows["Sumber"]
    assert rows["Bobot kelompok"] == '{"atasan": 0.4, "rekan": 0.3, "bawahan": 0.2, "lainnya": 0.1}'


def test_cli_pelatihan_writes_the_workbook(db_path, tmp_path):
    """`kinerja pelatihan --xlsx FILE` analyses the open cycle and writes the workbook."""
    from kinerja_lib.cli import main
    from kinerja_lib.cycle import open_cycle
    from kinerja_lib.store import now, open_db

    db = open_db(db_path)
    db["unit"].insert({"id": "Dinas A", "nama": "Dinas A", "induk_id": None, "jenis": "opd"})
    db["pegawai"].insert({"nip": _nip(1), "nama": "Pegawai 1", "jenis_kelamin": "L", "unit_id": "Dinas A",
                          "jabatan": "Staf", "jenis_jabatan": "Pelaksana", "jenjang": None, "tingkat": 1,
                          "diperbarui": now()})
    open_cycle(db, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31")
    db.close()
    out = tmp_path / "rencana.xlsx"
    result = CliRunner().invoke(main, ["--db", str(db_path), "pelatihan", "--xlsx", str(out), "--ukuran-kelas", "15"])
    assert result.exit_code == 0, result.output
    assert f"Berkas ditulis: {out}" in result.output
    assert "1 pegawai" in result.output
    wb = load_workbook(out)
    rows = {r[0].value: r[1].value for r in wb["Pengaturan"].iter_rows(min_row=2)}
    assert (rows["Ukuran kelas"], rows["Siklus"]) == ("15", "#1 Tahunan 2026 (Tahunan 2026)")


def test_cli_pelatihan_reports_an_unknown_cycle(db_path, tmp_path):
    """An unknown cycle is a clean Indonesian error with exit code 1."""
    from kinerja_lib.cli import main

    result = CliRunner().invoke(main, ["--db", str(db_path), "pelatihan", "--cycle", "Tidak Ada",
                                       "--xlsx", str(tmp_path / "x.xlsx")])
    assert (result.exit_code, "Siklus 'Tidak Ada' tidak ditemukan" in result.output) == (2, True)
