"""Many form kernels writing at once: 28 processes on one WAL database lose, duplicate and half-write nothing."""

from __future__ import annotations

import json
import multiprocessing as mp
import traceback

from kinerja_lib import form_service as fs
from kinerja_lib import links
from kinerja_lib.demo import generate_demo
from kinerja_lib.errors import FormError
from kinerja_lib.items import items_for_relation
from kinerja_lib.store import connect, open_db

OWNERS = 24      # one process per rater, each with its own link
DUPLICATES = 4   # extra processes using the same link as owners 0..3 at the same time
FORMS_PER_RATER = 2


def _score(aid: int, item: str) -> int | None:
    """The answer every process writes for (assignment, item): deterministic, so duplicates agree."""
    h = (aid * 31 + sum(map(ord, item))) % 7
    return None if h == 6 else h % 5 + 1


def _worker(path, token, barrier, results) -> None:
    """Fill and submit the rater's first forms as a form kernel would, saving each answer twice."""
    try:
        db = connect(path)
        grant = links.resolve(db, token)
        forms = [a.id for a in fs.overview(db, grant).assignments][:FORMS_PER_RATER]
        barrier.wait()
        refused = 0
        for aid in forms:
            try:
                for item in fs.form(db, grant, aid).progress.missing:
                    for _ in range(2):  # every answer saved twice: saves are idempotent upserts
                        fs.save_answer(db, grant, aid, item, _score(aid, item))
                fs.save_comment(db, grant, aid, "kekuatan", f"komentar {aid}")
                fs.submit(db, grant, aid)
            except FormError:  # a twin process submitted this form first: it is locked now
                refused += 1
        results.put(("ok", token, forms, refused))
    except Exception:
        results.put(("error", token, traceback.format_exc(), 0))


def test_concurrent_raters_lose_and_duplicate_nothing(tmp_path):
    """28 processes (24 raters, 4 of them twice) save and submit at once; every form ends complete, once."""
    path = tmp_path / "concurrent.db"
    db = open_db(path)
    summary = generate_demo(db, pegawai=40, seed=11, answers=False, cycles=1)
    issued = sorted(links.issue_links(db, summary.cycle_id), key=lambda i: i.nip)[:OWNERS]
    db.close()

    ctx = mp.get_context("fork")
    tokens = [i.token for i in issued] + [i.token for i in issued[:DUPLICATES]]
    barrier, results = ctx.Barrier(len(tokens)), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(path), t, barrier, results)) for t in tokens]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [o[2] for o in outcomes if o[0] == "error"] == []
    assert [p.exitcode for p in procs] == [0] * len(procs)

    db = open_db(path)
    touched = sorted({aid for o in outcomes for aid in o[2]})
    assert len(touched) == OWNERS * FORMS_PER_RATER
    settings = json.loads(db.execute("SELECT settings FROM cycle WHERE id = ?", [summary.cycle_id]).fetchone()[0])
    for aid in touched:
        relation = db.execute("SELECT relation FROM assignment WHERE id = ?", [aid]).fetchone()[0]
        codes = items_for_relation(settings, relation)
        rows = dict(db.execute("SELECT item, score FROM response WHERE assignment_id = ?", [aid]).fetchall())
        assert rows == {c: _score(aid, c) for c in codes}, aid
        assert db.execute("SELECT jenis, teks FROM comment WHERE assignment_id = ?", [aid]).fetchall() == [
            ("kekuatan", f"komentar {aid}")]
    statuses = db.execute(f"SELECT DISTINCT status FROM assignment WHERE id IN ({','.join('?' * len(touched))})",
                          touched).fetchall()
    assert statuses == [("terkirim",)]
    submits = sorted(int(r[0]) for r in db.execute(
        "SELECT entitas_id FROM audit_log WHERE aksi = 'kirim_penilaian'"))
    assert submits == touched  # each form submitted exactly once
    refused = sum(o[3] for o in outcomes)
    assert refused == DUPLICATES * FORMS_PER_RATER  # the twin of each submitted form was refused
    untouched = db.execute(
        f"SELECT COUNT(*) FROM response WHERE assignment_id NOT IN ({','.join('?' * len(touched))})",
        touched).fetchone()[0]
    assert untouched == 0
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
