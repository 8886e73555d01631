"""Exceptions raised by the kit; input errors subclass ValueError."""

from __future__ import annotations

from dataclasses import dataclass


class KinerjaError(Exception):
    """Base class for every error the kit raises on purpose."""


class ReferenceDataError(KinerjaError, ValueError):
    """A reference data file (instrument, kuadran, rules) is missing or malformed."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where it is and what is wrong (in Bahasa Indonesia)."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", baris {self.row}"
        if self.column:
            where += f", kolom '{self.column}'"
        return f"{where}: {self.message}"


class ImportRejected(KinerjaError, ValueError):
    """An import file had problems; nothing was written. ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"Impor dibatalkan, tidak ada data yang ditulis: {n} masalah ditemukan."
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class CycleError(KinerjaError, ValueError):
    """A cycle does not exist, is closed, or its settings are invalid."""


class AccessDenied(KinerjaError):
    """A personal link is unknown, revoked, expired or belongs to a closed cycle.

    The message never says which of these it was, so a guesser learns nothing.
    """

    def __init__(self) -> None:
        super().__init__("Tautan tidak valid atau sudah tidak berlaku.")


class FormError(KinerjaError, ValueError):
    """A form action is not allowed (locked form, value out of range, incomplete submission)."""


class FormConflict(FormError):
    """Another tab, device or import changed the same answer since the page last showed it."""


class DatabaseReplaced(KinerjaError):
    """The database file at the server's path is no longer the one this process opened (deleted or replaced)."""

    def __init__(self) -> None:
        super().__init__("Basis data di server telah diganti sejak halaman ini dibuka, sehingga perubahan terakhir "
                         "tidak disimpan. Muat ulang halaman; bila pesan ini muncul lagi, hubungi admin "
                         "kepegawaian (BKPSDM).")


class LinkError(KinerjaError, ValueError):
    """Links cannot be issued or revoked as asked (unknown rater, no assignments, closed cycle)."""


class ReportError(KinerjaError, ValueError):
    """A report cannot be made: unknown unit or pegawai, a bad date, or no PDF engine to print with."""


class OutputError(KinerjaError, ValueError):
    """An output file or folder cannot be written: unknown extension, missing or read-only folder, a path
    that is not a regular file, or a write that failed (disk full). Nothing was changed."""


class DatabaseFileError(KinerjaError, ValueError):
    """The database path cannot be used: not an SQLite database, not a regular file, damaged, or in a
    missing or read-only folder."""


class BackupError(KinerjaError, ValueError):
    """A backup or restore cannot be done: a damaged or unknown backup file, or a target that would be
    overwritten without ``--ganti``."""


class DemoError(KinerjaError, ValueError):
    """The demo generator refuses a database that is not its own (real data, or not a database)."""


class MailError(KinerjaError, ValueError):
    """E-mail cannot be sent as asked: SMTP settings missing or invalid, or the server refuses the connection."""


class ExternalRaterError(KinerjaError, ValueError):
    """An external ("pihak lain") rater cannot be added or assigned as asked: a missing name or instansi, an
    unusable e-mail or phone number, or an unknown pegawai."""


class SurveyError(KinerjaError, ValueError):
    """A public-service survey action is refused: an unknown or closed service point, an unknown unit, a
    response over the abuse limits, or an answer the survey does not ask."""
