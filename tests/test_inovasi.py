"""Innovation achievements: imported with their evidence, counted by the award rules that ask for them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kinerja_lib import awards, records
from kinerja_lib.cycle import Cycle, merge_settings
from kinerja_lib.errors import ImportRejected, ReferenceDataError
from kinerja_lib.importers import import_inovasi

HEADER = "NIP;Judul Inovasi;Tanggal;Tingkat;Bukti;Diverifikasi Oleh;Keterangan\n"


def test_import_records_each_innovation_with_its_evidence(small_org, tmp_path):
    nip = small_org.nip["citra"]
    path = tmp_path / "inovasi.csv"
    path.write_text(HEADER + f"{nip};Antrean daring;17-08-2026;perangkat daerah;SK 800/1/2026;Tim Inovasi;\n"
                    f"{nip};Pengaduan terpadu;01-10-2026;Nasional;https://bukti.example/1;;\n", encoding="utf-8")
    summary = import_inovasi(small_org.db, path)
    assert (summary.inserted, summary.updated) == (2, 0)
    rows = small_org.db.execute("SELECT judul, tanggal, tingkat, bukti, diverifikasi_oleh FROM inovasi "
                                "ORDER BY tanggal").fetchall()
    assert rows == [("Antrean daring", "2026-08-17", "perangkat_daerah", "SK 800/1/2026", "Tim Inovasi"),
                    ("Pengaduan terpadu", "2026-10-01", "nasional", "https://bukti.example/1", None)]
    # verified later: the same file with the verifier filled in updates the row, adds nothing
    path.write_text(HEADER + f"{nip};Pengaduan terpadu;01-10-2026;Nasional;https://bukti.example/1;Tim Inovasi;\n",
                    encoding="utf-8")
    assert (import_inovasi(small_org.db, path).updated, records.award_inputs(
        small_org.db, small_org.cycle.id, results=_results([nip])).inovasi["diverifikasi_oleh"].notna().sum()) == (1, 2)


def test_a_bad_row_names_file_row_and_field_and_nothing_is_written(small_org, tmp_path):
    nip = small_org.nip["citra"]
    path = tmp_path / "inovasi_salah.csv"
    path.write_text(HEADER + f"{nip};Antrean daring;17-08-2026;perangkat daerah;SK 1;;\n"
                    f"{nip};Aplikasi;31-02-2026;kecamatan;;;\n"
                    f"199912312020121099;Lain;01-01-2026;Nasional;SK 2;;\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as error:
        import_inovasi(small_org.db, path)
    text = str(error.value)
    for expected in ["baris 3, kolom 'Tanggal'", "baris 3, kolom 'Tingkat'", "tingkat inovasi 'kecamatan'",
                     "baris 3, kolom 'Bukti'", "baris 4, kolom 'NIP'"]:
        assert expected in text
    assert "inovasi_salah.csv" in text
    assert small_org.db.execute("SELECT count(*) FROM inovasi").fetchone()[0] == 0


NIPS = [f"19800101200501100{i}" for i in range(5)]


def _results(nips):
    return pd.DataFrame({"nip": nips, "skor": 4.2, "skor_adj": np.nan, "skor_adj_se": np.nan,
                         "kelompok_tampil": "atasan,rekan", "n_diri": 1, "n_atasan": 1, "n_rekan": 4, "n_bawahan": 0,
                         "n_lainnya": 0, "predikat": "Baik", "status_predikat": "ditetapkan"})


def _eligibility(inovasi: pd.DataFrame) -> pd.DataFrame:
    pegawai = pd.DataFrame({"nip": NIPS, "nama": [f"Pegawai {i}" for i in range(5)], "jenis_kelamin": "P",
                            "unit_id": "Dinas Uji", "jabatan": "Analis", "jenis_jabatan": "JF", "golongan": "III/b",
                            "tmt_cpns": "2010-03-01", "aktif": 1})
    cycle = Cycle(1, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31", "terbuka", "v", merge_settings())
    return awards.eligibility(_results(NIPS), pegawai, None, cycle, penghargaan="asn_inovatif",
                              inovasi=inovasi).set_index("nip")


def test_asn_inovatif_counts_recent_verified_innovations_at_the_level_the_rules_ask():
    """One verified perangkat-daerah innovation in the last two years makes a person eligible; an unverified
    one, one below the level, or one older than two years does not."""
    rows = [(NIPS[0], "Antrean daring", "2026-08-17", "perangkat_daerah", "SK 1", "Tim Inovasi"),
            (NIPS[1], "Pengaduan terpadu", "2026-10-01", "nasional", "SK 2", None),
            (NIPS[2], "Ruang laktasi", "2026-05-01", "unit_kerja", "SK 3", "Tim Inovasi"),
            (NIPS[3], "Arsip digital", "2024-12-30", "instansi", "SK 4", "Tim Inovasi"),
            (NIPS[4], "Arsip digital 2", "2025-01-01", "instansi", "SK 5", "Tim Inovasi")]
    found = _eligibility(pd.DataFrame(rows, columns=["nip", "judul", "tanggal", "tingkat", "bukti",
                                                     "diverifikasi_oleh"]))
    assert found["syarat:inovasi_minimal"].to_dict() == {NIPS[0]: True, NIPS[1]: False, NIPS[2]: False,
                                                         NIPS[3]: False, NIPS[4]: True}
    assert "Memenuhi: 1 inovasi: Antrean daring (Perangkat daerah, 2026-08-17)" in found.loc[NIPS[0], "alasan"]
    assert "Tidak memenuhi: tidak ada inovasi yang tercatat; minimal 1 inovasi terverifikasi tingkat perangkat " \
           "daerah ke atas dalam 2 tahun sampai 2026-12-31" in found.loc[NIPS[1], "alasan"]
    assert found["layak"].to_dict() == found["syarat:inovasi_minimal"].to_dict()


def test_without_innovation_records_nobody_is_eligible_and_other_lists_do_not_ask():
    found = _eligibility(pd.DataFrame(columns=["nip", "judul", "tanggal", "tingkat", "bukti", "diverifikasi_oleh"]))
    assert not found["layak"].any()
    pegawai_only = awards.eligibility(_results(NIPS), pd.DataFrame({
        "nip": NIPS, "nama": "x", "jenis_kelamin": "P", "unit_id": "U", "jabatan": "A", "jenis_jabatan": "JF",
        "golongan": "III/b", "tmt_cpns": "2010-03-01", "aktif": 1}), None,
        Cycle(1, "T", "Tahunan", 2026, "2026-01-01", "2026-12-31", "terbuka", "v", merge_settings()))
    assert "syarat:inovasi_minimal" not in pegawai_only


@pytest.mark.parametrize("bad, message", [
    ("jumlah: 0", "jumlah harus bilangan bulat >= 1"),
    ("tingkat_minimal: kecamatan", "tingkat_minimal harus salah satu dari"),
    ("tahun_terakhir: dua", "tahun_terakhir harus bilangan bulat >= 1"),
])
def test_a_wrong_innovation_rule_is_refused_with_its_place(tmp_path, bad, message):
    import shutil

    from kinerja_lib.config import PROJECT_ROOT

    folder = tmp_path / "referensi"
    shutil.copytree(PROJECT_ROOT / "data" / "referensi", folder)
    path = folder / "penghargaan.yaml"
    key = bad.split(":")[0]
    text = path.read_text(encoding="utf-8")
    original = {"jumlah": "jumlah: 1", "tingkat_minimal": "tingkat_minimal: perangkat_daerah",
                "tahun_terakhir": "tahun_terakhir: 2"}[key]
    assert original in text
    path.write_text(text.replace(original, bad, 1), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=message):
        awards.load_rules(folder)
