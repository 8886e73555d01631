"""Follow-up list, decisions still pending, Satyalancana Karya Satya and the talent 9-box."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from .dates import to_date, add_months, anniversary, completed_years_of
from .frames import base_frame, empty_cltn, empty_disiplin, opd_of, provisional, records, values
from .ranking import penilai_names
from .rules import AwardRules, KINERJA_AXIS, MENUNGGU, load_rules



def follow_up_list(results: pd.DataFrame, pegawai: pd.DataFrame, cycle, *,
                   rules: AwardRules | None = None) -> pd.DataFrame:
    """Return the people whose decided predikat calls for follow-up, with the action, its source and the dates.

    One row per person with a ditetapkan predikat Butuh Perbaikan, Kurang/Misconduct or Sangat Kurang (as
    penghargaan.yaml ``tindak_lanjut`` lists): ``tindakan``, ``tinjauan_disiplin`` (discipline review flag),
    ``tenggat_tindak_lanjut`` = cycle end + ``tenggat_bulan``; and, where a ``masa_perbaikan`` rule applies
    (PP 30/2019 for pejabat administrasi, pelaksana included, and fungsional; UU 5/2014 Pasal 118 for JPT),
    the improvement window from the cycle end, then what follows. A provisional predikat calls for nothing:
    those people are listed by :func:`pending_decisions`.
    """
    rules = rules or load_rules()
    base = base_frame(results, pegawai)
    base = base[base["predikat"].isin(rules.tindak_lanjut) & ~provisional(base)].copy()
    end = to_date(cycle.tanggal_selesai)
    rows = []
    for r in records(base):
        rule = rules.tindak_lanjut[r["predikat"]]
        window = next((w for w in rules.masa_perbaikan if w.applies(r)), None)
        sources = [rule.sumber] + ([window.sumber] if window else [])
        note = []
        if window:
            note.append(f"masa perbaikan kinerja {window.bulan} bulan ({window.sumber}); {window.sesudahnya}")
        if rule.tinjauan_disiplin:
            note.append("perlu telaah dugaan pelanggaran disiplin (PP 94/2021)")
        rows.append({
            "nip": r["nip"], "nama": r.get("nama"), "unit_id": r.get("unit_id"), "opd": r.get("opd"),
            "jabatan": r.get("jabatan"), "jenis_jabatan": r.get("jenis_jabatan"), "predikat": r["predikat"],
            "tindakan": rule.tindakan, "tinjauan_disiplin": rule.tinjauan_disiplin,
            "tenggat_tindak_lanjut": add_months(end, rule.tenggat_bulan).isoformat(),
            "masa_perbaikan": window is not None,
            "masa_perbaikan_mulai": end.isoformat() if window else None,
            "masa_perbaikan_selesai": add_months(end, window.bulan).isoformat() if window else None,
            "sesudah_masa_perbaikan": window.sesudahnya if window else None,
            "dasar": "; ".join(sources), "keterangan": "; ".join(note),
        })
    order = {p: i for i, p in enumerate(rules.predikat_urut)}
    out = pd.DataFrame(rows, columns=["nip", "nama", "unit_id", "opd", "jabatan", "jenis_jabatan", "predikat",
                                      "tindakan", "tinjauan_disiplin", "tenggat_tindak_lanjut", "masa_perbaikan",
                                      "masa_perbaikan_mulai", "masa_perbaikan_selesai", "sesudah_masa_perbaikan",
                                      "dasar", "keterangan"])
    if len(out):
        out = (out.assign(_o=out["predikat"].map(order))
               .sort_values(["_o", "opd", "nama"], ascending=[False, True, True], kind="mergesort")
               .drop(columns="_o"))
    return out.reset_index(drop=True)


def pending_decisions(results: pd.DataFrame, pegawai: pd.DataFrame) -> pd.DataFrame:
    """Return the people whose predikat still rests on the 360 suggestion, with their Pejabat Penilai.

    The provisional predikat itself is not shown: until the Pejabat Penilai decides, nothing is said about
    the person. Columns: nip, nama, opd, unit_id, jabatan, pejabat_penilai, keterangan.
    """
    base = base_frame(results, pegawai)
    waiting = base[provisional(base)]
    out = pd.DataFrame({"nip": waiting["nip"], "nama": waiting.get("nama"), "opd": waiting.get("opd"),
                        "unit_id": waiting.get("unit_id"), "jabatan": waiting.get("jabatan"),
                        "pejabat_penilai": waiting["nip"].map(penilai_names(pegawai)),
                        "keterangan": f"Rating Perilaku Kerja {MENUNGGU}"})
    return out.sort_values(["opd", "unit_id", "nama"], na_position="last", kind="mergesort").reset_index(drop=True)



def satyalancana_list(pegawai: pd.DataFrame, disiplin: pd.DataFrame | None, tanggal_acuan: date | str, *,
                      sejak: date | str | None = None, cltn: pd.DataFrame | None = None,
                      diterima: pd.DataFrame | None = None, rules: AwardRules | None = None) -> pd.DataFrame:
    """Return the PNS who reach 10/20/30 years of unbroken service in the award period (``sejak``, ``tanggal_acuan``].

    ``sejak`` defaults to 31 December of the year before ``tanggal_acuan`` (the award period is that
    calendar year); pass an early date to list every tier ever reached. Only active pegawai whose
    status_kepegawaian is listed in penghargaan.yaml (PNS) are considered. Unbroken service starts at
    TMT CPNS; a CLTN period (``cltn``: nip, tanggal_mulai, tanggal_selesai) restarts it on the day after
    the period ends (``cltn: memutus``) or only removes its days (``cltn: dikurangkan``); a person on CLTN
    at ``tanggal_acuan`` is not listed. ``tingkat`` is the highest tier whose anniversary falls in the period
    (:func:`anniversary`: the day counts, 29 Feb turns over on 1 Mar). ``layak`` is False, with the reason,
    for anyone who ever had a sedang/berat penalty (starting on or before ``tanggal_acuan``) and for a tier
    already received (``diterima``: nip, tingkat, tahun). PNS without TMT CPNS are listed as not computable.
    """
    rules = rules or load_rules()
    on = to_date(tanggal_acuan)
    since = to_date(sejak) or date(on.year - 1, 12, 31)
    cfg = rules.satyalancana
    tiers = sorted(cfg["tahun"])
    peg = pegawai.copy()
    if "aktif" in peg:
        peg = peg[peg["aktif"].fillna(0).astype(int) == 1]
    allowed = cfg.get("status_kepegawaian", ["PNS"])
    status = peg["status_kepegawaian"] if "status_kepegawaian" in peg else pd.Series("PNS", index=peg.index)
    peg = peg[status.fillna("PNS").isin(allowed)]
    peg["opd"] = opd_of(peg)
    breaks = cltn if cltn is not None and len(cltn) else empty_cltn()
    breaks = breaks[breaks["tanggal_mulai"] <= on.isoformat()]
    mode = cfg.get("cltn", "memutus")
    start_of, on_leave, leave_days = {}, set(), {}
    for nip, a, b in zip(values(breaks["nip"]), values(breaks["tanggal_mulai"]), values(breaks["tanggal_selesai"])):
        end = to_date(b)
        if end is None or end >= on:
            on_leave.add(nip)
            continue
        restart = end + timedelta(days=1)
        start_of[nip] = max(start_of.get(nip, restart), restart)
        leave_days[nip] = leave_days.get(nip, 0) + (end - to_date(a)).days + 1
    got: dict[str, dict[int, Any]] = {}
    if diterima is not None and len(diterima):
        for nip, t, y in zip(diterima["nip"], diterima["tingkat"], diterima.get("tahun", pd.Series(None, index=diterima.index))):
            got.setdefault(nip, {})[int(t)] = None if pd.isna(y) else int(y)
    d = disiplin if disiplin is not None and len(disiplin) else empty_disiplin()
    bad = d[d["tingkat"].isin(cfg["tingkat_disiplin_menggugurkan"]) & (d["tanggal_mulai"] <= on.isoformat())]
    penalties: dict[str, list[str]] = {}
    for nip, t, j, a in zip(values(bad["nip"]), values(bad["tingkat"]), values(bad["jenis_hukuman"]),
                            values(bad["tanggal_mulai"])):
        penalties.setdefault(nip, []).append(f"hukuman disiplin {t} ({j}, mulai {a})")
    rows = []
    for r in records(peg[[c for c in ("nip", "nama", "unit_id", "opd", "jabatan", "tmt_cpns") if c in peg]]):
        nip = r["nip"]
        base = {"nip": nip, "nama": r.get("nama"), "unit_id": r.get("unit_id"), "opd": r.get("opd"),
                "jabatan": r.get("jabatan"), "tmt_cpns": r.get("tmt_cpns")}
        tmt = to_date(r.get("tmt_cpns"))
        if tmt is None:
            rows.append({**base, "mulai_tanpa_putus": None, "masa_kerja_tahun": None, "tingkat": None,
                         "tanggal_capai": None, "tingkat_berikut": None, "tanggal_berikut": None, "layak": False,
                         "alasan": "TMT CPNS tidak tercatat; masa kerja tidak dapat dihitung"})
            continue
        if nip in on_leave:
            continue
        start, note = tmt, ""
        if nip in start_of and mode == "memutus":
            start = max(tmt, start_of[nip])
            note = f"; dihitung sejak kembali dari CLTN pada {start.isoformat()} [{cfg.get('sumber_cltn', '')}]"
        elif nip in leave_days and mode == "dikurangkan":
            start = tmt + timedelta(days=leave_days[nip])
            note = f"; {leave_days[nip]} hari CLTN tidak dihitung [{cfg.get('sumber_cltn', '')}]"
        in_period = [t for t in tiers if since < anniversary(start, t) <= on]
        if not in_period:
            continue
        reached = max(in_period)
        reached_on = anniversary(start, reached)
        years = completed_years_of(start, on)
        later = [t for t in tiers if t > reached]
        nxt = later[0] if later else None
        reason = (f"masa kerja tanpa putus {years} tahun per {on.isoformat()}; genap {reached} tahun pada "
                  f"{reached_on.isoformat()} (TMT CPNS {tmt.isoformat()}{note})")
        problems = []
        if reached in got.get(nip, {}):
            year = got[nip][reached]
            problems.append(f"Satyalancana {reached} tahun sudah diterima" + (f" ({year})" if year else ""))
        if penalties.get(nip):
            problems.append(f"pernah dijatuhi {'; '.join(penalties[nip])}")
        if problems:
            reason = f"Tidak layak: {'; '.join(problems)} [{cfg['sumber']}]; {reason}"
        else:
            reason = (f"Layak: {reason}; tingkat ini belum pernah diterima; tidak pernah dijatuhi hukuman disiplin "
                      f"sedang/berat [{cfg['sumber']}]")
        rows.append({**base, "mulai_tanpa_putus": start.isoformat(), "masa_kerja_tahun": years, "tingkat": reached,
                     "tanggal_capai": reached_on.isoformat(), "tingkat_berikut": nxt,
                     "tanggal_berikut": anniversary(start, nxt).isoformat() if nxt else None,
                     "layak": not problems, "alasan": reason})
    out = pd.DataFrame(rows, columns=["nip", "nama", "unit_id", "opd", "jabatan", "tmt_cpns", "mulai_tanpa_putus",
                                      "masa_kerja_tahun", "tingkat", "tanggal_capai", "tingkat_berikut",
                                      "tanggal_berikut", "layak", "alasan"])
    for col in ("tingkat", "tingkat_berikut", "masa_kerja_tahun"):
        out[col] = out[col].astype("Int64")
    out.attrs["periode"] = f"{(since + timedelta(days=1)).isoformat()} s.d. {on.isoformat()}"
    return out.sort_values(["tingkat", "tanggal_capai", "nip"], ascending=[False, True, True],
                           na_position="last").reset_index(drop=True)



def nine_box(riwayat: pd.DataFrame, potensi: pd.DataFrame | None, *, pegawai: pd.DataFrame | None = None,
             tanggal_acuan: date | str | None = None, menunggu=(), rules: AwardRules | None = None) -> pd.DataFrame:
    """Return each person's talent box (PermenPANRB 3/2020): kinerja axis x potensi, box number, talent pool.

    Kinerja axis: predikat mapped by ``kinerja_dari_predikat`` (Sangat Baik -> di atas, Baik -> sesuai,
    lower -> di bawah) over the last ``jumlah_periode`` recorded cycles: the mean of the codes (di bawah 1,
    sesuai 2, di atas 3) rounded to the nearest, halves rounded down (N = 1: the latest predikat).
    Potensi: the latest assessment (on or before ``tanggal_acuan`` when given). People in ``pegawai``
    (or in the history) without either axis get no box, with the reason in ``keterangan``. ``riwayat``
    must hold decided predikat only (:func:`history_with_current`); people in ``menunggu`` (whose
    current predikat is still provisional) get no box until it is decided.
    """
    rules = rules or load_rules()
    code = {a: i + 1 for i, a in enumerate(KINERJA_AXIS)}
    hist = riwayat[riwayat["predikat"].notna()].sort_values(["nip", "tanggal_selesai"], ascending=[True, False])
    hist = hist.groupby("nip", sort=False).head(rules.jumlah_periode_kinerja).copy()
    hist["kode"] = hist["predikat"].map(rules.kinerja_dari_predikat).map(code).astype(float)
    hist["dasar"] = hist["predikat"] + " (" + hist["nama_siklus"].astype(str) + ")"
    per = hist.groupby("nip", sort=False).agg(kode=("kode", "mean"))
    # The periods' texts joined per person in one pass (a per-group join costs a sub-frame per person).
    parts: dict[str, list[str]] = {}
    for nip, text in zip(values(hist["nip"]), values(hist["dasar"])):
        parts.setdefault(nip, []).append(text)
    per["dasar_kinerja"] = pd.Series({nip: "; ".join(texts) for nip, texts in parts.items()},
                                     dtype=hist["dasar"].dtype)
    per["kinerja"] = np.ceil(per["kode"] - 0.5).astype(int).map({v: k for k, v in code.items()})
    pot = potensi if potensi is not None else pd.DataFrame(columns=["nip", "tanggal", "kategori"])
    on = to_date(tanggal_acuan)
    if on is not None:
        pot = pot[pot["tanggal"] <= on.isoformat()]
    pot = pot.sort_values(["nip", "tanggal"]).groupby("nip").tail(1).set_index("nip")
    if pegawai is not None:
        people = pegawai[["nip"] + [c for c in ("nama", "unit_id", "jabatan") if c in pegawai]].copy()
        if "aktif" in pegawai:
            people = people[pegawai["aktif"].fillna(0).astype(int).to_numpy() == 1]
    else:
        people = pd.DataFrame({"nip": sorted(set(per.index) | set(pot.index))})
    out = people.copy()
    out["kinerja"] = out["nip"].map(per["kinerja"])
    out["dasar_kinerja"] = out["nip"].map(per["dasar_kinerja"])
    out["potensi"] = out["nip"].map(pot["kategori"])
    out["tanggal_potensi"] = out["nip"].map(pot["tanggal"])
    lookup = rules._box_lookup()
    boxes = [lookup.get((k, p)) if isinstance(k, str) and isinstance(p, str) else None
             for k, p in zip(values(out["kinerja"]), values(out["potensi"]))]
    waiting = out["nip"].isin(set(menunggu)).to_numpy()
    boxes = [None if w else b for b, w in zip(boxes, waiting)]
    out["kotak"] = pd.array(boxes, dtype="Int64")
    out["kelompok_talenta"] = out["kotak"].isin(rules.kelompok_talenta).fillna(False).astype(bool)
    out["menunggu_penetapan"] = waiting
    notes = []
    for k, p, box, w in zip(values(out["kinerja"]), values(out["potensi"]), values(out["kotak"]), waiting):
        missing = []
        if w:
            missing.append(f"predikat periode ini {MENUNGGU}")
        elif not isinstance(k, str):
            missing.append("predikat kinerja belum tercatat")
        if not isinstance(p, str):
            missing.append("potensi belum dinilai")
        notes.append("; ".join(missing) if missing
                     else f"Kotak {box}: kinerja {k} ekspektasi, potensi {p}"
                          + (" (kelompok talenta)" if box in rules.kelompok_talenta else ""))
    out["keterangan"] = notes
    return out.sort_values(["kotak", "nip"], ascending=[False, True], na_position="last").reset_index(drop=True)
