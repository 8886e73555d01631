"""The rater's app: the list of colleagues to rate and the per-person BerAKHLAK and competency form."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

import ipywidgets as widgets
from sqlite_utils import Database

from .. import form_service, nominasi, report_access
from ..errors import FormConflict, FormError
from ..form_service import UNANSWERED, FormSpec, Progress
from ..instansi import load_instansi
from ..links import LinkGrant
from ..reference import load_scale, load_vocabulary
from ..store import RATINGS
from . import keberatan as keberatan_view
from . import umpan_balik
from .common import (bar, box, button, cycle_title, denied_view, esc, guarded, halted_view, html_box, log,
                     message_html, section, shared, style, tanggal)
from .laporan import OwnReportView, report_entry
from .nominasi import ApprovalForm, NominationForm, nomination_entries

#: Widget value standing for "tidak dapat menilai" (stored as NULL); 0 is never a score.
TDM = 0
MISSING_SHOWN = 10

ACTION_LABEL = {"belum": "Mulai menilai", "draf": "Lanjutkan", "terkirim": "Lihat"}


def _close_tree(widget: widgets.Widget) -> None:
    """Close a widget and all its descendants so their kernel-side comms are freed."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()


def _show(widget: widgets.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


SAVED_PREFIX = "k360-saved-"


def item_class(code: str) -> str:
    """The CSS class naming an item's box, e.g. 'k360-item-B6-2' for B6.2 (the page's jumps look for it).

    >>> item_class("B6.2")
    'k360-item-B6-2'
    """
    return "k360-item-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in code)


def mark_saved(widget: widgets.Widget, index: int | None) -> None:
    """Mark a choice widget with the option index the database holds (``k360-saved-<index>``; none: nothing).

    The page's script compares it with the option shown as selected: only when they agree does the
    page say "Tersimpan", so a click that never reached the database is never shown as saved.
    """
    classes = [c for c in widget._dom_classes if not c.startswith(SAVED_PREFIX)]
    if index is not None:
        classes.append(f"{SAVED_PREFIX}{index}")
    if tuple(classes) != tuple(widget._dom_classes):
        widget._dom_classes = tuple(classes)


class AssessmentForm(widgets.VBox):
    """The form for one colleague: 21 BerAKHLAK indicators, competencies, comments, decisions, submit.

    Every change is saved at once through ``form_service`` (which re-checks everything); a refused
    change is put back to the stored value and explained.
    """

    def __init__(self, db: Database, grant: LinkGrant, spec: FormSpec, *,
                 on_back: Callable[[], None], on_denied: Callable[[], None],
                 on_halt: Callable[[str], None] | None = None):
        super().__init__(layout=shared("full"), _dom_classes=("k360-form",))
        self._db, self._grant, self._spec = db, grant, spec
        self._aid = spec.assignment.id
        self._on_back_cb, self._on_denied_cb = on_back, on_denied
        self._on_halt_cb = on_halt
        self._answers: dict[str, int | None] = dict(spec.answers)
        self._comments: dict[str, str] = dict(spec.comments)
        self._decision_values = {d.jenis: d.rating for d in spec.decisions}
        self._progress: Progress = spec.progress
        self._locked = spec.locked
        self._syncing = False
        self._confirming = False
        self._saved_at = ""
        scale = load_scale()
        self._self = spec.assignment.relation == "diri"
        self._options = [(str(p), p) for p in scale.points] + [(scale.tidak_dapat_menilai, TDM)]
        self._option_index = {value: n for n, (_, value) in enumerate(self._options)}
        # each option's accessible name (a11y.js): the anchor of the expectation scale, or the competency level
        self._tooltips = [f"{p} = {scale.labels[p]}" for p in scale.points] + [scale.tidak_dapat_menilai]
        self._level_tooltips = [f"Level {p}" for p in scale.points] + [scale.tidak_dapat_menilai]
        # the words under every scale: one widget shown under each (one model, many views)
        self._anchors = html_box(self._anchors_html(scale), "k360-anchors")
        self._level_anchors = html_box(
            f'<span>Level 1–{scale.points[-1]} menurut uraian level di atas</span> · '
            f'<span>{esc(scale.tidak_dapat_menilai)}: bila tidak cukup mengamati</span>', "k360-anchors")

        self._back = button("← Kembali ke daftar", "k360-back", tooltip="Kembali ke daftar penilaian")
        self._back.on_click(self._on_back)
        self._locked_banner = html_box("", "k360-locked",
                                       layout=widgets.Layout(width="100%", display=None if self._locked else "none"))
        self._progress_html = html_box()
        self._message = html_box()
        progress_box = box([self._progress_html, self._message], "k360-progress")

        self._scores: dict[str, widgets.ToggleButtons] = {}
        self._item_boxes: dict[str, widgets.VBox] = {}
        self._comment_boxes: dict[str, widgets.Textarea] = {}
        self._counters: dict[str, widgets.HTML] = {}
        self._decisions: dict[str, widgets.ToggleButtons] = {}

        parts: list[widgets.Widget] = [self._back, self._title_html(), self._locked_banner, progress_box,
                                       html_box(self._legend_html(scale), "k360-legend")]
        parts += self._behaviour_section()
        parts += self._competency_section()
        parts += self._comment_section()
        parts += self._decision_section()
        parts += self._submit_section()
        self.children = parts
        self._refresh_state()

    # ----------------------------------------------------------------- public surface (read-only)

    @property
    def assignment_id(self) -> int:
        return self._aid

    @property
    def scores(self) -> dict[str, widgets.ToggleButtons]:
        """Item code -> its scale buttons (value 1..5, or TDM for "tidak dapat menilai")."""
        return dict(self._scores)

    @property
    def comments(self) -> dict[str, widgets.Textarea]:
        return dict(self._comment_boxes)

    @property
    def decisions(self) -> dict[str, widgets.ToggleButtons]:
        return dict(self._decisions)

    @property
    def submit_button(self) -> widgets.Button:
        return self._submit

    @property
    def confirm_button(self) -> widgets.Button:
        return self._confirm_yes

    @property
    def cancel_button(self) -> widgets.Button:
        return self._confirm_no

    @property
    def back_button(self) -> widgets.Button:
        return self._back

    @property
    def locked(self) -> bool:
        return self._locked

    @property
    def message(self) -> str:
        """The HTML of the message currently shown in the form."""
        return self._message.value

    # ----------------------------------------------------------------- building

    def _title_html(self) -> widgets.HTML:
        a = self._spec.assignment
        role = ("Penilaian diri sendiri" if a.relation == "diri"
                else f"Anda menilai sebagai: <b>{esc(a.relation_label)}</b>")
        return html_box(f'<div class="k360-name">{esc(a.ratee.nama)}</div>'
                        f'<div class="k360-muted">NIP {esc(a.ratee.nip)} · {esc(a.ratee.jabatan)} · '
                        f'{esc(a.ratee.unit)}</div><div>{role}</div>', "k360-form-title")

    @staticmethod
    def _legend_html(scale) -> str:
        anchors = " · ".join(f"<b>{p}</b> = {esc(scale.labels[p])}" for p in scale.points)
        return (f"Skala: {anchors} · <b>{esc(scale.tidak_dapat_menilai)}</b> bila Anda tidak cukup "
                "mengamati perilaku tersebut (tidak dihitung sebagai nilai).")

    @staticmethod
    def _anchors_html(scale) -> str:
        """The anchor words shown under every expectation scale: its ends and its middle, the words they share
        said once ("1 = Jauh di bawah · 3 = Sesuai · 5 = Jauh di atas ekspektasi")."""
        points = (scale.points[0], scale.points[len(scale.points) // 2], scale.points[-1])
        words = [scale.labels[p].split() for p in points]
        shared = 0
        while shared < min(map(len, words)) - 1 and len({tuple(w[len(w) - shared - 1:]) for w in words}) == 1:
            shared += 1
        shown = [" ".join(w[:len(w) - shared]) if n < 2 else " ".join(w) for n, w in enumerate(words)]
        return " · ".join(f'<span class="k360-nw"><b>{p}</b> = {esc(text)}</span>' for p, text in zip(points, shown))

    def _scale_buttons(self, item: str, levels: bool = False) -> widgets.ToggleButtons:
        stored = self._answers.get(item, "unanswered")
        value = None if stored == "unanswered" else (TDM if stored is None else stored)
        saved = () if value is None else (f"{SAVED_PREFIX}{self._option_index[value]}",)
        buttons = widgets.ToggleButtons(options=self._options, value=value,
                                        tooltips=self._level_tooltips if levels else self._tooltips,
                                        description="", layout=shared("full"), style=shared("toggle"),
                                        _dom_classes=("k360-scale", "k360-answer", *saved))
        buttons.observe(functools.partial(self._on_score, item), names="value")
        self._scores[item] = buttons
        return buttons

    def _item_box(self, item: str, html: str, levels: bool = False) -> widgets.VBox:
        state = "k360-answered" if item in self._answers else "k360-unanswered"
        # item_class: the target of the "Belum diisi" jumps (a11y.js)
        item_box = box([html_box(html), self._scale_buttons(item, levels),
                        self._level_anchors if levels else self._anchors], "k360-item", item_class(item), state)
        self._item_boxes[item] = item_box
        return item_box

    def _behaviour_section(self) -> list[widgets.Widget]:
        whom = "diri Anda sendiri" if self._self else "pegawai ini"
        out: list[widgets.Widget] = [
            section("Perilaku Kerja BerAKHLAK"),
            html_box(f'<div class="k360-muted">Seberapa jauh perilaku berikut tampak pada {whom} '
                     "dibandingkan ekspektasi? (SE MenPANRB 20/2021; PermenPANRB 6/2022)</div>")]
        for number, value in enumerate(self._spec.values, start=1):
            head = f'<div class="k360-value-title">{number}. {esc(value.nama)}</div>'
            if value.kode in self._spec.ekspektasi:
                head += ('<div class="k360-expect"><b>Ekspektasi Khusus Pimpinan:</b> '
                         f"{esc(self._spec.ekspektasi[value.kode])}</div>")
            if value.kode in self._spec.ekspektasi_pegawai:
                head += ('<div class="k360-expect k360-expect-pegawai"><b>Ekspektasi atasan untuk pegawai ini:</b> '
                         f"{esc(self._spec.ekspektasi_pegawai[value.kode])}</div>")
            items = [self._item_box(i.kode, f'<span class="k360-code">{esc(i.kode)}</span>{esc(i.teks)}')
                     for i in value.items]
            out.append(box([html_box(head), *items], "k360-value"))
        return out

    def _competency_section(self) -> list[widgets.Widget]:
        if not self._spec.competencies:
            return []
        seen = "Anda tunjukkan" if self._self else "Anda amati"
        out: list[widgets.Widget] = [
            section("Kompetensi"),
            html_box(f'<div class="k360-muted">Pilih level kompetensi yang paling sesuai dengan yang {seen} '
                     "(kamus kompetensi PermenPANRB 38/2017, level 1–5). Tombol 1–5 di bawah setiap kompetensi "
                     "adalah level, bukan skala ekspektasi.</div>")]
        for comp in self._spec.competencies:
            levels = "".join(f"<li><b>Level {n}:</b> {esc(text)}</li>" for n, text in sorted(comp.levels.items()))
            html = (f'<span class="k360-code">{esc(comp.kode)}</span><b>{esc(comp.nama)}</b>'
                    f'<ol class="k360-levels" style="list-style:none">{levels}</ol>')
            out.append(box([self._item_box(comp.kode, html, levels=True)], "k360-value"))
        return out

    def _comment_section(self) -> list[widgets.Widget]:
        limit = self._spec.comment_limit
        labels = load_vocabulary()["komentar"]
        out: list[widgets.Widget] = [
            section("Komentar"),
            html_box(f'<div class="k360-muted">Tidak wajib. Paling banyak {limit} karakter per kolom; tersimpan '
                     "otomatis saat Anda selesai mengetik dan berpindah dari kolom. Komentar dari rekan dan "
                     "bawahan hanya ditampilkan tanpa nama penilai.</div>")]
        for jenis in form_service.COMMENT_KINDS:
            text = widgets.Textarea(value=self._comments.get(jenis, ""), rows=4, continuous_update=False,
                                    placeholder=labels[jenis], layout=shared("full"))
            text.observe(functools.partial(self._on_comment, jenis), names="value")
            counter = html_box()
            self._comment_boxes[jenis], self._counters[jenis] = text, counter
            out += [html_box(f"<b>{esc(labels[jenis])}</b>"), box([text, counter], "k360-comment")]
            self._update_counter(jenis)
        return out

    def _decision_section(self) -> list[widgets.Widget]:
        if not self._spec.decisions:
            return []
        out: list[widgets.Widget] = [
            section("Keputusan Pejabat Penilai Kinerja"),
            html_box('<div class="k360-muted">Anda adalah Pejabat Penilai Kinerja pegawai ini. Keputusan ini '
                     "terpisah dari penilaian 360 di atas dan tetap dapat diubah selama periode terbuka.</div>")]
        for d in self._spec.decisions:
            saved = () if d.rating is None else (f"{SAVED_PREFIX}{RATINGS.index(d.rating)}",)
            buttons = widgets.ToggleButtons(options=list(RATINGS), value=d.rating, disabled=not d.editable,
                                            layout=shared("full"), style=shared("toggle"),
                                            _dom_classes=("k360-scale", "k360-decision", *saved))
            buttons.observe(functools.partial(self._on_decision, d.jenis), names="value")
            self._decisions[d.jenis] = buttons
            out += [html_box(f"<b>{esc(d.label)}</b><div class='k360-muted'>{esc(d.note)}</div>"), buttons]
        return out

    def _submit_section(self) -> list[widgets.Widget]:
        self._submit_hint = html_box()
        self._submit = button("Kirim penilaian", button_style="primary",
                              tooltip="Kirim penilaian; setelah dikirim jawaban terkunci")
        self._submit.on_click(self._on_submit)
        self._confirm_text = html_box()
        self._confirm_yes = button("Ya, kirim sekarang", button_style="success")
        self._confirm_no = button("Batal")
        self._confirm_yes.on_click(self._on_confirm)
        self._confirm_no.on_click(self._on_cancel)
        self._confirm_box = box([self._confirm_text, box([self._confirm_yes, self._confirm_no], horizontal=True)],
                                "k360-confirm", layout=widgets.Layout(width="100%", display="none"))
        self._submit_box = box([section("Kirim"), self._submit_hint, self._submit, self._confirm_box],
                               layout=widgets.Layout(width="100%", display="none" if self._locked else None))
        return [self._submit_box, self._bottom_back()]

    def _bottom_back(self) -> widgets.Button:
        back = button("← Kembali ke daftar", "k360-back")
        back.on_click(self._on_back)
        return back

    # ----------------------------------------------------------------- state display

    def _refresh_state(self) -> None:
        p = self._progress
        jumps = "".join(f'<button type="button" class="k360-jump" data-item="{esc(code)}" '
                        f'aria-label="Ke butir {esc(code)}">{esc(code)}</button>' for code in p.missing[:MISSING_SHOWN])
        more = (f'<span class="k360-muted">dan {len(p.missing) - MISSING_SHOWN} lainnya</span>'
                if len(p.missing) > MISSING_SHOWN else "")
        lines = [f"<b>Terisi {p.answered} dari {p.total} butir</b> · {p.tidak_dapat} "
                 f"“tidak dapat menilai” (paling banyak {p.max_tidak_dapat})", bar(p.answered, p.total)]
        if self._locked:
            lines.append('<div class="k360-muted">Penilaian ini sudah terkirim.</div>')
        elif p.missing:
            lines.append('<div class="k360-missing"><button type="button" class="k360-next">Ke butir belum diisi ↓'
                         f'</button><details><summary>Belum diisi: {len(p.missing)} butir</summary>'
                         f'<div class="k360-jumps">{jumps}{more}</div></details></div>')
        elif not p.submittable:
            lines.append(f'<div class="k360-muted">{esc(self._blocker())}</div>')
        else:
            lines.append('<div class="k360-muted">Semua butir sudah terisi. Silakan periksa lalu kirim.</div>')
        saved = (f'<span class="k360-saved-note">✓ Tersimpan otomatis pukul {esc(self._saved_at)}</span>'
                 if self._saved_at else "")
        lines.append(f'<div class="k360-muted k360-savestate">{saved}<span class="k360-saving-note">Menyimpan…'
                     '</span><span class="k360-unsaved-note">Ada isian yang belum tersimpan.</span></div>')
        self._progress_html.value = "".join(lines)
        for item, item_box in self._item_boxes.items():
            answered = item in self._answers
            item_box.remove_class("k360-unanswered" if answered else "k360-answered")
            item_box.add_class("k360-answered" if answered else "k360-unanswered")
        stamp = self._spec.assignment.terkirim
        when = load_instansi().waktu(stamp)
        self._locked_banner.value = (f"✔ Terkirim pada {esc(when)}. Penilaian ini terkunci; jawaban tidak "
                                     "dapat diubah lagi." if self._locked else "")
        _show(self._locked_banner, self._locked)
        _show(self._submit_box, not self._locked)
        self._submit.disabled = self._locked or not p.submittable
        self._submit_hint.value = (
            '<div class="k360-muted">Setelah dikirim, jawaban terkunci dan tidak dapat diubah.</div>'
            if p.submittable else f'<div class="k360-hint" role="status">{esc(self._blocker())}</div>')
        for w in [*self._scores.values(), *self._comment_boxes.values()]:
            w.disabled = self._locked

    def _blocker(self) -> str:
        """What keeps this form from being sent, in the rater's words ('' when nothing does)."""
        p = self._progress
        if p.missing:
            return (f"Tombol kirim aktif setelah semua butir terisi: {len(p.missing)} butir belum diisi "
                    f"({', '.join(p.missing[:3])}{', …' if len(p.missing) > 3 else ''}).")
        if p.tidak_dapat > p.max_tidak_dapat:
            extra = p.tidak_dapat - p.max_tidak_dapat
            return (f"Terlalu banyak “Tidak dapat menilai”: {p.tidak_dapat} butir, paling banyak "
                    f"{p.max_tidak_dapat}. Ganti {extra} di antaranya dengan nilai 1–5 sebelum mengirim.")
        return ""

    def _update_counter(self, jenis: str) -> None:
        n, limit = len(self._comment_boxes[jenis].value), self._spec.comment_limit
        over = ' style="color:#9b1c1c;font-weight:600"' if n > limit else ""
        # the stored text, for the page's script to compare with the box (see mark_saved)
        saved = f'<span class="k360-saved-text" hidden>{esc(self._comments.get(jenis, ""))}</span>'
        self._counters[jenis].value = f'<div class="k360-muted"{over}>{n}/{limit} karakter</div>{saved}'

    def _say(self, kind: str, text: str) -> None:
        self._message.value = message_html(kind, text)

    def _show_error(self, text: str) -> None:
        self._say("error", text)

    def _deny(self) -> None:
        self._on_denied_cb()

    def _halt(self, text: str) -> None:
        if self._on_halt_cb is not None:
            self._on_halt_cb(text)
        else:
            self._show_error(text)

    def _reload(self) -> None:
        """Show what the database holds now (another tab or device changed this form), widgets included."""
        spec = form_service.form(self._db, self._grant, self._aid)
        self._spec, self._progress, self._locked = spec, spec.progress, spec.locked
        self._answers, self._comments = dict(spec.answers), dict(spec.comments)
        self._decision_values = {d.jenis: d.rating for d in spec.decisions}
        for item, buttons in self._scores.items():
            stored = self._stored_score(item)
            self._restore(buttons, stored)
            mark_saved(buttons, None if stored is None else self._option_index[stored])
        for jenis, comment_box in self._comment_boxes.items():
            self._restore(comment_box, self._comments.get(jenis, ""))
            self._update_counter(jenis)
        for d in spec.decisions:
            buttons = self._decisions.get(d.jenis)
            if buttons is not None:
                self._restore(buttons, d.rating)
                buttons.disabled = not d.editable
                mark_saved(buttons, None if d.rating is None else RATINGS.index(d.rating))
        self._refresh_state()

    def _resync(self, widget: widgets.Widget, value) -> None:
        """After a refused change: reload the form from the database, or at least put the widget back."""
        try:
            self._reload()
        except Exception:
            self._restore(widget, value)
            raise

    def _restore(self, widget: widgets.Widget, value) -> None:
        self._syncing = True
        try:
            widget.value = value
        finally:
            self._syncing = False

    def _stored_score(self, item: str):
        if item not in self._answers:
            return None
        return TDM if self._answers[item] is None else self._answers[item]

    # ----------------------------------------------------------------- callbacks

    @guarded
    def _on_back(self, _button=None) -> None:
        self._on_back_cb()

    @guarded
    def _on_score(self, item: str, change: dict) -> None:
        if self._syncing:
            return
        new = change["new"]
        if new is None:  # a crafted deselect: answers are changed, never erased
            self._restore(self._scores[item], self._stored_score(item))
            return
        score = None if new == TDM else new
        try:
            self._progress = form_service.save_answer(self._db, self._grant, self._aid, item, score,
                                                      expected=self._answers.get(item, UNANSWERED))
        except Exception:
            self._resync(self._scores[item], self._stored_score(item))
            raise
        self._answers[item] = score
        mark_saved(self._scores[item], self._option_index[new])
        self._saved_at = load_instansi().now().strftime("%H:%M:%S")
        self._message.value = ""
        self._refresh_state()

    @guarded
    def _on_comment(self, jenis: str, change: dict) -> None:
        if self._syncing:
            return
        self._update_counter(jenis)
        teks = change["new"]
        try:
            form_service.save_comment(self._db, self._grant, self._aid, jenis, teks,
                                      expected=self._comments.get(jenis, ""))
        except FormConflict:
            self._reload()
            raise FormConflict(f"{form_service.CONFLICT} Teks Anda yang belum disimpan: "
                               f"“{teks[:300]}{'…' if len(teks) > 300 else ''}”") from None
        except FormError:
            if self._locked:
                self._resync(self._comment_boxes[jenis], self._comments.get(jenis, ""))
            raise  # too long: the text stays in the box so it can be shortened
        except Exception:
            self._resync(self._comment_boxes[jenis], self._comments.get(jenis, ""))
            raise
        self._comments[jenis] = teks if teks.strip() else ""
        if not teks.strip() and teks:
            self._restore(self._comment_boxes[jenis], "")  # only spaces: stored as no comment, shown as such
        self._update_counter(jenis)
        self._saved_at = load_instansi().now().strftime("%H:%M:%S")
        self._message.value = ""
        self._refresh_state()

    @guarded
    def _on_decision(self, jenis: str, change: dict) -> None:
        if self._syncing:
            return
        try:
            if change["new"] is None:
                raise FormError("Pilih salah satu rating.")
            form_service.save_decision(self._db, self._grant, self._aid, jenis, change["new"],
                                       expected=self._decision_values.get(jenis))
        except Exception:
            self._resync(self._decisions[jenis], self._decision_values.get(jenis))
            raise
        self._decision_values[jenis] = change["new"]
        mark_saved(self._decisions[jenis], RATINGS.index(change["new"]))
        self._say("ok", f"{form_service.DECISION_LABELS[jenis]} disimpan: {change['new']}.")

    @guarded
    def _on_submit(self, _button=None) -> None:
        if self._locked:
            raise FormError(form_service.LOCKED)
        if not self._progress.submittable:
            missing = ", ".join(self._progress.missing)
            raise FormError(f"Belum dapat dikirim: {len(self._progress.missing)} butir belum diisi ({missing})."
                            if self._progress.missing else f"Belum dapat dikirim. {self._blocker()}")
        self._confirming = True
        self._confirm_text.value = (f"Kirim penilaian untuk <b>{esc(self._spec.assignment.ratee.nama)}</b>? "
                                    "Setelah dikirim, jawaban terkunci dan tidak dapat diubah.")
        _show(self._confirm_box, True)
        self._submit.disabled = True

    @guarded
    def _on_cancel(self, _button=None) -> None:
        self._confirming = False
        _show(self._confirm_box, False)
        self._refresh_state()

    @guarded
    def _on_confirm(self, _button=None) -> None:
        if not self._confirming:
            raise FormError("Tekan “Kirim penilaian” terlebih dahulu.")
        self._confirming = False
        _show(self._confirm_box, False)
        stamp = form_service.submit(self._db, self._grant, self._aid)
        log.info("assignment %s submitted", self._aid)
        self._locked = True
        self._spec = replace(self._spec, assignment=replace(self._spec.assignment, status="terkirim",
                                                            status_label=load_vocabulary()["status_penilaian"]["terkirim"],
                                                            terkirim=stamp))
        self._refresh_state()
        self._say("ok", "Terima kasih. Penilaian terkirim dan sudah terkunci.")


def _waiting_html(a: form_service.AssignmentSummary) -> str:
    """The line under a colleague whose Rating Perilaku Kerja this rater still has to set."""
    if not a.perilaku_waiting:
        return ""
    when = ("" if a.perilaku_ready else
            ' <span class="k360-muted">(dapat ditetapkan setelah hasil umpan balik 360 dihitung)</span>')
    return (f'<div class="k360-waiting">Rating Perilaku Kerja: <span class="k360-badge k360-badge-tunggu">'
            f"Menunggu penetapan Anda</span>{when}</div>")


class RaterApp(widgets.VBox):
    """The rater's whole app: header, the list of people to rate, and one open form at a time."""

    def __init__(self, db: Database, grant: LinkGrant):
        super().__init__(layout=shared("full"), _dom_classes=("k360",))
        self._db, self._grant = db, grant
        self._header = html_box("", "k360-header")
        self._message = html_box()
        self._body = box([])
        self._form: AssessmentForm | None = None
        self._open_buttons: dict[int, widgets.Button] = {}
        self._denied = False
        self._halted = False
        self.children = (style(), self._header, self._message, self._body)
        self._show_list()

    # ----------------------------------------------------------------- public surface

    @property
    def form(self) -> AssessmentForm | None:
        """The per-person form currently open, if any."""
        return self._form

    @property
    def open_buttons(self) -> dict[int, widgets.Button]:
        """Assignment id -> the button opening that person's form, in the list view."""
        return dict(self._open_buttons)

    @property
    def denied(self) -> bool:
        return self._denied

    @property
    def halted(self) -> bool:
        """The app stopped for good (its database file was replaced); only a reload helps."""
        return self._halted

    @property
    def message(self) -> str:
        return self._message.value

    def list_html(self) -> str:
        """The HTML of the list view (header and cards), e.g. to check escaping."""
        parts = [self._header.value]
        for child in self._body.children:
            for w in getattr(child, "children", (child,)):
                if isinstance(w, widgets.HTML):
                    parts.append(w.value)
        return "\n".join(parts)

    # ----------------------------------------------------------------- views

    def _replace_body(self, children: list[widgets.Widget]) -> None:
        old = self._body.children
        self._body.children = children
        for w in old:
            _close_tree(w)

    @guarded
    def _show_list(self) -> None:
        ov = form_service.overview(self._db, self._grant)
        c, r = ov.cycle, ov.rater
        self._header.value = (
            "<h1>Penilaian Perilaku Kerja 360°</h1>"
            f'<div class="k360-sub">{esc(cycle_title(c))}</div>'
            f'<div class="k360-sub">Terbuka sampai <span class="k360-nw">{esc(tanggal(c.tanggal_selesai))}</span></div>'
            f'<div class="k360-sub">Penilai: <b>{esc(r.nama)}</b></div>'
            + (f'<div class="k360-sub k360-rater-detail"><span class="k360-nw">NIP {esc(r.nip)}</span> · '
               f"{esc(r.jabatan)} · {esc(r.unit)}</div>" if r.nip else
               # a "pihak lain" rater from another instansi: no NIP, their instansi instead of a unit
               f'<div class="k360-sub k360-rater-detail">Pihak lain · {esc(r.jabatan)}'
               f"{' · ' if r.jabatan else ''}{esc(r.unit)}</div>"))
        total = len(ov.assignments)
        waiting = (f'<div class="k360-waiting-count"><b>{ov.decisions_waiting} keputusan Rating Perilaku Kerja '
                   "menunggu Anda</b> sebagai Pejabat Penilai Kinerja.</div>" if ov.decisions_waiting else "")
        summary = html_box(
            f"<b>{ov.submitted} dari {total} penilaian terkirim</b>{bar(ov.submitted, total)}{waiting}"
            '<div class="k360-muted">Pilih nama untuk mulai menilai. Jawaban tersimpan otomatis; Anda dapat '
            "berhenti dan melanjutkan kapan saja dengan tautan yang sama.</div>", "k360-progress")
        feedback = umpan_balik.entry(self._db, self._grant, self._open_view, on_back=self._back_to_list,
                                     on_denied=self._deny, on_halt=self._halt)
        cards: list[widgets.Widget] = [summary, feedback, section("Daftar pegawai yang Anda nilai")]
        self._open_buttons = {}
        for a in ov.assignments:
            role = "Diri sendiri" if a.relation == "diri" else f"Anda sebagai: {esc(a.relation_label)}"
            info = html_box(
                f'<div class="k360-name">{esc(a.ratee.nama)}</div>'
                f'<div class="k360-muted">{esc(a.ratee.jabatan)} · {esc(a.ratee.unit)}</div>'
                f'<div>{role} · <span class="k360-badge k360-badge-{esc(a.status)}">{esc(a.status_label)}</span>'
                f' · <span class="k360-muted">{a.progress.answered}/{a.progress.total} butir</span></div>'
                + _waiting_html(a), "k360-card-info", layout=shared("auto"))
            opener = button(ACTION_LABEL.get(a.status, "Buka"),
                            button_style="" if a.status == "terkirim" else "primary",
                            tooltip=f"{ACTION_LABEL.get(a.status, 'Buka')}: {a.ratee.nama}")
            opener.on_click(functools.partial(self._on_open, a.id))
            self._open_buttons[a.id] = opener
            cards.append(box([info, opener], "k360-card", "k360-assignment", horizontal=True))
        if not ov.assignments:
            cards.append(html_box(message_html("info", "Anda tidak mempunyai penilaian pada periode ini.")))
        cards += report_entry(report_access.has_report(self._db, self._grant), self._open_report)
        cards += keberatan_view.entries(self._db, self._grant, self._open_view, on_back=self._back_to_list,
                                        on_denied=self._deny, on_halt=self._halt)
        cards += nomination_entries(*nominasi.list_page_flags(self._db, self._grant), self._open_nomination,
                                    self._open_approval)
        self._form = None
        self._header.remove_class("k360-header-form")
        self._replace_body(cards)

    @guarded
    def _on_open(self, assignment_id: int, _button=None) -> None:
        spec = form_service.form(self._db, self._grant, assignment_id)
        self._message.value = ""
        self._header.add_class("k360-header-form")  # the rater's details give way to the form on a phone
        self._form = AssessmentForm(self._db, self._grant, spec, on_back=self._back_to_list, on_denied=self._deny,
                                    on_halt=self._halt)
        self._open_buttons = {}
        self._replace_body([self._form])

    @guarded
    def _open_view(self, make: Callable[[], widgets.Widget]) -> None:
        """Show another view of this link (e.g. umpan balik) in place of the list."""
        self._show_view(make())

    @guarded
    def _open_report(self) -> None:
        self._show_view(OwnReportView(self._db, self._grant, on_back=self._back_to_list, on_denied=self._deny,
                                      on_halt=self._halt))

    @guarded
    def _open_nomination(self) -> None:
        self._show_view(NominationForm(self._db, self._grant, on_back=self._back_to_list, on_denied=self._deny,
                                       on_halt=self._halt))

    @guarded
    def _open_approval(self) -> None:
        self._show_view(ApprovalForm(self._db, self._grant, on_back=self._back_to_list, on_denied=self._deny,
                                     on_halt=self._halt))

    def _show_view(self, view: widgets.Widget) -> None:
        self._message.value = ""
        self._form, self._open_buttons = None, {}
        self._replace_body([view])

    @property
    def view(self) -> widgets.Widget | None:
        """The widget now in the body when it is a single view (a form or an umpan-balik page)."""
        return self._body.children[0] if len(self._body.children) == 1 else None

    def _back_to_list(self) -> None:
        self._show_list()

    def _show_error(self, text: str) -> None:
        self._message.value = message_html("error", text)

    def _deny(self) -> None:
        """Replace everything with the one "link not usable" message."""
        self._denied = True
        self._replace_all(denied_view())

    def _halt(self, text: str) -> None:
        """Replace everything with a message that the form stopped, and a reload button."""
        self._halted = True
        self._replace_all(halted_view(text))

    def _replace_all(self, view: widgets.Widget) -> None:
        self._form = None
        self._open_buttons = {}
        old = self.children
        self.children = (view,)
        for w in old:
            _close_tree(w)
