"""Personnel records and decisions read from the database for the analyses.

The award lists, the reports and the validation read people, decisions and history through these functions
and never issue SQL themselves, so that a second storage engine can be added here without touching them.
Nothing here writes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlite_utils import Database

from .awards.inputs import AwardInputs, pooled_rater_sd
from .errors import KinerjaError
from .organisation import load_tree
from .vocabulary import VOCAB

DITETAPKAN, SEMENTARA = VOCAB.status_predikat.codes


def frame(db: Database, sql: str, params: list | None = None) -> pd.DataFrame:
    """Return the rows of ``sql`` as a DataFrame with the query's column names."""
    cur = db.execute(sql, params or [])
    return pd.DataFrame(cur.fetchall(), columns=[c[0] for c in cur.description])


def scoring_results(db: Database, cycle) -> pd.DataFrame:
    """Return the stored scoring results, or (without writing anything) the cycle scored in memory.

    Raises KinerjaError when the cycle has nothing to score.
    """
    from . import scoring

    results = scoring.load_results(db, cycle.id)
    if results is None or results.empty:
        results = scoring.run_scoring(db, cycle.id, persist=False).results
    if results is None or results.empty:
        raise KinerjaError(f"Hasil skor siklus '{cycle.nama}' belum ada; hitung skor terlebih dahulu")
    return results


def decided_nips(db: Database, cycle_id: int) -> set[str]:
    """Return the NIPs whose Rating Perilaku Kerja the Pejabat Penilai has recorded for the cycle."""
    return {r[0] for r in db.execute("SELECT nip FROM rating_perilaku WHERE cycle_id = ?", [cycle_id]).fetchall()}


def pegawai(db: Database) -> pd.DataFrame:
    """Return every pegawai with the columns the analyses read, and ``opd`` (the root unit of their unit)."""
    out = frame(db, "SELECT nip, nama, jenis_kelamin, unit_id, jabatan, jenis_jabatan, jenjang, golongan, "
                    "tmt_cpns, status_kepegawaian, atasan_nip, aktif FROM pegawai")
    out["opd"] = load_tree(db).opd_of(out["unit_id"])
    return out


def active_pegawai(db: Database) -> pd.DataFrame:
    """Return the active pegawai (``nip, nama, unit_id, jabatan, jenis_jabatan, jenjang, opd``) by NIP."""
    out = frame(db, "SELECT nip, nama, unit_id, jabatan, jenis_jabatan, jenjang FROM pegawai WHERE aktif = 1 "
                    "ORDER BY nip")
    out["opd"] = load_tree(db).opd_of(out["unit_id"])
    return out


def competency_standards(db: Database) -> pd.DataFrame:
    """Return the required competency levels per jabatan: ``jabatan, kompetensi, level``."""
    return frame(db, "SELECT jabatan, kompetensi, level FROM standar_kompetensi")


def demo_truths(db: Database, cycle_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the planted truths of a demo cycle: (``nip, aspek, nilai``, ``kelompok, efek``)."""
    return (frame(db, "SELECT nip, aspek, nilai FROM demo_truth WHERE cycle_id = ?", [int(cycle_id)]),
            frame(db, "SELECT kelompok, efek FROM demo_truth_kelompok WHERE cycle_id = ?", [int(cycle_id)]))


def predikat_history(db: Database, except_cycle: int | None = None) -> pd.DataFrame:
    """Return the decided predikat of every other cycle: ``nip, cycle_id, nama_siklus, periode,
    tanggal_selesai, predikat`` (a cycle's predikat exists where both ratings were recorded)."""
    from .predikat import predikat_kinerja

    past = frame(db, """
        SELECT h.nip, h.cycle_id, c.nama AS nama_siklus, c.periode, c.tanggal_selesai,
               h.rating AS rating_hasil_kerja, p.rating AS rating_perilaku
        FROM rating_hasil_kerja h
        JOIN rating_perilaku p ON p.cycle_id = h.cycle_id AND p.nip = h.nip
        JOIN cycle c ON c.id = h.cycle_id
        WHERE h.cycle_id IS NOT ?""", [except_cycle])
    past["predikat"] = [predikat_kinerja(a, b) for a, b in zip(past["rating_hasil_kerja"], past["rating_perilaku"])]
    return past.drop(columns=["rating_hasil_kerja", "rating_perilaku"])


def unfinished_raters(db: Database, cycle_id: int) -> set[str]:
    """Return the NIPs of raters with at least one active form not yet submitted."""
    return {r for r, in db.execute("SELECT DISTINCT rater_nip FROM assignment WHERE cycle_id = ? AND aktif = 1 "
                                   "AND status <> 'terkirim'", [cycle_id])}


def active_assignments_by_relation(db: Database, cycle_id: int) -> dict[str, int]:
    """Return the number of active assignments of the cycle per relation."""
    return dict(db.execute("SELECT relation, COUNT(*) FROM assignment WHERE cycle_id = ? AND aktif = 1 "
                           "GROUP BY relation", [cycle_id]).fetchall())


def rater_means(db: Database, cycle_id: int) -> pd.DataFrame:
    """Return each submitted non-self assignment's mean BerAKHLAK score: ``ratee_nip, relation, m``."""
    return frame(db, """
        SELECT a.ratee_nip, a.relation, AVG(r.score) AS m
        FROM assignment a JOIN response r ON r.assignment_id = a.id
        WHERE a.cycle_id = ? AND a.relation <> 'diri' AND a.aktif = 1 AND a.status = 'terkirim'
          AND r.score IS NOT NULL AND r.item LIKE 'B%'
        GROUP BY a.id""", [cycle_id])


def award_inputs(db: Database, cycle: int | str | None = None, *,
                 results: pd.DataFrame | None = None) -> AwardInputs:
    """Return the cycle, scoring results and pegawai/disiplin/potensi/history frames the award lists read.

    ``results`` defaults to the stored scoring results (computed in memory, never stored, when missing).
    The predikat status is re-read from the decisions themselves, so a decision recorded after the last
    scoring run already counts (and one withdrawn no longer does). Raises CycleError for an unknown cycle
    and KinerjaError when no results can be had.
    """
    from .cycle import get_cycle

    c = get_cycle(db, cycle)
    results = (scoring_results(db, c) if results is None else results).copy()
    decided = decided_nips(db, c.id)
    results["status_predikat"] = np.where(results["predikat"].isna(), None,
                                          np.where(results["nip"].isin(decided), DITETAPKAN, SEMENTARA))
    return AwardInputs(
        c, results, pegawai(db),
        frame(db, "SELECT nip, tingkat, jenis_hukuman, tanggal_mulai, tanggal_selesai FROM disiplin"),
        frame(db, "SELECT nip, tanggal, kategori FROM potensi"),
        predikat_history(db, c.id),
        pooled_rater_sd(rater_means(db, c.id)),
        frame(db, "SELECT nip, tanggal_mulai, tanggal_selesai FROM cltn"),
        frame(db, "SELECT nip, tingkat, tahun FROM satyalancana_diterima"))
