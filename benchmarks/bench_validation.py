"""Method validation on the 8,000-pegawai demo: how well every published figure recovers the planted truth.

Setup builds the demo with answers (untimed); the run is ``kinerja_lib.validation.validate_demo`` (scoring,
award lists, competency analysis, all from the database, nothing written) and records its headline figures
(``DemoValidation.summary``): r and interval coverage of the scores, suggestion agreement, award posterior
coverage, false and planted fairness findings, competency-gap precision and recall. Two demo seeds.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.run import Case

SEEDS = (2026, 7)


def _setup(size: int, seed: int):
    def setup(workdir: Path):
        from kinerja_lib.demo import build_demo_database

        db, _ = build_demo_database(workdir / "demo.db", size, seed, answers=True, cycles=1)
        return db
    return setup


def _run(db) -> dict:
    from kinerja_lib import validation

    result = validation.validate_demo(db)
    return {k: (float(v) if not isinstance(v, bool) else v) for k, v in result.summary().items()}


def cases() -> list[Case]:
    return [Case("validation", f"demo_seed{seed}", 8000, _run, _setup(8000, seed)) for seed in SEEDS]
