"""Award lists to a workbook and to a printable PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .frames import fmt
from .ranking import SHORTLIST_COLUMNS, SHORTLIST_NAMES
from .report import AwardReport
from .rules import DITETAPKAN, MENUNGGU, REASON_SEPARATOR


# The award frames' own names that mean something else in the column vocabulary (kinerja_lib.columns): the
# shortlist's standard error is the score's, and the fairness table counts people per group and says whether a
# group was tested (its "kelompok", "n", "terpilih" and "dinilai" are not the rater group, raters, the chosen
# flag or the count of pegawai assessed).
_FAIRNESS_NAMES = {"kelompok": "kelompok_dimensi", "n": "jumlah_kelompok", "terpilih": "jumlah_terpilih",
                   "dinilai": "diuji", "status": "status_keadilan"}


def _settings_rows(report: AwardReport) -> list[tuple[str, str]]:
    return [("dibuat", report.dibuat)] + [(k, "" if v is None else str(v)) for k, v in report.settings.items()]


def export_xlsx(report: AwardReport, path: str | Path) -> Path:
    """Write the shortlist (with reasons), eligibility, fairness, follow-up, Satyalancana, 9-box and settings."""
    from ..export import Sheet, settings_sheet, write_xlsx

    path = Path(path)
    short = report.shortlist.table[[c for c in SHORTLIST_COLUMNS if c in report.shortlist.table]]
    short = short.rename(columns=SHORTLIST_NAMES)
    base = report.shortlist.eligibility
    elig = base[[c for c in ["nip", "nama", "opd", "unit_id", "jabatan", "skor", "layak", "menunggu_penetapan",
                             "alasan_tidak_layak", "alasan"] if c in base]].copy()
    # A provisional predikat is never printed beside a decided one: the column says which it is.
    elig.insert(5, "predikat_ditetapkan", base["predikat"].where(~base["predikat_sementara"], None))
    elig.insert(6, "status_predikat", np.where(base["predikat_sementara"], MENUNGGU,
                                               np.where(base["predikat"].notna(), DITETAPKAN, "belum ada")))
    sheets = {"Daftar pendek": short, "Kelayakan": elig, "Menunggu penetapan": report.menunggu,
              "Keadilan": report.fairness.rename(columns=_FAIRNESS_NAMES), "Tindak lanjut": report.follow_up,
              "Satyalancana": report.satyalancana, "Kotak talenta": report.nine_box}
    # The kit's export writer: headers, formats, NIP as text and wrapped reasons from the column vocabulary;
    # frozen headers, widths, names escaped, 0600, all-or-nothing.
    return write_xlsx(path, [Sheet(name, frame) for name, frame in sheets.items()]
                      + [settings_sheet(_settings_rows(report))])


def shortlist_context(report: AwardReport, *, top: int | None = None,
                      instansi: str | None = None) -> dict[str, Any]:
    """Return the template context of the printable shortlist: the chosen candidates and the next ones up to
    ``top`` (default 2k) with their figures and reasons, the settings and the dates."""
    from ..instansi import load_instansi
    from ..reports import tanggal

    office = load_instansi()
    table = report.shortlist.table
    s = report.settings
    k = int(s.get("k", 10))
    rows = table[table["peringkat"].notna()].head(top or 2 * k)
    calon = []
    for _, r in rows.iterrows():
        lo, hi = r["peringkat_p05"], r["peringkat_p95"]
        calon.append({
            "peringkat": int(r["peringkat"]), "nama": r["nama"], "nip": r["nip"], "opd": r["opd"],
            "terpilih": bool(r["terpilih"]), "predikat": r["predikat"], "skor": fmt(r["skor"]),
            "skor_adj": fmt(r["skor_adj"]), "se": fmt(r["se"]), "posterior": fmt(r["rerata_posterior"]),
            "sd": fmt(r["sd_posterior"]), "peluang": fmt(r["p_k_teratas"]),
            "rentang": f"{int(lo)}-{int(hi)}" if pd.notna(lo) and pd.notna(hi) else "-",
            "alasan": [part for part in str(r["alasan"]).split(REASON_SEPARATOR) if part]})
    return {
        "instansi": instansi or office.nama, "teks_logo": office.teks_logo, "tempat": office.tempat,
        "penandatangan": office.penandatangan.get("daftar_pendek"), "judul": f"Daftar Pendek {s['penghargaan']}",
        "siklus": s["siklus"], "tanggal_acuan": tanggal(s["tanggal_acuan"]), "dibuat": tanggal(report.dibuat),
        "k": k, "kuota": s["kuota_per_unit"], "dinilai": s["jumlah_dinilai"], "layak": s["jumlah_layak"],
        "menunggu": s.get("jumlah_menunggu_penetapan", 0), "calon": calon,
        # scores computed in memory (none stored, or the stored ones behind) are provisional: said on the page
        "skor_sementara": s.get("sumber_skor") if report.skor_sementara else None,
        "pengaturan": [("dibuat", report.dibuat)] + [(key, "" if v is None else str(v)) for key, v in s.items()],
    }


def shortlist_html(report: AwardReport, **kwargs: Any) -> str:
    """Return the HTML of the printable shortlist (see :func:`shortlist_context`)."""
    from ..reports import template_env

    context = shortlist_context(report, **kwargs)
    kaki = f"{context['judul']} · {context['siklus']} · dibuat {context['dibuat']}"
    return template_env().get_template("daftar_pendek.html.j2").render(**context, kaki=kaki)


def export_pdf(report: AwardReport, path: str | Path, *, top: int | None = None,
               instansi: str | None = None) -> Path:
    """Write a printable A4 PDF of the shortlist with each person's figures and reasons, the settings and date.

    Lists the chosen candidates plus the next ones up to ``top`` (default 2k). Printed by the same Chromium
    and stylesheet as the individual reports: text wraps within the page and stays extractable. Raises
    ReportError when Chromium cannot be started.
    """
    from ..reports import print_pdfs

    path = Path(path)
    print_pdfs([(shortlist_html(report, top=top, instansi=instansi), path)], total=1, pages=1)
    return path


def export_files(report: AwardReport, xlsx: str | Path, pdf: str | Path | None = None, *, top: int | None = None,
                 instansi: str | None = None) -> tuple[Path, Path | None]:
    """Write the workbook (:func:`export_xlsx`) and, when ``pdf`` is given, the printable shortlist
    (:func:`export_pdf`); return both paths.

    Chromium prints the PDF in its own processes while this process writes the workbook, so on two cores
    the pair takes about as long as the longer of the two. An error of either is raised once both are done.
    """
    from concurrent.futures import ThreadPoolExecutor

    if pdf is None:
        return export_xlsx(report, xlsx), None
    with ThreadPoolExecutor(max_workers=1) as pool:
        printing = pool.submit(export_pdf, report, pdf, top=top, instansi=instansi)
        try:
            written = export_xlsx(report, xlsx)
        except BaseException:
            # Chromium's run is finished (the pool waits for it) before the workbook's error is raised.
            printing.exception()
            raise
        return written, printing.result()
