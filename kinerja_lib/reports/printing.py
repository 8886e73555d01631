"""HTML to PDF for every printed document: Jinja2 templates (escaped), printed by one headless Chromium.

The individual reports, the berita acara and the award shortlist are all HTML rendered from the templates in
``kinerja_lib/templates`` and printed here, so they share one stylesheet, one escaping rule and one engine.
"""

from __future__ import annotations

import asyncio
import html as htmllib
import importlib.util
import hashlib
import io
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..errors import ReportError
from ..export import write_private_bytes
from .formatting import angka, persen, tanggal

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
ENV_CHROMIUM = "KINERJA_CHROMIUM"

# Explicit embeddings, overrides and isolates (LRE..RLO, LRI..PDI): typed into a name or comment they
# reverse or reorder the text after them. Isolation is the stylesheet's job (<bdi>, unicode-bidi).
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def without_bidi_controls(value: Any) -> Any:
    """Return ``value`` with bidi override characters removed when it is plain text (Jinja's finalize).

    >>> without_bidi_controls("Abc\u202edef")
    'Abcdef'
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return value.translate(_BIDI_CONTROLS)
    return value


def css_string(text: Any) -> Markup:
    """Return ``text`` escaped for a CSS string literal inside a <style> element.

    Every character but ASCII letters and digits becomes a 6-digit CSS escape, so no quote,
    backslash or ``</style>`` typed by a user can end the string or the element.

    >>> str(css_string('a"b'))
    'a\\\\000022b'
    """
    out = []
    for ch in str(text).translate(_BIDI_CONTROLS):
        out.append(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):06x}")
    return Markup("".join(out))


_ENV: Environment | None = None


def page_name(footer: str) -> str:
    """Return the CSS page name of a document with this footer: documents printed together keep their own
    footers, and a document renders the same every time.

    >>> page_name("Laporan 360° · Budi") == page_name("Laporan 360° · Budi") != page_name("Laporan 360° · Sri")
    True
    """
    return "dok" + hashlib.sha256(footer.encode("utf-8")).hexdigest()[:16]


def template_env() -> Environment:
    """Return the Jinja2 environment of the report templates (autoescape on, strict undefined)."""
    global _ENV
    if _ENV is None:
        env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, finalize=without_bidi_controls)
        env.filters.update(angka=angka, persen=persen, tanggal=tanggal, css_string=css_string)
        env.globals["css"] = Markup((TEMPLATE_DIR / "laporan.css").read_text(encoding="utf-8"))
        env.globals["nama_halaman"] = page_name
        _ENV = env
    return _ENV


# --------------------------------------------------------------------------------------------
# PDF: one headless Chromium, many documents per print

# A document's first page carries a 1-pixel link to this address; the link tells where the document starts in
# a batch and is removed from the file written.
_MARK = "https://penanda.kinerja.invalid/"
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_ISI = re.compile(r"<!--isi-->(.*)<!--/isi-->", re.S)
# Helvetica's advance widths (1/1000 em) for the characters of "Halaman 12 dari 34", to right-align it.
_WIDTHS = {**dict.fromkeys("0123456789", 556), " ": 278, "H": 722, "a": 556, "l": 222, "m": 833, "n": 556,
           "d": 556, "r": 333, "i": 222}
_NUMBER_SIZE = 7.5
_NUMBER_RIGHT = 16 / 25.4 * 72      # the pages' right margin (laporan.css), in points
_NUMBER_BASELINE = 21.0             # points above the page's bottom edge: level with the footer's text


@dataclass(frozen=True)
class _Job:
    html: str
    path: Path
    title: str


def _job(html: str, path: Path) -> _Job:
    found = _TITLE.search(html)
    return _Job(html, Path(path), htmllib.unescape(found.group(1).strip()) if found else "")


def compose(jobs: list[_Job]) -> str:
    """Return one HTML document holding every job's document, each starting on its own page with a mark.

    Each document was rendered from ``_dasar.html.j2`` with its own named page (its footer); the head (the
    stylesheet) is the first document's, shared by all.
    """
    first = jobs[0].html
    head, tail = first[:first.index("<!--isi-->")], first[first.index("<!--/isi-->") + len("<!--/isi-->"):]
    parts = []
    for i, job in enumerate(jobs):
        found = _ISI.search(job.html)
        if found is None:
            raise ReportError("Dokumen cetak tidak dibuat dari templat dasar (penanda isi tidak ada)")
        mark = f'<a class="penanda-dokumen" href="{_MARK}{i}"></a>' if len(jobs) > 1 else ""
        parts.append(found.group(1).replace("<!--penanda-->", mark, 1))
    return head + "".join(parts) + tail


def _number_stream(label: str, width: float) -> bytes:
    text_width = sum(_WIDTHS.get(ch, 556) for ch in label) * _NUMBER_SIZE / 1000
    x = width - _NUMBER_RIGHT - text_width
    return (f"q BT 0.42 0.447 0.502 rg /K360Nomor {_NUMBER_SIZE} Tf {x:.2f} {_NUMBER_BASELINE:.2f} Td "
            f"({label}) Tj ET Q").encode("ascii")


def split_and_number(pdf_bytes: bytes, jobs: list[_Job]) -> list[bytes]:
    """Return each job's PDF from one printed batch: its pages, "Halaman i dari n" on each, its own title."""
    import pikepdf

    source = pikepdf.open(io.BytesIO(pdf_bytes))
    starts: dict[int, int] = {}
    for number, page in enumerate(source.pages):
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        keep = pikepdf.Array()
        for annot in annots:
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(_MARK):
                starts.setdefault(int(uri[len(_MARK):]), number)
            else:
                keep.append(annot)
        page.obj.Annots = keep
    if len(jobs) == 1:
        starts = {0: 0}
    if sorted(starts) != list(range(len(jobs))) or starts[0] != 0:
        raise ReportError("Pembagian PDF gabungan gagal: penanda awal dokumen tidak lengkap")
    bounds = [starts[i] for i in range(len(jobs))] + [len(source.pages)]
    font = source.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                   BaseFont=pikepdf.Name.Helvetica,
                                                   Encoding=pikepdf.Name.WinAnsiEncoding))
    out = []
    for i, job in enumerate(jobs):
        document = pikepdf.new()
        pages = source.pages[bounds[i]:bounds[i + 1]]
        for n, page in enumerate(pages, start=1):
            if "/Resources" not in page.obj:
                page.obj.Resources = pikepdf.Dictionary()
            if "/Font" not in page.obj.Resources:
                page.obj.Resources.Font = pikepdf.Dictionary()
            page.obj.Resources.Font.K360Nomor = font
            width = float(page.mediabox[2]) - float(page.mediabox[0])
            # Chromium's drawing may leave a transformation in force: the number is drawn in a clean state.
            page.contents_add(pikepdf.Stream(source, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(source, b"\nQ\n" + _number_stream(f"Halaman {n} dari {len(pages)}",
                                                                                   width)))
            document.pages.append(page)
        document.docinfo["/Title"] = job.title
        document.docinfo["/Creator"] = "Kinerja 360"
        buffer = io.BytesIO()
        document.save(buffer)
        out.append(buffer.getvalue())
    return out


def find_chromium() -> str | None:
    """Return the Chromium executable: ``$KINERJA_CHROMIUM``, else the first on PATH, else None."""
    env = os.environ.get(ENV_CHROMIUM)
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class _Stop(Exception):
    """A print worker failed; the producer stops feeding it."""


async def _print_async(batches: Iterable[list[_Job]], executable: str | None, pages: int, bar: Any) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        try:
            browser = await pw.chromium.launch(
                executable_path=executable, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        except Exception as exc:
            raise ReportError(
                "Chromium tidak dapat dijalankan untuk membuat PDF (pasang paket 'chromium' atau tetapkan "
                f"${ENV_CHROMIUM}): {str(exc).strip().splitlines()[0]}") from None
        try:
            # A report needs nothing outside itself: no script runs and every request is refused.
            context = await browser.new_context(java_script_enabled=False)
            await context.route("**/*", lambda route: route.abort())
            queue: asyncio.Queue = asyncio.Queue(maxsize=pages)

            async def work(page) -> None:
                while (batch := await queue.get()) is not None:
                    await page.set_content(compose(batch), wait_until="load")
                    printed = await page.pdf(prefer_css_page_size=True, print_background=True)
                    for job, document in zip(batch, split_and_number(printed, batch)):
                        write_private_bytes(job.path, document)
                    if bar is not None:
                        bar.update(len(batch))

            workers = [asyncio.create_task(work(await context.new_page())) for _ in range(pages)]
            try:
                # Building the next batch's HTML here overlaps with Chromium printing the previous one.
                for batch in _then_none(batches, pages):
                    put = asyncio.ensure_future(queue.put(batch))
                    done, _ = await asyncio.wait([put, *workers], return_when=asyncio.FIRST_COMPLETED)
                    if put not in done:
                        put.cancel()
                        raise _Stop()
                await asyncio.gather(*workers)
            except _Stop:
                for w in workers:
                    if w.done() and w.exception() is not None:
                        raise w.exception() from None
                raise
            finally:
                for w in workers:
                    w.cancel()
        finally:
            await browser.close()


def _then_none(items: Iterable[Any], n: int) -> Iterator[Any]:
    yield from items
    yield from [None] * n


def _batches(jobs: Iterable[tuple[str, Path]], size: int) -> Iterator[list[_Job]]:
    batch: list[_Job] = []
    for html, path in jobs:
        batch.append(_job(html, path))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def print_pdfs(jobs: Iterable[tuple[str, Path]], *, total: int | None = None, progress: bool = False,
               desc: str = "PDF", pages: int = 2, batch: int = 1, executable: str | None = None) -> None:
    """Print each ``(html, path)`` job to a PDF file with one headless Chromium.

    Every job is a document rendered from a template extending ``_dasar.html.j2``. ``batch`` documents are
    printed by one call to Chromium and split again (each its own pages, title and "Halaman i dari n"): the
    per-print cost is paid once per batch and fonts once per batch. Documents with elements fixed on every page
    (the berita acara's DRAF mark) must be printed with ``batch=1``. ``jobs`` may be a lazy iterator: its HTML
    is built while Chromium prints the previous batch. Works from a plain script and from a notebook (where an
    event loop already runs). Raises ReportError when Chromium cannot be started or playwright is missing.
    """
    if importlib.util.find_spec("playwright") is None:
        raise ReportError("Paket 'playwright' belum terpasang; jalankan 'make install'")
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total, desc=desc, unit="berkas")
    try:
        _run(lambda: _print_async(_batches(jobs, max(1, int(batch))), executable or find_chromium(), pages, bar))
    finally:
        if bar is not None:
            bar.close()


def _run(make_coroutine) -> Any:
    """Run a coroutine to completion, in a helper thread when this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()
