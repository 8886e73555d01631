"""The keberatan views of the rater app without a browser: click, type, assert on the database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kinerja_lib import keberatan, links
from kinerja_lib.forms import RaterApp
from kinerja_lib.forms.keberatan import PEGAWAI_BUTTON, PEMUTUS_BUTTON, PegawaiView, PemutusView, when
from kinerja_lib.vocabulary import VOCAB


def _decide(org, days_ago=1, who="andi"):
    at = (datetime.now(timezone.utc) - timedelta(days=days_ago)).replace(microsecond=0).isoformat()
    for table, rating in (("rating_hasil_kerja", "Sesuai Ekspektasi"), ("rating_perilaku", "Di Bawah Ekspektasi")):
        org.db.execute(f"INSERT INTO {table} (cycle_id, nip, rating, sumber, penilai_nip, diperbarui) "
                       "VALUES (?, ?, ?, 'formulir', ?, ?)",
                       [org.cycle.id, org.nip[who], rating, org.nip["kepala"], at])
    org.db.execute("UPDATE pegawai SET atasan_nip = ? WHERE nip = ?", [org.nip["dewi"], org.nip["kepala"]])
    org.db.conn.commit()
    return at


def _app(org, key):
    issued = links.issue_links(org.db, org.cycle.id, nips=[org.nip[key]])[0]
    return RaterApp(org.db, links.resolve(org.db, issued.token))


def _buttons(app):
    """Description (without a count) -> button, for the keberatan cards of the list page."""
    found = {}
    for card in app._body.children:
        for w in getattr(card, "children", ()):
            if any(c.startswith("k360-keberatan") for c in getattr(w, "_dom_classes", ())):
                found[w.description.split(" (")[0]] = w
    return found


def test_the_entries_appear_only_for_a_decided_predikat_and_for_the_decider_with_work(small_org):
    assert _buttons(_app(small_org, "andi")) == {}
    _decide(small_org)
    assert set(_buttons(_app(small_org, "andi"))) == {PEGAWAI_BUTTON}
    assert _buttons(_app(small_org, "budi")) == {} and _buttons(_app(small_org, "dewi")) == {}
    andi = _app(small_org, "andi")
    keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "x", pelaku="t")
    dewi = _app(small_org, "dewi")
    assert set(_buttons(dewi)) == {PEMUTUS_BUTTON}
    assert _buttons(dewi)[PEMUTUS_BUTTON].description == f"{PEMUTUS_BUTTON} (1)"
    assert _buttons(_app(small_org, "kepala")) == {}     # the Pejabat Penilai does not decide on their own decision
    assert "Keberatan" in andi.list_html()


def test_the_pegawai_lodges_sees_the_status_and_withdraws_after_confirming(small_org):
    decided = _decide(small_org)
    app = _app(small_org, "andi")
    _buttons(app)[PEGAWAI_BUTTON].click()
    view = app.view
    assert isinstance(view, PegawaiView)
    deadline = keberatan.lodge_deadline(decided)
    page = view.html()
    assert "<b>Kurang/Misconduct</b>" in page and "WIB" in page
    assert when(deadline) in page and when(deadline).split()[1] in (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
        "November", "Desember")

    view.alasan.value = "   "
    view.lodge_button.click()
    assert "wajib diisi" in view.message and "terkirim" not in view.message
    view.alasan.value = "Capaian <script>x</script> diabaikan"
    view.lodge_button.click()
    assert "terkirim" in view.message
    [o] = keberatan.own_standing(small_org.db, view._grant).objections
    assert (o.status, o.alasan) == ("diajukan", "Capaian <script>x</script> diabaikan")
    page = view.html()
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert f">{VOCAB.status_keberatan.label('diajukan')}</span>" in page
    assert view.alasan not in view.children                  # no second objection while one is open

    view.confirm_button.click()                              # a crafted confirm without the first step
    assert "terlebih dahulu" in view.message
    assert keberatan.own_standing(small_org.db, view._grant).terbuka is not None
    view.withdraw_button.click()
    assert f"Tarik keberatan nomor {o.id}" in view.html()
    view.cancel_button.click()
    assert keberatan.own_standing(small_org.db, view._grant).terbuka is not None
    view.withdraw_button.click()
    view.confirm_button.click()
    assert "sudah ditarik" in view.message
    [o] = keberatan.own_standing(small_org.db, view._grant).objections
    assert o.status == "ditarik"
    assert view.alasan in view.children                      # may object again within the deadline


def test_after_the_deadline_the_view_says_so_and_offers_nothing(small_org):
    _decide(small_org, days_ago=20)
    app = _app(small_org, "andi")
    _buttons(app)[PEGAWAI_BUTTON].click()
    view = app.view
    assert "sudah lewat" in view.html() and view.alasan not in view.children and view.lodge_button not in view.children
    view.alasan.value = "crafted"
    view.lodge_button.click()                                # a crafted click on a button never shown
    assert "Tenggat pengajuan keberatan sudah lewat" in view.message
    assert small_org.db.execute("SELECT count(*) FROM keberatan").fetchone()[0] == 0


def test_the_decider_decides_after_a_confirmation_naming_the_pegawai(small_org):
    _decide(small_org)
    number = keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "Alasan <i>saya</i>",
                             pelaku="t")
    app = _app(small_org, "dewi")
    _buttons(app)[PEMUTUS_BUTTON].click()
    view = app.view
    assert isinstance(view, PemutusView)
    page = view.html()
    assert "Andi &lt;b&gt;Pratama&lt;/b&gt;" in page and small_org.nip["andi"] in page and "Bidang Layanan" in page
    assert "Alasan &lt;i&gt;saya&lt;/i&gt;" in page and "Kurang/Misconduct" in page

    view.decide_buttons[number].click()
    assert "Pilih Diterima atau Ditolak" in view.message
    view.choices[number].value = True
    view.decide_buttons[number].click()
    assert "Uraian keputusan wajib diisi" in view.message
    view.texts[number].value = "Bukti capaian lengkap"
    view.ratings[number]["rating_perilaku"].value = "Sesuai Ekspektasi"
    view.decide_buttons[number].click()
    assert "Andi &lt;b&gt;Pratama" in view.html() and "diterima" in view._confirm_text.value
    assert small_org.db.execute("SELECT status FROM keberatan").fetchone()[0] == "diajukan"   # not yet
    view.confirm_button.click()
    assert "Keputusan tersimpan" in view.message and "predikat kinerja: Baik" in view.message
    row = small_org.db.execute("SELECT status, keputusan, diputuskan_oleh FROM keberatan").fetchone()
    assert row == ("diterima", "Bukti capaian lengkap", small_org.nip["dewi"])
    assert view.decide_buttons == {} and "Tidak ada keberatan" in view.html()
    history = view.html().split("Sudah Anda putuskan", 1)[1]   # the decision stays in view, read-only
    assert "Andi &lt;b&gt;Pratama" in history and "Bukti capaian lengkap" in history and "Diterima" in history
    later = _app(small_org, "dewi")                          # and reachable after the last one was decided
    assert _buttons(later)[PEMUTUS_BUTTON].description == f"{PEMUTUS_BUTTON} (0)"
    assert _buttons(_app(small_org, "kepala")) == {}          # nobody else sees it
    view.confirm_button.click()                              # a second crafted confirm changes nothing
    assert "terlebih dahulu" in view.message

    staff = _app(small_org, "andi")
    _buttons(staff)[PEGAWAI_BUTTON].click()
    page = staff.view.html()
    assert "Bukti capaian lengkap" in page and "Predikat kinerja sesudah keputusan:</b> Baik" in page


def test_a_revoked_link_closes_the_decider_view(small_org):
    _decide(small_org)
    number = keberatan.lodge(small_org.db, small_org.cycle.id, small_org.nip["andi"], "x", pelaku="t")
    app = _app(small_org, "dewi")
    _buttons(app)[PEMUTUS_BUTTON].click()
    view = app.view
    view.choices[number].value = False
    view.texts[number].value = "Ditolak"
    view.decide_buttons[number].click()
    links.revoke(small_org.db, small_org.cycle.id, small_org.nip["dewi"])
    view.confirm_button.click()
    assert app.denied
    assert small_org.db.execute("SELECT status FROM keberatan").fetchone()[0] == "diajukan"


def test_a_broken_route_file_hides_the_entry_and_leaves_the_list_page_working(small_org, monkeypatch):
    from kinerja_lib.errors import ReferenceDataError

    _decide(small_org)

    def broken(directory=None):
        raise ReferenceDataError("keberatan.yaml: 'tenggat_pengajuan_hari' harus bilangan bulat 1..366")

    monkeypatch.setattr(keberatan, "load_route", broken)
    app = _app(small_org, "andi")
    assert _buttons(app) == {} and app.open_buttons and app.message == ""
