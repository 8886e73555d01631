"""The rater and admin apps without a browser: set values, click, assert on the database.

A browser can set any widget value or click a disabled button with a crafted comm message; these
tests do the same through the widget API and prove every such action is refused.
"""

from __future__ import annotations

import base64
import logging
import re

import pytest

from kinerja_lib import form_service, links
from kinerja_lib.forms import AdminApp, RaterApp
from kinerja_lib.forms import kernel
from kinerja_lib.forms.common import DENIED_TITLE, GENERIC_ERROR
from kinerja_lib.forms.rater import TDM


def _grant(org, key):
    issued = links.issue_links(org.db, org.cycle.id, nips=[org.nip[key]])[0]
    return links.resolve(org.db, issued.token)


def _admin(org):
    return links.resolve(org.db, links.issue_admin_link(org.db, org.cycle.id).token)


def _open(org, rater, ratee):
    app = RaterApp(org.db, _grant(org, rater))
    aid = org.assignment[(rater, ratee)]
    app.open_buttons[aid].click()
    return app, app.form, aid


def _fill(form, score=4, tdm=0):
    for n, widget in enumerate(form.scores.values()):
        widget.value = TDM if n < tdm else score


def _answers(db, aid):
    return dict(db.execute("SELECT item, score FROM response WHERE assignment_id = ?", [aid]).fetchall())


def _status(db, aid):
    return db.execute("SELECT status FROM assignment WHERE id = ?", [aid]).fetchone()[0]


def test_filling_and_submitting_a_whole_form_through_the_widgets(small_org):
    """Clicking every answer saves it at once; submit asks for confirmation, then locks the form."""
    app, form, aid = _open(small_org, "andi", "budi")
    assert form.submit_button.disabled
    _fill(form, score=5, tdm=2)
    form.comments["kekuatan"].value = "Teliti <b>sekali</b>"
    codes = list(form.scores)
    assert _answers(small_org.db, aid) == {c: (None if n < 2 else 5) for n, c in enumerate(codes)}
    assert _status(small_org.db, aid) == "draf"
    assert not form.submit_button.disabled
    form.submit_button.click()
    assert _status(small_org.db, aid) == "draf"  # only the confirmation opened
    form.confirm_button.click()
    assert _status(small_org.db, aid) == "terkirim"
    assert form.locked and all(w.disabled for w in form.scores.values())
    assert small_org.db.execute("SELECT teks FROM comment WHERE assignment_id = ?", [aid]).fetchone()[0] == (
        "Teliti <b>sekali</b>")
    form.back_button.click()
    assert "1 dari 4 penilaian terkirim" in app.list_html()


def test_reopening_a_form_restores_the_saved_answers(small_org):
    """Leaving and reopening a form (or a new session with the same link) shows what was saved."""
    app, form, aid = _open(small_org, "citra", "andi")
    form.scores["B2.3"].value = 2
    form.scores["K05"].value = TDM
    form.comments["pengembangan"].value = "Manajemen waktu"
    later = RaterApp(small_org.db, _grant(small_org, "citra"))
    later.open_buttons[aid].click()
    restored = later.form
    assert (restored.scores["B2.3"].value, restored.scores["K05"].value, restored.scores["B1.1"].value) == (
        2, TDM, None)
    assert restored.comments["pengembangan"].value == "Manajemen waktu"


def test_clicking_the_disabled_submit_of_an_incomplete_form_is_refused(small_org):
    """A crafted click on the disabled submit shows what is missing and submits nothing."""
    app, form, aid = _open(small_org, "budi", "citra")
    form.scores["B1.1"].value = 3
    assert form.submit_button.disabled
    form.submit_button.click()
    assert "29 butir belum diisi" in form.message
    form.confirm_button.click()
    assert _status(small_org.db, aid) == "draf"


def test_confirming_without_asking_first_is_refused(small_org):
    """A crafted click on the hidden confirm button does not submit."""
    app, form, aid = _open(small_org, "budi", "citra")
    _fill(form)
    form.confirm_button.click()
    assert _status(small_org.db, aid) == "draf"
    assert "Kirim penilaian" in form.message


def test_changes_to_a_locked_form_are_refused_and_put_back(small_org):
    """After submission, crafted value changes are refused, the widgets revert, the database keeps its rows."""
    app, form, aid = _open(small_org, "dewi", "dewi")
    _fill(form, score=3)
    form.comments["kekuatan"].value = "asli"
    form.submit_button.click()
    form.confirm_button.click()
    before = _answers(small_org.db, aid)
    form.scores["B1.1"].value = 1
    form.comments["kekuatan"].value = "diubah"
    assert (form.scores["B1.1"].value, form.comments["kekuatan"].value) == (3, "asli")
    assert "terkunci" in form.message
    assert _answers(small_org.db, aid) == before
    assert small_org.db.execute("SELECT teks FROM comment WHERE assignment_id = ?", [aid]).fetchone()[0] == "asli"


def test_a_crafted_deselect_never_erases_an_answer(small_org):
    """Setting an answered item back to no selection restores the stored answer."""
    app, form, aid = _open(small_org, "kepala", "kepala")
    form.scores["B6.2"].value = 4
    form.scores["B6.2"].value = None
    assert form.scores["B6.2"].value == 4
    assert _answers(small_org.db, aid) == {"B6.2": 4}


def test_an_over_long_comment_is_kept_in_the_box_but_not_saved(small_org):
    """Beyond the limit the comment is refused with the count; the text stays so it can be shortened."""
    app, form, aid = _open(small_org, "budi", "andi")
    form.comments["kekuatan"].value = "a" * 1001
    assert "1001 karakter, paling banyak 1000" in form.message
    assert form.comments["kekuatan"].value == "a" * 1001
    assert small_org.db.execute("SELECT COUNT(*) FROM comment WHERE assignment_id = ?", [aid]).fetchone()[0] == 0


def test_names_and_texts_are_escaped(small_org):
    """A name or Ekspektasi Khusus full of markup is shown as text, never as HTML."""
    app = RaterApp(small_org.db, _grant(small_org, "kepala"))
    page = app.list_html()
    assert "Andi &lt;b&gt;Pratama&lt;/b&gt; &amp; &quot;Co&quot;" in page
    assert "<b>Pratama" not in page
    app.open_buttons[small_org.assignment[("kepala", "andi")]].click()
    html = "\n".join(w.value for w in _walk(app.form) if hasattr(w, "value") and isinstance(w.value, str))
    assert "Layani &lt;warga&gt; dengan senyum &amp; cepat" in html and "<warga>" not in html


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_a_link_revoked_mid_session_leaves_only_the_refusal(small_org):
    """When the link dies during a session, the next action replaces the whole app with one message."""
    app, form, aid = _open(small_org, "andi", "citra")
    links.revoke(small_org.db, small_org.cycle.id, small_org.nip["andi"])
    form.scores["B1.1"].value = 5
    assert app.denied
    assert len(app.children) == 1 and DENIED_TITLE in app.children[0].value
    assert _answers(small_org.db, aid) == {}


def test_unexpected_errors_are_shown_plainly_and_logged(small_org, monkeypatch, caplog):
    """An unexpected failure in a callback shows a plain Indonesian message and logs the traceback."""
    app, form, aid = _open(small_org, "andi", "citra")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(form_service, "save_answer", broken)
    with caplog.at_level(logging.ERROR, logger="kinerja_lib.forms"):
        form.scores["B1.1"].value = 5
    assert GENERIC_ERROR.split(".")[0] in form.message and "disk full" not in form.message
    assert form.scores["B1.1"].value is None
    assert any("disk full" in (r.exc_text or "") or (r.exc_info and "disk full" in str(r.exc_info[1]))
               for r in caplog.records)


def test_pejabat_penilai_decision_through_the_form(small_org):
    """The atasan's form records Rating Hasil Kerja; the Rating Perilaku choice is disabled before results."""
    app, form, aid = _open(small_org, "kepala", "citra")
    assert form.decisions["perilaku"].disabled
    form.decisions["hasil_kerja"].value = "Di Bawah Ekspektasi"
    form.decisions["perilaku"].value = "Sesuai Ekspektasi"  # crafted: refused and put back
    assert form.decisions["perilaku"].value is None
    rows = small_org.db.execute("SELECT 'hk', rating FROM rating_hasil_kerja UNION ALL "
                                "SELECT 'rp', rating FROM rating_perilaku").fetchall()
    assert rows == [("hk", "Di Bawah Ekspektasi")]


@pytest.mark.parametrize("query", ["", "t=", "t=abc", "t=" + "A" * 43, "x=1"])
def test_kernel_page_for_a_bad_link_is_the_single_refusal(small_org_path, query):
    """The notebook entry point answers any bad token with the one refusal message and nothing else."""
    page = kernel.rater_app(query, small_org_path)
    assert DENIED_TITLE in page.value and not hasattr(page, "children")


def test_kernel_pages_check_the_kind_of_link(small_org_path):
    """A rater link does not open the admin dashboard, nor an admin link the rater form."""
    from kinerja_lib.store import open_db

    db = open_db(small_org_path)
    cycle = db.execute("SELECT id FROM cycle").fetchone()[0]
    rater = links.issue_links(db, cycle)[0]
    admin = links.issue_admin_link(db, cycle)
    db.close()
    assert isinstance(kernel.rater_app(f"t={rater.token}", small_org_path), RaterApp)
    assert isinstance(kernel.admin_app(f"t={admin.token}", small_org_path), AdminApp)
    assert DENIED_TITLE in kernel.admin_app(f"t={rater.token}", small_org_path).value
    assert DENIED_TITLE in kernel.rater_app(f"t={admin.token}", small_org_path).value


def test_kernel_page_without_database_says_so_without_details(tmp_path):
    """A missing database gives a plain 'not available' page, no path and no traceback."""
    page = kernel.rater_app("t=" + "A" * 43, tmp_path / "nope.db")
    assert "Layanan belum tersedia" in page.value and "nope.db" not in page.value
    assert not (tmp_path / "nope.db").exists()


def test_admin_dashboard_figures_reminders_and_reopen(small_org):
    """The dashboard shows completion, offers the reminder CSV, and reopens a submitted form after a confirmation
    naming the person; the selector stays on that form and each message appears beside its action."""
    rater_app, form, aid = _open(small_org, "budi", "budi")
    _fill(form)
    form.submit_button.click()
    form.confirm_button.click()
    app = AdminApp(small_org.db, _admin(small_org))
    assert "1 dari 17 penilaian terkirim" in app.page_html()
    assert "<svg" in app.page_html() and "1 formulir" in app.page_html()
    c = app.controls
    c["reminders"].click()
    payload = re.search(r"base64,([A-Za-z0-9+/=]+)'", app.page_html()).group(1)
    csv_text = base64.b64decode(payload).decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "NIP,Nama,Unit Kerja,Jumlah Dinilai,Belum Diisi,Draf,Terkirim"
    assert len(csv_text.splitlines()) == 1 + 5
    assert "5 penilai" in app.messages["reminders"]
    c["query"].value = "x"
    c["search"].click()
    assert "2 sampai 100" in app.messages["search"] and not app.messages["reopen"]
    assert "forms" not in c   # the reopen choosers are built on the first search
    c["query"].value = "santo"   # part of the name, any case
    c["search"].click()
    c = app.controls
    assert c["raters"].value == small_org.nip["budi"] and c["forms"].value == aid
    c["reopen"].click()  # no reason yet
    assert "Alasan" in app.messages["reopen"] and app.confirming is None
    c["reason"].value = "Permintaan penilai, salah klik"
    c["confirm"].click()  # a crafted confirm without the question first
    assert _status(small_org.db, aid) == "terkirim" and "terlebih dahulu" in app.messages["reopen"]
    c["reopen"].click()
    question = app.confirming
    assert "Budi Santoso" in question and small_org.nip["budi"] in question and "Diri sendiri" in question
    assert _status(small_org.db, aid) == "terkirim"
    c["confirm"].click()
    assert _status(small_org.db, aid) == "draf" and app.confirming is None
    assert c["forms"].value == aid and c["raters"].value == small_org.nip["budi"]
    assert "0 dari 17 penilaian terkirim" in app.page_html()
    assert "dibuka kembali" in app.messages["reopen"] and "Budi Santoso" in app.messages["reopen"]


def test_admin_dashboard_drills_down_and_stays_in_the_opd(small_org):
    """An OPD admin's dashboard: its OPD only, drill down and up; a crafted choice of another OPD is refused."""
    issued = links.issue_named_admin_link(small_org.db, small_org.cycle.id, "Sri <i>Lestari</i>", opd="Dinas Uji")
    app = AdminApp(small_org.db, links.resolve(small_org.db, issued.token))
    html = app.page_html()
    assert "Sri &lt;i&gt;Lestari&lt;/i&gt;" in html and "16 penilaian" in html and "Dinas Lain" not in html
    c = app.controls
    assert [v for _, v in c["drill"].options] == [None, "Dinas Uji"]
    assert c["drill"].label == "Pilih unit untuk melihat rinciannya…"   # the prompt shows, not an empty box
    c["drill"].value = "Dinas Uji"
    assert "Bidang Layanan" in app.page_html() and not c["up"].disabled
    c["drill"].value = "Dinas Uji / Bidang Layanan"
    assert "Bidang Layanan (langsung)" in app.page_html()
    c["up"].click()
    c["up"].click()
    assert c["up"].disabled
    c["drill"].options = [("x", None), ("Dinas Lain", "Dinas Lain")]   # crafted: options the server never offered
    c["drill"].value = "Dinas Lain"
    assert "Unit tidak ditemukan" in app.messages["drill"] and "Dinas Lain" not in app.page_html()
    c["query"].value = "Dewi"
    c["search"].click()
    assert "Tidak ada penilai" in app.messages["search"]
    c["reminder_links"].click()
    payload = re.search(r"base64,([A-Za-z0-9+/=]+)'", app.page_html()).group(1)
    rows = base64.b64decode(payload).decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + 4 and all("penilaian.ipynb?t=" in r for r in rows[1:])
    assert "4 tautan pribadi baru" in app.messages["reminders"]


def test_admin_dashboard_refuses_a_revoked_admin_link_on_refresh(small_org):
    """Re-issuing the admin link kills the open dashboard at its next action."""
    app = AdminApp(small_org.db, _admin(small_org))
    links.issue_admin_link(small_org.db, small_org.cycle.id)
    app.controls["refresh"].click()
    assert app.denied and DENIED_TITLE in app.children[0].value


def _saved_class(widget):
    return [c for c in widget._dom_classes if c.startswith("k360-saved-")]


def test_each_choice_carries_the_option_the_database_holds(small_org):
    """The saved marker the page compares with the selection follows the database, never the click alone."""
    app, form, aid = _open(small_org, "andi", "budi")
    b11 = form.scores["B1.1"]
    assert _saved_class(b11) == []
    b11.value = 4
    assert _saved_class(b11) == ["k360-saved-3"]  # options 1..5 then "tidak dapat menilai": 4 is index 3
    b11.value = TDM
    assert _saved_class(b11) == ["k360-saved-5"] and _answers(small_org.db, aid) == {"B1.1": None}
    links.revoke(small_org.db, small_org.cycle.id, small_org.nip["andi"])
    form.scores["B1.2"].value = 2  # refused: the marker never says "saved"
    assert _saved_class(form.scores["B1.2"]) == [] and "B1.2" not in _answers(small_org.db, aid)


def test_a_comment_box_carries_the_stored_text(small_org):
    """Next to each comment box the kernel writes what the database holds, escaped, for the page to compare."""
    app, form, aid = _open(small_org, "andi", "budi")
    form.comments["kekuatan"].value = "Teliti <b>& rapi</b>"
    counter = form._counters["kekuatan"].value
    assert '<span class="k360-saved-text" hidden>Teliti &lt;b&gt;&amp; rapi&lt;/b&gt;</span>' in counter
    form.comments["kekuatan"].value = "a" * 1001  # refused: the stored text stays what it was
    assert "Teliti &lt;b&gt;" in form._counters["kekuatan"].value


def _two_tabs(org, rater, ratee):
    """The same link opened twice (two tabs or devices), both on the same form."""
    grant, aid = _grant(org, rater), org.assignment[(rater, ratee)]
    forms = []
    for _ in range(2):
        app = RaterApp(org.db, grant)
        app.open_buttons[aid].click()
        forms.append(app.form)
    return forms[0], forms[1], aid


def test_a_second_tab_cannot_silently_overwrite_the_first(small_org):
    """Two pages on one form: the stale one is told, shows what is stored, and writes nothing over it."""
    form_a, form_b, aid = _two_tabs(small_org, "citra", "budi")
    form_a.scores["B3.1"].value = 5
    form_a.comments["kekuatan"].value = "Dari tab A"
    form_b.scores["B3.1"].value = 1  # tab B still shows B3.1 unanswered
    assert "diubah di tab atau perangkat lain" in form_b.message
    assert form_b.scores["B3.1"].value == 5 and _saved_class(form_b.scores["B3.1"]) == ["k360-saved-4"]
    assert form_b.comments["kekuatan"].value == "Dari tab A"  # the reload brought tab A's comment too
    form_a.comments["kekuatan"].value = "Tab A lagi"
    form_b.comments["kekuatan"].value = "Tulisan tab B"  # stale again: refused, the text is quoted back
    assert "Tulisan tab B" in form_b.message and form_b.comments["kekuatan"].value == "Tab A lagi"
    assert _answers(small_org.db, aid) == {"B3.1": 5}
    assert small_org.db.execute("SELECT teks FROM comment WHERE assignment_id = ?", [aid]).fetchone() == (
        "Tab A lagi",)
    form_b.scores["B3.1"].value = 2  # now based on what is stored: allowed
    assert _answers(small_org.db, aid) == {"B3.1": 2}


def test_a_form_submitted_in_another_tab_turns_read_only_here(small_org):
    """A change on a form another tab has just submitted is refused and the page shows it locked."""
    form_a, form_b, aid = _two_tabs(small_org, "dewi", "dewi")
    _fill(form_a)
    form_a.submit_button.click()
    form_a.confirm_button.click()
    form_b.scores["B1.1"].value = 1
    assert form_b.locked and all(w.disabled for w in form_b.scores.values())
    assert form_b.scores["B1.1"].value == 4 and "terkunci" in form_b.message


def test_a_replaced_database_stops_the_app_with_a_reload_button(small_org_path, tmp_path):
    """Once the database file was replaced, the next action stops the whole app and asks for a reload."""
    import os
    import shutil

    from kinerja_lib.store import open_db

    db = open_db(small_org_path)
    token = links.issue_links(db, 1)[0].token
    db.close()
    app = kernel.rater_app(f"t={token}", small_org_path)
    aid = next(iter(app.open_buttons))
    app.open_buttons[aid].click()
    shutil.copy(small_org_path, tmp_path / "salinan.db")
    os.replace(tmp_path / "salinan.db", small_org_path)
    app.form.scores["B1.1"].value = 3
    assert app.halted and len(app.children) == 1
    page = app.children[0].value
    assert "Basis data di server telah diganti" in page and 'class="k360-reload' in page


def test_the_supervisor_list_shows_decisions_waiting(small_org):
    """Each bawahan whose Rating Perilaku Kerja is not set is marked, with the count on top; others are not."""
    app = RaterApp(small_org.db, _grant(small_org, "kepala"))
    page = app.list_html()
    assert "3 keputusan Rating Perilaku Kerja menunggu Anda" in page
    assert page.count("Menunggu penetapan Anda") == 3
    assert page.count("dapat ditetapkan setelah hasil umpan balik 360 dihitung") == 3
    small_org.db.execute("INSERT INTO rating_perilaku (cycle_id, nip, rating, sumber, diperbarui) "
                         "VALUES (?, ?, 'Sesuai Ekspektasi', 'impor', '2026-06-02')",
                         [small_org.cycle.id, small_org.nip["andi"]])
    app.open_buttons[small_org.assignment[("kepala", "budi")]].click()
    app.form.back_button.click()  # back to the list: counted again
    assert "2 keputusan Rating Perilaku Kerja menunggu Anda" in app.list_html()
    andi_card = next(c for c in app.list_html().split('<div class="k360-name">') if c.startswith("Andi &lt;b&gt;"))
    assert "Menunggu penetapan" not in andi_card
    peer = RaterApp(small_org.db, _grant(small_org, "andi")).list_html()
    assert "menunggu Anda" not in peer and "Menunggu penetapan" not in peer


@pytest.mark.parametrize("widget, data, kept", [
    ("ToggleButtons", {"method": "update", "state": {"index": 2}}, {"index": 2}),
    ("ToggleButtons", {"method": "update", "state": {"index": 2, "disabled": False, "_options_labels": ["x"]}},
     {"index": 2}),
    ("ToggleButtons", {"method": "update", "state": {"disabled": False}}, None),
    ("Textarea", {"method": "update", "state": {"value": "teks"}}, {"value": "teks"}),
    ("Textarea", {"method": "update", "state": {"value": "teks", "rows": 999}}, {"value": "teks"}),
    ("HTML", {"method": "update", "state": {"value": "<script>"}}, None),
    ("VBox", {"method": "update", "state": {"children": []}}, None),
    ("Button", {"method": "custom", "content": {"event": "click"}}, "click"),
    ("Button", {"method": "custom", "content": "klik"}, None),
    ("Button", {"method": "custom", "content": {"event": "click", "lagi": 1}}, None),
    ("Button", {"method": "update", "state": {"disabled": False}}, None),
    ("ToggleButtons", {"method": "custom", "content": {"event": "click"}}, None),
    ("ToggleButtons", {"method": "request_state"}, "state"),
    ("ToggleButtons", {"method": "apa"}, None),
    ("ToggleButtons", "sampah", None),
])
def test_only_what_a_person_can_send_reaches_a_widget(widget, data, kept):
    """Browser messages are cut down to a choice, a typed text, a click or a state request; the rest is dropped."""
    import ipywidgets

    w = getattr(ipywidgets, widget)()
    msg = {"content": {"comm_id": "x", "data": data}, "buffers": [b"\x00" * 10]}
    out = kernel.screen_browser_message(w, msg)
    if kept is None:
        assert out is None
    elif kept == "click":
        assert out["content"]["data"] == {"method": "custom", "content": {"event": "click"}} and out["buffers"] == []
    elif kept == "state":
        assert out == msg
    else:
        assert out["content"]["data"] == {"method": "update", "state": kept} and out["buffers"] == []
    w.close()


def _texts(widget) -> str:
    """All the HTML a widget tree shows, joined."""
    own = widget.value if hasattr(widget, "value") and isinstance(widget.value, str) else ""
    return own + "".join(_texts(child) for child in getattr(widget, "children", ()))


def test_the_submit_hint_names_too_many_tidak_dapat_menilai_as_the_blocker(small_org):
    """A complete form with only "Tidak dapat menilai" cannot be sent, and the hint says that is why."""
    _app, form, _aid = _open(small_org, "andi", "budi")
    _fill(form, tdm=len(form.scores))
    assert form.submit_button.disabled
    assert "Terlalu banyak “Tidak dapat menilai”" in _texts(form)
    assert "belum diisi" not in _texts(form)


def test_the_self_form_speaks_to_the_rater_and_competencies_are_levels(small_org):
    """The self form asks about "diri Anda sendiri", never "pegawai ini"; competency options are named as levels,
    behaviour options by their expectation anchors."""
    _app, form, _aid = _open(small_org, "andi", "andi")
    text = _texts(form)
    assert "diri Anda sendiri" in text and "pegawai ini" not in text
    assert "pegawai ini" in _texts(_open(small_org, "andi", "budi")[1])  # a colleague's form does say it
    competencies = [w for code, w in form.scores.items() if code.startswith("K")]
    behaviours = [w for code, w in form.scores.items() if code.startswith("B")]
    assert competencies and behaviours
    assert all(w.tooltips[:5] == ("Level 1", "Level 2", "Level 3", "Level 4", "Level 5") for w in competencies)
    assert all(w.tooltips[0].startswith("1 = ") for w in behaviours)
