"""The column vocabulary: one name per figure from the database to the exports, with its Indonesian header.

A column keeps the name its table gives it (``hasil_skor.skor_adj``, ``hasil_kesepakatan_diri.rerata_bukan_diri``)
wherever it travels as that figure; exports show the header written here and the number format given here.
The export writer (kinerja_lib.export.Sheet) takes :func:`labels` and :func:`formats`, so a header is spelled
in one place. Columns per rater group (``n_rekan``, ``rerata_rekan``) are spelled with the group's label from
kosakata.yaml.

The analyses' DataFrames still use English working names (``ratee``, ``score_adj``, ``others``) that
kinerja_lib.scoring renames to these names when it stores its results; moving them onto these names is left
for later. A name means one thing only: a bare ``n`` (people in one sheet, raters in another) is not defined
here on purpose, and a sheet that shows one labels it itself.

>>> header("rerata_bukan_diri")
'Rerata Penilai Lain (semua selain diri)'
>>> header("n_lainnya"), header("tidak_ada")
('Jumlah Penilai Pihak lain', 'tidak_ada')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .vocabulary import VOCAB


@dataclass(frozen=True)
class Column:
    """One column: its name (database and DataFrame), the header exports show, and how its values are shown."""

    nama: str
    judul: str
    format: str | None = None      # Excel number format, e.g. "0.00", "0.0%" for a share stored as a fraction
    teks: bool = False             # always written as text (NIP: 18 digits a spreadsheet would round)


# (name, header, format, text). "{relasi}" in a name and a header stands for each rater group.
_COLUMNS: tuple[tuple[str, str, str | None, bool], ...] = (
    # who
    ("nip", "NIP", None, True),
    ("nama", "Nama", None, False),
    ("opd", "Perangkat Daerah", None, False),
    ("unit_id", "Unit Kerja", None, False),
    ("unit", "Unit", None, False),
    ("unit_predikat", "Unit Penentu Predikat Organisasi", None, False),
    ("jabatan", "Jabatan", None, False),
    ("jenis_jabatan", "Jenis Jabatan", None, False),
    ("jenjang", "Jenjang", None, False),
    ("cycle_id", "Nomor Siklus", None, False),
    ("analysis_run_id", "Nomor Analisis", None, False),
    # hasil_skor: the 360 score of a pegawai
    ("skor", "Skor 360", None, False),
    ("skor_adj", "Skor Disesuaikan", None, False),
    ("skor_adj_se", "Galat Baku Skor Disesuaikan", None, False),
    ("kelompok_tampil", "Kelompok Ditampilkan", None, False),
    ("n_{relasi}", "Jumlah Penilai {relasi}", None, False),
    ("rerata_{relasi}", "Rerata {relasi}", None, False),
    ("rating_perilaku_saran", "Saran Rating Perilaku Kerja (bukan keputusan)", None, False),
    ("dasar_saran", "Dasar Saran", None, False),
    ("peluang_di_atas", "Peluang Skor Sebenarnya di Atas Batas", None, False),
    ("peluang_di_bawah", "Peluang Skor Sebenarnya di Bawah Batas", None, False),
    ("rating_perilaku", "Rating Perilaku Kerja", None, False),
    ("sumber_rating_perilaku", "Sumber Rating Perilaku Kerja", None, False),
    ("rating_hasil_kerja", "Rating Hasil Kerja", None, False),
    ("predikat", "Predikat Kinerja", None, False),
    ("status_predikat", "Status Predikat", None, False),
    ("kesepakatan_diri", "Kesepakatan Diri", None, False),
    # hasil_skor_nilai and hasil_kesepakatan_diri: per BerAKHLAK value
    ("nilai", "Nilai BerAKHLAK", None, False),
    ("kelompok", "Kelompok Penilai", None, False),
    ("rerata", "Rerata", None, False),
    ("diri", "Rerata Diri Sendiri", None, False),
    ("rerata_bukan_diri", "Rerata Penilai Lain (semua selain diri)", None, False),
    ("selisih", "Selisih Diri - Penilai Lain", None, False),
    ("kategori", "Kesepakatan", None, False),
    ("titik", "Titik Buta / Kekuatan", None, False),
    # the unit distribution check
    ("predikat_organisasi", "Predikat Kinerja Organisasi", None, False),
    ("n_pegawai", "Jumlah Pegawai Berpredikat", None, False),
    ("n_tanpa_predikat", "Jumlah Tanpa Predikat", None, False),
    ("aturan", "Aturan", None, False),
    ("proporsi_aktual", "Proporsi Saat Ini", "0.0%", False),
    ("jumlah", "Jumlah", None, False),
    ("total", "Total Pegawai", None, False),
    ("pesan", "Peringatan", None, False),
    # competency gaps and the training plan
    ("prioritas", "Prioritas", None, False),
    ("kompetensi", "Kode Kompetensi", None, False),
    ("nama_kompetensi", "Kompetensi", None, False),
    ("level_standar", "Level Standar", None, False),
    ("level_dinilai", "Level Dinilai", "0.00", False),
    ("level_diri", "Level Menurut Diri Sendiri", "0.00", False),
    ("se", "Galat Baku", "0.00", False),
    ("n_penilai", "Jumlah Penilai", None, False),
    ("kesenjangan", "Kesenjangan", "0.00", False),
    ("peluang_kesenjangan_1", "Peluang Kesenjangan ≥ 1 Level", "0%", False),
    ("peluang_di_bawah_standar", "Peluang Di Bawah Standar", None, False),
    ("status", "Status", None, False),
    ("koreksi_penilai", "Koreksi Kelonggaran Penilai", None, False),
    ("bentuk_label", "Bentuk Pengembangan", None, False),
    ("bentuk", "Bentuk Pengembangan", None, False),
    ("jp", "JP", None, False),
    ("uraian", "Uraian", None, False),
    ("kohort", "Kohort", None, False),
    ("jpm", "Perkiraan JPM dari Penilaian 360° (%)", "0.0", False),
    ("kategori_jpm", "Kategori Perkiraan JPM", None, False),
    ("n_standar", "Kompetensi Berstandar", None, False),
    ("n_kompetensi_jpm", "Kompetensi Dinilai", None, False),
    ("n_kesenjangan", "Kompetensi Berkesenjangan", None, False),
    ("jp_rencana", "JP Direncanakan", None, False),
    ("memenuhi_jp_minimal", "Memenuhi JP Minimal", None, False),
    ("keterangan", "Keterangan", None, False),
    ("kelas", "Kelas", None, False),
    ("jumlah_kelas", "Jumlah Kelas", None, False),
    ("peserta", "Jumlah Peserta", None, False),
    ("rerata_kesenjangan", "Rerata Kesenjangan", "0.00", False),
    ("peringkat_borich", "Peringkat Borich", None, False),
    ("kelas_kecil", "Kelas Kecil (pertimbangkan gabung)", None, False),
    ("peringkat", "Peringkat", None, False),
    ("rerata_standar", "Rerata Level Standar", "0.00", False),
    ("rerata_dinilai", "Rerata Level Dinilai", "0.00", False),
    ("mwds", "MWDS Borich (kepentingan = level standar)", "0.000", False),
    ("jumlah_pegawai", "Jumlah Pegawai", None, False),
    ("dinilai", "Pegawai Dinilai", None, False),
    ("rerata_jpm", "Rerata Perkiraan JPM (%)", "0.0", False),
    ("pegawai_berkesenjangan", "Pegawai Berkesenjangan", None, False),
    ("tanpa_standar", "Tanpa Standar", None, False),
    ("alasan", "Alasan", None, False),
)


@lru_cache(maxsize=1)
def columns() -> dict[str, Column]:
    """Return every column by name, the per-group ones spelled out for each rater group of kosakata.yaml."""
    out: dict[str, Column] = {}
    for name, judul, fmt, teks in _COLUMNS:
        if "{relasi}" in name:
            for code, label in VOCAB.relasi.items():
                out[name.format(relasi=code)] = Column(name.format(relasi=code), judul.format(relasi=label), fmt, teks)
        else:
            out[name] = Column(name, judul, fmt, teks)
    return out


def header(name: str) -> str:
    """Return the export header of column ``name`` (the name itself when it has none)."""
    column = columns().get(name)
    return column.judul if column else name


def labels() -> dict[str, str]:
    """Return ``{name: header}`` for every column (kinerja_lib.export.Sheet's ``labels``)."""
    return {name: c.judul for name, c in columns().items()}


def formats() -> dict[str, str]:
    """Return ``{name: number format}`` of the columns that have one (kinerja_lib.export.Sheet's ``formats``)."""
    return {name: c.format for name, c in columns().items() if c.format}


def text_columns() -> list[str]:
    """Return the columns always written as text (kinerja_lib.export.Sheet's ``text``)."""
    return [name for name, c in columns().items() if c.teks]
