"""The column vocabulary: one name per figure from the database to the exports, with its Indonesian header.

The names and headers are data: the ``kolom`` section of ``data/referensi/kosakata.yaml``. A column keeps the
name its table gives it (``hasil_skor.skor_adj``, ``hasil_skor_nilai.rerata_bukan_diri``) wherever it
travels as that figure; exports show the header written there and the number format given here. The export
writer (kinerja_lib.export.Sheet) reads :func:`columns` itself, so a sheet names its columns and a header is
spelled in one place; it refuses a header that is not in the vocabulary (:func:`check_headers`). Columns per
rater group (``n_rekan``, ``rerata_rekan``) are spelled with the group's label from the same file; columns
per BerAKHLAK value, predikat or JPM category are spelled from the instrument and reference files
(:func:`composed_columns`).

The scoring analysis (kinerja_lib.scoring) builds its DataFrames under these names as well: the scores under
hasil_skor's (``nip``, ``skor_adj``, ``rerata_atasan``), the per-value results and the self-other agreement
under the long forms kinerja_lib.hasil stores and reads back (``nilai``, ``kelompok``, ``rerata``,
``rerata_bukan_diri``), so they are stored, read back and reported with no renaming on the way. A name means
one thing only: a bare ``n`` (people in one sheet, raters in another) is not defined on purpose, and a sheet
that shows one labels it itself.

>>> header("rerata_bukan_diri")
'Rerata Penilai Lain (semua selain diri)'
>>> header("n_lainnya"), header("tidak_ada")
('Jumlah Penilai Pihak lain', 'tidak_ada')
>>> header("sk_bawah_95"), header("rerata_B2_atasan")
('Batas Bawah Selang Kepercayaan 95%', 'B2 Akuntabel - Atasan')
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .vocabulary import VOCAB

#: The label of the weighted non-self figure in the per-value columns (kinerja_lib.scoring's ``semua``).
GABUNGAN = "Gabungan tanpa diri"
#: The label of the overall figure in the self-other agreement columns.
KESELURUHAN = "Keseluruhan"

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Column:
    """One column: its name (database and DataFrame), the header exports show, and how its values are shown."""

    nama: str
    judul: str
    format: str | None = None      # Excel number format, e.g. "0.00", "0.0%" for a share stored as a fraction
    teks: bool = False             # always written as text (NIP: 18 digits a spreadsheet would round)
    panjang: bool = False          # long text, shown wrapped


# How values are shown; the headers themselves are data (kosakata.yaml, section ``kolom``). A name with a
# placeholder gives its format to every column spelled from it.
_FORMATS = {
    "proporsi_aktual": "0.0%", "level_dinilai": "0.00", "level_diri": "0.00", "se": "0.00", "kesenjangan": "0.00",
    "peluang_kesenjangan_1": "0%", "jpm": "0.0", "rerata_kesenjangan": "0.00", "rerata_standar": "0.00",
    "rerata_dinilai": "0.00", "mwds": "0.000", "rerata_jpm": "0.0",
    "proporsi_{predikat}": "0.0%", "rerata": "0.00", "sk_bawah_{angka}": "0.00", "sk_atas_{angka}": "0.00",
    "p_k_teratas": "0%", "laju": "0.0%", "rasio": "0.00", "p_fisher": "0.000", "p_holm": "0.000",
}
# Identifiers of 18 digits (NIP) and phone numbers: text, never a number a spreadsheet would round.
_TEXT = frozenset({"nip", "no_hp", "atasan_nip", "pemutus_nip", "nip_penilai", "nip_dinilai"})
# Free text and reasons: shown wrapped.
_LONG = frozenset({"alasan", "alasan_tidak_layak", "alasan_keberatan", "keputusan", "uraian", "keterangan", "pesan",
                   "topik", "tindak_lanjut", "realisasi", "tanggapan", "pertanyaan", "komentar", "dasar",
                   "nilai_pengaturan", "sesudah_masa_perbaikan", "tindakan"})


def _column(template: str, one: str, head: str) -> Column:
    return Column(one, head, _FORMATS.get(template), template in _TEXT, template in _LONG)


def columns() -> dict[str, Column]:
    """Return every column by name, the per-group ones spelled out for each rater group of kosakata.yaml.

    Columns spelled from other files (:func:`composed_columns`) are not included: reading those files is left
    to the sheets that have such columns.
    """
    out: dict[str, Column] = {}
    for name, judul in VOCAB.kolom.items():
        holes = set(_PLACEHOLDER.findall(name))
        if not holes:
            out[name] = _column(name, name, judul)
        elif holes == {"relasi"}:
            for code, label in VOCAB.relasi.items():
                out[name.format(relasi=code)] = _column(name, name.format(relasi=code), judul.format(relasi=label))
    return out


def _fillers() -> dict[str, list[tuple[str, str]]]:
    """Return the (code, label) pairs each placeholder of a composed column stands for (``angka`` aside)."""
    from .reference import _load, load_instrument

    relasi = list(VOCAB.relasi.items())
    values = load_instrument().value_names()
    rules = _load("pengembangan.yaml", None)
    return {
        "relasi": relasi,
        "kelompok": [*relasi, ("semua", GABUNGAN)],
        "nilai": [(code, f"{code} {name}") for code, name in values.items()],
        "kode_nilai": [("semua", KESELURUHAN), *[(code, code) for code in values]],
        "predikat": [(label, label) for label in VOCAB.predikat_kinerja.values()],
        "kategori_jpm": [(str(c["nama"]), str(c["nama"])) for c in rules.get("jpm_kategori") or []],
    }


def composed_columns() -> dict[str, Column]:
    """Return the columns spelled from the instrument and reference files, one per value, predikat or category.

    ``rerata_{nilai}_{kelompok}`` gives ``rerata_B1_atasan`` headed "B1 Berorientasi Pelayanan - Atasan".
    Templates with ``{angka}`` (any whole number) are matched by :func:`check_headers` instead.
    """
    fillers = _fillers()
    out: dict[str, Column] = {}
    for name, judul in VOCAB.kolom.items():
        holes = list(dict.fromkeys(_PLACEHOLDER.findall(name)))
        if not holes or holes == ["relasi"] or "angka" in holes:
            continue
        for combo in itertools.product(*(fillers[h] for h in holes)):
            one = name.format(**{h: code for h, (code, _) in zip(holes, combo)})
            head = judul.format(**{h: label for h, (_, label) in zip(holes, combo)})
            out[one] = _column(name, one, head)
    return out


def _number_templates() -> list[tuple[re.Pattern[str], re.Pattern[str], str, str]]:
    """Return (name pattern, header pattern, template, header template) of each ``{angka}`` column."""
    out = []
    for name, judul in VOCAB.kolom.items():
        if "{angka}" in name:
            out.append((re.compile(re.escape(name).replace(r"\{angka\}", r"(\d+)") + "$"),
                        re.compile(re.escape(judul).replace(r"\{angka\}", r"\d+") + "$"), name, judul))
    return out


def column(name: str) -> Column | None:
    """Return the column ``name`` (plain, per group, composed or numbered), or None when the vocabulary lacks it."""
    return find([name])[name]


def find(names: Iterable[str]) -> dict[str, Column | None]:
    """Return :func:`column` of each name, reading the instrument and reference files at most once."""
    plain = columns()
    out: dict[str, Column | None] = {}
    composed: dict[str, Column] | None = None
    for name in names:
        found = plain.get(name)
        if found is None:
            for pattern, _, template, judul in _number_templates():
                match = pattern.match(name)
                if match:
                    found = _column(template, name, judul.replace("{angka}", match.group(1)))
                    break
        if found is None and "_" in name:
            composed = composed_columns() if composed is None else composed
            found = composed.get(name)
        out[name] = found
    return out


def check_headers(headers: Iterable[str], where: str = "") -> None:
    """Raise ValueError naming each header that is not in the vocabulary (a sheet that spells its own).

    >>> check_headers(["NIP", "Jumlah Jawaban 4", "Sangat Baik"])
    >>> check_headers(["NIP", "nip pegawai"], "Contoh")
    Traceback (most recent call last):
    ...
    ValueError: lembar 'Contoh': judul kolom di luar kosakata (kosakata.yaml, bagian kolom): 'nip pegawai'
    """
    wanted = [str(h) for h in headers]
    known = {c.judul for c in columns().values()}
    missing = [h for h in wanted if h not in known]
    if missing:
        numbered = [p for _, p, _, _ in _number_templates()]
        missing = [h for h in missing if not any(p.match(h) for p in numbered)]
    if missing:
        composed = {c.judul for c in composed_columns().values()}
        missing = [h for h in missing if h not in composed]
    if missing:
        raise ValueError(f"lembar '{where}': judul kolom di luar kosakata (kosakata.yaml, bagian kolom): "
                         + ", ".join(repr(h) for h in missing))


def header(name: str) -> str:
    """Return the export header of column ``name`` (the name itself when it has none)."""
    found = column(name)
    return found.judul if found else name


def labels() -> dict[str, str]:
    """Return ``{name: header}`` for every column (kinerja_lib.export.Sheet's ``labels``)."""
    return {name: c.judul for name, c in columns().items()}


def formats() -> dict[str, str]:
    """Return ``{name: number format}`` of the columns that have one (kinerja_lib.export.Sheet's ``formats``)."""
    return {name: c.format for name, c in columns().items() if c.format}


def text_columns() -> list[str]:
    """Return the columns always written as text (kinerja_lib.export.Sheet's ``text``)."""
    return [name for name, c in columns().items() if c.teks]


def long_columns() -> list[str]:
    """Return the columns of long text, shown wrapped (kinerja_lib.export.Sheet's ``wrap``)."""
    return [name for name, c in columns().items() if c.panjang]
