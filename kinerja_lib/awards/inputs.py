"""What the award analyses read: the frames of one cycle, and the rater spread their ranking needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .frames import empty_cltn


@dataclass
class AwardInputs:
    """Everything the award analyses read from the database for one cycle (``kinerja_lib.records.award_inputs``)."""

    cycle: Any
    results: pd.DataFrame
    pegawai: pd.DataFrame
    disiplin: pd.DataFrame
    potensi: pd.DataFrame
    riwayat: pd.DataFrame
    sd_penilai: float | None = None
    cltn: pd.DataFrame = field(default_factory=empty_cltn)
    satyalancana_diterima: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["nip", "tingkat",
                                                                                            "tahun"]))
    inovasi: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=INOVASI_COLUMNS))
    # Where ``results`` come from, in Indonesian (records.scoring_results): the stored run, or scores computed in
    # memory and marked provisional. Shown with the lists' settings.
    sumber_skor: str = ""
    skor_sementara: bool = False


INOVASI_COLUMNS = ["nip", "judul", "tanggal", "tingkat", "bukti", "diverifikasi_oleh"]


def pooled_rater_sd(rater_means: pd.DataFrame) -> float | None:
    """Return the pooled within-ratee, within-group SD of raters' mean scores (None if too few).

    ``rater_means`` has one row per non-self rater of a ratee: ``ratee_nip, relation, m`` (the rater's mean
    over the items they scored). Deviations from the mean of the same ratee and relation group, pooled over
    all groups with at least two raters; None below 10 degrees of freedom.

    >>> pooled_rater_sd(pd.DataFrame({"ratee_nip": ["a"] * 3 + ["b"] * 3, "relation": ["rekan"] * 6,
    ...                               "m": [3.0, 4.0, 5.0, 2.0, 3.0, 4.0]})) is None
    True
    """
    if rater_means.empty:
        return None
    g = rater_means.groupby(["ratee_nip", "relation"])["m"]
    dev = rater_means["m"] - g.transform("mean")
    dof = int((g.size() - 1).clip(lower=0).sum())
    return float(np.sqrt((dev ** 2).sum() / dof)) if dof >= 10 else None
