"""Charts of the award analyses (matplotlib, for notebooks)."""

from __future__ import annotations


import numpy as np
import pandas as pd

from .frames import fmt
from .rules import AwardRules, KINERJA_AXIS, POTENSI_AXIS, load_rules



def plot_rank_intervals(table: pd.DataFrame, top: int = 20, ax=None):
    """Plot the simulated rank interval of the first ``top`` candidates; return the Axes."""
    import matplotlib.pyplot as plt

    rows = table[table["peringkat"].notna()].head(top)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.35 * max(len(rows), 4) + 1.2))
    y = np.arange(len(rows))[::-1]
    lo = rows["peringkat_p05"].astype(float).to_numpy()
    hi = rows["peringkat_p95"].astype(float).to_numpy()
    rank = rows["peringkat"].astype(float).to_numpy()
    colors = np.where(rows["terpilih"].astype(bool), "tab:blue", "tab:gray")
    ax.hlines(y, lo, hi, colors=colors, linewidth=3, alpha=0.6)
    ax.scatter(rank, y, c=colors, zorder=3)
    labels = [f"{n} (P={fmt(p)})" for n, p in zip(rows["nama"], rows["p_k_teratas"])]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("Peringkat (1 = terbaik); garis = rentang persentil 5-95 dari simulasi")
    ax.set_title("Ketidakpastian peringkat calon (biru = masuk daftar pendek)")
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_nine_box(boxes: pd.DataFrame, rules: AwardRules | None = None, ax=None):
    """Plot the 9-box grid with the number of people per box; talent-pool boxes shaded. Return the Axes."""
    import matplotlib.pyplot as plt

    rules = rules or load_rules()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    counts = boxes["kotak"].dropna().astype(int).value_counts()
    for box, (k, p) in rules.kotak.items():
        x, y = KINERJA_AXIS.index(k), POTENSI_AXIS.index(p)
        pool = box in rules.kelompok_talenta
        ax.add_patch(plt.Rectangle((x, y), 1, 1, facecolor="#cfe8cf" if pool else "#f2f2f2", edgecolor="black"))
        ax.text(x + 0.5, y + 0.62, f"Kotak {box}", ha="center", va="center", fontsize=10, weight="bold")
        ax.text(x + 0.5, y + 0.35, f"{int(counts.get(box, 0))} orang", ha="center", va="center", fontsize=11)
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_xticks([0.5, 1.5, 2.5], [f"{a.capitalize()} ekspektasi" for a in KINERJA_AXIS])
    ax.set_yticks([0.5, 1.5, 2.5], [a.capitalize() for a in POTENSI_AXIS])
    ax.set_xlabel("Kinerja")
    ax.set_ylabel("Potensi")
    missing = int(boxes["kotak"].isna().sum())
    ax.set_title("Kotak talenta (PermenPANRB 3/2020); hijau = kelompok talenta"
                 + (f"\n{missing} pegawai belum dapat dipetakan" if missing else ""))
    return ax
