"""The data every report of a selection needs, read and computed once for the whole selection.

Reads go through :mod:`kinerja_lib.records` and :mod:`kinerja_lib.organisation`; the cycle is scored once
(or its stored scores used while no form changed), so rendering many reports never re-scores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlite_utils import Database

from .. import organisation, records, scoring, trend, umpan_balik
from ..cycle import Cycle, get_cycle
from ..errors import ReportError
from ..instansi import load_instansi
from ..reference import load_instrument, load_scale
from ..responses import load_answers
from .charts import chart_competency
from .formatting import is_missing, num
from .redaction import NameRedactor



@dataclass
class CycleReportData:
    """Everything a selection of reports needs, computed once so that rendering many never re-scores.

    ``results``: one row per ratee (index nip) with the columns of hasil_skor ``skor, skor_adj, skor_adj_se,
    kelompok_tampil, n_<group>, rerata_<group>, rating_perilaku_saran, dasar_saran, peluang_di_atas,
    peluang_di_bawah``. ``values`` / ``items``: ``{nip: {(nilai or item, kelompok): rerata}}``
    from :func:`kinerja_lib.scoring.score_by_value`, kelompok ``semua`` being the weighted non-self figure.
    ``titik``: ``{nip: {value: 'titik_buta' | 'kekuatan_tersembunyi'}}``. ``comments``:
    ``{nip: {(group, jenis): [teks, ...]}}`` with no trace of who wrote them. ``competency``:
    ``{nip: section}`` or None when the competency analysis is not available.
    """

    cycle: Cycle
    settings: dict[str, Any]
    pegawai: pd.DataFrame
    ratees: list[str]
    results: pd.DataFrame
    values: dict[str, dict[tuple[str, str], float]]
    items: dict[str, dict[tuple[str, str], float]]
    titik: dict[str, dict[str, str]]
    comments: dict[str, dict[tuple[str, str], list[str]]]
    ratings: dict[str, dict[str, str]]
    ekspektasi: dict[str, dict[str, str]]
    redactor: NameRedactor | None
    competency: dict[str, dict[str, Any]] | None = None
    tren: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: ``{nip: [note, ...]}``: the Umpan Balik Berkelanjutan notes dated within the cycle's period, oldest first
    umpan_balik: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    skor_dihitung: str | None = None   # when the stored scores were computed; None = computed now
    dibuat: date = field(default_factory=lambda: load_instansi().today())
    instansi: str = field(default_factory=lambda: load_instansi().nama)
    _rows: dict[str, tuple[dict[str, Any], dict[str, Any]]] | None = field(default=None, repr=False)

    def person_and_result(self, nip: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return a ratee's row of ``pegawai`` and of ``results`` as plain dicts (read once for every ratee:
        a row looked up in a DataFrame per report costs more than the rest of the report's context)."""
        if self._rows is None:
            people = self.pegawai.reindex(self.ratees).astype(object).to_dict("index")
            results = self.results.reindex(self.ratees).astype(object).to_dict("index")
            self._rows = {nip: (people[nip], results[nip]) for nip in self.ratees}
        if nip not in self._rows:
            return self.pegawai.loc[nip].to_dict(), self.results.loc[nip].to_dict()
        return self._rows[nip]


def resolve_unit(db: Database, unit: str) -> str:
    """Return the unit id for an id or an exact unit name; raise ReportError when unknown or ambiguous."""
    found = organisation.units_matching(db, unit)
    if len(found) == 1:
        return found[0]
    if found:
        raise ReportError(f"Nama unit '{unit}' tidak unik; sebutkan id unit lengkap")
    raise ReportError(f"Unit '{unit}' tidak ditemukan")


def selected_ratees(db: Database, cycle_id: int, unit: str | None, nip: str | None) -> list[str]:
    """Return the pegawai rated in the cycle within the selection (a unit with its sub-units, one pegawai, or
    everyone); raise ReportError for an unknown unit or pegawai, or a pegawai not rated in the cycle."""
    if nip is not None and not records.pegawai_exists(db, nip):
        raise ReportError(f"Pegawai dengan NIP {nip} tidak ditemukan")
    units = organisation.load_tree(db).subtree(resolve_unit(db, unit)) if unit is not None else None
    found = records.rated_in_cycle(db, cycle_id, nip=nip, units=units)
    if nip is not None and not found:
        raise ReportError(f"Pegawai {nip} tidak dinilai pada siklus ini")
    return found


def load_submitted_responses(db: Database, cycle_id: int, nips: list[str] | None = None) -> pd.DataFrame:
    """Return the BerAKHLAK answers given to ``nips`` (None = everyone) as the long table
    (ratee, rater, relation, item, score), by kinerja_lib.responses.load_answers, so that one unit's
    reports need not read the city."""
    return load_answers(db, cycle_id, list(load_instrument().item_codes), nips)




def _stored_scores(db: Database, cycle_id: int, ratees: list[str]) -> tuple[pd.DataFrame, str] | None:
    """Return the stored scores and when they were computed, or None when absent or stale.

    Stale means any form changed state since the run read the data (the run's recorded change counter,
    store.data_version, is behind the cycle's, whatever the clock says) or a rating was recorded or changed
    since (records.stored_results_behind).
    """
    stored = scoring.load_results(db, cycle_id)
    if stored.empty or not set(ratees) <= set(stored["nip"]):
        return None
    run = records.analysis_run(db, int(stored["analysis_run_id"].iloc[0]))
    if run is None or records.stored_results_behind(db, cycle_id, stored, run[1]) is not None:
        return None
    return stored.set_index("nip"), run[0]


def cycle_scores(db: Database, cycle: Cycle, ratees: list[str],
                 responses: pd.DataFrame | None = None) -> tuple[pd.DataFrame, str | None]:
    """Return (one scoring row per ratee, when it was computed or None for "now").

    The stored results of ``kinerja score`` are used when no form changed since; otherwise the
    cycle is scored in memory, whole, once (the bias-adjusted score needs every rater of the cycle).
    ``responses``, when given, are the whole cycle's answers already read.
    """
    found = _stored_scores(db, cycle.id, ratees)
    if found is not None:
        return found[0].reindex(ratees), found[1]
    if responses is None:
        responses = scoring.load_responses(db, cycle.id)
    if responses.empty:
        empty = pd.DataFrame(index=pd.Index(ratees, name="nip"),
                             columns=["skor", "skor_adj", "skor_adj_se", "kelompok_tampil", "rating_perilaku_saran"])
        return empty, None
    scores = scoring.score_responses(responses, cycle.settings).set_index("nip")
    use_adj = scores["skor_adj"].notna()
    suggestion = scoring.rating_perilaku_suggestion(
        scores["skor_adj"].where(use_adj, scores["skor"]),
        scores["skor_adj_se"].where(use_adj, scores["skor_se"]).to_numpy(dtype=float), cycle.settings)
    scores["rating_perilaku_saran"] = suggestion["saran"]
    for col in ("peluang_di_atas", "peluang_di_bawah"):
        scores[col] = suggestion[col]
    scores["dasar_saran"] = np.where(use_adj, "skor_adj", np.where(scores["skor"].notna(), "skor", None))
    return scores.reindex(ratees), None


def _by_ratee(long: pd.DataFrame) -> dict[str, dict[tuple[str, str], float]]:
    out: dict[str, dict[tuple[str, str], float]] = {}
    rows = long[["nip", "nilai", "kelompok", "rerata"]].astype(object).to_numpy().tolist()
    for nip, nilai, kelompok, rerata in rows:
        out.setdefault(nip, {})[(nilai, kelompok)] = float(rerata)
    return out


def _value_figures(responses: pd.DataFrame, settings: dict[str, Any]):
    """Return (per-value, per-item, blind spots) of the selected ratees, by the scoring engine's rules."""
    if responses.empty:
        return {}, {}, {}
    by_value = scoring.score_by_value(responses, settings=settings)
    codes = load_instrument().item_codes
    by_item = scoring.score_by_value(responses, item_values={c: c for c in codes}, settings=settings)
    agreement = scoring.self_other_agreement(by_value, settings=settings)
    titik: dict[str, dict[str, str]] = {}
    for nip, nilai, mark in zip(agreement["nip"], agreement["nilai"], agreement["titik"]):
        if mark:
            titik.setdefault(nip, {})[nilai] = mark
    return _by_ratee(by_value), _by_ratee(by_item), titik


def _competency_sections(db: Database, cycle: Cycle, ratees: list[str]) -> dict[str, dict[str, Any]] | None:
    """Return ``{nip: competency section}`` from the cycle's competency analysis, or None without it.

    The analysis runs over the whole cycle (as the training planner's does), so a person's plan in
    the report is the one in the planner's workbook.
    """
    try:
        from .. import competency
    except ImportError:  # a build without the competency module: the section is left out
        return None
    report = competency.analyse_competency(db, cycle.id)
    wanted = set(ratees)
    names = competency.competency_names()
    scale = load_scale()
    # Plain records grouped once: per-person DataFrame slicing would dominate at city size.
    gaps = report.gaps[report.gaps["nip"].isin(wanted)]
    rows_of: dict[str, list[dict[str, Any]]] = {}
    for g in gaps[["nip", "kompetensi", "level_standar", "level_dinilai", "level_diri", "kesenjangan",
                   "peluang_kesenjangan_1", "n_penilai"]].astype(object).to_numpy().tolist():
        nip, kode, standar, level, diri, gap, peluang, n = g
        rows_of.setdefault(nip, []).append({
            "kode": kode, "nama": names.get(kode, kode),
            "standar": None if is_missing(standar) else int(standar), "level": num(level), "diri": num(diri),
            "kesenjangan": num(gap), "peluang": num(peluang), "n": None if is_missing(n) else int(n)})
    needs = report.needs[report.needs["nip"].isin(wanted)]
    plan_of: dict[str, list[dict[str, Any]]] = {}
    for nip, nama, uraian, bentuk, jp in needs[["nip", "nama_kompetensi", "uraian", "bentuk_label", "jp"]].astype(
            object).to_numpy().tolist():
        plan_of.setdefault(nip, []).append({"kompetensi": nama if isinstance(nama, str) else uraian,
                                            "bentuk": bentuk, "jp": int(jp)})
    people = report.people[report.people["nip"].isin(wanted)].set_index("nip")[
        ["jpm", "kategori_jpm", "keterangan"]].astype(object).to_dict("index")
    minimum = int(report.settings["jp_minimal"])
    out: dict[str, dict[str, Any]] = {}
    for nip in ratees:
        person = people.get(nip)
        if person is None:
            continue
        rows, plan = rows_of.get(nip, []), plan_of.get(nip, [])
        assessed = any(r["level"] is not None for r in rows)
        out[nip] = {"baris": rows, "grafik": chart_competency(rows, scale) if assessed else None,
                    "jpm": num(person["jpm"]),
                    "kategori": None if is_missing(person["kategori_jpm"]) else person["kategori_jpm"],
                    "keterangan": person["keterangan"], "rencana": plan,
                    "jp_total": sum(p["jp"] for p in plan), "jp_minimal": minimum}
    return out


def _trend_rows(db: Database, cycle: Cycle, ratees: list[str], results: pd.DataFrame) -> dict[str, list[dict]]:
    """Return ``{nip: [one row per cycle, oldest first]}`` for ratees scored in at least one earlier cycle.

    Earlier cycles come from their stored scores (``kinerja score``), this one from ``results``; cycles ending
    after this one are left out.
    """
    if not ratees:
        return {}
    history = records.score_history(db, ratees)
    history = history[(history["cycle_id"] != cycle.id) & (history["tanggal_selesai"] <= cycle.tanggal_selesai)]
    if history.empty:
        return {}
    now = results.reindex(ratees)
    current = pd.DataFrame({"nip": ratees, "cycle_id": cycle.id, "nama_siklus": cycle.nama, "periode": cycle.periode,
                            "tahun": cycle.tahun, "tanggal_selesai": cycle.tanggal_selesai,
                            "skor_adj": now["skor_adj"].to_numpy(dtype=float),
                            "skor_adj_se": now["skor_adj_se"].to_numpy(dtype=float)})
    rows = trend.score_trend(pd.concat([history, current], ignore_index=True))
    rows = rows[rows["nip"].isin(set(history["nip"]))]
    out: dict[str, list[dict]] = {}
    for r in rows.to_dict("records"):
        out.setdefault(r["nip"], []).append({
            "siklus": r["nama_siklus"], "ini": bool(r["cycle_id"] == cycle.id), "skor": num(r["skor_adj"]),
            "ci_bawah": num(r["ci_bawah"]), "ci_atas": num(r["ci_atas"]), "perubahan": num(r["perubahan"]),
            "bacaan": r["bacaan"], "perubahan_tahunan": num(r["perubahan_tahunan"]),
            "bacaan_tahunan": r["bacaan_tahunan"]})
    return out


def prepare_cycle(db: Database, cycle: int | str | Cycle | None = None, *, unit: str | None = None,
                  nip: str | None = None, redact: bool | Iterable[str] = True,
                  instansi: str | None = None, competency: bool = True,
                  ratees: list[str] | None = None) -> CycleReportData:
    """Return the data every report of the selection needs, computed once.

    ``redact``: True replaces roster names typed in comments with ``[nama disamarkan]``; an
    iterable adds further names to replace; False keeps comments as typed (still escaped).
    ``competency=False`` leaves the competency section out. ``ratees``: the selection's pegawai when the caller
    has already read them (:func:`selected_ratees`).
    Raises ReportError for an unknown unit or pegawai, CycleError for an unknown cycle.
    """
    c = cycle if isinstance(cycle, Cycle) else get_cycle(db, cycle)
    ratees = selected_ratees(db, c.id, unit, nip) if ratees is None else ratees
    pegawai = records.pegawai_with_units(db)
    everyone = unit is None and nip is None
    responses = load_submitted_responses(db, c.id, None if everyone else ratees)
    results, dihitung = cycle_scores(db, c, ratees, responses if everyone else None)
    values, items, titik = _value_figures(responses, c.settings)
    redactor = None
    if redact is not False:
        redactor = NameRedactor(pegawai["nama"].tolist(), [] if redact is True else list(redact))
    return CycleReportData(
        cycle=c, settings=c.settings, pegawai=pegawai, ratees=ratees, results=results, values=values,
        items=items, titik=titik, comments=records.submitted_comments(db, c.id, ratees),
        ratings=records.decided_ratings(db, c.id),
        ekspektasi=records.ekspektasi_khusus(db, c.id), redactor=redactor,
        competency=_competency_sections(db, c, ratees) if competency and ratees else None,
        skor_dihitung=dihitung, instansi=instansi or load_instansi().nama,
        tren=_trend_rows(db, c, ratees, results), umpan_balik=feedback_notes(db, c, ratees))


def feedback_notes(db: Database, cycle: Cycle, nips: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Return ``{nip: [note as the report shows it]}`` for the Umpan Balik Berkelanjutan notes dated within the
    cycle's period (dates written the Indonesian way; ``dikonfirmasi`` None while the pegawai has not
    acknowledged)."""
    from .formatting import tanggal

    names = load_instrument().value_names()
    # the author is the pegawai's atasan, who also rates them: the report names no rater, so not the author either
    return {nip: [{"tanggal": tanggal(n.tanggal), "topik": n.topik,
                   "tindak_lanjut": n.tindak_lanjut, "nilai": names.get(n.nilai, n.nilai) if n.nilai else None,
                   "butir_skp": n.butir_skp, "dikonfirmasi": tanggal(n.dikonfirmasi) if n.dikonfirmasi else None,
                   "tanggapan": n.tanggapan} for n in notes]
            for nip, notes in umpan_balik.notes_in_period(db, nips, cycle.tanggal_mulai,
                                                          cycle.tanggal_selesai).items()}
