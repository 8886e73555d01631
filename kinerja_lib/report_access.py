"""Report delivery: a pegawai reads their own published 360° report through their personal link, and who opened it.

The report shown is always the latest *published* version (``laporan_versi``, see
``reports.individual.published_report``): the same redacted, rater-anonymous context the printed PDF carries,
rendered from what was stored, never recomputed here. The pegawai is the link's own NIP, never a value the
page sends, so no request can reach another person's report. Light (no pandas): the form kernels import it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from .cycle import get_cycle
from .errors import AccessDenied, FormError
from .export import Sheet
from .links import LinkGrant, check_grant
from .store import now, write_transaction

NOT_PUBLISHED = ("Laporan umpan balik 360° Anda belum diterbitkan. Laporan muncul di sini setelah admin "
                 "kepegawaian menerbitkannya.")

# Export columns, named by the column vocabulary (kinerja_lib.columns).
DELIVERY_COLUMNS = ("nama", "nip", "unit_id", "no_hp", "tautan", "whatsapp")

OPENINGS_COLUMNS = ("nip", "nama", "unit_id", "versi_laporan", "diterbitkan", "pertama_dibuka", "terakhir_dibuka",
                    "jumlah_dibuka")


@dataclass(frozen=True)
class OwnReport:
    """The latest published version of a pegawai's report, ready to show."""

    nip: str
    versi: int
    diterbitkan: str          # ISO timestamp of the version
    context: dict[str, Any]   # the stored template context (see reports.page.stored_context)

    @property
    def provisional(self) -> bool:
        """Whether the predikat is not decided yet: everything 360 in it is advice (sementara)."""
        return not (self.context.get("ringkasan") or {}).get("predikat")

    def html(self) -> str:
        """Return the report as the printable HTML page (the template escapes every text)."""
        from .reports.page import render_report_html

        return render_report_html(self.context)


@dataclass(frozen=True)
class ReportOpening:
    """One pegawai with a published report, and whether (and how often) they opened it."""

    nip: str
    nama: str
    unit: str
    versi: int
    diterbitkan: str
    pertama: str | None
    terakhir: str | None
    jumlah: int

    @property
    def opened(self) -> bool:
        return self.jumlah > 0


@contextlib.contextmanager
def _write(db: Database) -> Iterator[Database]:
    from .form_service import ensure_same_file

    ensure_same_file(db)
    with write_transaction(db):
        yield db
        ensure_same_file(db)


def _latest(db: Database, cycle_id: int, nip: str) -> OwnReport | None:
    from .reports.page import stored_context

    row = db.execute("SELECT versi, diterbitkan, konteks FROM laporan_versi WHERE cycle_id = ? AND nip = ? "
                     "ORDER BY versi DESC LIMIT 1", [int(cycle_id), nip]).fetchone()
    if row is None:
        return None
    return OwnReport(nip, int(row[0]), row[1], stored_context(row[2]))


def has_report(db: Database, grant: LinkGrant) -> bool:
    """Return whether the link's own pegawai has a published report in the link's cycle (read-only).

    Raises AccessDenied for a link that is not a usable personal link.
    """
    if grant.jenis != "penilai":
        raise AccessDenied()
    check_grant(db, grant, "penilai", touch=False)
    return db.execute("SELECT 1 FROM laporan_versi WHERE cycle_id = ? AND nip = ? LIMIT 1",
                      [grant.cycle_id, grant.rater_nip]).fetchone() is not None


def open_own_report(db: Database, grant: LinkGrant) -> OwnReport:
    """Return the latest published report of the link's own pegawai and record the opening.

    The link is re-checked inside the transaction that records it (first and last opening, count). Raises
    AccessDenied for an unusable or non-personal link, FormError when no version is published yet.
    """
    if grant.jenis != "penilai":
        raise AccessDenied()
    with _write(db):
        check_grant(db, grant, "penilai")
        report = _latest(db, grant.cycle_id, grant.rater_nip)
        if report is None:
            raise FormError(NOT_PUBLISHED)
        stamp = now()
        db.execute("INSERT INTO laporan_dibuka (cycle_id, nip, pertama, terakhir, jumlah, versi) "
                   "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (cycle_id, nip) DO UPDATE SET "
                   "terakhir = excluded.terakhir, jumlah = jumlah + 1, versi = excluded.versi",
                   [grant.cycle_id, grant.rater_nip, stamp, stamp, report.versi])
    return report


def openings(db: Database, cycle_id: int | str | None = None, *, only: str | None = None) -> list[ReportOpening]:
    """Return every pegawai with a published report in the cycle, by unit and name, with their openings.

    ``only='belum'`` keeps those who never opened it, ``only='sudah'`` those who did. Raises CycleError for an
    unknown cycle, ValueError for another ``only``.
    """
    if only not in (None, "belum", "sudah"):
        raise ValueError(f"only must be None, 'belum' or 'sudah', not {only!r}")
    cycle = get_cycle(db, cycle_id)
    rows = db.execute(
        "SELECT p.nip, p.nama, COALESCE(u.nama, p.unit_id), v.versi, v.diterbitkan, d.pertama, d.terakhir, "
        "COALESCE(d.jumlah, 0) "
        "FROM (SELECT nip, MAX(versi) AS versi, MAX(diterbitkan) AS diterbitkan FROM laporan_versi "
        "      WHERE cycle_id = ? GROUP BY nip) v "
        "JOIN pegawai p ON p.nip = v.nip LEFT JOIN unit u ON u.id = p.unit_id "
        "LEFT JOIN laporan_dibuka d ON d.cycle_id = ? AND d.nip = v.nip "
        "ORDER BY 3, p.nama, p.nip", [cycle.id, cycle.id]).fetchall()
    out = [ReportOpening(*r) for r in rows]
    if only == "belum":
        out = [r for r in out if not r.opened]
    elif only == "sudah":
        out = [r for r in out if r.opened]
    return out


def openings_by_unit(rows: Sequence[ReportOpening]) -> list[tuple[str, int, int]]:
    """Return (unit, published, opened) per unit, in the order of ``rows``.

    >>> openings_by_unit([ReportOpening("1", "A", "Dinas X", 1, "t", None, None, 0),
    ...                   ReportOpening("2", "B", "Dinas X", 1, "t", "t", "t", 2)])
    [('Dinas X', 2, 1)]
    """
    counts: dict[str, list[int]] = {}
    for r in rows:
        c = counts.setdefault(r.unit, [0, 0])
        c[0] += 1
        c[1] += r.opened
    return [(unit, n, opened) for unit, (n, opened) in counts.items()]


def openings_sheet(rows: Sequence[ReportOpening]) -> Sheet:
    """Return the openings as an export table (times in the instansi's zone, written the Indonesian way)."""
    from .instansi import load_instansi

    when = load_instansi().waktu
    data = [(r.nip, r.nama, r.unit, r.versi, when(r.diterbitkan), when(r.pertama), when(r.terakhir), r.jumlah)
            for r in rows]
    return Sheet("Laporan dibuka", data, columns=list(OPENINGS_COLUMNS))


def delivery_message(nama: str, cycle_name: str, url: str) -> str:
    """Return the WhatsApp text telling a pegawai their report is out, with their personal link.

    >>> delivery_message("Sri", "Tahunan 2026", "https://x/?t=a").startswith("Yth. Sri, laporan umpan balik 360°")
    True
    """
    return (f"Yth. {' '.join(nama.split())}, laporan umpan balik 360° Anda untuk {' '.join(cycle_name.split())} "
            f"sudah terbit. Bukalah lewat tautan pribadi Anda (pilih 'Laporan saya'): {url} . Tautan ini hanya "
            "untuk Anda dan juga tautan formulir penilaian Anda; tautan lama tidak berlaku lagi. Jangan "
            "dibagikan.")


def delivery_nips(db: Database, cycle_id: int, *, only_unopened: bool = True) -> list[str]:
    """Return the NIPs to send a report link to: published report, active, a live assignment as rater."""
    rows = openings(db, cycle_id, only="belum" if only_unopened else None)
    raters = {r[0] for r in db.execute("SELECT DISTINCT a.rater_nip FROM assignment a JOIN pegawai p "
                                       "ON p.nip = a.rater_nip WHERE a.cycle_id = ? AND a.aktif = 1 AND p.aktif = 1",
                                       [int(cycle_id)])}
    return [r.nip for r in rows if r.nip in raters]


def delivery_sheet(issued: Sequence[Any], cycle_name: str) -> Sheet:
    """Return the list of freshly issued report links with a WhatsApp click-to-chat link per pegawai."""
    from .contact import whatsapp_url

    rows = [(i.nama, i.nip, i.unit, i.no_hp or "", i.url,
             whatsapp_url(i.no_hp, delivery_message(i.nama, cycle_name, i.url)) if i.no_hp else "") for i in issued]
    return Sheet("Laporan", rows, columns=list(DELIVERY_COLUMNS))
