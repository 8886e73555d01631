"""Property: whatever arguments and input files the CLI is given, it exits 0 or 2, never shows a traceback, and
leaves the database and the folder exactly as they were whenever it exits 2."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinerja_lib.assignments import generate_assignments
from kinerja_lib.cli import main
from kinerja_lib.cycle import open_cycle
from kinerja_lib.roster import import_roster
from kinerja_lib.store import open_db

CONTOH = Path(__file__).resolve().parent.parent / "data" / "contoh"
XLSX_SAMPLES = [(CONTOH / "pegawai.xlsx").read_bytes()]
CSV_SAMPLES = [p.read_bytes() for p in sorted(CONTOH.glob("*.csv"))]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The example roster with an open cycle and its assignments; every example works on a copy."""
    path = tmp_path_factory.mktemp("fuzz") / "kinerja.db"
    db = open_db(path)
    import_roster(db, CONTOH / "pegawai.csv")
    cycle = open_cycle(db, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31")
    generate_assignments(db, cycle.id)
    db.close()
    return path


def snapshot(folder: Path, db_path: Path) -> tuple[list[str], list[str]]:
    """The database's full content and the names of the other files in the folder."""
    db = open_db(db_path)
    try:
        content = list(db.conn.iterdump())
    finally:
        db.close()
    others = sorted(p.name for p in folder.iterdir() if not p.name.startswith(db_path.name))
    return content, others


def check_run(template: Path, args_for, files: dict[str, bytes]) -> None:
    """Run one generated command on a fresh copy of the template and check the property."""
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        db_path = folder / "kinerja.db"
        shutil.copy(template, db_path)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        args = args_for(folder)
        before = snapshot(folder, db_path)
        result = CliRunner().invoke(main, ["--db", str(db_path), *args])
        assert result.exit_code in (0, 2), (args, result.output, result.exception)
        assert "Traceback" not in result.output, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        if result.exit_code == 2:
            assert result.stderr.startswith(("Galat", "Impor dibatalkan")), (args, result.stderr)
            assert snapshot(folder, db_path) == before, args


# --------------------------------------------------------------------------------------- input files

NUMBERISH = st.one_of(st.integers(-10**45, 10**45).map(str), st.just("9" * 5000), st.just("1e400"),
                      st.floats(allow_nan=True, allow_infinity=True).map(str))
CELL = st.one_of(
    st.text(max_size=30),
    NUMBERISH,
    st.sampled_from(["", "-", "=HYPERLINK(\"x\")", "@SUM(A1)", "198501012010011001", "197501012000031001",
                     "Tahunan 2026", "Di Atas Ekspektasi", "atasan", "rekan", "B1.1", "K01", "ringan", "tinggi",
                     "2026-02-30", "31/12/2026", "\u202eabc", "\x00", '"', "a;b", "x" * 2000]),
)


@st.composite
def csv_bytes(draw) -> bytes:
    width = draw(st.integers(1, 8))
    header = draw(st.lists(st.sampled_from(
        ["NIP", "Nama", "Unit Kerja", "Jabatan", "Jenis Jabatan", "NIP Atasan", "Rating Hasil Kerja", "Tingkat",
         "Jenis Hukuman", "Tanggal Mulai", "nip_penilai", "nip_dinilai", "relasi", "kode_butir", "skor", "Unit",
         "Predikat", "Nilai", "Teks", "Kompetensi", "Level", "Tanggal", "Kategori", "Skor", "aksi", "alasan"]
        + ["x", ""]), min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=width + 2), max_size=6))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    text = "\n".join(delimiter.join(r) for r in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


@st.composite
def damaged_xlsx(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(XLSX_SAMPLES)))
    if draw(st.booleans()):
        return bytes(data[:draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(1, 20))):
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.integers(0, 255))
    return bytes(data)


@st.composite
def settings_yaml(draw) -> bytes:
    keys = st.sampled_from(["kelompok", "minimal_penilai", "bobot", "rekan_per_pegawai", "benih_acak",
                            "maks_tidak_dapat_menilai", "kompetensi_per_relasi", "komentar_maks_karakter",
                            "ambang_rating_perilaku", "titik_buta_proporsi_rentang", "versi", "lain"])
    leaf = st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                     st.booleans(), st.none(), st.sampled_from(["diri", "atasan", "rekan", "K01", "K99"]))
    value = st.recursive(leaf, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["diri", "atasan", "rekan", "bawahan",
                                                                      "di_atas", "di_bawah", "x"]), inner, max_size=4)),
        max_leaves=10)
    data = draw(st.dictionaries(keys, value, max_size=4))
    return yaml.safe_dump(data, allow_unicode=True).encode("utf-8")


CONTENT = st.one_of(st.binary(max_size=3000), csv_bytes(), damaged_xlsx(), settings_yaml(),
                    st.sampled_from(CSV_SAMPLES + XLSX_SAMPLES))
FILE_COMMANDS = [
    ["import", "roster"], ["import", "hasil-kerja"], ["import", "disiplin"], ["import", "responses"],
    ["import", "predikat-organisasi"], ["import", "ekspektasi"], ["import", "standar-kompetensi"],
    ["import", "potensi"], ["import", "ekspektasi-pegawai"], ["import", "pihak-lain"], ["assign", "--manual"],
    ["restore"],
    ["cycle", "open", "--nama", "Fuzz", "--periode", "Tahunan", "--tahun", "2027", "--mulai", "2027-01-01",
     "--selesai", "2027-12-31", "--settings"],
]


@FUZZ
@given(command=st.sampled_from(FILE_COMMANDS), content=CONTENT, suffix=st.sampled_from([".csv", ".xlsx", ".yaml", ""]))
def test_any_input_file_exits_0_or_2_and_a_refusal_changes_nothing(template, command, content, suffix):
    """Random bytes, random CSV, damaged XLSX and random settings YAML given to every file-reading command."""
    name = f"masukan{suffix}"
    check_run(template, lambda folder: [*command, str(folder / name)], {name: content})


# --------------------------------------------------------------------------------------- arguments

TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["", "   ", "\t", "Tahunan 2026", "1", "9" * 5000, "-1"]))
NUMBER = st.one_of(NUMBERISH, st.integers(-5, 100).map(str), st.text(max_size=6))
OUTPUT = st.sampled_from(["hasil.xls", "hasil", "tidak-ada/hasil.xlsx", "hasil.xlsx", "hasil.csv", "hasil.pdf",
                          "/dev/null", "."])


def _in(folder: Path, value: str) -> str:
    return value if value.startswith("/") else str(folder / value)


@st.composite
def arguments(draw):
    kind = draw(st.sampled_from(["open", "close", "links", "assign", "score", "demo", "list", "backup",
                                 "umpan-balik", "pihak-lain", "survei", "admin", "nominasi", "laporan"]))
    if kind == "open":
        periode = draw(st.one_of(st.just("Tahunan"), TEXT))
        values = [draw(TEXT), periode, draw(NUMBER), draw(st.one_of(st.just("2027-01-01"), TEXT)),
                  draw(st.one_of(st.just("2027-12-31"), TEXT))]
        return lambda f: ["cycle", "open", "--nama", values[0], "--periode", values[1], "--tahun", values[2],
                          "--mulai", values[3], "--selesai", values[4]]
    if kind == "close":
        name = draw(TEXT)
        return lambda f: ["cycle", "close", name]
    if kind == "links":
        days, out, nip = draw(NUMBER), draw(OUTPUT), draw(st.one_of(st.none(), TEXT))
        return lambda f: ["links", "--berlaku-hari", days, "--out", _in(f, out), *(["--nip", nip] if nip else [])]
    if kind == "assign":
        seed = draw(NUMBER)
        return lambda f: ["assign", "--seed", seed]
    if kind == "score":
        cycle, out = draw(TEXT), draw(OUTPUT)
        return lambda f: ["score", "--cycle", cycle, "--xlsx", _in(f, out)]
    if kind == "demo":
        size = draw(NUMBER)
        return lambda f: ["demo", "--pegawai", size, "--tanpa-jawaban", "--ganti"]
    if kind == "umpan-balik":
        out, cycle, tahun = draw(OUTPUT), draw(st.one_of(st.none(), TEXT)), draw(st.one_of(st.none(), NUMBER))
        return lambda f: ["umpan-balik", "ekspor", "--out", _in(f, out), *(["--cycle", cycle] if cycle else []),
                          *(["--tahun", tahun] if tahun else [])]
    if kind == "nominasi":
        sub, cycle, nip, text = draw(st.sampled_from(["buka", "tutup", "daftar", "terapkan", "setujui"])), \
            draw(TEXT), draw(TEXT), draw(TEXT)
        extra = ["--nip", nip, "--admin", text, "--hapus", f"{nip}={text}", "--tambah", text] if sub == "setujui" else []
        return lambda f: ["nominasi", sub, "--cycle", cycle, *extra]
    if kind == "laporan":
        sub, cycle, out = draw(st.sampled_from(["dibuka", "kirim"])), draw(TEXT), draw(OUTPUT)
        return lambda f: ["laporan", sub, "--cycle", cycle, "--out", _in(f, out)]
    if kind == "backup":
        out = draw(OUTPUT)
        return lambda f: ["backup", _in(f, out)]
    if kind == "pihak-lain":
        nama, instansi, nip = draw(TEXT), draw(TEXT), draw(st.one_of(st.just("196805121994031003"), TEXT))
        email, hp, nomor = draw(TEXT), draw(NUMBER), draw(NUMBER)
        return draw(st.sampled_from([
            lambda f: ["pihak-lain", "tambah", "--nama", nama, "--instansi", instansi, "--dinilai", nip,
                       "--email", email, "--no-hp", hp],
            lambda f: ["pihak-lain", "tautan", "--nomor", nomor, "--berlaku-hari", hp],
            lambda f: ["pihak-lain", "daftar", "--cycle", nama]]))
    if kind == "survei":
        unit = draw(st.one_of(st.just("Badan Kepegawaian dan Pengembangan Sumber Daya Manusia"), TEXT))
        nama, titik, out = draw(TEXT), draw(NUMBER), draw(OUTPUT)
        qr = draw(st.sampled_from(["kode.png", "kode.svg", "kode.jpg", "tidak-ada/kode.png", "."]))
        return draw(st.sampled_from([
            lambda f: ["survei", "buka", "--unit", unit, "--nama", nama, "--qr", _in(f, qr)],
            lambda f: ["survei", "tautan", titik, "--qr", _in(f, qr)],
            lambda f: ["survei", "tutup", titik],
            lambda f: ["survei", "daftar", "--unit", unit],
            lambda f: ["survei", "laporan", "--xlsx", _in(f, out)]]))
    if kind == "admin":
        action = draw(st.sampled_from(["tambah", "cabut", "daftar"]))
        nama, value, days = draw(TEXT), draw(st.one_of(TEXT, NUMBER)), draw(NUMBER)
        opd = draw(st.one_of(st.none(), TEXT, st.sampled_from(["Dinas Kesehatan", "Sekretariat Daerah"])))
        if action == "tambah":
            return lambda f: ["admin", "tambah", "--nama", nama, "--nip", value, "--berlaku-hari", days,
                              *(["--opd", opd] if opd is not None else [])]
        if action == "cabut":
            return lambda f: ["admin", "cabut", value]
        return lambda f: ["admin", "daftar", "--cycle", nama]
    return lambda f: ["cycle", "list"]


@FUZZ
@given(args_for=arguments())
def test_any_arguments_exit_0_or_2_and_a_refusal_changes_nothing(template, args_for):
    """Random names, numbers (huge, negative, not numbers) and output paths given to the commands' options."""
    check_run(template, args_for, {})
