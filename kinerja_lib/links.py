"""Personal links: issuing unguessable rater and admin tokens, resolving, revoking and exporting them.

A token is ``secrets.token_urlsafe(32)`` (256 random bits). Only its SHA-256 hex digest is stored,
so the database alone cannot rebuild a link: a token is shown once, when it is issued.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from ipaddress import ip_address
from urllib.parse import parse_qs, urlsplit

from sqlite_utils import Database

from . import config
from .cycle import Cycle, get_cycle
from .errors import AccessDenied, LinkError
from .export import Sheet, atomic_path, check_output_path, staged_files, write_csv, write_xlsx
from .store import audit, now, write_transaction

#: Notebooks served by Voilà (tree mode on ``forms/``) and the query parameter holding the token.
RATER_NOTEBOOK = "penilaian.ipynb"
ADMIN_NOTEBOOK = "admin.ipynb"
TOKEN_PARAM = "t"
TOKEN_BYTES = 32

#: Columns of the links file, named by the column vocabulary (kinerja_lib.columns): headers Nama, NIP, Unit Kerja,
#: Tautan, Jumlah Dinilai, No. HP, Tautan WhatsApp.
EXPORT_COLUMNS = ("nama", "nip", "unit_id", "tautan", "jumlah_dinilai", "no_hp", "whatsapp")

# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet; anything else is refused
# before the database is asked.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,128}")


@dataclass(frozen=True)
class IssuedLink:
    """A freshly issued link: the only moment the token itself is known."""

    nip: str | None          # None for the admin link
    nama: str
    unit: str
    url: str
    token: str
    jumlah_dinilai: int
    no_hp: str | None = None   # international form (62812...), for the WhatsApp link
    email: str | None = None


@dataclass(frozen=True)
class LinkGrant:
    """What a valid token grants: a rater (or the admin) acting in one cycle."""

    link_id: int
    cycle_id: int
    jenis: str               # 'penilai' or 'admin'
    rater_nip: str | None
    #: A "pihak lain" rater from outside the roster (table penilai_luar) instead of a pegawai.
    penilai_luar_id: int | None = None
    admin_nama: str | None = None   # the person holding a named admin link (``kinerja admin tambah``)
    opd: str | None = None          # an OPD admin's perangkat daerah: they see and act only under it

    @property
    def pelaku(self) -> str:
        """Return the actor name written to the audit log: the rater (pegawai or pihak lain), the named admin,
        or the shared admin link."""
        if self.jenis == "penilai":
            if self.penilai_luar_id is not None:
                return f"pihak_lain:{self.penilai_luar_id}"
            return f"penilai:{self.rater_nip}"
        if self.admin_nama:
            return f"admin:{self.admin_nama} (tautan{self.link_id})"
        return f"admin:tautan{self.link_id}"


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest stored in ``link.token_hash``.

    >>> len(hash_token("abc"))
    64
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def form_url(token: str, jenis: str = "penilai", base_url: str | None = None) -> str:
    """Return the page address for a token: the rater form, or the admin dashboard.

    >>> form_url("TOKEN", base_url="http://host:8866/")
    'http://host:8866/voila/render/penilaian.ipynb?t=TOKEN'
    """
    base = (base_url if base_url is not None else config.base_url()).rstrip("/")
    notebook = ADMIN_NOTEBOOK if jenis == "admin" else RATER_NOTEBOOK
    return f"{base}/voila/render/{notebook}?{TOKEN_PARAM}={token}"


def local_base_url_warning(base_url: str | None = None) -> str | None:
    """Return an Indonesian warning when links would point at this computer only, else None.

    A base URL on 127.0.0.1, localhost or another loopback or unspecified address opens only on the
    server itself: raters on their own phones and computers cannot reach it.

    >>> local_base_url_warning("https://nilai.surakarta.go.id") is None
    True
    >>> local_base_url_warning("http://127.0.0.1:8866").startswith("Peringatan: alamat dasar")
    True
    """
    base = base_url if base_url is not None else config.base_url()
    try:
        host = (urlsplit(base).hostname or "").lower()
    except ValueError:
        host = ""
    local = host in ("", "localhost") or host.endswith(".localhost")
    if not local:
        try:
            address = ip_address(host)
            local = address.is_loopback or address.is_unspecified
        except ValueError:
            pass
    if not local:
        return None
    return (f"Peringatan: alamat dasar tautan '{base}' hanya dapat dibuka di komputer server ini; penilai di "
            "perangkat lain tidak dapat membukanya. Atur alamat publik server formulir dengan --base-url atau "
            f"variabel lingkungan {config.ENV_BASE_URL}, lalu terbitkan ulang tautan yang sudah dibagikan.")


def token_from_query(query_string: str | None) -> str:
    """Return the token in a request's query string ('' when there is none).

    >>> token_from_query("t=abc&x=1")
    'abc'
    """
    values = parse_qs(query_string or "", keep_blank_values=False).get(TOKEN_PARAM, [])
    return values[0] if len(values) == 1 else ""


def _expiry(kedaluwarsa: datetime | None) -> str | None:
    if kedaluwarsa is None:
        return None
    if kedaluwarsa.tzinfo is None:
        kedaluwarsa = kedaluwarsa.replace(tzinfo=timezone.utc)
    return kedaluwarsa.astimezone(timezone.utc).isoformat(timespec="seconds")


def issue_links(db: Database, cycle_id: int | str, base_url: str | None = None,
                nips: Sequence[str] | None = None, kedaluwarsa: datetime | None = None,
                pelaku: str = "cli", out: str | Path | None = None, *, only_without_link: bool = False,
                sheet: Callable[[Sequence[IssuedLink]], Sheet] | None = None) -> list[IssuedLink]:
    """Issue one personal link per rater of the cycle (or per NIP in ``nips``) and return them.

    A rater is anyone with at least one active assignment in the cycle. Re-issuing revokes that
    rater's previous link, never another rater's. With ``only_without_link`` (and no ``nips``) only
    raters without a usable link get one, so issuing again reaches newcomers and leaves the links
    already sent alone.

    With ``out`` (.csv or .xlsx) the links are exported there (``sheet`` builds the table; default
    :func:`links_sheet`), and the new links are committed only together with that file: the path is
    checked before anything is issued, the file is put in place as the last step of the transaction,
    and it is taken back if the commit fails, so the links already sent stay valid whenever the
    export does not succeed.
    Raises LinkError for a closed cycle or a NIP that rates nobody in it, OutputError for an
    unusable ``out``.
    """
    if out is not None:
        out = check_output_path(out, ("xlsx", "csv"), option="--out")
    cycle = get_cycle(db, cycle_id)
    if not cycle.is_open:
        raise LinkError(f"Siklus '{cycle.nama}' sudah ditutup; tautan tidak dapat diterbitkan")
    raters = list(db.query(
        "SELECT a.rater_nip AS nip, p.nama, p.unit_id AS unit, COUNT(*) AS jumlah, p.no_hp, p.email "
        "FROM assignment a JOIN pegawai p ON p.nip = a.rater_nip "
        "WHERE a.cycle_id = ? AND a.aktif = 1 AND p.aktif = 1 "
        "GROUP BY a.rater_nip ORDER BY p.unit_id, p.nama, a.rater_nip", [cycle.id]))
    if only_without_link and nips is None:
        linked = {r[0] for r in db.execute(
            "SELECT rater_nip FROM link WHERE cycle_id = ? AND jenis = 'penilai' AND dicabut IS NULL "
            "AND (kedaluwarsa IS NULL OR kedaluwarsa > ?)", [cycle.id, now()])}
        raters = [r for r in raters if r["nip"] not in linked]
        if not raters:
            return []   # nothing new: leave any earlier export in place
    if nips is not None:
        wanted = list(dict.fromkeys(str(n).strip() for n in nips))
        known = {r["nip"] for r in raters}
        missing = [n for n in wanted if n not in known]
        if missing:
            raise LinkError("NIP berikut tidak mempunyai penugasan menilai yang aktif pada siklus "
                            f"'{cycle.nama}': {', '.join(missing)}")
        chosen = set(wanted)
        raters = [r for r in raters if r["nip"] in chosen]
    stamp, expiry = now(), _expiry(kedaluwarsa)
    issued, rows = [], []
    for r in raters:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        rows.append((cycle.id, r["nip"], hash_token(token), stamp, expiry))
        issued.append(IssuedLink(r["nip"], r["nama"], r["unit"], form_url(token, "penilai", base_url),
                                 token, r["jumlah"], r["no_hp"], r["email"]))
    with staged_files(out) as (staged,):
        if staged is not None:
            _write_links(issued, staged.temp, out, cycle.nama, expiry,
                         sheet(issued) if sheet is not None else links_sheet(issued, cycle))
        with write_transaction(db):
            db.conn.executemany(
                "UPDATE link SET dicabut = ? WHERE cycle_id = ? AND jenis = 'penilai' AND rater_nip = ? "
                "AND dicabut IS NULL", [(stamp, cycle.id, row[1]) for row in rows])
            db.conn.executemany(
                "INSERT INTO link (cycle_id, jenis, rater_nip, token_hash, diterbitkan, kedaluwarsa) "
                "VALUES (?, 'penilai', ?, ?, ?, ?)", rows)
            audit(db, pelaku, "terbitkan_tautan", "cycle", cycle.id, jumlah=len(rows),
                  nip=None if nips is None else [row[1] for row in rows], kedaluwarsa=expiry,
                  berkas=None if out is None else str(out))
            if staged is not None:
                staged.place()  # the last step before COMMIT; undone if the commit fails
    return issued


def issue_external_links(db: Database, cycle_id: int | str, base_url: str | None = None,
                         ids: Sequence[int] | None = None, kedaluwarsa: datetime | None = None,
                         pelaku: str = "cli", *, only_without_link: bool = False) -> list[IssuedLink]:
    """Issue one personal link per "pihak lain" rater of the cycle (or per id in ``ids``); return them.

    The same token model as a pegawai's link; re-issuing revokes that rater's previous link only. An
    IssuedLink's ``nip`` is None and its ``unit`` holds the rater's instansi. Raises LinkError for a closed
    cycle or an id that rates nobody in it.
    """
    cycle = get_cycle(db, cycle_id)
    if not cycle.is_open:
        raise LinkError(f"Siklus '{cycle.nama}' sudah ditutup; tautan tidak dapat diterbitkan")
    raters = list(db.query(
        "SELECT x.id, x.nama, x.instansi, COUNT(*) AS jumlah, x.no_hp, x.email FROM assignment a "
        "JOIN penilai_luar x ON x.id = a.penilai_luar_id WHERE a.cycle_id = ? AND a.aktif = 1 AND x.aktif = 1 "
        "GROUP BY x.id ORDER BY x.instansi, x.nama, x.id", [cycle.id]))
    if ids is not None:
        wanted = [int(i) for i in ids]
        missing = [str(i) for i in wanted if i not in {r["id"] for r in raters}]
        if missing:
            raise LinkError("Penilai pihak lain berikut tidak mempunyai penugasan menilai yang aktif pada siklus "
                            f"'{cycle.nama}': {', '.join(missing)}")
        raters = [r for r in raters if r["id"] in set(wanted)]
    elif only_without_link:
        linked = {r[0] for r in db.execute(
            "SELECT penilai_luar_id FROM link WHERE cycle_id = ? AND penilai_luar_id IS NOT NULL "
            "AND dicabut IS NULL AND (kedaluwarsa IS NULL OR kedaluwarsa > ?)", [cycle.id, now()])}
        raters = [r for r in raters if r["id"] not in linked]
    stamp, expiry = now(), _expiry(kedaluwarsa)
    issued, rows = [], []
    for r in raters:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        rows.append((cycle.id, r["id"], hash_token(token), stamp, expiry))
        issued.append(IssuedLink(None, r["nama"], r["instansi"], form_url(token, "penilai", base_url), token,
                                 r["jumlah"], r["no_hp"], r["email"]))
    with write_transaction(db):
        db.conn.executemany("UPDATE link SET dicabut = ? WHERE cycle_id = ? AND penilai_luar_id = ? "
                            "AND dicabut IS NULL", [(stamp, cycle.id, row[1]) for row in rows])
        db.conn.executemany("INSERT INTO link (cycle_id, jenis, penilai_luar_id, token_hash, diterbitkan, kedaluwarsa) "
                            "VALUES (?, 'penilai', ?, ?, ?, ?)", rows)
        audit(db, pelaku, "terbitkan_tautan_pihak_lain", "cycle", cycle.id, penilai_luar=[row[1] for row in rows],
              kedaluwarsa=expiry)
    return issued


def issue_beside(db: Database, cycle_id: int, nip: str, base_url: str | None = None,
                 kedaluwarsa: datetime | None = None) -> tuple[int, str, str]:
    """Issue a new link for one rater while their previous link stays valid; return (link id, url, token).

    For a delivery that may fail (an e-mail): the caller then calls :func:`settle`, which keeps only
    the new link once it was delivered, or withdraws it when it was not, so a failed delivery never
    leaves the rater without a working link.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction(db):
        cur = db.execute("INSERT INTO link (cycle_id, jenis, rater_nip, token_hash, diterbitkan, kedaluwarsa) "
                         "VALUES (?, 'penilai', ?, ?, ?, ?)",
                         [int(cycle_id), nip, hash_token(token), now(), _expiry(kedaluwarsa)])
    return cur.lastrowid, form_url(token, "penilai", base_url), token


def settle(db: Database, cycle_id: int, nip: str, link_id: int, delivered: bool) -> None:
    """After :func:`issue_beside`: revoke the rater's other live links (delivered) or the new one (not).

    Runs inside the caller's transaction when there is one; touches no other rater's links.
    """
    stamp = now()
    if delivered:
        db.execute("UPDATE link SET dicabut = ? WHERE cycle_id = ? AND jenis = 'penilai' AND rater_nip = ? "
                   "AND id <> ? AND dicabut IS NULL", [stamp, int(cycle_id), nip, int(link_id)])
    else:
        db.execute("UPDATE link SET dicabut = ? WHERE id = ? AND dicabut IS NULL", [stamp, int(link_id)])


def issue_admin_link(db: Database, cycle_id: int | str, base_url: str | None = None,
                     kedaluwarsa: datetime | None = None, pelaku: str = "cli") -> IssuedLink:
    """Issue the shared admin dashboard link of a cycle (revoking the previous shared one) and return it.

    Named admin links (:func:`issue_named_admin_link`) are left alone.
    """
    cycle = get_cycle(db, cycle_id)
    if not cycle.is_open:
        raise LinkError(f"Siklus '{cycle.nama}' sudah ditutup; tautan tidak dapat diterbitkan")
    token, stamp = secrets.token_urlsafe(TOKEN_BYTES), now()
    with write_transaction(db):
        db.execute("UPDATE link SET dicabut = ? WHERE cycle_id = ? AND jenis = 'admin' AND dicabut IS NULL "
                   "AND id NOT IN (SELECT link_id FROM admin_tautan)", [stamp, cycle.id])
        db.execute("INSERT INTO link (cycle_id, jenis, rater_nip, token_hash, diterbitkan, kedaluwarsa) "
                   "VALUES (?, 'admin', NULL, ?, ?, ?)", [cycle.id, hash_token(token), stamp, _expiry(kedaluwarsa)])
        audit(db, pelaku, "terbitkan_tautan_admin", "cycle", cycle.id)
    return IssuedLink(None, "Admin", "", form_url(token, "admin", base_url), token, 0)


ADMIN_NAME_MAX = 120


@dataclass(frozen=True)
class AdminLink:
    """One admin link of a cycle as ``kinerja admin daftar`` lists it (never the token)."""

    id: int
    nama: str | None           # None for the shared link of ``kinerja admin-link``
    nip: str | None
    opd: str | None
    diterbitkan: str
    terakhir_dipakai: str | None
    kedaluwarsa: str | None
    dicabut: str | None


def _admin_opd(db: Database, opd: str | None) -> str | None:
    if opd is None:
        return None
    from .organisation import units_matching

    wanted = str(opd).strip()
    roots = [u for u in units_matching(db, wanted)
             if db.execute("SELECT induk_id FROM unit WHERE id = ?", [u]).fetchone()[0] is None]
    if len(roots) != 1:
        raise LinkError(f"Perangkat daerah '{wanted}' tidak ditemukan (pakai id atau nama unit "
                        "tanpa induk)" if not roots else
                        f"Nama perangkat daerah '{wanted}' tidak unik; pakai id unitnya")
    return roots[0]


def issue_named_admin_link(db: Database, cycle_id: int | str, nama: str, nip: str | None = None,
                           opd: str | None = None, base_url: str | None = None,
                           kedaluwarsa: datetime | None = None, pelaku: str = "cli") -> IssuedLink:
    """Issue a personal admin link for one named person and return it (the token is shown once).

    Other admin links stay valid: several admins work at once and each is revoked alone
    (:func:`revoke_admin_link`). With ``opd`` (id or name of a perangkat daerah) the admin sees and acts
    only on raters in units under it. The audit log names the person in every change they make.
    """
    cycle = get_cycle(db, cycle_id)
    if not cycle.is_open:
        raise LinkError(f"Siklus '{cycle.nama}' sudah ditutup; tautan tidak dapat diterbitkan")
    nama = " ".join(str(nama or "").split())
    if not nama:
        raise LinkError("Nama admin wajib diisi")
    if len(nama) > ADMIN_NAME_MAX:
        raise LinkError(f"Nama admin terlalu panjang; paling banyak {ADMIN_NAME_MAX} karakter")
    nip = None if nip is None or not str(nip).strip() else str(nip).strip()
    if nip is not None and not re.fullmatch(r"\d{18}", nip):
        raise LinkError("NIP admin harus 18 digit angka")
    opd_id = _admin_opd(db, opd)
    token, stamp = secrets.token_urlsafe(TOKEN_BYTES), now()
    with write_transaction(db):
        cur = db.execute("INSERT INTO link (cycle_id, jenis, rater_nip, token_hash, diterbitkan, kedaluwarsa) "
                         "VALUES (?, 'admin', NULL, ?, ?, ?)",
                         [cycle.id, hash_token(token), stamp, _expiry(kedaluwarsa)])
        link_id = cur.lastrowid
        db.execute("INSERT INTO admin_tautan (link_id, nama, nip, opd_id, diterbitkan_oleh) VALUES (?, ?, ?, ?, ?)",
                   [link_id, nama, nip, opd_id, pelaku])
        audit(db, pelaku, "terbitkan_tautan_admin", "link", link_id, cycle_id=cycle.id, nama=nama, nip=nip,
              opd=opd_id)
    return IssuedLink(nip, nama, opd_id or "", form_url(token, "admin", base_url), token, 0)


def admin_links(db: Database, cycle_id: int | str, include_revoked: bool = False) -> list[AdminLink]:
    """Return the cycle's admin links (live ones, or all with ``include_revoked``), oldest first."""
    cycle = get_cycle(db, cycle_id)
    rows = db.query(
        "SELECT l.id, ad.nama, ad.nip, ad.opd_id, l.diterbitkan, l.terakhir_dipakai, l.kedaluwarsa, l.dicabut "
        "FROM link l LEFT JOIN admin_tautan ad ON ad.link_id = l.id WHERE l.cycle_id = ? AND l.jenis = 'admin' "
        + ("" if include_revoked else "AND l.dicabut IS NULL ") + "ORDER BY l.id", [cycle.id])
    return [AdminLink(r["id"], r["nama"], r["nip"], r["opd_id"], r["diterbitkan"], r["terakhir_dipakai"],
                      r["kedaluwarsa"], r["dicabut"]) for r in rows]


def revoke_admin_link(db: Database, cycle_id: int | str, link_id: int | str, pelaku: str = "cli") -> AdminLink:
    """Revoke one admin link of the cycle (by the id ``admin_links`` shows); other admins keep theirs.

    Raises LinkError when the id is not a live admin link of that cycle.
    """
    cycle = get_cycle(db, cycle_id)
    try:
        wanted = int(str(link_id).strip())
    except ValueError:
        raise LinkError(f"Id tautan admin '{link_id}' bukan bilangan; lihat `kinerja admin daftar`") from None
    with write_transaction(db):
        found = [a for a in admin_links(db, cycle.id) if a.id == wanted]
        if not found:
            raise LinkError(f"Tidak ada tautan admin aktif dengan id {wanted} pada siklus '{cycle.nama}'; "
                            "lihat `kinerja admin daftar`")
        db.execute("UPDATE link SET dicabut = ? WHERE id = ? AND dicabut IS NULL", [now(), wanted])
        audit(db, pelaku, "cabut_tautan_admin", "link", wanted, cycle_id=cycle.id, nama=found[0].nama)
    return found[0]


_GRANT_SQL = (
    "SELECT l.id, l.cycle_id, l.jenis, l.rater_nip, l.penilai_luar_id, l.dicabut, l.kedaluwarsa, c.status, "
    "COALESCE(p.aktif, x.aktif) AS aktif, ad.nama AS admin_nama, ad.opd_id AS opd "
    "FROM link l JOIN cycle c ON c.id = l.cycle_id LEFT JOIN pegawai p ON p.nip = l.rater_nip "
    "LEFT JOIN penilai_luar x ON x.id = l.penilai_luar_id LEFT JOIN admin_tautan ad ON ad.link_id = l.id ")


def _usable(row: dict | None, at: str) -> bool:
    return (row is not None and row["dicabut"] is None and row["status"] == "terbuka"
            and (row["kedaluwarsa"] is None or row["kedaluwarsa"] > at)
            and (row["jenis"] == "admin" or row["aktif"] == 1))


def plausible_token(token: object) -> bool:
    """Return whether ``token`` has the shape of an issued token (no database lookup).

    >>> plausible_token("A" * 43), plausible_token("bukan token"), plausible_token(None)
    (True, False, False)
    """
    return isinstance(token, str) and _TOKEN_SHAPE.fullmatch(token) is not None


def verify(db: Database, token: str, jenis: str | None = None) -> LinkGrant:
    """Return what a token grants without recording its use; raises AccessDenied otherwise.

    Unknown, malformed, revoked and expired tokens, a closed cycle, an inactive rater and a link of
    another kind than ``jenis`` (when given) all raise the same AccessDenied, so a guesser learns
    nothing. Read-only: the form server's gate runs it before any kernel is used.
    """
    if not plausible_token(token):
        raise AccessDenied()
    rows = list(db.query(_GRANT_SQL + "WHERE l.token_hash = ?", [hash_token(token)]))
    row = rows[0] if rows else None
    if not _usable(row, now()) or (jenis is not None and row["jenis"] != jenis):
        raise AccessDenied()
    return LinkGrant(row["id"], row["cycle_id"], row["jenis"], row["rater_nip"], row["penilai_luar_id"],
                     row["admin_nama"], row["opd"])


def resolve(db: Database, token: str) -> LinkGrant:
    """Return what a token grants and record its use; raises AccessDenied as ``verify`` does."""
    grant = verify(db, token)
    db.execute("UPDATE link SET terakhir_dipakai = ? WHERE id = ?", [now(), grant.link_id])
    return grant


def check_grant(db: Database, grant: LinkGrant, jenis: str | None = None, touch: bool = True) -> None:
    """Raise AccessDenied unless the grant's link is still usable (and of kind ``jenis`` if given).

    Meant to run inside the caller's write transaction, so the check and the write are one;
    ``touch`` records the use in ``link.terakhir_dipakai``.
    """
    at = now()
    rows = list(db.query(_GRANT_SQL + "WHERE l.id = ?", [grant.link_id]))
    row = rows[0] if rows else None
    if (not _usable(row, at) or row["cycle_id"] != grant.cycle_id or row["jenis"] != grant.jenis
            or row["rater_nip"] != grant.rater_nip or row["penilai_luar_id"] != grant.penilai_luar_id
            or row["opd"] != grant.opd
            or (jenis is not None and row["jenis"] != jenis)):
        raise AccessDenied()
    if touch:
        db.execute("UPDATE link SET terakhir_dipakai = ? WHERE id = ?", [at, grant.link_id])


def revoke(db: Database, cycle_id: int | str, nip: str, pelaku: str = "cli") -> int:
    """Revoke a rater's live link(s) in a cycle; return how many were revoked.

    Raises LinkError when the rater has no live link in that cycle.
    """
    cycle = get_cycle(db, cycle_id)
    with write_transaction(db):
        cur = db.execute("UPDATE link SET dicabut = ? WHERE cycle_id = ? AND jenis = 'penilai' "
                         "AND rater_nip = ? AND dicabut IS NULL", [now(), cycle.id, str(nip)])
        if cur.rowcount == 0:
            raise LinkError(f"NIP {nip} tidak mempunyai tautan aktif pada siklus '{cycle.nama}'")
        audit(db, pelaku, "cabut_tautan", "pegawai", nip, cycle_id=cycle.id)
    return cur.rowcount


def links_sheet(issued: Iterable[IssuedLink], cycle: Cycle | None = None) -> Sheet:
    """Return the links as an export table: Nama, NIP (as text), Unit Kerja, Tautan, Jumlah Dinilai, No. HP, Tautan WhatsApp.

    WhatsApp is a click-to-chat link holding the invitation with the rater's personal link (when the
    roster has their number and the cycle is known), ready for the admin to send.
    """
    from .outreach import invitation_whatsapp

    rows = [(i.nama, i.nip or "", i.unit, i.url, i.jumlah_dinilai, i.no_hp or "",
             invitation_whatsapp(i, cycle) if cycle is not None else "") for i in issued]
    return Sheet("Tautan", rows, columns=list(EXPORT_COLUMNS))


def _write_links(issued: Sequence[IssuedLink], temp: Path, target: Path, cycle_name: str | None,
                 expiry: str | None, sheet: Sheet | None = None) -> None:
    """Write the links file at ``temp`` in the format ``target``'s extension names."""
    sheet = sheet if sheet is not None else links_sheet(issued)
    if target.suffix.lower() == ".csv":
        write_csv(temp, sheet)
        return
    settings = {"siklus": cycle_name or "", "jumlah tautan": len(issued), "diterbitkan": now(),
                "kedaluwarsa": expiry or "tidak ada",
                "catatan": "Tautan hanya ditampilkan sekali; yang tersimpan hanya hash-nya. Rahasiakan berkas ini."}
    write_xlsx(temp, [sheet], settings)


def export_links(issued: Iterable[IssuedLink], path: str | Path) -> Path:
    """Write already issued links to CSV or XLSX (chosen by extension) for distribution; return the path.

    Columns: see :data:`EXPORT_COLUMNS`; text neutralised, owner-only, all-or-nothing
    (see :mod:`kinerja_lib.export`). Prefer ``issue_links(..., out=path)``, which commits the
    links only together with the file. Raises OutputError for another extension or an unusable path.
    """
    target = check_output_path(path, ("xlsx", "csv"))
    issued = list(issued)
    with atomic_path(target) as temp:
        _write_links(issued, temp, target, None, None)
    return target
