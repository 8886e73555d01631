"""One pegawai's 360° report: its template context, its published versions, and the batch of PDFs.

The context names nobody but the ratee; what a pegawai has seen never changes by one rater's answers
(:func:`published_report`).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlite_utils import Database

from .. import records, scoring
from ..cycle import Cycle, anonymity_warning, get_cycle
from ..errors import ReportError
from ..export import write_private_text
from ..instansi import load_instansi
from ..predikat import predikat_kinerja
from ..reference import load_instrument, load_scale
from ..store import add_report_version, write_transaction
from ..vocabulary import VOCAB
from .charts import chart_groups, chart_self_others
from .data import CycleReportData, prepare_cycle, selected_ratees
from .formatting import is_missing, num, persen, tanggal
from .page import render_report_html, stored_context
from .printing import Printer, template_env




def _shown_groups(result: pd.Series, settings: dict[str, Any]) -> list[str]:
    raw = result.get("kelompok_tampil")
    if is_missing(raw) or not raw:
        return []
    shown = set(str(raw).split(","))
    return [g for g in settings["kelompok"] if g in shown]


def _comment_order_seed(settings: dict[str, Any], cycle_id: int, nip: str, relation: str, jenis: str) -> int:
    key = f"{settings.get('benih_acak', 0)}|{cycle_id}|{nip}|{relation}|{jenis}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def _comments_for(data: CycleReportData, nip: str, shown: list[str], vocab: dict) -> list[dict[str, Any]]:
    """Return comments of the shown groups only, texts only, in a seeded random order."""
    mine = data.comments.get(nip, {})
    out = []
    for g in shown:
        block: dict[str, Any] = {"kode": g, "label": vocab["relasi"][g], "jenis": []}
        for jenis in ("kekuatan", "pengembangan"):
            # Sorting first makes the order independent of who wrote first; the seeded shuffle then
            # hides the pattern a sorted list would carry, and stays the same on every rendering.
            texts = sorted(mine.get((g, jenis), []))
            random.Random(_comment_order_seed(data.settings, data.cycle.id, nip, g, jenis)).shuffle(texts)
            if data.redactor is not None:
                texts = [data.redactor(t) for t in texts]
            if texts:
                block["jenis"].append({"label": vocab["komentar"][jenis], "teks": texts})
        if block["jenis"]:
            out.append(block)
    return out


def _settings_summary(data: CycleReportData, vocab: dict) -> dict[str, Any]:
    s = data.settings
    groups = s["kelompok"]
    weights = {g: w for g, w in s["bobot"].items() if g in groups and w > 0}
    total = sum(weights.values()) or 1.0
    return {
        "kelompok": [vocab["relasi"][g] for g in groups],
        "minimal": [{"label": vocab["relasi"][g], "n": s["minimal_penilai"].get(g, 1)} for g in groups],
        "bobot": [{"label": vocab["relasi"][g], "persen": persen(w / total)} for g, w in weights.items()],
        "instrumen": data.cycle.instrumen_versi,
        "metode": s.get("versi", ""),
        "skala": load_scale().versi,
        "ambang": s["ambang_rating_perilaku"],
        "titik_buta": s["titik_buta_proporsi_rentang"],
        "skor_dihitung": tanggal(data.skor_dihitung) if data.skor_dihitung else None,
        "peringatan_anonimitas": anonymity_warning(s),
    }


def build_report_data(db: Database, cycle: int | str | Cycle | None, nip: str, *,
                      prepared: CycleReportData | None = None, redact: bool | Iterable[str] = True,
                      instansi: str | None = None) -> dict[str, Any]:
    """Return the template context of one pegawai's 360° report.

    The context names nobody but the ratee: rater groups appear as labels, never as persons or NIPs,
    and a group under its minimum contributes nothing (no score, no count, no comment).
    Pass ``prepared`` (from :func:`prepare_cycle`) when rendering many reports of one cycle.
    Raises ReportError when the pegawai is unknown or not rated in the cycle.
    """
    data = prepared or prepare_cycle(db, cycle, nip=nip, redact=redact, instansi=instansi)
    if nip not in data.ratees:
        raise ReportError(f"Pegawai {nip} tidak dinilai pada siklus ini")
    settings, vocab = data.settings, VOCAB
    instrument, scale = load_instrument(), load_scale()
    person, result = data.person_and_result(nip)
    shown = _shown_groups(result, settings)
    v_means, i_means = data.values.get(nip, {}), data.items.get(nip, {})
    marks = data.titik.get(nip, {})

    values, all_items = [], []
    for value in instrument.values:
        items = []
        for item in value.items:
            items.append({"kode": item.kode, "teks": item.teks, "nilai": value.nama,
                          "lain": i_means.get((item.kode, scoring.SEMUA)), "diri": i_means.get((item.kode, "diri")),
                          "tertinggi": False, "terendah": False})
        scored = [i for i in items if i["lain"] is not None]
        if len(scored) >= 2 and max(i["lain"] for i in scored) > min(i["lain"] for i in scored):
            max(scored, key=lambda i: i["lain"])["tertinggi"] = True
            min(scored, key=lambda i: i["lain"])["terendah"] = True
        all_items += scored
        others, self_score = v_means.get((value.kode, scoring.SEMUA)), v_means.get((value.kode, "diri"))
        values.append({
            "kode": value.kode, "nama": value.nama, "lain": others, "diri": self_score,
            "selisih": None if others is None or self_score is None else self_score - others,
            "tanda": marks.get(value.kode), "indikator": items,
            "kelompok": [{"kode": g, "label": vocab["relasi"][g], "mean": v_means[(value.kode, g)]}
                         for g in shown if (value.kode, g) in v_means],
            "ekspektasi_khusus": data.ekspektasi.get(person["unit_id"], {}).get(value.kode),
        })

    top = sorted(all_items, key=lambda i: (-i["lain"], i["kode"]))[:3]
    bottom = [i for i in sorted(all_items, key=lambda i: (i["lain"], i["kode"]))[:3] if i not in top]

    weights = settings["bobot"]
    groups = []
    for g in settings["kelompok"]:
        entry = {"kode": g, "label": vocab["relasi"][g], "minimal": settings["minimal_penilai"].get(g, 1),
                 "tampil": g in shown, "bobot": g != "diri" and weights.get(g, 0) > 0, "n": None, "mean": None}
        if g in shown:  # a hidden group's count is never shown: 0 and 2 must look the same
            entry["n"] = int(result[f"n_{g}"])
            entry["mean"] = num(result.get(f"rerata_{g}"))
        groups.append(entry)

    score, score_adj, se = (num(result.get(k)) for k in ("skor", "skor_adj", "skor_adj_se"))
    saran = None if is_missing(result.get("rating_perilaku_saran")) else result.get("rating_perilaku_saran")
    basis = score_adj if result.get("dasar_saran") == "skor_adj" else score
    basis_se = se if result.get("dasar_saran") == "skor_adj" else None
    alasan = (scoring.suggestion_reason(saran, basis, basis_se if basis_se is not None else float("nan"),
                                        num(result.get("peluang_di_atas")) or 0.0,
                                        num(result.get("peluang_di_bawah")) or 0.0,
                                        result.get("dasar_saran"), settings) if saran and basis is not None else None)
    decided = data.ratings.get(nip, {})
    perilaku, hasil = decided.get("perilaku"), decided.get("hasil_kerja")
    summary = {
        "skor": score, "skor_adj": score_adj, "se": se,
        "ci_bawah": None if score_adj is None or se is None else score_adj - 1.96 * se,
        "ci_atas": None if score_adj is None or se is None else score_adj + 1.96 * se,
        "diri": num(result.get("rerata_diri")) if "diri" in shown else None,
        "saran": saran, "saran_alasan": alasan, "rating_perilaku": perilaku, "rating_hasil_kerja": hasil,
        "predikat": predikat_kinerja(hasil, perilaku) if hasil and perilaku else None,
        "jumlah_penilai": sum(g["n"] for g in groups if g["tampil"] and g["kode"] != "diri"),
    }
    competency = (data.competency or {}).get(nip)
    return {
        "instansi": data.instansi, "teks_logo": load_instansi().teks_logo,
        "pegawai": {"nama": person["nama"], "nip": nip, "jabatan": person["jabatan"],
                    "unit": person["unit_nama"]},
        "siklus": {"nama": data.cycle.nama, "periode": data.cycle.periode, "tahun": data.cycle.tahun,
                   "mulai": tanggal(data.cycle.tanggal_mulai), "selesai": tanggal(data.cycle.tanggal_selesai)},
        "pengaturan": _settings_summary(data, vocab),
        "dibuat": tanggal(data.dibuat),
        "skala": {"min": scale.min, "max": scale.max, "label": scale.labels},
        "ringkasan": summary,
        "kelompok": groups,
        "nilai": values,
        "teratas": top,
        "terbawah": bottom,
        "komentar": _comments_for(data, nip, shown, vocab),
        "kompetensi": competency,
        "tren": data.tren.get(nip, []),
        "umpan_balik": data.umpan_balik.get(nip, []),
        "grafik": {"kelompok": chart_groups(values, shown, scale, vocab),
                   "diri_lain": chart_self_others(values, scale)},
    }


# --------------------------------------------------------------------------------------------
# Published versions: what a pegawai has seen never changes by one rater's answers


def report_basis(db: Database, cycle_id: int, nips: list[str]) -> dict[str, dict[str, list[list[Any]]]]:
    """Return, per pegawai, the submitted forms their report rests on: ``{group: [[assignment id, submitted]]}``.

    A form reopened and submitted again counts as a different form (its submission time changed).
    """
    return records.submitted_forms(db, cycle_id, nips)


def _changes(a: list[list[Any]], b: list[list[Any]]) -> int:
    """Return how many forms differ between two bases of one group: added, removed or submitted again."""
    first, second = {int(x[0]): x[1] for x in a}, {int(x[0]): x[1] for x in b}
    return len(first.keys() ^ second.keys()) + sum(first[k] != second[k] for k in first.keys() & second.keys())


def publishable(basis: dict[str, list], earlier: list[dict[str, list]], minimum: dict[str, int]) -> list[str]:
    """Return the groups whose figures may not be republished (empty: the new version may be published).

    Against every earlier published version, each group must have changed by no form at all or by at least
    its minimum of raters (``minimal_penilai``); otherwise the difference between the versions would be the
    answers of fewer people than anonymity allows.

    >>> publishable({"rekan": [[1, "a"], [2, "a"], [3, "b"]]}, [{"rekan": [[1, "a"], [2, "a"], [3, "a"]]}], {"rekan": 3})
    ['rekan']
    """
    blocked = []
    for before in earlier:
        for group in sorted(set(basis) | set(before)):
            n = _changes(basis.get(group, []), before.get(group, []))
            if 0 < n < int(minimum.get(group, 1)) and group not in blocked:
                blocked.append(group)
    return blocked


def _settings_key(data: CycleReportData) -> str:
    blob = json.dumps({"settings": dict(data.settings), "instrumen": data.cycle.instrumen_versi, "redaksi": data.redactor
                       is not None, "kompetensi": data.competency is not None}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def published_report(db: Database, data: CycleReportData, nip: str,
                     basis: dict[str, list] | None = None) -> dict[str, Any]:
    """Return the report context a pegawai may see, publishing a new version when that is safe.

    The current context (:func:`build_report_data`) becomes a new published version when the pegawai has
    none yet, or when the forms behind it changed by at least each group's minimum of raters against every
    earlier version (:func:`publishable`), or when only the method settings changed. Otherwise the latest
    published version is returned unchanged, with a note that newer answers wait for more raters. The
    context's ``versi`` says which version it is and when it was published.
    """
    basis = basis if basis is not None else report_basis(db, data.cycle.id, [nip])[nip]
    key = _settings_key(data)
    rows = records.report_versions(db, data.cycle.id, nip)
    earlier = [json.loads(r[3]) for r in rows]
    if rows and earlier[-1] == basis and rows[-1][2] == key:
        return _with_notes(_stored_context(rows[-1], None), data, nip)
    blocked = publishable(basis, earlier, data.settings["minimal_penilai"])
    if rows and blocked:
        vocab = VOCAB.relasi
        groups = ", ".join(vocab.get(g, g) for g in blocked)
        return _with_notes(_stored_context(rows[-1], f"Jawaban yang masuk sesudah versi ini belum diterbitkan: perubahan pada "
                                         f"kelompok {groups} berasal dari terlalu sedikit penilai untuk ditampilkan "
                                         f"tanpa mengungkap siapa mereka."), data, nip)
    context = build_report_data(db, data.cycle, nip, prepared=data)
    stamp = load_instansi().now().isoformat(timespec="seconds")

    def stored(number: int) -> bytes:
        context["versi"] = {"nomor": number, "diterbitkan": tanggal(stamp), "tertahan": None}
        return zlib.compress(json.dumps(context, ensure_ascii=False, default=str).encode("utf-8"))

    add_report_version(db, data.cycle.id, nip, stamp, key, json.dumps(basis), stored)
    return context


def _with_notes(context: dict[str, Any], data: CycleReportData, nip: str) -> dict[str, Any]:
    """Give a published version the current Umpan Balik Berkelanjutan notes of its period: they are the atasan's
    and the pegawai's own dialog, not rater answers, so showing the latest reveals no one."""
    context["umpan_balik"] = data.umpan_balik.get(nip, [])
    return context


def _stored_context(row, held: str | None) -> dict[str, Any]:
    return stored_context(row[4], held)


def report_html(db: Database, cycle: int | str | Cycle | None, nip: str, **kwargs: Any) -> str:
    """Return the HTML report of one pegawai (convenience for notebooks and tests)."""
    return render_report_html(build_report_data(db, cycle, nip, **kwargs))


# --------------------------------------------------------------------------------------------
# Batch rendering


@dataclass(frozen=True)
class RenderedReport:
    """One written report: whose it is and where the file is."""

    nip: str
    nama: str
    unit: str
    jabatan: str
    path: Path


def render_reports(db: Database, cycle: int | str | Cycle | None = None, *, unit: str | None = None,
                   nip: str | None = None, out_dir: str | os.PathLike, redact: bool | Iterable[str] = True,
                   html: bool = False, progress: bool = True, instansi: str | None = None,
                   pages: int = 2, batch: int = 8) -> list[Path]:
    """Write one PDF report per rated pegawai of the selection, plus ``index.html``; return the paths.

    The cycle's scores are computed (or loaded) once, then every report is rendered from them.
    ``html=True`` also writes each report's HTML beside its PDF. The index is the last path returned.
    ``batch`` reports are printed by one call to Chromium, ``pages`` tabs at a time (see
    :class:`~.printing.Printer`).
    Raises ReportError for an unknown unit or pegawai, or when Chromium cannot be started.
    """
    out = Path(out_dir)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    c = cycle if isinstance(cycle, Cycle) else get_cycle(db, cycle)
    ratees = selected_ratees(db, c.id, unit, nip)  # an unknown unit or pegawai fails before Chromium starts
    done: list[RenderedReport] = []
    # Chromium starts while the cycle's data is prepared, and prints each batch while the next is rendered.
    with Printer(total=len(ratees), progress=progress, desc="Laporan 360°", pages=pages, batch=batch) as printer:
        data = prepare_cycle(db, c, unit=unit, nip=nip, redact=redact, instansi=instansi, ratees=ratees)
        bases = report_basis(db, data.cycle.id, data.ratees)
        printer.ready()
        for start in range(0, len(data.ratees), max(1, batch)):
            chunk = data.ratees[start:start + max(1, batch)]
            # One commit per printed batch rather than one per report: each commit waits for the disk.
            with write_transaction(db):
                contexts = [published_report(db, data, ratee, bases[ratee]) for ratee in chunk]
            for ratee, context in zip(chunk, contexts):
                page = render_report_html(context)
                path = out / f"laporan-360-{ratee}.pdf"
                if html:
                    write_private_text(path.with_suffix(".html"), page)
                person = data.person_and_result(ratee)[0]
                done.append(RenderedReport(ratee, person["nama"], person["unit_nama"], person["jabatan"], path))
                printer.add(page, path)
    index = out / "index.html"
    write_private_text(index, template_env().get_template("indeks.html.j2").render(
        instansi=data.instansi, teks_logo=load_instansi().teks_logo, siklus=data.cycle, dibuat=tanggal(data.dibuat), laporan=done,
        kaki=f"Daftar laporan 360° · {data.cycle.nama}"))
    return [r.path for r in done] + [index]
