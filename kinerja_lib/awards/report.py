"""Every award-committee list of a cycle, built from its inputs (read by ``kinerja_lib.records``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from ..instansi import load_instansi
from .dates import to_date
from .impact import fairness_report
from .frames import history_with_current
from .inputs import AwardInputs
from .lists import follow_up_list, nine_box, pending_decisions, satyalancana_list
from .ranking import Shortlist, shortlist
from .rules import AwardRules, award_list, load_rules


@dataclass
class AwardReport:
    """Every award-committee list for one cycle, ready to show or export.

    ``menunggu`` lists everyone whose predikat is still provisional (no consequence list holds them).
    """

    shortlist: Shortlist
    fairness: pd.DataFrame
    follow_up: pd.DataFrame
    satyalancana: pd.DataFrame
    nine_box: pd.DataFrame
    settings: dict[str, Any]
    dibuat: str
    menunggu: pd.DataFrame = field(default_factory=pd.DataFrame)
    # The scores were computed in memory (none stored, or the stored ones behind the forms or the ratings):
    # provisional, and the printed list says so (settings["sumber_skor"] says why).
    skor_sementara: bool = False


def build_report(inputs: AwardInputs, *, penghargaan: str = "asn_berprestasi", k: int = 10,
                 kuota_per_unit: int | None = None, tanggal_acuan: date | str | None = None,
                 satyalancana_sejak: date | str | None = None, n_sim: int | None = None,
                 seed: int | None = None, rules: AwardRules | None = None) -> AwardReport:
    """Return the shortlist, fairness table, follow-up list, Satyalancana list and 9-box for the inputs."""
    rules = rules or load_rules()
    cyc = inputs.cycle
    short = shortlist(inputs.results, inputs.pegawai, inputs.disiplin, cyc, riwayat=inputs.riwayat,
                      penghargaan=penghargaan, k=k, kuota_per_unit=kuota_per_unit, tanggal_acuan=tanggal_acuan,
                      n_sim=n_sim, seed=seed, sd_penilai=inputs.sd_penilai, rules=rules, inovasi=inputs.inovasi)
    on = short.settings["tanggal_acuan"]
    fair = fairness_report(short.eligibility, rules)
    follow = follow_up_list(inputs.results, inputs.pegawai, cyc, rules=rules)
    sejak = satyalancana_sejak or (to_date(cyc.tanggal_mulai) - timedelta(days=1))
    satya = satyalancana_list(inputs.pegawai, inputs.disiplin, on, sejak=sejak, cltn=inputs.cltn,
                              diterima=inputs.satyalancana_diterima, rules=rules)
    history = history_with_current(inputs.results, inputs.riwayat, cyc)
    waiting = pending_decisions(inputs.results, inputs.pegawai)
    box = nine_box(history, inputs.potensi, pegawai=inputs.pegawai, tanggal_acuan=on, menunggu=waiting["nip"],
                   rules=rules)
    k = rules.keadilan
    settings = {**short.settings, **({"sumber_skor": inputs.sumber_skor} if inputs.sumber_skor else {}),
                "keadilan": f"aturan {k['ambang_rasio']:.0%} (4/5) dengan uji eksak Fisher dua sisi (koreksi Holm, "
                            f"alfa {k['alfa']}); kelompok dinilai bila >= {k['ukuran_minimal']} orang dan >= "
                            f"{k['harapan_minimal']} terpilih yang diharapkan; tahap kelayakan dan daftar pendek; "
                            f"dilaporkan, tidak dipaksakan [{k['sumber']}]",
                "satyalancana": f"{'/'.join(str(t) for t in rules.satyalancana['tahun'])} tahun masa kerja tanpa "
                                f"putus tercapai dalam periode {satya.attrs.get('periode', '')}; "
                                f"{'/'.join(rules.satyalancana.get('status_kepegawaian', ['PNS']))} saja; CLTN "
                                f"{rules.satyalancana.get('cltn', 'memutus')} [{rules.satyalancana['sumber']}]",
                "kotak_talenta": f"kinerja dari {rules.jumlah_periode_kinerja} periode terakhir (predikat yang "
                                 f"ditetapkan saja); potensi terbaru; kelompok talenta kotak "
                                 f"{', '.join(map(str, rules.kelompok_talenta))} [{rules.sumber_talenta}]",
                "menunggu_penetapan": f"{len(waiting)} pegawai: predikat masih sementara (saran 360), tidak masuk "
                                      "daftar penghargaan, tindak lanjut, maupun kelompok talenta"}
    return AwardReport(short, fair, follow, satya, box, settings, load_instansi().today().isoformat(), waiting,
                       inputs.skor_sementara)


def award_report(db, cycle: int | str | None = None, **kwargs) -> AwardReport:
    """Return :func:`build_report` on the database's inputs for ``cycle`` (default: newest open cycle).

    Raises KinerjaError for an unknown award list before anything is read or scored.
    """
    from ..records import award_inputs

    award_list(kwargs.get("rules") or load_rules(), kwargs.get("penghargaan", "asn_berprestasi"))
    return build_report(award_inputs(db, cycle), **kwargs)
