"""The demo organisation generator and who-rates-whom (``kinerja demo`` and ``kinerja assign``).

Each case writes a database file in the harness's work folder, as the commands do:

* ``demo_without_answers``: units, pegawai, both cycles, assignments and the non-360 tables;
* ``demo_with_answers``: the same plus simulated responses (about 25 rows per assignment),
  comments and the planted truths;
* ``assign``: ``generate_assignments`` on an org chart built in setup (untimed), first run;
* ``assign_rerun``: the idempotent second run on the same database (nothing to add).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.run import Case

SEED = 2026


def _sized(size: int, answers: bool):
    def setup(workdir: Path) -> tuple[Path, int]:
        return workdir / "demo.db", size

    def run(state: tuple[Path, int]) -> dict:
        from kinerja_lib.demo import build_demo_database

        path, n = state
        db, s = build_demo_database(path, n, SEED, answers=answers, cycles=1)
        db.close()
        return {"assignments": s.assignments, "responses": s.responses,
                "db_mb": round(path.stat().st_size / 2**20, 1)}
    return setup, run


def _assign(size: int, rerun: bool):
    def setup(workdir: Path):
        from kinerja_lib.assignments import generate_assignments
        from kinerja_lib.cycle import open_cycle
        from kinerja_lib.demo import build_organisation
        from kinerja_lib.store import open_db

        db = open_db(workdir / "org.db")
        build_organisation(db, size, SEED)
        open_cycle(db, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31")
        if rerun:
            generate_assignments(db, "Tahunan 2026")
        return db

    def run(db) -> dict:
        from kinerja_lib.assignments import generate_assignments

        s = generate_assignments(db, "Tahunan 2026")
        db.close()
        return {"assignments": s.total, "added": s.added, "peer_load_min": s.peer_load_min,
                "peer_load_max": s.peer_load_max}
    return setup, run


def cases() -> list[Case]:
    out = []
    for size, target, quick in ((8_000, 5, True), (100_000, 60, False)):
        setup, run = _sized(size, answers=False)
        out.append(Case("organisation", "demo_without_answers", size, run, setup, target_seconds=target, quick=quick))
        setup, run = _sized(size, answers=True)
        out.append(Case("organisation", "demo_with_answers", size, run, setup, target_seconds=target, quick=quick))
        setup, run = _assign(size, rerun=False)
        out.append(Case("organisation", "assign", size, run, setup, target_seconds=target, quick=quick))
        setup, run = _assign(size, rerun=True)
        out.append(Case("organisation", "assign_rerun", size, run, setup, target_seconds=target, quick=quick))
    setup, run = _sized(1_000_000, answers=False)
    out.append(Case("organisation", "demo_without_answers", 1_000_000, run, setup, target_seconds=600, quick=False))
    return out
