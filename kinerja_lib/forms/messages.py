"""The Indonesian texts the form server shows without a kernel, and the small pages carrying them.

Plain Python (no ipywidgets): the server's gate answers with these pages before any kernel is used,
and the widget apps show the same words, so a rater meets one wording whichever side refuses.
"""

from __future__ import annotations

import html

#: Shown for any unexpected failure; the details go to the log file only.
GENERIC_ERROR = ("Terjadi kesalahan sistem. Jawaban terakhir mungkin belum tersimpan; "
                 "muat ulang halaman lalu coba lagi.")
DENIED_TITLE = "Tautan tidak dapat digunakan"
DENIED_HELP = ("Tautan ini tidak valid, sudah dicabut, sudah kedaluwarsa, atau periode penilaiannya sudah ditutup. "
               "Hubungi admin kepegawaian (BKPSDM) untuk mendapatkan tautan yang berlaku.")
UNAVAILABLE_TITLE = "Layanan belum tersedia"
UNAVAILABLE_HELP = ("Formulir penilaian sedang tidak dapat dibuka. Coba beberapa saat lagi atau "
                    "hubungi admin kepegawaian (BKPSDM).")
BUSY_TITLE = "Server sedang sibuk, coba lagi"
BUSY_HELP = ("Terlalu banyak formulir sedang dibuka saat ini. Tunggu sebentar, lalu muat ulang "
             "halaman ini. Jawaban yang sudah tersimpan tidak hilang.")
BUSY_LINK_HELP = ("Tautan ini sedang terbuka di terlalu banyak tab atau perangkat. Tutup tab lain yang "
                  "memakai tautan ini, tunggu sebentar, lalu muat ulang halaman ini.")
SURVEY_DENIED_HELP = ("Kode QR atau tautan survei ini sudah tidak berlaku (titik layanan ditutup atau kodenya "
                      "diganti). Mintalah kode QR yang berlaku kepada petugas layanan.")
SURVEY_BUSY_HELP = ("Terlalu banyak permintaan dalam satu menit. Tunggu sebentar, lalu muat ulang halaman ini.")
NOT_FOUND_TITLE = "Halaman tidak ditemukan"
NOT_FOUND_HELP = "Periksa kembali tautan yang Anda terima dari admin kepegawaian (BKPSDM)."
RETRY = "Coba lagi"
RELOAD = "Muat ulang halaman"
HALTED_TITLE = "Formulir dihentikan"

_PAGE = """<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} — Kinerja 360</title>
<style>
body {{ margin: 0; background: #f8fafc; color: #1f2933;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; }}
.k360-denied {{ max-width: 640px; margin: 40px auto; border: 1px solid #f5c2c2; background: #fff5f5;
  border-radius: 12px; padding: 20px 22px; font-size: 16px; line-height: 1.5; }}
.k360-denied h1 {{ font-size: 20px; color: #9b1c1c; margin: 0 0 8px 0; }}
.k360-denied a {{ display: inline-block; margin-top: 8px; background: #12355b; color: #fff; border-radius: 8px;
  padding: 8px 16px; text-decoration: none; }}
</style></head>
<body><div class="k360-denied" role="alert"><h1>{title}</h1><p>{text}</p>{action}</div></body></html>
"""


def page(title: str, text: str, retry: bool = False) -> str:
    """Return a whole small HTML page with one message (escaped), and a "Coba lagi" link when ``retry``.

    The link reloads the same address, so a rater who was told to wait keeps their token.

    >>> "Server sedang sibuk" in page(BUSY_TITLE, BUSY_HELP, retry=True)
    True
    """
    action = f'<a href="" class="k360-reload">{html.escape(RETRY)}</a>' if retry else ""
    return _PAGE.format(title=html.escape(title), text=html.escape(text), action=action)
