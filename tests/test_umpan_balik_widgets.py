"""The umpan-balik views of the rater app without a browser: click, type, assert on the database."""

from __future__ import annotations

from datetime import date

from kinerja_lib import links, umpan_balik
from kinerja_lib.forms import RaterApp
from kinerja_lib.forms.umpan_balik import ATASAN_BUTTON, BELUM, PEGAWAI_BUTTON, AtasanView, PegawaiView


def _app(org, key):
    issued = links.issue_links(org.db, org.cycle.id, nips=[org.nip[key]])[0]
    return RaterApp(org.db, links.resolve(org.db, issued.token))


def _entry_buttons(app):
    found = {}
    for child in app._body.children:
        if "k360-umpan-balik-entry" in child._dom_classes:
            found = {b.description.split(" (")[0]: b for b in child.children}
    return found


def test_only_an_atasan_gets_the_bawahan_button_and_everyone_their_own(small_org):
    assert set(_entry_buttons(_app(small_org, "kepala"))) == {ATASAN_BUTTON, PEGAWAI_BUTTON}
    assert set(_entry_buttons(_app(small_org, "andi"))) == {PEGAWAI_BUTTON}


def test_an_atasan_writes_a_note_and_the_pegawai_acknowledges_it_through_their_links(small_org):
    """The whole round: note saved only after the write, shown escaped, acknowledged, then fixed."""
    db, nip = small_org.db, small_org.nip
    boss = _app(small_org, "kepala")
    _entry_buttons(boss)[ATASAN_BUTTON].click()
    view = boss.view
    assert isinstance(view, AtasanView)
    assert set(view.bawahan.options) == {(f"{n} (NIP {nip[k]})", nip[k]) for k, n in (
        ("andi", 'Andi <b>Pratama</b> & "Co"'), ("budi", "Budi Santoso"), ("citra", "Citra Lestari"))}
    view.bawahan.value = nip["andi"]
    f = view.fields
    f["tanggal"].value = date(2026, 3, 10)
    f["topik"].value = "Target <script>alert(1)</script> layanan"
    f["tindak_lanjut"].value = "Ikut bimtek"
    f["nilai"].value = "B1"
    view.save_button.click()
    assert "Catatan tersimpan" in view.message
    [n] = umpan_balik.notes(db, nip=nip["andi"])
    assert (n.topik, n.tindak_lanjut, n.nilai, n.tanggal) == ("Target <script>alert(1)</script> layanan",
                                                              "Ikut bimtek", "B1", "2026-03-10")
    html = view.notes_html()
    assert "&lt;script&gt;" in html and "<script>" not in html and BELUM in html and "10 Maret 2026" in html
    assert f["topik"].value == ""                   # the form is cleared for the next note

    # edit before acknowledgement
    view.edit_buttons[n.id].click()
    assert f["topik"].value == n.topik
    f["topik"].value = "Target layanan"
    view.save_button.click()
    assert "Perubahan catatan tersimpan" in view.message
    assert umpan_balik.note(db, n.id).topik == "Target layanan"

    staff = _app(small_org, "andi")
    assert "(1 baru)" in [b.description for b in _entry_buttons(staff).values()][0]
    _entry_buttons(staff)[PEGAWAI_BUTTON].click()
    mine = staff.view
    assert isinstance(mine, PegawaiView) and "Target layanan" in mine.notes_html()
    mine.answers[n.id].value = "Siap <i>laksanakan</i>"
    mine.confirm_buttons[n.id].click()
    assert "dikonfirmasi" in mine.message
    stored = umpan_balik.note(db, n.id)
    assert stored.locked and stored.tanggapan == "Siap <i>laksanakan</i>"
    assert mine.confirm_buttons == {} and "&lt;i&gt;laksanakan" in mine.notes_html()

    # the atasan's still-open page: the edit button is gone after a reload, and a crafted click is refused
    old_button = view.edit_buttons[n.id]
    old_button.click()
    assert "sudah dikonfirmasi" in view.message
    view.bawahan.value = nip["budi"]
    view.bawahan.value = nip["andi"]
    assert n.id not in view.edit_buttons and "Dikonfirmasi pegawai" in view.notes_html()


def test_a_refused_note_says_why_and_saves_nothing(small_org):
    boss = _app(small_org, "kepala")
    _entry_buttons(boss)[ATASAN_BUTTON].click()
    view = boss.view
    view.fields["topik"].value = "   "
    view.save_button.click()
    assert "wajib diisi" in view.message and "tersimpan" not in view.message
    assert umpan_balik.notes(small_org.db) == []


def test_the_atasan_sets_ekspektasi_and_the_rating_form_shows_it(small_org):
    db, nip = small_org.db, small_org.nip
    boss = _app(small_org, "kepala")
    _entry_buttons(boss)[ATASAN_BUTTON].click()
    view = boss.view
    view.bawahan.value = nip["budi"]
    view.ekspektasi["B4"].value = "Bantu <rekan> baru"
    assert "tersimpan" in view.message
    assert umpan_balik.ekspektasi(db, nip["budi"], 2026) == {"B4": "Bantu <rekan> baru"}
    rater = _app(small_org, "andi")
    aid = small_org.assignment[("andi", "budi")]
    rater.open_buttons[aid].click()
    page = "\n".join(w.value for w in _walk(rater.form) if hasattr(w, "value") and isinstance(w.value, str))
    assert "Ekspektasi atasan untuk pegawai ini:</b> Bantu &lt;rekan&gt; baru" in page


def test_a_revoked_link_closes_the_view(small_org):
    boss = _app(small_org, "kepala")
    _entry_buttons(boss)[ATASAN_BUTTON].click()
    view = boss.view
    links.revoke(small_org.db, small_org.cycle.id, small_org.nip["kepala"])
    view.fields["topik"].value = "Apa saja"
    view.save_button.click()
    assert boss.denied and umpan_balik.notes(small_org.db) == []


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_a_note_dated_outside_the_links_year_is_refused(small_org):
    """The page lists the cycle's year, so a dialog dated in another year would vanish from it: refused."""
    boss = _app(small_org, "kepala")
    _entry_buttons(boss)[ATASAN_BUTTON].click()
    view = boss.view
    view.fields["tanggal"].value = date(2025, 12, 30)
    view.fields["topik"].value = "Akhir tahun lalu"
    view.save_button.click()
    assert "tahun kinerja 2026" in view.message and umpan_balik.notes(small_org.db) == []
