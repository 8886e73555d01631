"""Predikat Kinerja from the kuadran (PermenPANRB 6/2022) and the distribution check (SE MenPANRB 3/2023)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .reference import load_distribution_guide, load_kuadran


def predikat_kinerja(rating_hasil_kerja: str, rating_perilaku: str) -> str:
    """Return the exact Predikat Kinerja Pegawai label for the two ratings.

    Raises ValueError when a rating is not one of the three kuadran labels.

    >>> predikat_kinerja("Di Atas Ekspektasi", "Di Atas Ekspektasi")
    'Sangat Baik'
    >>> predikat_kinerja("Sesuai Ekspektasi", "Di Bawah Ekspektasi")
    'Kurang/Misconduct'
    """
    kuadran = load_kuadran()
    for label, value in (("Rating Hasil Kerja", rating_hasil_kerja), ("Rating Perilaku Kerja", rating_perilaku)):
        if value not in kuadran.ratings:
            raise ValueError(f"{label} {value!r} tidak dikenal; pilihan: {', '.join(kuadran.ratings)}")
    return kuadran.table[(rating_hasil_kerja, rating_perilaku)]


@dataclass(frozen=True)
class DistributionViolation:
    """One rule of the distribution guide that a unit's predikat do not meet."""

    predikat_organisasi: str
    rule: str            # the rule in words, e.g. "Sangat Baik paling banyak 70%"
    predikat: tuple[str, ...]
    batas: str           # "paling_banyak" / "paling_sedikit"
    required_share: float | None
    required_count: int | None
    actual_share: float
    actual_count: int
    total: int

    def message(self) -> str:
        """Return an Indonesian warning with the numbers (decimal comma, as Indonesian documents write it)."""
        share = f"{self.actual_share:.1%}".replace(".", ",")
        return (f"Peringatan (Predikat Kinerja Organisasi {self.predikat_organisasi}): {self.rule}, "
                f"sedangkan saat ini {self.actual_count} dari {self.total} pegawai ({share}).")


def check_distribution(predikat_organisasi: str, predikat_pegawai: Iterable[str]) -> list[DistributionViolation]:
    """Return the rules of SE MenPANRB 3/2023 that the unit's predikat break (empty list when none).

    The guide advises the leader ("sebagai pertimbangan"); a violation is a warning, never a block.
    Raises ValueError for an unknown Predikat Kinerja Organisasi or predikat pegawai.

    >>> check_distribution("Istimewa", ["Sangat Baik"] * 8 + ["Baik"] * 2)[0].actual_share
    0.8
    >>> check_distribution("Istimewa", ["Sangat Baik"] * 7 + ["Baik"] * 3)
    []
    >>> check_distribution("Istimewa", ["Sangat Baik"] * 5 + ["Baik"] * 5)[0].rule
    'Sangat Baik sebagian besar (lebih dari 50%)'
    """
    guide = load_distribution_guide()
    predikat_organisasi = guide.canonical(predikat_organisasi) or predikat_organisasi
    if predikat_organisasi not in guide.rules:
        raise ValueError(f"Predikat Kinerja Organisasi {predikat_organisasi!r} tidak dikenal; "
                         f"pilihan: {', '.join(guide.predikat_organisasi)}")
    known = set(load_kuadran().predikat)
    counts = Counter(predikat_pegawai)
    unknown = set(counts) - known
    if unknown:
        raise ValueError(f"Predikat pegawai tidak dikenal: {sorted(unknown)}")
    total = sum(counts.values())
    violations = []
    for rule in guide.rules[predikat_organisasi]:
        count = sum(counts[p] for p in rule.predikat)
        share = count / total if total else 0.0
        if rule.minimal_orang is not None:
            broken = count < rule.minimal_orang
        elif rule.batas == "lebih_dari":
            broken = share <= rule.proporsi + 1e-12
        elif rule.batas == "paling_banyak":
            broken = share > rule.proporsi + 1e-12
        else:
            broken = share < rule.proporsi - 1e-12
        if broken and total:
            violations.append(DistributionViolation(
                predikat_organisasi, rule.describe(), rule.predikat, rule.batas, rule.proporsi,
                rule.minimal_orang, share, count, total))
    return violations
