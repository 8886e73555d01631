"""What the form notebooks in ``forms/`` call: keep the kernel light, wait for the request, build the app.

Nothing here runs at import. The notebooks are three cells: ``preload``, then ``wait_for_request``
and ``rater_app``/``admin_app`` with the query string and the database path, then the app.
"""

from __future__ import annotations

import importlib.abc
import json
import logging
import os
import sys
from pathlib import Path

#: Libraries a form kernel never needs. sqlite-utils imports pandas and numpy whenever they are
#: installed (≈ 45 MB and 0.3 s per kernel), so they are blocked before it is imported.
HEAVY_MODULES = ("pandas", "numpy", "scipy", "matplotlib")
ENV_FORMS_LOG = "KINERJA_FORMS_LOG"

log = logging.getLogger("kinerja_lib.forms")


class _KeepOut(importlib.abc.MetaPathFinder):
    """Import hook refusing the heavy modules. Unlike a ``None`` in ``sys.modules`` it leaves
    ``"numpy" in sys.modules`` false, which IPython's display formatter relies on."""

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in HEAVY_MODULES and top not in sys.modules:
            raise ModuleNotFoundError(f"{fullname} is kept out of form kernels", name=fullname)
        return None


def keep_light() -> None:
    """Make ``import pandas`` (and the other heavy modules) fail in this process unless already loaded.

    Only for a form kernel: a process that later needs pandas must not call this.
    """
    if not any(isinstance(f, _KeepOut) for f in sys.meta_path):
        sys.meta_path.insert(0, _KeepOut())


def preload(page: str = "penilaian") -> None:
    """Import everything the page needs ahead of the request (a preheated kernel does this early)."""
    keep_light()
    log.propagate = False  # in a kernel, stderr could surface on the page: the log file is the only sink
    import ipywidgets  # noqa: F401

    from .. import form_service, links  # noqa: F401
    from ..reference import load_competencies, load_instrument, load_scale, load_vocabulary

    for loader in (load_instrument, load_competencies, load_scale, load_vocabulary):
        loader()
    if page == "admin":
        from . import admin  # noqa: F401
    else:
        from . import rater  # noqa: F401


def wait_for_request() -> None:
    """In a preheated Voilà kernel, block until a browser asks for the page, then load its request
    data (``QUERY_STRING`` and friends) into ``os.environ``. Does nothing in an ordinary kernel.

    This speaks the protocol of ``voila.utils.wait_for_request`` (voila 0.5: one websocket message
    from ``<base>voila/query/<kernel id>``) without importing ``voila.utils``, which would cost every
    kernel about 44 MB and 2 s for jupyter_server and jupyterlab_server.
    """
    if os.environ.get("VOILA_PREHEAT") != "True":
        return
    from websockets.sync.client import connect

    protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
    host = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
    url = f"{protocol}://{host}:{port}{base}voila/query/{os.environ.get('VOILA_KERNEL_ID', '')}"
    try:
        with connect(url, open_timeout=10, proxy=None) as ws:
            info = json.loads(ws.recv())
    except Exception:
        log.exception("preheated kernel could not receive its request data")
        return
    for key, value in info.items():
        os.environ[key] = str(value)


def setup_logging(db_path: str | os.PathLike | None = None) -> Path | None:
    """Send the forms' log to ``$KINERJA_FORMS_LOG`` or ``kinerja-forms.log`` beside the database.

    Returns the log path (None when it cannot be opened; the forms then still work).
    """
    from .. import config

    path = Path(os.environ.get(ENV_FORMS_LOG) or config.db_path(db_path).parent / "kinerja-forms.log")
    ours = [h for h in log.handlers if getattr(h, "_kinerja_forms", False)]
    if any(h.baseFilename == str(path.absolute()) for h in ours):
        return path
    try:
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    handler._kinerja_forms = True
    for old in ours:  # one log file per process
        log.removeHandler(old)
        old.close()
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


def _open(db_path: str | os.PathLike | None):
    from .. import config
    from ..store import connect

    path = config.db_path(db_path)
    if not path.exists():
        raise FileNotFoundError(f"database {path} does not exist")
    return connect(path)  # no migration from a form kernel: `kinerja serve` migrated it already


def _page(kind: str, query_string: str | None, db_path: str | os.PathLike | None):
    import ipywidgets as widgets

    from .. import links
    from ..errors import AccessDenied
    from .common import CSS, denied_view, esc

    setup_logging(db_path)
    try:
        db = _open(db_path)
        grant = links.resolve(db, links.token_from_query(query_string))
        if grant.jenis != kind:
            raise AccessDenied()
        if kind == "admin":
            from .admin import AdminApp

            return AdminApp(db, grant)
        from .rater import RaterApp

        return RaterApp(db, grant)
    except AccessDenied:
        log.info("%s page refused an unusable link", kind)
        return denied_view()
    except Exception:
        log.exception("%s page could not be built", kind)
        return widgets.HTML(CSS + '<div class="k360-denied" role="alert"><h1>Layanan belum tersedia</h1><p>'
                            + esc("Formulir penilaian sedang tidak dapat dibuka. Coba beberapa saat lagi atau "
                                  "hubungi admin kepegawaian (BKPSDM).") + "</p></div>")


def rater_app(query_string: str | None, db_path: str | os.PathLike | None = None):
    """Return the rater's app for the token in ``query_string``, or the single refusal message."""
    return _page("penilai", query_string, db_path)


def admin_app(query_string: str | None, db_path: str | os.PathLike | None = None):
    """Return the admin dashboard for the admin token in ``query_string``, or the refusal message."""
    return _page("admin", query_string, db_path)
