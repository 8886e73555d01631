"""Award lists to a workbook and to a printable PDF."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from .frames import fmt
from .ranking import SHORTLIST_COLUMNS
from .report import AwardReport
from .rules import DITETAPKAN, MENUNGGU, REASON_SEPARATOR



def _settings_frame(report: AwardReport) -> pd.DataFrame:
    rows = [("dibuat", report.dibuat)] + [(k, "" if v is None else str(v)) for k, v in report.settings.items()]
    return pd.DataFrame(rows, columns=["pengaturan", "nilai"])


def export_xlsx(report: AwardReport, path: str | Path) -> Path:
    """Write the shortlist (with reasons), eligibility, fairness, follow-up, Satyalancana, 9-box and settings."""
    from ..export import Sheet, write_xlsx

    path = Path(path)
    short = report.shortlist.table[[c for c in SHORTLIST_COLUMNS if c in report.shortlist.table]]
    short = short.rename(columns=SHORTLIST_COLUMNS)
    base = report.shortlist.eligibility
    elig = base[[c for c in ["nip", "nama", "opd", "unit_id", "jabatan", "skor", "layak", "menunggu_penetapan",
                             "alasan_tidak_layak", "alasan"] if c in base]].copy()
    # A provisional predikat is never printed beside a decided one: the column says which it is.
    elig.insert(5, "predikat_ditetapkan", base["predikat"].where(~base["predikat_sementara"], None))
    elig.insert(6, "status_predikat", np.where(base["predikat_sementara"], MENUNGGU,
                                               np.where(base["predikat"].notna(), DITETAPKAN, "belum ada")))
    sheets = {"Daftar pendek": short, "Kelayakan": elig, "Menunggu penetapan": report.menunggu,
              "Keadilan": report.fairness, "Tindak lanjut": report.follow_up, "Satyalancana": report.satyalancana,
              "Kotak talenta": report.nine_box, "Pengaturan": _settings_frame(report)}
    # The kit's export writer: frozen headers, widths, NIP as text, names escaped, 0600, all-or-nothing.
    formats = {"Peluang masuk k teratas": "0%", "laju": "0.0%", "rasio": "0.00", "p_fisher": "0.000"}
    return write_xlsx(path, [Sheet(name, frame, formats=formats, text=["NIP", "nip"], wrap=["Alasan"])
                             for name, frame in sheets.items()])


def export_pdf(report: AwardReport, path: str | Path, *, top: int | None = None) -> Path:
    """Write a printable A4 PDF of the shortlist with each person's figures and reasons, the settings and date.

    Lists the chosen candidates plus the next ones up to ``top`` (default 2k). Uses matplotlib's PDF backend
    (text stays extractable: TrueType fonts embedded).
    """
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    path = Path(path)
    table = report.shortlist.table
    k = int(report.settings.get("k", 10))
    rows = table[table["peringkat"].notna()].head(top or 2 * k)
    width_chars = 200
    lines: list[tuple[str, str]] = []  # (style, text)
    title = f"Daftar Pendek {report.settings['penghargaan']}"
    lines.append(("title", title))
    lines.append(("meta", f"Siklus: {report.settings['siklus']}"))
    lines.append(("meta", f"Tanggal acuan: {report.settings['tanggal_acuan']}    Dibuat: {report.dibuat}    "
                          f"k = {k}    kuota per unit: {report.settings['kuota_per_unit']}"))
    lines.append(("meta", f"Dinilai: {report.settings['jumlah_dinilai']} pegawai; layak: "
                          f"{report.settings['jumlah_layak']}; menunggu penetapan predikat (tidak diperingkat): "
                          f"{report.settings.get('jumlah_menunggu_penetapan', 0)}. Peringkat menurut rerata "
                          f"posterior (empirical Bayes); P = peluang masuk {k} teratas dari simulasi. Hanya "
                          f"predikat yang ditetapkan Pejabat Penilai yang dipakai."))
    lines.append(("gap", ""))
    if rows.empty:
        lines += [("head", "Tidak ada calon yang layak dan berskor untuk daftar ini."), ("gap", "")]
    for _, r in rows.iterrows():
        mark = "MASUK DAFTAR PENDEK" if r["terpilih"] else "cadangan"
        lines.append(("head", f"{int(r['peringkat'])}. {r['nama']} (NIP {r['nip']}) - {r['opd']} - {mark}"))
        lo, hi = r["peringkat_p05"], r["peringkat_p95"]
        span = f"{int(lo)}-{int(hi)}" if pd.notna(lo) and pd.notna(hi) else "-"
        lines.append(("body", f"Predikat {r['predikat']}; skor mentah {fmt(r['skor'])}; skor disesuaikan "
                              f"{fmt(r['skor_adj'])}; SE {fmt(r['se'])}; rerata posterior "
                              f"{fmt(r['rerata_posterior'])} (SD {fmt(r['sd_posterior'])}); P(k teratas) "
                              f"{fmt(r['p_k_teratas'])}; rentang peringkat P5-P95 {span}"))
        for part in str(r["alasan"]).split(REASON_SEPARATOR):
            for j, seg in enumerate(textwrap.wrap(part, width_chars, break_on_hyphens=False, break_long_words=False)):
                lines.append(("reason", ("- " if j == 0 else "  ") + seg))
        lines.append(("gap", ""))
    lines.append(("head", "Pengaturan"))
    for key, value in report.settings.items():
        for j, seg in enumerate(textwrap.wrap(f"{key}: {value}", width_chars, break_on_hyphens=False,
                                              break_long_words=False)):
            lines.append(("reason", seg if j == 0 else "  " + seg))
    style = {"title": (14, "bold", 0.030), "meta": (8.5, "normal", 0.020), "head": (9.5, "bold", 0.022),
             "body": (8, "normal", 0.018), "reason": (7.5, "normal", 0.016), "gap": (6, "normal", 0.010)}
    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}):
        with PdfPages(path, metadata={"Title": title, "Subject": "Daftar pendek penghargaan"}) as pdf:
            page, y, fig = 0, 0.0, None
            for kind, text in lines:
                size, weight, step = style[kind]
                if fig is None or y - step < 0.05:
                    if fig is not None:
                        pdf.savefig(fig)
                    page += 1
                    fig = Figure(figsize=(11.69, 8.27))
                    fig.text(0.95, 0.025, f"Halaman {page} - {title} - dibuat {report.dibuat}", ha="right",
                             fontsize=7, color="gray")
                    y = 0.95
                fig.text(0.04, y, text, fontsize=size, weight=weight, va="top")
                y -= step
            if fig is not None:
                pdf.savefig(fig)
    return path
