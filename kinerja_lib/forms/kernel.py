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
    """Import everything the page needs ahead of the request (a preheated kernel does this early),
    and harden the kernel against crafted browser messages (``harden``)."""
    keep_light()
    log.propagate = False  # in a kernel, stderr could surface on the page: the log file is the only sink
    import ipywidgets

    # A kernel forked from the zygote (kinerja_lib.forms.zygote) imported ipywidgets before it had an IPython
    # kernel, so the widget comm targets were never registered; registering them again is harmless.
    ipywidgets.register_comm_target()
    harden()

    from .. import form_service, links  # noqa: F401
    from ..reference import load_competencies, load_instrument, load_scale, load_vocabulary

    for loader in (load_instrument, load_competencies, load_scale, load_vocabulary):
        loader()
    if page == "admin":
        from . import admin  # noqa: F401
        try:  # the office's time zone, for the submissions per day (a broken file is reported on the page)
            from ..instansi import load_instansi

            load_instansi()
        except Exception:
            log.exception("instansi settings could not be loaded ahead of the request")
    elif page == "survei":
        from .. import survei
        from . import survei as survey_page  # noqa: F401

        survei.load_survey()
    else:
        from . import rater  # noqa: F401


#: What a person can change in the browser: a choice (``index``) or a typed text (``value``). Clicks on
#: buttons arrive as custom messages. Every other state a browser might send is dropped.
_BROWSER_WRITABLE = {"_Selection": frozenset({"index"}), "Text": frozenset({"value"}),
                     "Textarea": frozenset({"value"})}


def _writable(widget) -> frozenset:
    for cls in type(widget).__mro__:
        if cls.__name__ in _BROWSER_WRITABLE and cls.__module__.startswith("ipywidgets."):
            return _BROWSER_WRITABLE[cls.__name__]
    return frozenset()


def screen_browser_message(widget, msg: dict) -> dict | None:
    """Return the widget message reduced to what a person could have sent, or None to drop it.

    A standalone Voilà page can send any widget message: updates of any state (a button's
    ``disabled``, a box's ``children``, a page's HTML) with any value, custom messages of any shape,
    binary buffers. The forms need only a changed choice, a typed text and a button click; the rest
    is dropped and logged, and the values kept still go through the widgets' own validation.
    """
    content = msg.get("content") if isinstance(msg, dict) else None
    data = content.get("data") if isinstance(content, dict) else None
    method = data.get("method") if isinstance(data, dict) else None
    name = type(widget).__name__
    if method == "update" and isinstance(data.get("state"), dict):
        allowed = _writable(widget)
        state = {k: v for k, v in data["state"].items() if k in allowed}
        dropped = sorted(set(data["state"]) - allowed)
        if dropped:
            log.warning("browser update of %s on a %s ignored", ", ".join(map(str, dropped[:5])), name)
        if not state:
            return None
        return {**msg, "buffers": [], "content": {**content, "data": {"method": "update", "state": state}}}
    if method == "custom" and name == "Button" and data.get("content") == {"event": "click"}:
        return {**msg, "buffers": []}
    if method == "request_state":
        return msg
    log.warning("browser message %r to a %s ignored", str(method)[:40], name)
    return None


def _refuse_browser_widget(comm, msg) -> None:
    """Comm target for widgets a browser tries to create: the forms never let a page create one."""
    log.warning("a browser tried to create a widget; refused")
    comm.close()


def harden() -> None:
    """Keep tracebacks and log lines of this kernel off the websocket; accept only what a person can send.

    Without this a crafted widget message (a wrong type, a number out of range, an unknown field)
    gets an IPython traceback with the server's file paths published to the page, and ipykernel's
    own error log reaches the page as stderr. After it: browser messages are screened
    (``screen_browser_message``), an error while handling one is written to the forms' log file
    only, and so is every log record and warning of the kernel process. Idempotent.
    """
    import ipywidgets
    from IPython import get_ipython

    widget_cls = ipywidgets.Widget
    if not getattr(widget_cls._handle_msg, "_kinerja_screened", False):
        original = widget_cls._handle_msg

        def _handle_msg(self, msg):
            screened = screen_browser_message(self, msg)
            if screened is not None:
                return original(self, screened)
            return None

        _handle_msg._kinerja_screened = True
        widget_cls._handle_msg = _handle_msg

    handler = setup_logging()
    if handler is not None:
        root = logging.getLogger()
        root.handlers = [handler]
        root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    ip = get_ipython()
    kernel = getattr(ip, "kernel", None)
    if kernel is None:
        return  # not in a kernel (tests, scripts): nothing is published anyway
    app = getattr(kernel, "parent", None)
    for logger in {kernel.log, getattr(app, "log", None)} - {None}:
        if handler is not None and isinstance(logger, logging.Logger):
            logger.handlers, logger.propagate = [handler], False
            logger.setLevel(logging.WARNING)
    from comm import get_comm_manager

    manager = get_comm_manager()
    if manager is not None:
        manager.register_target("jupyter.widget", _refuse_browser_widget)
    if not getattr(ip.showtraceback, "_kinerja_quiet", False):
        shown = ip.showtraceback

        def showtraceback(*args, **kwargs):
            # A cell of the form notebook failing during the render is Voilà's to report (it shows a
            # plain message, show_tracebacks being off); anything else is a browser message.
            parent = kernel.get_parent() or {}
            if parent.get("header", {}).get("msg_type") == "execute_request":
                return shown(*args, **kwargs)
            log.error("error while handling a browser message", exc_info=sys.exc_info())
            return None

        showtraceback._kinerja_quiet = True
        ip.showtraceback = showtraceback


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


def setup_logging(db_path: str | os.PathLike | None = None) -> logging.Handler | None:
    """Send the forms' log to ``$KINERJA_FORMS_LOG`` or ``kinerja-forms.log`` beside the database.

    Returns the file handler (None when the file cannot be opened; the forms then still work).
    Tokens are masked in every record (``redaction.RedactingFormatter``).
    """
    from .. import config
    from .redaction import RedactingFormatter

    path = Path(os.environ.get(ENV_FORMS_LOG) or config.db_path(db_path).parent / "kinerja-forms.log")
    ours = [h for h in log.handlers if getattr(h, "_kinerja_forms", False)]
    for h in ours:
        if h.baseFilename == str(path.absolute()):
            return h
    try:
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(RedactingFormatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    handler._kinerja_forms = True
    for old in ours:  # one log file per process
        log.removeHandler(old)
        old.close()
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def _open(db_path: str | os.PathLike | None):
    from .. import config
    from ..store import connect

    from ..form_service import watch_file

    path = config.db_path(db_path)
    if not path.exists():
        raise FileNotFoundError(f"database {path} does not exist")
    db = connect(path)  # no migration from a form kernel: `kinerja serve` migrated it already
    watch_file(db)  # every later write checks that this is still the file at that path
    return db


def _page(kind: str, query_string: str | None, db_path: str | os.PathLike | None):
    import ipywidgets as widgets

    from .. import links
    from ..errors import AccessDenied
    from .common import CSS, denied_view, esc
    from .messages import UNAVAILABLE_HELP, UNAVAILABLE_TITLE

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
        return widgets.HTML(CSS + f'<div class="k360-denied" role="alert"><h1>{esc(UNAVAILABLE_TITLE)}</h1>'
                            f"<p>{esc(UNAVAILABLE_HELP)}</p></div>")


def survey_app(query_string: str | None, device_id: str | None, db_path: str | os.PathLike | None = None):
    """Return the public-service survey of the open service point in ``query_string``, or the refusal message.

    ``device_id`` is what the form server's gate put in the X-Kinerja-Perangkat header (the browser's cookie).
    """
    import ipywidgets as widgets

    from .. import links, survei
    from ..errors import AccessDenied
    from .common import CSS, esc
    from .messages import SURVEY_DENIED_HELP, UNAVAILABLE_HELP, UNAVAILABLE_TITLE

    setup_logging(db_path)
    try:
        db = _open(db_path)
        grant = survei.verify_point(db, links.token_from_query(query_string))
        from .survei import SurveyApp

        return SurveyApp(db, grant, device_id)
    except AccessDenied:
        log.info("survey page refused an unusable service-point link")
        return widgets.HTML(CSS + f'<div class="k360-denied" role="alert"><p>{esc(SURVEY_DENIED_HELP)}</p></div>')
    except Exception:
        log.exception("survey page could not be built")
        return widgets.HTML(CSS + f'<div class="k360-denied" role="alert"><h1>{esc(UNAVAILABLE_TITLE)}</h1>'
                            f"<p>{esc(UNAVAILABLE_HELP)}</p></div>")


def rater_app(query_string: str | None, db_path: str | os.PathLike | None = None):
    """Return the rater's app for the token in ``query_string``, or the single refusal message."""
    return _page("penilai", query_string, db_path)


def admin_app(query_string: str | None, db_path: str | os.PathLike | None = None):
    """Return the admin dashboard for the admin token in ``query_string``, or the refusal message."""
    return _page("admin", query_string, db_path)
