"""The admin dashboard: completion drilled down OPD → bidang → seksi and per relation, submissions per day,
who has not started, reminder lists (with or without fresh links), who has opened their published report, and
reopening a submitted form.

An admin opens it with their own link (``kinerja admin tambah``) or the shared one (``kinerja admin-link``); an
OPD admin's link shows only their perangkat daerah. The scope is enforced in form_service, not here.
Every message appears beside the control that caused it.
"""

from __future__ import annotations

import base64
import re

import ipywidgets as widgets
from sqlite_utils import Database

from .. import form_service
from ..errors import FormError
from ..form_service import CompletionRow, RaterStatus
from ..instansi import load_instansi
from ..links import LinkGrant
from .common import (bar, box, button, cycle_title, denied_view, esc, guarded, halted_view, html_box, message_html,
                     shared, style, tanggal)

NOT_STARTED_SHOWN = 100
CHART_DAYS = 60


def _completion_table(rows: list[CompletionRow], first: str) -> str:
    if not rows:
        return message_html("info", "Belum ada penugasan di sini.")
    head = (f"<tr><th>{esc(first)}</th><th class='k360-num'>Penugasan</th><th class='k360-num'>Belum</th>"
            "<th class='k360-num'>Draf</th><th class='k360-num'>Terkirim</th><th>Kelengkapan</th></tr>")
    body = "".join(
        f"<tr><td>{esc(r.label)}{' ›' if r.turunan else ''}</td><td class='k360-num'>{r.total}</td>"
        f"<td class='k360-num'>{r.belum}</td><td class='k360-num'>{r.draf}</td><td class='k360-num'>{r.terkirim}</td>"
        f"<td style='min-width:120px'>{r.percent:.0f}%{bar(r.terkirim, r.total)}</td></tr>" for r in rows)
    return (f"<div class='k360-scroll' tabindex='0' role='region' aria-label='Kelengkapan per {esc(first.lower())}'>"
            f"<table class='k360-table'>{head}{body}</table></div>")


def _rater_table(rows: list[RaterStatus]) -> str:
    if not rows:
        return message_html("ok", "Semua penilai di sini sudah mulai mengisi.")
    shown = rows[:NOT_STARTED_SHOWN]
    body = "".join(f"<tr><td>{esc(r.nama)}</td><td>{esc(r.nip)}</td><td>{esc(r.unit)}</td>"
                   f"<td class='k360-num'>{r.total}</td></tr>" for r in shown)
    more = (f"<div class='k360-muted'>… dan {len(rows) - len(shown)} penilai lainnya (lihat daftar pengingat).</div>"
            if len(rows) > len(shown) else "")
    return (f"<div class='k360-muted'>{len(rows)} penilai belum mulai mengisi.</div><div class='k360-scroll' "
            "tabindex='0' role='region' aria-label='Penilai yang belum mulai mengisi'>"
            "<table class='k360-table'><tr><th>Nama</th><th>NIP</th><th>Unit</th><th class='k360-num'>Dinilai</th>"
            f"</tr>{body}</table></div>{more}")


def _openings_table(rows: list) -> str:
    """Return who has opened their published 360 report through their personal link, per unit."""
    from ..report_access import openings_by_unit

    if not rows:
        return message_html("info", "Belum ada laporan 360 yang diterbitkan (kinerja report).")
    opened = sum(r.opened for r in rows)
    body = "".join(f"<tr><td>{esc(unit)}</td><td class='k360-num'>{n}</td><td class='k360-num'>{k}</td>"
                   f"<td style='min-width:120px'>{bar(k, n)}</td></tr>" for unit, n, k in openings_by_unit(rows))
    return (f"<div class='k360-muted'>{opened} dari {len(rows)} pegawai sudah membuka laporannya lewat tautan "
            "pribadi. Daftar per orang: <code>kinerja laporan dibuka --belum</code>; tautan baru bagi yang belum: "
            "<code>kinerja laporan kirim</code>.</div>"
            "<div class='k360-scroll' tabindex='0' role='region' aria-label='Laporan yang sudah dibuka per unit'>"
            "<table class='k360-table'><tr><th>Unit</th><th class='k360-num'>Diterbitkan</th>"
            f"<th class='k360-num'>Dibuka</th><th>Bagian</th></tr>{body}</table></div>")


def progress_chart(days: list[tuple[str, int]], total: int) -> str:
    """Return an inline SVG of forms submitted per day (bars) and the running share of all forms (line).

    Built from data alone (no plotting library in a form kernel); every label is escaped.

    >>> "<svg" in progress_chart([("2026-03-02", 3), ("2026-03-04", 1)], 10)
    True
    >>> progress_chart([], 10).startswith("<div")
    True
    """
    if not days:
        return message_html("info", "Belum ada formulir terkirim.")
    running = sum(n for _, n in days[:-CHART_DAYS])  # days before the window shown still count in the share
    days = days[-CHART_DAYS:]
    width, height, left, bottom, top = 640, 170, 34, 26, 12
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(n for _, n in days)
    step = plot_w / len(days)
    bars, points = [], []
    for i, (day, n) in enumerate(days):
        running += n
        h = plot_h * n / peak
        x = left + i * step
        bars.append(f"<rect x='{x + step * 0.15:.1f}' y='{top + plot_h - h:.1f}' width='{max(step * 0.7, 1):.1f}' "
                    f"height='{h:.1f}' fill='#12355b'><title>{esc(tanggal(day))}: {n} terkirim</title></rect>")
        share = running / total if total else 0
        points.append(f"{x + step / 2:.1f},{top + plot_h * (1 - share):.1f}")
    first, last = esc(tanggal(days[0][0])), esc(tanggal(days[-1][0]))
    done = sum(n for _, n in days)
    summary = (f"Formulir terkirim per hari, {first} sampai {last}: {done} formulir; puncak {peak} dalam sehari.")
    return (f"<svg role='img' aria-label='{esc(summary)}' viewBox='0 0 {width} {height}' width='100%' "
            f"style='max-width:{width}px' xmlns='http://www.w3.org/2000/svg'><title>{esc(summary)}</title>"
            f"<line x1='{left}' y1='{top + plot_h}' x2='{width - 10}' y2='{top + plot_h}' stroke='#7b8794'/>"
            f"<text x='{left - 4}' y='{top + 10}' font-size='11' text-anchor='end' fill='#52606d'>{peak}</text>"
            f"<text x='{left - 4}' y='{top + plot_h}' font-size='11' text-anchor='end' fill='#52606d'>0</text>"
            f"{''.join(bars)}<polyline points='{' '.join(points)}' fill='none' stroke='#f2b705' stroke-width='2.5'/>"
            f"<text x='{left}' y='{height - 8}' font-size='11' fill='#52606d'>{first}</text>"
            f"<text x='{width - 10}' y='{height - 8}' font-size='11' text-anchor='end' fill='#52606d'>{last}</text>"
            "</svg><div class='k360-muted'>Batang: formulir terkirim per hari. Garis kuning: bagian dari semua "
            "penugasan yang sudah terkirim.</div>")


def _heading(title: str) -> str:
    """Return a section heading as HTML (an h2, so a screen reader can jump between sections)."""
    return f"<div class='k360-section'><h2>{esc(title)}</h2></div>"


def _download_link(name: str, text: str, label: str) -> str:
    """Return a download link holding the CSV itself (a data: address): no file is left on the server."""
    payload = base64.b64encode(("\ufeff" + text).encode("utf-8")).decode("ascii")
    return f"<a download='{esc(name)}' href='data:text/csv;charset=utf-8;base64,{payload}'>⬇ {esc(label)}</a>"


class AdminApp(widgets.VBox):
    """The admin dashboard of one cycle, opened with an admin link."""

    def __init__(self, db: Database, grant: LinkGrant):
        super().__init__(layout=widgets.Layout(width="100%"))
        self.add_class("k360")
        self._db, self._grant = db, grant
        self._denied = False
        self._unit: str | None = None            # the unit drilled into (None: the top)
        self._pending: int | None = None         # the form a reopen waits to be confirmed for
        self._forms_by_id: dict[int, form_service.AdminForm] = {}
        self._header = html_box("", "k360-header")
        # one message place per area, beside the control that acts there
        self._refresh_msg, self._drill_msg, self._reminder_msg = html_box(), html_box(), html_box()
        self._search_msg, self._reopen_msg = html_box(), html_box()
        self._where = self._refresh_msg
        self._refresh_button = button("Muat ulang data", tooltip="Ambil angka terbaru")
        self._refresh_button.on_click(self._on_refresh)
        self._summary = html_box("", "k360-progress")
        self._by_unit = html_box()
        self._drill = widgets.Dropdown(options=[], value=None, description="Rincian unit", layout=shared("auto"))
        self._drill.observe(self._on_drill, names="value")
        self._up_button = button("⬆ Naik satu tingkat", disabled=True)
        self._up_button.on_click(self._on_up)
        self._by_relation = html_box()
        self._chart = html_box()
        self._not_started = html_box()
        self._openings = html_box()
        self._reminder_button = button("Daftar pengingat tanpa tautan (CSV)")
        self._reminder_button.on_click(self._on_reminders)
        self._links_button = button("Daftar pengingat dengan tautan baru (CSV)", button_style="primary")
        self._links_button.on_click(self._on_reminder_links)
        self._download = html_box()
        self._query = widgets.Text(placeholder="Nama atau NIP penilai", layout=widgets.Layout(width="280px"),
                                   continuous_update=False)
        self._search_button = button("Cari penilai")
        self._search_button.on_click(self._on_search)
        # the rest of the reopen area is built on the first search (_reopen_widgets): most visits never need it
        self._reopen_area = box([])
        self._raters = self._forms = self._reason = self._reopen_button = None
        self._confirm = self._confirm_text = self._confirm_yes = self._confirm_no = None
        self.children = (
            style(), self._header, box([self._refresh_button, self._refresh_msg], "k360-toolbar", "k360-row",
                                       horizontal=True),
            self._summary,
            self._by_unit,
            box([self._drill, self._up_button], "k360-row", horizontal=True), self._drill_msg,
            self._by_relation, self._chart, self._not_started,
            html_box(_heading("Daftar pengingat")
                     + "<div class='k360-muted'>Penilai yang masih mempunyai formulir belum terkirim. Daftar dengan "
                     "tautan baru memuat tautan pribadi baru dan tautan WhatsApp berisi pesan pengingat; tautan lama "
                     "penilai tetap berlaku. Berkas diunduh langsung ke komputer Anda dan tidak disimpan di server: "
                     "rahasiakan.</div>"),
            box([self._reminder_button, self._links_button], "k360-row", horizontal=True),
            self._reminder_msg, self._download, self._openings,
            html_box(_heading("Buka kembali formulir terkirim")
                     + "<div class='k360-muted'>Cari penilai berdasarkan nama atau NIP, pilih formulirnya, tulis "
                     "alasannya. Formulir kembali menjadi draf dan penilai dapat mengubahnya dengan tautan yang "
                     "sama.</div>"),
            box([self._query, self._search_button], "k360-row", horizontal=True),
            self._search_msg, self._reopen_area,
        )
        self._refresh()

    # ----------------------------------------------------------------- public surface

    @property
    def denied(self) -> bool:
        return self._denied

    @property
    def message(self) -> str:
        """Every message shown now, wherever it is."""
        return "".join(w.value for w in (self._refresh_msg, self._drill_msg, self._reminder_msg, self._search_msg,
                                         self._reopen_msg))

    @property
    def messages(self) -> dict[str, str]:
        """The message beside each area, by area."""
        return {"refresh": self._refresh_msg.value, "drill": self._drill_msg.value,
                "reminders": self._reminder_msg.value, "search": self._search_msg.value,
                "reopen": self._reopen_msg.value}

    @property
    def controls(self) -> dict[str, widgets.Widget]:
        """The interactive widgets by name (for tests and scripted use)."""
        found = {"refresh": self._refresh_button, "drill": self._drill, "up": self._up_button,
                 "reminders": self._reminder_button, "reminder_links": self._links_button, "query": self._query,
                 "search": self._search_button}
        if self._forms is not None:  # built on the first search
            found.update({"raters": self._raters, "forms": self._forms, "reason": self._reason,
                          "reopen": self._reopen_button, "confirm": self._confirm_yes, "cancel": self._confirm_no})
        return found

    @property
    def confirming(self) -> str | None:
        """The confirmation question shown (None when none is open)."""
        if self._confirm is None or self._confirm.layout.display == "none":
            return None
        return self._confirm_text.value

    def page_html(self) -> str:
        """The HTML of every figure shown, e.g. to check figures and escaping."""
        return "\n".join(w.value for w in (self._header, self._summary, self._by_unit, self._by_relation, self._chart,
                                           self._not_started, self._download, self._openings))

    def _reopen_widgets(self) -> None:
        """Build the rater and form choosers, the reason, the reopen button and its confirmation (once)."""
        if self._forms is not None:
            return
        self._raters = widgets.Dropdown(options=[], value=None, description="Penilai",
                                        layout=widgets.Layout(width="100%", display="none"))
        self._raters.observe(self._on_rater, names="value")
        self._forms = widgets.Dropdown(options=[], value=None, description="Formulir",
                                       layout=widgets.Layout(width="100%", display="none"))
        self._forms.observe(self._on_pick, names="value")
        self._reason = widgets.Textarea(placeholder="Alasan membuka kembali (wajib; dicatat di log audit)", rows=2,
                                        layout=shared("full"))
        self._reopen_button = button("Buka kembali formulir", button_style="warning", disabled=True)
        self._reopen_button.on_click(self._on_reopen)
        self._confirm_text = html_box()
        self._confirm_yes = button("Ya, buka kembali", button_style="warning")
        self._confirm_yes.on_click(self._on_confirm)
        self._confirm_no = button("Batal")
        self._confirm_no.on_click(self._on_cancel)
        self._confirm = widgets.VBox([self._confirm_text, box([self._confirm_yes, self._confirm_no], horizontal=True)],
                                     layout=widgets.Layout(width="100%", display="none"))
        self._confirm.add_class("k360-confirm")
        self._reopen_area.children = (self._raters, self._forms, self._reason, self._reopen_button, self._reopen_msg,
                                      self._confirm)

    # ----------------------------------------------------------------- drawing

    def _refresh(self) -> None:
        self._where = self._refresh_msg
        self._draw()

    @guarded
    def _draw(self) -> None:
        ov = form_service.admin_overview(self._db, self._grant)
        c = ov.cycle
        who = ""
        if ov.admin:
            who = (f"<div class='k360-sub'>Masuk sebagai <b>{esc(ov.admin)}</b> · "
                   + (f"perangkat daerah <b>{esc(ov.lingkup)}</b>" if ov.lingkup else "seluruh perangkat daerah")
                   + "</div>")
        self._header.value = (
            "<h1>Dasbor Admin Penilaian 360°</h1>"
            f"<div class='k360-sub'><span class='k360-nw'>{esc(cycle_title(c))}</span> · "
            f"<span class='k360-nw'>{esc(tanggal(c.tanggal_mulai))}</span> s.d. "
            f"<span class='k360-nw'>{esc(tanggal(c.tanggal_selesai))}</span></div>{who}")
        s = ov.by_status
        self._summary.value = (
            f"<b>{s['terkirim']} dari {ov.total} penilaian terkirim</b> ({ov.raters} penilai){bar(s['terkirim'], ov.total)}"
            f"<div class='k360-muted'>Belum diisi {s['belum']} · Draf {s['draf']} · Terkirim {s['terkirim']}</div>")
        self._chart.value = _heading("Formulir terkirim per hari") + progress_chart(form_service.completion_over_time(self._db, self._grant), ov.total)
        self._openings.value = (_heading("Laporan 360 yang sudah dibuka pegawai")
                                + _openings_table(form_service.report_openings(self._db, self._grant)))
        self._draw_unit()

    def _draw_unit(self) -> None:
        """Draw the drill-down level ``self._unit``: its trail, its rows, its relations and who has not started."""
        db, grant, unit = self._db, self._grant, self._unit
        rows = form_service.completion_drill(db, grant, unit)
        path = form_service.unit_path(db, grant, unit)
        top = "Semua perangkat daerah" if grant.opd is None else "Perangkat daerah"
        trail = ("<nav aria-label='Posisi rincian unit' class='k360-muted'>"
                 + " › ".join([esc(top)] + [f"<b>{esc(n)}</b>" if i == len(path) - 1 else esc(n)
                                            for i, (_u, n) in enumerate(path)]) + "</nav>")
        self._by_unit.value = (_heading("Kelengkapan per unit") + trail
                               + _completion_table(rows, "Unit" if unit is not None else "Perangkat daerah"))
        choices = [("Pilih unit untuk melihat rinciannya…", None)] + [
            (r.label, r.kode) for r in rows if r.kode != unit]
        self._drill.options = choices
        self._drill.index = 0           # the prompt shows; its value (None) drills into nothing
        self._up_button.disabled = unit is None
        where = f" di {path[-1][1]}" if path else ""
        self._by_relation.value = (_heading(f"Kelengkapan per relasi{where}")
                                   + _completion_table(form_service.completion_by_relation(db, grant, unit), "Relasi"))
        self._not_started.value = (_heading(f"Belum mulai mengisi{where}")
                                   + _rater_table(form_service.rater_status(db, grant, "belum_mulai", unit)))

    # ----------------------------------------------------------------- callbacks

    @guarded
    def _on_refresh(self, _button=None) -> None:
        self._refresh_msg.value = ""
        self._where = self._refresh_msg
        self._draw()
        self._refresh_msg.value = message_html("ok", "Data diperbarui.")

    @guarded
    def _on_drill(self, change=None) -> None:
        if self._drill.value is None:
            return
        self._where = self._drill_msg
        self._drill_msg.value = ""
        previous, self._unit = self._unit, self._drill.value
        try:
            self._draw_unit()
        except Exception:
            self._unit = previous
            raise

    @guarded
    def _on_up(self, _button=None) -> None:
        self._where = self._drill_msg
        self._drill_msg.value = ""
        if self._unit is None:
            raise FormError("Sudah di tingkat teratas.")
        path = form_service.unit_path(self._db, self._grant, self._unit)
        self._unit = path[-2][0] if len(path) > 1 else None
        self._draw_unit()

    def _reminder_name(self, kind: str) -> str:
        cycle = form_service.admin_overview(self._db, self._grant).cycle
        return re.sub(r"[^A-Za-z0-9_-]+", "-", f"{kind}-{cycle.nama}").strip("-") + ".csv"

    @guarded
    def _on_reminders(self, _button=None) -> None:
        self._where = self._reminder_msg
        self._reminder_msg.value = ""
        text = form_service.reminder_csv(self._db, self._grant)
        count = max(text.count("\n") - 1, 0)
        self._download.value = _download_link(self._reminder_name("pengingat"), text,
                                              f"Unduh daftar pengingat ({count} penilai)")
        self._reminder_msg.value = message_html("ok", f"Daftar pengingat siap: {count} penilai.")

    @guarded
    def _on_reminder_links(self, _button=None) -> None:
        self._where = self._reminder_msg
        self._reminder_msg.value = ""
        count, text = form_service.reminder_links_csv(self._db, self._grant)
        self._download.value = _download_link(self._reminder_name("pengingat-tautan"), text,
                                              f"Unduh daftar pengingat dengan tautan baru ({count} penilai)")
        self._reminder_msg.value = message_html(
            "ok", f"{count} tautan pribadi baru diterbitkan (tautan lama tetap berlaku). Tautan hanya tampil di "
                  "berkas ini: unduh sekarang dan rahasiakan.")

    @guarded
    def _on_search(self, _button=None) -> None:
        self._where = self._search_msg
        self._search_msg.value = ""
        self._close_confirm()
        found = form_service.find_raters(self._db, self._grant, self._query.value)
        self._reopen_widgets()
        if not found:
            raise FormError("Tidak ada penilai dengan nama atau NIP itu pada periode ini.")
        options = [(f"{r.nama} — NIP {r.nip} — {r.unit}", r.nip) for r in found]
        self._raters.value = None
        self._raters.options = options
        self._raters.layout.display = None
        self._raters.value = found[0].nip   # lists the first one's forms (_on_rater)
        more = " (ditampilkan 50 pertama; perjelas pencarian)" if len(found) >= form_service.SEARCH_SHOWN else ""
        self._search_msg.value = message_html("info", f"{len(found)} penilai ditemukan{more}.")

    @guarded
    def _on_rater(self, _change=None) -> None:
        self._where = self._search_msg
        self._close_confirm()
        self._load_forms(self._raters.value)

    def _load_forms(self, nip: str | None, keep: int | None = None) -> None:
        """List the rater's forms; keep ``keep`` selected when it is among them, else the first submitted one."""
        if nip is None:
            self._forms.options, self._forms.layout.display = [], "none"
            return
        forms = form_service.rater_forms(self._db, self._grant, nip)
        self._forms_by_id = {f.id: f for f in forms}
        self._forms.value = None
        self._forms.options = [
            (f"{f.ratee.nama} — {f.relation_label} — {f.status_label}"
             + (f" ({load_instansi().waktu(f.terkirim)})" if f.terkirim else ""), f.id) for f in forms]
        self._forms.value = (keep if keep in self._forms_by_id else
                             next((f.id for f in forms if f.status == "terkirim"), forms[0].id if forms else None))
        self._forms.layout.display = None if forms else "none"
        self._on_pick()

    @guarded
    def _on_pick(self, _change=None) -> None:
        self._reopen_button.disabled = self._forms.value is None
        self._pending = None
        self._close_confirm()

    @guarded
    def _on_reopen(self, _button=None) -> None:
        """Ask first: the question names the rater (nama, NIP), the person rated and the relation."""
        self._where = self._reopen_msg
        self._reopen_msg.value = ""
        aid = self._forms.value
        chosen = self._forms_by_id.get(aid)
        if chosen is None:
            raise FormError("Pilih formulir terlebih dahulu.")
        if not self._reason.value.strip():
            raise FormError("Alasan membuka kembali wajib diisi.")
        if chosen.status != "terkirim":
            raise FormError("Hanya formulir yang sudah terkirim yang dapat dibuka kembali.")
        self._pending = aid
        self._confirm_text.value = (
            f"<b>Buka kembali formulir ini?</b><div>Penilai: <b>{esc(chosen.rater_nama)}</b> (NIP {esc(chosen.rater)})"
            f"</div><div>Menilai: <b>{esc(chosen.ratee.nama)}</b> (NIP {esc(chosen.ratee.nip)}) sebagai "
            f"<b>{esc(chosen.relation_label)}</b></div><div class='k360-muted'>Alasan: {esc(self._reason.value.strip())}"
            "</div>")
        self._confirm.layout.display = None

    @guarded
    def _on_confirm(self, _button=None) -> None:
        self._where = self._reopen_msg
        aid, self._pending = self._pending, None
        self._close_confirm()
        if aid is None or aid != self._forms.value:
            raise FormError("Tekan \u201cBuka kembali formulir\u201d dan periksa datanya terlebih dahulu.")
        chosen = self._forms_by_id[aid]
        form_service.reopen(self._db, self._grant, aid, self._reason.value)
        self._reason.value = ""
        self._load_forms(chosen.rater, keep=aid)   # the selector stays on this form
        self._draw()
        self._reopen_msg.value = message_html(
            "ok", f"Formulir {chosen.rater_nama} untuk {chosen.ratee.nama} ({chosen.relation_label}) dibuka kembali "
                  "sebagai draf; alasannya tercatat di log audit.")

    @guarded
    def _on_cancel(self, _button=None) -> None:
        self._pending = None
        self._close_confirm()
        self._reopen_msg.value = message_html("info", "Dibatalkan; formulir tidak diubah.")

    def _close_confirm(self) -> None:
        if self._confirm is not None:
            self._confirm.layout.display = "none"

    def _show_error(self, text: str) -> None:
        self._where.value = message_html("error", text)

    def _deny(self) -> None:
        self._denied = True
        self._replace_all(denied_view())

    def _halt(self, text: str) -> None:
        self._replace_all(halted_view(text))

    def _replace_all(self, view: widgets.Widget) -> None:
        old = self.children
        self.children = (view,)
        for w in old:
            w.close()
