"""Writes pegawai.xlsx, the XLSX twin of pegawai.csv, with other accepted header spellings.

Run from the repository root: ``python data/contoh/buat_contoh_xlsx.py``. NIP cells are stored as
text (format '@'), as they must be in any roster typed in Excel; TMT CPNS cells are real dates.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

# pegawai.csv header -> header used in the workbook (both are accepted by `kinerja import roster`)
HEADERS = {
    "NIP": "NIP Baru", "Nama": "Nama Lengkap", "Jenis Kelamin": "L/P", "Unit Kerja": "OPD",
    "Sub Unit": "Bidang/Seksi", "Jabatan": "Nama Jabatan", "Jenis Jabatan": "Jenis Jabatan",
    "Jenjang": "Jenjang", "NIP Atasan": "NIP Pejabat Penilai", "TMT CPNS": "TMT CPNS",
    "No. HP": "Nomor WhatsApp", "E-mail": "Surel",
}
SEX = {"L": "Laki-laki", "P": "Perempuan"}


def build(source: Path = HERE / "pegawai.csv", target: Path = HERE / "pegawai.xlsx") -> Path:
    """Write the workbook from the CSV roster and return its path."""
    with open(source, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    wb = Workbook()
    ws = wb.active
    ws.title = "Pegawai"
    header = [HEADERS[h] for h in HEADERS] + ["Pangkat", "Gol. Ruang"]
    ws.append(header)
    for r in rows:
        pangkat, _, golongan = r["Pangkat/Golongan"].rpartition(" / ")
        values = {**r, "Jenis Kelamin": SEX[r["Jenis Kelamin"]],
                  "TMT CPNS": datetime.strptime(r["TMT CPNS"], "%d-%m-%Y")}
        ws.append([values[h] or None for h in HEADERS] + [pangkat, golongan])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if header[cell.column - 1] in ("NIP Baru", "NIP Pejabat Penilai", "Nomor WhatsApp"):
                cell.number_format = "@"
            elif header[cell.column - 1] == "TMT CPNS":
                cell.number_format = "DD-MM-YYYY"
    notes = wb.create_sheet("Petunjuk")
    notes.append(["Contoh daftar pegawai untuk `kinerja import roster data/contoh/pegawai.xlsx`."])
    notes.append(["Kolom NIP harus berformat Teks agar 18 digitnya tidak berubah menjadi angka."])
    fixed = datetime(2026, 1, 1)
    wb.properties.created = wb.properties.modified = fixed
    wb.save(target)
    return target


if __name__ == "__main__":
    print(build())
