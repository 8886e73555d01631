"""Loads and validates the versioned reference data: instrument, scale, competencies, kuadran, rules."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from . import config
from .errors import ReferenceDataError
from .vocabulary import load_vocabulary


@dataclass(frozen=True)
class Item:
    """One behaviour indicator of the instrument, e.g. ``B1.2``."""

    kode: str
    teks: str
    nilai: str  # code of the BerAKHLAK value it belongs to


@dataclass(frozen=True)
class Value:
    """One BerAKHLAK core value with its three indicators."""

    kode: str
    nama: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Instrument:
    """The BerAKHLAK behaviour instrument (7 values x 3 indicators)."""

    versi: str
    sumber: str
    values: tuple[Value, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for v in self.values for i in v.items)

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(i.kode for i in self.items)

    def value_of(self) -> dict[str, str]:
        """Return ``{item code: value code}``."""
        return {i.kode: i.nilai for i in self.items}

    def value_names(self) -> dict[str, str]:
        """Return ``{value code: value name}``."""
        return {v.kode: v.nama for v in self.values}


@dataclass(frozen=True)
class Scale:
    """The rating scale: integer points with labels, plus the "tidak dapat menilai" option."""

    versi: str
    min: int
    max: int
    labels: dict[int, str]
    tidak_dapat_menilai: str

    @property
    def points(self) -> tuple[int, ...]:
        return tuple(range(self.min, self.max + 1))

    @property
    def range(self) -> int:
        return self.max - self.min


@dataclass(frozen=True)
class Competency:
    """One competency of the dictionary with its 1-5 level descriptors."""

    kode: str
    nama: str
    jenis: str  # manajerial / sosial_kultural / teknis
    levels: dict[int, str]


@dataclass(frozen=True)
class CompetencyDictionary:
    versi: str
    sumber: str
    competencies: tuple[Competency, ...]

    def by_code(self) -> dict[str, Competency]:
        return {c.kode: c for c in self.competencies}


@dataclass(frozen=True)
class JabatanType:
    """A recognised jenis (and jenjang) jabatan with its peer tier and default standard level."""

    kode: str
    jenjang: str | None
    tingkat: int
    level_standar: int
    kepala_unit: bool


@dataclass(frozen=True)
class Kuadran:
    """The kuadran kinerja: (Rating Hasil Kerja, Rating Perilaku Kerja) -> Predikat Kinerja."""

    sumber: str
    ratings: tuple[str, ...]
    predikat: tuple[str, ...]
    table: dict[tuple[str, str], str]


@dataclass(frozen=True)
class DistributionRule:
    """One rule of the SE MenPANRB 3/2023 distribution guide for a Predikat Kinerja Organisasi."""

    predikat_organisasi: str
    predikat: tuple[str, ...]
    batas: str  # "paling_banyak" or "paling_sedikit"
    proporsi: float | None
    minimal_orang: int | None

    def describe(self) -> str:
        """Return the rule as Indonesian text, e.g. ``Sangat Baik paling banyak 70%``."""
        which = " + ".join(self.predikat)
        if self.batas == "lebih_dari":
            return f"{which} sebagian besar (lebih dari {self.proporsi:.0%})"
        kata = "paling banyak" if self.batas == "paling_banyak" else "paling sedikit"
        if self.minimal_orang is not None:
            return f"{which} {kata} {self.minimal_orang} orang"
        return f"{which} {kata} {self.proporsi:.0%}"


@dataclass(frozen=True)
class DistributionGuide:
    sumber: str
    predikat_organisasi: tuple[str, ...]
    rules: dict[str, tuple[DistributionRule, ...]]
    alias: dict[str, str]
    head_rating: dict[str, str]

    def canonical(self, label: str) -> str | None:
        """Return the canonical Predikat Kinerja Organisasi for a label or an accepted alias, else None.

        >>> load_distribution_guide().canonical("Butuh Perbaikan (Cukup)")
        'Butuh Perbaikan'
        """
        text = " ".join(str(label).split())
        for known in (*self.predikat_organisasi, *self.alias):
            if known.casefold() == text.casefold():
                return self.alias.get(known, known)
        return None


# libyaml's safe loader where PyYAML was built with it: the same documents, about ten times faster (every
# command reads several of these files, 0.4 s with the pure-Python loader).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(name: str, directory: Path | None) -> dict[str, Any]:
    path = (directory or config.reference_dir()) / name
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_SAFE_LOADER)
    except FileNotFoundError:
        raise ReferenceDataError(f"{path}: berkas data referensi tidak ditemukan") from None
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{path}: YAML tidak valid: {exc}") from None
    if not isinstance(data, dict):
        raise ReferenceDataError(f"{path}: isi berkas harus berupa pemetaan (mapping)")
    return data


def _require(data: dict, key: str, name: str, kind: type | tuple[type, ...] = object):
    if key not in data:
        raise ReferenceDataError(f"{name}: kunci '{key}' wajib ada")
    value = data[key]
    if not isinstance(value, kind):
        raise ReferenceDataError(f"{name}: kunci '{key}' bertipe salah ({type(value).__name__})")
    return value


def _unique(codes: list[str], name: str, what: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ReferenceDataError(f"{name}: {what} '{code}' ganda")
        seen.add(code)


@lru_cache(maxsize=8)
def load_instrument(directory: Path | None = None) -> Instrument:
    """Return the BerAKHLAK instrument; raises ReferenceDataError if the file is malformed."""
    name = "instrumen_berakhlak.yaml"
    data = _load(name, directory)
    values = []
    for v in _require(data, "nilai", name, list):
        kode, nama = str(_require(v, "kode", name)), str(_require(v, "nama", name))
        items = tuple(
            Item(str(_require(i, "kode", name)), str(_require(i, "teks", name)), kode)
            for i in _require(v, "indikator", name, list)
        )
        if not items:
            raise ReferenceDataError(f"{name}: nilai '{kode}' tidak punya indikator")
        values.append(Value(kode, nama, items))
    inst = Instrument(str(_require(data, "versi", name)), str(data.get("sumber", "")), tuple(values))
    _unique([v.kode for v in inst.values], name, "kode nilai")
    _unique(list(inst.item_codes), name, "kode butir")
    return inst


@lru_cache(maxsize=8)
def load_scale(directory: Path | None = None) -> Scale:
    """Return the rating scale; raises ReferenceDataError if labels do not cover min..max."""
    name = "skala.yaml"
    data = _load(name, directory)
    lo, hi = int(_require(data, "min", name)), int(_require(data, "max", name))
    labels = {int(k): str(v) for k, v in _require(data, "label", name, dict).items()}
    if lo >= hi or set(labels) != set(range(lo, hi + 1)):
        raise ReferenceDataError(f"{name}: label harus tepat untuk setiap titik {lo}..{hi}")
    from .store import SCORE_RANGE

    if (lo, hi) != SCORE_RANGE:
        raise ReferenceDataError(f"{name}: skala {lo}..{hi} berbeda dari skala yang dikunci basis data "
                                 f"({SCORE_RANGE[0]}..{SCORE_RANGE[1]}); mengubah rentang skala butuh migrasi skema")
    return Scale(str(_require(data, "versi", name)), lo, hi, labels,
                 str(_require(data, "tidak_dapat_menilai", name)))


@lru_cache(maxsize=8)
def load_competencies(directory: Path | None = None) -> CompetencyDictionary:
    """Return the competency dictionary (PermenPANRB 38/2017) with level descriptors 1-5."""
    name = "kompetensi.yaml"
    data = _load(name, directory)
    comps = []
    for c in _require(data, "kompetensi", name, list):
        levels = {int(k): str(v) for k, v in _require(c, "level", name, dict).items()}
        kode = str(_require(c, "kode", name))
        if set(levels) != {1, 2, 3, 4, 5}:
            raise ReferenceDataError(f"{name}: kompetensi '{kode}' harus punya deskripsi level 1-5")
        comps.append(Competency(kode, str(_require(c, "nama", name)), str(c.get("jenis", "manajerial")), levels))
    _unique([c.kode for c in comps], name, "kode kompetensi")
    return CompetencyDictionary(str(_require(data, "versi", name)), str(data.get("sumber", "")), tuple(comps))


@lru_cache(maxsize=8)
def load_jabatan_types(directory: Path | None = None) -> tuple[JabatanType, ...]:
    """Return the recognised jenis/jenjang jabatan with tier and default standard level."""
    name = "jabatan.yaml"
    data = _load(name, directory)
    out = []
    for j in _require(data, "jenis", name, list):
        level = int(_require(j, "level_standar", name))
        if not 1 <= level <= 5:
            raise ReferenceDataError(f"{name}: level_standar {level} di luar 1-5")
        out.append(JabatanType(str(_require(j, "kode", name)), j.get("jenjang"),
                               int(_require(j, "tingkat", name)), level, bool(j.get("kepala_unit", False))))
    _unique([f"{j.kode}|{j.jenjang}" for j in out], name, "jenis/jenjang jabatan")
    return tuple(out)


@lru_cache(maxsize=8)
def load_golongan(status: str = "PNS", directory: Path | None = None) -> tuple[str, ...]:
    """Return the recognised golongan, lowest first: golongan ruang of PNS (``III/a``) or of PPPK (``IX``)."""
    key = {"PNS": "golongan", "PPPK": "golongan_pppk"}[status]
    return tuple(str(g) for g in _require(_load("jabatan.yaml", directory), key, "jabatan.yaml", list))


@lru_cache(maxsize=8)
def load_kuadran(directory: Path | None = None) -> Kuadran:
    """Return the kuadran table; raises ReferenceDataError unless all 9 cells hold a known predikat."""
    name = "kuadran.yaml"
    data = _load(name, directory)
    moved = [k for k in ("rating", "predikat") if k in data]
    if moved:
        raise ReferenceDataError(f"{name}: kunci {', '.join(moved)} tidak lagi dipakai di sini; kode rating dan "
                                 "predikat ada di kosakata.yaml (rating, predikat_kinerja)")
    vocab = load_vocabulary(directory)
    ratings, predikat = vocab.rating.codes, vocab.predikat_kinerja.codes
    raw = _require(data, "tabel", name, dict)
    table = {}
    for hasil in ratings:
        row = raw.get(hasil)
        if not isinstance(row, dict):
            raise ReferenceDataError(f"{name}: baris '{hasil}' tidak ada")
        for perilaku in ratings:
            cell = row.get(perilaku)
            if cell not in predikat:
                raise ReferenceDataError(f"{name}: sel ({hasil}, {perilaku}) = {cell!r} bukan predikat yang dikenal")
            table[(hasil, perilaku)] = cell
    return Kuadran(str(data.get("sumber", "")), ratings, predikat, table)


@lru_cache(maxsize=8)
def load_distribution_guide(directory: Path | None = None) -> DistributionGuide:
    """Return the SE MenPANRB 3/2023 distribution rules per Predikat Kinerja Organisasi."""
    name = "distribusi.yaml"
    data = _load(name, directory)
    known = set(load_kuadran(directory).predikat)
    if "predikat_organisasi" in data:
        raise ReferenceDataError(f"{name}: kunci predikat_organisasi tidak lagi dipakai di sini; kodenya ada di "
                                 "kosakata.yaml")
    orgs = load_vocabulary(directory).predikat_organisasi.codes
    rules: dict[str, tuple[DistributionRule, ...]] = {}
    for org, items in _require(data, "aturan", name, dict).items():
        if org not in orgs:
            raise ReferenceDataError(f"{name}: predikat organisasi '{org}' tidak dikenal")
        parsed = []
        for r in items:
            pred = tuple(_require(r, "predikat", name, list))
            if not set(pred) <= known:
                raise ReferenceDataError(f"{name}: predikat {pred} tidak dikenal")
            batas = _require(r, "batas", name, str)
            if batas not in ("paling_banyak", "paling_sedikit", "lebih_dari"):
                raise ReferenceDataError(f"{name}: batas '{batas}' harus paling_banyak, paling_sedikit atau "
                                         "lebih_dari")
            prop, count = r.get("proporsi"), r.get("minimal_orang")
            if (prop is None) == (count is None):
                raise ReferenceDataError(f"{name}: aturan harus punya tepat satu dari proporsi atau minimal_orang")
            if prop is not None and not 0 <= float(prop) <= 1:
                raise ReferenceDataError(f"{name}: proporsi {prop} di luar 0..1")
            parsed.append(DistributionRule(org, pred, batas, None if prop is None else float(prop),
                                           None if count is None else int(count)))
        rules[org] = tuple(parsed)
    alias = {str(k): str(v) for k, v in (data.get("alias") or {}).items()}
    if set(alias.values()) - set(orgs):
        raise ReferenceDataError(f"{name}: alias menunjuk predikat organisasi yang tidak dikenal")
    head = {str(k): str(v) for k, v in (data.get("rating_hasil_kerja_pimpinan") or {}).items()}
    if set(head) - set(orgs) or set(head.values()) - set(load_kuadran(directory).ratings):
        raise ReferenceDataError(f"{name}: rating_hasil_kerja_pimpinan memuat label yang tidak dikenal")
    return DistributionGuide(str(data.get("sumber", "")), orgs, rules, alias, head)


def load_method_defaults(directory: Path | None = None) -> dict[str, Any]:
    """Return a fresh copy of the 360 method defaults (groups, minimums, weights, cutoffs).

    They are checked on the same path as a cycle's settings (kinerja_lib.settings.MethodSettings), so a wrong
    value gives the same message here, prefixed with the file's name, as in a cycle's settings.
    """
    from .settings import _check_defaults

    data = _method_defaults(directory)
    _check_defaults(data)
    return copy.deepcopy(data)


@lru_cache(maxsize=8)
def _method_defaults(directory: Path | None) -> dict[str, Any]:
    return _load("metode.yaml", directory)
