"""Personnel records and decisions read from the database for the analyses.

The award lists, the reports and the validation read people, decisions and history through these functions
and never issue SQL themselves, so that a second storage engine can be added here without touching them.
Nothing here writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlite_utils import Database

from . import hasil
from .errors import KinerjaError
from .organisation import load_tree
from .vocabulary import VOCAB

if TYPE_CHECKING:  # the award package is imported where its inputs are built, so scoring need not load it
    from .awards.inputs import AwardInputs

DITETAPKAN, SEMENTARA = VOCAB.status_predikat.codes


def frame(db: Database, sql: str, params: list | None = None) -> pd.DataFrame:
    """Return the rows of ``sql`` as a DataFrame with the query's column names."""
    cur = db.execute(sql, params or [])
    return pd.DataFrame(cur.fetchall(), columns=[c[0] for c in cur.description])


def stored_results_behind(db: Database, cycle_id: int, stored: pd.DataFrame | None,
                          run_version: int | None) -> str | None:
    """Return why the stored scoring results ``stored`` (hasil_skor rows of one run, which read the forms at
    change counter ``run_version``; read here when None) no longer stand for the cycle, in Indonesian, or None
    when they do.

    Behind: a form changed state since the run (the cycle's change counter moved past the run's), or a rating
    was recorded, changed or withdrawn since: the stored Rating Perilaku Kerja and predikat of a pegawai whose
    Pejabat Penilai decided after the run still rest on the 360 suggestion, and those of one whose Rating Hasil
    Kerja came later were never set.
    """
    from .store import data_version

    if run_version is None or run_version < data_version(db, cycle_id):
        return "formulir terkirim sudah berubah sesudahnya"
    hasil_kerja, decided = recorded_ratings(db, cycle_id)
    stored = hasil.load_rating_basis(db, cycle_id) if stored is None else stored
    nips = stored["nip"].astype(str).tolist()
    kept = stored["rating_perilaku"].where(stored["sumber_rating_perilaku"] == "keputusan")
    if ({n: r for n, r in zip(nips, kept) if isinstance(r, str)} != {n: decided[n] for n in nips if n in decided}
            or {n: r for n, r in zip(nips, stored["rating_hasil_kerja"]) if isinstance(r, str)}
            != {n: hasil_kerja[n] for n in nips if n in hasil_kerja}):
        return "rating yang ditetapkan sudah berubah sesudahnya"
    return None


def scoring_results(db: Database, cycle) -> pd.DataFrame:
    """Return the cycle's scoring results: those ``kinerja score`` stored while they still stand (no form changed
    state and no rating was recorded since, :func:`stored_results_behind`; the individual reports' rule), else
    the cycle scored in memory now, without writing anything.

    ``attrs["sumber_skor"]`` says which in Indonesian: the stored run (number and time), or scores computed in
    memory and why (none stored, or the stored ones behind), and ``attrs["skor_sementara"]`` is True for the
    latter. Raises KinerjaError when the cycle has nothing to score.
    """
    from .reports.formatting import tanggal

    results = hasil.load_results(db, cycle.id)
    run = stored_scoring_run(db, cycle.id) if not results.empty else None
    behind = stored_results_behind(db, cycle.id, results, run[2]) if run is not None else None
    if run is not None and behind is None:
        source = f"hasil tersimpan 'kinerja score' (analysis_run #{run[0]}, dihitung {tanggal(run[1])})"
    else:
        # Imported only here: scoring loads scipy, which stored results never need.
        from . import scoring

        results = scoring.run_scoring(db, cycle.id, persist=False).results
        why = f"hasil tersimpan (analysis_run #{run[0]}) tertinggal: {behind}" if run is not None \
            else "belum ada hasil tersimpan"
        source = (f"sementara, dihitung di memori dari formulir terkirim saat ini dan tidak disimpan ({why}); "
                  "simpan dengan: kinerja score")
    if results is None or results.empty:
        raise KinerjaError(f"Hasil skor siklus '{cycle.nama}' belum ada; hitung skor terlebih dahulu")
    results.attrs["sumber_skor"], results.attrs["skor_sementara"] = source, run is None or behind is not None
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
    """Return the active pegawai (``nip, nama, unit_id, jabatan, jenis_jabatan, jenjang, status_kepegawaian,
    opd``) by NIP."""
    out = frame(db, "SELECT nip, nama, unit_id, jabatan, jenis_jabatan, jenjang, status_kepegawaian FROM pegawai "
                    "WHERE aktif = 1 ORDER BY nip")
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
    pairs = list(zip(past["rating_hasil_kerja"].tolist(), past["rating_perilaku"].tolist()))
    kuadran = {pair: predikat_kinerja(*pair) for pair in set(pairs)}   # nine pairs at most
    past["predikat"] = [kuadran[pair] for pair in pairs]
    return past.drop(columns=["rating_hasil_kerja", "rating_perilaku"])


def active_ratees(db: Database, cycle_id: int) -> list[str]:
    """Return the NIPs rated by at least one active assignment of the cycle, in NIP order."""
    return [r for r, in db.execute("SELECT DISTINCT ratee_nip FROM assignment WHERE cycle_id = ? AND aktif = 1 "
                                   "ORDER BY ratee_nip", [int(cycle_id)])]


def recorded_ratings(db: Database, cycle_id: int) -> tuple[dict[str, str], dict[str, str]]:
    """Return ``({nip: Rating Hasil Kerja}, {nip: Rating Perilaku Kerja})`` as recorded for the cycle."""
    return tuple(dict(db.execute(f"SELECT nip, rating FROM {table} WHERE cycle_id = ?", [int(cycle_id)]).fetchall())
                 for table in ("rating_hasil_kerja", "rating_perilaku"))


def comment_rows(db: Database, cycle_id: int) -> pd.DataFrame:
    """Return every comment of the cycle's submitted active forms as ``ratee, kelompok, jenis, teks``.

    No rater column is read; the caller withholds the groups not shown (kinerja_lib.scoring.load_comments).
    """
    return frame(db, "SELECT a.ratee_nip AS ratee, a.relation AS kelompok, c.jenis, c.teks FROM comment c "
                     "JOIN assignment a ON a.id = c.assignment_id "
                     "WHERE a.cycle_id = ? AND a.aktif = 1 AND a.status = 'terkirim'", [int(cycle_id)])


def assignment_status_counts(db: Database, cycle_id: int) -> pd.DataFrame:
    """Return the active assignments counted by the rater's unit, relation and status: ``unit_id, relation,
    status, n``."""
    return frame(db, "SELECT p.unit_id, a.relation, a.status, count(*) AS n FROM assignment a "
                     "JOIN pegawai p ON p.nip = a.rater_nip WHERE a.cycle_id = ? AND a.aktif = 1 "
                     "GROUP BY p.unit_id, a.relation, a.status", [int(cycle_id)])


def unfinished_raters(db: Database, cycle_id: int) -> set[str]:
    """Return the NIPs of raters with at least one active form not yet submitted."""
    return {r for r, in db.execute("SELECT DISTINCT rater_nip FROM assignment WHERE cycle_id = ? AND aktif = 1 "
                                   "AND rater_nip IS NOT NULL "
                                   "AND status <> 'terkirim'", [cycle_id])}


def active_assignments_by_relation(db: Database, cycle_id: int) -> dict[str, int]:
    """Return the number of active assignments of the cycle per relation."""
    return dict(db.execute("SELECT relation, COUNT(*) FROM assignment WHERE cycle_id = ? AND aktif = 1 "
                           "GROUP BY relation", [cycle_id]).fetchall())


def rater_means(db: Database, cycle_id: int) -> pd.DataFrame:
    """Return each submitted non-self assignment's mean BerAKHLAK score: ``ratee_nip, relation, m``."""
    # One lookup per assignment on the response primary key (assignment_id, item) instead of a join grouped
    # by assignment: SQLite then needs no temporary B-tree, about half the time on a city's answers.
    # Forms without a scored BerAKHLAK item get NULL and are dropped, as the join left them out.
    means = frame(db, """
        SELECT a.ratee_nip, a.relation,
               (SELECT AVG(r.score) FROM response r
                WHERE r.assignment_id = a.id AND r.score IS NOT NULL AND r.item LIKE 'B%') AS m
        FROM assignment a
        WHERE a.cycle_id = ? AND a.relation <> 'diri' AND a.aktif = 1 AND a.status = 'terkirim'
        ORDER BY a.id""", [cycle_id])
    return means[means["m"].notna()].reset_index(drop=True)


def award_inputs(db: Database, cycle: int | str | None = None, *,
                 results: pd.DataFrame | None = None) -> AwardInputs:
    """Return the cycle, scoring results and pegawai/disiplin/potensi/history frames the award lists read.

    ``results`` defaults to :func:`scoring_results` (the stored results when current, else computed in memory and
    never stored); ``sumber_skor`` says which.
    The predikat status is re-read from the decisions themselves, so a decision recorded after the last
    scoring run already counts (and one withdrawn no longer does). Raises CycleError for an unknown cycle
    and KinerjaError when no results can be had.
    """
    from .awards.inputs import AwardInputs, pooled_rater_sd
    from .cycle import get_cycle

    c = get_cycle(db, cycle)
    results = (scoring_results(db, c) if results is None else results).copy()
    source = results.attrs.get("sumber_skor", "hasil skor yang diberikan pemanggil")
    provisional = bool(results.attrs.get("skor_sementara", False))
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
        frame(db, "SELECT nip, tingkat, tahun FROM satyalancana_diterima"),
        frame(db, "SELECT nip, judul, tanggal, tingkat, bukti, diverifikasi_oleh FROM inovasi"),
        sumber_skor=source, skor_sementara=provisional)


# --------------------------------------------------------------------------------------------
# What the individual reports and the berita acara read


def _chunks(values: list[str], size: int = 900) -> list[list[str]]:
    """Split a list of keys into chunks that stay under SQLite's bound-parameter limit."""
    return [values[i:i + size] for i in range(0, len(values), size)]


def _in(values: list[str]) -> str:
    return "(" + ",".join("?" * len(values)) + ")"


def pegawai_exists(db: Database, nip: str) -> bool:
    """Return whether the roster holds ``nip`` (active or not)."""
    return db.execute("SELECT 1 FROM pegawai WHERE nip = ?", [nip]).fetchone() is not None


def rated_in_cycle(db: Database, cycle_id: int, *, nip: str | None = None,
                   units: set[str] | None = None) -> list[str]:
    """Return the NIPs with an active assignment as ratee in the cycle, by unit, name and NIP.

    ``nip`` keeps only that pegawai; ``units`` only pegawai of those units.
    """
    sql = ("SELECT DISTINCT a.ratee_nip, p.unit_id, p.nama FROM assignment a JOIN pegawai p ON p.nip = a.ratee_nip "
           "WHERE a.cycle_id = ? AND a.aktif = 1")
    params: list = [cycle_id]
    if nip is not None:
        sql += " AND a.ratee_nip = ?"
        params.append(nip)
    rows = db.execute(sql + " ORDER BY p.unit_id, p.nama, a.ratee_nip", params).fetchall()
    return [r[0] for r in rows if units is None or r[1] in units]


def pegawai_with_units(db: Database) -> pd.DataFrame:
    """Return every pegawai's ``nama, jabatan, golongan, unit_id, unit_nama, atasan_nip``, indexed by NIP."""
    return frame(db, "SELECT p.nip, p.nama, p.jabatan, p.golongan, p.unit_id, u.nama AS unit_nama, p.atasan_nip "
                     "FROM pegawai p JOIN unit u ON u.id = p.unit_id").set_index("nip")


def unit_members(db: Database, units: set[str]) -> pd.DataFrame:
    """Return the active pegawai of ``units``: ``nip, nama, jabatan, unit_nama, unit_id, kepala_unit,
    atasan_nip``, heads first, then by unit, name and NIP."""
    out = frame(db, "SELECT p.nip, p.nama, p.jabatan, u.nama AS unit_nama, p.unit_id, p.kepala_unit, p.atasan_nip "
                    "FROM pegawai p JOIN unit u ON u.id = p.unit_id WHERE p.aktif = 1 "
                    "ORDER BY p.kepala_unit DESC, p.unit_id, p.nama, p.nip")
    return out[out["unit_id"].isin(units)].reset_index(drop=True)


def submitted_comments(db: Database, cycle_id: int, nips: list[str]) -> dict[str, dict[tuple[str, str], list[str]]]:
    """Return ``{ratee: {(relation, jenis): [teks, ...]}}`` of the submitted forms' non-empty comments.

    No rater column is read: a comment leaves the database only as (ratee, group, kind, text).
    """
    sql = ("SELECT a.ratee_nip, a.relation, c.jenis, c.teks FROM comment c "
           "JOIN assignment a ON a.id = c.assignment_id "
           "WHERE a.cycle_id = ? AND a.aktif = 1 AND a.status = 'terkirim' AND trim(c.teks) <> ''")
    out: dict[str, dict[tuple[str, str], list[str]]] = {}
    for chunk in _chunks(nips):
        for ratee, relation, jenis, teks in db.execute(sql + f" AND a.ratee_nip IN {_in(chunk)}", [cycle_id, *chunk]):
            out.setdefault(ratee, {}).setdefault((relation, jenis), []).append(teks)
    return out


def decided_ratings(db: Database, cycle_id: int) -> dict[str, dict[str, str]]:
    """Return ``{nip: {'hasil_kerja': rating, 'perilaku': rating}}`` as the Pejabat Penilai recorded them."""
    out: dict[str, dict[str, str]] = {}
    for table, key in (("rating_hasil_kerja", "hasil_kerja"), ("rating_perilaku", "perilaku")):
        for nip, rating in db.execute(f"SELECT nip, rating FROM {table} WHERE cycle_id = ?", [cycle_id]):
            out.setdefault(nip, {})[key] = rating
    return out


def ekspektasi_khusus(db: Database, cycle_id: int) -> dict[str, dict[str, str]]:
    """Return ``{unit_id: {nilai: teks}}``: the Ekspektasi Khusus Pimpinan set for the cycle."""
    out: dict[str, dict[str, str]] = {}
    for unit_id, nilai, teks in db.execute("SELECT unit_id, nilai, teks FROM ekspektasi_khusus WHERE cycle_id = ?",
                                           [cycle_id]):
        out.setdefault(unit_id, {})[nilai] = teks
    return out


def analysis_run(db: Database, run_id: int) -> tuple[str, int | None] | None:
    """Return (when it was computed, the data version it read) of a stored analysis run, or None."""
    row = db.execute("SELECT dihitung, versi_data FROM analysis_run WHERE id = ?", [int(run_id)]).fetchone()
    return None if row is None else (row[0], row[1])


def submitted_forms(db: Database, cycle_id: int, nips: list[str]) -> dict[str, dict[str, list[list]]]:
    """Return, per ratee, the submitted forms by relation: ``{nip: {relation: [[assignment id, submitted]]}}``."""
    out: dict[str, dict[str, list[list]]] = {nip: {} for nip in nips}
    # By ratee: SQLite would otherwise read the whole cycle's submitted forms in id order to save the sort.
    sql = ("SELECT ratee_nip, relation, id, terkirim FROM assignment INDEXED BY assignment_aktif_ratee "
           "WHERE cycle_id = ? AND aktif = 1 AND status = 'terkirim'")
    for chunk in _chunks(nips):
        for nip, relation, aid, terkirim in db.execute(sql + f" AND ratee_nip IN {_in(chunk)} ORDER BY id",
                                                     [cycle_id, *chunk]):
            out[nip].setdefault(relation, []).append([int(aid), terkirim])
    return out


def report_versions(db: Database, cycle_id: int, nip: str) -> list[tuple[int, str, str, str, bytes]]:
    """Return a pegawai's published report versions, oldest first: (versi, diterbitkan, kunci, dasar, konteks)."""
    return [tuple(r) for r in db.execute(
        "SELECT versi, diterbitkan, kunci, dasar, konteks FROM laporan_versi WHERE cycle_id = ? AND nip = ? "
        "ORDER BY versi", [cycle_id, nip])]


def score_history(db: Database, nips: list[str]) -> pd.DataFrame:
    """Return the stored bias-adjusted 360 scores of ``nips`` in every cycle scored: ``nip, cycle_id,
    nama_siklus, periode, tahun, tanggal_selesai, skor_adj, skor_adj_se``."""
    out = []
    for chunk in _chunks(nips):
        out.append(frame(db, "SELECT h.nip, h.cycle_id, c.nama AS nama_siklus, c.periode, c.tahun, c.tanggal_selesai, "
                             "h.skor_adj, h.skor_adj_se FROM hasil_skor h JOIN cycle c ON c.id = h.cycle_id "
                             f"WHERE h.nip IN {_in(chunk)}", chunk))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=[
        "nip", "cycle_id", "nama_siklus", "periode", "tahun", "tanggal_selesai", "skor_adj", "skor_adj_se"])


# --------------------------------------------------------------------------------------------
# The research notebook's scores: computed in memory, set beside what `kinerja score` stored


def results_with_pegawai(db: Database, cycle_id: int, results: pd.DataFrame) -> pd.DataFrame:
    """Return scoring results (one row per ``nip``, e.g. ``ScoringReport.results``) with each pegawai's
    ``nama``, ``unit_id``, ``opd`` and ``unit_predikat``, ordered by NIP: the columns and order in which
    kinerja_lib.hasil.load_results returns the stored ones."""
    from .organisation import predikat_organisasi

    people = frame(db, "SELECT nip, nama, unit_id FROM pegawai")
    out = results.merge(people, on="nip", how="inner").sort_values("nip", kind="stable").reset_index(drop=True)
    tree = load_tree(db)
    out["opd"] = tree.opd_of(out["unit_id"])
    out["unit_predikat"] = tree.predikat_unit_of(out["unit_id"], predikat_organisasi(db, cycle_id))
    return out


def stored_scoring_run(db: Database, cycle_id: int) -> tuple[int, str, int | None, str] | None:
    """Return ``(id, dihitung, versi_data, settings JSON)`` of the analysis run behind the cycle's stored
    hasil_skor, or None when nothing is stored."""
    row = db.execute("SELECT r.id, r.dihitung, r.versi_data, r.settings FROM hasil_skor h "
                     "JOIN analysis_run r ON r.id = h.analysis_run_id WHERE h.cycle_id = ? LIMIT 1",
                     [int(cycle_id)]).fetchone()
    return None if row is None else (int(row[0]), row[1], row[2], row[3])


def stored_scoring_status(db: Database, cycle_id: int, data_version: int | None, method: dict) -> str:
    """Return :func:`stored_scoring_note` for the cycle's stored run, with the ratings recorded since it checked
    too (:func:`stored_results_behind`), for scores computed in memory from forms at ``data_version``."""
    run = stored_scoring_run(db, cycle_id)
    ratings = (run is not None and run[2] is not None and data_version is not None and run[2] >= data_version
               and stored_results_behind(db, cycle_id, None, run[2]) is not None)
    return stored_scoring_note(run, data_version, method, ratings_changed=ratings)


def stored_scoring_note(run: tuple[int, str, int | None, str] | None, data_version: int | None,
                        method: dict, *, ratings_changed: bool = False) -> str:
    """Return, in Indonesian, how scores computed in memory now (from forms at ``data_version``, with the
    settings in ``method``, as ScoringReport.method gives them) stand to the stored ones (``run`` from
    :func:`stored_scoring_run`): none stored, stored and current, or stored but behind the forms or settings.

    >>> stored_scoring_note(None, 3, {"metode": {}}).split(":")[0]
    'Hasil skor siklus ini belum tersimpan'
    """
    import json

    from .reports.formatting import tanggal

    memory = ("angka di buku kerja ini adalah perhitungan sementara di memori dari formulir terkirim saat ini "
              "dan tidak disimpan; laporan pegawai dan daftar penghargaan membaca hasil yang disimpan "
              "'kinerja score'.")
    if run is None:
        return f"Hasil skor siklus ini belum tersimpan: {memory} Simpan dengan: kinerja score"
    run_id, computed, version, settings = run
    stored_method = json.loads(settings or "{}").get("metode")
    reasons = []
    if version is None or data_version is None or version < data_version:
        reasons.append("formulir terkirim sudah berubah sesudahnya")
    if ratings_changed:
        reasons.append("rating yang ditetapkan sudah berubah sesudahnya")
    if stored_method != json.loads(json.dumps(method.get("metode"), ensure_ascii=False, default=float)):
        reasons.append("pengaturan metode siklus sudah berubah")
    where = f"Hasil tersimpan: analysis_run #{run_id}, dihitung {tanggal(computed)}"
    if not reasons:
        return f"{where}, sesuai dengan formulir terkirim dan pengaturan siklus saat ini. Catatan: {memory}"
    return (f"{where}; {' dan '.join(reasons)}, sehingga hasil tersimpan tertinggal. Catatan: {memory} "
            "Perbarui dengan: kinerja score")
