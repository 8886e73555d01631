"""Who rates whom: assignments generated from the org chart, plus manual additions and removals."""

from __future__ import annotations

import contextlib
import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from sqlite_utils import Database

from .cycle import Cycle, get_cycle
from .errors import CycleError
from .organisation import load_tree
from .store import audit, now, write_transaction
from .vocabulary import VOCAB

#: alasan_hapus written when a run finds that an automatic assignment no longer follows from the
#: org chart. A later run may reactivate such a row; a manual removal (any other text) is respected.
AUTO_REMOVAL_REASON = "otomatis: tidak lagi sesuai bagan organisasi"

# When one (rater, ratee) pair follows from two rules, the lower number wins. The supervisor
# line carries more weight than a peer sample, so atasan/bawahan beat rekan; atasan beats
# bawahan only in a reporting loop, which the roster importer refuses anyway.
_PRIORITY = {"diri": 0, "atasan": 1, "bawahan": 2, "rekan": 3}
_CODE_RELATION = np.array(["diri", "atasan", "bawahan", "rekan"], dtype=object)

_U64 = np.uint64

#: Page cache (KiB) used during bulk writes. SQLite's default of 2 MiB makes the random-order
#: inserts into the ratee index of a large assignment table several times slower; the cache
#: only grows as pages are touched, so small databases use no more memory than before.
BULK_CACHE_KIB = 262_144


@contextlib.contextmanager
def bulk_cache(db: Database, kib: int = BULK_CACHE_KIB) -> Iterator[None]:
    """Raise the connection's page cache for a bulk operation, then restore it."""
    old = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {int(old)}")


@dataclass
class AssignmentSummary:
    """What one run of :func:`generate_assignments` did, and the resulting state of the cycle."""

    cycle_id: int
    seed: int
    per_relation: dict[str, int]            # active assignments per relation after the run
    added: int = 0
    kept: int = 0
    reactivated: int = 0
    relation_changed: int = 0
    deactivated: int = 0
    manual_removals_respected: int = 0
    # automatic rows that no longer follow from the org chart but already hold answers:
    kept_with_answers: list[tuple[str, str, str]] = field(default_factory=list)
    peer_load_min: int | None = None        # rekan ratings given, over pegawai who have peers
    peer_load_max: int | None = None
    peers_per_ratee_max: int = 0

    @property
    def total(self) -> int:
        return sum(self.per_relation.values())


@dataclass
class ManualChangeSummary:
    """What :func:`apply_manual_changes` wrote."""

    cycle_id: int
    added: int
    reactivated: int
    removed: int


# --------------------------------------------------------------------------------------------
# The design: pure functions over arrays
# --------------------------------------------------------------------------------------------

def _splitmix64(x: np.ndarray) -> np.ndarray:
    """Return the SplitMix64 finaliser of each uint64: a fast, well-mixed, portable hash."""
    with np.errstate(over="ignore"):
        x = x + _U64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
        return x ^ (x >> _U64(31))


def shuffle_keys(nips: np.ndarray, seed: int) -> np.ndarray:
    """Return one pseudo-random uint64 per NIP, fixed by (seed, NIP).

    Sorting a peer pool by this key shuffles it; because the key depends on the person alone,
    adding or removing a colleague keeps everyone else's relative order (stable re-runs).
    """
    as_int = np.asarray(nips, dtype="U18").astype(_U64)
    salt = _splitmix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=_U64))[0]
    return _splitmix64(as_int ^ salt)


def peer_pools(unit_id: np.ndarray, induk_id: np.ndarray, tingkat: np.ndarray,
               kepala_unit: np.ndarray) -> np.ndarray:
    """Return a pool number per pegawai: people who may rate each other as rekan share a number.

    Staff are peers when they work in the same unit at the same tingkat; a unit head's peers are
    the heads of the same tingkat whose units share the same parent unit (top units share one).
    """
    kepala = np.asarray(kepala_unit).astype(bool)
    parent = pd.Series(induk_id, dtype=object).fillna("\x00").to_numpy()
    anchor = np.where(kepala, parent, np.asarray(unit_id, dtype=object))
    frame = pd.DataFrame({"anchor": anchor, "tingkat": np.asarray(tingkat), "kepala": kepala})
    return frame.groupby(["anchor", "tingkat", "kepala"], sort=True).ngroup().to_numpy()


def circulant_peers(pool: np.ndarray, keys: np.ndarray, per_ratee: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (rater, ratee) index arrays of a balanced peer design.

    Each pool is sorted by ``keys``; the person at position i is rated by positions
    i+1 .. i+k (mod pool size m), with k = min(per_ratee, m - 1). So every ratee gets exactly k
    peer raters and every rater gives exactly k peer ratings: the load is perfectly even inside
    a pool and never above ``per_ratee`` anywhere.
    """
    n = len(pool)
    empty = np.empty(0, dtype=np.int64)
    if n == 0 or per_ratee <= 0:
        return empty, empty
    order = np.lexsort((keys, pool))
    pool_sorted = pool[order]
    first = np.flatnonzero(np.r_[True, pool_sorted[1:] != pool_sorted[:-1]])
    sizes = np.diff(np.r_[first, n])
    start = np.repeat(first, sizes)
    m = np.repeat(sizes, sizes)
    pos = np.arange(n) - start
    k = np.minimum(per_ratee, m - 1)
    raters, ratees = [], []
    for shift in range(1, per_ratee + 1):
        ok = shift <= k
        if not ok.any():
            break
        ratees.append(order[ok])
        raters.append(order[start[ok] + (pos[ok] + shift) % m[ok]])
    if not raters:  # no pool has two members
        return empty, empty
    return np.concatenate(raters).astype(np.int64), np.concatenate(ratees).astype(np.int64)


@dataclass
class Design:
    """The assignments that follow from the org chart, as index arrays into ``nips``."""

    nips: np.ndarray          # object array of NIP strings (active pegawai, sorted)
    rater: np.ndarray         # int64 indices into nips
    ratee: np.ndarray
    relation: np.ndarray      # int8 code into _CODE_RELATION
    pool: np.ndarray          # peer pool per pegawai
    pool_size: np.ndarray     # size of each pegawai's pool

    def relations(self) -> np.ndarray:
        return _CODE_RELATION[self.relation]


def design_assignments(org: pd.DataFrame, groups: list[str] | tuple[str, ...], per_ratee: int,
                       seed: int) -> Design:
    """Return the assignments that follow from an org chart (pure: no database).

    ``org`` has columns nip, unit_id, induk_id, tingkat, kepala_unit, atasan_nip (active pegawai).
    A pair that follows from two rules is kept once, with the relation of higher priority
    (diri > atasan > bawahan > rekan).
    """
    org = org.sort_values("nip", kind="stable").reset_index(drop=True)
    nips = org["nip"].to_numpy(dtype=object)
    n = len(nips)
    index = np.arange(n, dtype=np.int64)
    boss = pd.Index(nips).get_indexer(org["atasan_nip"].to_numpy(dtype=object)).astype(np.int64)
    has_boss = boss >= 0  # an atasan who is inactive or unknown gives no assignment
    pool = peer_pools(org["unit_id"].to_numpy(dtype=object), org["induk_id"].to_numpy(dtype=object),
                      org["tingkat"].to_numpy(), org["kepala_unit"].to_numpy())
    pool_size = np.bincount(pool, minlength=pool.max() + 1)[pool] if n else np.empty(0, dtype=np.int64)

    parts: list[tuple[np.ndarray, np.ndarray, int]] = []
    if "diri" in groups:
        parts.append((index, index, _PRIORITY["diri"]))
    if "atasan" in groups:   # the Pejabat Penilai rates the person
        parts.append((boss[has_boss], index[has_boss], _PRIORITY["atasan"]))
    if "bawahan" in groups:  # each direct report rates their atasan
        parts.append((index[has_boss], boss[has_boss], _PRIORITY["bawahan"]))
    if "rekan" in groups and per_ratee > 0:
        r, e = circulant_peers(pool, shuffle_keys(nips.astype(str), seed), per_ratee)
        parts.append((r, e, _PRIORITY["rekan"]))
    if not parts or n == 0:
        empty = np.empty(0, dtype=np.int64)
        return Design(nips, empty, empty, np.empty(0, dtype=np.int8), pool, pool_size)
    rater = np.concatenate([p[0] for p in parts])
    ratee = np.concatenate([p[1] for p in parts])
    code = np.concatenate([np.full(len(p[0]), p[2], dtype=np.int8) for p in parts])
    # A self pair other than diri cannot arise from the rules above; refuse it all the same.
    ok = (rater != ratee) | (code == _PRIORITY["diri"])
    rater, ratee, code = rater[ok], ratee[ok], code[ok]
    # One row per (rater, ratee): sort by pair then priority and keep the first.
    order = np.lexsort((code, ratee, rater))
    rater, ratee, code = rater[order], ratee[order], code[order]
    first = np.r_[True, (rater[1:] != rater[:-1]) | (ratee[1:] != ratee[:-1])]
    rater, ratee, code = rater[first], ratee[first], code[first]
    # Present each rater's list in a natural order: self, own staff, own boss, peers.
    order = np.lexsort((ratee, code, rater))
    return Design(nips, rater[order], ratee[order], code[order], pool, pool_size)


def _load_org(db: Database) -> pd.DataFrame:
    rows = db.execute(
        "SELECT p.nip, p.unit_id, u.induk_id, p.tingkat, p.kepala_unit, p.atasan_nip "
        "FROM pegawai p JOIN unit u ON u.id = p.unit_id WHERE p.aktif = 1 ORDER BY p.nip").fetchall()
    return pd.DataFrame.from_records(
        rows, columns=["nip", "unit_id", "induk_id", "tingkat", "kepala_unit", "atasan_nip"])


def _open_cycle(db: Database, cycle: int | str | Cycle | None) -> Cycle:
    c = cycle if isinstance(cycle, Cycle) else get_cycle(db, cycle)
    if not c.is_open:
        raise CycleError(f"Siklus '{c.nama}' sudah ditutup; penugasan tidak dapat diubah")
    return c


# --------------------------------------------------------------------------------------------
# Writing the design to the database
# --------------------------------------------------------------------------------------------

def generate_assignments(db: Database, cycle: int | str | Cycle | None = None, *, seed: int | None = None,
                         pelaku: str = "cli") -> AssignmentSummary:
    """Generate who rates whom for a cycle from the org chart of active pegawai; return a summary.

    Rules: everyone rates themselves (diri); the atasan (Pejabat Penilai, ``pegawai.atasan_nip``)
    rates each direct report (relation 'atasan'); each direct report rates their atasan
    ('bawahan'); peers (same unit and tingkat; heads: same parent unit and tingkat) rate each
    other ('rekan') in a balanced, seeded sample of at most ``rekan_per_pegawai`` raters per
    ratee. Only the cycle's ``kelompok`` are generated. The seed defaults to the cycle's
    ``benih_acak``.

    Re-running is idempotent: existing rows (and their answers) stay, missing ones are added,
    automatic rows that no longer follow are deactivated unless they hold answers (then kept and
    listed in ``kept_with_answers``); manual rows and manual removals are left alone.
    Raises CycleError when the cycle is closed or missing.
    """
    c = _open_cycle(db, cycle)
    settings = c.settings
    seed = int(settings.get("benih_acak", 0) if seed is None else seed)
    per_ratee = int(settings.get("rekan_per_pegawai", 0))
    groups = tuple(settings["kelompok"])

    with bulk_cache(db), write_transaction(db):
        design = design_assignments(_load_org(db), groups, per_ratee, seed)
        summary, active_rater, active_relation = _reconcile(db, c.id, design, seed)
        counts = pd.Series(active_relation, dtype=object).value_counts()
        summary.per_relation = {rel: int(counts[rel]) for rel in VOCAB.relasi if rel in counts}
        summary.peer_load_min, summary.peer_load_max = _peer_load(design, active_rater[active_relation == "rekan"])
        if len(design.ratee):
            rekan = design.relation == _PRIORITY["rekan"]
            summary.peers_per_ratee_max = int(np.bincount(design.ratee[rekan]).max()) if rekan.any() else 0
        audit(db, pelaku, "buat_penugasan", "cycle", c.id, benih=seed, ditambah=summary.added,
              diaktifkan_lagi=summary.reactivated, relasi_diubah=summary.relation_changed,
              dinonaktifkan=summary.deactivated, dipertahankan_berjawaban=len(summary.kept_with_answers),
              per_relasi=summary.per_relation)
    return summary


def _reconcile(db: Database, cycle_id: int, design: Design,
               seed: int) -> tuple[AssignmentSummary, np.ndarray, np.ndarray]:
    """Bring the cycle's rows in line with the design; return (summary, rater and relation of
    every active row afterwards)."""
    n = len(design.nips)
    existing = pd.DataFrame.from_records(db.execute(
        "SELECT id, rater_nip, ratee_nip, relation, sumber, aktif, alasan_hapus "
        "FROM assignment WHERE cycle_id = ?", [cycle_id]).fetchall(),
        columns=["id", "rater_nip", "ratee_nip", "relation", "sumber", "aktif", "alasan_hapus"])
    summary = AssignmentSummary(cycle_id, seed, {})
    want_key = design.rater * max(n, 1) + design.ratee
    relations = design.relations()
    covered = np.zeros(len(want_key), dtype=bool)
    stamp = now()
    updates: list[tuple] = []   # (relation, aktif, alasan_hapus, stamp, id)
    active_rater = np.empty(0, dtype=object)
    active_relation = np.empty(0, dtype=object)

    if len(existing):
        index = pd.Index(design.nips)
        r = index.get_indexer(existing["rater_nip"].to_numpy(dtype=object))
        e = index.get_indexer(existing["ratee_nip"].to_numpy(dtype=object))
        key = np.where((r >= 0) & (e >= 0), r.astype(np.int64) * max(n, 1) + e, -1)
        pos = pd.Index(want_key).get_indexer(key) if len(want_key) else np.full(len(key), -1)
        pos = np.where(key >= 0, pos, -1)
        matched = pos >= 0
        covered[pos[matched]] = True
        manual = (existing["sumber"] == "manual").to_numpy()
        aktif = existing["aktif"].to_numpy().astype(bool)
        auto_removed = (existing["alasan_hapus"] == AUTO_REMOVAL_REASON).to_numpy() & ~aktif
        want_rel = np.where(matched, relations[np.maximum(pos, 0)] if len(relations) else "", "")
        same = matched & (existing["relation"].to_numpy(dtype=object) == want_rel)
        ids = existing["id"].to_numpy()
        auto = matched & ~manual
        # Only rows that would change need the (costlier) answered check.
        maybe_change = (auto & ~same & (aktif | auto_removed)) | (~matched & ~manual & aktif)
        answered = np.isin(ids, _answered(db, ids[maybe_change]))

        summary.kept = int((auto & same & aktif).sum() + (matched & manual).sum())
        reactivate = auto & same & auto_removed
        summary.reactivated = int(reactivate.sum())
        updates += [(rel, 1, None, stamp, int(i)) for rel, i in zip(want_rel[reactivate], ids[reactivate])]
        summary.manual_removals_respected = int((auto & ~aktif & ~auto_removed).sum())
        # Same pair, other relation (the org chart moved): fix the relation unless answered.
        moved = auto & ~same & (aktif | auto_removed)
        change = moved & ~answered
        summary.relation_changed = int(change.sum())
        updates += [(rel, 1, None, stamp, int(i)) for rel, i in zip(want_rel[change], ids[change])]
        stale = (~matched & ~manual & aktif) | (moved & answered)
        drop = stale & ~answered
        summary.deactivated = int(drop.sum())
        updates += [(rel, 0, AUTO_REMOVAL_REASON, stamp, int(i))
                    for rel, i in zip(existing["relation"].to_numpy(dtype=object)[drop], ids[drop])]
        keep = stale & answered
        summary.kept_with_answers = list(zip(existing["rater_nip"][keep], existing["ratee_nip"][keep],
                                             existing["relation"][keep]))
        if updates:
            db.conn.executemany(
                "UPDATE assignment SET relation = ?, aktif = ?, alasan_hapus = ?, diperbarui = ? "
                "WHERE id = ?", updates)
            changed = pd.DataFrame([(u[4], u[0], u[1]) for u in updates], columns=["id", "relation", "aktif"])
            final = existing.set_index("id")[["rater_nip", "relation", "aktif"]]
            final.update(changed.set_index("id"))
        else:
            final = existing[["rater_nip", "relation", "aktif"]]
        still = final["aktif"].to_numpy().astype(int) == 1
        active_rater = final["rater_nip"].to_numpy(dtype=object)[still]
        active_relation = final["relation"].to_numpy(dtype=object)[still]

    new = ~covered
    summary.added = int(new.sum())
    if summary.added:
        rows = zip([cycle_id] * summary.added, design.nips[design.rater[new]].tolist(),
                   design.nips[design.ratee[new]].tolist(), relations[new].tolist())
        db.conn.executemany(
            "INSERT INTO assignment (cycle_id, rater_nip, ratee_nip, relation, sumber, status) "
            "VALUES (?, ?, ?, ?, 'otomatis', 'belum')", rows)
    active_rater = np.concatenate([active_rater, design.nips[design.rater[new]]])
    active_relation = np.concatenate([active_relation, relations[new]])
    return summary, active_rater, active_relation


def _answered(db: Database, ids: np.ndarray) -> np.ndarray:
    """Return the ids among ``ids`` of assignments holding at least one response or comment."""
    found: list[int] = []
    for lo in range(0, len(ids), 900):
        chunk = [int(i) for i in ids[lo:lo + 900]]
        marks = ", ".join("?" * len(chunk))
        found += [r[0] for r in db.execute(
            f"SELECT DISTINCT assignment_id FROM response WHERE assignment_id IN ({marks}) "
            f"UNION SELECT DISTINCT assignment_id FROM comment WHERE assignment_id IN ({marks})",
            chunk + chunk)]
    return np.array(found, dtype=np.int64)


def _peer_load(design: Design, rekan_raters: np.ndarray) -> tuple[int | None, int | None]:
    """Return min and max active rekan ratings given, over pegawai whose pool has someone else."""
    with_peers = design.pool_size >= 2
    if not with_peers.any() or not (design.relation == _PRIORITY["rekan"]).any():
        return None, None
    given = pd.Series(rekan_raters, dtype=object).value_counts()
    loads = pd.Series(design.nips[with_peers]).map(given).fillna(0).astype(int).to_numpy()
    return int(loads.min()), int(loads.max())


def peer_load(db: Database, cycle: int | str | None = None) -> dict[str, int]:
    """Return ``{rater NIP: active rekan ratings given}`` for a cycle (raters with at least one)."""
    c = get_cycle(db, cycle)
    return {nip: int(n) for nip, n in db.execute(
        "SELECT rater_nip, COUNT(*) FROM assignment WHERE cycle_id = ? AND aktif = 1 "
        "AND relation = 'rekan' GROUP BY rater_nip", [c.id]).fetchall()}


# --------------------------------------------------------------------------------------------
# Manual additions and removals
# --------------------------------------------------------------------------------------------

#: Canonical columns of a manual-changes file with the header variants accepted for each.
MANUAL_COLUMNS: dict[str, list[str]] = {
    "aksi": ["tindakan", "perubahan", "operasi"],
    "nip_penilai": ["penilai", "nip rater", "rater"],
    "nip_dinilai": ["dinilai", "nip yang dinilai", "yang dinilai", "nip ratee", "ratee"],
    "relasi": ["relation", "hubungan", "kelompok", "kelompok penilai"],
    "alasan": ["keterangan", "alasan perubahan"],
}
_REQUIRED = ("aksi", "nip_penilai", "nip_dinilai", "alasan")
_ACTIONS = ("tambah", "hapus")


def apply_manual_changes(db: Database, cycle: int | str | Cycle | None, path: str | Path,
                         pelaku: str = "cli") -> ManualChangeSummary:
    """Apply a file of manual additions and removals to a cycle's assignments; return the counts.

    Columns: aksi (tambah/hapus), nip_penilai, nip_dinilai, relasi (code or label, required for
    tambah), alasan (required). Every row is checked first; on any problem ImportRejected lists them all and
    nothing is written. Additions get sumber 'manual' with their reason; removals set aktif = 0
    and keep the reason in alasan_hapus (rows are never deleted).
    """
    from .tabular import read_table

    c = _open_cycle(db, cycle)
    table = read_table(path, MANUAL_COLUMNS, _REQUIRED)
    table.reject_if_problems()
    groups = set(c.settings["kelompok"])
    with write_transaction(db):
        plan = _check_manual(db, c.id, groups, table)
        table.reject_if_problems()
        summary = _write_plan(db, c.id, plan, now())
        audit(db, pelaku, "ubah_penugasan_manual", "cycle", c.id, berkas=table.source,
              perubahan=[{k: p[k] for k in ("op", "rater", "ratee", "relasi", "alasan")} for p in plan])
    return summary


def _write_plan(db: Database, cycle_id: int, plan: list[dict], stamp: str) -> ManualChangeSummary:
    """Write a checked plan of manual changes (inside the caller's transaction); return the counts."""
    added = [(cycle_id, p["rater"], p["ratee"], p["relasi"], p["alasan"], stamp) for p in plan if p["op"] == "insert"]
    revived = [(p["relasi"], p["alasan"], stamp, p["id"]) for p in plan if p["op"] == "revive"]
    removed = [(p["alasan"], stamp, p["id"]) for p in plan if p["op"] == "remove"]
    db.conn.executemany(
        "INSERT INTO assignment (cycle_id, rater_nip, ratee_nip, relation, sumber, alasan, aktif, "
        "status, diperbarui) VALUES (?, ?, ?, ?, 'manual', ?, 1, 'belum', ?)", added)
    db.conn.executemany(
        "UPDATE assignment SET relation = ?, sumber = 'manual', alasan = ?, aktif = 1, "
        "alasan_hapus = NULL, diperbarui = ? WHERE id = ?", revived)
    db.conn.executemany(
        "UPDATE assignment SET aktif = 0, alasan_hapus = ?, diperbarui = ? WHERE id = ?", removed)
    return ManualChangeSummary(cycle_id, len(added), len(revived), len(removed))


@dataclass(frozen=True)
class NominationsApplied:
    """What ``apply_nominations`` did: rekan assignments added, nominations skipped (with why), heavy raters."""

    cycle_id: int
    added: int
    skipped: list[tuple[str, str, str]] = field(default_factory=list)    # (ratee, rekan, reason)
    heavy: dict[str, int] = field(default_factory=dict)                  # rater NIP -> rekan ratings given
    batas: int = 0


def apply_nominations(db: Database, cycle: int | str | Cycle | None = None,
                      pelaku: str = "cli") -> NominationsApplied:
    """Turn every approved, not yet applied nomination into a rekan assignment; return what happened.

    Each nomination goes through the same checks as a manual addition (``_check_manual``): an active pair
    already there (e.g. the automatic design already made that colleague a rekan, or they rate the ratee in
    another relation) or a nominee no longer active is skipped with the reason, reported once and not tried
    again; an inactive pair is revived. There
    is no hard cap on how many people one rater rates: a nominee who now gives more rekan ratings than
    ``rekan_per_pegawai`` is reported in ``heavy`` for the admin to weigh, never silently dropped.
    Audited with the approvals each assignment rests on.
    """
    from . import nominasi
    from .tabular import Table

    c = _open_cycle(db, cycle)
    with write_transaction(db):
        pending = nominasi.approved_not_applied(db, c.id)
        table = Table(source="usulan rekan")
        for nid, ratee, rekan, oleh, when in pending:
            table.rows.append({"aksi": "tambah", "nip_penilai": rekan, "nip_dinilai": ratee, "relasi": "rekan",
                               "alasan": f"usulan rekan disetujui oleh {oleh} pada {when}"})
            table.row_numbers.append(nid)
        plan = _check_manual(db, c.id, set(c.settings["kelompok"]), table)
        by_id = {nid: (ratee, rekan) for nid, ratee, rekan, _, _ in pending}
        skipped = [(*by_id[p.row], p.message) for p in table.problems if p.row in by_id]
        stamp = now()
        summary = _write_plan(db, c.id, plan, stamp)
        nominasi.mark_applied(db, by_id, stamp)
        audit(db, pelaku, "terapkan_usulan_rekan", "cycle", c.id, ditambah=[[p["rater"], p["ratee"]] for p in plan],
              dilewati=skipped)
    limit = int(c.settings.get("rekan_per_pegawai", 0))
    nominees = {rekan for _, _, rekan, _, _ in pending}
    heavy = {nip: n for nip, n in peer_load(db, c.id).items() if nip in nominees and limit and n > limit}
    return NominationsApplied(c.id, summary.added + summary.reactivated, skipped, heavy, limit)


def _check_manual(db: Database, cycle_id: int, groups: set[str], table) -> list[dict]:
    """Validate every row of a manual-changes table against the database; return the plan.

    Problems are recorded on ``table`` (one per fault, every row checked).
    """
    active = {r[0] for r in db.execute("SELECT nip FROM pegawai WHERE aktif = 1")}
    known = {r[0] for r in db.execute("SELECT nip FROM pegawai")}
    existing = {(r[1], r[2]): {"id": r[0], "relation": r[3], "aktif": bool(r[4]), "dijawab": bool(r[5])}
                for r in db.execute(
                    "SELECT a.id, a.rater_nip, a.ratee_nip, a.relation, a.aktif, "
                    "EXISTS (SELECT 1 FROM response r WHERE r.assignment_id = a.id) "
                    "FROM assignment a WHERE a.cycle_id = ?", [cycle_id])}
    first_row: dict[tuple[str, str], int] = {}
    plan = []
    for number, row in table.records():
        n_before = len(table.problems)
        aksi, alasan = row["aksi"].lower(), row["alasan"]
        # A relation may be written as its code ('rekan') or its label ('Rekan kerja').
        relasi = VOCAB.relasi.parse(row["relasi"]) or row["relasi"].lower()
        if aksi not in _ACTIONS:
            table.problem(number, "aksi", f"aksi '{row['aksi']}' tidak dikenal; gunakan 'tambah' atau 'hapus'")
        nips = {}
        for column in ("nip_penilai", "nip_dinilai"):
            nip = table.nip(number, column, row[column])
            if nip is not None and nip not in known:
                table.problem(number, column, f"NIP {nip} tidak ada dalam data pegawai")
            elif nip is not None and aksi == "tambah" and nip not in active:
                table.problem(number, column, f"pegawai {nip} tidak aktif")
            nips[column] = nip
        rater, ratee = nips["nip_penilai"], nips["nip_dinilai"]
        if not alasan:
            table.problem(number, "alasan", "alasan wajib diisi untuk setiap perubahan manual")
        if relasi and relasi not in VOCAB.relasi:
            table.problem(number, "relasi", f"relasi '{row['relasi']}' tidak dikenal; pilihan: {VOCAB.relasi.choices()}")
        elif aksi == "tambah" and not relasi:
            table.problem(number, "relasi", "relasi wajib diisi untuk penambahan")
        elif aksi == "tambah" and relasi not in groups:
            table.problem(number, "relasi", f"relasi '{relasi}' tidak dipakai pada siklus ini "
                                            f"(kelompok: {', '.join(sorted(groups))})")
        if rater and rater == ratee and relasi and relasi != "diri":
            table.problem(number, "nip_dinilai",
                          "pegawai tidak boleh menilai dirinya sendiri selain dengan relasi 'diri'")
        if rater and ratee and rater != ratee and relasi == "diri":
            table.problem(number, "relasi", "relasi 'diri' hanya untuk penilai dan yang dinilai yang sama")
        if rater and ratee:
            pair = (rater, ratee)
            if pair in first_row:
                table.problem(number, "nip_dinilai", f"pasangan penilai {rater} dan yang dinilai {ratee} "
                                                     f"sudah ada di baris {first_row[pair]} berkas ini (ganda)")
            else:
                first_row[pair] = number
        if len(table.problems) > n_before:
            continue
        current = existing.get((rater, ratee))
        if aksi == "tambah":
            if current is None:
                plan.append({"op": "insert", "rater": rater, "ratee": ratee, "relasi": relasi, "alasan": alasan})
            elif current["aktif"]:
                table.problem(number, "nip_dinilai", f"penugasan {rater} menilai {ratee} sudah ada "
                                                     f"(relasi '{current['relation']}'); tidak boleh ganda")
            elif current["dijawab"] and current["relation"] != relasi:
                table.problem(number, "relasi", f"penugasan nonaktif {rater} menilai {ratee} sudah berisi "
                                                f"jawaban dengan relasi '{current['relation']}'; relasinya "
                                                "tidak dapat diganti")
            else:
                plan.append({"op": "revive", "id": current["id"], "rater": rater, "ratee": ratee,
                             "relasi": relasi, "alasan": alasan})
        elif current is None or not current["aktif"]:
            table.problem(number, "nip_dinilai", f"tidak ada penugasan aktif {rater} menilai {ratee} "
                                                 "yang dapat dihapus")
        elif relasi and relasi != current["relation"]:
            table.problem(number, "relasi", f"relasi '{relasi}' tidak cocok dengan penugasan yang ada "
                                            f"('{current['relation']}')")
        else:
            plan.append({"op": "remove", "id": current["id"], "rater": rater, "ratee": ratee,
                         "relasi": current["relation"], "alasan": alasan})
    return plan


# --------------------------------------------------------------------------------------------
# Groups that cannot reach the anonymity minimum, and peers proposed from neighbouring units
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shortfall:
    """A ratee whose rekan or bawahan group has fewer active raters than the cycle's minimum.

    ``usulan`` lists proposed rekan (NIPs) from neighbouring units, enough to reach the minimum when
    there are enough candidates; bawahan cannot be proposed (only the organisation chart makes them).
    """

    nip: str
    nama: str
    unit: str
    relation: str
    n: int
    minimum: int
    usulan: tuple[str, ...] = ()


def minimum_shortfalls(db: Database, cycle: int | str | Cycle | None = None) -> list[Shortfall]:
    """Return every active ratee whose rekan group (or non-empty bawahan group) is under the minimum.

    A group under its minimum is dropped from the ratee's report, scores and comments alike, so the
    admin should know before the forms go out. For rekan, candidates come from neighbouring units: the
    same tingkat (and unit-head status) first in the units that share the ratee's parent unit (for a
    unit head: the heads of the units beside theirs), then elsewhere in the same OPD; never someone
    already assigned to the ratee; within each ring the least-loaded first (rekan forms already plus
    proposals in this run), ties by NIP, so the result is deterministic. Ordered by unit, name, relation.
    """
    c = cycle if isinstance(cycle, Cycle) else get_cycle(db, cycle)
    minimum = c.settings.get("minimal_penilai", {})
    groups = set(c.settings.get("kelompok", ()))
    people = {r[0]: r for r in db.execute(
        "SELECT p.nip, p.nama, p.unit_id, u.induk_id, p.tingkat, p.kepala_unit FROM pegawai p "
        "JOIN unit u ON u.id = p.unit_id WHERE p.aktif = 1").fetchall()}
    tree = load_tree(db)
    parent = tree.parent
    counts: dict[tuple[str, str], int] = {}
    assigned: dict[str, set[str]] = {}
    load: dict[str, int] = {}
    for rater, ratee, relation in db.execute(
            "SELECT a.rater_nip, a.ratee_nip, a.relation FROM assignment a JOIN pegawai p ON p.nip = a.rater_nip "
            "WHERE a.cycle_id = ? AND a.aktif = 1 AND p.aktif = 1", [c.id]):
        counts[(ratee, relation)] = counts.get((ratee, relation), 0) + 1
        assigned.setdefault(ratee, set()).add(rater)
        if relation == "rekan":
            load[rater] = load.get(rater, 0) + 1
    ratees = sorted({ratee for ratee, _ in counts} & set(people), key=lambda n: (people[n][2], people[n][1], n))

    def anchor(nip: str) -> str | None:   # the unit whose siblings are the neighbours
        _, _, unit, induk, _, head = people[nip]
        return induk if head else unit

    def root(unit: str | None) -> str | None:   # the OPD a unit belongs to
        return tree.root(unit) if unit is not None else None

    # Ring 1: the units beside the ratee's (same parent); ring 2: the rest of the same OPD.
    ring1: dict[tuple[str | None, int, int], list[tuple[int, str]]] = {}
    ring2: dict[tuple[str | None, int, int], list[tuple[int, str]]] = {}
    for nip, (_, _, _, _, tingkat, head) in people.items():
        a = anchor(nip)
        ring1.setdefault((parent.get(a) if a else None, tingkat, head), []).append((load.get(nip, 0), nip))
        ring2.setdefault((root(a), tingkat, head), []).append((load.get(nip, 0), nip))
    for heap in (*ring1.values(), *ring2.values()):
        heapq.heapify(heap)
    proposed: dict[str, int] = {}
    out: list[Shortfall] = []
    for nip in ratees:
        _, nama, unit, _, tingkat, head = people[nip]
        for relation in ("rekan", "bawahan"):
            need = int(minimum.get(relation, 0))
            n = counts.get((nip, relation), 0)
            if relation not in groups or n >= need or (relation == "bawahan" and n == 0):
                continue
            usulan: tuple[str, ...] = ()
            if relation == "rekan":
                own = anchor(nip)
                taken = assigned.get(nip, set())
                chosen: list[str] = []
                for ring, key in ((ring1, parent.get(own) if own else None), (ring2, root(own))):
                    heap = ring.get((key, tingkat, head))
                    if heap is None:
                        continue
                    # The heap holds (load, NIP): pop the least-loaded until enough are eligible, then put
                    # everyone back, the chosen with one more proposal. Those skipped are the ratee's own
                    # unit-mates and peers already assigned: a handful, since the ratee is short of peers.
                    # A person sits in two heaps, so an entry whose load is stale is refreshed when popped.
                    skipped = []
                    while heap and len(chosen) < need - n:
                        stored, p = heapq.heappop(heap)
                        current = load.get(p, 0) + proposed.get(p, 0)
                        if stored != current:
                            heapq.heappush(heap, (current, p))
                        elif p == nip or p in taken or anchor(p) == own or p in chosen:
                            skipped.append((stored, p))
                        else:
                            chosen.append(p)
                            proposed[p] = current - load.get(p, 0) + 1
                            skipped.append((current + 1, p))
                    for entry in skipped:
                        heapq.heappush(heap, entry)
                usulan = tuple(chosen)
            out.append(Shortfall(nip, nama, unit, relation, n, need, usulan))
    return out


def proposals_sheet(shortfalls: list[Shortfall], cycle_name: str):
    """Return the proposed rekan as a manual-change table (Aksi, NIP Penilai, NIP Dinilai, Kelompok Penilai, Alasan).

    The admin reviews it, deletes rows they do not want, and applies it with ``kinerja assign --manual``,
    which records each addition and its reason in the audit log.
    """
    from .export import Sheet

    rows = [("tambah", rater, s.nip, "rekan",
             f"usulan: rekan dari unit tetangga agar kelompok rekan mencapai minimal {s.minimum} "
             f"(sebelumnya {s.n}), siklus {cycle_name}")
            for s in shortfalls for rater in s.usulan]
    # The column vocabulary heads "kelompok" Kelompok Penilai, one of the headers MANUAL_COLUMNS accepts for relasi.
    return Sheet("Usulan", rows, columns=["aksi", "nip_penilai", "nip_dinilai", "kelompok", "alasan"])
