"""Umpan Balik Berkelanjutan in the rater app: an atasan's notes and Ekspektasi for each bawahan, a pegawai's notes.

Both views are reached from the rater's list page through the same personal link. Every write goes through
:mod:`kinerja_lib.umpan_balik`, which re-checks the link, the supervisor relation and the lock; a view says
"tersimpan" only after that write returned.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date

import ipywidgets as widgets
from sqlite_utils import Database

from .. import umpan_balik
from ..instansi import load_instansi
from ..links import LinkGrant
from ..reference import load_instrument
from .common import PageView, box, button, esc, guarded, html_box, log, message_html, section, shared, tanggal

ATASAN_BUTTON = "Umpan balik untuk bawahan"
PEGAWAI_BUTTON = "Catatan umpan balik untuk saya"
BELUM = "Belum dikonfirmasi pegawai"


def _local_date(stamp: str | None) -> str:
    """A stored UTC timestamp as an Indonesian date in the instansi's zone ('' for none)."""
    return tanggal(load_instansi().local(stamp).date().isoformat()) if stamp else ""


def note_html(n: umpan_balik.Note, *, for_pegawai: bool) -> str:
    """Return one note as escaped HTML: date, who, what was discussed, follow-up, link, acknowledgement."""
    names = load_instrument().value_names()
    who = (f"Dari atasan: <b>{esc(n.atasan_nama)}</b>" if for_pegawai
           else f"Untuk: <b>{esc(n.nama)}</b>")
    extra = ""
    if n.nilai:
        extra += f'<div class="k360-muted">Nilai BerAKHLAK: {esc(names.get(n.nilai, n.nilai))}</div>'
    if n.butir_skp:
        extra += f'<div class="k360-muted">Butir SKP: {esc(n.butir_skp)}</div>'
    if n.locked:
        state = (f'<span class="k360-badge k360-badge-terkirim">Dikonfirmasi pegawai '
                 f"{esc(_local_date(n.dikonfirmasi))}</span>")
        if n.tanggapan:
            state += f'<div><b>Tanggapan pegawai:</b> {esc(n.tanggapan)}</div>'
    else:
        state = f'<span class="k360-badge k360-badge-draf">{BELUM}</span>'
    follow = esc(n.tindak_lanjut) if n.tindak_lanjut else '<span class="k360-muted">–</span>'
    return (f'<div class="k360-name">Dialog {esc(tanggal(n.tanggal))}</div><div class="k360-muted">{who}</div>'
            f"<div><b>Hal yang dibahas:</b> {esc(n.topik)}</div>"
            f"<div><b>Tindak lanjut yang disepakati:</b> {follow}</div>{extra}<div>{state}</div>")


class _View(PageView):
    """What both views share: the link's pegawai and year, besides PageView's back button and message line."""

    def __init__(self, db: Database, grant: LinkGrant, *, on_back: Callable[[], None],
                 on_denied: Callable[[], None], on_halt: Callable[[str], None]):
        super().__init__("k360-umpan-balik", on_back=on_back, on_denied=on_denied, on_halt=on_halt)
        self._db, self._grant = db, grant
        self._nip, self._tahun = umpan_balik.grant_owner(db, grant)


class AtasanView(_View):
    """The atasan's page: pick a direct bawahan, read and write dialog notes, set the year's Ekspektasi."""

    def __init__(self, db: Database, grant: LinkGrant, **callbacks):
        super().__init__(db, grant, **callbacks)
        people = umpan_balik.bawahan(db, self._nip)
        self._bawahan = widgets.Dropdown(options=[(f"{p.nama} (NIP {p.nip})", p.nip) for p in people],
                                         value=people[0].nip if people else None, description="Bawahan",
                                         layout=shared("full"))
        self._bawahan.observe(self._on_pick, names="value")
        self._editing: int | None = None
        self._notes_box = box([])
        self._edit_buttons: dict[int, widgets.Button] = {}
        values = load_instrument().values
        self._tanggal = widgets.DatePicker(description="Tanggal dialog", value=self._default_date(),
                                           style={"description_width": "initial"}, layout=shared("full"))
        self._topik = widgets.Textarea(placeholder="Hal yang dibahas (wajib)", rows=3, layout=shared("full"))
        self._tindak = widgets.Textarea(placeholder="Tindak lanjut yang disepakati", rows=3, layout=shared("full"))
        self._nilai = widgets.Dropdown(options=[("(tidak dikaitkan)", "")] + [(v.nama, v.kode) for v in values],
                                       value="", description="Nilai BerAKHLAK",
                                       style={"description_width": "initial"}, layout=shared("full"))
        self._skp = widgets.Text(placeholder="Butir SKP terkait (tidak wajib)", layout=shared("full"))
        self._save = button("Simpan catatan", button_style="primary", tooltip="Simpan catatan umpan balik")
        self._save.on_click(self._on_save)
        self._cancel = button("Batal mengubah", tooltip="Batalkan perubahan catatan")
        self._cancel.on_click(self._on_cancel)
        self._cancel.layout = widgets.Layout(display="none")
        self._form_title = html_box("<b>Catatan baru</b>")
        self._ekspektasi: dict[str, widgets.Textarea] = {}
        expect_rows: list[widgets.Widget] = []
        for v in values:
            text = widgets.Textarea(placeholder=f"Ekspektasi untuk nilai {v.nama} (tidak wajib)", rows=2,
                                    continuous_update=False, layout=shared("full"))
            text.observe(functools.partial(self._on_ekspektasi, v.kode), names="value")
            self._ekspektasi[v.kode] = text
            expect_rows += [html_box(f"<b>{esc(v.nama)}</b>"), text]
        self._syncing = False
        if not people:
            body: list[widgets.Widget] = [html_box(message_html("info", "Anda tidak mempunyai bawahan langsung "
                                                                        "menurut daftar pegawai."))]
        else:
            body = [self._bawahan, section(f"Catatan umpan balik tahun {self._tahun}"), self._notes_box,
                    box([self._form_title, self._tanggal, self._topik, self._tindak, self._nilai, self._skp,
                         box([self._save, self._cancel], horizontal=True)], "k360-value"),
                    section(f"Ekspektasi untuk pegawai ini, tahun {self._tahun}"),
                    html_box('<div class="k360-muted">Ditampilkan di formulir penilaian pegawai ini di samping '
                             "Ekspektasi Khusus Pimpinan unit. Tersimpan saat Anda berpindah dari kolom; kosongkan "
                             "kolom untuk menghapus.</div>"), *expect_rows]
        self.children = [self._back, html_box('<h1 class="k360-page-title">Umpan Balik Berkelanjutan</h1>'
                                              '<div class="k360-muted">Catat dialog kinerja dengan setiap bawahan '
                                              "sepanjang tahun (PermenPANRB 6/2022). Catatan dapat diubah sampai "
                                              "pegawai mengonfirmasinya; sesudah itu tetap, ralat dibuat sebagai "
                                              "catatan baru.</div>"), self._message, *body]
        if people:
            self._load()

    # ------------------------------------------------------------------ public surface for tests and the page

    @property
    def bawahan(self) -> widgets.Dropdown:
        return self._bawahan

    @property
    def fields(self) -> dict[str, widgets.Widget]:
        return {"tanggal": self._tanggal, "topik": self._topik, "tindak_lanjut": self._tindak,
                "nilai": self._nilai, "butir_skp": self._skp}

    @property
    def save_button(self) -> widgets.Button:
        return self._save

    @property
    def edit_buttons(self) -> dict[int, widgets.Button]:
        return dict(self._edit_buttons)

    @property
    def ekspektasi(self) -> dict[str, widgets.Textarea]:
        return dict(self._ekspektasi)

    def notes_html(self) -> str:
        return "\n".join(w.value for c in self._notes_box.children
                         for w in getattr(c, "children", (c,)) if isinstance(w, widgets.HTML))

    # ------------------------------------------------------------------ building

    def _load(self) -> None:
        nip = self._bawahan.value
        cards: list[widgets.Widget] = []
        self._edit_buttons = {}
        for n in umpan_balik.notes(self._db, nip=nip, atasan_nip=self._nip, tahun=self._tahun):
            parts: list[widgets.Widget] = [html_box(note_html(n, for_pegawai=False), layout=shared("auto"))]
            if not n.locked:
                edit = button("Ubah", tooltip=f"Ubah catatan {tanggal(n.tanggal)}")
                edit.on_click(functools.partial(self._on_edit, n.id))
                self._edit_buttons[n.id] = edit
                parts.append(edit)
            cards.append(box(parts, "k360-card", horizontal=True))
        if not cards:
            cards.append(html_box('<div class="k360-muted">Belum ada catatan untuk pegawai ini tahun ini.</div>'))
        old = self._notes_box.children
        self._notes_box.children = cards
        for w in old:
            w.close()
        stored = umpan_balik.ekspektasi(self._db, nip, self._tahun)
        self._syncing = True
        try:
            for code, text in self._ekspektasi.items():
                text.value = stored.get(code, "")
        finally:
            self._syncing = False

    def _default_date(self) -> date:
        """Today, or the last day of the link's performance year once that year is over."""
        return min(load_instansi().today(), date(self._tahun, 12, 31))

    def _clear_form(self) -> None:
        self._editing = None
        self._tanggal.value = self._default_date()
        self._topik.value = self._tindak.value = self._skp.value = ""
        self._nilai.value = ""
        self._form_title.value = "<b>Catatan baru</b>"
        self._save.description = "Simpan catatan"
        self._cancel.layout.display = "none"

    # ------------------------------------------------------------------ callbacks

    @guarded
    def _on_pick(self, _change=None) -> None:
        self._clear_form()
        self._message.value = ""
        self._load()

    @guarded
    def _on_edit(self, note_id: int, _button=None) -> None:
        n = umpan_balik.note(self._db, note_id)
        if n is None or n.atasan_nip != self._nip or n.locked:
            raise umpan_balik.UmpanBalikError(umpan_balik.LOCKED if n is not None and n.locked
                                              else "Catatan ini tidak tersedia untuk Anda.")
        self._editing = note_id
        self._tanggal.value = date.fromisoformat(n.tanggal)
        self._topik.value, self._tindak.value = n.topik, n.tindak_lanjut
        self._nilai.value = n.nilai or ""
        self._skp.value = n.butir_skp or ""
        self._form_title.value = f"<b>Mengubah catatan dialog {esc(tanggal(n.tanggal))}</b>"
        self._save.description = "Simpan perubahan"
        self._cancel.layout.display = None

    @guarded
    def _on_cancel(self, _button=None) -> None:
        self._clear_form()

    @guarded
    def _on_save(self, _button=None) -> None:
        fields = {"tanggal": self._tanggal.value, "topik": self._topik.value, "tindak_lanjut": self._tindak.value,
                  "nilai": self._nilai.value or None, "butir_skp": self._skp.value, "tahun": self._tahun}
        nip = self._bawahan.value
        if self._editing is None:
            umpan_balik.add_note(self._db, self._nip, nip, **fields, pelaku=self._grant.pelaku, grant=self._grant)
            done = "Catatan tersimpan."
        else:
            umpan_balik.edit_note(self._db, self._editing, self._nip, **fields, pelaku=self._grant.pelaku,
                                  grant=self._grant)
            done = "Perubahan catatan tersimpan."
        log.info("umpan balik saved by %s for %s", self._nip, nip)
        self._clear_form()
        self._load()
        self._say("ok", done)

    @guarded
    def _on_ekspektasi(self, code: str, change: dict) -> None:
        if self._syncing:
            return
        name = load_instrument().value_names()[code]
        # a refused text stays in the box so it can be corrected; the message says why
        umpan_balik.set_ekspektasi(self._db, self._nip, self._bawahan.value, self._tahun, code, change["new"],
                                   pelaku=self._grant.pelaku, grant=self._grant)
        self._say("ok", f"Ekspektasi {name} {'tersimpan' if change['new'].strip() else 'dihapus'}.")


class PegawaiView(_View):
    """The pegawai's page: the notes their atasan wrote this year, each to acknowledge with an optional answer."""

    def __init__(self, db: Database, grant: LinkGrant, **callbacks):
        super().__init__(db, grant, **callbacks)
        self._list = box([])
        self._confirm_buttons: dict[int, widgets.Button] = {}
        self._answers: dict[int, widgets.Textarea] = {}
        self.children = [self._back, html_box('<h1 class="k360-page-title">Catatan umpan balik untuk saya</h1>'
                                              '<div class="k360-muted">Catatan dialog kinerja dari atasan Anda '
                                              f"tahun {self._tahun}. Konfirmasi bahwa Anda sudah membacanya; Anda "
                                              "dapat menambahkan tanggapan. Sesudah dikonfirmasi catatan tidak "
                                              "berubah lagi.</div>"), self._message, self._list]
        self._load()

    @property
    def confirm_buttons(self) -> dict[int, widgets.Button]:
        return dict(self._confirm_buttons)

    @property
    def answers(self) -> dict[int, widgets.Textarea]:
        return dict(self._answers)

    def notes_html(self) -> str:
        return "\n".join(w.value for c in self._list.children
                         for w in getattr(c, "children", (c,)) if isinstance(w, widgets.HTML))

    def _load(self) -> None:
        cards: list[widgets.Widget] = []
        self._confirm_buttons, self._answers = {}, {}
        for n in umpan_balik.notes(self._db, nip=self._nip, tahun=self._tahun):
            parts: list[widgets.Widget] = [html_box(note_html(n, for_pegawai=True))]
            if not n.locked:
                answer = widgets.Textarea(placeholder="Tanggapan Anda (tidak wajib)", rows=2, layout=shared("full"))
                confirm = button("Konfirmasi sudah membaca", button_style="primary",
                                 tooltip=f"Konfirmasi catatan {tanggal(n.tanggal)}")
                confirm.on_click(functools.partial(self._on_confirm, n.id))
                self._answers[n.id], self._confirm_buttons[n.id] = answer, confirm
                parts += [answer, confirm]
            cards.append(box(parts, "k360-value"))
        if not cards:
            cards.append(html_box(message_html("info", "Belum ada catatan umpan balik untuk Anda tahun ini.")))
        old = self._list.children
        self._list.children = cards
        for w in old:
            w.close()

    @guarded
    def _on_confirm(self, note_id: int, _button=None) -> None:
        answer = self._answers.get(note_id)
        umpan_balik.acknowledge(self._db, note_id, self._nip, answer.value if answer is not None else "",
                                pelaku=self._grant.pelaku, grant=self._grant)
        self._load()
        self._say("ok", "Terima kasih. Catatan sudah dikonfirmasi dan tersimpan.")


def entry(db: Database, grant: LinkGrant, show: Callable[[Callable[[], widgets.Widget]], None],
          **callbacks) -> widgets.Widget:
    """Return the list page's row of buttons opening the feedback views (the atasan's only for an atasan).

    ``show(make)`` puts the view ``make()`` builds in place of the list (the caller guards it);
    ``callbacks`` are the views' on_back, on_denied and on_halt.
    """
    if grant.rater_nip is None:  # a "pihak lain" rater from outside the roster has no atasan and no bawahan here
        return box([], "k360-umpan-balik-entry", horizontal=True)
    nip, tahun = umpan_balik.grant_owner(db, grant)
    waiting = umpan_balik.unconfirmed(db, nip, tahun)
    mine = button(PEGAWAI_BUTTON + (f" ({waiting} baru)" if waiting else ""), "k360-umpan-balik-saya",
                  tooltip="Baca dan konfirmasi catatan umpan balik dari atasan Anda")
    mine.on_click(lambda _b: show(lambda: PegawaiView(db, grant, **callbacks)))
    buttons = [mine]
    if umpan_balik.bawahan(db, nip):
        team = button(ATASAN_BUTTON, "k360-umpan-balik-atasan",
                      tooltip="Catat dialog kinerja dan ekspektasi untuk bawahan langsung Anda")
        team.on_click(lambda _b: show(lambda: AtasanView(db, grant, **callbacks)))
        buttons.insert(0, team)
    return box(buttons, "k360-umpan-balik-entry", horizontal=True)
