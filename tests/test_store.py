"""The database: migrations, connection settings, constraints, transactions and the audit log."""

from __future__ import annotations

import sqlite3

import pytest

from kinerja_lib.store import audit, insert_rows, open_db, schema_version, write_transaction


def _org(db):
    db.execute("INSERT INTO unit (id, nama, jenis) VALUES ('Dinas A', 'Dinas A', 'opd')")
    for nip, nama in [("198501012010011001", "Ani"), ("198601012011012002", "Budi")]:
        db.execute(
            "INSERT INTO pegawai (nip, nama, jenis_kelamin, unit_id, jabatan, jenis_jabatan, tingkat, diperbarui)"
            " VALUES (?, ?, 'P', 'Dinas A', 'Analis', 'Pelaksana', 1, '2026-01-01')", [nip, nama])


def test_file_database_uses_wal_and_foreign_keys(db_path):
    """Every connection has foreign keys on; a file database runs in WAL mode."""
    db = open_db(db_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_migrating_twice_changes_nothing(db_path):
    """Opening an up-to-date database applies no migration again."""
    first = schema_version(open_db(db_path))
    again = open_db(db_path)
    assert schema_version(again) == first
    assert again.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == len(first)


def test_foreign_key_violation_is_refused(db):
    """A pegawai in an unknown unit cannot be stored."""
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO pegawai (nip, nama, jenis_kelamin, unit_id, jabatan, jenis_jabatan, tingkat,"
                   " diperbarui) VALUES ('198501012010011001', 'X', 'L', 'Tidak Ada', 'J', 'Pelaksana', 1, 'now')")


@pytest.mark.parametrize("nip", ["19850101201001100", "1985010120100110012", "19850101201001100A"])
def test_nip_must_be_18_digits(db, nip):
    """The schema itself refuses a NIP that is not exactly 18 digits."""
    db.execute("INSERT INTO unit (id, nama) VALUES ('U', 'U')")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO pegawai (nip, nama, jenis_kelamin, unit_id, jabatan, jenis_jabatan, tingkat,"
                   " diperbarui) VALUES (?, 'X', 'L', 'U', 'J', 'Pelaksana', 1, 'now')", [nip])


@pytest.mark.parametrize(
    "rater, ratee, relation, allowed",
    [
        ("198501012010011001", "198501012010011001", "diri", True),
        ("198501012010011001", "198501012010011001", "rekan", False),
        ("198501012010011001", "198601012011012002", "diri", False),
        ("198501012010011001", "198601012011012002", "rekan", True),
    ],
)
def test_self_assignment_only_as_diri(open_cycle_db, rater, ratee, relation, allowed):
    """A person rates themselves only under the relation 'diri', and 'diri' is only themselves."""
    db = open_cycle_db
    _org(db)
    sql = "INSERT INTO assignment (cycle_id, rater_nip, ratee_nip, relation) VALUES (1, ?, ?, ?)"
    if allowed:
        db.execute(sql, [rater, ratee, relation])
        assert db.execute("SELECT count(*) FROM assignment").fetchone()[0] == 1
    else:
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(sql, [rater, ratee, relation])


def test_duplicate_assignment_is_refused(open_cycle_db):
    """The same rater cannot be assigned the same ratee twice in a cycle."""
    db = open_cycle_db
    _org(db)
    sql = "INSERT INTO assignment (cycle_id, rater_nip, ratee_nip, relation) VALUES (1, ?, ?, ?)"
    db.execute(sql, ["198501012010011001", "198601012011012002", "rekan"])
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(sql, ["198501012010011001", "198601012011012002", "atasan"])


def test_write_transaction_rolls_back_everything_on_error(db):
    """A failing block leaves no trace: all of it commits or none of it."""
    with pytest.raises(RuntimeError):
        with write_transaction(db):
            db.execute("INSERT INTO unit (id, nama) VALUES ('A', 'A')")
            audit(db, "test", "tambah_unit", "unit", "A")
            raise RuntimeError("boom")
    assert db.execute("SELECT count(*) FROM unit").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_write_transaction_takes_the_write_lock_at_once(db_path):
    """BEGIN IMMEDIATE: a second writer waits instead of failing later on a lock upgrade."""
    first, second = open_db(db_path), open_db(db_path)
    second.conn.execute("PRAGMA busy_timeout = 50")
    with write_transaction(first):
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            second.conn.execute("BEGIN IMMEDIATE")


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET aksi = 'x'", "DELETE FROM audit_log"])
def test_audit_log_is_append_only(db, statement):
    """Audit rows can be added but never changed or removed."""
    audit(db, "cli", "buka_siklus", "cycle", 1, nama="Tahunan 2026")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute(statement)
    row = db.execute("SELECT pelaku, aksi, entitas, entitas_id, detail FROM audit_log").fetchone()
    assert row == ("cli", "buka_siklus", "cycle", "1", '{"nama": "Tahunan 2026"}')


def test_response_rebuild_keeps_every_answer(tmp_path):
    """A database made before 0040 keeps its answers, constraints and key when response becomes WITHOUT ROWID."""
    from kinerja_lib.store import connect, migrations

    path = tmp_path / "lama.db"
    old = connect(path)
    migrations.apply(old, stop_before="0040_response_without_rowid")
    _org(old)
    old.execute("INSERT INTO cycle (nama, periode, tahun, tanggal_mulai, tanggal_selesai, instrumen_versi, settings,"
                " dibuat) VALUES ('S', 'Tahunan', 2026, '2026-01-01', '2026-12-31', 'v1', '{}', 'now')")
    old.execute("INSERT INTO assignment (cycle_id, rater_nip, ratee_nip, relation) "
                "VALUES (1, '198501012010011001', '198501012010011001', 'diri')")
    answers = [(1, f"B{v}.{i}", None if (v + i) % 5 == 0 else (v + i) % 5 + 1, "t")
               for v in range(1, 8) for i in (1, 2, 3)]
    old.conn.executemany("INSERT INTO response VALUES (?, ?, ?, ?)", answers)
    old.conn.commit()
    assert "WITHOUT ROWID" not in old.execute("SELECT sql FROM sqlite_master WHERE name = 'response'").fetchone()[0]
    old.close()

    db = open_db(path)
    assert "WITHOUT ROWID" in db.execute("SELECT sql FROM sqlite_master WHERE name = 'response'").fetchone()[0]
    assert db.execute("SELECT * FROM response ORDER BY item").fetchall() == sorted(answers, key=lambda r: r[1])
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO response VALUES (1, 'B1.1', 3, 't')")   # the key still holds
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO response VALUES (99, 'B1.1', 3, 't')")  # and the foreign key
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO response VALUES (1, 'K01', 6, 't')")    # and the score range


def _scored_before(path, migration: str):
    """A database migrated up to (not including) ``migration`` with the test organisation, one cycle and one
    scoring run (id 1 each), for an upgrade test to fill with rows in the old layout."""
    from kinerja_lib.store import connect, migrations

    old = connect(path)
    migrations.apply(old, stop_before=migration)
    _org(old)
    old.execute("INSERT INTO cycle (nama, periode, tahun, tanggal_mulai, tanggal_selesai, instrumen_versi, settings,"
                " dibuat) VALUES ('S', 'Tahunan', 2026, '2026-01-01', '2026-12-31', 'v1', '{}', 'now')")
    old.execute("INSERT INTO analysis_run (cycle_id, jenis, settings, dihitung) VALUES (1, 'skor', '{}', 'now')")
    return old


def test_agreement_column_rename_keeps_every_row(tmp_path):
    """A database made before 0090 keeps its self-other agreement rows when hasil_kesepakatan_diri.lainnya (the
    mean of all non-self raters, not the relation 'lainnya') becomes rerata_bukan_diri; key and layout stay."""
    path = tmp_path / "lama.db"
    old = _scored_before(path, "0090_kesepakatan_rerata_bukan_diri")
    rows = [(1, "198501012010011001", nilai, 3.0 + k / 10, 3.5 - k / 10, -0.5 + k / 5, "setuju", "", 1)
            for k, nilai in enumerate(["B1", "B2", "semua"])]
    old.conn.executemany("INSERT INTO hasil_kesepakatan_diri (cycle_id, nip, nilai, diri, lainnya, selisih, kategori,"
                         " titik, analysis_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    old.conn.commit()
    old.close()

    from kinerja_lib.store import connect, migrations

    db = connect(path)
    migrations.apply(db, stop_before="0093_kesepakatan_diri_per_nilai")   # the table's last layout
    columns = [c.name for c in db["hasil_kesepakatan_diri"].columns]
    assert "lainnya" not in columns and "rerata_bukan_diri" in columns
    got = db.execute("SELECT cycle_id, nip, nilai, diri, rerata_bukan_diri, selisih, kategori, titik, analysis_run_id"
                     " FROM hasil_kesepakatan_diri ORDER BY nilai").fetchall()
    assert got == sorted(rows, key=lambda r: r[2])
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'hasil_kesepakatan_diri'").fetchone()[0]
    assert "WITHOUT ROWID" in sql and "rerata_bukan_diri REAL NOT NULL" in sql
    with pytest.raises(sqlite3.IntegrityError):   # the key still holds
        db.execute("INSERT INTO hasil_kesepakatan_diri (cycle_id, nip, nilai, diri, rerata_bukan_diri, selisih,"
                   " analysis_run_id) VALUES (1, '198501012010011001', 'B1', 1, 1, 0, 1)")


def test_per_value_rows_become_one_row_per_value_and_read_back_the_same(tmp_path):
    """A database made before 0091 keeps every per-value figure when hasil_skor_nilai goes from one row per
    group to one row per value: load_value_results returns exactly the rows stored before."""
    from kinerja_lib.hasil import load_value_results

    path = tmp_path / "lama.db"
    old = _scored_before(path, "0091_hasil_skor_nilai_per_nilai")
    nip = "198501012010011001"
    rows = [(1, nip, "B1", "atasan", 1, 4.0, 1), (1, nip, "B1", "diri", 1, 5.0, 1), (1, nip, "B1", "rekan", 3, 3.25, 1),
            (1, nip, "B1", "semua", 4, 3.4375, 1), (1, nip, "B2", "atasan", 1, 2.5, 1), (1, nip, "B2", "semua", 1, 2.5, 1)]
    old.conn.executemany("INSERT INTO hasil_skor_nilai (cycle_id, nip, nilai, kelompok, n, rerata, analysis_run_id)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    old.conn.commit()
    old.close()

    db = open_db(path)
    assert db.execute("SELECT count(*) FROM hasil_skor_nilai").fetchone()[0] == 2
    got = load_value_results(db, 1)
    assert [tuple(r) for r in got[["cycle_id", "nip", "nilai", "kelompok", "n", "rerata", "analysis_run_id"]]
            .itertuples(index=False)] == rows
    assert db.execute("SELECT n_bukan_diri, rerata_bukan_diri, n_rekan, n_bawahan FROM hasil_skor_nilai"
                      " WHERE nilai = 'B1'").fetchone() == (4, 3.4375, 3, None)
    with pytest.raises(sqlite3.IntegrityError):   # a count needs its mean
        db.execute("INSERT INTO hasil_skor_nilai (cycle_id, nip, nilai, n_diri, analysis_run_id)"
                   f" VALUES (1, '{nip}', 'B3', 2, 1)")
    with pytest.raises(sqlite3.IntegrityError):   # the key still holds
        db.execute(f"INSERT INTO hasil_skor_nilai (cycle_id, nip, nilai, analysis_run_id) VALUES (1, '{nip}', 'B1', 1)")
    with pytest.raises(sqlite3.IntegrityError):   # and the foreign key
        db.execute("INSERT INTO hasil_skor_nilai (cycle_id, nip, nilai, analysis_run_id) VALUES (1, 'x', 'B9', 1)")


def test_agreement_rows_fold_into_the_per_value_and_score_rows_and_read_back_the_same(tmp_path):
    """A database made before 0093 keeps its self-other agreement when hasil_kesepakatan_diri, which repeated
    the means the per-value and score rows hold, folds its category and mark into them: load_agreement returns
    the rows stored before, the overall one from hasil_skor."""
    from kinerja_lib.hasil import load_agreement

    path = tmp_path / "lama.db"
    old = _scored_before(path, "0093_kesepakatan_diri_per_nilai")
    nip = "198501012010011001"
    old.execute("INSERT INTO hasil_skor (cycle_id, nip, skor, rerata_diri, kesepakatan_diri, analysis_run_id)"
                f" VALUES (1, '{nip}', 3.5, 4.25, 'lebih_tinggi', 1)")
    old.execute("INSERT INTO hasil_skor_nilai (cycle_id, nip, nilai, n_diri, rerata_diri, n_bukan_diri,"
                f" rerata_bukan_diri, analysis_run_id) VALUES (1, '{nip}', 'B1', 1, 4.5, 3, 3.25, 1),"
                f" (1, '{nip}', 'B2', 1, 3.0, 2, 3.5, 1), (1, '{nip}', 'B3', NULL, NULL, 3, 3.0, 1)")
    rows = [(1, nip, "B1", 4.5, 3.25, 1.25, "lebih_tinggi", "titik_buta", 1),
            (1, nip, "B2", 3.0, 3.5, -0.5, "selaras", "", 1),
            (1, nip, "semua", 4.25, 3.5, 0.75, "lebih_tinggi", "", 1)]
    old.conn.executemany("INSERT INTO hasil_kesepakatan_diri (cycle_id, nip, nilai, diri, rerata_bukan_diri, selisih,"
                         " kategori, titik, analysis_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    old.conn.commit()
    old.close()

    db = open_db(path)
    assert not db["hasil_kesepakatan_diri"].exists()
    got = load_agreement(db, 1)
    assert [tuple(r) for r in got[["cycle_id", "nip", "nilai", "diri", "rerata_bukan_diri", "selisih", "kategori",
                                   "titik", "analysis_run_id"]].itertuples(index=False)] == rows
    assert db.execute("SELECT kesepakatan_diri, titik FROM hasil_skor_nilai WHERE nilai = 'B3'").fetchone() == (
        None, None)


def test_checked_bulk_load_finds_an_orphan_and_turns_foreign_keys_back_on(db_path):
    """Rows loaded without per-row lookups are still checked: an orphan raises, and the pragma is restored."""
    from kinerja_lib.store import checked_bulk_load

    db = open_db(db_path)
    _org(db)
    with pytest.raises(sqlite3.IntegrityError, match="a response row refers to a missing assignment row"):
        with checked_bulk_load(db, ("response",)):
            db.execute("INSERT INTO response VALUES (42, 'B1.1', 3, 't')")
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO response VALUES (43, 'B1.1', 3, 't')")


@pytest.mark.parametrize("n_rows", [0, 1, 499, 500, 501, 1234])
def test_insert_rows_writes_every_row_across_statements(db, n_rows):
    """insert_rows writes each row once, in order, however the rows split into multi-row statements."""
    db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, teks TEXT, nilai REAL)")
    rows = [(k, f"baris {k}", None if k % 7 == 0 else k / 3) for k in range(n_rows)]
    with write_transaction(db):
        assert insert_rows(db, "t", ["k", "teks", "nilai"], iter(rows)) == n_rows
    assert db.execute("SELECT k, teks, nilai FROM t ORDER BY k").fetchall() == rows


def test_insert_rows_is_undone_with_the_callers_transaction(db):
    """Rows inserted by insert_rows roll back with the transaction they were written in."""
    db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
    with pytest.raises(RuntimeError), write_transaction(db):
        insert_rows(db, "t", ["k"], [(k,) for k in range(1000)])
        raise RuntimeError("gagal")
    assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)
