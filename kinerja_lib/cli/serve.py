"""CLI command for the forms: ``serve`` (Voilà on forms/); the links commands are in links.py."""

from __future__ import annotations

import asyncio
import logging
import json
import os
import resource
import signal
import socket
from pathlib import Path

import click

from .. import config
from ..errors import KinerjaError
from ..store import database_file
from ..forms.redaction import RedactingFormatter, redact  # noqa: F401  (redact: re-exported for callers)
from .common import get_db

FORMS_DIR = config.PROJECT_ROOT / "forms"
#: Set in each process of `serve --workers N` (kinerja_lib.forms.launcher.ENV_WORKER).
WORKER_ENV = "KINERJA_WORKER"
# How long a stopping server gives its kernels (those still starting included) to shut down.
SHUTDOWN_WAIT_S = 30.0

_access_log = logging.getLogger("tornado.access")

#: Open files one form server process needs: about 255 with no page open, then about 15 more per page kernel
#: (its ZeroMQ channels and the page's websocket), measured on Voilà 0.5 with /proc/PID/fd; with headroom.
FILES_BASE, FILES_PER_KERNEL = 300, 16


def files_needed(max_kernels: int) -> int:
    """Return the open-file limit (RLIMIT_NOFILE) a form server process needs for ``max_kernels`` page kernels.

    >>> files_needed(200)
    3500
    """
    return FILES_BASE + FILES_PER_KERNEL * max_kernels


def configured_max_kernels() -> int:
    """Return the page-kernel cap of the committed voila.json (KinerjaGate.max_kernels)."""
    from ..forms.server import DEFAULT_MAX_KERNELS

    try:
        conf = json.loads((config.PROJECT_ROOT / "voila.json").read_text(encoding="utf-8"))
        return int(conf.get("KinerjaGate", {}).get("max_kernels", DEFAULT_MAX_KERNELS))
    except (OSError, ValueError, TypeError, AttributeError):
        return DEFAULT_MAX_KERNELS


def ensure_open_files(max_kernels: int) -> str | None:
    """Raise this process's soft open-file limit towards what ``max_kernels`` need (up to the hard limit, which
    needs no privilege); return an Indonesian warning when it still falls short, else None."""
    need = files_needed(max_kernels)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= need:
        return None
    target = need if hard == resource.RLIM_INFINITY else min(need, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft >= need:
        return None
    return (f"Peringatan: batas berkas terbuka (ulimit -n) proses ini {soft}, padahal {max_kernels} halaman "
            f"formulir sekaligus (--maks-kernel) butuh sekitar {need}; halaman dapat gagal dibuka saat ramai. "
            f"Naikkan batasnya, mis. 'ulimit -n {need}' sebelum menjalankan, atau LimitNOFILE={need} pada layanan "
            "systemd, atau turunkan --maks-kernel.")


def log_request(handler) -> None:
    """Tornado ``log_function``: log method, path (never the query string), status and time."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    _access_log.log(level, "%d %s %s (%s) %.0f ms", status, handler.request.method, handler.request.path,
                    handler.request.remote_ip, 1000.0 * handler.request.request_time())


def _normalise_base(base_url: str) -> str:
    base = "/" + base_url.strip("/") + "/"
    return "/" if base == "//" else base


def _file_handler(log_path: Path) -> logging.Handler:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    return handler


def run_server(db_path: Path, host: str, port: int, base_url: str, log_path: Path,
               max_kernels: int | None = None, max_per_link: int | None = None) -> None:
    """Serve ``forms/`` with Voilà (config from the committed voila.json) until SIGINT or SIGTERM.

    Every page render passes the link gate first (kinerja_lib.forms.server); ``max_kernels`` and
    ``max_per_link`` override the caps set in voila.json.
    """
    from ..forms.server import make_app_class

    # the "kinerja" page template lives in <repo>/share/jupyter/voila/templates/kinerja
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [str(config.PROJECT_ROOT / "share" / "jupyter"), os.environ.get("JUPYTER_PATH")]))
    os.environ[config.ENV_DB] = str(db_path.resolve())
    os.environ["KINERJA_FORMS_LOG"] = str(log_path.resolve())
    # where a preheated kernel fetches its request data (kinerja_lib.forms.kernel.wait_for_request)
    os.environ["VOILA_APP_IP"] = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    handler = _file_handler(log_path)
    for name in ("tornado.access", "tornado.application", "tornado.general", "kinerja_lib.forms.server"):
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = [handler], False
        logger.setLevel(logging.INFO)

    app = make_app_class()()
    caps = [f"--KinerjaGate.max_kernels={max_kernels}"] if max_kernels is not None else []
    caps += [f"--KinerjaGate.max_kernels_per_link={max_per_link}"] if max_per_link is not None else []
    app.initialize([str(FORMS_DIR), f"--Voila.port={port}", f"--Voila.ip={host}", "--Voila.port_retries=0",
                    f"--Voila.base_url={_normalise_base(base_url)}", "--no-browser", *caps])
    app.log.handlers, app.log.propagate = [handler], False
    app.log.setLevel(logging.INFO)
    app.tornado_settings = {**app.tornado_settings, "log_function": log_request}
    # asyncio signal handlers wake the loop at once (a plain signal.signal handler only runs when the
    # loop next wakes up) and also catch SIGINT when a shell started us with SIGINT ignored.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    stopping: list[asyncio.Task] = []

    def stop(name: str) -> None:
        # The kernels are shut down while the loop still runs, so that those still starting (the preheated
        # pool fills for a second or two after the server answers) finish starting and are shut down too; a
        # second signal stops at once.
        app.log.info("%s received: stopping the form server", name)
        if stopping:
            loop.stop()
            return

        async def shut_down() -> None:
            try:
                await asyncio.wait_for(app.kernel_manager.shutdown_all(), SHUTDOWN_WAIT_S)
            except Exception:   # stopping anyway: Voilà shuts down what is left once the loop has stopped
                app.log.exception("shutting the kernels down")
            finally:
                loop.stop()

        stopping.append(loop.create_task(shut_down()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig.name)
    try:
        app.start()  # returns once the loop stops; Voilà then shuts every kernel down
    finally:
        from ..forms import zygote

        zygote.close()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Alamat yang didengarkan.")
@click.option("--port", default=8866, show_default=True, type=int)
@click.option("--base-url", default="/", show_default=True, help="Awalan alamat di belakang reverse proxy.")
@click.option("--log", "log_file", type=click.Path(dir_okay=False),
              help="Berkas log (bawaan: voila.log di samping basis data).")
@click.option("--maks-kernel", "max_kernels", type=click.IntRange(min=1),
              help="Paling banyak halaman formulir terbuka sekaligus (bawaan: voila.json, KinerjaGate).")
@click.option("--maks-per-tautan", "max_per_link", type=click.IntRange(min=1),
              help="Paling banyak halaman terbuka per tautan, mis. tab dan perangkat (bawaan: voila.json).")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=1, show_default=True,
              help="Jumlah proses server formulir; lebih dari 1 memakai nginx sebagai reverse proxy di depannya "
                   "(satu proses per inti CPU, mis. --workers 2).")
@click.option("--proses-ke", "worker_index", type=click.IntRange(min=0, max=63), hidden=True,
              help="(internal) nomor proses ini di belakang nginx.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, base_url: str, log_file: str | None,
          max_kernels: int | None, max_per_link: int | None, workers: int, worker_index: int | None) -> None:
    """Jalankan server formulir (Voilà) untuk penilai dan admin; berhenti dengan Ctrl+C.

    Setiap halaman hanya dibuka untuk tautan yang sah; tanpa tautan sah tidak ada kernel yang dipakai.
    Dengan --workers N, N proses server berjalan di belakang nginx (harus terpasang) pada alamat yang sama.
    """
    if workers > 1:
        from ..forms.proxy import find_nginx

        find_nginx()  # before anything else: a clear message, not a traceback
    if worker_index is None:  # each process of --workers N inherits the limit the supervisor raised
        per_process = -(-(max_kernels or configured_max_kernels()) // workers)
        warning = ensure_open_files(per_process)
        if warning:
            click.echo(warning, err=True)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise KinerjaError(f"Tidak dapat mendengarkan di {host}:{port} ({exc.strerror}); "
                               "pilih --port atau --host lain.") from None
    db = get_db(ctx)  # creates/migrates, so form kernels never have to
    db_path = Path(database_file(db) or "")
    if not db_path.name:
        raise click.UsageError("Server formulir membutuhkan basis data berupa berkas, bukan :memory:")
    db.close()
    log_path = Path(log_file) if log_file else db_path.parent / "voila.log"
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    address = f"http://{shown}:{port}{_normalise_base(base_url)}"
    if worker_index is not None:  # one process of `--workers N`, started by the supervisor below
        os.environ[WORKER_ENV] = str(worker_index)
        run_server(db_path, host, port, base_url, log_path, max_kernels, max_per_link)
        return
    if workers > 1:
        options = [f"--maks-kernel={-(-max_kernels // workers)}"] if max_kernels else []
        options += [f"--maks-per-tautan={max_per_link}"] if max_per_link else []
        run_cluster(db_path, host, port, base_url, log_path, workers, options, address)
        return
    click.echo(f"Server formulir berjalan di {address} (basis data {db_path}; log {log_path}).")
    click.echo("Bagikan tautan dari 'kinerja links'; dasbor admin dari 'kinerja admin tambah' (atau 'kinerja admin-link'). "
               "Tekan Ctrl+C untuk berhenti.")
    run_server(db_path, host, port, base_url, log_path, max_kernels, max_per_link)
    click.echo("Server formulir berhenti.")


def run_cluster(db_path: Path, host: str, port: int, base_url: str, log_path: Path, workers: int,
                options: list[str], address: str) -> None:
    """Run ``workers`` form server processes behind nginx until SIGINT or SIGTERM (kinerja_lib.forms.proxy)."""
    import threading

    from ..forms.proxy import Cluster

    handler = _file_handler(log_path)
    logger = logging.getLogger("kinerja_lib.forms.server")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(  # where the page template's static files are found
        filter(None, [str(config.PROJECT_ROOT / "share" / "jupyter"), os.environ.get("JUPYTER_PATH")]))
    cluster = Cluster(db_path, host, port, _normalise_base(base_url), log_path, workers, options)
    cluster.prepare()
    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()
        cluster.stopping = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        cluster.start()
        click.echo(f"Server formulir berjalan di {address}: {workers} proses di belakang nginx "
                   f"(basis data {db_path}; log {log_path}).")
        click.echo("Bagikan tautan dari 'kinerja links'; dasbor admin dari 'kinerja admin tambah' (atau 'kinerja admin-link'). "
                   "Tekan Ctrl+C untuk berhenti.")
        watcher = threading.Thread(target=cluster.watch, name="pengawas", daemon=True)
        watcher.start()
        stop.wait()
    finally:
        cluster.stop()
        for sig, old in previous.items():
            signal.signal(sig, old)
    click.echo("Server formulir berhenti.")


def register(main: click.Group) -> None:
    main.add_command(serve)
