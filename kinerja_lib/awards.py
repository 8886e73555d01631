"""Award eligibility and shortlists, follow-up lists, Satyalancana Karya Satya, talent 9-box, fairness and exports.

The core functions take plain DataFrames (scoring results, pegawai, disiplin, potensi, predikat history)
so that they can be checked with hand-made frames; ``load_inputs`` and ``award_report`` read them from the
database. Every list says, per person and in Bahasa Indonesia, why they are on it or not.

Frames (columns the core reads; extra columns are carried along):

- results: ``nip, skor, skor_adj, skor_adj_se, kelompok_tampil, n_diri, n_atasan, n_rekan, n_bawahan,
  n_lainnya, predikat, status_predikat`` (``ditetapkan`` when the predikat rests on the Pejabat Penilai's
  recorded decisions, ``sementara`` when it rests on the 360 suggestion; a missing column counts as
  ``sementara``). Only a ditetapkan predikat leads to a consequence: every list that does (award
  eligibility, follow-up, talent pool) lists the people still waiting for a decision separately.
- pegawai: ``nip, nama, jenis_kelamin, unit_id, jabatan, jenis_jabatan, golongan, tmt_cpns, aktif`` and
  optionally ``opd`` (else the first segment of the unit path).
- disiplin: ``nip, tingkat, jenis_hukuman, tanggal_mulai, tanggal_selesai``.
- potensi: ``nip, tanggal, kategori``.
- riwayat (predikat history): ``nip, cycle_id, nama_siklus, periode, tanggal_selesai, predikat``.

Dates are ISO strings (``YYYY-MM-DD``) as stored in the database.
"""

from __future__ import annotations

import calendar
import json
import math
import textwrap
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cycle import anonymity_warning
from .errors import KinerjaError, ReferenceDataError
from .organisation import load_tree
from .reference import _load, load_jabatan_types, load_kuadran, load_vocabulary
from .store import STATUS_PREDIKAT

RULE_KINDS = ("pegawai_aktif", "predikat_periode_ini", "predikat_berturut", "tanpa_hukuman_disiplin_aktif",
              "cukup_penilai", "masa_kerja_minimal")
KINERJA_AXIS = ("di bawah", "sesuai", "di atas")
POTENSI_AXIS = ("rendah", "menengah", "tinggi")
GROUPS = ("diri", "atasan", "rekan", "bawahan", "lainnya")
REASON_SEPARATOR = " | "   # between the conditions in ``alasan`` (sources may contain ';')
DITETAPKAN, SEMENTARA = STATUS_PREDIKAT
MENUNGGU = "menunggu penetapan Pejabat Penilai Kinerja"


# --------------------------------------------------------------------------------------------------
# Rules (data/referensi/penghargaan.yaml)
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Syarat:
    """One eligibility condition of an award list, with its source (regulation or local policy)."""

    jenis: str
    sumber: str
    aktif: bool = True
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Penghargaan:
    """An award list (e.g. ASN Berprestasi) and its conditions."""

    kode: str
    nama: str
    syarat: tuple[Syarat, ...]


@dataclass(frozen=True)
class TindakLanjut:
    """The follow-up a low predikat calls for."""

    predikat: str
    tindakan: str
    tinjauan_disiplin: bool
    tenggat_bulan: int
    sumber: str


@dataclass(frozen=True)
class MasaPerbaikan:
    """An improvement window a low result calls for (PP 30/2019; UU 5/2014 Pasal 118 for JPT).

    It applies to a person whose jenis jabatan is listed and whose predikat (or, when ``rating_hasil_kerja``
    is given, whose Rating Hasil Kerja) is listed.
    """

    nama: str
    jenis_jabatan: tuple[str, ...]
    predikat: tuple[str, ...]
    rating_hasil_kerja: tuple[str, ...]
    bulan: int
    sesudahnya: str
    sumber: str

    def applies(self, person: dict) -> bool:
        """Return whether the window applies to a person (a dict with jenis_jabatan, predikat, rating_hasil_kerja)."""
        if person.get("jenis_jabatan") not in self.jenis_jabatan:
            return False
        if self.rating_hasil_kerja:
            return person.get("rating_hasil_kerja") in self.rating_hasil_kerja
        return person.get("predikat") in self.predikat


@dataclass(frozen=True)
class AwardRules:
    """All rules of penghargaan.yaml, validated."""

    versi: str
    penghargaan: dict[str, Penghargaan]
    peringkat: dict[str, Any]
    keadilan: dict[str, Any]
    tindak_lanjut: dict[str, TindakLanjut]
    masa_perbaikan: tuple[MasaPerbaikan, ...]
    satyalancana: dict[str, Any]
    kotak: dict[int, tuple[str, str]]          # box -> (kinerja, potensi)
    kelompok_talenta: tuple[int, ...]
    kinerja_dari_predikat: dict[str, str]
    jumlah_periode_kinerja: int
    sumber_talenta: str
    predikat_urut: tuple[str, ...]             # best first, from kuadran.yaml

    def predikat_rank(self, predikat: str) -> int:
        """Return 0 for the best predikat, 1 for the next, ..."""
        return self.predikat_urut.index(predikat)

    def box_of(self, kinerja: str, potensi: str) -> int:
        """Return the 9-box number for a (kinerja, potensi) pair."""
        return self._box_lookup()[(kinerja, potensi)]

    def _box_lookup(self) -> dict[tuple[str, str], int]:
        return {v: k for k, v in self.kotak.items()}


def _need(data: dict, key: str, where: str, kind: type | tuple[type, ...] = object) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise ReferenceDataError(f"penghargaan.yaml: {where}: kunci '{key}' wajib ada")
    value = data[key]
    if not isinstance(value, kind):
        raise ReferenceDataError(f"penghargaan.yaml: {where}: kunci '{key}' bertipe salah ({type(value).__name__})")
    return value


def _parse_syarat(raw: dict, where: str, predikat: tuple[str, ...]) -> Syarat:
    jenis = _need(raw, "jenis", where, str)
    if jenis not in RULE_KINDS:
        raise ReferenceDataError(f"penghargaan.yaml: {where}: jenis syarat '{jenis}' tidak dikenal; "
                                 f"pilihan: {', '.join(RULE_KINDS)}")
    sumber = str(_need(raw, "sumber", where, str)).strip()
    if not sumber:
        raise ReferenceDataError(f"penghargaan.yaml: {where}: sumber syarat '{jenis}' wajib diisi")
    params = {k: v for k, v in raw.items() if k not in ("jenis", "sumber", "aktif")}
    if jenis in ("predikat_periode_ini", "predikat_berturut"):
        if params.get("predikat_minimal") not in predikat:
            raise ReferenceDataError(f"penghargaan.yaml: {where}: predikat_minimal "
                                     f"{params.get('predikat_minimal')!r} bukan predikat yang dikenal")
    if jenis == "predikat_berturut":
        n = params.get("jumlah_periode")
        if not isinstance(n, int) or n < 1:
            raise ReferenceDataError(f"penghargaan.yaml: {where}: jumlah_periode harus bilangan bulat >= 1")
        if params.get("periode") not in load_vocabulary()["periode"]:
            raise ReferenceDataError(f"penghargaan.yaml: {where}: periode {params.get('periode')!r} tidak dikenal")
    if jenis == "tanpa_hukuman_disiplin_aktif":
        tingkat = params.get("tingkat")
        if not isinstance(tingkat, list) or not tingkat or set(tingkat) - {"ringan", "sedang", "berat"}:
            raise ReferenceDataError(f"penghargaan.yaml: {where}: tingkat harus daftar dari ringan/sedang/berat")
    if jenis == "cukup_penilai":
        groups = params.get("kelompok_wajib", [])
        if not isinstance(groups, list) or set(groups) - set(GROUPS):
            raise ReferenceDataError(f"penghargaan.yaml: {where}: kelompok_wajib harus daftar dari {', '.join(GROUPS)}")
    if jenis == "masa_kerja_minimal":
        tahun = params.get("tahun")
        if not isinstance(tahun, int) or tahun < 0:
            raise ReferenceDataError(f"penghargaan.yaml: {where}: tahun harus bilangan bulat >= 0")
    aktif = raw.get("aktif", True)
    if not isinstance(aktif, bool):
        raise ReferenceDataError(f"penghargaan.yaml: {where}: aktif harus true/false")
    return Syarat(jenis, sumber, aktif, params)


@lru_cache(maxsize=8)
def load_rules(directory: Path | None = None) -> AwardRules:
    """Return the validated award, follow-up, Satyalancana and 9-box rules of ``penghargaan.yaml``.

    Raises ReferenceDataError naming the entry that is wrong (unknown predikat, missing source,
    a 9-box table that does not cover the 3 x 3 grid exactly once, ...).
    """
    data = _load("penghargaan.yaml", directory)
    predikat = load_kuadran(directory).predikat
    awards: dict[str, Penghargaan] = {}
    for i, raw in enumerate(_need(data, "penghargaan", "akar", list)):
        kode = str(_need(raw, "kode", f"penghargaan[{i}]"))
        if kode in awards:
            raise ReferenceDataError(f"penghargaan.yaml: kode penghargaan '{kode}' ganda")
        syarat = tuple(_parse_syarat(s, f"{kode}.syarat[{j}]", predikat)
                       for j, s in enumerate(_need(raw, "syarat", kode, list)))
        awards[kode] = Penghargaan(kode, str(_need(raw, "nama", kode)), syarat)

    peringkat = _need(data, "peringkat", "akar", dict)
    n_sim = _need(peringkat, "jumlah_simulasi", "peringkat", int)
    if n_sim < 100:
        raise ReferenceDataError("penghargaan.yaml: peringkat.jumlah_simulasi harus >= 100")
    sd = _need(peringkat, "sd_penilai_bawaan", "peringkat", (int, float))
    if sd <= 0:
        raise ReferenceDataError("penghargaan.yaml: peringkat.sd_penilai_bawaan harus > 0")
    lo, hi = _need(peringkat, "persentil_rentang", "peringkat", list)
    if not 0 <= lo < hi <= 100:
        raise ReferenceDataError("penghargaan.yaml: peringkat.persentil_rentang harus [bawah, atas] dalam 0..100")
    for tie in _need(peringkat, "aturan_seri", "peringkat", list):
        if tie.get("urutan") not in ("naik", "turun") or not tie.get("kolom"):
            raise ReferenceDataError("penghargaan.yaml: peringkat.aturan_seri: setiap butir butuh kolom dan "
                                     "urutan naik/turun")

    keadilan = _need(data, "keadilan", "akar", dict)
    if not 0 < float(_need(keadilan, "ambang_rasio", "keadilan", (int, float))) <= 1:
        raise ReferenceDataError("penghargaan.yaml: keadilan.ambang_rasio harus dalam (0, 1]")

    follow: dict[str, TindakLanjut] = {}
    for raw in _need(data, "tindak_lanjut", "akar", list):
        p = _need(raw, "predikat", "tindak_lanjut")
        if p not in predikat:
            raise ReferenceDataError(f"penghargaan.yaml: tindak_lanjut: predikat {p!r} tidak dikenal")
        follow[p] = TindakLanjut(p, str(_need(raw, "tindakan", p)), bool(raw.get("tinjauan_disiplin", False)),
                                 int(raw.get("tenggat_bulan", 1)), str(_need(raw, "sumber", p)))

    known_jenis = {j.kode for j in load_jabatan_types(directory)}
    ratings = set(load_kuadran(directory).ratings)
    windows = []
    for i, window in enumerate(_need(data, "masa_perbaikan", "akar", list)):
        where = f"masa_perbaikan[{i}]"
        jenis = _need(window, "jenis_jabatan", where, list)
        if set(jenis) - known_jenis:
            raise ReferenceDataError(f"penghargaan.yaml: {where}.jenis_jabatan menyebut jenis jabatan yang tidak "
                                     f"dikenal; pilihan: {', '.join(sorted(known_jenis))}")
        by_predikat, by_hasil = window.get("predikat", []), window.get("rating_hasil_kerja", [])
        if bool(by_predikat) == bool(by_hasil):
            raise ReferenceDataError(f"penghargaan.yaml: {where}: isi tepat satu dari predikat atau rating_hasil_kerja")
        if set(by_predikat) - set(predikat) or set(by_hasil) - ratings:
            raise ReferenceDataError(f"penghargaan.yaml: {where}: predikat/rating tidak dikenal")
        bulan = _need(window, "bulan", where, int)
        if bulan < 1:
            raise ReferenceDataError(f"penghargaan.yaml: {where}.bulan harus >= 1")
        windows.append(MasaPerbaikan(str(_need(window, "nama", where, str)), tuple(jenis), tuple(by_predikat),
                                     tuple(by_hasil), bulan, str(_need(window, "sesudahnya", where, str)),
                                     str(_need(window, "sumber", where, str))))

    satya = _need(data, "satyalancana", "akar", dict)
    years = _need(satya, "tahun", "satyalancana", list)
    if not years or any(not isinstance(y, int) or y < 1 for y in years) or sorted(set(years)) != years:
        raise ReferenceDataError("penghargaan.yaml: satyalancana.tahun harus daftar bilangan bulat naik, "
                                 "mis. [10, 20, 30]")
    _need(satya, "sumber", "satyalancana", str)

    talenta = _need(data, "kotak_talenta", "akar", dict)
    boxes: dict[int, tuple[str, str]] = {}
    for key, cell in _need(talenta, "kotak", "kotak_talenta", dict).items():
        pair = (cell.get("kinerja"), cell.get("potensi"))
        if pair[0] not in KINERJA_AXIS or pair[1] not in POTENSI_AXIS:
            raise ReferenceDataError(f"penghargaan.yaml: kotak {key}: kinerja/potensi {pair} tidak dikenal")
        boxes[int(key)] = pair
    if set(boxes) != set(range(1, 10)) or len(set(boxes.values())) != 9:
        raise ReferenceDataError("penghargaan.yaml: kotak_talenta.kotak harus memetakan kotak 1..9 ke setiap "
                                 "pasangan kinerja x potensi tepat satu kali")
    pool = tuple(int(b) for b in _need(talenta, "kelompok_talenta", "kotak_talenta", list))
    if set(pool) - set(boxes):
        raise ReferenceDataError("penghargaan.yaml: kelompok_talenta harus berisi nomor kotak 1..9")
    axis = {str(k): str(v) for k, v in _need(talenta, "kinerja_dari_predikat", "kotak_talenta", dict).items()}
    if set(axis) != set(predikat) or set(axis.values()) - set(KINERJA_AXIS):
        raise ReferenceDataError("penghargaan.yaml: kinerja_dari_predikat harus memetakan setiap predikat ke "
                                 "di atas / sesuai / di bawah")
    n_periods = int(talenta.get("jumlah_periode", 1))
    if n_periods < 1:
        raise ReferenceDataError("penghargaan.yaml: kotak_talenta.jumlah_periode harus >= 1")
    return AwardRules(str(_need(data, "versi", "akar")), awards, peringkat, keadilan, follow, tuple(windows), satya,
                      boxes, pool, axis, n_periods, str(talenta.get("sumber", "")), tuple(predikat))


# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------

def _to_date(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    return date.fromisoformat(text[:10]) if text else None


def anniversary(start: date | str, years: int) -> date:
    """Return the day on which ``years`` full years since ``start`` are complete.

    The anniversary day itself counts. A 29 February start reaches its anniversary on 1 March in a
    common year (never a day early).

    >>> anniversary("2016-03-15", 10)
    datetime.date(2026, 3, 15)
    >>> anniversary("2016-02-29", 10)
    datetime.date(2026, 3, 1)
    """
    d = _to_date(start)
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February in a common year
        return date(d.year + years, 3, 1)


def add_months(start: date | str, months: int) -> date:
    """Return ``start`` plus whole months, clamped to the month's last day.

    >>> add_months("2026-12-31", 6)
    datetime.date(2027, 6, 30)
    """
    d = _to_date(start)
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def completed_years(start: pd.Series, on: date) -> pd.Series:
    """Return the full years of service from each ``start`` date to ``on`` (NaN where start is missing).

    Consistent with :func:`anniversary`: the anniversary day counts and 29 February turns over on 1 March.
    """
    s = pd.to_datetime(start, format="ISO8601", errors="coerce")
    years = on.year - s.dt.year
    before = (s.dt.month > on.month) | ((s.dt.month == on.month) & (s.dt.day > on.day))
    return (years - before.astype("Int64")).astype("Float64").astype(float)


# --------------------------------------------------------------------------------------------------
# Small helpers on frames
# --------------------------------------------------------------------------------------------------

def _opd(pegawai: pd.DataFrame) -> pd.Series:
    if "opd" in pegawai:
        return pegawai["opd"]
    return pegawai["unit_id"].astype(str).str.split(" / ").str[0]


def golongan_group(golongan: pd.Series) -> pd.Series:
    """Return the golongan group (``III/a`` -> ``III``); missing -> ``tidak tercatat``."""
    g = golongan.astype("string").str.split("/").str[0].str.strip()
    return g.fillna("tidak tercatat").replace("", "tidak tercatat").astype(object)


def _fmt(x: float, digits: int = 2) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}".replace(".", ",")


def _base_frame(results: pd.DataFrame, pegawai: pd.DataFrame) -> pd.DataFrame:
    """Join results to pegawai (left join on results: the pool is everyone scored in the cycle)."""
    peg = pegawai.copy()
    peg["opd"] = _opd(peg)
    keep = [c for c in ("nip", "nama", "jenis_kelamin", "unit_id", "opd", "jabatan", "jenis_jabatan", "jenjang",
                        "golongan", "tmt_cpns", "aktif") if c in peg]
    base = results.merge(peg[keep], on="nip", how="left", suffixes=("", "_pegawai"))
    for col in ("skor", "skor_adj", "skor_adj_se"):
        if col not in base:
            base[col] = np.nan
        base[col] = pd.to_numeric(base[col], errors="coerce").astype(float)
    for g in GROUPS:
        col = f"n_{g}"
        base[col] = pd.to_numeric(base[col], errors="coerce").fillna(0).astype(int) if col in base else 0
    if "kelompok_tampil" not in base:
        base["kelompok_tampil"] = ""
    if "predikat" not in base:
        base["predikat"] = None
    if "aktif" not in base:
        base["aktif"] = 1
    return base


def _provisional(results: pd.DataFrame) -> pd.Series:
    """Return True where a predikat exists but is not ditetapkan (a missing status counts as provisional)."""
    status = results["status_predikat"] if "status_predikat" in results else pd.Series(None, index=results.index)
    return results["predikat"].notna() & ~status.eq(DITETAPKAN)


def history_with_current(results: pd.DataFrame, riwayat: pd.DataFrame | None, cycle) -> pd.DataFrame:
    """Return the decided predikat history with the current cycle's decided predikat (from ``results``).

    Rows of ``riwayat`` for ``cycle.id`` are replaced, so the function can be applied twice. A provisional
    predikat of the current cycle is left out: history holds decisions only.
    """
    cols = ["nip", "cycle_id", "nama_siklus", "periode", "tanggal_selesai", "predikat"]
    past = (riwayat[cols] if riwayat is not None and len(riwayat) else pd.DataFrame(columns=cols))
    past = past[past["cycle_id"] != cycle.id]
    now = results.loc[results["predikat"].notna() & ~_provisional(results), ["nip", "predikat"]].copy()
    now["cycle_id"], now["nama_siklus"] = cycle.id, cycle.nama
    now["periode"], now["tanggal_selesai"] = cycle.periode, cycle.tanggal_selesai
    parts = [p for p in (past, now[cols]) if len(p)]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------------------
# Eligibility
# --------------------------------------------------------------------------------------------------

def _check_aktif(base, syarat, ctx):
    ok = base["aktif"].fillna(0).astype(int).eq(1).to_numpy()
    msg = np.where(ok, "pegawai aktif", "pegawai tidak aktif pada data kepegawaian")
    return ok, list(msg)


def _check_predikat_ini(base, syarat, ctx):
    rules: AwardRules = ctx["rules"]
    minimal = syarat.params["predikat_minimal"]
    limit = rules.predikat_rank(minimal)
    rank = base["predikat"].map({p: i for i, p in enumerate(rules.predikat_urut)})
    tentative = ctx["sementara"]
    ok = (rank <= limit).fillna(False).to_numpy(dtype=bool) & ~tentative
    hasil = base["rating_hasil_kerja"] if "rating_hasil_kerja" in base else pd.Series(None, index=base.index)
    msgs = []
    for p, tent, h in zip(base["predikat"], tentative, hasil):
        if not isinstance(p, str):
            missing = ("Rating Perilaku Kerja belum ditetapkan Pejabat Penilai" if isinstance(h, str)
                       else "Rating Hasil Kerja belum tercatat")
            msgs.append(f"predikat periode ini belum ada ({missing}); minimal {minimal} yang sudah ditetapkan")
        elif tent:
            msgs.append(f"predikat periode ini belum ditetapkan: {MENUNGGU} (saran 360 saat ini {p}, "
                        f"bukan keputusan); minimal {minimal} yang sudah ditetapkan")
        else:
            msgs.append(f"predikat periode ini {p} (ditetapkan), minimal {minimal}")
    return ok, msgs


def _check_berturut(base, syarat, ctx):
    rules: AwardRules = ctx["rules"]
    cycle = ctx["cycle"]
    hist: pd.DataFrame = ctx["riwayat"]
    minimal, n, periode = (syarat.params["predikat_minimal"], syarat.params["jumlah_periode"],
                           syarat.params["periode"])
    cycles = (hist.loc[(hist["periode"] == periode) & (hist["tanggal_selesai"] <= cycle.tanggal_selesai),
                       ["cycle_id", "nama_siklus", "tanggal_selesai"]]
              .drop_duplicates("cycle_id").sort_values("tanggal_selesai", ascending=False).head(n))
    names = dict(zip(cycles["cycle_id"], cycles["nama_siklus"]))
    limit = rules.predikat_rank(minimal)
    order = {p: i for i, p in enumerate(rules.predikat_urut)}
    sub = hist[hist["cycle_id"].isin(names)]
    by_person: dict[str, dict] = {}
    for nip, cid, p in zip(sub["nip"], sub["cycle_id"], sub["predikat"]):
        by_person.setdefault(nip, {})[cid] = p
    ok, msgs = [], []
    for nip in base["nip"]:
        seen = by_person.get(nip, {})
        parts, good = [], len(names) == n
        for cid, nama in names.items():
            p = seen.get(cid)
            if p is None:
                parts.append(f"{nama}: tidak tercatat")
                good = False
            else:
                parts.append(f"{nama}: {p}")
                good = good and order[p] <= limit
        if len(names) < n:
            parts.append(f"hanya {len(names)} siklus {periode} tercatat dari {n} yang disyaratkan")
        ok.append(good)
        msgs.append(f"predikat {n} periode {periode} terakhir minimal {minimal} ({'; '.join(parts)})")
    return np.array(ok, dtype=bool), msgs


def _check_disiplin(base, syarat, ctx):
    on: date = ctx["tanggal_acuan"]
    levels = syarat.params["tingkat"]
    d: pd.DataFrame = ctx["disiplin"]
    iso = on.isoformat()
    active = d[d["tingkat"].isin(levels) & (d["tanggal_mulai"] <= iso)
               & (d["tanggal_selesai"].isna() | (d["tanggal_selesai"] >= iso))]
    found: dict[str, list[str]] = {}
    for nip, t, j, a, b in zip(active["nip"], active["tingkat"], active["jenis_hukuman"],
                               active["tanggal_mulai"], active["tanggal_selesai"]):
        until = b if isinstance(b, str) else "belum ditentukan"
        found.setdefault(nip, []).append(f"hukuman disiplin {t} ({j}, {a} s.d. {until})")
    ok = ~base["nip"].isin(found).to_numpy()
    label = "/".join(levels)
    msgs = [f"tidak ada hukuman disiplin {label} yang aktif pada {iso}" if good
            else "sedang menjalani " + "; ".join(found[nip])
            for nip, good in zip(base["nip"], ok)]
    return ok, msgs


def _check_penilai(base, syarat, ctx):
    settings = ctx["settings"]
    minimum = settings.get("minimal_penilai", {})
    required = syarat.params.get("kelompok_wajib", [])
    ok, msgs = [], []
    counts = {g: base[f"n_{g}"].to_numpy() for g in GROUPS}
    for i, (shown_raw, skor) in enumerate(zip(base["kelompok_tampil"], base["skor"])):
        shown = [g for g in str(shown_raw or "").split(",") if g.strip()]
        shown = [g.strip() for g in shown]
        problems, parts = [], []
        for g in shown:
            n, need = int(counts[g][i]) if g in counts else 0, int(minimum.get(g, 1))
            parts.append(f"{g} {n}")
            if n < need:
                problems.append(f"kelompok {g} hanya {n} penilai (minimal {need})")
        for g in required:
            if g not in shown:
                n, need = int(counts[g][i]), int(minimum.get(g, 1))
                problems.append(f"kelompok {g} tidak tampil ({n} penilai, minimal {need})")
        if skor is None or (isinstance(skor, float) and math.isnan(skor)):
            problems.append("tidak ada skor 360")
        good = not problems
        ok.append(good)
        detail = ", ".join(parts) if parts else "tidak ada kelompok tampil"
        msgs.append(f"penilai cukup ({detail})" if good else "penilai kurang: " + "; ".join(problems))
    return np.array(ok, dtype=bool), msgs


def _check_masa_kerja(base, syarat, ctx):
    on: date = ctx["tanggal_acuan"]
    need = syarat.params["tahun"]
    years = completed_years(base["tmt_cpns"], on)
    ok = (years >= need).fillna(False).to_numpy(dtype=bool)
    msgs = [f"masa kerja sejak TMT CPNS tidak dapat dihitung (TMT CPNS tidak tercatat), minimal {need} tahun"
            if math.isnan(y) else f"masa kerja {int(y)} tahun per {on.isoformat()}, minimal {need} tahun"
            for y in years]
    return ok, msgs


_CHECKS = {
    "pegawai_aktif": _check_aktif,
    "predikat_periode_ini": _check_predikat_ini,
    "predikat_berturut": _check_berturut,
    "tanpa_hukuman_disiplin_aktif": _check_disiplin,
    "cukup_penilai": _check_penilai,
    "masa_kerja_minimal": _check_masa_kerja,
}


def _empty_disiplin() -> pd.DataFrame:
    return pd.DataFrame(columns=["nip", "tingkat", "jenis_hukuman", "tanggal_mulai", "tanggal_selesai"])


def _award(rules: AwardRules, kode: str) -> Penghargaan:
    if kode not in rules.penghargaan:
        raise KinerjaError(f"Daftar penghargaan '{kode}' tidak dikenal; pilihan: {', '.join(rules.penghargaan)}")
    return rules.penghargaan[kode]


def eligibility(results: pd.DataFrame, pegawai: pd.DataFrame, disiplin: pd.DataFrame | None, cycle, *,
                riwayat: pd.DataFrame | None = None, penghargaan: str = "asn_berprestasi",
                tanggal_acuan: date | str | None = None, rules: AwardRules | None = None) -> pd.DataFrame:
    """Return one row per person scored in the cycle: eligible or not for the award list, and why.

    Columns: the person's data and scores, ``layak`` (bool), ``alasan`` (every active condition with
    "Memenuhi"/"Tidak memenuhi", the finding and its source, in Indonesian, joined by ``REASON_SEPARATOR``),
    ``alasan_tidak_layak`` (only the failed ones), ``predikat_sementara`` and one boolean column
    ``syarat:<jenis>`` per condition. ``tanggal_acuan`` (default: the cycle's end date) is the day on which
    penalties must not be active and service years are counted. Raises KinerjaError for an unknown award list.
    """
    rules = rules or load_rules()
    award = _award(rules, penghargaan)
    on = _to_date(tanggal_acuan) or _to_date(cycle.tanggal_selesai)
    base = _base_frame(results, pegawai)
    base["predikat_sementara"] = _provisional(base).to_numpy(dtype=bool)
    ctx = {"rules": rules, "cycle": cycle, "tanggal_acuan": on, "settings": cycle.settings or {},
           "disiplin": disiplin if disiplin is not None and len(disiplin) else _empty_disiplin(),
           "riwayat": history_with_current(results, riwayat, cycle),
           "sementara": base["predikat_sementara"].to_numpy()}
    eligible = np.ones(len(base), dtype=bool)
    reasons: list[list[str]] = [[] for _ in range(len(base))]
    failed: list[list[str]] = [[] for _ in range(len(base))]
    for syarat in award.syarat:
        if not syarat.aktif:
            continue
        ok, msgs = _CHECKS[syarat.jenis](base, syarat, ctx)
        base[f"syarat:{syarat.jenis}"] = ok
        eligible &= ok
        for i, (good, msg) in enumerate(zip(ok, msgs)):
            text = f"{'Memenuhi' if good else 'Tidak memenuhi'}: {msg} [{syarat.sumber}]"
            reasons[i].append(text)
            if not good:
                failed[i].append(text)
    base["layak"] = eligible
    base["alasan"] = [REASON_SEPARATOR.join(r) for r in reasons]
    base["alasan_tidak_layak"] = [REASON_SEPARATOR.join(r) for r in failed]
    # Waiting for a decision: the predikat is only provisional and every other condition is met, so the
    # person may become eligible once the Pejabat Penilai decides.
    others = np.ones(len(base), dtype=bool)
    for syarat in award.syarat:
        if syarat.aktif and syarat.jenis not in ("predikat_periode_ini", "predikat_berturut"):
            others &= base[f"syarat:{syarat.jenis}"].to_numpy(dtype=bool)
    base["menunggu_penetapan"] = base["predikat_sementara"].to_numpy(dtype=bool) & others & ~eligible
    base.attrs.update(penghargaan=award.kode, nama_penghargaan=award.nama, tanggal_acuan=on.isoformat())
    return base


# --------------------------------------------------------------------------------------------------
# Ranking: empirical Bayes shrinkage and Monte Carlo rank uncertainty
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShrinkageFit:
    """The fitted two-level normal model behind the shrinkage (see :func:`eb_posterior`)."""

    tau2: float           # between-person variance within units
    omega2: float         # between-unit variance of unit means
    grand_mean: float
    n_units: int
    n_people: int


def _mom_variance(values: np.ndarray, noise: np.ndarray, groups: np.ndarray) -> float:
    """Method-of-moments between-member variance of ``values`` within ``groups`` (floored at 0).

    With y_i = theta_i + e_i, Var(theta) = t2, Var(e_i) = s2_i, a group of n members gives
    E[sum (y_i - ybar)^2] = (n - 1) t2 + (n - 1)/n * sum s2_i, so
    t2 = (sum_g SS_g - sum_g (n_g - 1)/n_g S_g) / sum_g (n_g - 1).
    """
    frame = pd.DataFrame({"y": values, "s2": noise, "g": groups})
    grouped = frame.groupby("g", sort=False)
    n = grouped["y"].transform("size").to_numpy()
    mean = grouped["y"].transform("mean").to_numpy()
    keep = n >= 2
    if not keep.any():
        return 0.0
    ss = ((values - mean) ** 2)[keep].sum()
    noise_part = ((n - 1) / n * noise)[keep].sum()
    dof = (grouped["y"].size() - 1).clip(lower=0).sum()
    return max(0.0, float((ss - noise_part) / dof)) if dof > 0 else 0.0


def eb_posterior(y: np.ndarray, se: np.ndarray, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                             ShrinkageFit]:
    """Return (posterior mean, posterior SD, prior mean per person, fit) under a two-level normal model.

    Model: y_i ~ N(theta_i, se_i^2); theta_i ~ N(mu_u, tau^2) within unit u; mu_u ~ N(mu, omega^2).
    tau^2 is estimated by the method of moments from the spread within units (see ``_mom_variance``);
    the unit means ybar_u (noise V_u = (n_u tau^2 + sum se^2) / n_u^2) are shrunk towards the mean of
    the unit means with omega^2 estimated the same way, so a unit of one person does not shrink
    its member towards themself. Each person's score is then shrunk towards their unit's mean:
    B_i = se_i^2 / (se_i^2 + tau^2), posterior mean = B_i mu_u + (1 - B_i) y_i, posterior variance
    = tau^2 se_i^2 / (tau^2 + se_i^2), widened for having estimated the prior from the same people
    (Morris 1983): se_i^2 (1 - (k - 1)/k B_i) + 2/(k - 3) B_i^2 (y_i - prior_i)^2, k the size of the unit
    whose mean is the prior (the whole pool when the unit means are pooled into one).
    """
    y, se, unit = np.asarray(y, float), np.asarray(se, float), np.asarray(unit)
    s2 = se ** 2
    tau2 = _mom_variance(y, s2, unit)
    frame = pd.DataFrame({"y": y, "s2": s2, "u": unit})
    g = frame.groupby("u", sort=False).agg(n=("y", "size"), ybar=("y", "mean"), s2sum=("s2", "sum"))
    v = (g["n"] * tau2 + g["s2sum"]) / g["n"] ** 2
    n_units = len(g)
    grand = float(g["ybar"].mean())
    if n_units >= 2:
        dev = ((g["ybar"] - grand) ** 2).sum()
        omega2 = max(0.0, float((dev - (n_units - 1) / n_units * v.sum()) / (n_units - 1)))
        denom = (omega2 + v).to_numpy()
        weight = np.divide(omega2, denom, out=np.zeros_like(denom), where=denom > 0)
        mu_unit = grand + weight * (g["ybar"] - grand)
    else:
        omega2 = 0.0
        mu_unit = g["ybar"]
    prior = frame["u"].map(mu_unit).to_numpy(float)
    if tau2 > 0:
        b = s2 / (s2 + tau2)
        mean = b * prior + (1 - b) * y
        # Morris (1983, JASA 78, eq. 4.2) widens the plug-in posterior for having estimated the prior
        # from the same k people: s2 (1 - (k - 1)/k B) + 2/(k - 3) B^2 (y - prior)^2, k = the unit's size
        # (the people the prior mean and spread were estimated with; the whole pool when units are pooled).
        k = frame["u"].map(g["n"]).to_numpy(float) if n_units > 1 and omega2 > 0 else np.full(len(y), float(len(y)))
        extra = np.where(k > 3, 2.0 / np.maximum(k - 3, 1.0) * b * b * (y - prior) ** 2, 0.0)
        sd = np.sqrt(s2 * (1 - (k - 1) / k * b) + extra)
    else:
        mean, sd = prior.copy(), np.zeros_like(y)
    return mean, sd, prior, ShrinkageFit(tau2, omega2, grand, n_units, len(y))


def score_and_se(base: pd.DataFrame, settings: dict, sd_penilai: float) -> pd.DataFrame:
    """Return ``skor_dipakai``, ``se`` and ``sumber_skor`` per row.

    The bias-adjusted score and its SE are used when both are present; otherwise the raw score with the
    SE of a weighted mean of group means: se^2 = sd_penilai^2 * sum_g w_g^2 / n_g over the shown non-self
    groups, weights re-normalised over those groups (as the score itself is).
    """
    weights = {g: float(w) for g, w in (settings.get("bobot") or {}).items()}
    use_adj = base["skor_adj"].notna() & base["skor_adj_se"].notna() & (base["skor_adj_se"] > 0)
    shown = base["kelompok_tampil"].fillna("").astype(str)
    wsum = np.zeros(len(base))
    w2n = np.zeros(len(base))
    for g, w in weights.items():
        if w <= 0:
            continue
        has = shown.str.contains(rf"(?:^|,)\s*{g}\s*(?:,|$)", regex=True).to_numpy() & (base[f"n_{g}"].to_numpy() > 0)
        n = np.where(has, base[f"n_{g}"].to_numpy(), 1)
        wsum += np.where(has, w, 0.0)
        w2n += np.where(has, w * w / n, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw_se = np.where(wsum > 0, sd_penilai * np.sqrt(w2n) / wsum, np.nan)
    out = pd.DataFrame(index=base.index)
    out["skor_dipakai"] = np.where(use_adj, base["skor_adj"], base["skor"])
    out["se"] = np.where(use_adj, base["skor_adj_se"], raw_se)
    out["sumber_skor"] = np.where(use_adj, "skor_adj", np.where(base["skor"].notna(), "skor", None))
    return out


def _tie_order(frame: pd.DataFrame, tie_rule: list[dict]) -> pd.DataFrame:
    cols, asc = [], []
    for tie in tie_rule:
        if tie["kolom"] in frame:
            cols.append(tie["kolom"])
            asc.append(tie["urutan"] == "naik")
    return frame.sort_values(cols, ascending=asc, na_position="last", kind="mergesort")


def _select(units: np.ndarray, k: int, quota: int | None) -> np.ndarray:
    """Return a boolean mask choosing the first ``k`` in order, at most ``quota`` per unit."""
    chosen = np.zeros(len(units), dtype=bool)
    used: dict[Any, int] = {}
    taken = 0
    for i, u in enumerate(units):
        if taken >= k:
            break
        if quota is not None and used.get(u, 0) >= quota:
            continue
        chosen[i] = True
        used[u] = used.get(u, 0) + 1
        taken += 1
    return chosen


def _ranks_of_first(draws: np.ndarray, ascending: np.ndarray, m: int) -> np.ndarray:
    """Return the rank (1 = best) of the first ``m`` columns in each row of ``draws``.

    Rank = 1 + #(draws greater) + #(equal draws in earlier columns): ties go to the earlier candidate.
    ``ascending`` is each row sorted ascending. Rows with ties among the first ``m`` fall back to a
    stable argsort; continuous draws almost never tie.
    """
    n = draws.shape[1]
    out = np.empty((draws.shape[0], m), dtype=np.int32)
    for r in range(draws.shape[0]):
        values = draws[r, :m]
        right = np.searchsorted(ascending[r], values, side="right")
        if np.any(right - np.searchsorted(ascending[r], values, side="left") > 1):
            order = np.argsort(-draws[r], kind="stable")
            ranks = np.empty(n, dtype=np.int64)
            ranks[order] = np.arange(n)
            out[r] = ranks[:m] + 1
        else:
            out[r] = n - right + 1
    return out


def _chosen_top_k(draws: np.ndarray, ascending: np.ndarray, k: int) -> np.ndarray:
    """Return the mask of the ``k`` largest per row, equal values taken in column order."""
    n = draws.shape[1]
    if k >= n:
        return np.ones(draws.shape, dtype=bool)
    threshold = ascending[:, n - k][:, None]
    above = draws > threshold
    equal = draws == threshold
    room = k - above.sum(axis=1, keepdims=True)
    return above | (equal & (np.cumsum(equal, axis=1) <= room))


def _chosen_with_quota(draws: np.ndarray, codes: np.ndarray, k: int, quota: int) -> np.ndarray:
    """Return the mask chosen walking down each row's order (stable), at most ``quota`` per unit code."""
    positions = np.arange(draws.shape[1])
    order = np.argsort(-draws, axis=1, kind="stable")
    u = codes[order]
    by_unit = np.argsort(u, axis=1, kind="stable")
    u_sorted = np.take_along_axis(u, by_unit, axis=1)
    starts = np.ones(u_sorted.shape, dtype=bool)
    starts[:, 1:] = u_sorted[:, 1:] != u_sorted[:, :-1]
    first = np.maximum.accumulate(np.where(starts, positions, 0), axis=1)
    count = np.empty_like(u_sorted)
    np.put_along_axis(count, by_unit, positions - first, axis=1)   # picks of the same unit ranked earlier
    allowed = count < quota
    picked = allowed & (np.cumsum(allowed, axis=1) <= k)
    chosen = np.empty_like(picked)
    np.put_along_axis(chosen, order, picked, axis=1)
    return chosen


def simulate_ranks(mean: np.ndarray, sd: np.ndarray, k: int, *, units: np.ndarray | None = None,
                   quota: int | None = None, n_sim: int = 1000, seed: int = 0, track: int = 1000,
                   percentiles: tuple[float, float] = (5, 95)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (P(chosen in the top k), lower rank, upper rank) by drawing from independent normal posteriors.

    Candidates must come in tie-rule order: equal draws (e.g. zero posterior SD) keep that order, so the
    tie rule decides them as it decides the deterministic list. With ``quota``, "chosen" means picked when
    walking down the drawn order and skipping people whose unit already has ``quota`` picks. Ranks
    (1 = best, ignoring quotas) are kept for the first ``track`` candidates only; the rest get NaN.
    Draws come in chunks of about two million values, so memory stays flat at any size.
    """
    mean, sd = np.asarray(mean, float), np.asarray(sd, float)
    n = len(mean)
    p_sel = np.zeros(n)
    m = min(track, n)
    lower, upper = np.full(n, np.nan), np.full(n, np.nan)
    if n == 0:
        return p_sel, lower, upper
    codes = pd.factorize(pd.Series(units))[0] if units is not None else np.zeros(n, dtype=int)
    rng = np.random.default_rng(seed)
    tracked = np.empty((n_sim, m), dtype=np.int32)
    chunk = max(1, min(n_sim, int(2_000_000 // n)))
    for start in range(0, n_sim, chunk):
        c = min(chunk, n_sim - start)
        draws = mean + sd * rng.standard_normal((c, n))
        ascending = np.sort(draws, axis=1)
        if quota is None:
            chosen = _chosen_top_k(draws, ascending, k)
        else:
            chosen = _chosen_with_quota(draws, codes, k, quota)
        p_sel += chosen.sum(axis=0)
        tracked[start:start + c] = _ranks_of_first(draws, ascending, m)
    lo, hi = np.percentile(tracked, percentiles, axis=0, method="inverted_cdf")
    lower[:m], upper[:m] = lo, hi
    return p_sel / n_sim, lower, upper


@dataclass
class Shortlist:
    """An award shortlist: ranked eligible candidates, everyone's eligibility, the people waiting for a
    decided predikat (``menunggu``), and the settings used."""

    table: pd.DataFrame
    eligibility: pd.DataFrame
    settings: dict[str, Any]
    fit: ShrinkageFit | None
    menunggu: pd.DataFrame = field(default_factory=pd.DataFrame)


def shortlist(results: pd.DataFrame, pegawai: pd.DataFrame, disiplin: pd.DataFrame | None, cycle, *,
              riwayat: pd.DataFrame | None = None, penghargaan: str = "asn_berprestasi", k: int = 10,
              kuota_per_unit: int | None = None, unit_kuota: str = "opd", unit_susut: str = "unit_id",
              tanggal_acuan: date | str | None = None, n_sim: int | None = None, seed: int | None = None,
              sd_penilai: float | None = None, rules: AwardRules | None = None) -> Shortlist:
    """Return the ranked shortlist for an award list.

    Everyone scored in the cycle informs the shrinkage model (unit means, between-person variance);
    only eligible candidates compete. Candidates are ordered by posterior mean with the declared tie rule
    (penghargaan.yaml ``peringkat.aturan_seri``); the first ``k`` are chosen, at most ``kuota_per_unit``
    per ``unit_kuota`` when a quota is set. ``p_k_teratas`` is the share of posterior draws in which the
    person is chosen under the same rule; ``peringkat_p05``/``peringkat_p95`` bound their simulated rank.
    Eligible people without a 360 score are listed last, unranked. People who meet every condition but
    whose predikat is still provisional are not candidates: they are returned in ``menunggu`` (with
    their Pejabat Penilai), never ranked. Raises KinerjaError for k < 1 or a quota < 1.

    One model: the bias-adjusted score (not shrunk by scoring) is a measurement of the person's level
    with its standard error; levels within a unit are normal around the unit's level; the posterior is
    the only shrinkage applied (:func:`eb_posterior`).
    """
    rules = rules or load_rules()
    if k < 1:
        raise KinerjaError("k (jumlah daftar pendek) harus >= 1")
    if kuota_per_unit is not None and kuota_per_unit < 1:
        raise KinerjaError("kuota per unit harus >= 1")
    cfg = rules.peringkat
    settings = cycle.settings or {}
    n_sim = int(n_sim or cfg["jumlah_simulasi"])
    seed = int(seed if seed is not None else settings.get("benih_acak", 0))
    sd_penilai = float(sd_penilai or cfg["sd_penilai_bawaan"])
    elig = eligibility(results, pegawai, disiplin, cycle, riwayat=riwayat, penghargaan=penghargaan,
                       tanggal_acuan=tanggal_acuan, rules=rules)
    elig = pd.concat([elig, score_and_se(elig, settings, sd_penilai)], axis=1)
    scored = elig["skor_dipakai"].notna() & elig["se"].notna()
    elig["rerata_unit"] = np.nan
    elig["rerata_posterior"] = np.nan
    elig["sd_posterior"] = np.nan
    fit = None
    if scored.any():
        units = elig.loc[scored, unit_susut].fillna("(tanpa unit)").astype(str).to_numpy()
        mean, sd, prior, fit = eb_posterior(elig.loc[scored, "skor_dipakai"].to_numpy(),
                                            elig.loc[scored, "se"].to_numpy(), units)
        elig.loc[scored, "rerata_posterior"] = mean
        elig.loc[scored, "sd_posterior"] = sd
        elig.loc[scored, "rerata_unit"] = prior
    cand = elig[elig["layak"] & scored]
    cand = _tie_order(cand, cfg["aturan_seri"]).reset_index(drop=True)
    quota_units = cand[unit_kuota].fillna("(tanpa unit)").astype(str).to_numpy()
    cand.insert(0, "peringkat", np.arange(1, len(cand) + 1))
    cand.insert(1, "terpilih", _select(quota_units, k, kuota_per_unit))
    lo_pct, hi_pct = cfg["persentil_rentang"]
    p, lower, upper = simulate_ranks(cand["rerata_posterior"].to_numpy(), cand["sd_posterior"].to_numpy(), k,
                                     units=quota_units, quota=kuota_per_unit, n_sim=n_sim, seed=seed,
                                     track=int(cfg["rentang_untuk_teratas"]), percentiles=(lo_pct, hi_pct))
    cand["p_k_teratas"] = p
    cand["peringkat_p05"] = pd.Series(lower, index=cand.index).round().astype("Int64")
    cand["peringkat_p95"] = pd.Series(upper, index=cand.index).round().astype("Int64")
    unranked = elig[elig["layak"] & ~scored].copy()
    if len(unranked):
        unranked["terpilih"] = False
        unranked["alasan"] = unranked["alasan"] + REASON_SEPARATOR + "Catatan: tanpa skor 360, tidak diperingkat"
        cand = pd.concat([cand, unranked], ignore_index=True)
    front = ["peringkat", "terpilih", "nip", "nama", "unit_id", "opd", "jabatan", "predikat", "skor", "skor_adj",
             "skor_dipakai", "se", "rerata_unit", "rerata_posterior", "sd_posterior", "p_k_teratas",
             "peringkat_p05", "peringkat_p95", "alasan"]
    cand = cand[front + [c for c in cand.columns if c not in front]]
    elig["terpilih"] = elig["nip"].isin(cand.loc[cand["terpilih"].astype(bool), "nip"])
    waiting = elig[elig["menunggu_penetapan"]]
    menunggu = pd.DataFrame({
        "nip": waiting["nip"], "nama": waiting.get("nama"), "opd": waiting.get("opd"),
        "unit_id": waiting.get("unit_id"), "jabatan": waiting.get("jabatan"),
        "pejabat_penilai": waiting["nip"].map(_penilai_names(pegawai)),
        "keterangan": f"Memenuhi syarat lain; predikat periode ini {MENUNGGU}"}).reset_index(drop=True)
    award = rules.penghargaan[penghargaan]
    used = {
        "penghargaan": f"{award.nama} ({award.kode})",
        "penghargaan_kode": award.kode,
        "siklus_id": cycle.id,
        "siklus": f"{cycle.nama} (id {cycle.id}, {cycle.periode} {cycle.tahun}, "
                  f"{cycle.tanggal_mulai} s.d. {cycle.tanggal_selesai})",
        "tanggal_acuan": (_to_date(tanggal_acuan) or _to_date(cycle.tanggal_selesai)).isoformat(),
        "k": k,
        "kuota_per_unit": kuota_per_unit if kuota_per_unit is not None else "tidak ada",
        "unit_kuota": unit_kuota,
        "unit_penyusutan": unit_susut,
        "jumlah_simulasi": n_sim,
        "benih_acak": seed,
        "persentil_rentang_peringkat": f"{lo_pct}-{hi_pct}",
        "sd_penilai (bila SE skor tak tersedia)": sd_penilai,
        "tau2 (ragam antarpegawai dalam unit)": None if fit is None else round(fit.tau2, 6),
        "omega2 (ragam antarunit)": None if fit is None else round(fit.omega2, 6),
        "aturan_seri": "; ".join(t.get("keterangan", t["kolom"]) for t in cfg["aturan_seri"]),
        "syarat": REASON_SEPARATOR.join(f"{s.jenis}{'' if s.aktif else ' (nonaktif)'} "
                            f"{json.dumps(s.params, ensure_ascii=False) if s.params else ''}[{s.sumber}]"
                            for s in award.syarat),
        "minimal_penilai": json.dumps(settings.get("minimal_penilai", {}), ensure_ascii=False),
        "peringatan_anonimitas": anonymity_warning(settings) or "tidak ada (minimal 3 untuk kelompok anonim)",
        "bobot": json.dumps(settings.get("bobot", {}), ensure_ascii=False),
        "versi_aturan": rules.versi,
        "jumlah_dinilai": len(elig),
        "jumlah_layak": int(elig["layak"].sum()),
        "jumlah_menunggu_penetapan": int(len(menunggu)),
        "model_peringkat": "skor disesuaikan (rater-leniency dikoreksi, tidak disusutkan) sebagai pengukuran "
                           "dengan galat bakunya; satu penyusutan Bayes empiris ke tingkat unit",
    }
    return Shortlist(cand, elig, used, fit, menunggu)


def _penilai_names(pegawai: pd.DataFrame) -> dict[str, str]:
    """Return nip -> "Nama (NIP)" of the person's Pejabat Penilai (their atasan on the roster)."""
    if "atasan_nip" not in pegawai:
        return {}
    names = dict(zip(pegawai["nip"], pegawai["nama"]))
    return {nip: f"{names.get(a, '')} ({a})".strip() for nip, a in zip(pegawai["nip"], pegawai["atasan_nip"])
            if isinstance(a, str)}


def failed_conditions(shortlist: Shortlist, rules: AwardRules | None = None) -> pd.DataFrame:
    """Return, per active condition of the award list, how many people fail it and how many fail only it."""
    rules = rules or load_rules()
    award = _award(rules, shortlist.settings["penghargaan_kode"])
    elig = shortlist.eligibility
    active = [s for s in award.syarat if s.aktif]
    failed = pd.DataFrame({s.jenis: ~elig[f"syarat:{s.jenis}"].astype(bool) for s in active})
    only = failed.sum(axis=1) == 1
    return pd.DataFrame({"syarat": [s.jenis for s in active], "sumber": [s.sumber for s in active],
                         "tidak_memenuhi": [int(failed[s.jenis].sum()) for s in active],
                         "hanya_syarat_ini": [int((failed[s.jenis] & only).sum()) for s in active]})


def shortlist_view(table: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Return the shortlist's key columns with Indonesian headers (first ``top`` rows), for display."""
    rows = table.head(top) if top else table
    cols = [c for c in SHORTLIST_COLUMNS if c in rows and c not in ("unit_id", "jabatan", "alasan")]
    return rows[cols].rename(columns=SHORTLIST_COLUMNS).round(3)


# --------------------------------------------------------------------------------------------------
# Fairness
# --------------------------------------------------------------------------------------------------

FAIRNESS_COLUMNS = ["dimensi", "kelompok", "n", "terpilih", "laju", "rasio", "di_bawah_ambang", "p_fisher",
                    "p_holm", "dinilai", "temuan", "kekurangan", "status"]
STATUS_TIDAK_DINILAI = "tidak dinilai"
STATUS_TANPA_INDIKASI = "tidak ada indikasi"
STATUS_INDIKASI = "indikasi (belum bermakna secara statistik)"
STATUS_TEMUAN = "temuan: dampak merugikan bermakna secara statistik"


def fairness(frame: pd.DataFrame, dimensions: dict[str, str] | None = None, *, selected: str = "terpilih",
             threshold: float = 0.8, alpha: float = 0.05, min_group: int = 20,
             min_expected: float = 5.0) -> pd.DataFrame:
    """Return selection rates per group with the 4/5ths ratio and Fisher's exact test. Reported only.

    ``frame`` is the pool (one row per person considered) with a boolean ``selected`` column;
    ``dimensions`` maps a column to its Indonesian label (default gender, OPD and golongan group).
    Per group: ``n``, ``terpilih``, ``laju`` = selected / n; ``rasio`` = laju / the highest laju among the
    judged groups of the dimension; ``di_bawah_ambang`` when rasio < threshold; ``p_fisher`` = two-sided
    Fisher exact test of [[selected in group, not selected in group], [selected in rest, not selected
    in rest]]; ``p_holm`` = the same adjusted by Holm's step-down over the judged groups of the dimension;
    ``kekurangan`` = how many more of the group would have to be selected (others unchanged) for its rate
    to reach threshold x the highest rate, computed in exact fractions.

    A group is judged (``dinilai``) only when it has at least ``min_group`` people and at least
    ``min_expected`` selections would be expected at the overall rate: below that, a ratio is noise
    (a shortlist of 10 from a city cannot be judged by OPD). ``status`` words the result:
    "tidak dinilai" (with the reason), "tidak ada indikasi" (ratio at or above the threshold),
    "indikasi (belum bermakna secara statistik)" (ratio below, Holm-adjusted p >= alpha) or
    "temuan: dampak merugikan bermakna secara statistik" (ratio below and p < alpha); ``temuan`` marks
    the last. A finding calls for a look at the process, not a verdict.

    Worked example (also a test): men 8 selected of 20 (laju 0.40), women 6 of 30 (laju 0.20).
    rasio(women) = 0.20 / 0.40 = 0.50 < 0.80: below the threshold. Reaching it needs a rate of
    0.8 x 0.40 = 0.32, i.e. 0.32 x 30 = 9.6 -> 10 selections: kekurangan = 10 - 6 = 4. Fisher for women
    vs the rest uses [[6, 24], [8, 12]] (p = 0.19): an indication, not a finding.
    """
    from scipy.stats import fisher_exact

    dims = dimensions or {"jenis_kelamin": "Jenis kelamin", "opd": "Perangkat daerah",
                          "golongan_kelompok": "Golongan"}
    pool = frame.copy()
    if "golongan_kelompok" in dims and "golongan_kelompok" not in pool and "golongan" in pool:
        pool["golongan_kelompok"] = golongan_group(pool["golongan"])
    chosen = pool[selected].fillna(False).astype(bool)
    need = Fraction(str(threshold))
    rows = []
    total_n, total_sel = len(pool), int(chosen.sum())
    overall = total_sel / total_n if total_n else 0.0
    for col, label in dims.items():
        if col not in pool:
            continue
        keys = pool[col].fillna("tidak tercatat").astype(str)
        if col == "jenis_kelamin":
            names = load_vocabulary().get("jenis_kelamin", {})
            keys = keys.map(lambda x: names.get(x, x))
        counts = pd.DataFrame({"g": keys, "s": chosen}).groupby("g")["s"].agg(["size", "sum"])
        judged = (counts["size"] >= min_group) & (counts["size"] * overall >= min_expected)
        ref = counts[judged]
        top_rate = Fraction(0)
        if len(ref):
            best = ref.assign(r=ref["sum"] / ref["size"]).sort_values(["r", "size"], ascending=[False, False])
            top_rate = Fraction(int(best["sum"].iloc[0]), int(best["size"].iloc[0]))
        part = []
        for g, (n, sel) in counts.iterrows():
            n, sel = int(n), int(sel)
            rate = Fraction(sel, n)
            rest_n, rest_s = total_n - n, total_sel - sel
            p = (float(fisher_exact([[sel, n - sel], [rest_s, rest_n - rest_s]])[1]) if rest_n > 0 else math.nan)
            ok = bool(judged[g]) and top_rate > 0
            part.append({"dimensi": label, "kelompok": g, "n": n, "terpilih": sel, "laju": float(rate),
                         "rasio": float(rate / top_rate) if ok else math.nan,
                         "di_bawah_ambang": bool(ok and rate < need * top_rate), "p_fisher": p,
                         "p_holm": math.nan, "dinilai": ok, "temuan": False,
                         "kekurangan": int(max(0, math.ceil(need * top_rate * n) - sel)) if ok else 0})
        _holm(part, alpha)
        for row in part:
            if not row["dinilai"]:
                why = (f"kelompok kurang dari {min_group} orang" if row["n"] < min_group
                       else f"terpilih yang diharapkan kurang dari {min_expected:g}")
                row["status"] = f"{STATUS_TIDAK_DINILAI} ({why})"
            elif not row["di_bawah_ambang"]:
                row["status"] = STATUS_TANPA_INDIKASI
            else:
                row["temuan"] = bool(row["p_holm"] < alpha)
                row["status"] = STATUS_TEMUAN if row["temuan"] else STATUS_INDIKASI
        rows += part
    out = pd.DataFrame(rows, columns=FAIRNESS_COLUMNS)
    out.attrs.update(ambang_rasio=threshold, alfa=alpha, ukuran_minimal=min_group, harapan_minimal=min_expected)
    return out


def _holm(rows: list[dict[str, Any]], alpha: float) -> None:
    """Fill ``p_holm`` (Holm's step-down adjusted p) for the judged rows, in place."""
    judged = [r for r in rows if r["dinilai"] and not math.isnan(r["p_fisher"])]
    m = len(judged)
    running = 0.0
    for i, r in enumerate(sorted(judged, key=lambda r: r["p_fisher"])):
        running = max(running, min(1.0, (m - i) * r["p_fisher"]))
        r["p_holm"] = running


# --------------------------------------------------------------------------------------------------
# Follow-up (coaching / sanction) list
# --------------------------------------------------------------------------------------------------

def follow_up_list(results: pd.DataFrame, pegawai: pd.DataFrame, cycle, *,
                   rules: AwardRules | None = None) -> pd.DataFrame:
    """Return the people whose decided predikat calls for follow-up, with the action, its source and the dates.

    One row per person with a ditetapkan predikat Butuh Perbaikan, Kurang/Misconduct or Sangat Kurang (as
    penghargaan.yaml ``tindak_lanjut`` lists): ``tindakan``, ``tinjauan_disiplin`` (discipline review flag),
    ``tenggat_tindak_lanjut`` = cycle end + ``tenggat_bulan``; and, where a ``masa_perbaikan`` rule applies
    (PP 30/2019 for pejabat administrasi, pelaksana included, and fungsional; UU 5/2014 Pasal 118 for JPT),
    the improvement window from the cycle end, then what follows. A provisional predikat calls for nothing:
    those people are listed by :func:`pending_decisions`.
    """
    rules = rules or load_rules()
    base = _base_frame(results, pegawai)
    base = base[base["predikat"].isin(rules.tindak_lanjut) & ~_provisional(base)].copy()
    end = _to_date(cycle.tanggal_selesai)
    rows = []
    for r in base.to_dict("records"):
        rule = rules.tindak_lanjut[r["predikat"]]
        window = next((w for w in rules.masa_perbaikan if w.applies(r)), None)
        sources = [rule.sumber] + ([window.sumber] if window else [])
        note = []
        if window:
            note.append(f"masa perbaikan kinerja {window.bulan} bulan ({window.sumber}); {window.sesudahnya}")
        if rule.tinjauan_disiplin:
            note.append("perlu telaah dugaan pelanggaran disiplin (PP 94/2021)")
        rows.append({
            "nip": r["nip"], "nama": r.get("nama"), "unit_id": r.get("unit_id"), "opd": r.get("opd"),
            "jabatan": r.get("jabatan"), "jenis_jabatan": r.get("jenis_jabatan"), "predikat": r["predikat"],
            "tindakan": rule.tindakan, "tinjauan_disiplin": rule.tinjauan_disiplin,
            "tenggat_tindak_lanjut": add_months(end, rule.tenggat_bulan).isoformat(),
            "masa_perbaikan": window is not None,
            "masa_perbaikan_mulai": end.isoformat() if window else None,
            "masa_perbaikan_selesai": add_months(end, window.bulan).isoformat() if window else None,
            "sesudah_masa_perbaikan": window.sesudahnya if window else None,
            "dasar": "; ".join(sources), "keterangan": "; ".join(note),
        })
    order = {p: i for i, p in enumerate(rules.predikat_urut)}
    out = pd.DataFrame(rows, columns=["nip", "nama", "unit_id", "opd", "jabatan", "jenis_jabatan", "predikat",
                                      "tindakan", "tinjauan_disiplin", "tenggat_tindak_lanjut", "masa_perbaikan",
                                      "masa_perbaikan_mulai", "masa_perbaikan_selesai", "sesudah_masa_perbaikan",
                                      "dasar", "keterangan"])
    if len(out):
        out = (out.assign(_o=out["predikat"].map(order))
               .sort_values(["_o", "opd", "nama"], ascending=[False, True, True], kind="mergesort")
               .drop(columns="_o"))
    return out.reset_index(drop=True)


def pending_decisions(results: pd.DataFrame, pegawai: pd.DataFrame) -> pd.DataFrame:
    """Return the people whose predikat still rests on the 360 suggestion, with their Pejabat Penilai.

    The provisional predikat itself is not shown: until the Pejabat Penilai decides, nothing is said about
    the person. Columns: nip, nama, opd, unit_id, jabatan, pejabat_penilai, keterangan.
    """
    base = _base_frame(results, pegawai)
    waiting = base[_provisional(base)]
    out = pd.DataFrame({"nip": waiting["nip"], "nama": waiting.get("nama"), "opd": waiting.get("opd"),
                        "unit_id": waiting.get("unit_id"), "jabatan": waiting.get("jabatan"),
                        "pejabat_penilai": waiting["nip"].map(_penilai_names(pegawai)),
                        "keterangan": f"Rating Perilaku Kerja {MENUNGGU}"})
    return out.sort_values(["opd", "unit_id", "nama"], na_position="last", kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Satyalancana Karya Satya
# --------------------------------------------------------------------------------------------------

def _empty_cltn() -> pd.DataFrame:
    return pd.DataFrame(columns=["nip", "tanggal_mulai", "tanggal_selesai"])


def satyalancana_list(pegawai: pd.DataFrame, disiplin: pd.DataFrame | None, tanggal_acuan: date | str, *,
                      sejak: date | str | None = None, cltn: pd.DataFrame | None = None,
                      diterima: pd.DataFrame | None = None, rules: AwardRules | None = None) -> pd.DataFrame:
    """Return the PNS who reach 10/20/30 years of unbroken service in the award period (``sejak``, ``tanggal_acuan``].

    ``sejak`` defaults to 31 December of the year before ``tanggal_acuan`` (the award period is that
    calendar year); pass an early date to list every tier ever reached. Only active pegawai whose
    status_kepegawaian is listed in penghargaan.yaml (PNS) are considered. Unbroken service starts at
    TMT CPNS; a CLTN period (``cltn``: nip, tanggal_mulai, tanggal_selesai) restarts it on the day after
    the period ends (``cltn: memutus``) or only removes its days (``cltn: dikurangkan``); a person on CLTN
    at ``tanggal_acuan`` is not listed. ``tingkat`` is the highest tier whose anniversary falls in the period
    (:func:`anniversary`: the day counts, 29 Feb turns over on 1 Mar). ``layak`` is False, with the reason,
    for anyone who ever had a sedang/berat penalty (starting on or before ``tanggal_acuan``) and for a tier
    already received (``diterima``: nip, tingkat, tahun). PNS without TMT CPNS are listed as not computable.
    """
    rules = rules or load_rules()
    on = _to_date(tanggal_acuan)
    since = _to_date(sejak) or date(on.year - 1, 12, 31)
    cfg = rules.satyalancana
    tiers = sorted(cfg["tahun"])
    peg = pegawai.copy()
    if "aktif" in peg:
        peg = peg[peg["aktif"].fillna(0).astype(int) == 1]
    allowed = cfg.get("status_kepegawaian", ["PNS"])
    status = peg["status_kepegawaian"] if "status_kepegawaian" in peg else pd.Series("PNS", index=peg.index)
    peg = peg[status.fillna("PNS").isin(allowed)]
    peg["opd"] = _opd(peg)
    breaks = cltn if cltn is not None and len(cltn) else _empty_cltn()
    breaks = breaks[breaks["tanggal_mulai"] <= on.isoformat()]
    mode = cfg.get("cltn", "memutus")
    start_of, on_leave, leave_days = {}, set(), {}
    for nip, a, b in zip(breaks["nip"], breaks["tanggal_mulai"], breaks["tanggal_selesai"]):
        end = _to_date(b)
        if end is None or end >= on:
            on_leave.add(nip)
            continue
        restart = end + timedelta(days=1)
        start_of[nip] = max(start_of.get(nip, restart), restart)
        leave_days[nip] = leave_days.get(nip, 0) + (end - _to_date(a)).days + 1
    got: dict[str, dict[int, Any]] = {}
    if diterima is not None and len(diterima):
        for nip, t, y in zip(diterima["nip"], diterima["tingkat"], diterima.get("tahun", pd.Series(None, index=diterima.index))):
            got.setdefault(nip, {})[int(t)] = None if pd.isna(y) else int(y)
    d = disiplin if disiplin is not None and len(disiplin) else _empty_disiplin()
    bad = d[d["tingkat"].isin(cfg["tingkat_disiplin_menggugurkan"]) & (d["tanggal_mulai"] <= on.isoformat())]
    penalties: dict[str, list[str]] = {}
    for nip, t, j, a in zip(bad["nip"], bad["tingkat"], bad["jenis_hukuman"], bad["tanggal_mulai"]):
        penalties.setdefault(nip, []).append(f"hukuman disiplin {t} ({j}, mulai {a})")
    rows = []
    for r in peg.to_dict("records"):
        nip = r["nip"]
        base = {"nip": nip, "nama": r.get("nama"), "unit_id": r.get("unit_id"), "opd": r.get("opd"),
                "jabatan": r.get("jabatan"), "tmt_cpns": r.get("tmt_cpns")}
        tmt = _to_date(r.get("tmt_cpns"))
        if tmt is None:
            rows.append({**base, "mulai_tanpa_putus": None, "masa_kerja_tahun": None, "tingkat": None,
                         "tanggal_capai": None, "tingkat_berikut": None, "tanggal_berikut": None, "layak": False,
                         "alasan": "TMT CPNS tidak tercatat; masa kerja tidak dapat dihitung"})
            continue
        if nip in on_leave:
            continue
        start, note = tmt, ""
        if nip in start_of and mode == "memutus":
            start = max(tmt, start_of[nip])
            note = f"; dihitung sejak kembali dari CLTN pada {start.isoformat()} [{cfg.get('sumber_cltn', '')}]"
        elif nip in leave_days and mode == "dikurangkan":
            start = tmt + timedelta(days=leave_days[nip])
            note = f"; {leave_days[nip]} hari CLTN tidak dihitung [{cfg.get('sumber_cltn', '')}]"
        in_period = [t for t in tiers if since < anniversary(start, t) <= on]
        if not in_period:
            continue
        reached = max(in_period)
        reached_on = anniversary(start, reached)
        years = int(completed_years(pd.Series([start.isoformat()]), on).iloc[0])
        later = [t for t in tiers if t > reached]
        nxt = later[0] if later else None
        reason = (f"masa kerja tanpa putus {years} tahun per {on.isoformat()}; genap {reached} tahun pada "
                  f"{reached_on.isoformat()} (TMT CPNS {tmt.isoformat()}{note})")
        problems = []
        if reached in got.get(nip, {}):
            year = got[nip][reached]
            problems.append(f"Satyalancana {reached} tahun sudah diterima" + (f" ({year})" if year else ""))
        if penalties.get(nip):
            problems.append(f"pernah dijatuhi {'; '.join(penalties[nip])}")
        if problems:
            reason = f"Tidak layak: {'; '.join(problems)} [{cfg['sumber']}]; {reason}"
        else:
            reason = (f"Layak: {reason}; tingkat ini belum pernah diterima; tidak pernah dijatuhi hukuman disiplin "
                      f"sedang/berat [{cfg['sumber']}]")
        rows.append({**base, "mulai_tanpa_putus": start.isoformat(), "masa_kerja_tahun": years, "tingkat": reached,
                     "tanggal_capai": reached_on.isoformat(), "tingkat_berikut": nxt,
                     "tanggal_berikut": anniversary(start, nxt).isoformat() if nxt else None,
                     "layak": not problems, "alasan": reason})
    out = pd.DataFrame(rows, columns=["nip", "nama", "unit_id", "opd", "jabatan", "tmt_cpns", "mulai_tanpa_putus",
                                      "masa_kerja_tahun", "tingkat", "tanggal_capai", "tingkat_berikut",
                                      "tanggal_berikut", "layak", "alasan"])
    for col in ("tingkat", "tingkat_berikut", "masa_kerja_tahun"):
        out[col] = out[col].astype("Int64")
    out.attrs["periode"] = f"{(since + timedelta(days=1)).isoformat()} s.d. {on.isoformat()}"
    return out.sort_values(["tingkat", "tanggal_capai", "nip"], ascending=[False, True, True],
                           na_position="last").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Talent 9-box
# --------------------------------------------------------------------------------------------------

def nine_box(riwayat: pd.DataFrame, potensi: pd.DataFrame | None, *, pegawai: pd.DataFrame | None = None,
             tanggal_acuan: date | str | None = None, menunggu=(), rules: AwardRules | None = None) -> pd.DataFrame:
    """Return each person's talent box (PermenPANRB 3/2020): kinerja axis x potensi, box number, talent pool.

    Kinerja axis: predikat mapped by ``kinerja_dari_predikat`` (Sangat Baik -> di atas, Baik -> sesuai,
    lower -> di bawah) over the last ``jumlah_periode`` recorded cycles: the mean of the codes (di bawah 1,
    sesuai 2, di atas 3) rounded to the nearest, halves rounded down (N = 1: the latest predikat).
    Potensi: the latest assessment (on or before ``tanggal_acuan`` when given). People in ``pegawai``
    (or in the history) without either axis get no box, with the reason in ``keterangan``. ``riwayat``
    must hold decided predikat only (:func:`history_with_current`); people in ``menunggu`` (whose
    current predikat is still provisional) get no box until it is decided.
    """
    rules = rules or load_rules()
    code = {a: i + 1 for i, a in enumerate(KINERJA_AXIS)}
    hist = riwayat[riwayat["predikat"].notna()].sort_values(["nip", "tanggal_selesai"], ascending=[True, False])
    hist = hist.groupby("nip", sort=False).head(rules.jumlah_periode_kinerja).copy()
    hist["kode"] = hist["predikat"].map(rules.kinerja_dari_predikat).map(code).astype(float)
    hist["dasar"] = hist["predikat"] + " (" + hist["nama_siklus"].astype(str) + ")"
    per = hist.groupby("nip", sort=False).agg(kode=("kode", "mean"), dasar_kinerja=("dasar", "; ".join))
    per["kinerja"] = np.ceil(per["kode"] - 0.5).astype(int).map({v: k for k, v in code.items()})
    pot = potensi if potensi is not None else pd.DataFrame(columns=["nip", "tanggal", "kategori"])
    on = _to_date(tanggal_acuan)
    if on is not None:
        pot = pot[pot["tanggal"] <= on.isoformat()]
    pot = pot.sort_values(["nip", "tanggal"]).groupby("nip").tail(1).set_index("nip")
    if pegawai is not None:
        people = pegawai[["nip"] + [c for c in ("nama", "unit_id", "jabatan") if c in pegawai]].copy()
        if "aktif" in pegawai:
            people = people[pegawai["aktif"].fillna(0).astype(int).to_numpy() == 1]
    else:
        people = pd.DataFrame({"nip": sorted(set(per.index) | set(pot.index))})
    out = people.copy()
    out["kinerja"] = out["nip"].map(per["kinerja"])
    out["dasar_kinerja"] = out["nip"].map(per["dasar_kinerja"])
    out["potensi"] = out["nip"].map(pot["kategori"])
    out["tanggal_potensi"] = out["nip"].map(pot["tanggal"])
    lookup = rules._box_lookup()
    boxes = [lookup.get((k, p)) if isinstance(k, str) and isinstance(p, str) else None
             for k, p in zip(out["kinerja"], out["potensi"])]
    waiting = out["nip"].isin(set(menunggu)).to_numpy()
    boxes = [None if w else b for b, w in zip(boxes, waiting)]
    out["kotak"] = pd.array(boxes, dtype="Int64")
    out["kelompok_talenta"] = out["kotak"].isin(rules.kelompok_talenta).fillna(False).astype(bool)
    out["menunggu_penetapan"] = waiting
    notes = []
    for k, p, box, w in zip(out["kinerja"], out["potensi"], out["kotak"], waiting):
        missing = []
        if w:
            missing.append(f"predikat periode ini {MENUNGGU}")
        elif not isinstance(k, str):
            missing.append("predikat kinerja belum tercatat")
        if not isinstance(p, str):
            missing.append("potensi belum dinilai")
        notes.append("; ".join(missing) if missing
                     else f"Kotak {box}: kinerja {k} ekspektasi, potensi {p}"
                          + (" (kelompok talenta)" if box in rules.kelompok_talenta else ""))
    out["keterangan"] = notes
    return out.sort_values(["kotak", "nip"], ascending=[False, True], na_position="last").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Database loaders and the whole report
# --------------------------------------------------------------------------------------------------

@dataclass
class AwardInputs:
    """Everything the award analyses read from the database for one cycle."""

    cycle: Any
    results: pd.DataFrame
    pegawai: pd.DataFrame
    disiplin: pd.DataFrame
    potensi: pd.DataFrame
    riwayat: pd.DataFrame
    sd_penilai: float | None = None
    cltn: pd.DataFrame = field(default_factory=_empty_cltn)
    satyalancana_diterima: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["nip", "tingkat",
                                                                                            "tahun"]))


def _frame(db, sql: str, params: list | None = None) -> pd.DataFrame:
    cur = db.execute(sql, params or [])
    return pd.DataFrame(cur.fetchall(), columns=[c[0] for c in cur.description])


def _scoring_results(db, cycle) -> pd.DataFrame:
    """Return the stored scoring results, or (without writing anything) the cycle scored in memory."""
    from . import scoring

    results = scoring.load_results(db, cycle.id)
    if results is None or results.empty:
        results = scoring.run_scoring(db, cycle.id, persist=False).results
    if results is None or results.empty:
        raise KinerjaError(f"Hasil skor siklus '{cycle.nama}' belum ada; hitung skor terlebih dahulu")
    return results


def rater_sd(db, cycle_id: int) -> float | None:
    """Return the pooled within-ratee, within-group SD of raters' mean BerAKHLAK scores (None if too few).

    Each non-self rater's mean over the items they scored; deviations from the mean of the same ratee and
    relation group; pooled over all groups with at least two raters.
    """
    frame = _frame(db, """
        SELECT a.ratee_nip, a.relation, AVG(r.score) AS m
        FROM assignment a JOIN response r ON r.assignment_id = a.id
        WHERE a.cycle_id = ? AND a.relation <> 'diri' AND a.aktif = 1 AND a.status = 'terkirim'
          AND r.score IS NOT NULL AND r.item LIKE 'B%'
        GROUP BY a.id""", [cycle_id])
    if frame.empty:
        return None
    g = frame.groupby(["ratee_nip", "relation"])["m"]
    dev = frame["m"] - g.transform("mean")
    dof = int((g.size() - 1).clip(lower=0).sum())
    return float(np.sqrt((dev ** 2).sum() / dof)) if dof >= 10 else None


def load_inputs(db, cycle: int | str | None = None, *, results: pd.DataFrame | None = None) -> AwardInputs:
    """Return the cycle, scoring results and pegawai/disiplin/potensi/history frames from the database.

    ``results`` defaults to the stored scoring results (computed through ``kinerja_lib.scoring`` when
    missing). Raises CycleError for an unknown cycle and KinerjaError when no results can be had.
    """
    from .cycle import get_cycle
    from .predikat import predikat_kinerja

    c = get_cycle(db, cycle)
    if results is None:
        results = _scoring_results(db, c)
    results = results.copy()
    # The status is re-read from the decisions themselves, so a decision recorded after the last scoring
    # run already counts (and one withdrawn no longer does).
    decided = {r[0] for r in db.execute("SELECT nip FROM rating_perilaku WHERE cycle_id = ?", [c.id]).fetchall()}
    results["status_predikat"] = np.where(results["predikat"].isna(), None,
                                          np.where(results["nip"].isin(decided), DITETAPKAN, SEMENTARA))
    pegawai = _frame(db, "SELECT nip, nama, jenis_kelamin, unit_id, jabatan, jenis_jabatan, jenjang, golongan, "
                         "tmt_cpns, status_kepegawaian, atasan_nip, aktif FROM pegawai")
    pegawai["opd"] = load_tree(db).opd_of(pegawai["unit_id"])
    disiplin = _frame(db, "SELECT nip, tingkat, jenis_hukuman, tanggal_mulai, tanggal_selesai FROM disiplin")
    potensi = _frame(db, "SELECT nip, tanggal, kategori FROM potensi")
    past = _frame(db, """
        SELECT h.nip, h.cycle_id, c.nama AS nama_siklus, c.periode, c.tanggal_selesai,
               h.rating AS rating_hasil_kerja, p.rating AS rating_perilaku
        FROM rating_hasil_kerja h
        JOIN rating_perilaku p ON p.cycle_id = h.cycle_id AND p.nip = h.nip
        JOIN cycle c ON c.id = h.cycle_id
        WHERE h.cycle_id <> ?""", [c.id])
    past["predikat"] = [predikat_kinerja(a, b) for a, b in zip(past["rating_hasil_kerja"], past["rating_perilaku"])]
    cltn = _frame(db, "SELECT nip, tanggal_mulai, tanggal_selesai FROM cltn")
    diterima = _frame(db, "SELECT nip, tingkat, tahun FROM satyalancana_diterima")
    return AwardInputs(c, results, pegawai, disiplin, potensi, past.drop(columns=["rating_hasil_kerja",
                                                                                  "rating_perilaku"]),
                       rater_sd(db, c.id), cltn, diterima)


@dataclass
class AwardReport:
    """Every award-committee list for one cycle, ready to show or export.

    ``menunggu`` lists everyone whose predikat is still provisional (no consequence list holds them).
    """

    shortlist: Shortlist
    fairness: pd.DataFrame
    follow_up: pd.DataFrame
    satyalancana: pd.DataFrame
    nine_box: pd.DataFrame
    settings: dict[str, Any]
    dibuat: str
    menunggu: pd.DataFrame = field(default_factory=pd.DataFrame)


def build_report(inputs: AwardInputs, *, penghargaan: str = "asn_berprestasi", k: int = 10,
                 kuota_per_unit: int | None = None, tanggal_acuan: date | str | None = None,
                 satyalancana_sejak: date | str | None = None, n_sim: int | None = None,
                 seed: int | None = None, rules: AwardRules | None = None) -> AwardReport:
    """Return the shortlist, fairness table, follow-up list, Satyalancana list and 9-box for the inputs."""
    rules = rules or load_rules()
    cyc = inputs.cycle
    short = shortlist(inputs.results, inputs.pegawai, inputs.disiplin, cyc, riwayat=inputs.riwayat,
                      penghargaan=penghargaan, k=k, kuota_per_unit=kuota_per_unit, tanggal_acuan=tanggal_acuan,
                      n_sim=n_sim, seed=seed, sd_penilai=inputs.sd_penilai, rules=rules)
    on = short.settings["tanggal_acuan"]
    fair = fairness_report(short.eligibility, rules)
    follow = follow_up_list(inputs.results, inputs.pegawai, cyc, rules=rules)
    sejak = satyalancana_sejak or (_to_date(cyc.tanggal_mulai) - timedelta(days=1))
    satya = satyalancana_list(inputs.pegawai, inputs.disiplin, on, sejak=sejak, cltn=inputs.cltn,
                              diterima=inputs.satyalancana_diterima, rules=rules)
    history = history_with_current(inputs.results, inputs.riwayat, cyc)
    waiting = pending_decisions(inputs.results, inputs.pegawai)
    box = nine_box(history, inputs.potensi, pegawai=inputs.pegawai, tanggal_acuan=on, menunggu=waiting["nip"],
                   rules=rules)
    k = rules.keadilan
    settings = {**short.settings,
                "keadilan": f"aturan {k['ambang_rasio']:.0%} (4/5) dengan uji eksak Fisher dua sisi (koreksi Holm, "
                            f"alfa {k['alfa']}); kelompok dinilai bila >= {k['ukuran_minimal']} orang dan >= "
                            f"{k['harapan_minimal']} terpilih yang diharapkan; tahap kelayakan dan daftar pendek; "
                            f"dilaporkan, tidak dipaksakan [{k['sumber']}]",
                "satyalancana": f"{'/'.join(str(t) for t in rules.satyalancana['tahun'])} tahun masa kerja tanpa "
                                f"putus tercapai dalam periode {satya.attrs.get('periode', '')}; "
                                f"{'/'.join(rules.satyalancana.get('status_kepegawaian', ['PNS']))} saja; CLTN "
                                f"{rules.satyalancana.get('cltn', 'memutus')} [{rules.satyalancana['sumber']}]",
                "kotak_talenta": f"kinerja dari {rules.jumlah_periode_kinerja} periode terakhir (predikat yang "
                                 f"ditetapkan saja); potensi terbaru; kelompok talenta kotak "
                                 f"{', '.join(map(str, rules.kelompok_talenta))} [{rules.sumber_talenta}]",
                "menunggu_penetapan": f"{len(waiting)} pegawai: predikat masih sementara (saran 360), tidak masuk "
                                      "daftar penghargaan, tindak lanjut, maupun kelompok talenta"}
    return AwardReport(short, fair, follow, satya, box, settings, date.today().isoformat(), waiting)


def fairness_report(eligibility: pd.DataFrame, rules: AwardRules | None = None) -> pd.DataFrame:
    """Return :func:`fairness` at both stages of an award list: who is eligible (``layak``) and who is
    shortlisted (``terpilih``), over everyone assessed in the cycle, with the rules of penghargaan.yaml."""
    rules = rules or load_rules()
    k = rules.keadilan
    parts = []
    for stage, column in (("kelayakan", "layak"), ("daftar pendek", "terpilih")):
        part = fairness(eligibility, selected=column, threshold=float(k["ambang_rasio"]), alpha=float(k["alfa"]),
                        min_group=int(k["ukuran_minimal"]), min_expected=float(k["harapan_minimal"]))
        parts.append(part.assign(tahap=stage))
    out = pd.concat(parts, ignore_index=True)
    return out[["tahap", *FAIRNESS_COLUMNS]]


def award_report(db, cycle: int | str | None = None, **kwargs) -> AwardReport:
    """Return :func:`build_report` on the database's inputs for ``cycle`` (default: newest open cycle).

    Raises KinerjaError for an unknown award list before anything is read or scored.
    """
    _award(kwargs.get("rules") or load_rules(), kwargs.get("penghargaan", "asn_berprestasi"))
    return build_report(load_inputs(db, cycle), **kwargs)


# --------------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------------

def plot_rank_intervals(table: pd.DataFrame, top: int = 20, ax=None):
    """Plot the simulated rank interval of the first ``top`` candidates; return the Axes."""
    import matplotlib.pyplot as plt

    rows = table[table["peringkat"].notna()].head(top)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.35 * max(len(rows), 4) + 1.2))
    y = np.arange(len(rows))[::-1]
    lo = rows["peringkat_p05"].astype(float).to_numpy()
    hi = rows["peringkat_p95"].astype(float).to_numpy()
    rank = rows["peringkat"].astype(float).to_numpy()
    colors = np.where(rows["terpilih"].astype(bool), "tab:blue", "tab:gray")
    ax.hlines(y, lo, hi, colors=colors, linewidth=3, alpha=0.6)
    ax.scatter(rank, y, c=colors, zorder=3)
    labels = [f"{n} (P={_fmt(p)})" for n, p in zip(rows["nama"], rows["p_k_teratas"])]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("Peringkat (1 = terbaik); garis = rentang persentil 5-95 dari simulasi")
    ax.set_title("Ketidakpastian peringkat calon (biru = masuk daftar pendek)")
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_nine_box(boxes: pd.DataFrame, rules: AwardRules | None = None, ax=None):
    """Plot the 9-box grid with the number of people per box; talent-pool boxes shaded. Return the Axes."""
    import matplotlib.pyplot as plt

    rules = rules or load_rules()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    counts = boxes["kotak"].dropna().astype(int).value_counts()
    for box, (k, p) in rules.kotak.items():
        x, y = KINERJA_AXIS.index(k), POTENSI_AXIS.index(p)
        pool = box in rules.kelompok_talenta
        ax.add_patch(plt.Rectangle((x, y), 1, 1, facecolor="#cfe8cf" if pool else "#f2f2f2", edgecolor="black"))
        ax.text(x + 0.5, y + 0.62, f"Kotak {box}", ha="center", va="center", fontsize=10, weight="bold")
        ax.text(x + 0.5, y + 0.35, f"{int(counts.get(box, 0))} orang", ha="center", va="center", fontsize=11)
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_xticks([0.5, 1.5, 2.5], [f"{a.capitalize()} ekspektasi" for a in KINERJA_AXIS])
    ax.set_yticks([0.5, 1.5, 2.5], [a.capitalize() for a in POTENSI_AXIS])
    ax.set_xlabel("Kinerja")
    ax.set_ylabel("Potensi")
    missing = int(boxes["kotak"].isna().sum())
    ax.set_title("Kotak talenta (PermenPANRB 3/2020); hijau = kelompok talenta"
                 + (f"\n{missing} pegawai belum dapat dipetakan" if missing else ""))
    return ax


# --------------------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------------------

SHORTLIST_COLUMNS = {
    "peringkat": "Peringkat", "terpilih": "Masuk daftar pendek", "nip": "NIP", "nama": "Nama",
    "opd": "Perangkat daerah", "unit_id": "Unit", "jabatan": "Jabatan", "predikat": "Predikat",
    "skor": "Skor 360 (mentah)", "skor_adj": "Skor disesuaikan", "se": "SE skor", "rerata_unit": "Rerata unit",
    "rerata_posterior": "Rerata posterior", "sd_posterior": "SD posterior", "p_k_teratas": "Peluang masuk k teratas",
    "peringkat_p05": "Peringkat P5", "peringkat_p95": "Peringkat P95", "alasan": "Alasan",
}


def _settings_frame(report: AwardReport) -> pd.DataFrame:
    rows = [("dibuat", report.dibuat)] + [(k, "" if v is None else str(v)) for k, v in report.settings.items()]
    return pd.DataFrame(rows, columns=["pengaturan", "nilai"])


def export_xlsx(report: AwardReport, path: str | Path) -> Path:
    """Write the shortlist (with reasons), eligibility, fairness, follow-up, Satyalancana, 9-box and settings."""
    from .export import Sheet, write_xlsx

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
        lines.append(("body", f"Predikat {r['predikat']}; skor mentah {_fmt(r['skor'])}; skor disesuaikan "
                              f"{_fmt(r['skor_adj'])}; SE {_fmt(r['se'])}; rerata posterior "
                              f"{_fmt(r['rerata_posterior'])} (SD {_fmt(r['sd_posterior'])}); P(k teratas) "
                              f"{_fmt(r['p_k_teratas'])}; rentang peringkat P5-P95 {span}"))
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
