"""Synthetic demo organisation: a Surakarta-like roster, an open cycle, assignments and simulated answers.

Everything is drawn from one ``numpy.random.Generator`` seeded by the caller, so a seed gives the
same database every time. The planted truths the analyses should recover (true behaviour level,
rater leniency, self-inflation, straight-liners, the outlier rater, true competency levels) are
kept in table ``demo_truth`` of the demo cycle.

Simulation model of one answer (1-5 scale, rounded and clipped):

* BerAKHLAK item: ``perilaku[ratee] + value_profile[ratee, value] + item_offset[item]``; the value profile
  sums to zero per person and the item offsets sum to zero, so ``perilaku`` is exactly the person's level
  on the scale (what an unbiased rater gives on average);
* competency item: ``kompetensi[ratee, K]``, a whole level (1-5) as in the competency dictionary: the
  jabatan's standard level, a level below it or a level above it, driven by a person-wide competence
  and a competency-specific part;
* plus the rater's ``kelonggaran`` (others) or the person's ``inflasi_diri`` (self-rating),
* plus the rater group's effect (``GROUP_EFFECTS``: strict atasan, lenient bawahan; weighted by the
  default ``bobot`` they cancel, so the weighted reference level equals the truth's),
* plus a per-assignment halo (sd 0.25) and per-answer noise (sd 0.5).

Straight-liners give one fixed point to every item; the outlier rater answers uniformly at random;
neither has 'kelonggaran' or 'inflasi_diri' truth rows, because their answers ignore both.
About 5% of other answers are "tidak dapat menilai" (NULL).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlite_utils import Database

from .assignments import bulk_cache, generate_assignments
from .cycle import close_cycle, open_cycle
from .errors import DemoError, KinerjaError
from .reference import (load_competencies, load_golongan, load_instrument, load_method_defaults,
                        load_vocabulary)
from .items import tdm_limit
from .store import PREDIKAT_ORGANISASI, RATINGS, checked_bulk_load, now, open_db, write_transaction

#: The date against which service years are counted (Satyalancana boundaries fall on it).
REFERENCE_DATE = date(2026, 12, 31)
DEFAULT_CYCLE = "Demo Tahunan 2026"
PREVIOUS_CYCLE = "Demo Tahunan 2025"
#: The demo's year: how many cycles it builds by default (the four triwulan of REFERENCE_DATE's year) or one
#: open annual cycle (``cycles=1``, what tests and benchmarks that need a single cycle build).
YEAR_CYCLES = 4
#: Planted real change of a riser (faller) between two triwulan, in scale points: well beyond the noise of
#: one person's score (its standard error is 0.15-0.35 on the 300-pegawai demo).
STEP_CHANGE = 1.25
#: Quarter-to-quarter drift of everyone else's true level (sd, scale points): within noise.
DRIFT_SD = 0.05
MIN_PEGAWAI = 20
#: Fixed stamp for rows whose time does not matter, so that a seed gives identical databases.
STAMP = "2026-11-01T00:00:00+00:00"
_ANSWER_WINDOW_START = np.datetime64("2026-11-02T01:00:00")  # 08:00 WIB
_ANSWER_WINDOW_DAYS = 22
_ASSIGNMENT_CHUNK = 40_000
_ROW_CHUNK = 200_000

ATAS, SESUAI, BAWAH = RATINGS  # Di Atas / Sesuai / Di Bawah Ekspektasi

#: Planted rater-group effects (scale points) added to every answer of a group: atasan rate strictly,
#: bawahan leniently. With the default weights (atasan 0.4, rekan 0.3, bawahan 0.2) their weighted
#: mean is zero.
GROUP_EFFECTS = {"diri": 0.0, "atasan": -0.15, "rekan": 0.0, "bawahan": 0.3, "lainnya": 0.0}
#: Share of pegawai whose Rating Perilaku Kerja the Pejabat Penilai has recorded in the demo cycle.
DECIDED_SHARE = 0.35

# ------------------------------------------------------------------------------------------
# Synthetic vocabulary (fixture data for the demo only; not domain rules)
# ------------------------------------------------------------------------------------------

_OPD = [  # (name, title of its head; "{opd}" is replaced by the name)
    ("Sekretariat DPRD", "Sekretaris DPRD"),
    ("Inspektorat", "Inspektur"),
    ("Badan Perencanaan, Penelitian dan Pengembangan Daerah", "Kepala {opd}"),
    ("Badan Pendapatan, Pengelolaan Keuangan dan Aset Daerah", "Kepala {opd}"),
    ("Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", "Kepala {opd}"),
    ("Badan Kesatuan Bangsa dan Politik", "Kepala {opd}"),
    ("Badan Penanggulangan Bencana Daerah", "Kepala Pelaksana {opd}"),
    ("Dinas Pendidikan", "Kepala {opd}"),
    ("Dinas Kesehatan", "Kepala {opd}"),
    ("Dinas Pekerjaan Umum dan Penataan Ruang", "Kepala {opd}"),
    ("Dinas Perumahan, Kawasan Permukiman dan Pertanahan", "Kepala {opd}"),
    ("Satuan Polisi Pamong Praja", "Kepala {opd}"),
    ("Dinas Pemadam Kebakaran", "Kepala {opd}"),
    ("Dinas Sosial", "Kepala {opd}"),
    ("Dinas Tenaga Kerja", "Kepala {opd}"),
    ("Dinas Pemberdayaan Perempuan, Perlindungan Anak dan Pemberdayaan Masyarakat", "Kepala {opd}"),
    ("Dinas Pengendalian Penduduk dan Keluarga Berencana", "Kepala {opd}"),
    ("Dinas Ketahanan Pangan dan Pertanian", "Kepala {opd}"),
    ("Dinas Lingkungan Hidup", "Kepala {opd}"),
    ("Dinas Kependudukan dan Pencatatan Sipil", "Kepala {opd}"),
    ("Dinas Perhubungan", "Kepala {opd}"),
    ("Dinas Komunikasi, Informatika, Statistik dan Persandian", "Kepala {opd}"),
    ("Dinas Koperasi, Usaha Kecil dan Menengah dan Perindustrian", "Kepala {opd}"),
    ("Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", "Kepala {opd}"),
    ("Dinas Kepemudaan dan Olahraga", "Kepala {opd}"),
    ("Dinas Kebudayaan", "Kepala {opd}"),
    ("Dinas Pariwisata", "Kepala {opd}"),
    ("Dinas Perpustakaan dan Kearsipan", "Kepala {opd}"),
    ("Dinas Perdagangan", "Kepala {opd}"),
    ("RSUD Bung Karno", "Direktur {opd}"),
    ("RSUD Ibu Fatmawati Soekarno", "Direktur {opd}"),
    ("Kecamatan Banjarsari", "Camat Banjarsari"),
    ("Kecamatan Jebres", "Camat Jebres"),
    ("Kecamatan Laweyan", "Camat Laweyan"),
    ("Kecamatan Pasar Kliwon", "Camat Pasar Kliwon"),
    ("Kecamatan Serengan", "Camat Serengan"),
]
_BIDANG = ["Perencanaan dan Evaluasi", "Pelayanan", "Pengembangan Kapasitas", "Pengawasan dan Pengendalian",
           "Sarana dan Prasarana", "Data dan Informasi", "Pembinaan", "Kerja Sama", "Pemberdayaan",
           "Penegakan Peraturan", "Tata Kelola", "Pemantauan Layanan"]
_SUBBAGIAN = ["Umum dan Kepegawaian", "Keuangan", "Perencanaan, Evaluasi dan Pelaporan", "Program",
              "Hukum dan Kerja Sama", "Aset"]
_SEKSI = ["Pendataan", "Layanan Informasi", "Monitoring", "Fasilitasi", "Standardisasi", "Penyuluhan",
          "Bimbingan Teknis", "Pengaduan", "Verifikasi", "Operasional", "Inovasi Layanan", "Pelaporan"]
_PELAKSANA = ["Pengadministrasi Perkantoran", "Pengolah Data dan Informasi", "Pengelola Keuangan",
              "Penata Layanan Operasional", "Operator Layanan Operasional", "Pengelola Layanan Operasional",
              "Pengadministrasi Umum", "Bendahara", "Pengemudi", "Petugas Pelayanan"]
_JF_AHLI = ["Analis Kebijakan", "Perencana", "Pranata Komputer", "Arsiparis", "Auditor",
            "Analis Sumber Daya Manusia Aparatur", "Pranata Hubungan Masyarakat", "Penyuluh Sosial",
            "Analis Keuangan Pusat dan Daerah", "Pengelola Pengadaan Barang/Jasa", "Dokter", "Guru"]
_JF_TERAMPIL = ["Arsiparis", "Pranata Komputer", "Perawat", "Bidan", "Pemadam Kebakaran",
                "Pranata Laboratorium Kesehatan", "Penata Kelola Sistem dan Teknologi Informasi"]
_MALE = ["Agus", "Bambang", "Budi", "Joko", "Slamet", "Sugeng", "Wahyu", "Eko", "Heru", "Hadi", "Bayu",
         "Adi", "Rudi", "Yudi", "Teguh", "Gunawan", "Sutrisno", "Suparman", "Haryanto", "Widodo", "Purnomo",
         "Setyo", "Arif", "Ahmad", "Muhammad", "Ma'ruf", "Rizky", "Fajar", "Dimas", "Galih", "Aji", "Bagus",
         "Anton", "Hendro", "Priyo", "Yoga", "Andika", "Danang", "Kukuh", "Sigit"]
_FEMALE = ["Sri", "Siti", "Dewi", "Endang", "Rina", "Wahyuni", "Sulastri", "Suharti", "Sumarni", "Eka",
           "Ratna", "Ani", "Yuli", "Retno", "Nur", "Kartika", "Ayu", "Puji", "Indah", "Sekar", "Wulan",
           "Murni", "Astuti", "Nurul", "Fitri", "Diah", "Erna", "Lina", "Anik", "Umi", "Novi", "Larasati",
           "Nining", "Tutik", "Nur'aini", "Kurniasih", "Maya", "Intan", "Dian", "Galuh"]
_MIDDLE = ["Dwi", "Tri", "Eko", "Adi", "Budi", "Sri", "Catur", "Panca", "Nur", "Putra", "Putri", "Ayu",
           "Tri", "Dwi", "Indra", "Setya"]
_LAST_M = ["Setiawan", "Prasetyo", "Wibowo", "Kurniawan", "Susanto", "Hidayat", "Saputra", "Nugroho",
           "Purwanto", "Wijaya", "Hartono", "Sudarsono", "Santoso", "Sulistyo", "Raharjo", "Pamungkas",
           "Wicaksono", "Hermawan", "Firmansyah", "Suryadi"]
_LAST_F = ["Rahmawati", "Wulandari", "Kusumawati", "Puspitasari", "Susilowati", "Handayani", "Lestari",
           "Rahayu", "Pratiwi", "Anggraini", "Mulyani", "Setyaningsih", "Widyaningrum", "Utami", "Maharani",
           "Safitri", "Rahmadani", "Purwaningsih", "Hastuti", "Kusumaningrum"]
_DEGREES = [", S.E.", ", S.Sos.", ", S.Kom.", ", S.T.", ", S.H.", ", S.Pd.", ", S.IP.", ", S.Kep."]
_MASTERS = [", M.Si.", ", M.M.", ", M.Pd.", ", M.Kes.", ", M.T."]
_PANGKAT = {
    "I/a": "Juru Muda", "I/b": "Juru Muda Tingkat I", "I/c": "Juru", "I/d": "Juru Tingkat I",
    "II/a": "Pengatur Muda", "II/b": "Pengatur Muda Tingkat I", "II/c": "Pengatur", "II/d": "Pengatur Tingkat I",
    "III/a": "Penata Muda", "III/b": "Penata Muda Tingkat I", "III/c": "Penata", "III/d": "Penata Tingkat I",
    "IV/a": "Pembina", "IV/b": "Pembina Tingkat I", "IV/c": "Pembina Utama Muda", "IV/d": "Pembina Utama Madya",
    "IV/e": "Pembina Utama",
}
_KEKUATAN = [
    "Selalu ramah dan sigap membantu warga yang datang ke loket.",
    "Teliti dalam menyusun laporan keuangan; jarang ada revisi.",
    "Mau berbagi ilmu kepada rekan baru dan sabar menjelaskan aplikasi.",
    "Tepat waktu dan dapat diandalkan saat ada tenggat mendesak.",
    "Inisiatifnya tinggi, sering mengusulkan perbaikan alur layanan.",
    "Mampu menjaga suasana tim tetap kondusif saat beban kerja tinggi.",
    "Disiplin dan jujur dalam mengelola barang milik daerah.",
    "Cepat beradaptasi dengan aplikasi baru seperti SRIKANDI dan e-Kinerja.",
    "Koordinasi dengan bidang lain berjalan lancar berkat komunikasinya.",
    "Menjaga kerahasiaan data pribadi warga dengan sangat baik.",
]
_PENGEMBANGAN = [
    "Perlu lebih tepat waktu dalam menyampaikan laporan bulanan.",
    "Sebaiknya lebih terbuka menerima masukan dari rekan kerja.",
    "Perlu meningkatkan kemampuan mengolah data dengan lembar kerja.",
    "Komunikasi tertulis perlu lebih ringkas dan jelas.",
    "Perlu lebih berani mengambil keputusan tanpa selalu menunggu arahan.",
    "Perlu mendelegasikan tugas agar anggota tim ikut berkembang.",
    "Hendaknya lebih aktif mengikuti pelatihan untuk memenuhi 20 JP setahun.",
    "Perlu lebih sabar ketika melayani warga yang sedang kesal.",
]
#: Comments that must be shown escaped wherever they appear (planted to exercise escaping).
HTML_COMMENTS = [
    "Kerja <b>rapi</b> & <script>alert(1)</script>",
    'Laporan selalu "lengkap" <i>dan</i> tepat waktu <img src=x onerror=alert(1)>',
    "Perlu memperbaiki <u>ketelitian</u> & kecepatan; 5 < 7 > 3",
]
_EKSPEKTASI = {
    "B1": "Menanggapi aduan warga melalui ULAS paling lambat dua hari kerja.",
    "B2": "Menyampaikan laporan pertanggungjawaban keuangan tepat waktu setiap bulan.",
    "B3": "Mengikuti paling sedikit 20 JP pengembangan kompetensi dan membagikan hasilnya di unit.",
    "B4": "Menjaga suasana kerja yang saling menghargai lintas bidang.",
    "B5": "Menjaga kerahasiaan data pribadi warga pada setiap layanan.",
    "B6": "Menerapkan paling sedikit satu inovasi layanan digital dalam setahun.",
    "B7": "Aktif berkoordinasi dengan perangkat daerah lain dalam program prioritas kota.",
}

# Roles: (jenis_jabatan, jenjang, tingkat, kepala_unit, golongan range, service-year range, level_standar)
_ROLES = [
    ("JPT Pratama", None, 5, 1, ("IV/c", "IV/d"), (20, 32), 4),
    ("Administrator", None, 4, 1, ("III/d", "IV/b"), (16, 30), 3),
    ("Pengawas", None, 3, 1, ("III/c", "IV/a"), (10, 28), 2),
    ("Pelaksana", None, 1, 0, ("II/a", "III/c"), (1, 30), 1),
    ("JF", "Terampil", 1, 0, ("II/b", "II/d"), (2, 12), 1),
    ("JF", "Mahir", 1, 0, ("III/a", "III/b"), (8, 22), 1),
    ("JF", "Ahli Pertama", 2, 0, ("III/a", "III/b"), (2, 12), 1),
    ("JF", "Ahli Muda", 3, 0, ("III/c", "III/d"), (8, 24), 2),
    ("JF", "Ahli Madya", 4, 0, ("IV/a", "IV/c"), (16, 30), 3),
]
R_JPT, R_ADM, R_PENGAWAS, R_PELAKSANA, R_TERAMPIL, R_MAHIR, R_AHLI_PERTAMA, R_AHLI_MUDA, R_AHLI_MADYA = range(9)
_PPPK_GOLONGAN = {R_PELAKSANA: "V", R_TERAMPIL: "VII", R_AHLI_PERTAMA: "IX"}
_SEKSI_STAFF = ([R_PELAKSANA, R_TERAMPIL, R_MAHIR, R_AHLI_PERTAMA], [0.70, 0.07, 0.06, 0.17])
_BIDANG_STAFF = ([R_AHLI_PERTAMA, R_AHLI_MUDA, R_AHLI_MADYA], [0.25, 0.50, 0.25])


@dataclass
class Organisation:
    """The synthetic org chart as arrays (one entry per pegawai) plus its units."""

    nip: np.ndarray            # object array of 18-digit strings
    nama: np.ndarray
    jenis_kelamin: np.ndarray  # 'L' / 'P'
    unit: np.ndarray           # index into units
    opd: np.ndarray            # index of the OPD (top unit) of the person
    role: np.ndarray           # index into _ROLES
    atasan: np.ndarray         # index of the atasan, -1 for the top
    jabatan: np.ndarray
    golongan: np.ndarray
    tmt_cpns: np.ndarray       # datetime64[D]
    units: pd.DataFrame        # id, nama, induk_id, jenis, opd
    planted_pool: np.ndarray   # indices of the heads forming a peer pool of exactly 3
    boundary: dict[int, np.ndarray]  # Satyalancana years -> people with TMT exactly that long ago
    status: np.ndarray         # 'PNS' / 'PPPK'

    def __len__(self) -> int:
        return len(self.nip)


@dataclass
class DemoSummary:
    """What :func:`generate_demo` built."""

    cycle_id: int
    cycle_name: str
    previous_cycle_id: int
    seed: int
    pegawai: int
    units: int
    opd: int
    assignments: int
    per_relation: dict[str, int]
    peer_load_min: int | None
    peer_load_max: int | None
    submitted: int = 0
    drafts: int = 0
    not_started: int = 0
    responses: int = 0
    comments: int = 0
    straightliners: tuple[str, ...] = ()
    outlier: str | None = None
    lenient: tuple[str, ...] = ()
    severe: tuple[str, ...] = ()
    two_peer_ratees: tuple[str, ...] = ()
    satyalancana_boundary: dict[int, tuple[str, ...]] = field(default_factory=dict)
    #: The closed triwulan cycles of the demo year before the open one, oldest first (empty with one cycle).
    closed_cycle_ids: tuple[int, ...] = ()
    #: Pegawai whose true level was planted to rise (fall) by STEP_CHANGE between two triwulan.
    risers: tuple[str, ...] = ()
    fallers: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------------
# The organisation
# ------------------------------------------------------------------------------------------

def _opd_name(i: int) -> tuple[str, str]:
    """Return (name, head's jabatan) of the i-th OPD; past the list, names repeat per 'Wilayah'."""
    base, title = _OPD[i % len(_OPD)]
    suffix = f" Wilayah {i // len(_OPD) + 1}" if i >= len(_OPD) else ""
    name = base + suffix
    return name, title.format(opd=name) if "{opd}" in title else title + suffix


def _plan_units(n: int, rng: np.random.Generator):
    """Return (units, slots): the unit tree and, per pegawai slot, (unit, role-kind, boss slot)."""
    n_opd = max(1, min(n // 12, round(math.sqrt(n) / 2.5)))
    base = 10
    weights = rng.gamma(2.0, 1.0, n_opd)
    sizes = base + rng.multinomial(n - base * n_opd, weights / weights.sum())
    unit_rows: list[tuple[str, str, str | None, str, int]] = []
    # per-slot lists (unit index, kind, boss slot); kind: 0 head OPD, 1 head bidang, 2 head seksi,
    # 3 seksi staff, 4 bidang staff (functional)
    s_unit: list[int] = []
    s_kind: list[int] = []
    s_boss: list[int] = []

    def add(unit: int, kind: int, boss: int, count: int = 1) -> int:
        first = len(s_unit)
        s_unit.extend([unit] * count)
        s_kind.extend([kind] * count)
        s_boss.extend([boss] * count)
        return first

    for o, size in enumerate(sizes):
        opd_name, _ = _opd_name(o)
        opd_unit = len(unit_rows)
        unit_rows.append((opd_name, opd_name, None, "opd", o))
        head = add(opd_unit, 0, -1)
        # OPD 0 gets exactly three bidang: its three Administrator heads form a peer pool of
        # three, so each has exactly two rekan raters (exercises the anonymity threshold).
        n_b = 3 if o == 0 else int(np.clip(round(size / 40), 2, 8))
        rest = size - 1 - n_b
        per_b = 1 + rng.multinomial(rest - n_b, np.full(n_b, 1 / n_b))
        topics = rng.permutation(len(_BIDANG))
        for b in range(n_b):
            b_name = "Sekretariat" if b == 0 else f"Bidang {_BIDANG[topics[b - 1] % len(_BIDANG)]}"
            b_unit = len(unit_rows)
            unit_rows.append((f"{opd_name} / {b_name}", b_name, opd_name, "bidang", o))
            b_head = add(b_unit, 1, head)
            people = int(per_b[b])
            n_s = int(np.clip(round(people / 11), 1, 6))
            staff = people - n_s
            direct = int(rng.binomial(staff, 0.12)) if b > 0 else 0
            add(b_unit, 4, b_head, direct)
            per_s = rng.multinomial(staff - direct, np.full(n_s, 1 / n_s))
            names = _SUBBAGIAN if b == 0 else _SEKSI
            prefix = "Subbagian" if b == 0 else "Seksi"
            s_topics = rng.permutation(len(names))
            for s in range(n_s):
                s_name = f"{prefix} {names[s_topics[s % len(names)]]}" + (f" {s // len(names) + 1}" if s >= len(names) else "")
                s_unit_i = len(unit_rows)
                unit_rows.append((f"{opd_name} / {b_name} / {s_name}", s_name, f"{opd_name} / {b_name}",
                                  "seksi", o))
                s_head = add(s_unit_i, 2, b_head)
                add(s_unit_i, 3, s_head, int(per_s[s]))
    units = pd.DataFrame(unit_rows, columns=["id", "nama", "induk_id", "jenis", "opd"])
    return units, np.array(s_unit), np.array(s_kind, dtype=np.int8), np.array(s_boss)


def _days(d: date) -> int:
    return int((np.datetime64(d, "D") - np.datetime64("1970-01-01", "D")).astype(int))


def build_organisation(db: Database, pegawai: int, seed: int) -> Organisation:
    """Write a synthetic org chart (units and pegawai) into an empty database and return it.

    Raises KinerjaError when the database already holds pegawai or ``pegawai`` is too small.
    """
    if pegawai < MIN_PEGAWAI:
        raise KinerjaError(f"Organisasi demo butuh paling sedikit {MIN_PEGAWAI} pegawai")
    if db.execute("SELECT EXISTS (SELECT 1 FROM pegawai)").fetchone()[0]:
        raise KinerjaError("Basis data sudah berisi pegawai; organisasi demo hanya dibuat di basis data kosong")
    org = _draw_organisation(pegawai, np.random.default_rng([seed, 1]))
    with write_transaction(db):
        u = org.units
        db.conn.executemany("INSERT INTO unit (id, nama, induk_id, jenis) VALUES (?, ?, ?, ?)",
                            zip(u["id"], u["nama"], u["induk_id"].astype(object).where(u["induk_id"].notna(), None),
                                u["jenis"]))
        roles = _ROLES
        jenis = np.array([r[0] for r in roles], dtype=object)[org.role]
        jenjang = np.array([r[1] for r in roles], dtype=object)[org.role]
        tingkat = np.array([r[2] for r in roles])[org.role]
        kepala = np.array([r[3] for r in roles])[org.role]
        pangkat = pd.Series(org.golongan).map(_PANGKAT).to_numpy(dtype=object, copy=True)
        pangkat[org.status == "PPPK"] = None  # PPPK hold a golongan but no pangkat
        atasan = np.where(org.atasan >= 0, org.nip[np.maximum(org.atasan, 0)], None)
        unit_id = u["id"].to_numpy(dtype=object)[org.unit]
        tmt = org.tmt_cpns.astype(str).astype(object)
        for lo in range(0, len(org), _ROW_CHUNK):
            sl = slice(lo, lo + _ROW_CHUNK)
            db.conn.executemany(
                "INSERT INTO pegawai (nip, nama, jenis_kelamin, unit_id, jabatan, jenis_jabatan, jenjang, "
                "tingkat, kepala_unit, golongan, pangkat, atasan_nip, tmt_cpns, status_kepegawaian, aktif, "
                f"diperbarui) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, '{STAMP}')",
                zip(org.nip[sl].tolist(), org.nama[sl].tolist(), org.jenis_kelamin[sl].tolist(),
                    unit_id[sl].tolist(), org.jabatan[sl].tolist(), jenis[sl].tolist(), jenjang[sl].tolist(),
                    tingkat[sl].tolist(), kepala[sl].tolist(), org.golongan[sl].tolist(), pangkat[sl].tolist(),
                    atasan[sl].tolist(), tmt[sl].tolist(), org.status[sl].tolist()))
    return org


def _draw_organisation(n: int, rng: np.random.Generator) -> Organisation:
    units, unit, kind, boss = _plan_units(n, rng)
    role = np.empty(n, dtype=np.int8)
    role[kind == 0], role[kind == 1], role[kind == 2] = R_JPT, R_ADM, R_PENGAWAS
    seksi_staff, bidang_staff = kind == 3, kind == 4
    role[seksi_staff] = rng.choice(_SEKSI_STAFF[0], size=int(seksi_staff.sum()), p=_SEKSI_STAFF[1])
    role[bidang_staff] = rng.choice(_BIDANG_STAFF[0], size=int(bidang_staff.sum()), p=_BIDANG_STAFF[1])
    opd = units["opd"].to_numpy()[unit]
    head = np.isin(role, (R_JPT, R_ADM, R_PENGAWAS))

    male = rng.random(n) < np.where(head, 0.62, 0.47)
    sex = np.where(male, "L", "P").astype(object)

    # Service years by role, then TMT CPNS on the first of a month; ages consistent with it.
    lo_s = np.array([r[5][0] for r in _ROLES])[role]
    hi_s = np.array([r[5][1] for r in _ROLES])[role]
    service = lo_s + rng.random(n) * (hi_s - lo_s)
    ref = _days(REFERENCE_DATE)
    tmt = (np.datetime64(REFERENCE_DATE, "D") - (service * 365.25).astype(int)).astype("datetime64[M]")
    tmt = np.minimum(tmt, np.datetime64("2024-12", "M")).astype("datetime64[D]")
    # Satyalancana Karya Satya boundaries: TMT exactly 10/20/30 years before the reference date,
    # and one person per boundary a day short of it.
    boundary_people = _plant_boundaries(rng, role, tmt)
    service_years = (ref - tmt.astype(int)) / 365.25
    max_age = np.where(np.isin(role, (R_JPT, R_AHLI_MADYA)), 59.5, 57.5)
    age_at_tmt = np.minimum(rng.uniform(21.0, 33.0, n), max_age - service_years)
    age_at_tmt = np.maximum(age_at_tmt, 18.5)
    birth = tmt - (age_at_tmt * 365.25).astype(int).astype("timedelta64[D]")

    # Golongan: within the role's range, higher with longer service.
    golongan_all = load_golongan()
    g_lo = np.array([golongan_all.index(r[4][0]) for r in _ROLES])[role]
    g_hi = np.array([golongan_all.index(r[4][1]) for r in _ROLES])[role]
    frac = np.clip((service_years - lo_s) / np.maximum(hi_s - lo_s, 1) + rng.normal(0, 0.15, n), 0, 0.999)
    golongan = np.array(golongan_all, dtype=object)[g_lo + (frac * (g_hi - g_lo + 1)).astype(int)]

    nip = _make_nips(rng, birth, tmt, male)
    nama = _make_names(rng, male, role)
    jabatan = _make_jabatan(rng, role, unit, units)
    # The planted pool: the three Administrator heads of OPD 0.
    planted = np.flatnonzero((role == R_ADM) & (opd == 0))
    # PPPK: more than half of the recent hires into pelaksana and first-level functional posts. Their
    # golongan is a Roman numeral (Perpres 98/2020) and their TMT is that of their PPPK contract.
    pppk = np.isin(role, tuple(_PPPK_GOLONGAN)) & (service_years < 5) & (rng.random(n) < 0.6)
    golongan[pppk] = pd.Series(role[pppk]).map(_PPPK_GOLONGAN).to_numpy(dtype=object)
    status = np.where(pppk, "PPPK", "PNS").astype(object)
    # Order everyone by NIP: primary-key inserts then append instead of splitting pages.
    order = np.argsort(nip, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    boss = np.where(boss >= 0, rank[np.maximum(boss, 0)], -1)[order]
    return Organisation(nip[order], nama[order], sex[order], unit[order], opd[order], role[order], boss,
                        jabatan[order], golongan[order], tmt[order], units, np.sort(rank[planted]),
                        {years: np.sort(rank[ix]) for years, ix in boundary_people.items()}, status[order])


def _plant_boundaries(rng: np.random.Generator, role: np.ndarray, tmt: np.ndarray) -> dict[int, np.ndarray]:
    """Set some TMT CPNS exactly 10/20/30 years before the reference date (in place); return them.

    For each boundary one more person gets a TMT one day later, one day short of the boundary.
    """
    per = max(2, len(role) // 1000)
    lo = np.array([r[5][0] for r in _ROLES])[role]
    hi = np.array([r[5][1] for r in _ROLES])[role]
    order = rng.permutation(len(role))
    used = np.zeros(len(role), dtype=bool)
    out: dict[int, np.ndarray] = {}
    for years in (10, 20, 30):
        exact = np.datetime64(date(REFERENCE_DATE.year - years, REFERENCE_DATE.month, REFERENCE_DATE.day), "D")
        fits = (lo[order] <= years) & (years <= hi[order] + 2) & ~used[order] & (role[order] != R_JPT)
        chosen = order[fits][: per + 1]
        used[chosen] = True
        tmt[chosen[:per]] = exact
        tmt[chosen[per:]] = exact + np.timedelta64(1, "D")
        out[years] = np.sort(chosen[:per])
    return out


def _make_nips(rng: np.random.Generator, birth: np.ndarray, tmt: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Return unique 18-digit NIPs: birth YYYYMMDD, TMT YYYYMM, sex 1/2, a 3-digit sequence."""
    months = birth.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (birth - months.astype("datetime64[D]")).astype(np.int64) + 1
    birth_num = year * 10000 + month * 100 + day
    t = tmt.astype("datetime64[M]").astype(int)  # months since 1970-01
    tmt_num = (1970 + t // 12) * 100 + (t % 12 + 1)
    prefix = birth_num * 10_000_000 + tmt_num * 10 + np.where(male, 1, 2)
    order = np.argsort(prefix, kind="stable")
    ps = prefix[order]
    first = np.r_[True, ps[1:] != ps[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(ps)), 0))
    rank = np.arange(len(ps)) - group_start
    offset = rng.integers(0, 5, len(ps))[group_start]  # sequences need not start at 001
    seq = np.empty(len(ps), dtype=np.int64)
    seq[order] = rank + 1 + offset
    if seq.max() > 999:  # pragma: no cover - would need ~1000 people born the same day
        raise KinerjaError("Urutan NIP demo melebihi 999; gunakan benih lain")
    return (prefix * 1000 + seq).astype(str).astype(object)


def _pick(rng: np.random.Generator, words: list[str], n: int) -> np.ndarray:
    return np.array(words, dtype=object)[rng.integers(0, len(words), n)]


def _make_names(rng: np.random.Generator, male: np.ndarray, role: np.ndarray) -> np.ndarray:
    """Return Javanese/Indonesian names, with academic titles more often for senior jabatan."""
    n = len(male)
    first = np.where(male, _pick(rng, _MALE, n), _pick(rng, _FEMALE, n))
    middle = _pick(rng, _MIDDLE, n)
    last = np.where(male, _pick(rng, _LAST_M, n), _pick(rng, _LAST_F, n))
    shape = rng.choice(3, n, p=[0.45, 0.30, 0.25])  # first last / first middle last / first middle
    core = np.where(shape == 0, first + " " + last,
                    np.where(shape == 1, first + " " + middle + " " + last, first + " " + middle))
    senior = np.isin(role, (R_JPT, R_ADM, R_PENGAWAS, R_AHLI_PERTAMA, R_AHLI_MUDA, R_AHLI_MADYA))
    has_degree = rng.random(n) < np.where(senior, 0.85, 0.25)
    degree = np.where(has_degree, _pick(rng, _DEGREES, n), "")
    masters = np.where(has_degree & senior & (rng.random(n) < 0.45), _pick(rng, _MASTERS, n), "")
    honour = np.isin(role, (R_JPT, R_ADM)) & (rng.random(n) < 0.12)
    prefix = np.where(honour, np.where(male, "Drs. ", "Dra. "), "")
    # "Drs./Dra." is itself the first degree, so it replaces the S.x suffix.
    return prefix + core + np.where(honour, "", degree) + masters


def _make_jabatan(rng: np.random.Generator, role: np.ndarray, unit: np.ndarray, units: pd.DataFrame) -> np.ndarray:
    """Return the jabatan title of each pegawai, consistent with role and unit."""
    n = len(role)
    unit_name = units["nama"].to_numpy(dtype=object)[unit]
    opd = units["opd"].to_numpy()[unit]
    head_title = np.array([_opd_name(o)[1] for o in range(int(opd.max()) + 1)], dtype=object)[opd]
    jenjang = np.array([r[1] or "" for r in _ROLES], dtype=object)[role]
    functional = np.where(np.isin(role, (R_TERAMPIL, R_MAHIR)), _pick(rng, _JF_TERAMPIL, n),
                          _pick(rng, _JF_AHLI, n)) + " " + jenjang
    kepala = "Kepala " + unit_name
    return np.select(
        [role == R_JPT, (role == R_ADM) & (unit_name == "Sekretariat"), np.isin(role, (R_ADM, R_PENGAWAS)),
         role == R_PELAKSANA],
        [head_title, "Sekretaris", kepala, _pick(rng, _PELAKSANA, n)], functional).astype(object)


# ------------------------------------------------------------------------------------------
# The whole demo
# ------------------------------------------------------------------------------------------

def generate_demo(db: Database, pegawai: int, seed: int, answers: bool = True,
                  cycle_name: str | None = None, cycles: int = YEAR_CYCLES) -> DemoSummary:
    """Build the synthetic demo organisation with an open cycle into an empty database; return a summary.

    Creates units and pegawai, a closed previous cycle "Demo Tahunan 2025" with Rating Hasil Kerja and
    Rating Perilaku Kerja for history, and the demo year. With ``cycles=4`` (the default) the year is its four
    triwulan: Triwulan I-III closed, each with its own assignments, simulated answers, both ratings decided for
    everyone and its results scored (``scoring.run_scoring``), and Triwulan IV open; with ``cycles=1`` it is one
    open annual cycle (periode Tahunan 2026). The open cycle ``cycle_name`` (default "Demo Triwulan IV 2026" or
    "Demo Tahunan 2026") gets its assignments, Rating Hasil Kerja for everyone, some Rating Perilaku decisions,
    the Predikat Kinerja Organisasi of every OPD, some Ekspektasi Khusus Pimpinan, a few disciplinary records,
    potensi for all, and (``answers``) simulated responses and comments with the planted truths in demo_truth.

    Across the year the same people keep their rater traits while their true behaviour level drifts a little
    (``DRIFT_SD`` per triwulan) and a few planted risers and fallers change by ``STEP_CHANGE`` between two
    triwulan; each cycle's demo_truth holds that cycle's levels. The open cycle is drawn exactly as with one
    cycle (only its name, periode and dates differ), so what validation recovers from it does not change.
    Deterministic per ``seed``. Raises KinerjaError when the database already holds pegawai.
    """
    if cycles not in (1, YEAR_CYCLES):
        raise KinerjaError(f"Jumlah siklus demo harus 1 atau {YEAR_CYCLES}")
    if any(db.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchone()[0] for t in ("cycle", "pegawai", "unit")):
        raise KinerjaError("Basis data sudah berisi data; organisasi demo hanya dibuat di basis data kosong")
    with write_transaction(db):
        db.execute("INSERT INTO demo_info (id, pegawai, benih, dibuat) VALUES (1, ?, ?, ?)",
                   [int(pegawai), int(seed), now()])
    with bulk_cache(db):
        return _generate_demo(db, pegawai, seed, answers, cycle_name, cycles)


def _quarters() -> list[str]:
    """The triwulan periode codes of the vocabulary, in order (Triwulan I to IV)."""
    return [p for p in load_vocabulary()["periode"] if p.startswith("Triwulan")]


def _quarter_dates(q: int) -> tuple[str, str]:
    """Return the first and last day of triwulan ``q`` (0-3) of the demo year."""
    year = REFERENCE_DATE.year
    start = date(year, 3 * q + 1, 1)
    end = date(year, 3 * q + 4, 1) if q < 3 else date(year + 1, 1, 1)
    return start.isoformat(), date.fromordinal(end.toordinal() - 1).isoformat()


def _generate_demo(db: Database, pegawai: int, seed: int, answers: bool, cycle_name: str | None,
                   cycles: int = 1) -> DemoSummary:
    org = build_organisation(db, pegawai, seed)
    rng = np.random.default_rng([seed, 2])
    n = len(org)
    truth = _draw_truths(rng, org)

    settings = {"benih_acak": int(seed)}
    prev = open_cycle(db, PREVIOUS_CYCLE, "Tahunan", 2025, "2025-01-01", "2025-12-31", settings, pelaku="demo")
    org_pred_prev = _predikat_organisasi(rng, int(org.units["opd"].max()) + 1)
    with write_transaction(db):
        _write_history(db, prev.id, org, truth, org_pred_prev, rng)
    close_cycle(db, prev.id, pelaku="demo")

    year = REFERENCE_DATE.year
    closed: list[int] = []
    risers = fallers = np.empty(0, dtype=np.int64)
    if cycles == 1:
        cycle = open_cycle(db, cycle_name or DEFAULT_CYCLE, "Tahunan", year, f"{year}-01-01", f"{year}-12-31",
                           settings, pelaku="demo")
    else:
        # The closed triwulan draw from their own streams, so the open cycle below is drawn as with one cycle.
        levels, risers, fallers = _year_levels(np.random.default_rng([seed, 3]), truth.perilaku)
        quarters = _quarters()
        for q in range(YEAR_CYCLES - 1):
            closed.append(_closed_quarter(db, org, truth, levels[q], q, quarters[q], settings, seed, answers))
        start, end = _quarter_dates(YEAR_CYCLES - 1)
        cycle = open_cycle(db, cycle_name or f"Demo {quarters[-1]} {year}", quarters[-1], year, start, end,
                           settings, pelaku="demo")
    assigned = generate_assignments(db, cycle.id, seed=seed, pelaku="demo")
    org_pred = _predikat_organisasi(rng, int(org.units["opd"].max()) + 1)
    with write_transaction(db):
        _write_context(db, cycle.id, org, truth, org_pred, rng)
        _write_umpan_balik(db, seed, 2026)

    summary = DemoSummary(
        cycle.id, cycle.nama, prev.id, int(seed), n, len(org.units), int(org.units["opd"].max()) + 1,
        assigned.total, assigned.per_relation, assigned.peer_load_min, assigned.peer_load_max,
        not_started=assigned.total,
        satyalancana_boundary={y: tuple(org.nip[ix]) for y, ix in org.boundary.items()},
        closed_cycle_ids=tuple(closed), risers=tuple(sorted(org.nip[risers])),
        fallers=tuple(sorted(org.nip[fallers])),
    )
    rekan = pd.Series([r for r, in db.execute(
        "SELECT ratee_nip FROM assignment WHERE cycle_id = ? AND aktif = 1 AND relation = 'rekan'",
        [cycle.id])], dtype=object).value_counts()
    summary.two_peer_ratees = tuple(sorted(rekan.index[rekan == 2]))
    if answers:
        _simulate_answers(db, cycle, org, truth, rng, summary)
    return summary


def _year_levels(rng: np.random.Generator, final: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the true behaviour levels of the four triwulan (rows), ending at ``final``, and the planted
    risers and fallers.

    Everyone drifts by a small random walk (DRIFT_SD per triwulan); about 2% of pegawai (at least two each)
    rise, and as many fall, by STEP_CHANGE between two consecutive triwulan chosen at random. Levels are
    built backwards from the open cycle's so that its truth is the one-cycle demo's. Risers are drawn among
    levels high enough (fallers low enough) that no earlier level leaves the 1-5 scale.
    """
    n = len(final)
    steps = rng.normal(0.0, DRIFT_SD, (YEAR_CYCLES - 1, n))
    order = rng.permutation(n)
    k = max(2, n // 50)
    rise_ok = order[final[order] >= 1.2 + STEP_CHANGE][:k]
    fall_ok = order[(final[order] <= 4.8 - STEP_CHANGE) & ~np.isin(order, rise_ok)][:k]
    boundary_r = rng.integers(0, YEAR_CYCLES - 1, len(rise_ok))
    boundary_f = rng.integers(0, YEAR_CYCLES - 1, len(fall_ok))
    steps[:, rise_ok] = 0.0
    steps[:, fall_ok] = 0.0
    steps[boundary_r, rise_ok] = STEP_CHANGE
    steps[boundary_f, fall_ok] = -STEP_CHANGE
    levels = np.empty((YEAR_CYCLES, n))
    levels[-1] = final
    for q in range(YEAR_CYCLES - 2, -1, -1):  # level[q] = level[q + 1] - the change between them
        levels[q] = levels[q + 1] - steps[q]
    return np.clip(levels, 1.0, 5.0), np.sort(rise_ok), np.sort(fall_ok)


def _closed_quarter(db: Database, org: Organisation, truth: _Truth, level: np.ndarray, q: int, periode: str,
                    settings: dict, seed: int, answers: bool) -> int:
    """Build one closed triwulan of the demo year: assignments, answers from ``level``, both ratings for
    everyone (decided), its scored results; return its id. Draws from its own stream (seed, 4, q)."""
    from .scoring import run_scoring

    rng = np.random.default_rng([seed, 4, q])
    year = REFERENCE_DATE.year
    start, end = _quarter_dates(q)
    cycle = open_cycle(db, f"Demo {periode} {year}", periode, year, start, end, settings, pelaku="demo")
    generate_assignments(db, cycle.id, seed=seed + q + 1, pelaku="demo")
    n = len(org)
    org_pred = _predikat_organisasi(rng, int(org.units["opd"].max()) + 1)
    with write_transaction(db):
        _insert_predikat_organisasi(db, cycle.id, org, org_pred)
        latent = 0.8 * truth.hasil + 0.6 * rng.standard_normal(n)
        _insert_ratings(db, "rating_hasil_kerja", cycle.id, org, np.arange(n),
                        _hasil_ratings(org, latent, org_pred), "impor")
        _insert_ratings(db, "rating_perilaku", cycle.id, org, np.arange(n),
                        _perilaku_decision(level + rng.normal(0, 0.3, n)), "formulir")
    if answers:
        # The quarter's own truth: the same raters, this quarter's behaviour level.
        quarter = _Truth(level.copy(), truth.profile, truth.kelonggaran.copy(), truth.inflasi, truth.kompetensi,
                         truth.hasil)
        scratch = DemoSummary(cycle.id, cycle.nama, 0, seed, n, 0, 0, 0, {}, None, None)
        _simulate_answers(db, cycle, org, quarter, rng, scratch, window_start=_quarter_window(q))
        run_scoring(db, cycle.id, pelaku="demo")
    close_cycle(db, cycle.id, pelaku="demo")
    return cycle.id


def _quarter_window(q: int) -> np.datetime64:
    """Start of the answer window of triwulan ``q``: the 2nd of its middle month, 08:00 WIB (Triwulan IV's is
    the one-cycle demo's)."""
    return np.datetime64(f"{REFERENCE_DATE.year}-{3 * q + 2:02d}-02T01:00:00")


@dataclass
class _Truth:
    perilaku: np.ndarray         # (n,) true behaviour level 1-5
    profile: np.ndarray          # (n, 7) per-value deviation
    kelonggaran: np.ndarray      # (n,) rater leniency (+) / severity (-)
    inflasi: np.ndarray          # (n,) self-rating inflation
    kompetensi: np.ndarray       # (n, 9) true competency level, a whole level 1-5
    hasil: np.ndarray            # (n,) latent result performance (z score)


#: True behaviour level: mean and spread on the 1-5 scale (3 = sesuai ekspektasi).
_PERILAKU_MEAN, _PERILAKU_SD = 3.2, 0.45
#: A competency is a level below (above) the standard when its latent part is below (above) -/+ this.
_LEVEL_STEP = 0.85


def _draw_truths(rng: np.random.Generator, org: Organisation) -> _Truth:
    n = len(org)
    perilaku = np.clip(rng.normal(_PERILAKU_MEAN, _PERILAKU_SD, n), 1.0, 5.0)
    profile = rng.normal(0.0, 0.25, (n, 7))
    profile -= profile.mean(axis=1, keepdims=True)  # the values vary around the person's own level
    kelonggaran = rng.normal(0.0, 0.35, n)
    inflasi = rng.normal(0.4, 0.2, n)
    standard = np.array([r[6] for r in _ROLES])[org.role]
    n_comp = len(load_competencies().competencies)
    # Whole levels: a person-wide competence shared by all competencies (a general factor carries most
    # of the variance of competency ratings; Scullen, Mount & Goff 2000) plus a competency-specific
    # part, slightly tied to behaviour. About one competency in eight is a level below the standard
    # and one in eight a level above.
    z = (perilaku - _PERILAKU_MEAN) / _PERILAKU_SD
    latent = rng.normal(0.0, 0.6, n)[:, None] + rng.normal(0.0, 0.35, (n, n_comp)) + 0.25 * z[:, None]
    step = np.where(latent < -_LEVEL_STEP, -1, np.where(latent > _LEVEL_STEP, 1, 0))
    kompetensi = np.clip(standard[:, None] + step, 1, 5).astype(float)
    hasil = 0.5 * z + math.sqrt(0.75) * rng.standard_normal(n)
    return _Truth(perilaku, profile, kelonggaran, inflasi, kompetensi, hasil)


def _predikat_organisasi(rng: np.random.Generator, n_opd: int) -> np.ndarray:
    """Return a Predikat Kinerja Organisasi per OPD: every label present when there are 5+ OPDs.

    With fewer OPDs the most common labels come first (Baik, Istimewa, Butuh Perbaikan, ...).
    """
    labels = np.array(PREDIKAT_ORGANISASI, dtype=object)
    out = rng.choice(labels, n_opd, p=[0.25, 0.55, 0.12, 0.05, 0.03])
    by_prevalence = labels[[1, 0, 2, 3, 4]]
    fixed = rng.permutation(n_opd)[: min(n_opd, len(labels))]
    out[fixed] = by_prevalence[: len(fixed)]
    return out


_ORG_SHIFT = {"Istimewa": 0.6, "Baik": 0.0, "Butuh Perbaikan": -0.9, "Kurang": -1.3, "Sangat Kurang": -1.8}
_HEAD_RATING = {"Istimewa": ATAS, "Baik": SESUAI, "Butuh Perbaikan": BAWAH, "Kurang": BAWAH,
                "Sangat Kurang": BAWAH}


def _rating_from(latent: np.ndarray, hi: float, lo: float) -> np.ndarray:
    return np.where(latent >= hi, ATAS, np.where(latent < lo, BAWAH, SESUAI)).astype(object)


def _perilaku_decision(level: np.ndarray) -> np.ndarray:
    """Return the demo Pejabat Penilai's Rating Perilaku Kerja for what they saw of a person's level.

    They follow the boundaries of ``ambang_rating_perilaku`` in metode.yaml (the midpoints between the
    scale's anchors), so the planted category of a true level is well defined.
    """
    cut = load_method_defaults()["ambang_rating_perilaku"]
    return _rating_from(level, float(cut["di_atas"]), float(cut["di_bawah"]))


def _hasil_ratings(org: Organisation, latent: np.ndarray, org_pred: np.ndarray) -> np.ndarray:
    shift = pd.Series(org_pred).map(_ORG_SHIFT).to_numpy(dtype=float)[org.opd]
    rating = _rating_from(latent + shift, 0.85, -1.3)
    # A unit head's Rating Hasil Kerja is the unit's own achievement (PermenPANRB 6/2022).
    heads = org.role == R_JPT
    rating[heads] = pd.Series(org_pred[org.opd[heads]]).map(_HEAD_RATING).to_numpy(dtype=object)
    return rating


def _insert_ratings(db: Database, table: str, cycle_id: int, org: Organisation, who: np.ndarray,
                    rating: np.ndarray, sumber: str) -> None:
    penilai = np.where(org.atasan >= 0, org.nip[np.maximum(org.atasan, 0)], None)
    db.conn.executemany(
        f"INSERT INTO {table} (cycle_id, nip, rating, sumber, penilai_nip, diperbarui) "
        f"VALUES (?, ?, ?, ?, ?, '{STAMP}')",
        zip([cycle_id] * len(who), org.nip[who].tolist(), rating[who].tolist(), [sumber] * len(who),
            penilai[who].tolist()))


def _insert_predikat_organisasi(db: Database, cycle_id: int, org: Organisation, org_pred: np.ndarray) -> None:
    opd_units = org.units[org.units["jenis"] == "opd"]
    db.conn.executemany("INSERT INTO predikat_organisasi (cycle_id, unit_id, predikat) VALUES (?, ?, ?)",
                        [(cycle_id, uid, org_pred[o]) for uid, o in zip(opd_units["id"], opd_units["opd"])])


def _write_history(db: Database, cycle_id: int, org: Organisation, truth: _Truth, org_pred: np.ndarray,
                   rng: np.random.Generator) -> None:
    """Fill the previous (2025) cycle: predikat organisasi and both ratings for every pegawai."""
    n = len(org)
    everyone = np.arange(n)
    _insert_predikat_organisasi(db, cycle_id, org, org_pred)
    latent = 0.7 * truth.hasil + math.sqrt(0.51) * rng.standard_normal(n)
    _insert_ratings(db, "rating_hasil_kerja", cycle_id, org, everyone, _hasil_ratings(org, latent, org_pred), "impor")
    perilaku = truth.perilaku + rng.normal(0, 0.35, n)
    _insert_ratings(db, "rating_perilaku", cycle_id, org, everyone, _perilaku_decision(perilaku), "impor")


def _write_context(db: Database, cycle_id: int, org: Organisation, truth: _Truth, org_pred: np.ndarray,
                   rng: np.random.Generator) -> None:
    """Fill the demo cycle's non-360 data: ratings, predikat organisasi, ekspektasi, disiplin, potensi."""
    n = len(org)
    everyone = np.arange(n)
    _insert_predikat_organisasi(db, cycle_id, org, org_pred)
    _insert_ratings(db, "rating_hasil_kerja", cycle_id, org, everyone,
                    _hasil_ratings(org, truth.hasil, org_pred), "impor")
    decided = np.flatnonzero(rng.random(n) < DECIDED_SHARE)
    perilaku = truth.perilaku + rng.normal(0, 0.3, n)
    _insert_ratings(db, "rating_perilaku", cycle_id, org, decided, _perilaku_decision(perilaku), "formulir")

    # Ekspektasi Khusus Pimpinan for about 40% of the OPD (at least one), one or two values each.
    opd_units = org.units[org.units["jenis"] == "opd"]["id"].to_numpy(dtype=object)
    chosen = [u for u in opd_units if rng.random() < 0.4] or [opd_units[0]]
    codes = sorted(_EKSPEKTASI)
    rows = []
    for uid in chosen:
        for code in sorted(rng.choice(codes, int(rng.integers(1, 3)), replace=False)):
            rows.append((cycle_id, uid, code, _EKSPEKTASI[code]))
    db.conn.executemany("INSERT INTO ekspektasi_khusus (cycle_id, unit_id, nilai, teks) VALUES (?, ?, ?, ?)", rows)

    _write_disiplin(db, org, rng)
    _write_service_history(db, org, rng)

    # Potensi (talent 9-box): a synthetic assessment score driven by competency above standard,
    # about 20% rendah, 60% menengah, 20% tinggi.
    comp = truth.kompetensi.mean(axis=1) - np.array([r[6] for r in _ROLES])[org.role]
    z = (comp - comp.mean()) / max(comp.std(), 1e-9)
    skor = np.clip(55 + 11 * z + rng.normal(0, 5, n), 0, 100).round(1)
    kategori = np.where(skor >= 65, "tinggi", np.where(skor < 45, "rendah", "menengah")).astype(object)
    db.conn.executemany(
        "INSERT INTO potensi (nip, tanggal, kategori, skor, sumber) VALUES (?, '2026-06-30', ?, ?, "
        "'asesmen sintetis (demo)')", zip(org.nip.tolist(), kategori.tolist(), skor.tolist()))


#: Demo Umpan Balik Berkelanjutan: (what was discussed, agreed follow-up, BerAKHLAK value or None).
_UMPAN_BALIK = (
    ("Capaian target layanan triwulan berjalan dan kendala antrean", "Menyusun jadwal piket layanan bersama rekan",
     "B1"),
    ("Ketepatan waktu laporan bulanan", "Laporan dikirim paling lambat tanggal 5 setiap bulan", "B2"),
    ("Kebutuhan pengembangan kompetensi", "Mengikuti pelatihan daring dan membagikan materinya", "B3"),
    ("Pemanfaatan aplikasi baru di unit kerja", "Mencoba aplikasi pada satu kegiatan sebelum triwulan berikutnya",
     "B6"),
    ("Kerja sama lintas bidang pada kegiatan bersama", "Menghadiri rapat koordinasi dan menindaklanjuti hasilnya",
     "B7"),
)


def _write_umpan_balik(db: Database, seed: int, tahun: int) -> None:
    """Add a few Umpan Balik Berkelanjutan notes and Ekspektasi per pegawai (own random stream: the planted truths
    and every pinned demo figure stay as they were)."""
    rng = np.random.default_rng([seed, 16])
    pairs = db.execute("SELECT nip, atasan_nip FROM pegawai WHERE atasan_nip IS NOT NULL AND aktif = 1 "
                       "ORDER BY nip").fetchall()
    if not pairs:
        return
    chosen = sorted(rng.choice(len(pairs), min(40, len(pairs)), replace=False).tolist())
    stamp = now()
    for k, i in enumerate(chosen):
        nip, atasan = pairs[i]
        for month in sorted(rng.choice(np.arange(2, 11), int(rng.integers(1, 3)), replace=False).tolist()):
            topik, tindak, nilai = _UMPAN_BALIK[int(rng.integers(len(_UMPAN_BALIK)))]
            day = f"{tahun}-{month:02d}-{int(rng.integers(1, 28)):02d}"
            done = f"{day}T09:00:00+00:00" if rng.random() < 0.6 else None
            db.execute("INSERT INTO umpan_balik (tahun, nip, atasan_nip, tanggal, topik, tindak_lanjut, nilai, dibuat, "
                       "diperbarui, dikonfirmasi, tanggapan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [tahun, nip, atasan, day, topik, tindak, nilai, stamp, stamp, done,
                        "Saya sepakat." if done and rng.random() < 0.5 else None])
        if k % 4 == 0:
            _, expected, nilai = _UMPAN_BALIK[k % len(_UMPAN_BALIK)]
            db.execute("INSERT INTO ekspektasi_pegawai (tahun, nip, nilai, teks, ditetapkan_oleh, ditetapkan) "
                       "VALUES (?, ?, ?, ?, ?, ?)", [tahun, nip, nilai, f"{expected}.", atasan, stamp])


def _write_service_history(db: Database, org: Organisation, rng: np.random.Generator) -> None:
    """Write the Satyalancana tiers PNS received before the demo year, and a few CLTN career breaks.

    Most PNS received each tier in the year after reaching it. Planted: the first 10-year boundary
    person took a year of CLTN (so their unbroken 10 years are not reached in the demo year), and one
    PNS who received the 10-year tier, then took CLTN, reaches 10 unbroken years again in the demo
    year (the tier is not awarded twice).
    """
    start = np.datetime64(date(REFERENCE_DATE.year, 1, 1), "D")
    pns = org.status == "PNS"
    tmt = org.tmt_cpns.astype("datetime64[D]")
    received = []
    for years in (10, 20, 30):
        reached = (tmt.astype("datetime64[Y]").astype(int) + 1970 + years)  # year of the anniversary
        due = pns & (reached < REFERENCE_DATE.year) & (rng.random(len(org)) < 0.85)
        received += [(org.nip[i], years, int(reached[i]) + 1) for i in np.flatnonzero(due)]
    cltn = []
    ten = org.boundary.get(10, np.empty(0, dtype=np.int64))
    if len(ten):  # a year of CLTN moves their 10 unbroken years past the demo year
        cltn.append((org.nip[ten[0]], "2019-01-01", "2019-12-31", "Mengikuti suami tugas ke luar daerah"))
    veteran = np.flatnonzero(pns & (tmt <= np.datetime64("2003-12-31")) & ~np.isin(
        np.arange(len(org)), np.concatenate([b for b in org.boundary.values()] or [np.empty(0, np.int64)])))
    if len(veteran):  # back from CLTN on 1 January 2016: 10 unbroken years again in 2026
        i = int(rng.choice(veteran))
        received = [r for r in received if r[0] != org.nip[i]] + [(org.nip[i], 10, int(str(tmt[i])[:4]) + 11)]
        cltn.append((org.nip[i], "2014-01-01", "2015-12-31", "Cuti di luar tanggungan negara (alasan keluarga)"))
    others = rng.permutation(np.flatnonzero(pns & (tmt <= start - np.timedelta64(8 * 366, "D"))))
    for i in others[: max(1, len(org) // 400)]:
        if org.nip[i] in {c[0] for c in cltn}:
            continue
        begin = tmt[i] + np.timedelta64(int(rng.integers(2 * 365, 6 * 365)), "D")
        end = begin + np.timedelta64(int(rng.integers(180, 3 * 365)), "D")
        cltn.append((org.nip[i], str(begin), str(min(end, start - np.timedelta64(1, "D"))), None))
    db.conn.executemany("INSERT INTO satyalancana_diterima (nip, tingkat, tahun) VALUES (?, ?, ?)", received)
    db.conn.executemany("INSERT INTO cltn (nip, tanggal_mulai, tanggal_selesai, keterangan) VALUES (?, ?, ?, ?)",
                        cltn)


_HUKUMAN = {
    "ringan": ["Teguran lisan", "Teguran tertulis", "Pernyataan tidak puas secara tertulis"],
    "sedang": ["Pemotongan tunjangan kinerja sebesar 25% selama 6 bulan",
               "Pemotongan tunjangan kinerja sebesar 25% selama 12 bulan"],
    "berat": ["Penurunan jabatan setingkat lebih rendah selama 12 bulan",
              "Pembebasan dari jabatannya menjadi jabatan pelaksana selama 12 bulan"],
}


def _write_disiplin(db: Database, org: Organisation, rng: np.random.Generator) -> None:
    """Write a few disciplinary records: at least one active sedang and one active berat."""
    n = len(org)
    count = max(6, n // 250)
    people = rng.permutation(np.flatnonzero(org.role != R_JPT))[:count]
    rows = [
        # active on the reference date
        (people[0], "sedang", _HUKUMAN["sedang"][1], "2026-06-01", "2027-05-31", "Aktif pada akhir periode"),
        (people[1], "berat", _HUKUMAN["berat"][0], "2026-03-01", "2027-02-28", "Aktif pada akhir periode"),
        # finished long ago: no longer active, but still bars the Satyalancana Karya Satya
        (people[2], "sedang", _HUKUMAN["sedang"][0], "2012-02-01", "2012-07-31", "Sudah selesai"),
        (people[3], "ringan", _HUKUMAN["ringan"][0], "2026-04-14", "2026-04-14", None),
    ]
    # One 20-year Satyalancana boundary person with an old sedang penalty: excluded despite the years.
    twenty = org.boundary.get(20, np.empty(0, dtype=np.int64))
    if len(twenty):
        rows.append((twenty[0], "sedang", _HUKUMAN["sedang"][0], "2014-03-01", "2014-08-31", "Sudah selesai"))
    for i in people[4:]:
        level = rng.choice(["ringan", "sedang", "berat"], p=[0.75, 0.18, 0.07])
        start = np.datetime64("2019-01-01") + np.timedelta64(int(rng.integers(0, 2600)), "D")
        days = {"ringan": 0, "sedang": 182, "berat": 364}[level]
        end = start + np.timedelta64(days, "D")
        rows.append((i, level, str(rng.choice(_HUKUMAN[level])), str(start), str(end), None))
    db.conn.executemany(
        "INSERT INTO disiplin (nip, tingkat, jenis_hukuman, tanggal_mulai, tanggal_selesai, "
        "keterangan) VALUES (?, ?, ?, ?, ?, ?)",
        [(org.nip[int(i)], str(lv), j, s, e, k) for i, lv, j, s, e, k in rows])


# ------------------------------------------------------------------------------------------
# Simulated answers
# ------------------------------------------------------------------------------------------

def _choose_special(rng: np.random.Generator, org: Organisation, others_rated: np.ndarray, n_straight: int,
                    n_tilt: int):
    """Pick disjoint raters who rate at least 3 others: straight-liners, the outlier, lenient, severe."""
    protected = set(org.planted_pool.tolist())
    candidates = [i for i in rng.permutation(np.flatnonzero(others_rated >= 3)) if i not in protected]
    # Tiny organisations may not have enough such raters: plant fewer lenient/severe ones.
    n_tilt = max(0, min(n_tilt, (len(candidates) - n_straight - 1) // 2))
    need = n_straight + 1 + 2 * n_tilt
    if len(candidates) < need:
        raise KinerjaError("Organisasi demo terlalu kecil untuk menanam penilai khusus; tambah --pegawai")
    straight = np.array(candidates[:n_straight], dtype=np.int64)
    outlier = int(candidates[n_straight])
    lenient = np.array(candidates[n_straight + 1: n_straight + 1 + n_tilt], dtype=np.int64)
    severe = np.array(candidates[n_straight + 1 + n_tilt: need], dtype=np.int64)
    return straight, outlier, lenient, severe


def _simulate_answers(db: Database, cycle, org: Organisation, truth: _Truth, rng: np.random.Generator,
                      summary: DemoSummary, window_start: np.datetime64 = _ANSWER_WINDOW_START) -> None:
    n = len(org)
    index = pd.Index(org.nip)
    rows = db.execute("SELECT id, rater_nip, ratee_nip, relation FROM assignment WHERE cycle_id = ? "
                      "AND aktif = 1 ORDER BY id", [cycle.id])
    ids, raters, ratees, rels = [], [], [], []
    relation_codes = {"diri": 0, "atasan": 1, "rekan": 2, "bawahan": 3, "lainnya": 4}
    while batch := rows.fetchmany(_ROW_CHUNK):
        frame = pd.DataFrame.from_records(batch, columns=["id", "rater", "ratee", "relation"])
        ids.append(frame["id"].to_numpy(np.int64))
        raters.append(index.get_indexer(frame["rater"].to_numpy(dtype=object)).astype(np.int32))
        ratees.append(index.get_indexer(frame["ratee"].to_numpy(dtype=object)).astype(np.int32))
        rels.append(frame["relation"].map(relation_codes).to_numpy(np.int8))
    a_id, a_rater, a_ratee, a_rel = (np.concatenate(x) for x in (ids, raters, ratees, rels))
    m = len(a_id)

    # Planted raters.
    others_rated = np.bincount(a_rater[a_rel != 0], minlength=n)
    n_straight = max(2, round(n * 0.004))
    n_tilt = max(3, n // 2000)
    straight, outlier, lenient, severe = _choose_special(rng, org, others_rated, n_straight, n_tilt)
    truth.kelonggaran[lenient] = 1.0
    truth.kelonggaran[severe] = -1.0
    straight_point = rng.choice([3, 4, 5], len(straight), p=[0.3, 0.5, 0.2])
    kind = np.zeros(n, dtype=np.int8)        # 0 normal, 1 straight-liner, 2 outlier
    kind[straight] = 1
    kind[outlier] = 2
    point = np.zeros(n, dtype=np.int8)
    point[straight] = straight_point

    # Status per assignment: ~92% terkirim, ~4% draf, ~4% belum; planted raters and the
    # ratees of the planted peer pool always submit.
    u = rng.random(m)
    status = np.where(u < 0.92, 2, np.where(u < 0.96, 1, 0)).astype(np.int8)
    forced = (kind[a_rater] > 0) | np.isin(a_rater, np.r_[lenient, severe]) | np.isin(a_ratee, org.planted_pool)
    status[forced] = 2
    start = rng.random(m) * _ANSWER_WINDOW_DAYS * 86400
    duration = np.where(kind[a_rater] == 1, rng.uniform(20, 45, m), rng.lognormal(math.log(240), 0.5, m))
    draft_share = rng.uniform(0.2, 0.9, m)

    # Items per relation: the 21 BerAKHLAK indicators, then the relation's competencies.
    instrument = load_instrument()
    b_codes = list(instrument.item_codes)
    value_of = {v.kode: i for i, v in enumerate(instrument.values)}
    b_value = np.array([value_of[instrument.value_of()[c]] for c in b_codes])
    k_codes = [c.kode for c in load_competencies().competencies]
    per_rel = cycle.settings["kompetensi_per_relasi"]
    rel_names = ["diri", "atasan", "rekan", "bawahan", "lainnya"]
    all_codes = np.array(b_codes + k_codes, dtype=object)
    width = len(b_codes) + len(k_codes)
    table = np.full((5, width), -1, dtype=np.int16)  # relation x position -> item (global index)
    n_items = np.zeros(5, dtype=np.int64)
    for r, name in enumerate(rel_names):
        items = list(range(len(b_codes))) + [len(b_codes) + k_codes.index(k) for k in per_rel.get(name, [])]
        table[r, : len(items)] = items
        n_items[r] = len(items)
    item_offset = rng.normal(0, 0.15, len(b_codes))
    item_offset = np.r_[item_offset - item_offset.mean(), np.zeros(len(k_codes))]
    group_effect = np.array([GROUP_EFFECTS[name] for name in rel_names])

    # Timestamps per assignment (deterministic): first answer, last change, submission.
    t_start = window_start + start.astype("timedelta64[s]")
    t_end = t_start + np.where(status == 2, duration, duration * draft_share).astype("timedelta64[s]")
    stamp_end = np.char.add(t_end.astype("datetime64[s]").astype(str), "+00:00").astype(object)
    stamp_start = np.char.add(t_start.astype("datetime64[s]").astype(str), "+00:00").astype(object)

    responses = 0
    comments = 0
    submitted = status == 2
    rated_others = np.flatnonzero(submitted & (a_rel != 0))
    html_targets = sorted(rng.choice(rated_others, min(len(HTML_COMMENTS), len(rated_others)),
                                     replace=False).tolist())
    planted_peer = submitted & np.isin(a_ratee, org.planted_pool) & (a_rel == 2)

    # Answers reference the assignments just written: check their foreign keys once, after the load.
    with checked_bulk_load(db, ("response", "comment")):
        for lo in range(0, m, _ASSIGNMENT_CHUNK):
            hi = min(m, lo + _ASSIGNMENT_CHUNK)
            sl = slice(lo, hi)
            rel, rater, ratee, st = a_rel[sl], a_rater[sl], a_ratee[sl], status[sl]
            count = n_items[rel]
            drafted = np.ceil(count * draft_share[sl]).astype(np.int64)
            answered = np.where(st == 2, count, np.where(st == 1, drafted, 0))
            total = int(answered.sum())
            if total == 0:
                continue
            row = np.repeat(np.arange(hi - lo), answered)
            pos = np.arange(total) - np.repeat(np.cumsum(answered) - answered, answered)
            item = table[rel[row], pos].astype(np.int64)
            is_b = item < len(b_codes)
            rr, ee = rater[row], ratee[row]
            self_rating = rel[row] == 0
            behaviour = truth.perilaku[ee] + truth.profile[ee, b_value[np.minimum(item, len(b_codes) - 1)]]
            base = np.where(is_b, behaviour, truth.kompetensi[ee, np.maximum(item - len(b_codes), 0)])
            tilt = np.where(self_rating, truth.inflasi[rr], truth.kelonggaran[rr] + group_effect[rel[row]])
            halo = rng.normal(0, 0.25, hi - lo)[row]
            latent = base + item_offset[item] + tilt + halo + rng.normal(0, 0.5, total)
            score = np.clip(np.rint(latent), 1, 5)
            k = kind[rr]
            score = np.where(k == 1, point[rr], score)
            score = np.where(k == 2, rng.integers(1, 6, total), score)
            null = (rng.random(total) < np.where(self_rating, 0.01, 0.05)) & (k == 0)
            # A submitted form may hold at most maks_tidak_dapat_menilai "tidak dapat menilai".
            null_count = np.bincount(row, weights=null, minlength=hi - lo)
            too_many = (null_count > tdm_limit(cycle.settings, count)) & (st == 2)
            null &= ~too_many[row]
            score_obj = score.astype(np.int64).astype(object)
            score_obj[null] = None
            stamp = stamp_end[sl][row]
            # One transaction per chunk keeps the WAL file small on very large demos.
            with write_transaction(db):
                db.conn.executemany(
                    "INSERT INTO response (assignment_id, item, score, diperbarui) VALUES (?, ?, ?, ?)",
                    zip(a_id[sl][row].tolist(), all_codes[item].tolist(), score_obj.tolist(), stamp.tolist()))
                comments += _write_comments(db, rng, a_id[sl], st, stamp_end[sl], lo, html_targets,
                                            planted_peer[sl])
                _update_status(db, a_id[sl], st, stamp_start[sl], stamp_end[sl])
            responses += total

    with write_transaction(db):
        _write_truth(db, cycle.id, org, truth, straight, outlier)
        db.conn.executemany("INSERT INTO demo_truth_kelompok (cycle_id, kelompok, efek) VALUES (?, ?, ?)",
                            [(cycle.id, g, float(e)) for g, e in GROUP_EFFECTS.items()])
    summary.submitted = int((status == 2).sum())
    summary.drafts = int((status == 1).sum())
    summary.not_started = int((status == 0).sum())
    summary.responses = responses
    summary.comments = comments
    summary.straightliners = tuple(sorted(org.nip[straight]))
    summary.outlier = str(org.nip[outlier])
    summary.lenient = tuple(sorted(org.nip[lenient]))
    summary.severe = tuple(sorted(org.nip[severe]))


def _write_comments(db: Database, rng: np.random.Generator, ids: np.ndarray, status: np.ndarray,
                    stamps: np.ndarray, offset: int, html_targets: list[int], planted_peer: np.ndarray) -> int:
    """Write comments of submitted assignments in one chunk; the HTML ones go to ``html_targets``."""
    k = len(ids)
    submitted = status == 2
    strength = submitted & ((rng.random(k) < 0.45) | planted_peer)
    develop = submitted & (rng.random(k) < 0.35)
    s_text = _pick(rng, _KEKUATAN, k)
    d_text = _pick(rng, _PENGEMBANGAN, k)
    for text, target in zip(HTML_COMMENTS, html_targets):
        if offset <= target < offset + k:
            strength[target - offset] = True
            s_text[target - offset] = text
    rows = [(int(ids[i]), "kekuatan", s_text[i], stamps[i]) for i in np.flatnonzero(strength)]
    rows += [(int(ids[i]), "pengembangan", d_text[i], stamps[i]) for i in np.flatnonzero(develop)]
    db.conn.executemany("INSERT INTO comment (assignment_id, jenis, teks, diperbarui) VALUES (?, ?, ?, ?)", rows)
    return len(rows)


def _update_status(db: Database, ids: np.ndarray, status: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
    sub = np.flatnonzero(status == 2)
    db.conn.executemany(
        "UPDATE assignment SET status = 'terkirim', mulai = ?, diperbarui = ?, terkirim = ? WHERE id = ?",
        zip(start[sub].tolist(), end[sub].tolist(), end[sub].tolist(), ids[sub].tolist()))
    draft = np.flatnonzero(status == 1)
    db.conn.executemany(
        "UPDATE assignment SET status = 'draf', mulai = ?, diperbarui = ? WHERE id = ?",
        zip(start[draft].tolist(), end[draft].tolist(), ids[draft].tolist()))


def _write_truth(db: Database, cycle_id: int, org: Organisation, truth: _Truth, straight: np.ndarray,
                 outlier: int) -> None:
    n = len(org)
    regular = np.ones(n, dtype=bool)
    regular[straight] = False
    regular[outlier] = False
    nip = org.nip
    k_codes = [c.kode for c in load_competencies().competencies]
    parts = [
        (nip, "perilaku", truth.perilaku),
        (nip[regular], "kelonggaran", truth.kelonggaran[regular]),
        (nip[regular], "inflasi_diri", truth.inflasi[regular]),
        (nip[straight], "straightliner", np.ones(len(straight))),
        (nip[[outlier]], "outlier", np.ones(1)),
    ] + [(nip, f"kompetensi:{code}", truth.kompetensi[:, j]) for j, code in enumerate(k_codes)]
    for who, aspek, values in parts:
        for lo in range(0, len(who), _ROW_CHUNK):
            sl = slice(lo, lo + _ROW_CHUNK)
            db.conn.executemany(
                "INSERT INTO demo_truth (cycle_id, nip, aspek, nilai) VALUES (?, ?, ?, ?)",
                zip([cycle_id] * len(who[sl]), who[sl].tolist(), [aspek] * len(who[sl]),
                    np.round(values[sl], 4).tolist()))


# ------------------------------------------------------------------------------------------
# A demo database file
# ------------------------------------------------------------------------------------------

def database_kind(path: str | os.PathLike) -> str:
    """Return what a path holds: ``'kosong'`` (nothing yet, or no data), ``'demo'``, ``'data'`` or ``'lain'``.

    ``'demo'`` is a database the demo generator built (it carries the demo_info row); ``'data'`` one
    holding units, pegawai or cycles that the generator did not build; ``'lain'`` anything that is not
    an SQLite database (a folder, a device, another kind of file).
    """
    import sqlite3

    from .backup import is_sqlite_file

    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return "kosong"
    if path.is_file() and path.stat().st_size == 0:
        return "kosong"
    if not is_sqlite_file(path):
        return "lain"
    try:
        # An ordinary connection (only read through) checkpoints and removes the WAL files it finds
        # when it closes; a read-only one would leave them behind next to the user's file.
        conn = sqlite3.connect(path)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "demo_info" in tables and conn.execute("SELECT EXISTS (SELECT 1 FROM demo_info)").fetchone()[0]:
                return "demo"
            holds = any(conn.execute(f"SELECT EXISTS (SELECT 1 FROM [{t}])").fetchone()[0]
                        for t in ("pegawai", "cycle", "unit") if t in tables)
            return "data" if holds or (tables and "_sqlite_migrations" not in tables) else "kosong"
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return "lain"


def build_demo_database(path: str | os.PathLike, pegawai: int, seed: int, answers: bool = True,
                        replace: bool = False, cycle_name: str | None = None,
                        cycles: int = YEAR_CYCLES) -> tuple[Database, DemoSummary]:
    """Create a demo database file and return (the opened database, the summary).

    Only an empty path or a database the demo generator built is replaced (the latter with
    ``replace``; the file and its WAL/SHM companions are replaced by the new one). A database holding
    any other data, or a file that is not a database, is never touched: DemoError, even with
    ``replace``, so a demo can never overwrite an office's real data.

    The database is built in a sibling file ``<name>.dibangun`` without a journal (a file nobody
    else has open, discarded if anything fails: writing every page once instead of twice through
    the WAL makes a city's demo about a quarter faster), switched to WAL, and only then moved into
    place. An interrupted build therefore never leaves a half-built database at ``path``.
    """
    target = Path(path)
    kind = database_kind(target)
    if kind == "lain":
        raise DemoError(f"'{target}' bukan basis data SQLite; demo tidak akan menimpanya. Pakai berkas lain, "
                        "mis. --db data/demo.db")
    if kind == "data":
        raise DemoError(f"Basis data {target} berisi data yang bukan buatan demo; demo tidak pernah menimpanya, "
                        "juga dengan --ganti. Pakai berkas lain untuk demo, mis. --db data/demo.db")
    if kind == "demo" and not replace:
        raise DemoError(f"Basis data demo {target} sudah ada; gunakan --ganti untuk membangunnya ulang")
    building = target.with_name(target.name + ".dibangun")
    _remove_database_files(building)
    db = open_db(building)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        summary = generate_demo(db, pegawai, seed, answers=answers, cycle_name=cycle_name, cycles=cycles)
        db.execute("PRAGMA journal_mode = WAL")
        db.close()
    except BaseException:
        db.close()
        _remove_database_files(building)
        raise
    _remove_database_files(target)
    os.replace(building, target)
    return open_db(target), summary


def _remove_database_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
