"""Contact details: phone numbers normalised to international form, e-mail checked, both imported with the roster."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from kinerja_lib.contact import parse_email, parse_phone, whatsapp_url
from kinerja_lib.roster import import_roster

from test_roster_import import BASE, HEADER, dump, rejected, write_roster

CONTACT_HEADER = [*HEADER, "No. HP / WhatsApp", "E-mail"]


@pytest.mark.parametrize("typed, stored", [
    ("081234567890", "6281234567890"),
    ("0812-3456-7890", "6281234567890"),
    ("0812 3456 789", "628123456789"),
    ("+62 812-3456-7890", "6281234567890"),
    ("62 812 3456 7890", "6281234567890"),
    ("+62 (0) 812 3456 7890", "6281234567890"),
    ("0062 812 3456 7890", "6281234567890"),
    ("81234567890", "6281234567890"),          # a spreadsheet dropped the leading 0
    ("(0271) 642020", "62271642020"),           # a landline with WhatsApp Business
    ("+60 12-345 6789", "60123456789"),         # a number abroad keeps its own country code
])
def test_phone_numbers_become_international(typed, stored):
    """Every way an Indonesian number is written gives the same 62… digits."""
    assert parse_phone(typed) == (stored, None)


@pytest.mark.parametrize("typed", ["0812", "08123", "0812-3456-7890-1234", "0812 ABC 7890", "+0812345678",
                                   "00", "=1+2", "６２８１２３４５６７８", "08/12"])
def test_malformed_phone_numbers_are_refused(typed):
    """Too short, too long, letters, a formula, full-width digits: refused with an Indonesian message."""
    number, message = parse_phone(typed)
    assert number is None and message.startswith("nomor HP '") and "0812-3456-7890" in message


@pytest.mark.parametrize("typed, stored", [
    ("sri@surakarta.go.id", "sri@surakarta.go.id"),
    (" Sri.Lestari@Surakarta.GO.ID ", "Sri.Lestari@surakarta.go.id"),
    ("budi+kinerja@mail.example.com", "budi+kinerja@mail.example.com"),
])
def test_email_addresses_are_kept_with_a_lower_case_domain(typed, stored):
    assert parse_email(typed) == (stored, None)


@pytest.mark.parametrize("typed", ["sri", "sri@", "@surakarta.go.id", "sri@surakarta", "sri@@surakarta.go.id",
                                   "sri lestari@surakarta.go.id", "sri@surakarta,go.id", "sri@surakarta..go.id",
                                   "sri.@surakarta.go.id", "sri@-surakarta.go.id", "séri@surakarta.go.id",
                                   "sri@surakarta.go.id\nBcc: x@y.id", "sri@surakarta.go.1d"])
def test_malformed_email_addresses_are_refused(typed):
    """A missing part, a space, a comma, a doubled dot, a header injection: refused."""
    address, message = parse_email(typed)
    assert address is None and message.startswith("alamat e-mail '")


def test_whatsapp_link_carries_the_whole_message():
    """The click-to-chat link opens the number's chat with the message, every character intact."""
    message = "Yth. Andi <b>&\"Co\"</b>,\nisi di https://nilai.example.go.id/p?t=AbC-_9&x=1 #1 100%"
    url = whatsapp_url("6281234567890", message)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/6281234567890")
    assert parse_qs(parts.query) == {"text": [message]}
    with pytest.raises(ValueError):
        whatsapp_url("+62812", message)


def _contacts(db) -> dict[str, tuple]:
    return {r[0]: (r[1], r[2]) for r in db.execute("SELECT nip, no_hp, email FROM pegawai")}


def test_roster_with_phone_and_email_is_imported_normalised(db, tmp_path):
    """The optional columns are stored in international form; blank cells stay empty."""
    contacts = [("0812-1111-2222", "Sri.W@Surakarta.go.id"), ("+62 813 3333 4444", ""), ("", "fajar@example.id"),
                ("", "")]
    rows = [[*r, *c] for r, c in zip(BASE, contacts)]
    import_roster(db, write_roster(tmp_path, rows, header=CONTACT_HEADER))
    assert _contacts(db) == {BASE[0][0]: ("6281211112222", "Sri.W@surakarta.go.id"),
                             BASE[1][0]: ("6281333334444", None), BASE[2][0]: (None, "fajar@example.id"),
                             BASE[3][0]: (None, None)}


def test_a_malformed_contact_rejects_the_whole_file_naming_row_and_column(db, tmp_path):
    """A bad number or address is reported with its row and the header as written; nothing is written."""
    import_roster(db, write_roster(tmp_path, BASE))
    contacts = [("0812-1111-2222", "sri@surakarta.go.id"), ("0812", ""), ("", "fajar@surakarta"), ("", "")]
    rows = [[*r, *c] for r, c in zip(BASE, contacts)]
    assert rejected(db, write_roster(tmp_path, rows, header=CONTACT_HEADER, name="kontak.csv")) == [
        (3, "No. HP / WhatsApp", "nomor HP '0812' terlalu pendek atau tidak dikenal; tulis mis. 0812-3456-7890 "
                                 "atau +62 812-3456-7890"),
        (4, "E-mail", "alamat e-mail 'fajar@surakarta' tidak sah; tulis mis. nama@surakarta.go.id"),
    ]


def test_reimport_without_the_contact_columns_keeps_them(db, tmp_path):
    """A later roster without No. HP / E-mail leaves the stored contacts alone; with them, it updates them."""
    rows = [[*r, "0812-1111-2222", "a@example.id"] for r in BASE]
    import_roster(db, write_roster(tmp_path, rows, header=CONTACT_HEADER))
    before = _contacts(db)
    import_roster(db, write_roster(tmp_path, BASE, name="tanpa-kontak.csv"))
    assert _contacts(db) == before
    rows[0][-2:] = ["0813-9999-0000", ""]
    import_roster(db, write_roster(tmp_path, rows, header=CONTACT_HEADER, name="baru.csv"))
    assert _contacts(db)[BASE[0][0]] == ("6281399990000", None)


def test_the_schema_refuses_a_contact_the_import_would_refuse(db, tmp_path):
    """The columns' CHECKs hold the shape even for writes that bypass the importer."""
    import sqlite3

    import_roster(db, write_roster(tmp_path, BASE))
    before = dump(db)
    for column, value in [("no_hp", "0812-1111"), ("no_hp", "62"), ("email", "bukan-alamat")]:
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(f"UPDATE pegawai SET {column} = ? WHERE nip = ?", [value, BASE[0][0]])
    assert dump(db) == before
