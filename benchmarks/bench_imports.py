"""The roster import (``kinerja import roster``) on generated CSV rosters of 8,000 and 100,000 pegawai.

Setup (untimed) writes a valid ';'-separated roster: 40 OPD, each person reporting to someone above
them in a 10-ary tree, with a JF/structural mix. ``roster_first`` imports it into a fresh database
file; ``roster_reimport`` imports it again (every row an update), as a monthly refresh would.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from benchmarks.run import Case

HEADER = ["NIP", "Nama", "Jenis Kelamin", "Unit Kerja", "Sub Unit", "Jabatan", "Jenis Jabatan", "Jenjang",
          "Pangkat/Golongan", "NIP Atasan", "TMT CPNS"]
TYPES = [("Pelaksana", "", "Pengatur / II/c"), ("JF", "Ahli Pertama", "Penata Muda / III/a"),
         ("JF", "Ahli Muda", "Penata / III/c"), ("JF", "Terampil", "Pengatur / II/d")]


def nip(i: int) -> str:
    born = date(1965, 1, 1) + timedelta(days=i % 12000)
    return f"{born:%Y%m%d}{2000 + i % 20}{1 + i % 12:02d}{1 + i % 2}{i // 12000:03d}"


def write_roster(path: Path, n: int) -> Path:
    """Write a valid roster of ``n`` pegawai and return its path."""
    lines = [";".join(HEADER)]
    for i in range(n):
        boss = (i - 1) // 10 if i else None
        opd = f"Perangkat Daerah {i % 40 + 1:02d}" if i >= 40 else f"Perangkat Daerah {i + 1:02d}"
        if i < 40:
            jenis, jenjang, gol, sub, boss = "JPT Pratama", "", "Pembina Utama Muda / IV/c", "", None
        elif i < 400:
            jenis, jenjang, gol, sub = "Administrator", "", "Pembina / IV/a", f"Bidang {i % 5 + 1}"
        else:
            jenis, jenjang, gol = TYPES[i % len(TYPES)]
            sub = f"Bidang {i % 5 + 1} / Seksi {i % 3 + 1}"
        if boss is not None and boss < 40 and i >= 40:
            boss = i % 40  # report to the head of one's own OPD
        lines.append(";".join([nip(i), f"Pegawai {i}", "L" if i % 2 == 0 else "P", opd, sub, f"Jabatan {i % 50}",
                               jenis, jenjang, gol, "" if boss is None else nip(boss),
                               f"01-{1 + i % 12:02d}-{2000 + i % 20}"]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _case(size: int, reimport: bool):
    def setup(workdir: Path):
        from kinerja_lib.roster import import_roster
        from kinerja_lib.store import open_db

        csv_path = write_roster(workdir / "pegawai.csv", size)
        db = open_db(workdir / "kinerja.db")
        if reimport:
            import_roster(db, csv_path)
        return db, csv_path

    def run(state) -> dict:
        from kinerja_lib.roster import import_roster

        db, csv_path = state
        s = import_roster(db, csv_path)
        db.close()
        return {"inserted": s.inserted, "updated": s.updated, "units_created": s.units_created}
    return setup, run


def cases() -> list[Case]:
    out = []
    for size, target in ((8_000, 5.0), (100_000, 60.0)):
        for reimport in (False, True):
            setup, run = _case(size, reimport)
            out.append(Case("imports", "roster_reimport" if reimport else "roster_first", size, run, setup,
                            target_seconds=target, quick=size == 8_000))
    return out
