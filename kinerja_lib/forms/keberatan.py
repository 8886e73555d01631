"""Keberatan in the rater app: a pegawai objects to their decided predikat, the atasan of the Pejabat Penilai decides.

Both views are reached from the rater's list page through the same personal link. Every write goes through
:mod:`kinerja_lib.keberatan`, which re-checks the link and who may act inside its transaction; a view says
"terkirim" or "tersimpan" only after that write returned.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import ipywidgets as widgets
from sqlite_utils import Database

from .. import keberatan
from ..errors import ReferenceDataError
from ..instansi import load_instansi
from ..links import LinkGrant
from ..vocabulary import VOCAB
from .common import PageView, box, button, esc, guarded, html_box, log, message_html, section, shared, tanggal

PEGAWAI_BUTTON = "Keberatan atas predikat"
PEMUTUS_BUTTON = "Keberatan yang menunggu keputusan Anda"
UNCHANGED = "(tidak diubah)"


def when(stamp) -> str:
    """A stored UTC moment as an Indonesian date and time in the instansi's zone, e.g. '24 Januari 2027 09.00 WIB'.

    >>> when("2027-01-24T02:00:00+00:00")
    '24 Januari 2027 09.00 WIB'
    """
    if not stamp:
        return ""
    instansi = load_instansi()
    local = instansi.local(stamp)
    return f"{tanggal(local.date().isoformat())} {local:%H.%M} {instansi.zone_label}"


def _status_label(code: str) -> str:
    return VOCAB.status_keberatan.label(code)


def objection_html(o: keberatan.Objection, *, for_pemutus: bool) -> str:
    """Return one objection as escaped HTML: who (for the decider), predikat, reason, dates, status, decision."""
    head = ""
    if for_pemutus:
        head = (f'<div class="k360-name">{esc(o.nama)}</div>'
                f'<div class="k360-muted">NIP {esc(o.nip)} · {esc(o.unit)}</div>')
    badge = {keberatan.DIAJUKAN: "draf", keberatan.DITERIMA: "terkirim", keberatan.DITOLAK: "belum"}.get(o.status,
                                                                                                      "belum")
    late = (' <span class="k360-badge k360-badge-tunggu k360-late">Lewat tenggat keputusan</span>'
            if o.terlambat else "")
    text = (f"{head}<div><b>Predikat yang diajukan keberatan:</b> {esc(o.predikat)}</div>"
            f"<div><b>Alasan:</b> {esc(o.alasan)}</div>"
            f'<div class="k360-muted">Diajukan {esc(when(o.diajukan))} · diputus paling lambat '
            f"{esc(when(o.tenggat_keputusan))}</div>"
            f'<div>Status: <span class="k360-badge k360-badge-{badge}">{esc(_status_label(o.status))}</span>{late}'
            "</div>")
    if o.status in (keberatan.DITERIMA, keberatan.DITOLAK):
        text += (f"<div><b>Keputusan ({esc(when(o.diputuskan))}):</b> {esc(o.keputusan)}</div>")
        if o.predikat_baru:
            text += f"<div><b>Predikat kinerja sesudah keputusan:</b> {esc(o.predikat_baru)}</div>"
    elif o.status == keberatan.DITARIK:
        text += f'<div class="k360-muted">Ditarik {esc(when(o.diputuskan))}</div>'
    return text


class _View(PageView):
    """What both views share: a title and introduction above PageView's message line, and a body that reloads."""

    def __init__(self, db: Database, grant: LinkGrant, title: str, intro: str, *, on_back: Callable[[], None],
                 on_denied: Callable[[], None], on_halt: Callable[[str], None]):
        super().__init__("k360-keberatan", on_back=on_back, on_denied=on_denied, on_halt=on_halt)
        self._db, self._grant = db, grant
        self._head = [self._back, html_box(f'<h1 class="k360-page-title">{esc(title)}</h1>'
                                           f'<div class="k360-muted">{esc(intro)}</div>'), self._message]
        self._keep: list[widgets.Widget] = []  # reused across reloads: never closed

    def _set_body(self, body: list[widgets.Widget]) -> None:
        old = [w for w in self.children if w not in self._head]
        self.children = [*self._head, *body]
        for w in old:
            if not any(w is k for k in self._keep):
                w.close()


class PegawaiView(_View):
    """The pegawai's page: the decided predikat, the deadline, their objections, and the form to lodge one."""

    def __init__(self, db: Database, grant: LinkGrant, **callbacks):
        route = keberatan.load_route()
        super().__init__(db, grant, "Keberatan atas predikat kinerja",
                         "Anda dapat mengajukan keberatan atas predikat kinerja yang sudah ditetapkan Pejabat Penilai "
                         f"Kinerja dalam {route.tenggat_pengajuan_hari} hari kalender sejak penetapan. Keberatan "
                         "diputus oleh atasan Pejabat Penilai Kinerja Anda dalam "
                         f"{route.tenggat_keputusan_hari} hari kalender. Alur dan tenggat ini {route.sumber}.",
                         **callbacks)
        self._alasan = widgets.Textarea(placeholder="Alasan keberatan (wajib)", rows=5, layout=shared("full"))
        self._lodge = button("Ajukan keberatan", button_style="primary",
                             tooltip="Kirim keberatan kepada atasan Pejabat Penilai Kinerja Anda")
        self._lodge.on_click(self._on_lodge)
        self._withdraw = button("Tarik keberatan", tooltip="Tarik keberatan yang belum diputus")
        self._withdraw.on_click(self._on_withdraw)
        self._confirm_text = html_box()
        self._confirm_yes = button("Ya, tarik keberatan", button_style="warning")
        self._confirm_yes.on_click(self._on_confirm)
        self._confirm_no = button("Batal")
        self._confirm_no.on_click(self._on_cancel)
        self._confirm_box = box([self._confirm_text, box([self._confirm_yes, self._confirm_no], "k360-row",
                                                          horizontal=True)], "k360-confirm",
                                layout=widgets.Layout(width="100%", display="none"))
        self._keep = [self._alasan, self._lodge, self._confirm_box]
        self._confirming: int | None = None
        self._standing: keberatan.Standing | None = None
        self._load()

    # ------------------------------------------------------------------ public surface for tests and the page

    @property
    def alasan(self) -> widgets.Textarea:
        return self._alasan

    @property
    def lodge_button(self) -> widgets.Button:
        return self._lodge

    @property
    def withdraw_button(self) -> widgets.Button:
        return self._withdraw

    @property
    def confirm_button(self) -> widgets.Button:
        return self._confirm_yes

    @property
    def cancel_button(self) -> widgets.Button:
        return self._confirm_no

    @property
    def standing(self) -> keberatan.Standing | None:
        return self._standing

    # ------------------------------------------------------------------ building

    def _load(self) -> None:
        s = self._standing = keberatan.own_standing(self._db, self._grant)
        self._confirming = None
        if s is None:
            self._set_body([html_box(message_html(
                "info", "Predikat kinerja Anda pada periode ini belum ditetapkan Pejabat Penilai Kinerja; keberatan "
                        "baru dapat diajukan sesudah predikat ditetapkan."))])
            return
        deadline = f"{when(s.tenggat_pengajuan)}"
        body: list[widgets.Widget] = [html_box(
            f'<div class="k360-value"><div>Predikat kinerja Anda yang ditetapkan: <b>{esc(s.predikat)}</b></div>'
            f'<div class="k360-muted">Ditetapkan {esc(when(s.ditetapkan))}. Batas pengajuan keberatan: '
            f'<span class="k360-nw"><b>{esc(deadline)}</b></span>.</div></div>', "k360-keberatan-predikat")]
        open_one = s.terbuka
        if s.objections:
            body.append(section("Keberatan Anda"))
            for o in s.objections:
                parts: list[widgets.Widget] = [html_box(objection_html(o, for_pemutus=False))]
                if open_one is not None and o.id == open_one.id:
                    parts.append(self._withdraw)
                body.append(box(parts, "k360-value", "k360-keberatan-item"))
            if open_one is not None:
                self._confirm_box.layout.display = "none"
                body.append(self._confirm_box)
        if s.dapat_diajukan:
            self._alasan.value = ""
            body += [section("Ajukan keberatan"),
                     html_box(f'<div class="k360-muted">Tuliskan alasan keberatan Anda (paling banyak '
                              f"{keberatan.TEXT_LIMIT} karakter). Keberatan dikirim kepada atasan Pejabat Penilai "
                              "Kinerja Anda; selama belum diputus Anda dapat menariknya.</div>"),
                     self._alasan, self._lodge]
        elif s.lewat_tenggat and open_one is None:
            body.append(html_box(message_html(
                "info", f"Tenggat pengajuan keberatan sudah lewat ({deadline}); keberatan tidak dapat diajukan lagi.")))
        self._set_body(body)

    # ------------------------------------------------------------------ callbacks

    @guarded
    def _on_lodge(self, _button=None) -> None:
        number = keberatan.lodge(self._db, self._grant.cycle_id, self._grant.rater_nip, self._alasan.value,
                                 pelaku=self._grant.pelaku, grant=self._grant)
        self._load()
        self._say("ok", f"Keberatan nomor {number} terkirim kepada atasan Pejabat Penilai Kinerja Anda.")

    @guarded
    def _on_withdraw(self, _button=None) -> None:
        s = self._standing
        if s is None or s.terbuka is None:
            raise keberatan.KeberatanError("Tidak ada keberatan yang menunggu keputusan.")
        self._confirming = s.terbuka.id
        self._confirm_text.value = (f"Tarik keberatan nomor {s.terbuka.id} atas predikat <b>{esc(s.predikat)}</b>? "
                                    "Keberatan yang ditarik tidak diputus.")
        self._confirm_box.layout.display = None

    @guarded
    def _on_cancel(self, _button=None) -> None:
        self._confirming = None
        self._confirm_box.layout.display = "none"

    @guarded
    def _on_confirm(self, _button=None) -> None:
        number = self._confirming
        if number is None:
            raise keberatan.KeberatanError("Tekan “Tarik keberatan” terlebih dahulu.")
        self._confirming = None
        keberatan.withdraw(self._db, number, pelaku=self._grant.pelaku, grant=self._grant)
        self._load()
        self._say("ok", f"Keberatan nomor {number} sudah ditarik.")


class PemutusView(_View):
    """The decider's page: the open objections to the decisions of the Pejabat Penilai they supervise."""

    def __init__(self, db: Database, grant: LinkGrant, **callbacks):
        route = keberatan.load_route()
        super().__init__(db, grant, "Keberatan yang menunggu keputusan Anda",
                         "Anda adalah atasan Pejabat Penilai Kinerja pegawai berikut. Putuskan setiap keberatan "
                         f"dalam {route.tenggat_keputusan_hari} hari kalender sejak diajukan; keputusan sesudah "
                         f"tenggat tetap dicatat dan ditandai terlambat. Alur ini {route.sumber}.", **callbacks)
        self._choice: dict[int, widgets.ToggleButtons] = {}
        self._text: dict[int, widgets.Textarea] = {}
        self._ratings: dict[int, dict[str, widgets.Dropdown]] = {}
        self._decide: dict[int, widgets.Button] = {}
        self._confirm_text = html_box()
        self._confirm_yes = button("Ya, simpan keputusan", button_style="success")
        self._confirm_yes.on_click(self._on_confirm)
        self._confirm_no = button("Batal")
        self._confirm_no.on_click(self._on_cancel)
        self._confirm_box = box([self._confirm_text, box([self._confirm_yes, self._confirm_no], "k360-row",
                                                          horizontal=True)], "k360-confirm",
                                layout=widgets.Layout(width="100%", display="none"))
        self._keep = [self._confirm_box]
        self._waiting: dict[int, keberatan.Objection] = {}
        self._pending: tuple | None = None
        self._load()

    @property
    def choices(self) -> dict[int, widgets.ToggleButtons]:
        """Objection id -> its 'Diterima'/'Ditolak' buttons (value True/False)."""
        return dict(self._choice)

    @property
    def texts(self) -> dict[int, widgets.Textarea]:
        return dict(self._text)

    @property
    def ratings(self) -> dict[int, dict[str, widgets.Dropdown]]:
        """Objection id -> {'rating_hasil_kerja'|'rating_perilaku': its new-rating dropdown (None: unchanged)}."""
        return {k: dict(v) for k, v in self._ratings.items()}

    @property
    def decide_buttons(self) -> dict[int, widgets.Button]:
        return dict(self._decide)

    @property
    def confirm_button(self) -> widgets.Button:
        return self._confirm_yes

    @property
    def cancel_button(self) -> widgets.Button:
        return self._confirm_no

    def _load(self) -> None:
        waiting = keberatan.awaiting(self._db, self._grant)
        self._choice, self._text, self._ratings, self._decide = {}, {}, {}, {}
        self._pending = None
        self._confirm_box.layout.display = "none"
        body: list[widgets.Widget] = [self._confirm_box]
        options = [(UNCHANGED, None)] + [(r, r) for r in VOCAB.rating.codes]
        for o in waiting:
            choice = widgets.ToggleButtons(options=[("Diterima", True), ("Ditolak", False)], value=None,
                                           layout=shared("full"), style=shared("toggle"),
                                           _dom_classes=("k360-scale", "k360-keberatan-putusan"))
            text = widgets.Textarea(placeholder="Uraian keputusan (wajib): dasar pertimbangan Anda", rows=4,
                                    layout=shared("full"))
            new = {key: widgets.Dropdown(options=options, value=None, description=label,
                                         style={"description_width": "initial"}, layout=shared("full"))
                   for key, label in (("rating_hasil_kerja", "Rating Hasil Kerja baru (bila diterima)"),
                                      ("rating_perilaku", "Rating Perilaku Kerja baru (bila diterima)"))}
            go = button("Putuskan", button_style="primary", tooltip=f"Putuskan keberatan {o.nama}")
            go.on_click(functools.partial(self._on_decide, o.id))
            self._choice[o.id], self._text[o.id], self._ratings[o.id], self._decide[o.id] = choice, text, new, go
            body.append(box([html_box(objection_html(o, for_pemutus=True)), choice, text, *new.values(), go],
                            "k360-value", "k360-keberatan-item"))
        if not waiting:
            body.append(html_box(message_html("info", "Tidak ada keberatan yang menunggu keputusan Anda.")))
        decided = keberatan.decided_by(self._db, self._grant)
        if decided:
            body.append(section("Sudah Anda putuskan"))
            body += [html_box(objection_html(o, for_pemutus=True), "k360-value", "k360-keberatan-riwayat")
                     for o in decided]
        self._set_body(body)
        self._waiting = {o.id: o for o in waiting}

    @guarded
    def _on_decide(self, number: int, _button=None) -> None:
        o = self._waiting.get(number)
        if o is None:
            raise keberatan.KeberatanError(f"Keberatan nomor {number} tidak ditemukan")
        diterima = self._choice[number].value
        if diterima is None:
            raise keberatan.KeberatanError("Pilih Diterima atau Ditolak.")
        text = self._text[number].value
        if not text.strip():
            raise keberatan.KeberatanError("Uraian keputusan wajib diisi")
        new = {k: d.value for k, d in self._ratings[number].items()} if diterima else {}
        if not diterima and any(d.value for d in self._ratings[number].values()):
            raise keberatan.KeberatanError("Keberatan yang ditolak tidak mengubah rating")
        self._pending = (number, diterima, text, new)
        changes = "; ".join(f"{label} menjadi {esc(new[k])}" for k, label in (
            ("rating_hasil_kerja", "Rating Hasil Kerja"), ("rating_perilaku", "Rating Perilaku Kerja")) if new.get(k))
        self._confirm_text.value = (f"Simpan keputusan: keberatan <b>{esc(o.nama)}</b> (NIP {esc(o.nip)}) "
                                    f"<b>{'diterima' if diterima else 'ditolak'}</b>"
                                    f"{'; ' + changes if changes else ''}? Keputusan tidak dapat diubah.")
        self._confirm_box.layout.display = None

    @guarded
    def _on_cancel(self, _button=None) -> None:
        self._pending = None
        self._confirm_box.layout.display = "none"

    @guarded
    def _on_confirm(self, _button=None) -> None:
        if self._pending is None:
            raise keberatan.KeberatanError("Tekan “Putuskan” terlebih dahulu.")
        number, diterima, text, new = self._pending
        self._pending = None
        nama = self._waiting[number].nama
        predikat = keberatan.decide(self._db, number, diterima, text, pemutus_nip=self._grant.rater_nip,
                                    pelaku=self._grant.pelaku, grant=self._grant,
                                    rating_hasil_kerja=new.get("rating_hasil_kerja"),
                                    rating_perilaku=new.get("rating_perilaku"))
        self._load()
        self._say("ok", f"Keputusan tersimpan: keberatan {nama} {'diterima' if diterima else 'ditolak'}; "
                        f"predikat kinerja: {predikat}.")


def entries(db: Database, grant: LinkGrant, show: Callable[[Callable[[], widgets.Widget]], None],
            **callbacks) -> list[widgets.Widget]:
    """Return the list page's 'Keberatan' cards: the pegawai's (only with a decided predikat) and the decider's
    (only while objections await them). ``show(make)`` puts the view ``make()`` builds in place of the list;
    ``callbacks`` are the views' on_back, on_denied and on_halt."""
    if grant.rater_nip is None:  # a "pihak lain" rater has no predikat here and decides nothing
        return []
    cards: list[widgets.Widget] = []
    try:
        standing = keberatan.own_standing(db, grant)
    except ReferenceDataError:  # a broken keberatan.yaml must not take the rater's list page down with it
        log.exception("keberatan route unreadable; the list page shows no keberatan entry")
        return []
    if standing is not None:
        state = ("Keberatan Anda sedang menunggu keputusan." if standing.terbuka is not None else
                 f"Dapat diajukan sampai {when(standing.tenggat_pengajuan)}." if standing.dapat_diajukan else
                 "Tenggat pengajuan keberatan sudah lewat." if standing.lewat_tenggat else "")
        opener = button(PEGAWAI_BUTTON, "k360-keberatan-saya", tooltip="Lihat atau ajukan keberatan atas predikat")
        opener.on_click(lambda _b: show(lambda: PegawaiView(db, grant, **callbacks)))
        info = html_box(f'<div class="k360-name">{PEGAWAI_BUTTON}</div><div class="k360-muted">Predikat kinerja '
                        f"Anda yang ditetapkan: {esc(standing.predikat)}. {esc(state)}</div>", "k360-card-info",
                        layout=shared("auto"))
        cards.append(box([info, opener], "k360-card", horizontal=True))
    waiting = len(keberatan.awaiting(db, grant))
    if waiting or keberatan.decided_by(db, grant):  # after the last decision, the history stays reachable
        label = f"{PEMUTUS_BUTTON} ({waiting})"
        opener = button(label, "k360-keberatan-pemutus", button_style="primary",
                        tooltip="Putuskan keberatan pegawai atas predikatnya")
        opener.on_click(lambda _b: show(lambda: PemutusView(db, grant, **callbacks)))
        info = html_box(f'<div class="k360-name">{esc(label)}</div><div class="k360-muted">Sebagai atasan Pejabat '
                        "Penilai Kinerja, Anda memutus keberatan pegawai atas predikatnya.</div>", "k360-card-info",
                        layout=shared("auto"))
        cards.append(box([info, opener], "k360-card", horizontal=True))
    return [section("Keberatan"), *cards] if cards else []
