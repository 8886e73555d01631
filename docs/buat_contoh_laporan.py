"""Render page 1 of one demo pegawai's 360 report to docs/img/contoh-laporan.png (the README's example).

    .venv/bin/python docs/buat_contoh_laporan.py

Builds the demo organisation (300 pegawai, seed 2026) in a temporary folder, scores it, picks the first
pegawai (by NIP) rated by atasan, rekan and bawahan with one or two blind spots or hidden strengths
and an assessed competency profile, prints the report with Chromium and converts page 1 with pdftoppm (poppler-utils).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from kinerja_lib import reports, scoring
from kinerja_lib.demo import build_demo_database

OUT = Path(__file__).resolve().parent / "img" / "contoh-laporan.png"
DPI = 110


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="contoh-laporan-") as tmp:
        db, summary = build_demo_database(Path(tmp) / "demo.db", 300, 2026)
        scoring.run_scoring(db, summary.cycle_id)
        data = reports.prepare_cycle(db, summary.cycle_id)
        shown = data.results["kelompok_tampil"].fillna("")
        nip = next(n for n in sorted(data.ratees)
                   if {"atasan", "rekan", "bawahan"} <= set(shown[n].split(",")) and 1 <= len(data.titik.get(n, {})) <= 2
                   and (data.competency or {}).get(n, {}).get("jpm") is not None)
        html = reports.render_report_html(reports.build_report_data(db, summary.cycle_id, nip, prepared=data))
        pdf = Path(tmp) / "contoh.pdf"
        reports.print_pdfs([(html, pdf)])
        OUT.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(OUT.with_suffix(""))], check=True)
    print(f"{OUT} (pegawai {nip})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
