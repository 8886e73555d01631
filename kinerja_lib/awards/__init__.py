"""Award eligibility and shortlists, follow-up lists, Satyalancana Karya Satya, talent 9-box, fairness and exports.

One module per concept: ``rules`` (penghargaan.yaml), ``conditions`` (eligibility: who may be listed,
condition by condition), ``ranking`` (empirical Bayes shrinkage, rank uncertainty and the shortlist),
``impact`` (fairness: adverse impact), ``lists`` (follow-up, pending decisions, Satyalancana, 9-box),
``report`` (every list of a cycle at once), ``charts`` and ``export``. The functions take plain DataFrames (scoring results, pegawai,
disiplin, potensi, predikat history) so that they can be checked with hand-made frames;
``kinerja_lib.records.award_inputs`` reads them from the database (and never writes). Every list says, per
person and in Bahasa Indonesia, why they are on it or not.

Frames (columns the core reads; extra columns are carried along):

- results: ``nip, skor, skor_adj, skor_adj_se, kelompok_tampil, n_diri, n_atasan, n_rekan, n_bawahan,
  n_lainnya, predikat, status_predikat`` (``ditetapkan`` when the predikat rests on the Pejabat Penilai's
  recorded decisions, ``sementara`` when it rests on the 360 suggestion; a missing column counts as
  ``sementara``). Only a ditetapkan predikat leads to a consequence: every list that does (award
  eligibility, follow-up, talent pool) lists the people still waiting for a decision separately.
- pegawai: ``nip, nama, jenis_kelamin, unit_id, jabatan, jenis_jabatan, golongan, tmt_cpns, aktif`` and
  optionally ``opd`` (else the first segment of the unit path).
- disiplin: ``nip, tingkat, jenis_hukuman, tanggal_mulai, tanggal_selesai``.
- potensi: ``nip, tanggal, kategori``.
- riwayat (predikat history): ``nip, cycle_id, nama_siklus, periode, tanggal_selesai, predikat``.

Dates are ISO strings (``YYYY-MM-DD``) as stored in the database.
"""

from .charts import plot_nine_box, plot_rank_intervals
from .dates import add_months, anniversary, completed_years
from .conditions import eligibility
from .export import export_files, export_pdf, export_xlsx
from .impact import (FAIRNESS_COLUMNS, STATUS_INDIKASI, STATUS_TANPA_INDIKASI, STATUS_TEMUAN,
                       STATUS_TIDAK_DINILAI, fairness, fairness_report)
from .frames import golongan_group, history_with_current
from .inputs import AwardInputs, pooled_rater_sd
from .lists import follow_up_list, nine_box, pending_decisions, satyalancana_list
from .ranking import (SHORTLIST_COLUMNS, SHORTLIST_NAMES, ShrinkageFit, Shortlist, eb_posterior, failed_conditions,
                      score_and_se, shortlist, shortlist_view, simulate_ranks)
from .report import AwardReport, award_report, build_report
from .rules import (KINERJA_AXIS, MENUNGGU, POTENSI_AXIS, REASON_SEPARATOR, RULE_KINDS, AwardRules,
                    MasaPerbaikan, Penghargaan, Syarat, TindakLanjut, load_rules)

__all__ = [
    "FAIRNESS_COLUMNS", "KINERJA_AXIS", "MENUNGGU", "POTENSI_AXIS", "REASON_SEPARATOR", "RULE_KINDS",
    "SHORTLIST_COLUMNS", "SHORTLIST_NAMES", "STATUS_INDIKASI", "STATUS_TANPA_INDIKASI", "STATUS_TEMUAN",
    "STATUS_TIDAK_DINILAI",
    "AwardInputs", "AwardReport", "AwardRules", "MasaPerbaikan", "Penghargaan", "ShrinkageFit", "Shortlist",
    "Syarat", "TindakLanjut", "add_months", "anniversary", "award_report", "build_report", "completed_years",
    "eb_posterior", "eligibility", "export_files", "export_pdf", "export_xlsx", "failed_conditions", "fairness",
    "fairness_report", "follow_up_list", "golongan_group", "history_with_current", "load_rules", "nine_box",
    "pending_decisions", "plot_nine_box", "plot_rank_intervals", "pooled_rater_sd", "satyalancana_list",
    "score_and_se", "shortlist", "shortlist_view", "simulate_ranks",
]
