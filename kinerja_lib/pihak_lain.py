"""Raters from outside the roster ("pihak lain"): staff of another instansi who rate a pegawai by name.

They never join the roster (table ``pegawai``): they live in ``penilai_luar``, rate only as relation
``lainnya`` (their answers form the "Pihak lain" group, with its own anonymity minimum from the cycle's
settings), and get a personal link of the same kind as a pegawai's (:func:`kinerja_lib.links.issue_external_links`).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from .contact import parse_email, parse_phone
from .cycle import get_cycle
from .errors import CycleError, ImportRejected, Problem, ExternalRaterError
from .store import audit, now, write_transaction
from .tabular import ImportSummary, Table, read_table

RELATION = "lainnya"

#: Columns of ``kinerja import pihak-lain``: one row per external rater and pegawai they rate.
COLUMNS = {
    "nama": ("Nama", "Nama Penilai", "Nama Pihak Lain"),
    "instansi": ("Instansi", "Asal Instansi", "Instansi Asal"),
    "jabatan": ("Jabatan", "Jabatan Penilai"),
    "email": ("Email", "E-mail", "Surel"),
    "no_hp": ("No. HP", "Nomor HP", "WhatsApp"),
    "dinilai": ("NIP Dinilai", "NIP Pegawai Dinilai", "Dinilai"),
    "alasan": ("Alasan", "Keterangan"),
}
REQUIRED = {"nama", "instansi", "dinilai"}


@dataclass(frozen=True)
class ExternalRater:
    """A rater from another instansi, with how many pegawai they rate in a cycle."""

    id: int
    nama: str
    instansi: str
    jabatan: str
    email: str | None
    no_hp: str | None
    jumlah_dinilai: int = 0


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _upsert_rater(db: Database, nama: str, instansi: str, jabatan: str, email: str | None,
                  no_hp: str | None) -> tuple[int, bool]:
    """Inside the caller's transaction: add or update the rater named (nama, instansi); return (id, new)."""
    row = db.execute("SELECT id FROM penilai_luar WHERE nama = ? AND instansi = ?", [nama, instansi]).fetchone()
    if row:
        db.execute("UPDATE penilai_luar SET jabatan = ?, email = COALESCE(?, email), no_hp = COALESCE(?, no_hp), "
                   "aktif = 1 WHERE id = ?", [jabatan, email, no_hp, row[0]])
        return int(row[0]), False
    cur = db.execute("INSERT INTO penilai_luar (nama, instansi, jabatan, email, no_hp, dibuat) "
                     "VALUES (?, ?, ?, ?, ?, ?)", [nama, instansi, jabatan, email, no_hp, now()])
    return int(cur.lastrowid), True


def _assign(db: Database, cycle_id: int, rater_id: int, ratee_nip: str, alasan: str | None) -> bool:
    """Inside the caller's transaction: the rater rates the pegawai in the cycle; return whether it is new."""
    row = db.execute("SELECT id, aktif FROM assignment WHERE cycle_id = ? AND penilai_luar_id = ? AND ratee_nip = ?",
                     [cycle_id, rater_id, ratee_nip]).fetchone()
    if row:
        if row[1] == 0:
            db.execute("UPDATE assignment SET aktif = 1, alasan_hapus = NULL WHERE id = ?", [row[0]])
            return True
        return False
    db.execute("INSERT INTO assignment (cycle_id, rater_nip, penilai_luar_id, ratee_nip, relation, sumber, alasan) "
               "VALUES (?, NULL, ?, ?, ?, 'manual', ?)", [cycle_id, rater_id, ratee_nip, RELATION, alasan])
    return True


def _active_nips(db: Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT nip FROM pegawai WHERE aktif = 1")}


def add_external_rater(db: Database, cycle: int | str | None, nama: str, instansi: str, dinilai: list[str],
                       jabatan: str = "", email: str | None = None, no_hp: str | None = None,
                       alasan: str | None = None, pelaku: str = "cli") -> tuple[int, int]:
    """Add (or update) an external rater and assign them to rate each NIP in ``dinilai`` in an open cycle.

    Returns (rater id, new assignments). Raises ExternalRaterError for an empty name or instansi, an unusable
    e-mail or phone number, or an unknown or inactive NIP; CycleError for a closed cycle.
    """
    c = get_cycle(db, cycle)
    if not c.is_open:
        raise CycleError(f"Siklus '{c.nama}' sudah ditutup; penilai pihak lain tidak dapat ditambahkan")
    nama, instansi, jabatan = _clean(nama), _clean(instansi), _clean(jabatan)
    if not nama or not instansi:
        raise ExternalRaterError("Nama dan instansi penilai pihak lain wajib diisi")
    email_ok, problem = parse_email(email) if email else (None, None)
    if problem:
        raise ExternalRaterError(problem)
    hp_ok, problem = parse_phone(no_hp) if no_hp else (None, None)
    if problem:
        raise ExternalRaterError(problem)
    wanted = list(dict.fromkeys(n.strip() for n in dinilai if n and n.strip()))
    if not wanted:
        raise ExternalRaterError("Sebutkan paling sedikit satu NIP pegawai yang dinilai (--dinilai)")
    with write_transaction(db):
        known = _active_nips(db)
        missing = [n for n in wanted if n not in known]
        if missing:
            raise ExternalRaterError(f"Pegawai aktif dengan NIP berikut tidak ada: {', '.join(missing)}")
        rater_id, _ = _upsert_rater(db, nama, instansi, jabatan, email_ok, hp_ok)
        added = sum(_assign(db, c.id, rater_id, nip, alasan) for nip in wanted)
        audit(db, pelaku, "tambah_penilai_pihak_lain", "penilai_luar", rater_id, cycle_id=c.id, dinilai=wanted,
              penugasan_baru=added)
    return rater_id, added


def import_external_raters(db: Database, path: str | Path, cycle: int | str | None = None, *,
                           sheet: str | None = None, pelaku: str = "cli") -> ImportSummary:
    """Import external raters and whom each rates in an open cycle, all or nothing.

    One row per (rater, pegawai rated); a rater is known by (nama, instansi), so several rows may name the
    same rater. Re-importing the same file adds nothing. Raises ImportRejected listing every problem.
    """
    c = get_cycle(db, cycle)
    if not c.is_open:
        raise CycleError(f"Siklus '{c.nama}' sudah ditutup; penilai pihak lain tidak dapat diimpor")
    table = read_table(path, COLUMNS, REQUIRED, sheet)
    table.reject_if_problems()
    try:
        with write_transaction(db):
            rows = _check(db, table)
            table.reject_if_problems()
            raters: dict[tuple[str, str], int] = {}
            added = 0
            for nama, instansi, jabatan, email, hp, nip, alasan in rows:
                if (nama, instansi) not in raters:
                    raters[(nama, instansi)], _ = _upsert_rater(db, nama, instansi, jabatan, email, hp)
                added += _assign(db, c.id, raters[(nama, instansi)], nip, alasan)
            audit(db, pelaku, "impor_penilai_pihak_lain", "cycle", c.id, berkas=table.source, baris=len(table),
                  penilai=len(raters), penugasan_baru=added)
    except sqlite3.IntegrityError as exc:
        raise ImportRejected([Problem(table.source, None, None, f"basis data menolak data: {exc}")]) from exc
    return ImportSummary("penilai pihak lain", table.source, len(table), added, len(table) - added,
                         counted="penugasan")


def _check(db: Database, table: Table) -> list[tuple]:
    known = _active_nips(db)
    seen: dict = {}
    rows = []
    for n, row in table.records():
        nama, instansi, jabatan = _clean(row["nama"]), _clean(row["instansi"]), _clean(row["jabatan"])
        if not nama:
            table.problem(n, "nama", "nama penilai wajib diisi")
        if not instansi:
            table.problem(n, "instansi", "instansi penilai wajib diisi")
        email = hp = None
        if (row["email"] or "").strip():
            email, problem = parse_email(row["email"])
            if problem:
                table.problem(n, "email", problem)
        if (row["no_hp"] or "").strip():
            hp, problem = parse_phone(row["no_hp"])
            if problem:
                table.problem(n, "no_hp", problem)
        nip = table.nip(n, "dinilai", row["dinilai"])
        if nip is not None and nip not in known:
            table.problem(n, "dinilai", f"pegawai aktif dengan NIP {nip} tidak ada di basis data")
            nip = None
        key = (nama.casefold(), instansi.casefold(), nip)
        if nama and instansi and nip:
            if key in seen:
                table.problem(n, "dinilai", "pasangan penilai dan pegawai dinilai ganda: sudah ada di baris "
                              f"{seen[key]}")
            seen[key] = n
        rows.append((nama, instansi, jabatan, email, hp, nip, _clean(row["alasan"]) or None))
    return rows


def external_raters(db: Database, cycle_id: int) -> list[ExternalRater]:
    """Return the external raters with at least one active assignment in the cycle, by instansi and name."""
    return [ExternalRater(*r) for r in db.execute(
        "SELECT x.id, x.nama, x.instansi, x.jabatan, x.email, x.no_hp, COUNT(a.id) FROM penilai_luar x "
        "JOIN assignment a ON a.penilai_luar_id = x.id AND a.cycle_id = ? AND a.aktif = 1 "
        "WHERE x.aktif = 1 GROUP BY x.id ORDER BY x.instansi, x.nama, x.id", [int(cycle_id)]).fetchall()]
