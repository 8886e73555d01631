"""The instansi's identity and time zone: settings read from instansi.yaml, used on every printed page."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from kinerja_lib import instansi as instansi_module
from kinerja_lib import reports
from kinerja_lib.config import PROJECT_ROOT
from kinerja_lib.errors import ReferenceDataError
from kinerja_lib.instansi import load_instansi

SHIPPED = PROJECT_ROOT / "data" / "referensi"


@pytest.fixture
def own_reference(tmp_path, monkeypatch):
    """A copy of the reference folder an office edits, selected by $KINERJA_REFERENSI."""
    folder = tmp_path / "referensi"
    shutil.copytree(SHIPPED, folder)
    monkeypatch.setenv("KINERJA_REFERENSI", str(folder))
    load_instansi.cache_clear()
    yield folder
    load_instansi.cache_clear()


class _Clock(datetime):
    """datetime whose now() is a fixed UTC moment, converted to the zone asked for."""

    moment = datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)

    @classmethod
    def now(cls, tz=None):
        return cls.moment.astimezone(tz) if tz else cls.moment.replace(tzinfo=None)


def test_shipped_settings_name_surakarta_in_wib():
    office = load_instansi(SHIPPED)
    assert (office.nama, office.tempat, office.zona_waktu, office.zone_label) == \
        ("Pemerintah Kota Surakarta", "Surakarta", "Asia/Jakarta", "WIB")
    assert office.penandatangan["daftar_pendek"].jabatan == "Ketua Tim Penilai Kinerja"


def test_dates_shown_are_in_the_instansi_zone(monkeypatch):
    """At 23:30 UTC on 31 December it is already 1 January in WIB, and still 31 December in UTC-based code."""
    monkeypatch.setattr(instansi_module, "datetime", _Clock)
    office = load_instansi(SHIPPED)
    assert office.today().isoformat() == "2027-01-01"
    assert reports.tanggal("2026-12-31T23:30:00+00:00") == "1 Januari 2027"
    assert reports.tanggal("2026-12-31") == "31 Desember 2026"        # a date is a date, whatever the zone


def test_times_are_shown_in_the_instansi_zone_and_missing_ones_as_nothing():
    """A stored UTC time reads as the office reads it; None and a table's missing value (NaN) read as ''."""
    import pandas as pd

    office = load_instansi(SHIPPED)
    assert office.waktu("2026-12-31T23:30:00+00:00") == "01-01-2027 06:30 WIB"
    assert office.waktu("2026-12-31T23:30:00") == "01-01-2027 06:30 WIB"          # naive means UTC
    assert office.waktu(datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)) == "01-06-2026 09:00 WIB"
    assert office.waktu(None) == office.waktu("") == office.waktu(float("nan")) == ""
    column = pd.Series(["2026-06-01T02:00:00+00:00", None], dtype="str")          # a decided and an open one
    assert column.map(office.waktu).tolist() == ["01-06-2026 09:00 WIB", ""]


def test_berita_acara_is_dated_where_it_is_signed(small_org, monkeypatch):
    """The default date of a penetapan is today in WIB, not the server's UTC date."""
    monkeypatch.setattr(instansi_module, "datetime", _Clock)
    ctx = reports.build_berita_acara_data(small_org.db, small_org.cycle.id, "Dinas Uji")
    assert ctx["tanggal"] == "1 Januari 2027"


def test_an_office_sets_its_own_name_place_and_zone(own_reference, small_org, monkeypatch):
    text = (own_reference / "instansi.yaml").read_text(encoding="utf-8")
    text = (text.replace('nama: "Pemerintah Kota Surakarta"', 'nama: "Pemerintah Kota Makassar"')
                .replace('teks_logo: "Pemerintah Kota Surakarta"', 'teks_logo: "BKPSDM Kota Makassar"')
                .replace('tempat: "Surakarta"', 'tempat: "Makassar"')
                .replace('zona_waktu: "Asia/Jakarta"', 'zona_waktu: "Asia/Makassar"'))
    (own_reference / "instansi.yaml").write_text(text, encoding="utf-8")
    _Clock.moment = datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc)    # 23:30 WIB, 00:30 WITA
    monkeypatch.setattr(instansi_module, "datetime", _Clock)
    try:
        ctx = reports.build_berita_acara_data(small_org.db, small_org.cycle.id, "Dinas Uji")
    finally:
        _Clock.moment = datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)
    html = reports.render_berita_acara_html(ctx)
    assert ctx["tanggal"] == "1 Januari 2027" and load_instansi().zone_label == "WITA"
    assert "BKPSDM Kota Makassar" in html and "Makassar, 1 Januari 2027" in html
    assert "Surakarta" not in html


@pytest.mark.parametrize("change, message", [
    (('zona_waktu: "Asia/Jakarta"', 'zona_waktu: "Jawa/Tengah"'), "zona_waktu 'Jawa/Tengah' tidak dikenal"),
    (('tempat: "Surakarta"', 'tempat: ""'), "'tempat' wajib diisi"),
    (('    jabatan: "Ketua Tim Penilai Kinerja"\n', ''), "'penandatangan.daftar_pendek.jabatan' wajib diisi"),
])
def test_a_wrong_setting_names_the_file_and_key(own_reference, change, message):
    path = own_reference / "instansi.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="instansi.yaml") as error:
        load_instansi()
    assert message in str(error.value)


def test_the_form_pages_show_times_in_the_offices_own_zone(own_reference, small_org):
    """A Makassar office sees when a form was submitted in WITA on the rater's page (it read WIB, whatever the
    office had set)."""
    from kinerja_lib import links
    from kinerja_lib.forms.rater import RaterApp

    text = (own_reference / "instansi.yaml").read_text(encoding="utf-8")
    (own_reference / "instansi.yaml").write_text(
        text.replace('zona_waktu: "Asia/Jakarta"', 'zona_waktu: "Asia/Makassar"'), encoding="utf-8")
    grant = links.resolve(small_org.db, links.issue_links(small_org.db, small_org.cycle.id,
                                                          nips=[small_org.nip["andi"]])[0].token)
    aid = small_org.assignment[("andi", "budi")]
    app = RaterApp(small_org.db, grant)
    app.open_buttons[aid].click()
    for widget in app.form.scores.values():
        widget.value = 4
    app.form.submit_button.click()
    app.form.confirm_button.click()
    stamp = small_org.db.execute("SELECT terkirim FROM assignment WHERE id = ?", [aid]).fetchone()[0]
    local = datetime.fromisoformat(stamp).astimezone(ZoneInfo("Asia/Makassar"))

    def walk(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from walk(child)

    banner = next(w.value for w in walk(app) if "Terkirim pada" in str(getattr(w, "value", "")))
    assert f"Terkirim pada {local:%d-%m-%Y %H:%M} WITA." in banner
