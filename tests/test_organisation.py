"""The unit tree: a unit's perangkat daerah (root) and the unit whose Predikat Kinerja Organisasi applies."""

from __future__ import annotations

import pandas as pd

from kinerja_lib.organisation import UnitTree, load_tree, units_of_pegawai

TREE = {"Dinas X": None, "Dinas X / Bidang Y": "Dinas X", "Dinas X / Bidang Y / Seksi Z": "Dinas X / Bidang Y",
        "Dinas X / Bidang W": "Dinas X", "Dinas V": None}


def test_root_is_the_perangkat_daerah_and_the_predikat_unit_is_the_nearest_rated_one():
    """A bidang with its own predikat is the predikat unit of its seksi, while their OPD stays the dinas."""
    tree = UnitTree(TREE)
    units = pd.Series(["Dinas X / Bidang Y / Seksi Z", "Dinas X / Bidang W", "Dinas V", "Dinas X"])
    assert tree.opd_of(units).tolist() == ["Dinas X", "Dinas X", "Dinas V", "Dinas X"]
    rated = {"Dinas X / Bidang Y", "Dinas X"}
    assert tree.predikat_unit_of(units, rated).tolist() == ["Dinas X / Bidang Y", "Dinas X", "Dinas V", "Dinas X"]
    assert tree.subtree("Dinas X / Bidang Y") == {"Dinas X / Bidang Y", "Dinas X / Bidang Y / Seksi Z"}


def test_a_loop_in_a_damaged_tree_ends_the_walk():
    """Parent links that loop (refused on import, but a file can be edited) do not hang the walk."""
    tree = UnitTree({"A": "B", "B": "A"})
    assert tree.ancestors("A") == ["A", "B"] and tree.root("A") == "B"


def test_from_the_database_both_names_are_given_per_pegawai(open_cycle_db):
    """units_of_pegawai gives each pegawai their OPD and, for the cycle, their predikat unit."""
    db = open_cycle_db
    db["unit"].insert_all([{"id": u, "nama": u.split(" / ")[-1], "induk_id": p, "jenis": "unit"} for u, p in TREE.items()])
    stamp = "2026-01-01T00:00:00+00:00"
    db["pegawai"].insert_all([{"nip": f"19700101199503100{i}", "nama": f"P{i}", "jenis_kelamin": "L", "unit_id": u,
                               "jabatan": "Analis", "jenis_jabatan": "JF", "tingkat": 2, "diperbarui": stamp}
                              for i, u in enumerate(["Dinas X / Bidang Y / Seksi Z", "Dinas X / Bidang W"])])
    db["predikat_organisasi"].insert_all([{"cycle_id": 1, "unit_id": "Dinas X / Bidang Y", "predikat": "Baik"},
                                          {"cycle_id": 1, "unit_id": "Dinas X", "predikat": "Istimewa"}])
    out = units_of_pegawai(db, 1).set_index("nip")
    assert out[["opd", "unit_predikat"]].values.tolist() == [["Dinas X", "Dinas X / Bidang Y"],
                                                              ["Dinas X", "Dinas X"]]
    assert load_tree(db).root("Dinas X / Bidang Y / Seksi Z") == "Dinas X"
