"""HTML to PDF for every printed document: Jinja2 templates (escaped), printed by one headless Chromium.

The individual reports, the berita acara and the award shortlist are all HTML rendered from the templates in
``kinerja_lib/templates`` and printed here, so they share one stylesheet, one escaping rule and one engine.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html as htmllib
import importlib.util
import hashlib
import io
import os
import re
import shutil
import threading
from collections.abc import Iterable
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


class _Environment(Environment):
    """Jinja2's environment, reading ``x.name`` of a plain dict as its key first: every report context is plain
    dicts, and trying the attribute first (Jinja's order) costs a failed lookup per value shown."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


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
        # auto_reload off: the templates ship with the package, and checking each one's modification time on
        # every rendering costs a file system call per template per report.
        env = _Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, finalize=without_bidi_controls, auto_reload=False)
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


def compose(jobs: list[_Job], *, print_only: bool = False) -> str:
    """Return one HTML document holding every job's document, each starting on its own page with a mark.

    Each document was rendered from ``_dasar.html.j2`` with its own named page (its footer); the head (the
    stylesheet) is the first document's, shared by all. ``print_only`` leaves the screen blank (the copy
    given to Chromium to print): the printed pages are the same.
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
    if print_only:
        head = head.replace("</head>", _PRINT_ONLY + "</head>", 1)
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


# Only the printed copy hides its screen layout: Chromium would otherwise lay the batch out for the screen as well
# as for print when it is loaded, and the screen layout is never seen.
_PRINT_ONLY = "<style>@media screen { .dokumen { display: none; } }</style>"


class Printer:
    """One headless Chromium printing PDFs in a thread of its own while the caller builds the next documents.

    Use as a context manager: Chromium starts at once (so its start-up overlaps the caller's preparation),
    :meth:`add` queues one ``(html, path)`` job, and leaving the block waits until every file is written and
    raises the first failure. Splitting each printed batch and writing its files happen in a further thread,
    so Chromium is fed the next batch meanwhile. Raises ReportError when Chromium cannot be started or
    playwright is missing.
    """

    def __init__(self, *, total: int | None = None, progress: bool = False, desc: str = "PDF", pages: int = 2,
                 batch: int = 1, executable: str | None = None) -> None:
        if importlib.util.find_spec("playwright") is None:
            raise ReportError("Paket 'playwright' belum terpasang; jalankan 'make install'")
        self._pages, self._size = max(1, int(pages)), max(1, int(batch))
        self._executable = executable or find_chromium()
        self._bar = None
        if progress:
            from tqdm.auto import tqdm
            self._bar = tqdm(total=total, desc=desc, unit="berkas")
        self._batch: list[_Job] = []
        self._loop = asyncio.new_event_loop()
        self._launched = concurrent.futures.Future()
        self._queue: asyncio.Queue | None = None
        self._thread = threading.Thread(target=self._main, name="kinerja-cetak", daemon=True)
        self._thread.start()

    # -- the caller's side

    def ready(self) -> None:
        """Wait until Chromium runs; raise ReportError when it cannot be started."""
        self._launched.result()

    def add(self, html: str, path: Path) -> None:
        """Queue one document; it is printed with the next ``batch`` documents."""
        self._batch.append(_job(html, path))
        if len(self._batch) == self._size:
            self._put(self._batch)
            self._batch = []

    def _put(self, item: list[_Job] | None) -> None:
        self.ready()
        # Blocks while every tab has a batch waiting: the caller builds no further ahead than Chromium prints.
        try:
            put = asyncio.run_coroutine_threadsafe(self._put_async(item), self._loop)
        except RuntimeError:  # the printing thread has ended
            raise _Stop() from None
        while True:
            try:
                return put.result(timeout=0.5)
            except concurrent.futures.TimeoutError:
                if not self._thread.is_alive():
                    raise _Stop() from None

    async def _put_async(self, item: list[_Job] | None) -> None:
        assert self._queue is not None
        put = asyncio.ensure_future(self._queue.put(item))
        await asyncio.wait([put, self._finished], return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()
            raise _Stop()

    def __enter__(self) -> "Printer":
        return self

    def __exit__(self, kind, error, trace) -> None:
        stopped = kind is not None and issubclass(kind, _Stop)
        try:
            if kind is None:
                try:
                    if self._batch:
                        self._put(self._batch)
                        self._batch = []
                    for _ in range(self._pages):
                        self._put(None)
                except _Stop:
                    stopped = True
        finally:
            self._close(abandon=kind is not None and not stopped)
        if (kind is None or stopped) and self._failure is not None:
            raise self._failure

    def _close(self, *, abandon: bool) -> None:
        if abandon:
            # The caller failed: the printing thread stops, closes Chromium and ends.
            self._abandoned = True
            try:
                self._loop.call_soon_threadsafe(self._cancel_workers)
            except RuntimeError:  # the printing thread has already ended
                pass
        self._thread.join()
        if self._bar is not None:
            self._bar.close()

    # -- the printing thread

    _failure: BaseException | None = None
    _abandoned = False
    _workers: list[asyncio.Task] = []

    def _cancel_workers(self) -> None:
        for w in self._workers:
            w.cancel()

    def _main(self) -> None:
        try:
            self._loop.run_until_complete(self._print())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            if not self._launched.done():
                self._launched.set_exception(exc)
            self._failure = self._failure or exc
        finally:
            self._loop.close()

    async def _print(self) -> None:
        from playwright.async_api import async_playwright

        self._queue = asyncio.Queue(maxsize=self._pages)
        self._finished: asyncio.Future = self._loop.create_future()
        async with async_playwright() as pw:
            try:
                browser = await pw.chromium.launch(
                    executable_path=self._executable,
                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            except Exception as exc:
                raise ReportError(
                    "Chromium tidak dapat dijalankan untuk membuat PDF (pasang paket 'chromium' atau tetapkan "
                    f"${ENV_CHROMIUM}): {str(exc).strip().splitlines()[0]}") from None
            try:
                # A report needs nothing outside itself: no script runs and every request is refused.
                context = await browser.new_context(java_script_enabled=False)
                await context.route("**/*", lambda route: route.abort())
                tabs = [await context.new_page() for _ in range(self._pages)]
                self._launched.set_result(None)
                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kinerja-tulis") as writer:
                    self._workers = [asyncio.ensure_future(self._work(tab, writer)) for tab in tabs]
                    if self._abandoned:
                        self._cancel_workers()
                    try:
                        written = [f for files in await asyncio.gather(*self._workers) for f in files]
                        for result in await asyncio.gather(*written, return_exceptions=True):
                            if isinstance(result, BaseException):
                                raise result
                    finally:
                        self._finished.set_result(None)
                        self._cancel_workers()
            finally:
                await browser.close()

    async def _work(self, tab, writer) -> list[asyncio.Future]:
        written: list[asyncio.Future] = []
        loop = asyncio.get_running_loop()
        assert self._queue is not None
        while (batch := await self._queue.get()) is not None:
            await tab.set_content(compose(batch, print_only=True), wait_until="load")
            printed = await tab.pdf(prefer_css_page_size=True, print_background=True)
            future = loop.run_in_executor(writer, self._write, printed, batch)
            # Marked as read when it ends: the first failure is raised below or by _print, and the writes of the
            # other tabs or batches that fail alike (the same unwritable folder) need not be logged again.
            future.add_done_callback(_read_outcome)
            written.append(future)
            # A failed write stops the printing early rather than at the end.
            for f in written:
                if f.done() and f.exception() is not None:
                    raise f.exception()
        return written

    def _write(self, printed: bytes, batch: list[_Job]) -> None:
        for job, document in zip(batch, split_and_number(printed, batch)):
            write_private_bytes(job.path, document)
        if self._bar is not None:
            self._bar.update(len(batch))


def _read_outcome(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


class _Stop(Exception):
    """The printing thread ended early; the caller stops feeding it and reads its failure."""


def print_pdfs(jobs: Iterable[tuple[str, Path]], *, total: int | None = None, progress: bool = False,
               desc: str = "PDF", pages: int = 2, batch: int = 1, executable: str | None = None) -> None:
    """Print each ``(html, path)`` job to a PDF file with one headless Chromium.

    Every job is a document rendered from a template extending ``_dasar.html.j2``. ``batch`` documents are
    printed by one call to Chromium and split again (each its own pages, title and "Halaman i dari n"): the
    per-print cost is paid once per batch and fonts once per batch. Documents with elements fixed on every page
    (the berita acara's DRAF mark) must be printed with ``batch=1``. ``jobs`` may be a lazy iterator: its HTML
    is built while Chromium prints the previous batch (see :class:`Printer`). Works from a plain script and from
    a notebook (Chromium is driven from a thread of its own). Raises ReportError when Chromium cannot be started
    or playwright is missing.
    """
    with Printer(total=total, progress=progress, desc=desc, pages=pages, batch=batch,
                 executable=executable) as printer:
        printer.ready()
        for html, path in jobs:
            printer.add(html, path)
