"""'Usulkan rekan penilai' (a pegawai nominates rekan) and 'Persetujuan usulan rekan' (their atasan decides).

After approval the pegawai sees only the stage and how many rekan were approved, never the names: the final list
would tell them who rates them as rekan, including colleagues the atasan added ("no ratee-facing output names a
rater", DOMAIN.md); before approval they see their own proposal, which they typed themselves.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
from sqlite_utils import Database

from .. import nominasi
from ..errors import FormError
from ..links import LinkGrant
from .common import PageView, box, button, esc, guarded, html_box, message_html, section, shared


def _label(c: nominasi.Colleague) -> str:
    return f"{c.nama} — {c.jabatan}, {c.unit}"


class _View(PageView):
    """Both nomination pages: a title under PageView's back button, then its message line."""

    def __init__(self, title: str, *, on_back: Callable[[], None], on_denied: Callable[[], None] | None = None,
                 on_halt: Callable[[str], None] | None = None):
        super().__init__("k360-nominasi", on_back=on_back, on_denied=on_denied, on_halt=on_halt)
        self._head = [self._back, section(title), self._message]


class _Picker:
    """A name search over a ratee's eligible colleagues: a text box, a search button and the results."""

    def __init__(self, db: Database, ratee: str):
        self._db, self._ratee = db, ratee
        self.text = widgets.Text(placeholder="Ketik sebagian nama rekan (min. 2 huruf)", layout=shared("full"))
        self.find = button("Cari")
        self.results = widgets.Select(options=[], rows=6, layout=widgets.Layout(width="100%"))
        self.widget = box([box([self.text, self.find], horizontal=True), self.results], "k360-picker")

    def run(self) -> int:
        found = nominasi.search(self._db, self._ratee, self.text.value)
        self.results.options = [(_label(c), c.nip) for c in found]
        return len(found)

    def chosen(self) -> str | None:
        return self.results.value


class NominationForm(_View):
    """The pegawai's own page: search colleagues by name, pick between the minimum and the maximum, send."""

    def __init__(self, db: Database, grant: LinkGrant, **callbacks):
        super().__init__("Usulkan rekan penilai", **callbacks)
        self._db, self._grant = db, grant
        self._state = nominasi.my_state(db, grant)
        self._chosen: dict[str, str] = {n.rekan.nip: _label(n.rekan) for n in self._state.nominations}
        self._status = html_box()
        self._picker = _Picker(db, grant.rater_nip)
        self._picker.find.on_click(self._on_find)
        self._add = button("Tambahkan ke usulan", button_style="info")
        self._add.on_click(self._on_add)
        self._list = widgets.Select(options=[], rows=6, layout=widgets.Layout(width="100%"))
        self._remove = button("Hapus dari usulan")
        self._remove.on_click(self._on_remove)
        self._send_button = button("Kirim usulan", button_style="primary")
        self._send_button.on_click(self._on_send)
        self._editor = box([html_box("<b>Cari rekan</b>"), self._picker.widget, self._add,
                            html_box("<b>Usulan Anda</b>"), self._list, box([self._remove, self._send_button], horizontal=True)],
                           layout=widgets.Layout(width="100%"))
        self.children = [*self._head, self._status, self._editor]
        self._refresh()

    # public surface for tests and the page
    @property
    def search_text(self) -> widgets.Text:
        return self._picker.text

    @property
    def search_button(self) -> widgets.Button:
        return self._picker.find

    @property
    def results(self) -> widgets.Select:
        return self._picker.results

    @property
    def add_button(self) -> widgets.Button:
        return self._add

    @property
    def chosen(self) -> widgets.Select:
        return self._list

    @property
    def remove_button(self) -> widgets.Button:
        return self._remove

    @property
    def send_button(self) -> widgets.Button:
        return self._send_button

    @property
    def status_html(self) -> str:
        return self._status.value

    def _editable(self) -> bool:
        return self._state.window_open and self._state.stage in ("belum", "menunggu")

    def _refresh(self) -> None:
        s = self._state
        limits = f"Usulkan {s.minimum} sampai {s.maksimum} rekan kerja yang cukup mengenal pekerjaan Anda."
        if s.stage == "disetujui":
            text = (f"Usulan Anda sudah diputuskan atasan: {len(s.approved)} rekan penilai disetujui. Nama rekan "
                    "penilai akhir tidak ditampilkan agar penilaian rekan tetap anonim.")
        elif s.stage == "menunggu":
            text = ("Usulan Anda terkirim dan menunggu persetujuan atasan. "
                    + ("Anda masih dapat mengubahnya selama masa usulan terbuka." if s.window_open else ""))
        else:
            text = "Anda belum mengusulkan rekan penilai." if s.window_open else nominasi.NOT_OPEN
        self._status.value = (f'<div class="k360-muted">{esc(limits)} Rekan yang dapat dipilih: setingkat, dalam '
                              "perangkat daerah yang sama, bukan atasan atau bawahan langsung Anda.</div>"
                              + message_html("info", text))
        self._list.options = [(label, nip) for nip, label in self._chosen.items()] if s.stage != "disetujui" else []
        self._editor.layout.display = None if self._editable() else "none"
        self._send_button.description = f"Kirim usulan ({len(self._chosen)} rekan)"

    @guarded
    def _on_find(self, _button=None) -> None:
        n = self._picker.run()
        self._message.value = "" if n else message_html("info", "Tidak ada rekan yang cocok dengan nama itu.")

    @guarded
    def _on_add(self, _button=None) -> None:
        nip = self._picker.chosen()
        if nip is None:
            raise FormError("Pilih dahulu seorang rekan dari hasil pencarian.")
        if len(self._chosen) >= self._state.maksimum:
            raise FormError(f"Paling banyak {self._state.maksimum} rekan.")
        label = dict((v, k) for k, v in self._picker.results.options).get(nip, nip)
        self._chosen[nip] = label
        self._message.value = ""
        self._refresh()

    @guarded
    def _on_remove(self, _button=None) -> None:
        if self._list.value is None:
            raise FormError("Pilih dahulu rekan yang akan dihapus dari usulan.")
        self._chosen.pop(self._list.value, None)
        self._refresh()

    @guarded
    def _on_send(self, _button=None) -> None:
        self._state = nominasi.nominate(self._db, self._grant, list(self._chosen))
        self._chosen = {n.rekan.nip: _label(n.rekan) for n in self._state.nominations}
        self._refresh()
        self._message.value = message_html("ok", "Usulan terkirim ke atasan Anda.")


class ApprovalForm(_View):
    """The atasan's page: each direct bawahan's proposal; keep, remove with a reason, add, approve."""

    def __init__(self, db: Database, grant: LinkGrant, **callbacks):
        super().__init__("Persetujuan usulan rekan penilai", **callbacks)
        self._db, self._grant = db, grant
        self._who = widgets.Dropdown(options=[], layout=widgets.Layout(width="100%"))
        self._who.observe(self._on_who, names="value")
        self._proposal = html_box()
        self._nominees = widgets.Select(options=[], rows=5, layout=widgets.Layout(width="100%"))
        self._reason = widgets.Text(placeholder="Alasan menghapus rekan ini (wajib)", layout=shared("full"))
        self._drop = button("Hapus dari usulan")
        self._drop.on_click(self._on_drop)
        self._picker: _Picker | None = None
        self._picker_box = box([])
        self._add = button("Tambahkan rekan", button_style="info")
        self._add.on_click(self._on_add)
        self._approve = button("Setujui usulan", button_style="primary")
        self._approve.on_click(self._on_approve)
        self._removed: dict[str, str] = {}
        self._added: dict[str, str] = {}
        self._states: dict[str, nominasi.NominationState] = {}
        self.children = [*self._head, self._who, self._proposal, self._nominees, self._reason, self._drop,
                         html_box("<b>Tambah rekan lain</b>"), self._picker_box, self._add, self._approve]
        self._load()

    @property
    def bawahan(self) -> widgets.Dropdown:
        return self._who

    @property
    def nominees(self) -> widgets.Select:
        return self._nominees

    @property
    def reason(self) -> widgets.Text:
        return self._reason

    @property
    def drop_button(self) -> widgets.Button:
        return self._drop

    @property
    def picker(self) -> _Picker | None:
        return self._picker

    @property
    def add_button(self) -> widgets.Button:
        return self._add

    @property
    def approve_button(self) -> widgets.Button:
        return self._approve

    @property
    def proposal_html(self) -> str:
        return self._proposal.value

    def _load(self) -> None:
        states = [s for s in nominasi.bawahan_states(self._db, self._grant) if s.stage == "menunggu"]
        self._states = {s.ratee.nip: s for s in states}
        self._who.options = [(s.ratee.nama, s.ratee.nip) for s in states]
        self._who.value = states[0].ratee.nip if states else None
        if not states:
            self._message.value = message_html("info", "Tidak ada usulan rekan yang menunggu persetujuan Anda.")
        self._show()

    def _current(self) -> nominasi.NominationState | None:
        return self._states.get(self._who.value) if self._who.value else None

    def _show(self) -> None:
        s = self._current()
        self._removed, self._added = {}, {}
        if s is None:
            self._proposal.value, self._nominees.options = "", []
            self._picker_box.children = []
            return
        self._picker = _Picker(self._db, s.ratee.nip)
        self._picker.find.on_click(self._on_find)
        self._picker_box.children = [self._picker.widget]
        self._render()

    def _render(self) -> None:
        s = self._current()
        if s is None:
            return
        kept = [n for n in s.nominations if n.status == "diusulkan" and n.rekan.nip not in self._removed]
        lines = "".join(f"<li>{esc(_label(n.rekan))}</li>" for n in kept)
        lines += "".join(f"<li>{esc(label)} <i>(tambahan Anda)</i></li>" for label in self._added.values())
        gone = "".join(f"<li><s>{esc(_label(n.rekan))}</s> — {esc(self._removed[n.rekan.nip])}</li>"
                       for n in s.nominations if n.rekan.nip in self._removed)
        total = len(kept) + len(self._added)
        self._proposal.value = (f"<div><b>{esc(s.ratee.nama)}</b> ({esc(s.ratee.jabatan)}) mengusulkan rekan "
                                f"penilai berikut. Yang disetujui harus {s.minimum}–{s.maksimum} rekan; sekarang "
                                f"{total}.</div><ul>{lines}</ul>" + (f"<div>Dihapus:</div><ul>{gone}</ul>" if gone else ""))
        self._nominees.options = [(_label(n.rekan), n.rekan.nip) for n in kept]

    @guarded
    def _on_who(self, _change=None) -> None:
        self._message.value = ""
        self._show()

    @guarded
    def _on_find(self, _button=None) -> None:
        if self._picker is not None:
            self._picker.run()

    @guarded
    def _on_drop(self, _button=None) -> None:
        nip = self._nominees.value
        if nip is None:
            raise FormError("Pilih dahulu rekan yang akan dihapus.")
        reason = " ".join(self._reason.value.split())
        if not reason:
            raise FormError("Tuliskan alasan menghapus rekan ini.")
        self._removed[nip] = reason
        self._reason.value = ""
        self._message.value = ""
        self._render()

    @guarded
    def _on_add(self, _button=None) -> None:
        nip = self._picker.chosen() if self._picker is not None else None
        if nip is None:
            raise FormError("Cari dan pilih dahulu rekan yang akan ditambahkan.")
        self._added[nip] = dict((v, k) for k, v in self._picker.results.options).get(nip, nip)
        self._render()

    @guarded
    def _on_approve(self, _button=None) -> None:
        s = self._current()
        if s is None:
            raise FormError("Tidak ada usulan yang dipilih.")
        done = nominasi.approve(self._db, self._grant, s.ratee.nip, remove=self._removed, add=list(self._added))
        self._load()
        self._message.value = message_html("ok", f"Usulan rekan {done.ratee.nama} disetujui: "
                                                 f"{len(done.approved)} rekan.")


def nomination_entries(show_own: bool, waiting: int, on_own: Callable[[], None],
                       on_approve: Callable[[], None]) -> list[widgets.Widget]:
    """Return the list page's cards: 'Usulkan rekan penilai' and, for an atasan, the approvals waiting."""
    cards: list[widgets.Widget] = []
    if show_own:
        opener = button("Usulkan rekan", button_style="info", tooltip="Usulkan rekan penilai Anda")
        opener.on_click(lambda _b: on_own())
        cards.append(box([html_box('<div class="k360-name">Usulkan rekan penilai</div><div class="k360-muted">Pilih '
                                   "rekan kerja yang akan menilai Anda; atasan Anda menyetujuinya.</div>",
                                   "k360-card-info", layout=shared("auto")), opener], "k360-card", horizontal=True))
    if waiting:
        opener = button("Tinjau usulan", button_style="primary", tooltip="Tinjau usulan rekan bawahan Anda")
        opener.on_click(lambda _b: on_approve())
        cards.append(box([html_box('<div class="k360-name">Persetujuan usulan rekan</div><div class="k360-muted">'
                                   f"{waiting} bawahan menunggu persetujuan Anda atas usulan rekan penilainya.</div>",
                                   "k360-card-info", layout=shared("auto")), opener], "k360-card", horizontal=True))
    return ([section("Usulan rekan penilai")] + cards) if cards else []
