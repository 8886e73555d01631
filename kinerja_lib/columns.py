"""The column vocabulary: one name per figure from the database to the exports, with its Indonesian header.

The names and headers are data: the ``kolom`` section of ``data/referensi/kosakata.yaml``. A column keeps the
name its table gives it (``hasil_skor.skor_adj``, ``hasil_kesepakatan_diri.rerata_bukan_diri``) wherever it
travels as that figure; exports show the header written there and the number format given here. The export
writer (kinerja_lib.export.Sheet) takes :func:`labels`, :func:`formats` and :func:`text_columns`, so a header
is spelled in one place. Columns per rater group (``n_rekan``, ``rerata_rekan``) are spelled with the group's
label from the same file.

The analyses' DataFrames still use English working names (``ratee``, ``score_adj``, ``others``); the one
table from those to the stored names is :func:`working_names`, used both to store and to read back. Moving
the DataFrames themselves onto the stored names is left for later. A name means one thing only: a bare ``n`` (people in one sheet, raters in another) is not defined
on purpose, and a sheet that shows one labels it itself.

>>> header("rerata_bukan_diri")
'Rerata Penilai Lain (semua selain diri)'
>>> header("n_lainnya"), header("tidak_ada")
('Jumlah Penilai Pihak lain', 'tidak_ada')
"""

from __future__ import annotations

from dataclasses import dataclass

from .vocabulary import VOCAB


@dataclass(frozen=True)
class Column:
    """One column: its name (database and DataFrame), the header exports show, and how its values are shown."""

    nama: str
    judul: str
    format: str | None = None      # Excel number format, e.g. "0.00", "0.0%" for a share stored as a fraction
    teks: bool = False             # always written as text (NIP: 18 digits a spreadsheet would round)


# How values are shown; the headers themselves are data (kosakata.yaml, section ``kolom``).
_FORMATS = {
    "proporsi_aktual": "0.0%", "level_dinilai": "0.00", "level_diri": "0.00", "se": "0.00", "kesenjangan": "0.00",
    "peluang_kesenjangan_1": "0%", "jpm": "0.0", "rerata_kesenjangan": "0.00", "rerata_standar": "0.00",
    "rerata_dinilai": "0.00", "mwds": "0.000", "rerata_jpm": "0.0",
}
_TEXT = frozenset({"nip"})


def working_names(table: str) -> dict[str, str]:
    """Return ``{English working name: stored column}`` for the analysis frame stored in ``table``.

    kinerja_lib.scoring renames its frames with this when it stores them and kinerja_lib.reports renames the
    stored rows back with its inverse, so the two directions are one table and cannot drift apart.

    >>> working_names("hasil_kesepakatan_diri")["others"]
    'rerata_bukan_diri'
    """
    if table == "hasil_skor":
        return {"score": "skor", "score_adj": "skor_adj", "score_adj_se": "skor_adj_se",
                "shown_groups": "kelompok_tampil", "saran": "rating_perilaku_saran", "p_atas": "peluang_di_atas",
                "p_bawah": "peluang_di_bawah", "dasar": "dasar_saran",
                **{f"mean_{g}": f"rerata_{g}" for g in VOCAB.relasi.codes}}
    if table == "hasil_skor_nilai":
        return {"ratee": "nip", "value": "nilai", "group": "kelompok", "mean": "rerata"}
    if table == "hasil_kesepakatan_diri":
        return {"ratee": "nip", "value": "nilai", "self": "diri", "others": "rerata_bukan_diri", "diff": "selisih"}
    raise KeyError(table)


def columns() -> dict[str, Column]:
    """Return every column by name, the per-group ones spelled out for each rater group of kosakata.yaml."""
    out: dict[str, Column] = {}
    for name, judul in VOCAB.kolom.items():
        pairs = ([(name.format(relasi=code), judul.format(relasi=label)) for code, label in VOCAB.relasi.items()]
                 if "{relasi}" in name else [(name, judul)])
        for one, head in pairs:
            out[one] = Column(one, head, _FORMATS.get(name), name in _TEXT)
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
