"""The vocabulary of codes: one spelling per concept, from ``data/referensi/kosakata.yaml``.

Every code the database, the program and the import files use (relations, form statuses, ratings, predikat,
disiplin levels, potensi categories, ...) and the label a person sees for it are read from that file, here,
once. The schema pins the codes it guards with CHECK constraints; ``tests/test_vocabulary.py`` holds the
schema and the file to each other, so changing a guarded code takes a schema migration.

>>> VOCAB.relasi.codes
('diri', 'atasan', 'rekan', 'bawahan', 'lainnya')
>>> VOCAB.relasi.label("lainnya"), VOCAB.relasi.parse(" Rekan  KERJA ")
('Pihak lain', 'rekan')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from .errors import ReferenceDataError

FILE = "kosakata.yaml"


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


@dataclass(frozen=True)
class CodeSet(Mapping[str, str]):
    """The codes of one concept in their order (best first where there is an order), each with its label.

    A mapping from code to label: iterating gives the codes, ``in`` tests a code.
    """

    nama: str
    labels: dict[str, str]

    def __getitem__(self, code: str) -> str:
        return self.labels[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __hash__(self) -> int:
        return hash((self.nama, tuple(self.labels.items())))

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def label(self, code: str) -> str:
        """Return the label of ``code`` (the code itself when unknown, so a message never fails)."""
        return self.labels.get(code, code)

    def parse(self, text: str | None) -> str | None:
        """Return the code that ``text`` names, as a code or as its label (case and spacing ignored), or None."""
        if text is None:
            return None
        wanted = _fold(text)
        for code, label in self.labels.items():
            if _fold(code) == wanted or _fold(label) == wanted:
                return code
        return None

    def choices(self) -> str:
        """Return the codes as a readable list for messages: ``diri, atasan, ...``."""
        return ", ".join(self.labels)


@dataclass(frozen=True)
class Vocabulary:
    """Every code set of kosakata.yaml. ``vocab["relasi"]`` works as well as ``vocab.relasi``."""

    relasi: CodeSet
    status_penilaian: CodeSet
    status_siklus: CodeSet
    periode: CodeSet
    jenis_kelamin: CodeSet
    status_kepegawaian: CodeSet
    tingkat_disiplin: CodeSet
    komentar: CodeSet
    kategori_potensi: CodeSet
    tingkat_inovasi: CodeSet
    status_keberatan: CodeSet
    rating: CodeSet
    predikat_kinerja: CodeSet
    predikat_organisasi: CodeSet
    status_predikat: CodeSet
    sumber_rating_perilaku: CodeSet
    sumber_penugasan: CodeSet
    jenis_tautan: CodeSet
    jenis_kiriman: CodeSet
    hasil_kiriman: CodeSet
    kolom: CodeSet                 # column name -> export header (kinerja_lib.columns)
    status_nominasi: CodeSet

    def __getitem__(self, name: str) -> CodeSet:
        if name not in self.names():
            raise KeyError(name)
        return getattr(self, name)

    def get(self, name: str, default=None):
        return getattr(self, name) if name in self.names() else default

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def _code_set(name: str, raw: object, where: str) -> CodeSet:
    if isinstance(raw, list):
        pairs = [(str(c), str(c)) for c in raw]
    elif isinstance(raw, dict):
        pairs = [(str(c), str(label)) for c, label in raw.items()]
    else:
        raise ReferenceDataError(f"{where}: '{name}' harus daftar kode atau pemetaan kode -> label")
    if not pairs:
        raise ReferenceDataError(f"{where}: '{name}' kosong")
    seen: set[str] = set()
    for code, label in pairs:
        if not code.strip() or not label.strip():
            raise ReferenceDataError(f"{where}: '{name}' memuat kode atau label kosong")
        if _fold(code) in seen:
            raise ReferenceDataError(f"{where}: '{name}': kode '{code}' ganda")
        seen.add(_fold(code))
    return CodeSet(name, dict(pairs))


@lru_cache(maxsize=8)
def load_vocabulary(directory: Path | None = None) -> Vocabulary:
    """Return the vocabulary of ``kosakata.yaml`` (default: the reference directory), validated.

    Raises ReferenceDataError naming the file and the code set that is missing or malformed.
    """
    from .reference import _load

    data = _load(FILE, directory)
    where = str((directory or _reference_dir()) / FILE)
    missing = [n for n in Vocabulary.names() if n not in data]
    if missing:
        raise ReferenceDataError(f"{where}: kode {', '.join(missing)} wajib ada")
    unknown = sorted(set(data) - set(Vocabulary.names()))
    if unknown:
        raise ReferenceDataError(f"{where}: bagian {', '.join(unknown)} tidak dikenal")
    return Vocabulary(**{n: _code_set(n, data[n], where) for n in Vocabulary.names()})


def _reference_dir() -> Path:
    from . import config

    return config.reference_dir()


class _Lazy:
    """``VOCAB``: the default vocabulary, read on first use (so importing the kit reads no file)."""

    def __getattr__(self, name: str) -> CodeSet:
        return getattr(load_vocabulary(), name)

    def __getitem__(self, name: str) -> CodeSet:
        return load_vocabulary()[name]


VOCAB: Vocabulary = _Lazy()  # type: ignore[assignment]
