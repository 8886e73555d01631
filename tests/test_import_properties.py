"""Property tests: malformed rosters never write half a file and never fail with anything but ImportRejected."""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinerja_lib.errors import ImportRejected
from kinerja_lib.roster import import_roster
from kinerja_lib.store import open_db

HEADER = ["NIP", "Nama", "Jenis Kelamin", "Unit Kerja", "Sub Unit", "Jabatan", "Jenis Jabatan", "Jenjang",
          "Pangkat/Golongan", "NIP Atasan", "TMT CPNS"]
A, B, C, D = "197204151998032005", "197606182002122003", "198712112011011002", "199205302019032004"
BASE = [
    [A, "Sri Wahyuningsih", "P", "Dinas Kesehatan", "", "Kepala Dinas", "JPT Pratama", "", "IV/c", "", "01-03-1998"],
    [B, "Retno Kusumawati", "P", "Dinas Kesehatan", "Bidang P2P", "Kepala Bidang", "Administrator", "", "IV/a", A, "01-12-2002"],
    [C, "Fajar Hidayat", "L", "Dinas Kesehatan", "Bidang P2P", "Epidemiolog", "JF", "Ahli Muda", "III/c", B, "01-01-2011"],
    [D, "Anisa Putri", "P", "Dinas Kesehatan", "Bidang P2P", "Perawat", "JF", "Ahli Pertama", "III/a", B, "01-03-2019"],
]
# Values that are each wrong (or right) in an interesting way somewhere in a roster.
TRICKY = st.sampled_from([
    "", "-", " ", A, B, C, D, "199912312025011999", "1.98712112011011e+17", "123", "JF", "JPT", "Eselon III",
    "Pelaksana", "Ahli", "Ahli Muda", "X", "L", "Perempuan", "V/a", "III/b", "Penata / III/c", "31-02-2020",
    "2020-02-29", "45292", "Dinas Kesehatan", "dinas kesehatan", "Bidang P2P /  / Tim", "Bidang p2p", "Ya", "mungkin",
    '"', ";", "\n", "=1+1", "💥", "\x00",
])
VALUE = st.one_of(TRICKY, st.text(max_size=25))
EDIT = st.tuples(st.integers(0, 5), st.integers(0, len(HEADER) - 1), VALUE)
LAYOUT = st.sampled_from([";", ",", "\t", "|"])

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def dump(db) -> list[str]:
    return list(db.conn.iterdump())


def render(rows, delim=";", header=HEADER, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delim, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode(encoding, errors="replace")


def reporting_chain_ends(db) -> bool:
    """Return whether every stored reporting line climbs to a top person without looping."""
    boss = dict(db.execute("SELECT nip, atasan_nip FROM pegawai").fetchall())
    for start in boss:
        seen, node = set(), start
        while node is not None:
            if node in seen or node not in boss:
                return False
            seen.add(node)
            node = boss[node]
    return True


def check_import(db, path):
    """Import; on refusal the database must be byte-for-byte the same dump, on success it must be sound."""
    before = dump(db)
    try:
        summary = import_roster(db, path)
    except ImportRejected as exc:
        assert exc.problems, "a refusal always says why"
        assert all(p.message for p in exc.problems)
        assert dump(db) == before
        return None
    assert reporting_chain_ends(db)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    return summary


@SETTINGS
@given(edits=st.lists(EDIT, min_size=1, max_size=6), drop=st.sets(st.integers(0, 3), max_size=2),
       delim=LAYOUT, prior=st.booleans())
def test_malformed_rosters_never_write_half(tmp_path_factory, edits, drop, delim, prior):
    """Whatever cells are spoiled, the import either writes a sound roster or nothing at all."""
    db = open_db(":memory:")
    folder = tmp_path_factory.mktemp("roster", numbered=True)
    if prior:
        (folder / "awal.csv").write_bytes(render(BASE))
        import_roster(db, folder / "awal.csv")
    rows = [list(r) for i, r in enumerate(BASE) if i not in drop]
    rows += [list(BASE[3])]  # a spare row to spoil (duplicate NIP until edited)
    for i, j, value in edits:
        if i < len(rows):
            rows[i][j] = value
    path = folder / "pegawai.csv"
    path.write_bytes(render(rows, delim))
    summary = check_import(db, path)
    if summary is not None:
        assert summary.rows == len(rows)


@SETTINGS
@given(data=st.binary(max_size=400), prefix=st.sampled_from([b"", "\n".join([";".join(HEADER)]).encode() + b"\n"]))
def test_arbitrary_bytes_are_refused_cleanly(tmp_path_factory, data, prefix):
    """Random bytes (after an optional valid header) never crash the importer and never write."""
    db = open_db(":memory:")
    path = tmp_path_factory.mktemp("bytes", numbered=True) / "acak.csv"
    path.write_bytes(prefix + data)
    check_import(db, path)


@st.composite
def organisations(draw):
    """A valid random organisation: each person reports to someone listed before them (or nobody)."""
    n = draw(st.integers(1, 25))
    nips = [f"19{80 + i % 20:02d}0101{2005 + i % 15}01{1 + i % 2}{i:03d}" for i in range(n)]
    rows = []
    for i, nip in enumerate(nips):
        boss = draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None
        unit = draw(st.sampled_from(["Dinas Kesehatan", "Dinas Sosial"]))
        sub = draw(st.sampled_from(["", "Bidang A", "Bidang A / Seksi 1", "Bidang B"]))
        jenis, jenjang = draw(st.sampled_from([("Pelaksana", ""), ("Pengawas", ""), ("JF", "Ahli Muda"),
                                               ("JF", "Terampil"), ("Administrator", "")]))
        rows.append([nip, f"Pegawai {i}", "", unit, sub, "Staf", jenis, jenjang, "III/a",
                     "" if boss is None else nips[boss], ""])
    return rows


@SETTINGS
@given(rows=organisations(), delim=LAYOUT.filter(lambda d: d != "|"))
def test_valid_organisations_import_exactly_and_reimport_idempotently(tmp_path_factory, rows, delim):
    """A valid roster is stored exactly as written; importing it again changes nothing but timestamps."""
    db = open_db(":memory:")
    path = tmp_path_factory.mktemp("valid", numbered=True) / "pegawai.csv"
    path.write_bytes(render(rows, delim))
    first = import_roster(db, path)
    stored = {r[0]: r[1:] for r in db.execute("SELECT nip, atasan_nip, unit_id, jenis_kelamin FROM pegawai")}
    expected = {r[0]: (r[9] or None, " / ".join([r[3], r[4]]) if r[4] else r[3], "L" if r[0][14] == "1" else "P")
                for r in rows}
    assert (first.inserted, stored) == (len(rows), expected)
    snapshot = list(db.query("SELECT * FROM pegawai ORDER BY nip"))
    second = import_roster(db, path)
    assert (second.inserted, second.updated, second.units_created) == (0, len(rows), 0)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "diperbarui"} for r in rs]  # noqa: E731
    assert strip(db.query("SELECT * FROM pegawai ORDER BY nip")) == strip(snapshot)
