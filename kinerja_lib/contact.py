"""Contact details of pegawai: phone numbers in international form, checked e-mail addresses, WhatsApp links."""

from __future__ import annotations

import re
from urllib.parse import quote

#: Indonesia's country calling code; a national number (0812…) becomes 62812….
COUNTRY_CODE = "62"

# What people type between the digits of a phone number.
_PHONE_NOISE = re.compile(r"[\s.\-()/]+")
# After the trunk prefix: 8-12 digits, the first not 0 (mobile 8xx…, or an area code 2x…-9x…).
_NATIONAL = re.compile(r"[1-9]\d{7,11}")
# Any other country: E.164 allows at most 15 digits, country code included.
_INTERNATIONAL = re.compile(r"[1-9]\d{7,14}")

# A deliberately plain address check: one @, an ASCII local part of the usual characters, a domain
# of dot-separated labels ending in letters. Mail servers accept more, but a roster holds office and
# personal addresses, and a typing mistake (a comma, a space, a missing dot) is what this must catch.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TLD = re.compile(r"[A-Za-z]{2,63}")


def parse_phone(value: str) -> tuple[str | None, str | None]:
    """Return ``(number, None)`` with the number in international form (digits only), or ``(None, message)``.

    Indonesian numbers are written many ways; all become ``62…``: ``0812…``, ``+62 812…``, ``62812…``,
    ``(0271) 123456``, ``812…`` (a spreadsheet dropped the 0), ``+62 (0) 812…``. A number with
    another country code must start with ``+`` (or ``00``).

    >>> parse_phone("0812-3456-7890")
    ('6281234567890', None)
    >>> parse_phone("+62 812 3456 789")
    ('628123456789', None)
    >>> parse_phone("812345678")[0], parse_phone("+60 12-345 6789")[0]
    ('62812345678', '60123456789')
    >>> parse_phone("0812")[1]
    "nomor HP '0812' terlalu pendek atau tidak dikenal; tulis mis. 0812-3456-7890 atau +62 812-3456-7890"
    """
    text = str(value).strip()
    compact = _PHONE_NOISE.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    international = compact.startswith("+")
    digits = compact.lstrip("+")
    hint = "; tulis mis. 0812-3456-7890 atau +62 812-3456-7890"
    if not digits.isascii() or not digits.isdigit():
        return None, f"nomor HP '{text[:40]}' memuat karakter selain angka{hint}"
    if digits.startswith(COUNTRY_CODE):
        national = digits[len(COUNTRY_CODE):]
        if national.startswith("0"):   # "+62 (0) 812…": the trunk 0 written after the country code
            national = national[1:]
    elif international:
        if _INTERNATIONAL.fullmatch(digits):
            return digits, None
        return None, f"nomor HP '{text[:40]}' bukan nomor internasional yang sah{hint}"
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if not _NATIONAL.fullmatch(national):
        return None, f"nomor HP '{text[:40]}' terlalu pendek atau tidak dikenal{hint}"
    return COUNTRY_CODE + national, None


def parse_email(value: str) -> tuple[str | None, str | None]:
    """Return ``(address, None)`` with the domain in lower case, or ``(None, message)`` for a malformed address.

    >>> parse_email(" Sri.Lestari@Surakarta.go.id ")
    ('Sri.Lestari@surakarta.go.id', None)
    >>> parse_email("sri lestari@surakarta.go.id")[1]
    "alamat e-mail 'sri lestari@surakarta.go.id' tidak sah; tulis mis. nama@surakarta.go.id"
    """
    text = str(value).strip()
    message = f"alamat e-mail '{text[:80]}' tidak sah; tulis mis. nama@surakarta.go.id"
    if len(text) > 254 or text.count("@") != 1:
        return None, message
    local, domain = text.split("@")
    labels = domain.split(".")
    if (len(local) > 64 or not _LOCAL.fullmatch(local) or len(labels) < 2
            or not all(_LABEL.fullmatch(label) for label in labels) or not _TLD.fullmatch(labels[-1])):
        return None, message
    return f"{local}@{domain.lower()}", None


def whatsapp_url(number: str, message: str) -> str:
    """Return a WhatsApp click-to-chat link that opens a chat with ``number`` holding ``message``.

    It needs no WhatsApp API account: the admin opens it and presses send. ``number`` is in
    international form, digits only (see :func:`parse_phone`).

    >>> whatsapp_url("6281234567890", "Yth. Sri: isi di https://x/?t=a&b")
    'https://wa.me/6281234567890?text=Yth.%20Sri%3A%20isi%20di%20https%3A%2F%2Fx%2F%3Ft%3Da%26b'
    """
    if not (number.isascii() and number.isdigit()):
        raise ValueError(f"nomor WhatsApp harus berupa angka saja dalam bentuk internasional: {number!r}")
    return f"https://wa.me/{number}?text={quote(message, safe='')}"
