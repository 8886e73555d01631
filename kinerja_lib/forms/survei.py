"""The public-service survey page: a citizen rates a service point in a few taps, from a QR code on a phone."""

from __future__ import annotations

import ipywidgets as widgets

from .. import survei
from .common import CSS, box, button, esc, guarded, halted_view, html_box, message_html, style
from .messages import SURVEY_DENIED_HELP

DONT_KNOW = "?"   # the option value of "tidak tahu"; its label comes from survei.yaml
THANKS = "Terima kasih! Jawaban Anda sudah kami terima dan membantu kami memperbaiki layanan."

SURVEY_CSS = """
<style>
.k360-survey { max-width: 560px; }
.k360-survey h1 { font-size: 21px; margin: 6px 0 2px; }
.k360-survey .k360-q { font-weight: 600; margin: 4px 0 6px; }
.k360-survey .k360-header .k360-muted { color: #e4ebf3; margin-top: 4px; }
.k360-survey .k360-scale .widget-toggle-button { min-width: 48px; min-height: 44px; }
</style>
"""


class SurveyApp(widgets.VBox):
    """The survey of one service point; ``submit`` stores the answers (:func:`kinerja_lib.survei.submit_response`).

    ``device_id`` is the browser's random id from the form server's cookie: it allows one response per device
    per period and is stored only as a hash.
    """

    def __init__(self, db, grant: survei.PointGrant, device_id: str | None, survey: survei.Survey | None = None):
        self._db, self._grant, self._device = db, grant, device_id
        self._survey = survey or survei.load_survey()
        s = self._survey
        labels = [f"{k}" for k in sorted(s.skala)]
        self._options = [(label, int(label)) for label in labels] + [(s.tidak_tahu, DONT_KNOW)]
        # a screen reader names each option by its tooltip: the number and its anchor word
        tooltips = [f"{label} = {s.skala[int(label)]}" for label in labels] + [s.tidak_tahu]
        anchors = " · ".join(f'<span class="k360-nw"><b>{k}</b> = {esc(v)}</span>' for k, v in sorted(s.skala.items()))
        self._header = html_box(
            f"<h1>{esc(s.judul)}</h1>"
            f'<div class="k360-sub"><b>{esc(survei.unit_label(grant.unit_id))}</b> · {esc(grant.nama)}</div>'
            f'<div class="k360-muted">{esc(s.pengantar)}</div>', "k360-header")
        self._questions: dict[str, widgets.ToggleButtons] = {}
        items = []
        for number, item in enumerate(s.butir, start=1):
            toggle = widgets.ToggleButtons(options=self._options, value=None, tooltips=tooltips, description="",
                                           _dom_classes=("k360-scale", "k360-answer"))
            self._questions[item.kode] = toggle
            items.append(box([html_box(f'<div class="k360-q">{number}. {esc(item.teks)}</div>'), toggle,
                              html_box(f'<div class="k360-anchors">{anchors}</div>', "k360-anchors")], "k360-item"))
        self._comment = widgets.Textarea(placeholder=f"Saran atau keluhan (boleh kosong, paling banyak "
                                                     f"{s.komentar_maks_karakter} karakter)",
                                         layout=widgets.Layout(width="100%", height="90px"))
        self._send = button("Kirim", button_style="primary")
        self._send.on_click(lambda _: self.submit())
        self._message = html_box("")
        self._form = box([*items, html_box('<div class="k360-q">Saran untuk layanan ini</div>'), self._comment,
                          self._send, self._message], "k360-survey-form")
        super().__init__([style(), html_box(SURVEY_CSS), self._header, self._form],
                         _dom_classes=("k360", "k360-survey"))

    # ------------------------------------------------------------------ public surface (tests drive these)

    @property
    def questions(self) -> dict[str, widgets.ToggleButtons]:
        return dict(self._questions)

    @property
    def comment(self) -> widgets.Textarea:
        return self._comment

    @property
    def message(self) -> str:
        return self._message.value

    @guarded
    def submit(self) -> None:
        """Send the answers; on success the form gives way to a thank-you note."""
        answers = {code: (None if t.value == DONT_KNOW else t.value)
                   for code, t in self._questions.items() if t.value is not None}
        survei.submit_response(self._db, self._grant, self._device, answers, self._comment.value, self._survey)
        self._form.children = [html_box(message_html("ok", THANKS))]

    # ------------------------------------------------------------------ what guarded calls

    def _show_error(self, text: str) -> None:
        self._message.value = message_html("error", text)

    def _deny(self) -> None:
        self.children = [widgets.HTML(CSS + f'<div class="k360-denied" role="alert"><p>{esc(SURVEY_DENIED_HELP)}'
                                            "</p></div>")]

    def _halt(self, text: str) -> None:
        self.children = [halted_view(text)]

