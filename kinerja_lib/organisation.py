"""The unit tree: each unit's perangkat daerah (its root), and the unit whose Predikat Kinerja Organisasi applies.

Two names, two meanings, used the same way everywhere:

* ``opd``: the root of a unit's tree, the perangkat daerah (OPD) it belongs to. Award fairness, completion
  by OPD, training cohorts and every "per perangkat daerah" table group by it.
* ``unit_predikat``: the nearest unit, the unit itself included, that has a Predikat Kinerja Organisasi in
  the cycle (SE MenPANRB 3/2023 bounds its people's predikat); the OPD itself when none has one (reported,
  not checked). The distribution check and the berita acara use it.

A bidang given a predikat of its own is then the ``unit_predikat`` of its people while their ``opd`` stays the
perangkat daerah. Loops in the stored tree (which the importer refuses) end the walk instead of hanging it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from typing import TYPE_CHECKING
from sqlite_utils import Database

if TYPE_CHECKING:  # pandas is imported where a Series is made: form kernels use the tree without it
    import pandas as pd


@dataclass(frozen=True)
class UnitTree:
    """The unit tree as parent links: ``parent[unit]`` is its induk (None at the top)."""

    parent: dict[str, str | None]
    _roots: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def ancestors(self, unit: str) -> list[str]:
        """Return the unit and its ancestors, nearest first (the walk stops at a loop).

        >>> UnitTree({"A": None, "A / B": "A", "A / B / C": "A / B"}).ancestors("A / B / C")
        ['A / B / C', 'A / B', 'A']
        """
        chain: list[str] = []
        node: str | None = unit
        while node is not None and node not in chain:
            chain.append(node)
            node = self.parent.get(node)
        return chain

    def root(self, unit: str) -> str:
        """Return the unit's perangkat daerah: the top of its tree (the unit itself when it has no induk)."""
        found = self._roots.get(unit)
        if found is None:
            found = self.ancestors(unit)[-1] if unit in self.parent else unit
            self._roots[unit] = found
        return found

    def nearest(self, unit: str, having: Iterable[str] | set[str]) -> str | None:
        """Return the nearest of the unit and its ancestors that is in ``having``, else None."""
        having = having if isinstance(having, (set, frozenset, dict)) else set(having)
        return next((u for u in self.ancestors(unit) if u in having), None)

    def opd_of(self, units: pd.Series) -> pd.Series:
        """Return the perangkat daerah of each unit (vectorised over a Series, one walk per distinct unit)."""
        mapping = {u: self.root(u) for u in units.dropna().unique()}
        return units.map(mapping)

    def predikat_unit_of(self, units: pd.Series, rated: Iterable[str]) -> pd.Series:
        """Return, for each unit, the nearest unit with a Predikat Kinerja Organisasi (``rated``), else its OPD."""
        rated = set(rated)
        mapping = {u: self.nearest(u, rated) or self.root(u) for u in units.dropna().unique()}
        return units.map(mapping)

    def subtree(self, unit: str) -> set[str]:
        """Return the unit and every unit below it."""
        return {u for u in self.parent if unit in self.ancestors(u)}


def load_tree(db: Database) -> UnitTree:
    """Return the stored unit tree."""
    return UnitTree({u: p for u, p in db.execute("SELECT id, induk_id FROM unit").fetchall()})


def predikat_organisasi(db: Database, cycle_id: int) -> dict[str, str]:
    """Return unit -> Predikat Kinerja Organisasi recorded for the cycle."""
    return dict(db.execute("SELECT unit_id, predikat FROM predikat_organisasi WHERE cycle_id = ?",
                           [int(cycle_id)]).fetchall())


def units_of_pegawai(db: Database, cycle_id: int | None = None) -> pd.DataFrame:
    """Return every pegawai's ``nip, unit_id, opd`` and, with a cycle, ``unit_predikat``."""
    tree = load_tree(db)
    import pandas as pd

    out = pd.DataFrame(db.execute("SELECT nip, unit_id FROM pegawai").fetchall(), columns=["nip", "unit_id"])
    out["opd"] = tree.opd_of(out["unit_id"])
    if cycle_id is not None:
        out["unit_predikat"] = tree.predikat_unit_of(out["unit_id"], predikat_organisasi(db, cycle_id))
    return out


def units_matching(db: Database, unit: str) -> list[str]:
    """Return the id of the unit named ``unit`` by id, else the ids of the units with exactly that name."""
    if db.execute("SELECT 1 FROM unit WHERE id = ?", [unit]).fetchone():
        return [unit]
    return [r[0] for r in db.execute("SELECT id FROM unit WHERE nama = ? ORDER BY id", [unit])]


def unit_name(db: Database, unit_id: str) -> str | None:
    """Return a unit's name, or None for an unknown id."""
    row = db.execute("SELECT nama FROM unit WHERE id = ?", [unit_id]).fetchone()
    return row[0] if row else None


def root_units(db: Database) -> list[str]:
    """Return the ids of the perangkat daerah (units without an induk), sorted."""
    return [r[0] for r in db.execute("SELECT id FROM unit WHERE induk_id IS NULL ORDER BY id")]
