"""Eligibility of each person for an award list, condition by condition, with reasons."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from .dates import to_date, completed_years
from .frames import base_frame, empty_disiplin, provisional, history_with_current, values
from ..vocabulary import VOCAB
from .inputs import INOVASI_COLUMNS
from .rules import AwardRules, MENUNGGU, REASON_SEPARATOR, award_list, load_rules



def _check_aktif(base, syarat, ctx):
    ok = base["aktif"].fillna(0).astype(int).eq(1).to_numpy()
    msg = np.where(ok, "pegawai aktif", "pegawai tidak aktif pada data kepegawaian")
    return ok, list(msg)


def _check_predikat_ini(base, syarat, ctx):
    rules: AwardRules = ctx["rules"]
    minimal = syarat.params["predikat_minimal"]
    limit = rules.predikat_rank(minimal)
    rank = base["predikat"].map({p: i for i, p in enumerate(rules.predikat_urut)})
    tentative = ctx["sementara"]
    ok = (rank <= limit).fillna(False).to_numpy(dtype=bool) & ~tentative
    hasil = base["rating_hasil_kerja"] if "rating_hasil_kerja" in base else pd.Series(None, index=base.index)
    msgs = []
    for p, tent, h in zip(values(base["predikat"]), tentative, values(hasil)):
        if not isinstance(p, str):
            missing = ("Rating Perilaku Kerja belum ditetapkan Pejabat Penilai" if isinstance(h, str)
                       else "Rating Hasil Kerja belum tercatat")
            msgs.append(f"predikat periode ini belum ada ({missing}); minimal {minimal} yang sudah ditetapkan")
        elif tent:
            msgs.append(f"predikat periode ini belum ditetapkan: {MENUNGGU} (saran 360 saat ini {p}, "
                        f"bukan keputusan); minimal {minimal} yang sudah ditetapkan")
        else:
            msgs.append(f"predikat periode ini {p} (ditetapkan), minimal {minimal}")
    return ok, msgs


def _check_berturut(base, syarat, ctx):
    rules: AwardRules = ctx["rules"]
    cycle = ctx["cycle"]
    hist: pd.DataFrame = ctx["riwayat"]
    minimal, n, periode = (syarat.params["predikat_minimal"], syarat.params["jumlah_periode"],
                           syarat.params["periode"])
    cycles = (hist.loc[(hist["periode"] == periode) & (hist["tanggal_selesai"] <= cycle.tanggal_selesai),
                       ["cycle_id", "nama_siklus", "tanggal_selesai"]]
              .drop_duplicates("cycle_id").sort_values("tanggal_selesai", ascending=False).head(n))
    names = dict(zip(cycles["cycle_id"], cycles["nama_siklus"]))
    limit = rules.predikat_rank(minimal)
    order = {p: i for i, p in enumerate(rules.predikat_urut)}
    sub = hist[hist["cycle_id"].isin(names)]
    by_person: dict[str, dict] = {}
    for nip, cid, p in zip(values(sub["nip"]), values(sub["cycle_id"]), values(sub["predikat"])):
        by_person.setdefault(nip, {})[cid] = p
    ok, msgs = [], []
    for nip in values(base["nip"]):
        seen = by_person.get(nip, {})
        parts, good = [], len(names) == n
        for cid, nama in names.items():
            p = seen.get(cid)
            if p is None:
                parts.append(f"{nama}: tidak tercatat")
                good = False
            else:
                parts.append(f"{nama}: {p}")
                good = good and order[p] <= limit
        if len(names) < n:
            parts.append(f"hanya {len(names)} siklus {periode} tercatat dari {n} yang disyaratkan")
        ok.append(good)
        msgs.append(f"predikat {n} periode {periode} terakhir minimal {minimal} ({'; '.join(parts)})")
    return np.array(ok, dtype=bool), msgs


def _check_disiplin(base, syarat, ctx):
    on: date = ctx["tanggal_acuan"]
    levels = syarat.params["tingkat"]
    d: pd.DataFrame = ctx["disiplin"]
    iso = on.isoformat()
    active = d[d["tingkat"].isin(levels) & (d["tanggal_mulai"] <= iso)
               & (d["tanggal_selesai"].isna() | (d["tanggal_selesai"] >= iso))]
    found: dict[str, list[str]] = {}
    for nip, t, j, a, b in zip(active["nip"], active["tingkat"], active["jenis_hukuman"],
                               active["tanggal_mulai"], active["tanggal_selesai"]):
        until = b if isinstance(b, str) else "belum ditentukan"
        found.setdefault(nip, []).append(f"hukuman disiplin {t} ({j}, {a} s.d. {until})")
    ok = ~base["nip"].isin(found).to_numpy()
    label = "/".join(levels)
    msgs = [f"tidak ada hukuman disiplin {label} yang aktif pada {iso}" if good
            else "sedang menjalani " + "; ".join(found[nip])
            for nip, good in zip(values(base["nip"]), ok)]
    return ok, msgs


def _check_penilai(base, syarat, ctx):
    settings = ctx["settings"]
    minimum = settings.get("minimal_penilai", {})
    required = syarat.params.get("kelompok_wajib", [])
    ok, msgs = [], []
    counts = {g: values(base[f"n_{g}"]) for g in VOCAB.relasi}
    parsed: dict[str, list[str]] = {}   # a city has a handful of distinct kelompok_tampil texts
    for i, (shown_raw, skor) in enumerate(zip(values(base["kelompok_tampil"]), values(base["skor"]))):
        shown = parsed.get(shown_raw) if isinstance(shown_raw, str) else None
        if shown is None:
            shown = [g.strip() for g in str(shown_raw or "").split(",") if g.strip()]
            if isinstance(shown_raw, str):
                parsed[shown_raw] = shown
        problems, parts = [], []
        for g in shown:
            n, need = int(counts[g][i]) if g in counts else 0, int(minimum.get(g, 1))
            parts.append(f"{g} {n}")
            if n < need:
                problems.append(f"kelompok {g} hanya {n} penilai (minimal {need})")
        for g in required:
            if g not in shown:
                n, need = int(counts[g][i]), int(minimum.get(g, 1))
                problems.append(f"kelompok {g} tidak tampil ({n} penilai, minimal {need})")
        if skor is None or (isinstance(skor, float) and math.isnan(skor)):
            problems.append("tidak ada skor 360")
        good = not problems
        ok.append(good)
        detail = ", ".join(parts) if parts else "tidak ada kelompok tampil"
        msgs.append(f"penilai cukup ({detail})" if good else "penilai kurang: " + "; ".join(problems))
    return np.array(ok, dtype=bool), msgs


def _check_masa_kerja(base, syarat, ctx):
    on: date = ctx["tanggal_acuan"]
    need = syarat.params["tahun"]
    years = completed_years(base["tmt_cpns"], on)
    ok = (years >= need).fillna(False).to_numpy(dtype=bool)
    msgs = [f"masa kerja sejak TMT CPNS tidak dapat dihitung (TMT CPNS tidak tercatat), minimal {need} tahun"
            if math.isnan(y) else f"masa kerja {int(y)} tahun per {on.isoformat()}, minimal {need} tahun"
            for y in years]
    return ok, msgs


def _check_inovasi(base, syarat, ctx):
    on: date = ctx["tanggal_acuan"]
    need, years = syarat.params["jumlah"], syarat.params["tahun_terakhir"]
    levels = VOCAB.tingkat_inovasi.codes
    lowest = levels.index(syarat.params["tingkat_minimal"])
    verified = syarat.params.get("terverifikasi", True)
    since = on.replace(year=on.year - years) if not (on.month == 2 and on.day == 29) else \
        on.replace(year=on.year - years, day=28)
    found: pd.DataFrame = ctx["inovasi"]
    rows = found[(found["tanggal"] > since.isoformat()) & (found["tanggal"] <= on.isoformat())
                 & found["tingkat"].map(lambda t: t in levels and levels.index(t) >= lowest)]
    if verified:
        rows = rows[rows["diverifikasi_oleh"].fillna("").astype(str).str.strip() != ""]
    titles: dict[str, list[str]] = {}
    for nip, judul, tingkat, tanggal in zip(rows["nip"], rows["judul"], rows["tingkat"], rows["tanggal"]):
        titles.setdefault(nip, []).append(f"{judul} ({VOCAB.tingkat_inovasi.label(tingkat)}, {tanggal})")
    level = VOCAB.tingkat_inovasi.label(syarat.params["tingkat_minimal"]).lower()
    want = (f"minimal {need} inovasi{' terverifikasi' if verified else ''} tingkat {level} ke atas dalam "
            f"{years} tahun sampai {on.isoformat()}")
    nips = values(base["nip"])
    ok = np.array([len(titles.get(nip, [])) >= need for nip in nips], dtype=bool)
    msgs = [f"{len(titles[nip])} inovasi: {'; '.join(titles[nip])}; {want}" if nip in titles
            else f"tidak ada inovasi yang tercatat; {want}" for nip in nips]
    return ok, msgs


_CHECKS = {
    "pegawai_aktif": _check_aktif,
    "predikat_periode_ini": _check_predikat_ini,
    "predikat_berturut": _check_berturut,
    "tanpa_hukuman_disiplin_aktif": _check_disiplin,
    "cukup_penilai": _check_penilai,
    "masa_kerja_minimal": _check_masa_kerja,
    "inovasi_minimal": _check_inovasi,
}


def eligibility(results: pd.DataFrame, pegawai: pd.DataFrame, disiplin: pd.DataFrame | None, cycle, *,
                riwayat: pd.DataFrame | None = None, penghargaan: str = "asn_berprestasi",
                tanggal_acuan: date | str | None = None, rules: AwardRules | None = None,
                inovasi: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return one row per person scored in the cycle: eligible or not for the award list, and why.

    Columns: the person's data and scores, ``layak`` (bool), ``alasan`` (every active condition with
    "Memenuhi"/"Tidak memenuhi", the finding and its source, in Indonesian, joined by ``REASON_SEPARATOR``),
    ``alasan_tidak_layak`` (only the failed ones), ``predikat_sementara`` and one boolean column
    ``syarat:<jenis>`` per condition. ``tanggal_acuan`` (default: the cycle's end date) is the day on which
    penalties must not be active and service years are counted. Raises KinerjaError for an unknown award list.
    """
    rules = rules or load_rules()
    award = award_list(rules, penghargaan)
    on = to_date(tanggal_acuan) or to_date(cycle.tanggal_selesai)
    base = base_frame(results, pegawai)
    base["predikat_sementara"] = provisional(base).to_numpy(dtype=bool)
    ctx = {"rules": rules, "cycle": cycle, "tanggal_acuan": on, "settings": cycle.settings or {},
           "disiplin": disiplin if disiplin is not None and len(disiplin) else empty_disiplin(),
           "riwayat": history_with_current(results, riwayat, cycle),
           "sementara": base["predikat_sementara"].to_numpy(),
           "inovasi": inovasi if inovasi is not None else pd.DataFrame(columns=INOVASI_COLUMNS)}
    eligible = np.ones(len(base), dtype=bool)
    reasons: list[list[str]] = [[] for _ in range(len(base))]
    failed: list[list[str]] = [[] for _ in range(len(base))]
    for syarat in award.syarat:
        if not syarat.aktif:
            continue
        ok, msgs = _CHECKS[syarat.jenis](base, syarat, ctx)
        base[f"syarat:{syarat.jenis}"] = ok
        eligible &= ok
        for i, (good, msg) in enumerate(zip(ok, msgs)):
            text = f"{'Memenuhi' if good else 'Tidak memenuhi'}: {msg} [{syarat.sumber}]"
            reasons[i].append(text)
            if not good:
                failed[i].append(text)
    base["layak"] = eligible
    base["alasan"] = [REASON_SEPARATOR.join(r) for r in reasons]
    base["alasan_tidak_layak"] = [REASON_SEPARATOR.join(r) for r in failed]
    # Waiting for a decision: the predikat is only provisional and every other condition is met, so the
    # person may become eligible once the Pejabat Penilai decides.
    others = np.ones(len(base), dtype=bool)
    for syarat in award.syarat:
        if syarat.aktif and syarat.jenis not in ("predikat_periode_ini", "predikat_berturut"):
            others &= base[f"syarat:{syarat.jenis}"].to_numpy(dtype=bool)
    base["menunggu_penetapan"] = base["predikat_sementara"].to_numpy(dtype=bool) & others & ~eligible
    base.attrs.update(penghargaan=award.kode, nama_penghargaan=award.nama, tanggal_acuan=on.isoformat())
    return base
