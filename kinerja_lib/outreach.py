"""Reaching raters: who is invited or reminded, their message with a fresh personal link, WhatsApp lists and e-mail.

An invitation goes to raters who have no usable link yet (or to chosen ones); a reminder to exactly the
raters who still have a form not submitted. Each gets a fresh link, because only its hash is stored;
issuing one never touches another rater's link. The WhatsApp list needs no API account: each row holds
a click-to-chat link with the message ready to send. E-mail goes through the office's SMTP server,
paced by a rate limit, and every attempt is written to the ``kiriman`` log without the link itself.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlite_utils import Database

from . import links
from .contact import whatsapp_url
from .cycle import Cycle, get_cycle
from .errors import LinkError
from .export import Sheet, check_output_path
from .mailer import CONNECTION_ERRORS, Mailer, RateLimit, SmtpSettings, build_message, describe_error
from .store import JENIS_KIRIMAN, audit, now, write_transaction

UNDANGAN, PENGINGAT = JENIS_KIRIMAN
TEMPLATE_DIR = Path(__file__).parent / "templates"

#: Shown in a dry run where the fresh link would be: the real one exists only once it is sent.
LINK_PLACEHOLDER = "[tautan pribadi baru, dibuat saat pesan dikirim]"

#: Columns of the invitation and reminder lists, named by the column vocabulary (kinerja_lib.columns).
REACH_COLUMNS = ("nama", "nip", "unit_id", "no_hp", "email", "jumlah_dinilai", "belum_selesai", "tautan", "whatsapp")


@dataclass(frozen=True)
class Rater:
    """A rater to reach: who, how (phone, e-mail), and how many forms they have and have not finished."""

    nip: str
    nama: str
    unit: str
    no_hp: str | None
    email: str | None
    jumlah: int
    belum_selesai: int


@dataclass
class MailRun:
    """What an e-mail run did (or, in a dry run, would do)."""

    jenis: str
    terkirim: list[str] = field(default_factory=list)        # NIPs
    gagal: list[tuple[str, str]] = field(default_factory=list)  # (NIP, reason)
    tidak_dicoba: list[str] = field(default_factory=list)     # NIPs left when the connection broke
    pratinjau: list[tuple[str, str, str]] = field(default_factory=list)  # dry run: (to, subject, text)
    detik: float = 0.0


# ------------------------------------------------------------------------------------------ who

def raters_to_reach(db: Database, cycle_id: int | str, jenis: str, nips: Sequence[str] | None = None,
                    *, all_raters: bool = False) -> list[Rater]:
    """Return the raters an invitation or reminder goes to, by unit and name.

    ``pengingat``: every active rater with at least one active form not yet submitted. ``undangan``:
    every active rater without a usable link (all of them with ``all_raters``). ``nips`` narrows either
    to those NIPs; a NIP outside the set raises LinkError naming it.
    """
    if jenis not in JENIS_KIRIMAN:
        raise ValueError(f"jenis kiriman tidak dikenal: {jenis!r}")
    cycle = get_cycle(db, cycle_id)
    rows = db.execute(
        "SELECT a.rater_nip, p.nama, p.unit_id, p.no_hp, p.email, COUNT(*), SUM(a.status <> 'terkirim') "
        "FROM assignment a JOIN pegawai p ON p.nip = a.rater_nip "
        "WHERE a.cycle_id = ? AND a.aktif = 1 AND p.aktif = 1 "
        "GROUP BY a.rater_nip ORDER BY p.unit_id, p.nama, a.rater_nip", [cycle.id]).fetchall()
    raters = [Rater(*r) for r in rows]
    if jenis == PENGINGAT:
        raters = [r for r in raters if r.belum_selesai > 0]
        why = "tidak mempunyai formulir yang belum dikirim"
    else:
        why = "tidak mempunyai penugasan menilai yang aktif"
        if nips is None and not all_raters:
            linked = {r[0] for r in db.execute(
                "SELECT rater_nip FROM link WHERE cycle_id = ? AND jenis = 'penilai' AND dicabut IS NULL "
                "AND (kedaluwarsa IS NULL OR kedaluwarsa > ?)", [cycle.id, now()])}
            raters = [r for r in raters if r.nip not in linked]
    if nips is not None:
        wanted = list(dict.fromkeys(str(n).strip() for n in nips))
        known = {r.nip for r in raters}
        missing = [n for n in wanted if n not in known]
        if missing:
            raise LinkError(f"NIP berikut {why} pada siklus '{cycle.nama}': {', '.join(missing)}")
        raters = [r for r in raters if r.nip in set(wanted)]
    return raters


# ------------------------------------------------------------------------------------------ what

@lru_cache(maxsize=1)
def _env() -> Environment:
    from .reports import without_bidi_controls

    return Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=lambda name: name.endswith(".html.j2"),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       finalize=without_bidi_controls, keep_trailing_newline=True)


def _context(jenis: str, cycle: Cycle, nama: str, jumlah: int, belum_selesai: int, url: str) -> dict:
    from .reports import tanggal

    return {"jenis": jenis, "nama": " ".join(nama.split()), "siklus": " ".join(cycle.nama.split()),
            "jumlah": jumlah, "belum_selesai": belum_selesai, "url": url,
            "batas": tanggal(cycle.tanggal_selesai) if cycle.tanggal_selesai else "", "judul": subject(jenis, cycle)}


def subject(jenis: str, cycle: Cycle) -> str:
    """Return the e-mail subject of an invitation or reminder."""
    name = " ".join(cycle.nama.split())
    if jenis == PENGINGAT:
        return f"Pengingat: formulir penilaian 360° {name} belum selesai"
    return f"Undangan mengisi penilaian 360° {name}: tautan pribadi Anda"


def message_text(jenis: str, cycle: Cycle, nama: str, jumlah: int, belum_selesai: int, url: str) -> str:
    """Return the plain-text message (WhatsApp and e-mail) holding the rater's personal link."""
    return _env().get_template("pesan.txt.j2").render(_context(jenis, cycle, nama, jumlah, belum_selesai, url))


def message_html(jenis: str, cycle: Cycle, nama: str, jumlah: int, belum_selesai: int, url: str) -> str:
    """Return the simple HTML alternative of the e-mail; every value from the roster or cycle is escaped."""
    return _env().get_template("surel.html.j2").render(_context(jenis, cycle, nama, jumlah, belum_selesai, url))


def invitation_whatsapp(issued: links.IssuedLink, cycle: Cycle) -> str:
    """Return the WhatsApp click-to-chat link inviting a freshly issued rater ('' without a phone number)."""
    if not issued.no_hp:
        return ""
    return whatsapp_url(issued.no_hp, message_text(UNDANGAN, cycle, issued.nama, issued.jumlah_dinilai,
                                                   issued.jumlah_dinilai, issued.url))


def reach_sheet(jenis: str, cycle: Cycle, issued: Sequence[links.IssuedLink], raters: dict[str, Rater]) -> Sheet:
    """Return the invitation or reminder list: contacts, counts, the fresh link and the WhatsApp link."""
    rows = []
    for i in issued:
        r = raters[i.nip]
        wa = (whatsapp_url(r.no_hp, message_text(jenis, cycle, r.nama, r.jumlah, r.belum_selesai, i.url))
              if r.no_hp else "")
        rows.append((r.nama, r.nip, r.unit, r.no_hp or "", r.email or "", r.jumlah, r.belum_selesai, i.url, wa))
    title = "Pengingat" if jenis == PENGINGAT else "Undangan"
    return Sheet(title, rows, columns=list(REACH_COLUMNS))


def write_list(db: Database, cycle_id: int | str, jenis: str, out: str | Path, raters: Sequence[Rater],
               base_url: str | None = None, kedaluwarsa: datetime | None = None,
               pelaku: str = "cli") -> list[links.IssuedLink]:
    """Issue fresh links for ``raters`` and write them, with WhatsApp links, to ``out`` (.csv or .xlsx).

    All or nothing (see :func:`links.issue_links`): the new links are committed together with the
    file, and only these raters' previous links are revoked. Returns the issued links.
    """
    cycle = get_cycle(db, cycle_id)
    by_nip = {r.nip: r for r in raters}
    return links.issue_links(db, cycle.id, base_url=base_url, nips=list(by_nip), kedaluwarsa=kedaluwarsa,
                             pelaku=pelaku, out=out, sheet=lambda issued: reach_sheet(jenis, cycle, issued, by_nip))


def check_list_path(out: str | Path) -> Path:
    """Return ``out`` when the list can be written there; raise OutputError before anything is done."""
    return check_output_path(out, ("xlsx", "csv"), option="--out")


# ------------------------------------------------------------------------------------------ e-mail

def send_mail(db: Database, cycle_id: int | str, jenis: str, raters: Sequence[Rater], settings: SmtpSettings | None,
              per_minute: int, base_url: str | None = None, kedaluwarsa: datetime | None = None, *,
              dry_run: bool = False, pelaku: str = "cli", progress: Callable[[str, str, str], None] | None = None,
              rate: RateLimit | None = None, clock: Callable[[], float] | None = None) -> MailRun:
    """E-mail each rater in ``raters`` who has an address their message with a fresh link; return what happened.

    One SMTP session, messages spaced by ``per_minute``. Per rater: a new link is issued beside the
    old one, the message sent, then in one transaction the old link is revoked (sent) or the new one
    withdrawn (refused), and a ``kiriman`` row records to whom, when, which kind and the result, never
    the link. A refused recipient is logged and the run goes on; a broken connection ends it and the
    raters not yet tried are returned untouched. ``dry_run`` writes and sends nothing and returns the
    messages that would go out. Raises MailError when the server cannot be reached at the start.
    """
    import time

    cycle = get_cycle(db, cycle_id)
    if not cycle.is_open:
        raise LinkError(f"Siklus '{cycle.nama}' sudah ditutup; tautan tidak dapat diterbitkan")
    run = MailRun(jenis)
    targets = [r for r in raters if r.email]
    if dry_run:
        for r in targets:
            run.pratinjau.append((r.email, subject(jenis, cycle),
                                  message_text(jenis, cycle, r.nama, r.jumlah, r.belum_selesai, LINK_PLACEHOLDER)))
        return run
    if settings is None:
        raise ValueError("settings are required unless dry_run")
    clock = clock or time.monotonic
    rate = rate or RateLimit(per_minute)
    started = clock()
    with Mailer(settings) as mailer:
        for index, r in enumerate(targets):
            rate.wait()
            link_id, url, _token = links.issue_beside(db, cycle.id, r.nip, base_url, kedaluwarsa)
            msg = build_message(settings, r.nama, r.email, subject(jenis, cycle),
                                message_text(jenis, cycle, r.nama, r.jumlah, r.belum_selesai, url),
                                message_html(jenis, cycle, r.nama, r.jumlah, r.belum_selesai, url))
            error: BaseException | None = None
            try:
                mailer.send(msg)
            except (smtplib.SMTPException, OSError) as exc:
                error = exc
            with write_transaction(db):
                links.settle(db, cycle.id, r.nip, link_id, delivered=error is None)
                db.execute("INSERT INTO kiriman (cycle_id, nip, alamat, jenis, waktu, hasil, keterangan, pelaku) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [cycle.id, r.nip, r.email, jenis, now(), "terkirim" if error is None else "gagal",
                            None if error is None else describe_error(error), pelaku])
            if error is None:
                run.terkirim.append(r.nip)
            else:
                run.gagal.append((r.nip, describe_error(error)))
            if progress is not None:
                progress(r.nip, r.email, "terkirim" if error is None else f"gagal: {describe_error(error)}")
            if error is not None and isinstance(error, CONNECTION_ERRORS):
                run.tidak_dicoba = [t.nip for t in targets[index + 1:]]
                break
    run.detik = clock() - started
    with write_transaction(db):
        audit(db, pelaku, f"kirim_{jenis}", "cycle", cycle.id, terkirim=len(run.terkirim), gagal=len(run.gagal),
              tidak_dicoba=len(run.tidak_dicoba), server=f"{settings.host}:{settings.port}")
    return run


def sent_log(db: Database, cycle_id: int | str) -> list[dict]:
    """Return the cycle's e-mail log, oldest first: NIP, nama, alamat, jenis, waktu, hasil, keterangan."""
    cycle = get_cycle(db, cycle_id)
    return list(db.query("SELECT k.nip, p.nama, k.alamat, k.jenis, k.waktu, k.hasil, k.keterangan FROM kiriman k "
                         "JOIN pegawai p ON p.nip = k.nip WHERE k.cycle_id = ? ORDER BY k.id", [cycle.id]))
