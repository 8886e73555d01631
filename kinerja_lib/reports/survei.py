"""The public-service survey's outputs: the QR code and printable poster of a service point, and the report.

The report gives, per service point: the number of responses, each item's mean with its confidence interval,
the distribution of answers (1-5 and "tidak tahu"), and the citizens' comments, which are shown only when the
point has at least the minimum of responses set in data/referensi/survei.yaml (fewer could identify a visitor).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from pathlib import Path

from markupsafe import Markup

from ..export import Sheet, check_output_path, write_private_bytes, write_private_text, write_xlsx
from ..survei import IssuedPoint, ServicePoint, Survey, unit_label

QR_KINDS = ("png", "svg")


def qr_code(url: str):
    """Return the segno QR code of ``url`` (error correction M: a poster may get a little worn)."""
    import segno

    return segno.make(url, error="m", micro=False)


def write_qr(issued: IssuedPoint, path: str | Path) -> Path:
    """Write the QR code of a freshly issued service-point link as PNG or SVG (by extension); return the path."""
    import io

    target = check_output_path(path, QR_KINDS)
    buffer = io.BytesIO()
    kind = target.suffix.lower().lstrip(".")
    qr_code(issued.url).save(buffer, kind=kind, scale=10, border=4)
    return write_private_bytes(target, buffer.getvalue())


def poster_html(issued: IssuedPoint, survey: Survey) -> str:
    """Return the A4 poster of a service point: title, unit, QR code, steps in Indonesian and the address."""
    from .printing import template_env

    svg = qr_code(issued.url).svg_inline(scale=8, border=2)
    unit = unit_label(issued.point.unit_id)
    return template_env().get_template("poster_survei.html.j2").render(
        judul=survey.judul, unit=unit, titik=issued.point.nama, qr_svg=Markup(svg), alamat=issued.url,
        jumlah_butir=len(survey.butir), jam=survey.batas["jam_per_perangkat"],
        kaki=f"{survey.judul} · {unit} · {issued.point.nama}")


def write_poster(issued: IssuedPoint, survey: Survey, path: str | Path) -> Path:
    """Write the poster as PDF (printed by Chromium) or HTML (by extension); return the path."""
    target = check_output_path(path, ("pdf", "html"))
    html = poster_html(issued, survey)
    if target.suffix.lower() == ".html":
        return write_private_text(target, html)
    from .printing import print_pdfs

    print_pdfs([(html, target)], total=1, pages=1)
    return target


def _mean_ci(values: list[int], confidence: float) -> tuple[float | None, float | None, float | None]:
    if not values:
        return None, None, None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None, None
    from scipy import stats

    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    half = stats.t.ppf((1 + confidence) / 2, len(values) - 1) * sd / math.sqrt(len(values))
    return mean, max(1.0, mean - half), min(5.0, mean + half)


def report_sheets(points: list[ServicePoint], answers: list[tuple], comments: list[tuple],
                  survey: Survey) -> list[Sheet]:
    """Return the report's tables: Ringkasan (per point and item) and Komentar (only points over the minimum)."""
    by_point: dict[tuple[int, str], list[int | None]] = defaultdict(list)
    for titik_id, butir, skor in answers:
        by_point[(titik_id, butir)].append(skor)
    pct = int(round(survey.keyakinan * 100))
    # Named by the column vocabulary (kinerja_lib.columns): headers, number formats, wrapped text.
    columns = ["unit", "titik_layanan", "status_titik", "jumlah_jawaban", "butir", "pertanyaan", "jumlah_menilai",
               "rerata", f"sk_bawah_{pct}", f"sk_atas_{pct}", *[f"jumlah_skala_{k}" for k in sorted(survey.skala)],
               "jumlah_tidak_tahu"]
    rows = []
    for p in points:
        for item in survey.butir:
            given = by_point.get((p.id, item.kode), [])
            scores = [s for s in given if s is not None]
            mean, lo, hi = _mean_ci(scores, survey.keyakinan)
            counts = Counter(scores)
            rows.append([p.unit_id, p.nama, "terbuka" if p.is_open else "ditutup", p.jumlah_jawaban, item.kode,
                         item.teks, len(scores), mean, lo, hi, *[counts.get(k, 0) for k in sorted(survey.skala)],
                         sum(s is None for s in given)])
    summary = Sheet("Ringkasan", rows, columns=columns)
    enough = {p.id for p in points if p.jumlah_jawaban >= survey.minimal_jawaban_komentar}
    names = {p.id: (p.unit_id, p.nama) for p in points}
    notes = [[*names[t], waktu[:10], teks] for t, waktu, teks in comments if t in enough]
    hidden = [[*names[p.id], "", f"({p.jumlah_jawaban} jawaban; komentar ditampilkan mulai "
                                 f"{survey.minimal_jawaban_komentar} jawaban)"]
              for p in points if p.id not in enough and p.jumlah_jawaban]
    comment_sheet = Sheet("Komentar", notes + hidden, columns=["unit", "titik_layanan", "tanggal", "komentar"])
    return [summary, comment_sheet]


def write_report(points: list[ServicePoint], answers: list[tuple], comments: list[tuple], survey: Survey,
                 path: str | Path) -> Path:
    """Write the survey report as an XLSX workbook (all-or-nothing, owner-only); return the path."""
    target = check_output_path(path, ("xlsx",))
    settings = {"survei": survey.judul, "titik layanan": len(points),
                "tingkat keyakinan": survey.keyakinan,
                "komentar ditampilkan mulai (jawaban)": survey.minimal_jawaban_komentar,
                "catatan": ("Survei layanan publik menilai titik layanan/unit, bukan pegawai; hasilnya terpisah dari "
                            "penilaian 360 dan tidak masuk ke skor siapa pun. 'Tidak tahu' tidak dihitung sebagai "
                            "nilai.")}
    return write_xlsx(target, report_sheets(points, answers, comments, survey), settings)
