"""The admin dashboard: completion by unit and relation, who has not started, reminders, reopening a form."""

from __future__ import annotations

import base64
import re

import ipywidgets as widgets
from sqlite_utils import Database

from .. import form_service
from ..errors import FormError
from ..form_service import CompletionRow, RaterStatus
from ..links import LinkGrant
from .common import (bar, cycle_title, denied_view, esc, guarded, halted_view, html_box, message_html, section,
                     style, tanggal, wib)

NOT_STARTED_SHOWN = 100


def _completion_table(rows: list[CompletionRow], first: str) -> str:
    head = (f"<tr><th>{esc(first)}</th><th class='k360-num'>Penugasan</th><th class='k360-num'>Belum</th>"
            "<th class='k360-num'>Draf</th><th class='k360-num'>Terkirim</th><th>Kelengkapan</th></tr>")
    body = "".join(
        f"<tr><td>{esc(r.label)}</td><td class='k360-num'>{r.total}</td><td class='k360-num'>{r.belum}</td>"
        f"<td class='k360-num'>{r.draf}</td><td class='k360-num'>{r.terkirim}</td>"
        f"<td style='min-width:120px'>{r.percent:.0f}%{bar(r.terkirim, r.total)}</td></tr>" for r in rows)
    return (f"<div class='k360-scroll' tabindex='0' role='region' aria-label='Kelengkapan per {esc(first.lower())}'>"
            f"<table class='k360-table'>{head}{body}</table></div>")


def _rater_table(rows: list[RaterStatus]) -> str:
    if not rows:
        return message_html("ok", "Semua penilai sudah mulai mengisi.")
    shown = rows[:NOT_STARTED_SHOWN]
    body = "".join(f"<tr><td>{esc(r.nama)}</td><td>{esc(r.nip)}</td><td>{esc(r.unit)}</td>"
                   f"<td class='k360-num'>{r.total}</td></tr>" for r in shown)
    more = (f"<div class='k360-muted'>… dan {len(rows) - len(shown)} penilai lainnya (lihat daftar pengingat).</div>"
            if len(rows) > len(shown) else "")
    return (f"<div class='k360-muted'>{len(rows)} penilai belum mulai mengisi.</div><div class='k360-scroll' "
            "tabindex='0' role='region' aria-label='Penilai yang belum mulai mengisi'>"
            "<table class='k360-table'><tr><th>Nama</th><th>NIP</th><th>Unit</th><th class='k360-num'>Dinilai</th>"
            f"</tr>{body}</table></div>{more}")


class AdminApp(widgets.VBox):
    """The admin dashboard of one cycle, opened with the cycle's admin link."""

    def __init__(self, db: Database, grant: LinkGrant):
        super().__init__(layout=widgets.Layout(width="100%"))
        self.add_class("k360")
        self._db, self._grant = db, grant
        self._denied = False
        self._header = html_box("", "k360-header")
        self._message = html_box()
        self._refresh_button = widgets.Button(description="Muat ulang data", tooltip="Ambil angka terbaru")
        self._refresh_button.on_click(self._on_refresh)
        self._summary = html_box("", "k360-progress")
        self._by_unit = html_box()
        self._by_relation = html_box()
        self._not_started = html_box()
        self._reminder_button = widgets.Button(description="Siapkan daftar pengingat (CSV)", button_style="primary")
        self._reminder_button.on_click(self._on_reminders)
        self._download = html_box()
        self._nip = widgets.Text(placeholder="NIP penilai (18 digit)", layout=widgets.Layout(width="260px"))
        self._search_button = widgets.Button(description="Cari formulir")
        self._search_button.on_click(self._on_search)
        self._forms = widgets.Dropdown(options=[], value=None, description="Formulir",
                                       layout=widgets.Layout(width="100%"))
        self._reason = widgets.Textarea(placeholder="Alasan membuka kembali (wajib; dicatat di log audit)", rows=2,
                                        layout=widgets.Layout(width="100%"))
        self._reopen_button = widgets.Button(description="Buka kembali formulir", button_style="warning",
                                             disabled=True)
        self._reopen_button.on_click(self._on_reopen)
        self._forms.observe(self._on_pick, names="value")
        self.children = (
            style(), self._header, self._message, self._refresh_button, self._summary,
            section("Kelengkapan per perangkat daerah"), self._by_unit,
            section("Kelengkapan per relasi"), self._by_relation,
            section("Belum mulai mengisi"), self._not_started,
            section("Daftar pengingat"),
            html_box("<div class='k360-muted'>Penilai yang masih mempunyai formulir belum terkirim, untuk "
                     "dikirimi pengingat (tautan pribadi tidak ikut: tautan hanya tampil saat diterbitkan).</div>"),
            self._reminder_button, self._download,
            section("Buka kembali formulir terkirim"),
            html_box("<div class='k360-muted'>Cari formulir berdasarkan NIP penilai, pilih, tulis alasannya. "
                     "Formulir kembali menjadi draf dan penilai dapat mengubahnya dengan tautan yang sama.</div>"),
            widgets.HBox([self._nip, self._search_button], layout=widgets.Layout(flex_flow="row wrap")),
            self._forms, self._reason, self._reopen_button,
        )
        _hide(self._forms)
        self._refresh()

    # ----------------------------------------------------------------- public surface

    @property
    def denied(self) -> bool:
        return self._denied

    @property
    def message(self) -> str:
        return self._message.value

    @property
    def controls(self) -> dict[str, widgets.Widget]:
        """The interactive widgets by name (for tests and scripted use)."""
        return {"refresh": self._refresh_button, "reminders": self._reminder_button, "nip": self._nip,
                "search": self._search_button, "forms": self._forms, "reason": self._reason,
                "reopen": self._reopen_button}

    def page_html(self) -> str:
        """The HTML of every figure shown, e.g. to check figures and escaping."""
        return "\n".join(w.value for w in (self._header, self._summary, self._by_unit, self._by_relation,
                                           self._not_started, self._download))

    # ----------------------------------------------------------------- callbacks

    @guarded
    def _refresh(self) -> None:
        ov = form_service.admin_overview(self._db, self._grant)
        c = ov.cycle
        self._header.value = (
            "<h1>Dasbor Admin Penilaian 360°</h1>"
            f"<div class='k360-sub'><span class='k360-nw'>{esc(cycle_title(c))}</span> · "
            f"<span class='k360-nw'>{esc(tanggal(c.tanggal_mulai))}</span> s.d. "
            f"<span class='k360-nw'>{esc(tanggal(c.tanggal_selesai))}</span></div>")
        s = ov.by_status
        self._summary.value = (
            f"<b>{s['terkirim']} dari {ov.total} penilaian terkirim</b> ({ov.raters} penilai){bar(s['terkirim'], ov.total)}"
            f"<div class='k360-muted'>Belum diisi {s['belum']} · Draf {s['draf']} · Terkirim {s['terkirim']}</div>")
        self._by_unit.value = _completion_table(form_service.completion_by_unit(self._db, self._grant),
                                                "Perangkat daerah")
        self._by_relation.value = _completion_table(form_service.completion_by_relation(self._db, self._grant),
                                                    "Relasi")
        self._not_started.value = _rater_table(form_service.rater_status(self._db, self._grant, "belum_mulai"))

    @guarded
    def _on_refresh(self, _button=None) -> None:
        self._message.value = ""
        self._refresh()

    @guarded
    def _on_reminders(self, _button=None) -> None:
        text = form_service.reminder_csv(self._db, self._grant)
        count = max(text.count("\n") - 1, 0)
        payload = base64.b64encode(("\ufeff" + text).encode("utf-8")).decode("ascii")
        cycle = form_service.admin_overview(self._db, self._grant).cycle
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"pengingat-{cycle.nama}").strip("-") + ".csv"
        self._download.value = (f"<a download='{esc(name)}' href='data:text/csv;charset=utf-8;base64,{payload}'>"
                                f"⬇ Unduh daftar pengingat ({count} penilai)</a>")

    @guarded
    def _on_search(self, _button=None) -> None:
        nip = self._nip.value.strip()
        if not re.fullmatch(r"\d{18}", nip):
            raise FormError("NIP harus 18 digit angka.")
        forms = form_service.rater_forms(self._db, self._grant, nip)
        if not forms:
            raise FormError(f"Tidak ada formulir untuk NIP {nip} pada periode ini.")
        self._forms.options = [
            (f"{f.ratee.nama} — {f.relation_label} — {f.status_label}"
             + (f" ({wib(f.terkirim)})" if f.terkirim else ""), f.id) for f in forms]
        self._forms.value = next((f.id for f in forms if f.status == "terkirim"), forms[0].id)
        self._forms.layout.display = None
        self._message.value = ""

    @guarded
    def _on_pick(self, _change=None) -> None:
        self._reopen_button.disabled = self._forms.value is None

    @guarded
    def _on_reopen(self, _button=None) -> None:
        if self._forms.value is None:
            raise FormError("Pilih formulir terlebih dahulu.")
        form_service.reopen(self._db, self._grant, self._forms.value, self._reason.value)
        self._reason.value = ""
        self._on_search()
        self._refresh()
        self._message.value = message_html("ok", "Formulir dibuka kembali sebagai draf; alasannya tercatat di "
                                                 "log audit.")

    def _show_error(self, text: str) -> None:
        self._message.value = message_html("error", text)

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


def _hide(widget: widgets.Widget) -> None:
    widget.layout.display = "none"
