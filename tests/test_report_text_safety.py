"""Comments render safely in the PDF report: a right-to-left override cannot reverse text, and a 1,000-character
word wraps inside the page instead of running off it."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import pdf_text
from live import require_chromium

from kinerja_lib.demo import build_demo_database
from kinerja_lib.reports import css_string, render_reports, without_bidi_controls
from kinerja_lib.store import now

RLO, PDF, RLI, PDI = "\u202e", "\u202c", "\u2067", "\u2069"
LONG = "abcdefghij" * 100   # one word of 1,000 characters


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """One pegawai's PDF report whose atasan comment holds an RLO override and a 1,000-character word."""
    require_chromium()
    work = tmp_path_factory.mktemp("teks")
    db, summary = build_demo_database(work / "demo.db", 40, 11, cycles=1)
    assignment, ratee = db.execute(
        "SELECT id, ratee_nip FROM assignment WHERE cycle_id = ? AND relation = 'atasan' AND status = 'terkirim' "
        "ORDER BY id LIMIT 1", [summary.cycle_id]).fetchone()
    comment = f"Awal {RLO}kalimat terbalik{PDF} akhir. {RLI}sisipan{PDI} {LONG} selesai."
    db.execute("INSERT OR REPLACE INTO comment (assignment_id, jenis, teks, diperbarui) VALUES (?, 'kekuatan', ?, ?)",
               [assignment, comment, now()])
    db.conn.commit()
    paths = render_reports(db, summary.cycle_id, nip=ratee, out_dir=work / "pdf", html=True, progress=False)
    db.close()
    return paths[0]


def test_an_override_in_a_comment_does_not_reverse_its_text(hostile_report):
    """pdftotext reads the comment in its typed order: the override characters are gone."""
    text = pdf_text(hostile_report)
    assert "Awal kalimat terbalik akhir." in text
    assert "kilabret" not in text and "tamilak" not in text
    html = hostile_report.with_suffix(".html").read_text(encoding="utf-8")
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", html)
    assert '<p class="komentar" dir="auto">' in html


def test_a_thousand_character_word_is_all_there_and_inside_the_page(hostile_report):
    """Every character of the long word is in the PDF text, and no word's box extends past the page edge."""
    text = pdf_text(hostile_report)
    start = text.index("abcdefghij")
    joined = re.sub(r"\s+", "", text[start:start + 2_000])
    assert LONG + "selesai." in joined
    boxes = subprocess.run(["pdftotext", "-bbox", str(hostile_report), "-"], capture_output=True, text=True,
                           check=True).stdout
    widths = [float(w) for w in re.findall(r'<page width="([\d.]+)"', boxes)]
    right_edges = [float(x) for x in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"', boxes)]
    assert widths and right_edges and max(right_edges) <= min(widths)


@pytest.mark.parametrize("value, expected", [
    (f"Nama{RLO}ok", "Namaok"), (f"\u202a\u202b\u202c\u202d{RLI}\u2066\u2068{PDI}x", "x"), ("عليّ", "عليّ")])
def test_override_characters_are_removed_from_plain_text(value, expected):
    """Every embedding, override and isolate control is dropped; right-to-left letters stay."""
    assert without_bidi_controls(value) == expected
    assert "202e" not in str(css_string(value))
