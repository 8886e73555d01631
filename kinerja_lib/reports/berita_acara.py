"""The panel's berita acara penetapan predikat kinerja, one per unit, from recorded decisions only."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlite_utils import Database

from .. import organisation, records
from ..cycle import Cycle, get_cycle
from ..errors import ReportError
from ..export import write_private_text
from ..instansi import load_instansi
from ..predikat import check_distribution, predikat_kinerja
from ..reference import load_kuadran
from .data import resolve_unit
from .formatting import is_missing, persen, slug, tanggal
from .printing import print_pdfs, template_env



def _predikat_organisasi(db: Database, cycle_id: int, unit_id: str) -> tuple[str | None, str | None]:
    """Return (predikat, unit it was set on) for the unit or its nearest ancestor that has one."""
    rated = organisation.predikat_organisasi(db, cycle_id)
    found = organisation.load_tree(db).nearest(unit_id, rated)
    return (rated[found], found) if found else (None, None)


def _official(pegawai: pd.DataFrame, nip: str | None) -> dict[str, str] | None:
    if nip is None or is_missing(nip) or nip not in pegawai.index:
        return None
    return {"nama": pegawai.loc[nip, "nama"], "nip": nip, "jabatan": pegawai.loc[nip, "jabatan"]}


def build_berita_acara_data(db: Database, cycle: int | str | Cycle | None, unit: str, *,
                            tanggal_penetapan: date | str | None = None, tempat: str | None = None,
                            instansi: str | None = None) -> dict[str, Any]:
    """Return the template context of the berita acara penetapan predikat kinerja of one unit.

    Lists every active pegawai of the unit and its sub-units with Rating Hasil Kerja, Rating Perilaku
    Kerja and the Predikat Kinerja, all from recorded decisions only: where the Pejabat Penilai has not
    decided, the row says "menunggu penetapan" and no predikat is printed (a 360 suggestion is advice,
    never part of a penetapan). Then checks the distribution of the decided predikat against the unit's
    Predikat Kinerja Organisasi (SE MenPANRB 3/2023) as warnings with the numbers, never as a block.
    While anyone is waiting, the document is a draft (``draf``): watermarked and not to be signed.
    Raises ReportError for an unknown unit.
    """
    c = cycle if isinstance(cycle, Cycle) else get_cycle(db, cycle)
    uid = resolve_unit(db, unit)
    unit_nama = organisation.unit_name(db, uid)
    tree = organisation.load_tree(db)
    members = records.unit_members(db, tree.subtree(uid))
    everyone = records.pegawai_with_units(db)
    ratings = records.decided_ratings(db, c.id)

    rows, menunggu = [], 0
    for p in members.itertuples(index=False):
        decided = ratings.get(p.nip, {})
        hasil, perilaku = decided.get("hasil_kerja"), decided.get("perilaku")
        predikat = predikat_kinerja(hasil, perilaku) if hasil and perilaku else None
        waiting = predikat is None
        menunggu += int(waiting)
        rows.append({"nama": p.nama, "nip": p.nip, "jabatan": p.jabatan, "unit": p.unit_nama,
                     "hasil_kerja": hasil, "perilaku": perilaku, "predikat": predikat, "menunggu": waiting})

    org, org_unit = _predikat_organisasi(db, c.id, uid)
    with_predikat = [r["predikat"] for r in rows if r["predikat"]]
    total = len(with_predikat)
    distribusi = [{"predikat": k, "jumlah": with_predikat.count(k),
                   "persen": persen(with_predikat.count(k) / total, 1) if total else "–"}
                  for k in load_kuadran().predikat]
    peringatan = [v.message() for v in check_distribution(org, with_predikat)] if org and total else []

    kepala_nip = next((p.nip for p in members.itertuples(index=False) if p.kepala_unit and p.unit_id == uid), None)
    penilai = _official(everyone, kepala_nip)
    atasan = _official(everyone, everyone.loc[kepala_nip, "atasan_nip"]) if kepala_nip else None
    office = load_instansi()
    when = tanggal_penetapan or office.today()   # the date where it is signed, not the server's (UTC) date
    if isinstance(when, str):
        try:
            when = date.fromisoformat(when)
        except ValueError:
            raise ReportError(f"Tanggal penetapan '{when}' tidak valid (format TTTT-BB-HH)") from None
    return {
        "instansi": instansi or office.nama, "teks_logo": office.teks_logo, "tempat": tempat or office.tempat,
        "tanggal": tanggal(when),
        "unit": {"id": uid, "nama": unit_nama},
        "siklus": {"nama": c.nama, "periode": c.periode, "tahun": c.tahun,
                   "mulai": tanggal(c.tanggal_mulai), "selesai": tanggal(c.tanggal_selesai)},
        "pegawai": rows, "jumlah": len(rows), "jumlah_berpredikat": total, "menunggu": menunggu,
        "draf": menunggu > 0, "tanpa_predikat": len(rows) - total,
        "predikat_organisasi": org, "predikat_organisasi_unit": org_unit, "distribusi": distribusi,
        "peringatan": peringatan, "penilai": penilai, "atasan_penilai": atasan,
    }


def render_berita_acara_html(context: dict[str, Any]) -> str:
    """Return the HTML of a berita acara from the context of :func:`build_berita_acara_data`."""
    kaki = f"Berita acara penetapan predikat kinerja · {context['unit']['nama']} · {context['siklus']['nama']}"
    return template_env().get_template("berita_acara.html.j2").render(**context, kaki=kaki)


def _units_with_predikat(db: Database, cycle_id: int) -> list[str]:
    return sorted(organisation.predikat_organisasi(db, cycle_id)) or organisation.root_units(db)


def render_berita_acara(db: Database, cycle: int | str | Cycle | None = None, *, unit: str | None = None,
                        out_dir: str | os.PathLike, tanggal_penetapan: date | str | None = None,
                        tempat: str | None = None, instansi: str | None = None,
                        html: bool = False, progress: bool = False) -> list[Path]:
    """Write the berita acara PDF of one unit, or of every unit with a Predikat Kinerja Organisasi.

    Returns the paths written. Raises ReportError for an unknown unit or when Chromium cannot start.
    """
    c = cycle if isinstance(cycle, Cycle) else get_cycle(db, cycle)
    out = Path(out_dir)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    units = [resolve_unit(db, unit)] if unit is not None else _units_with_predikat(db, c.id)
    jobs, paths = [], []
    for uid in units:
        context = build_berita_acara_data(db, c, uid, tanggal_penetapan=tanggal_penetapan, tempat=tempat,
                                          instansi=instansi)
        page = render_berita_acara_html(context)
        path = out / f"berita-acara-{slug(uid)}{'-DRAF' if context['draf'] else ''}.pdf"
        if html:
            write_private_text(path.with_suffix(".html"), page)
        jobs.append((page, path))
        paths.append(path)
    print_pdfs(jobs, total=len(jobs), progress=progress, desc="Berita acara")
    return paths
