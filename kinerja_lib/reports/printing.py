"""HTML to PDF for every printed document: Jinja2 templates (escaped), printed by one headless Chromium.

The individual reports, the berita acara and the award shortlist are all HTML rendered from the templates in
``kinerja_lib/templates`` and printed here, so they share one stylesheet, one escaping rule and one engine.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
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


def template_env() -> Environment:
    """Return the Jinja2 environment of the report templates (autoescape on, strict undefined)."""
    global _ENV
    if _ENV is None:
        env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, finalize=without_bidi_controls)
        env.filters.update(angka=angka, persen=persen, tanggal=tanggal, css_string=css_string)
        env.globals["css"] = Markup((TEMPLATE_DIR / "laporan.css").read_text(encoding="utf-8"))
        _ENV = env
    return _ENV


# --------------------------------------------------------------------------------------------
# PDF: one headless Chromium, many pages


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


async def _print_async(jobs: Iterable[tuple[str, Path]], executable: str | None, pages: int, bar: Any) -> None:
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
                while (job := await queue.get()) is not None:
                    html, path = job
                    await page.set_content(html, wait_until="load")
                    write_private_bytes(path, await page.pdf(prefer_css_page_size=True, print_background=True))
                    if bar is not None:
                        bar.update(1)

            workers = [asyncio.create_task(work(await context.new_page())) for _ in range(pages)]
            try:
                # Building the next report's HTML here overlaps with Chromium printing the previous one.
                for job in _then_none(jobs, pages):
                    put = asyncio.ensure_future(queue.put(job))
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


def _then_none(jobs: Iterable[tuple[str, Path]], n: int) -> Iterator[tuple[str, Path] | None]:
    yield from jobs
    yield from [None] * n


def print_pdfs(jobs: Iterable[tuple[str, Path]], *, total: int | None = None, progress: bool = False,
               desc: str = "PDF", pages: int = 2, executable: str | None = None) -> None:
    """Print each ``(html, path)`` job to a PDF file with one headless Chromium.

    ``jobs`` may be a lazy iterator: its HTML is built while Chromium prints the previous job.
    Works from a plain script and from a notebook (where an event loop already runs).
    Raises ReportError when Chromium cannot be started or playwright is missing.
    """
    if importlib.util.find_spec("playwright") is None:
        raise ReportError("Paket 'playwright' belum terpasang; jalankan 'make install'")
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total, desc=desc, unit="berkas")
    try:
        _run(lambda: _print_async(jobs, executable or find_chromium(), pages, bar))
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
