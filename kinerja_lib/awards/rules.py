"""The award, follow-up, Satyalancana and talent-box rules of ``penghargaan.yaml``, validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any


from ..errors import KinerjaError, ReferenceDataError
from ..reference import _load, load_jabatan_types, load_kuadran, load_vocabulary
from ..vocabulary import VOCAB


RULE_KINDS = ("pegawai_aktif", "predikat_periode_ini", "predikat_berturut", "tanpa_hukuman_disiplin_aktif",
              "cukup_penilai", "masa_kerja_minimal")
KINERJA_AXIS = ("di bawah", "sesuai", "di atas")
POTENSI_AXIS = VOCAB.kategori_potensi.codes
REASON_SEPARATOR = " | "   # between the conditions in ``alasan`` (sources may contain ';')
DITETAPKAN, SEMENTARA = VOCAB.status_predikat.codes
MENUNGGU = "menunggu penetapan Pejabat Penilai Kinerja"



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
        if not isinstance(tingkat, list) or not tingkat or set(tingkat) - set(VOCAB.tingkat_disiplin):
            raise ReferenceDataError(f"penghargaan.yaml: {where}: tingkat harus daftar dari "
                                     f"{VOCAB.tingkat_disiplin.choices()}")
    if jenis == "cukup_penilai":
        groups = params.get("kelompok_wajib", [])
        if not isinstance(groups, list) or set(groups) - set(VOCAB.relasi):
            raise ReferenceDataError(f"penghargaan.yaml: {where}: kelompok_wajib harus daftar dari "
                                     f"{VOCAB.relasi.choices()}")
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


def award_list(rules: AwardRules, kode: str) -> Penghargaan:
    if kode not in rules.penghargaan:
        raise KinerjaError(f"Daftar penghargaan '{kode}' tidak dikenal; pilihan: {', '.join(rules.penghargaan)}")
    return rules.penghargaan[kode]
