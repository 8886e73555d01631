"""Individual 360° feedback reports and the panel's berita acara, rendered from Jinja2 templates to PDF."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import math
import os
import random
import re
import shutil
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from sqlite_utils import Database

from . import scoring
from .cycle import Cycle, anonymity_warning, get_cycle
from .errors import ReportError
from .export import write_private_bytes, write_private_text
from .organisation import load_tree, predikat_organisasi
from .predikat import check_distribution, predikat_kinerja
from .reference import load_instrument, load_kuadran, load_scale, load_vocabulary
from .responses import load_answers
from .store import data_version, write_transaction

TEMPLATE_DIR = Path(__file__).parent / "templates"
REDACTED = "[nama disamarkan]"
DEFAULT_INSTANSI = "Pemerintah Kota Surakarta"
DEFAULT_TEMPAT = "Surakarta"
ENV_CHROMIUM = "KINERJA_CHROMIUM"

# Honorifics that, followed by a word of a roster name, point at a person ("Pak Budi", "Bu Sri").
_HONORIFICS = frozenset("pak bapak bu ibu mas mbak kak dik bang om tante saudara saudari sdr sdri".split())
# Academic and religious titles that are not part of the name people type in a comment.
_TITLES = frozenset("dr dr. drs drs. dra dra. ir ir. h h. hj hj. prof prof. kh kh.".split())
_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
_BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
          "Oktober", "November", "Desember")
_GROUP_COLOURS = {"diri": "#8a94a6", "atasan": "#1d4e89", "rekan": "#2a9d8f", "bawahan": "#e09f3e",
                  "lainnya": "#8d6cab"}


# --------------------------------------------------------------------------------------------
# Formatting helpers (Indonesian conventions: decimal comma, "12 Maret 2026")


def angka(value: Any, digits: int = 2) -> str:
    """Return a number with a decimal comma, or an en dash when it is missing.

    >>> angka(3.846), angka(None), angka(0.5, 0)
    ('3,85', '–', '0')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.{digits}f}".replace(".", ",")


def persen(value: Any, digits: int = 0) -> str:
    """Return a share as an Indonesian percentage, e.g. ``persen(0.705, 1) == '70,5%'``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return angka(100 * float(value), digits) + "%"


def tanggal(value: date | datetime | str | None) -> str:
    """Return a date written the Indonesian way, e.g. ``tanggal('2026-03-12') == '12 Maret 2026'``."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {_BULAN[value.month - 1]} {value.year}"


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unit"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _num(value: Any) -> float | None:
    return None if _is_missing(value) else float(value)


# --------------------------------------------------------------------------------------------
# Name redaction in comments


class NameRedactor:
    """Replaces pegawai names typed in a comment with ``[nama disamarkan]``.

    Matches, case-insensitively and on whole words: a full roster name (titles and degrees left
    out), and an honorific followed by words of roster names ("Pak Budi", "Bu Sri Wahyuni").

    >>> r = NameRedactor(["Dr. Budi Santoso, S.Kom.", "Sri Wahyuni"])
    >>> r("Terima kasih Budi Santoso dan Bu Sri atas bantuannya.")
    'Terima kasih [nama disamarkan] dan [nama disamarkan] atas bantuannya.'
    """

    def __init__(self, names: Iterable[str], extra: Iterable[str] = ()):
        self.full: set[tuple[str, ...]] = set()
        self.words: set[str] = set()
        for name in [*names, *extra]:
            tokens = self._name_tokens(name)
            if tokens:
                self.full.add(tokens)
                self.words.update(t for t in tokens if len(t) >= 3)
        self.longest = max((len(t) for t in self.full), default=0)

    @staticmethod
    def _name_tokens(name: str) -> tuple[str, ...]:
        core = name.split(",")[0]  # degrees follow a comma: "Budi, S.Kom."
        tokens = [t for t in core.lower().split() if t not in _TITLES]
        return tuple(w for t in tokens for w in _WORD.findall(t))

    def __call__(self, text: str) -> str:
        if not self.full:
            return text
        matches = list(_WORD.finditer(text))
        words = [m.group().lower() for m in matches]
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(words):
            end = self._match_at(words, i)
            if end > i:
                spans.append((matches[i].start(), matches[end - 1].end()))
                i = end
            else:
                i += 1
        for start, stop in reversed(spans):
            text = text[:start] + REDACTED + text[stop:]
        return text

    def _match_at(self, words: list[str], i: int) -> int:
        """Return the end (exclusive) of the name starting at word ``i``, or ``i`` if none."""
        for n in range(min(self.longest, len(words) - i), 0, -1):
            if tuple(words[i:i + n]) in self.full:
                return i + n
        if words[i] in _HONORIFICS and i + 1 < len(words) and words[i + 1] in self.words:
            end = i + 1
            while end < len(words) and words[end] in self.words:
                end += 1
            return end
        return i


# --------------------------------------------------------------------------------------------
# Cycle-level data, computed once and shared by every report of the cycle


@dataclass
class CycleReportData:
    """Everything a selection of reports needs, computed once so that rendering many never re-scores.

    ``results``: one row per ratee (index nip) with ``score, score_adj, score_adj_se, shown_groups,
    n_<group>, mean_<group>, saran``. ``values`` / ``items``: ``{nip: {(value or item, group): mean}}``
    from :func:`kinerja_lib.scoring.score_by_value`, group ``semua`` being the weighted non-self figure.
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
    skor_dihitung: str | None = None   # when the stored scores were computed; None = computed now
    dibuat: date = field(default_factory=date.today)
    instansi: str = DEFAULT_INSTANSI


def _resolve_unit(db: Database, unit: str) -> str:
    """Return the unit id for an id or an exact unit name; raise ReportError when unknown."""
    if db.execute("SELECT 1 FROM unit WHERE id = ?", [unit]).fetchone():
        return unit
    rows = db.execute("SELECT id FROM unit WHERE nama = ?", [unit]).fetchall()
    if len(rows) == 1:
        return rows[0][0]
    if rows:
        raise ReportError(f"Nama unit '{unit}' tidak unik; sebutkan id unit lengkap")
    raise ReportError(f"Unit '{unit}' tidak ditemukan")


def _subtree_like(unit_id: str) -> str:
    """Return the LIKE pattern (escape '\\') matching the ids of a unit's sub-units."""
    return unit_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " / %"


def _ratees(db: Database, cycle_id: int, unit: str | None, nip: str | None) -> list[str]:
    sql = ("SELECT DISTINCT a.ratee_nip FROM assignment a JOIN pegawai p ON p.nip = a.ratee_nip "
           "WHERE a.cycle_id = ? AND a.aktif = 1")
    params: list[Any] = [cycle_id]
    if nip is not None:
        if not db.execute("SELECT 1 FROM pegawai WHERE nip = ?", [nip]).fetchone():
            raise ReportError(f"Pegawai dengan NIP {nip} tidak ditemukan")
        sql += " AND a.ratee_nip = ?"
        params.append(nip)
    if unit is not None:
        uid = _resolve_unit(db, unit)
        sql += " AND (p.unit_id = ? OR p.unit_id LIKE ? ESCAPE '\\')"
        params += [uid, _subtree_like(uid)]
    found = [r[0] for r in db.execute(sql + " ORDER BY p.unit_id, p.nama, a.ratee_nip", params)]
    if nip is not None and not found:
        raise ReportError(f"Pegawai {nip} tidak dinilai pada siklus ini")
    return found


def _in_clause(values: list[str]) -> str:
    return "(" + ",".join("?" * len(values)) + ")"


def _chunks(nips: list[str], size: int = 900) -> Iterator[list[str]]:
    for i in range(0, len(nips), size):
        yield nips[i:i + size]


def load_submitted_responses(db: Database, cycle_id: int, nips: list[str] | None = None) -> pd.DataFrame:
    """Return the BerAKHLAK answers given to ``nips`` (None = everyone) as the long table
    (ratee, rater, relation, item, score), by kinerja_lib.responses.load_answers, so that one unit's
    reports need not read the city."""
    return load_answers(db, cycle_id, list(load_instrument().item_codes), nips)


_STORED = {"skor": "score", "skor_adj": "score_adj", "skor_adj_se": "score_adj_se",
           "kelompok_tampil": "shown_groups", "rating_perilaku_saran": "saran",
           "peluang_di_atas": "p_atas", "peluang_di_bawah": "p_bawah", "dasar_saran": "dasar",
           **{f"rerata_{g}": f"mean_{g}" for g in ("diri", "atasan", "rekan", "bawahan", "lainnya")}}


def _stored_scores(db: Database, cycle_id: int, ratees: list[str]) -> tuple[pd.DataFrame, str] | None:
    """Return the stored scores and when they were computed, or None when absent or stale.

    Stale means any form changed state since the run read the data: the run's recorded change counter
    (store.data_version) is behind the cycle's, whatever the clock says.
    """
    stored = scoring.load_results(db, cycle_id)
    if stored.empty or not set(ratees) <= set(stored["nip"]):
        return None
    run = db.execute("SELECT dihitung, versi_data FROM analysis_run WHERE id = ?",
                     [int(stored["analysis_run_id"].iloc[0])]).fetchone()
    if run is None or run[1] is None or run[1] < data_version(db, cycle_id):
        return None
    return stored.rename(columns=_STORED).set_index("nip"), run[0]


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
        return pd.DataFrame(index=pd.Index(ratees, name="nip"),
                            columns=["score", "score_adj", "score_adj_se", "shown_groups", "saran"]), None
    scores = scoring.score_responses(responses, cycle.settings).set_index("ratee")
    use_adj = scores["score_adj"].notna()
    suggestion = scoring.rating_perilaku_suggestion(
        scores["score_adj"].where(use_adj, scores["score"]),
        scores["score_adj_se"].where(use_adj, scores["score_se"]).to_numpy(dtype=float), cycle.settings)
    scores["saran"], scores["p_atas"], scores["p_bawah"] = (suggestion["saran"], suggestion["peluang_di_atas"],
                                                             suggestion["peluang_di_bawah"])
    scores["dasar"] = np.where(use_adj, "skor_adj", np.where(scores["score"].notna(), "skor", None))
    return scores.reindex(ratees), None


def _by_ratee(long: pd.DataFrame, key: str) -> dict[str, dict[tuple[str, str], float]]:
    out: dict[str, dict[tuple[str, str], float]] = {}
    for ratee, k, group, mean in long[["ratee", key, "group", "mean"]].astype(object).to_numpy().tolist():
        out.setdefault(ratee, {})[(k, group)] = float(mean)
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
    for ratee, value, mark in zip(agreement["ratee"], agreement["value"], agreement["titik"]):
        if mark:
            titik.setdefault(ratee, {})[value] = mark
    return _by_ratee(by_value, "value"), _by_ratee(by_item, "value"), titik


def _load_comments(db: Database, cycle_id: int, nips: list[str]) -> dict[str, dict[tuple[str, str], list[str]]]:
    # No rater column is read: a comment reaches the report only as (ratee, group, kind, text).
    sql = ("SELECT a.ratee_nip, a.relation, c.jenis, c.teks FROM comment c "
           "JOIN assignment a ON a.id = c.assignment_id "
           "WHERE a.cycle_id = ? AND a.aktif = 1 AND a.status = 'terkirim' AND trim(c.teks) <> ''")
    out: dict[str, dict[tuple[str, str], list[str]]] = {}
    for chunk in _chunks(nips):
        for ratee, relation, jenis, teks in db.execute(sql + f" AND a.ratee_nip IN {_in_clause(chunk)}",
                                                       [cycle_id, *chunk]):
            out.setdefault(ratee, {}).setdefault((relation, jenis), []).append(teks)
    return out


def _load_ratings(db: Database, cycle_id: int) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for table, key in (("rating_hasil_kerja", "hasil_kerja"), ("rating_perilaku", "perilaku")):
        for nip, rating in db.execute(f"SELECT nip, rating FROM {table} WHERE cycle_id = ?", [cycle_id]):
            out.setdefault(nip, {})[key] = rating
    return out


def _competency_sections(db: Database, cycle: Cycle, ratees: list[str]) -> dict[str, dict[str, Any]] | None:
    """Return ``{nip: competency section}`` from the cycle's competency analysis, or None without it.

    The analysis runs over the whole cycle (as the training planner's does), so a person's plan in
    the report is the one in the planner's workbook.
    """
    try:
        from . import competency
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
            "standar": None if _is_missing(standar) else int(standar), "level": _num(level), "diri": _num(diri),
            "kesenjangan": _num(gap), "peluang": _num(peluang), "n": None if _is_missing(n) else int(n)})
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
                    "jpm": _num(person["jpm"]),
                    "kategori": None if _is_missing(person["kategori_jpm"]) else person["kategori_jpm"],
                    "keterangan": person["keterangan"], "rencana": plan,
                    "jp_total": sum(p["jp"] for p in plan), "jp_minimal": minimum}
    return out


def prepare_cycle(db: Database, cycle: int | str | Cycle | None = None, *, unit: str | None = None,
                  nip: str | None = None, redact: bool | Iterable[str] = True,
                  instansi: str = DEFAULT_INSTANSI, competency: bool = True) -> CycleReportData:
    """Return the data every report of the selection needs, computed once.

    ``redact``: True replaces roster names typed in comments with ``[nama disamarkan]``; an
    iterable adds further names to replace; False keeps comments as typed (still escaped).
    ``competency=False`` leaves the competency section out.
    Raises ReportError for an unknown unit or pegawai, CycleError for an unknown cycle.
    """
    c = cycle if isinstance(cycle, Cycle) else get_cycle(db, cycle)
    ratees = _ratees(db, c.id, unit, nip)
    pegawai = pd.read_sql_query(
        "SELECT p.nip, p.nama, p.jabatan, p.golongan, p.unit_id, u.nama AS unit_nama "
        "FROM pegawai p JOIN unit u ON u.id = p.unit_id", db.conn).set_index("nip")
    everyone = unit is None and nip is None
    responses = load_submitted_responses(db, c.id, None if everyone else ratees)
    results, dihitung = cycle_scores(db, c, ratees, responses if everyone else None)
    values, items, titik = _value_figures(responses, c.settings)
    redactor = None
    if redact is not False:
        redactor = NameRedactor(pegawai["nama"].tolist(), [] if redact is True else list(redact))
    ekspektasi: dict[str, dict[str, str]] = {}
    for unit_id, nilai, teks in db.execute(
            "SELECT unit_id, nilai, teks FROM ekspektasi_khusus WHERE cycle_id = ?", [c.id]):
        ekspektasi.setdefault(unit_id, {})[nilai] = teks
    return CycleReportData(
        cycle=c, settings=c.settings, pegawai=pegawai, ratees=ratees, results=results, values=values,
        items=items, titik=titik, comments=_load_comments(db, c.id, ratees), ratings=_load_ratings(db, c.id),
        ekspektasi=ekspektasi, redactor=redactor,
        competency=_competency_sections(db, c, ratees) if competency and ratees else None,
        skor_dihitung=dihitung, instansi=instansi)


# --------------------------------------------------------------------------------------------
# One person's report: the single place where the template context is assembled


def _shown_groups(result: pd.Series, settings: dict[str, Any]) -> list[str]:
    raw = result.get("shown_groups")
    if _is_missing(raw) or not raw:
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
                      instansi: str = DEFAULT_INSTANSI) -> dict[str, Any]:
    """Return the template context of one pegawai's 360° report.

    The context names nobody but the ratee: rater groups appear as labels, never as persons or NIPs,
    and a group under its minimum contributes nothing (no score, no count, no comment).
    Pass ``prepared`` (from :func:`prepare_cycle`) when rendering many reports of one cycle.
    Raises ReportError when the pegawai is unknown or not rated in the cycle.
    """
    data = prepared or prepare_cycle(db, cycle, nip=nip, redact=redact, instansi=instansi)
    if nip not in data.ratees:
        raise ReportError(f"Pegawai {nip} tidak dinilai pada siklus ini")
    settings, vocab = data.settings, load_vocabulary()
    instrument, scale = load_instrument(), load_scale()
    person = data.pegawai.loc[nip]
    result = data.results.loc[nip]
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
            entry["mean"] = _num(result.get(f"mean_{g}"))
        groups.append(entry)

    score, score_adj, se = (_num(result.get(k)) for k in ("score", "score_adj", "score_adj_se"))
    saran = None if _is_missing(result.get("saran")) else result.get("saran")
    basis = score_adj if result.get("dasar") == "skor_adj" else score
    basis_se = se if result.get("dasar") == "skor_adj" else None
    alasan = (scoring.suggestion_reason(saran, basis, basis_se if basis_se is not None else float("nan"),
                                        _num(result.get("p_atas")) or 0.0, _num(result.get("p_bawah")) or 0.0,
                                        result.get("dasar"), settings) if saran and basis is not None else None)
    decided = data.ratings.get(nip, {})
    perilaku, hasil = decided.get("perilaku"), decided.get("hasil_kerja")
    summary = {
        "skor": score, "skor_adj": score_adj, "se": se,
        "ci_bawah": None if score_adj is None or se is None else score_adj - 1.96 * se,
        "ci_atas": None if score_adj is None or se is None else score_adj + 1.96 * se,
        "diri": _num(result.get("mean_diri")) if "diri" in shown else None,
        "saran": saran, "saran_alasan": alasan, "rating_perilaku": perilaku, "rating_hasil_kerja": hasil,
        "predikat": predikat_kinerja(hasil, perilaku) if hasil and perilaku else None,
        "jumlah_penilai": sum(g["n"] for g in groups if g["tampil"] and g["kode"] != "diri"),
    }
    competency = (data.competency or {}).get(nip)
    return {
        "instansi": data.instansi,
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
        "grafik": {"kelompok": chart_groups(values, shown, scale, vocab),
                   "diri_lain": chart_self_others(values, scale)},
    }


# --------------------------------------------------------------------------------------------
# Charts: geometry computed here from numbers, drawn as inline SVG by the template macros

_CHART_WIDTH = 680
_LABEL_WIDTH = 170
_PLOT_RIGHT = 640


def _x(value: float, scale, right: float = _PLOT_RIGHT, left: float = _LABEL_WIDTH) -> float:
    return round(left + (value - scale.min) / scale.range * (right - left), 1)


def _grid(scale, top: float, bottom: float, right: float = _PLOT_RIGHT,
          left: float = _LABEL_WIDTH) -> list[dict[str, Any]]:
    return [{"x": _x(p, scale, right, left), "y1": top, "y2": bottom, "label": str(p)} for p in scale.points]


def chart_groups(values: list[dict[str, Any]], shown: list[str], scale, vocab: dict) -> dict[str, Any]:
    """Return the geometry of the bar chart "score per value by rater group" (shown groups only)."""
    bar, gap, pad, top = 9, 2, 9, 34
    legend = [{"label": vocab["relasi"][g], "colour": _GROUP_COLOURS[g], "x": 20 + i * 120}
              for i, g in enumerate(shown)]
    rows, y = [], top
    for i, v in enumerate(values):
        k = max(len(shown), 1)
        height = k * (bar + gap) - gap + 2 * pad
        bars = []
        for j, g in enumerate(shown):
            entry = next((e for e in v["kelompok"] if e["kode"] == g), None)
            by = y + pad + j * (bar + gap)
            if entry is None:
                continue
            x1 = _x(entry["mean"], scale)
            bars.append({"x": _LABEL_WIDTH, "y": by, "w": max(x1 - _LABEL_WIDTH, 1.5), "h": bar,
                         "colour": _GROUP_COLOURS[g], "text": angka(entry["mean"], 1), "tx": x1 + 4,
                         "ty": by + bar - 1.5, "label": vocab["relasi"][g]})
        rows.append({"label": v["nama"], "y": y, "h": height, "ly": y + height / 2 + 4, "bars": bars,
                     "stripe": i % 2 == 0})
        y += height
    return {"width": _CHART_WIDTH, "height": y + 22, "legend": legend, "rows": rows,
            "grid": _grid(scale, top - 4, y), "axis_y": y + 15, "empty": not shown}


def chart_self_others(values: list[dict[str, Any]], scale) -> dict[str, Any]:
    """Return the geometry of the per-value profile: others as a bar, self as a diamond, flags beside."""
    row_h, bar, top, right = 30, 14, 28, 548
    rows, y = [], top
    for i, v in enumerate(values):
        cy = y + row_h / 2
        row = {"label": v["nama"], "y": y, "h": row_h, "cy": cy, "ly": cy + 4, "tanda": v["tanda"],
               "stripe": i % 2 == 0, "lain": None, "diri": None, "tx": right + 12}
        if v["lain"] is not None:
            x1 = _x(v["lain"], scale, right)
            row["lain"] = {"x": _LABEL_WIDTH, "y": cy - bar / 2, "w": max(x1 - _LABEL_WIDTH, 1.5), "h": bar,
                           "x1": x1, "text": angka(v["lain"], 2)}
        if v["diri"] is not None:
            row["diri"] = {"x": _x(v["diri"], scale, right), "text": angka(v["diri"], 2)}
        rows.append(row)
        y += row_h
    return {"width": _CHART_WIDTH, "height": y + 22, "rows": rows, "grid": _grid(scale, top - 4, y, right),
            "axis_y": y + 15}


def chart_competency(rows_in: list[dict[str, Any]], scale) -> dict[str, Any]:
    """Return the geometry of the competency bars (assessed level) against the standard (a tick)."""
    bar, row_h, top, left = 12, 24, 30, 215
    rows, y = [], top
    for i, r in enumerate(rows_in):
        by = y + (row_h - bar) / 2
        row = {"label": r["nama"], "y": y, "h": row_h, "ly": by + bar - 2, "stripe": i % 2 == 0,
               "bar": None, "std": None, "kurang": bool(r.get("kesenjangan") and r["kesenjangan"] > 0)}
        if r.get("level") is not None:
            x1 = _x(r["level"], scale, left=left)
            row["bar"] = {"x": left, "y": by, "w": max(x1 - left, 1.5), "h": bar, "tx": x1 + 4,
                          "text": angka(r["level"], 1)}
        if r.get("standar") is not None:
            row["std"] = {"x": _x(r["standar"], scale, left=left), "y1": by - 4, "y2": by + bar + 4}
        rows.append(row)
        y += row_h
    return {"width": _CHART_WIDTH, "height": y + 22, "rows": rows,
            "grid": _grid(scale, top - 4, y, left=left), "axis_y": y + 15}


# --------------------------------------------------------------------------------------------
# HTML rendering


# Explicit embeddings, overrides and isolates (LRE..RLO, LRI..PDI): typed into a name or comment they
# reverse or reorder the text after them. Isolation is the stylesheet's job (<bdi>, unicode-bidi).
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def without_bidi_controls(value: Any) -> Any:
    """Return ``value`` with bidi override characters removed when it is plain text (Jinja's finalize).

    >>> without_bidi_controls("Abc\u202edef")
    'Abcdef'
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return value.translate(_BIDI_CONTROLS)
    return value


def css_string(text: Any) -> Markup:
    """Return ``text`` escaped for a CSS string literal inside a <style> element.

    Every character but ASCII letters and digits becomes a 6-digit CSS escape, so no quote,
    backslash or ``</style>`` typed by a user can end the string or the element.

    >>> str(css_string('a"b'))
    'a\\\\000022b'
    """
    out = []
    for ch in str(text).translate(_BIDI_CONTROLS):
        out.append(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):06x}")
    return Markup("".join(out))


_ENV: Environment | None = None


def template_env() -> Environment:
    """Return the Jinja2 environment of the report templates (autoescape on, strict undefined)."""
    global _ENV
    if _ENV is None:
        env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, finalize=without_bidi_controls)
        env.filters.update(angka=angka, persen=persen, tanggal=tanggal, css_string=css_string)
        env.globals["css"] = Markup((TEMPLATE_DIR / "laporan.css").read_text(encoding="utf-8"))
        _ENV = env
    return _ENV


# --------------------------------------------------------------------------------------------
# Published versions: what a pegawai has seen never changes by one rater's answers


def report_basis(db: Database, cycle_id: int, nips: list[str]) -> dict[str, dict[str, list[list[Any]]]]:
    """Return, per pegawai, the submitted forms their report rests on: ``{group: [[assignment id, submitted]]}``.

    A form reopened and submitted again counts as a different form (its submission time changed).
    """
    out: dict[str, dict[str, list[list[Any]]]] = {nip: {} for nip in nips}
    sql = ("SELECT ratee_nip, relation, id, terkirim FROM assignment WHERE cycle_id = ? AND aktif = 1 "
           "AND status = 'terkirim'")
    for chunk in _chunks(nips):
        for nip, relation, aid, terkirim in db.execute(sql + f" AND ratee_nip IN {_in_clause(chunk)} ORDER BY id",
                                                     [cycle_id, *chunk]):
            out[nip].setdefault(relation, []).append([int(aid), terkirim])
    return out


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
    blob = json.dumps({"settings": data.settings, "instrumen": data.cycle.instrumen_versi, "redaksi": data.redactor
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
    rows = db.execute("SELECT versi, diterbitkan, kunci, dasar, konteks FROM laporan_versi WHERE cycle_id = ? AND "
                      "nip = ? ORDER BY versi", [data.cycle.id, nip]).fetchall()
    earlier = [json.loads(r[3]) for r in rows]
    if rows and earlier[-1] == basis and rows[-1][2] == key:
        return _stored_context(rows[-1], None)
    blocked = publishable(basis, earlier, data.settings["minimal_penilai"])
    if rows and blocked:
        vocab = load_vocabulary()["relasi"]
        groups = ", ".join(vocab.get(g, g) for g in blocked)
        return _stored_context(rows[-1], f"Jawaban yang masuk sesudah versi ini belum diterbitkan: perubahan pada "
                                         f"kelompok {groups} berasal dari terlalu sedikit penilai untuk ditampilkan "
                                         f"tanpa mengungkap siapa mereka.")
    context = build_report_data(db, data.cycle, nip, prepared=data)
    number = (rows[-1][0] + 1) if rows else 1
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    context["versi"] = {"nomor": number, "diterbitkan": tanggal(stamp), "tertahan": None}
    with write_transaction(db):
        db.execute("INSERT INTO laporan_versi (cycle_id, nip, versi, diterbitkan, kunci, dasar, konteks) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [data.cycle.id, nip, number, stamp, key, json.dumps(basis),
                    zlib.compress(json.dumps(context, ensure_ascii=False, default=str).encode("utf-8"))])
    return context


def _stored_context(row, held: str | None) -> dict[str, Any]:
    context = json.loads(zlib.decompress(row[4]).decode("utf-8"))
    # JSON keys are text: the scale's labels are keyed by their integer points.
    context["skala"]["label"] = {int(k): v for k, v in context["skala"]["label"].items()}
    context["versi"] = {**context.get("versi", {}), "tertahan": held}
    return context


def render_report_html(context: dict[str, Any]) -> str:
    """Return the HTML of one person's report from the context of :func:`build_report_data`."""
    kaki = f"Laporan 360° · {context['pegawai']['nama']} · {context['siklus']['nama']} · Rahasia"
    return template_env().get_template("laporan.html.j2").render(**context, kaki=kaki)


def report_html(db: Database, cycle: int | str | Cycle | None, nip: str, **kwargs: Any) -> str:
    """Return the HTML report of one pegawai (convenience for notebooks and tests)."""
    return render_report_html(build_report_data(db, cycle, nip, **kwargs))


# --------------------------------------------------------------------------------------------
# PDF: one headless Chromium, many pages


def find_chromium() -> str | None:
    """Return the Chromium executable: ``$KINERJA_CHROMIUM``, else the first on PATH, else None."""
    env = os.environ.get(ENV_CHROMIUM)
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class _Stop(Exception):
    """A print worker failed; the producer stops feeding it."""


async def _print_async(jobs: Iterable[tuple[str, Path]], executable: str | None, pages: int, bar: Any) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        try:
            browser = await pw.chromium.launch(
                executable_path=executable, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        except Exception as exc:
            raise ReportError(
                "Chromium tidak dapat dijalankan untuk membuat PDF (pasang paket 'chromium' atau tetapkan "
                f"${ENV_CHROMIUM}): {str(exc).strip().splitlines()[0]}") from None
        try:
            # A report needs nothing outside itself: no script runs and every request is refused.
            context = await browser.new_context(java_script_enabled=False)
            await context.route("**/*", lambda route: route.abort())
            queue: asyncio.Queue = asyncio.Queue(maxsize=pages)

            async def work(page) -> None:
                while (job := await queue.get()) is not None:
                    html, path = job
                    await page.set_content(html, wait_until="load")
                    write_private_bytes(path, await page.pdf(prefer_css_page_size=True, print_background=True))
                    if bar is not None:
                        bar.update(1)

            workers = [asyncio.create_task(work(await context.new_page())) for _ in range(pages)]
            try:
                # Building the next report's HTML here overlaps with Chromium printing the previous one.
                for job in _then_none(jobs, pages):
                    put = asyncio.ensure_future(queue.put(job))
                    done, _ = await asyncio.wait([put, *workers], return_when=asyncio.FIRST_COMPLETED)
                    if put not in done:
                        put.cancel()
                        raise _Stop()
                await asyncio.gather(*workers)
            except _Stop:
                for w in workers:
                    if w.done() and w.exception() is not None:
                        raise w.exception() from None
                raise
            finally:
                for w in workers:
                    w.cancel()
        finally:
            await browser.close()


def _then_none(jobs: Iterable[tuple[str, Path]], n: int) -> Iterator[tuple[str, Path] | None]:
    yield from jobs
    yield from [None] * n


def print_pdfs(jobs: Iterable[tuple[str, Path]], *, total: int | None = None, progress: bool = False,
               desc: str = "PDF", pages: int = 2, executable: str | None = None) -> None:
    """Print each ``(html, path)`` job to a PDF file with one headless Chromium.

    ``jobs`` may be a lazy iterator: its HTML is built while Chromium prints the previous job.
    Works from a plain script and from a notebook (where an event loop already runs).
    Raises ReportError when Chromium cannot be started or playwright is missing.
    """
    if importlib.util.find_spec("playwright") is None:
        raise ReportError("Paket 'playwright' belum terpasang; jalankan 'make install'")
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total, desc=desc, unit="berkas")
    try:
        _run(lambda: _print_async(jobs, executable or find_chromium(), pages, bar))
    finally:
        if bar is not None:
            bar.close()


def _run(make_coroutine) -> Any:
    """Run a coroutine to completion, in a helper thread when this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


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
                   html: bool = False, progress: bool = True, instansi: str = DEFAULT_INSTANSI,
                   pages: int = 2) -> list[Path]:
    """Write one PDF report per rated pegawai of the selection, plus ``index.html``; return the paths.

    The cycle's scores are computed (or loaded) once, then every report is rendered from them.
    ``html=True`` also writes each report's HTML beside its PDF. The index is the last path returned.
    Raises ReportError for an unknown unit or pegawai, or when Chromium cannot be started.
    """
    out = Path(out_dir)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = prepare_cycle(db, cycle, unit=unit, nip=nip, redact=redact, instansi=instansi)
    done: list[RenderedReport] = []

    bases = report_basis(db, data.cycle.id, data.ratees)

    def jobs() -> Iterator[tuple[str, Path]]:
        for ratee in data.ratees:
            page = render_report_html(published_report(db, data, ratee, bases[ratee]))
            path = out / f"laporan-360-{ratee}.pdf"
            if html:
                write_private_text(path.with_suffix(".html"), page)
            person = data.pegawai.loc[ratee]
            done.append(RenderedReport(ratee, person["nama"], person["unit_nama"], person["jabatan"], path))
            yield page, path

    print_pdfs(jobs(), total=len(data.ratees), progress=progress, desc="Laporan 360°", pages=pages)
    index = out / "index.html"
    write_private_text(index, template_env().get_template("indeks.html.j2").render(
        instansi=data.instansi, siklus=data.cycle, dibuat=tanggal(data.dibuat), laporan=done,
        kaki=f"Daftar laporan 360° · {data.cycle.nama}"))
    return [r.path for r in done] + [index]


# --------------------------------------------------------------------------------------------
# Panel document: berita acara penetapan predikat per unit


def _predikat_organisasi(db: Database, cycle_id: int, unit_id: str) -> tuple[str | None, str | None]:
    """Return (predikat, unit it was set on) for the unit or its nearest ancestor that has one."""
    rated = predikat_organisasi(db, cycle_id)
    found = load_tree(db).nearest(unit_id, rated)
    return (rated[found], found) if found else (None, None)


def _official(pegawai: pd.DataFrame, nip: str | None) -> dict[str, str] | None:
    if nip is None or _is_missing(nip) or nip not in pegawai.index:
        return None
    return {"nama": pegawai.loc[nip, "nama"], "nip": nip, "jabatan": pegawai.loc[nip, "jabatan"]}


def build_berita_acara_data(db: Database, cycle: int | str | Cycle | None, unit: str, *,
                            tanggal_penetapan: date | str | None = None, tempat: str = DEFAULT_TEMPAT,
                            instansi: str = DEFAULT_INSTANSI) -> dict[str, Any]:
    """Return the template context of the berita acara penetapan predikat kinerja of one unit.

    Lists every active pegawai of the unit and its sub-units with Rating Hasil Kerja, Rating Perilaku
    Kerja and the Predikat Kinerja, all from recorded decisions only: where the Pejabat Penilai has not
    decided, the row says "menunggu penetapan" and no predikat is printed (a 360 suggestion is advice,
    never part of a penetapan). Then checks the distribution of the decided predikat against the unit's
    Predikat Kinerja Organisasi (SE MenPANRB 3/2023) as warnings with the numbers, never as a block.
    While anyone is waiting, the document is a draft (``draf``): watermarked and not to be signed.
    Raises ReportError for an unknown unit.
    """
    c = cycle if isinstance(cycle, Cycle) else get_cycle(db, cycle)
    uid = _resolve_unit(db, unit)
    unit_nama = db.execute("SELECT nama FROM unit WHERE id = ?", [uid]).fetchone()[0]
    like = _subtree_like(uid)
    members = pd.read_sql_query(
        "SELECT p.nip, p.nama, p.jabatan, u.nama AS unit_nama, p.unit_id, p.kepala_unit, p.atasan_nip "
        "FROM pegawai p JOIN unit u ON u.id = p.unit_id "
        "WHERE p.aktif = 1 AND (p.unit_id = ? OR p.unit_id LIKE ? ESCAPE '\\') "
        "ORDER BY p.kepala_unit DESC, p.unit_id, p.nama, p.nip", db.conn, params=[uid, like])
    everyone = pd.read_sql_query("SELECT nip, nama, jabatan, atasan_nip FROM pegawai", db.conn).set_index("nip")
    ratings = _load_ratings(db, c.id)

    rows, menunggu = [], 0
    for p in members.itertuples(index=False):
        decided = ratings.get(p.nip, {})
        hasil, perilaku = decided.get("hasil_kerja"), decided.get("perilaku")
        predikat = predikat_kinerja(hasil, perilaku) if hasil and perilaku else None
        waiting = predikat is None
        menunggu += int(waiting)
        rows.append({"nama": p.nama, "nip": p.nip, "jabatan": p.jabatan, "unit": p.unit_nama,
                     "hasil_kerja": hasil, "perilaku": perilaku, "predikat": predikat, "menunggu": waiting})

    org, org_unit = _predikat_organisasi(db, c.id, uid)
    with_predikat = [r["predikat"] for r in rows if r["predikat"]]
    total = len(with_predikat)
    distribusi = [{"predikat": k, "jumlah": with_predikat.count(k),
                   "persen": persen(with_predikat.count(k) / total, 1) if total else "–"}
                  for k in load_kuadran().predikat]
    peringatan = [v.message() for v in check_distribution(org, with_predikat)] if org and total else []

    kepala_nip = next((p.nip for p in members.itertuples(index=False) if p.kepala_unit and p.unit_id == uid), None)
    penilai = _official(everyone, kepala_nip)
    atasan = _official(everyone, everyone.loc[kepala_nip, "atasan_nip"]) if kepala_nip else None
    when = tanggal_penetapan or date.today()
    if isinstance(when, str):
        try:
            when = date.fromisoformat(when)
        except ValueError:
            raise ReportError(f"Tanggal penetapan '{when}' tidak valid (format TTTT-BB-HH)") from None
    return {
        "instansi": instansi, "tempat": tempat, "tanggal": tanggal(when),
        "unit": {"id": uid, "nama": unit_nama},
        "siklus": {"nama": c.nama, "periode": c.periode, "tahun": c.tahun,
                   "mulai": tanggal(c.tanggal_mulai), "selesai": tanggal(c.tanggal_selesai)},
        "pegawai": rows, "jumlah": len(rows), "jumlah_berpredikat": total, "menunggu": menunggu,
        "draf": menunggu > 0, "tanpa_predikat": len(rows) - total,
        "predikat_organisasi": org, "predikat_organisasi_unit": org_unit, "distribusi": distribusi,
        "peringatan": peringatan, "penilai": penilai, "atasan_penilai": atasan,
    }


def render_berita_acara_html(context: dict[str, Any]) -> str:
    """Return the HTML of a berita acara from the context of :func:`build_berita_acara_data`."""
    kaki = f"Berita acara penetapan predikat kinerja · {context['unit']['nama']} · {context['siklus']['nama']}"
    return template_env().get_template("berita_acara.html.j2").render(**context, kaki=kaki)


def _units_with_predikat(db: Database, cycle_id: int) -> list[str]:
    ids = [r[0] for r in db.execute(
        "SELECT unit_id FROM predikat_organisasi WHERE cycle_id = ? ORDER BY unit_id", [cycle_id])]
    return ids or [r[0] for r in db.execute("SELECT id FROM unit WHERE induk_id IS NULL ORDER BY id")]


def render_berita_acara(db: Database, cycle: int | str | Cycle | None = None, *, unit: str | None = None,
                        out_dir: str | os.PathLike, tanggal_penetapan: date | str | None = None,
                        tempat: str = DEFAULT_TEMPAT, instansi: str = DEFAULT_INSTANSI,
                        html: bool = False, progress: bool = False) -> list[Path]:
    """Write the berita acara PDF of one unit, or of every unit with a Predikat Kinerja Organisasi.

    Returns the paths written. Raises ReportError for an unknown unit or when Chromium cannot start.
    """
    c = cycle if isinstance(cycle, Cycle) else get_cycle(db, cycle)
    out = Path(out_dir)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    units = [_resolve_unit(db, unit)] if unit is not None else _units_with_predikat(db, c.id)
    jobs, paths = [], []
    for uid in units:
        context = build_berita_acara_data(db, c, uid, tanggal_penetapan=tanggal_penetapan, tempat=tempat,
                                          instansi=instansi)
        page = render_berita_acara_html(context)
        path = out / f"berita-acara-{_slug(uid)}{'-DRAF' if context['draf'] else ''}.pdf"
        if html:
            write_private_text(path.with_suffix(".html"), page)
        jobs.append((page, path))
        paths.append(path)
    print_pdfs(jobs, total=len(jobs), progress=progress, desc="Berita acara")
    return paths
