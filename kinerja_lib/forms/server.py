"""The form server: Voilà serving ``forms/`` with a link check and kernel caps in front of every page render.

Every page view of a Voilà notebook costs a kernel process (≈ 60 MB), and with preheated kernels the render
handler hands a pooled kernel to whoever asks. So the check cannot live in the notebook or in a prelaunch hook
(which Voilà refuses next to preheating): ``GatedRenderHandler`` wraps Voilà's render handler and, before a
kernel is touched, (1) accepts only the two form notebooks, (2) verifies the link in the database — valid,
unexpired, unrevoked, of the notebook's kind — and (3) asks ``KernelLedger`` whether the caps allow one more
kernel in total and for that link. A refusal is a small Indonesian page; only an accepted request reaches
Voilà, and the kernel it gets is booked to the link until it ends.

Voilà, tornado and jupyter_server are imported only by ``run``'s helpers, so the ledger and the gate's
decisions are testable as plain Python.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import secrets
import sqlite3
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from .. import links, survei
from ..errors import AccessDenied
from . import messages

log = logging.getLogger("kinerja_lib.forms.server")

#: The notebooks a link may open, and the kind of link each needs.
NOTEBOOK_KINDS = {links.RATER_NOTEBOOK: "penilai", links.ADMIN_NOTEBOOK: "admin", survei.NOTEBOOK: "survei"}

#: The survey page's device cookie (a random id; only its hash is stored) and the request header the gate
#: passes it to the page's kernel in (voila.json "http_header_envs"; whatever a client sends there is replaced).
DEVICE_COOKIE = "k360_perangkat"
DEVICE_HEADER = "X-Kinerja-Perangkat"
DEVICE_COOKIE_DAYS = 400

#: Defaults of the caps; ``voila.json`` ("KinerjaGate") and ``kinerja serve`` options override them.
DEFAULT_MAX_KERNELS = 200
DEFAULT_MAX_KERNELS_PER_LINK = 3
DEFAULT_RECLAIM_AFTER_S = 30.0
#: How often the server notes which page kernels still have a browser connected.
OBSERVE_EVERY_S = 5

# Voilà writes the page's kernel id into the page config JSON ("kernelId": "<uuid>").
_KERNEL_ID_IN_PAGE = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')


# --------------------------------------------------------------------------- the caps, as plain data

@dataclass(frozen=True)
class Admission:
    """The ledger's answer for one page request: admitted (with a booking), or refused and why."""

    admitted: bool
    booking: int | None = None
    reason: str = ""                          # 'penuh' (server full) or 'tautan' (this link has too many)
    reclaim: tuple[str, ...] = ()             # kernels to shut down first: unconnected, idle leftovers


@dataclass
class KernelLedger:
    """Which link holds which page kernels, and whether one more kernel is allowed.

    Only kernels handed to a page through the gate are booked; Voilà's preheated pool is fixed in size
    and not counted. When a cap is reached, a kernel of the same link (or, when the server is full, of
    any link) that has had no browser connected for ``reclaim_after`` seconds is shut down to make
    room: that is a page closed without the browser saying so, common on phones. Kernels with a
    connected page are never taken, nor one whose page was connected a moment ago (a brief drop):
    ``observe`` notes which kernels have a page, every few seconds and at every request.
    """

    max_kernels: int = DEFAULT_MAX_KERNELS
    max_per_link: int = DEFAULT_MAX_KERNELS_PER_LINK
    reclaim_after: float = DEFAULT_RECLAIM_AFTER_S
    _owners: dict[str, tuple[int, float]] = field(default_factory=dict)     # kernel id -> (link, booked at)
    _seen: dict[str, float] = field(default_factory=dict)                   # kernel id -> last seen with a page
    _pending: dict[int, int] = field(default_factory=dict)                  # booking -> link
    _numbers: itertools.count = field(default_factory=itertools.count)

    def observe(self, connections: dict[str, int], now: float) -> None:
        """Note the booked kernels that have a page connected now, and forget those that ended.

        ``connections`` maps every kernel alive in the server to its number of open websockets.
        """
        for kernel_id in [k for k in self._owners if k not in connections]:
            del self._owners[kernel_id]
            self._seen.pop(kernel_id, None)
        for kernel_id in self._owners:
            if connections[kernel_id] > 0:
                self._seen[kernel_id] = now

    def admit(self, link_id: int | str, connections: dict[str, int], now: float,
              cap: int | None = None) -> Admission:
        """Book one kernel for ``link_id`` unless a cap forbids it (``connections`` as for ``observe``).

        ``cap`` replaces the per-link cap for this key (a survey's service point is shared by many citizens).
        """
        self.observe(connections, now)
        reclaim: list[str] = []

        def idle(kernel_id: str) -> bool:
            last = max(self._owners[kernel_id][1], self._seen.get(kernel_id, 0.0))
            return connections.get(kernel_id, 0) == 0 and now - last >= self.reclaim_after

        def oldest(candidates) -> str | None:
            found = sorted((self._owners[k][1], k) for k in candidates if k not in reclaim and idle(k))
            return found[0][1] if found else None

        if self._count(link_id) >= (self.max_per_link if cap is None else cap):
            victim = oldest(k for k, (owner, _) in self._owners.items() if owner == link_id)
            if victim is None:
                return Admission(False, reason="tautan")
            reclaim.append(victim)
        if len(self._owners) + len(self._pending) - len(reclaim) >= self.max_kernels:
            victim = oldest(self._owners)
            if victim is None:
                return Admission(False, reason="penuh")
            reclaim.append(victim)
        for kernel_id in reclaim:
            del self._owners[kernel_id]
            self._seen.pop(kernel_id, None)
        booking = next(self._numbers)
        self._pending[booking] = link_id
        return Admission(True, booking, reclaim=tuple(reclaim))

    def attach(self, booking: int, kernel_id: str, now: float) -> None:
        """Record the kernel a booking received."""
        link_id = self._pending.pop(booking, None)
        if link_id is not None:
            self._owners[kernel_id] = (link_id, now)

    def release(self, booking: int) -> None:
        """Drop a booking that never received a kernel (the render failed or the client left early)."""
        self._pending.pop(booking, None)

    def kernels_of(self, link_id: int) -> list[str]:
        """Return the kernels booked to a link."""
        return [k for k, (owner, _) in self._owners.items() if owner == link_id]

    def booked(self) -> int:
        """Return how many page kernels are booked (including renders still waiting for theirs)."""
        return len(self._owners) + len(self._pending)

    def _count(self, link_id: int) -> int:
        return (sum(owner == link_id for owner, _ in self._owners.values())
                + sum(owner == link_id for owner in self._pending.values()))


@dataclass
class RateLimiter:
    """At most ``limit`` events per key in any ``window`` seconds (a sliding window kept in memory).

    >>> r = RateLimiter(2)
    >>> [r.allow("ip", now) for now in (0.0, 1.0, 2.0, 61.0)]
    [True, True, False, True]
    """

    limit: int
    window: float = 60.0
    _events: dict[str, deque] = field(default_factory=dict)

    def allow(self, key: str, now: float) -> bool:
        """Record one event for ``key`` and return True, or return False (nothing recorded) over the limit."""
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self._events) > 10_000:  # forget idle keys so a scan of many addresses cannot grow memory
            for stale in [k for k, q in self._events.items() if not q or now - q[-1] >= self.window]:
                del self._events[stale]
        return True


def device_id(cookie: str | None) -> tuple[str, bool]:
    """Return the survey device id from the cookie's value, or a new random one; and whether it is new.

    >>> device_id("A" * 43)
    ('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', False)
    >>> len(device_id("<script>")[0]), device_id(None)[1]
    (43, True)
    """
    if links.plausible_token(cookie):
        return cookie, False
    return secrets.token_urlsafe(32), True


def client_address(remote_ip: str | None, real_ip: str | None) -> str:
    """Return the address a page request came from: nginx's X-Real-IP when the request came through the local
    proxy (``kinerja serve --workers``), else the connection's own address. Without it every citizen behind the
    proxy would share the proxy's address and its page limit.

    >>> client_address("127.0.0.1", "36.68.1.2"), client_address("36.68.1.2", "1.1.1.1")
    ('36.68.1.2', '36.68.1.2')
    >>> client_address("127.0.0.1", "bukan alamat")
    '127.0.0.1'
    """
    from ipaddress import ip_address

    remote = str(remote_ip or "")
    try:
        local = ip_address(remote).is_loopback
    except ValueError:
        local = False
    if local and real_ip:
        try:
            return str(ip_address(real_ip.strip()))
        except ValueError:
            pass
    return remote


# --------------------------------------------------------------------------- the link check

def check_link(db_path: Path, notebook: str, query: str) -> links.LinkGrant | survei.PointGrant:
    """Return the grant of the link in ``query`` if it may open ``notebook``; raise AccessDenied otherwise.

    The survey notebook takes an open service point's token (:func:`kinerja_lib.survei.verify_point`),
    the other two a personal link of their kind.

    Read-only and on a connection of its own, opened for this one check: the database file may have
    been replaced since the server started, and a write here would cost a lock on every page view.
    Raises ``sqlite3.Error`` or ``OSError`` when the database cannot be read at all.
    """
    kind = NOTEBOOK_KINDS.get(notebook)
    if kind is None:
        raise AccessDenied()
    token = links.token_from_query(query)
    if not links.plausible_token(token):
        raise AccessDenied()  # no database work for the obviously wrong
    if not db_path.exists():
        raise FileNotFoundError(f"database {db_path} does not exist")
    from sqlite_utils import Database

    db = Database(sqlite3.connect(str(db_path), timeout=5))
    try:
        if kind == "survei":
            return survei.verify_point(db, token)
        return links.verify(db, token, kind)
    finally:
        db.close()


def kernel_connections(km) -> dict[str, int]:
    """Return every live kernel of a Jupyter kernel manager with its number of open websockets.

    A kernel whose model cannot be read counts as connected, so it is never reclaimed.
    """
    out = {}
    for kernel_id in km.list_kernel_ids():
        try:
            out[kernel_id] = int(km.kernel_model(kernel_id).get("connections", 0))
        except Exception:
            out[kernel_id] = 1
    return out


# --------------------------------------------------------------------------- Voilà wiring

def make_app_class():
    """Return the Voilà application class of the form server (imports Voilà, so only ``run`` calls it)."""
    import tornado.ioloop
    import tornado.web
    from traitlets import Float, Int, default
    from traitlets.config import LoggingConfigurable
    from voila import notebook_renderer
    from voila.app import Voila
    from voila.exporter import VoilaExporter
    from voila.tornado.handler import TornadoVoilaHandler

    from .. import config

    class SharedTemplatesExporter(VoilaExporter):
        """Voilà's exporter with one Jinja environment for every page render of a template.

        Voilà builds a new exporter, so a new Jinja environment, for every render (and every preheated kernel):
        each page paid for reading and compiling the page templates again, a sixth of the server's time under
        load. The environment holds no per-render state (cells, kernel and page data are passed to
        ``generate_async``); the two filters Voilà registers per render are the same functions each time.
        """

        _environments: dict = {}

        def _create_environment(self):
            key = (tuple(self.template_paths), self.template_name, self.enable_async)
            environment = self._environments.get(key)
            if environment is None:
                environment = self._environments[key] = super()._create_environment()
            return environment

    notebook_renderer.VoilaExporter = SharedTemplatesExporter

    class KinerjaGate(LoggingConfigurable):
        """The caps on page kernels; set in ``voila.json`` under "KinerjaGate" or with `kinerja serve` options."""

        max_kernels = Int(DEFAULT_MAX_KERNELS, config=True,
                          help="Most page kernels at once (the preheated pool comes on top).")
        max_kernels_per_link = Int(DEFAULT_MAX_KERNELS_PER_LINK, config=True,
                                   help="Most page kernels one link may hold (tabs and devices).")
        reclaim_after = Float(DEFAULT_RECLAIM_AFTER_S, config=True,
                              help="Seconds without a connected page after which a kernel may be reclaimed "
                                   "when a cap is reached.")

    class GatedRenderHandler(TornadoVoilaHandler):
        """Voilà's render handler behind the link check and the kernel caps."""

        def initialize(self, **kwargs):
            self._kinerja = kwargs.pop("kinerja")
            super().initialize(**kwargs)

        def _refuse(self, status: int, title: str, text: str, retry: bool = False) -> None:
            self.set_status(status)
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
            if status == 503:
                self.set_header("Retry-After", "30")
            self.finish(messages.page(title, text, retry=retry))

        @tornado.web.authenticated
        async def get(self, path=None):
            state = self._kinerja
            if path not in NOTEBOOK_KINDS:
                return self._refuse(404, messages.NOT_FOUND_TITLE, messages.NOT_FOUND_HELP)
            survey = NOTEBOOK_KINDS[path] == "survei"
            self.request.headers.pop(DEVICE_HEADER, None)  # only the gate sets it, below
            address = client_address(self.request.remote_ip, self.request.headers.get("X-Real-IP"))
            if survey and not state["per_ip"].allow(address, time.monotonic()):
                log.warning("survey render refused: page rate limit of one address")
                return self._refuse(429, messages.BUSY_TITLE, messages.SURVEY_BUSY_HELP, retry=True)
            try:
                grant = check_link(state["db_path"], path, self.request.query)
            except AccessDenied:
                log.info("render of %s refused: unusable link", path)
                return self._refuse(403, messages.DENIED_TITLE,
                                    messages.SURVEY_DENIED_HELP if survey else messages.DENIED_HELP)
            except (sqlite3.Error, OSError) as exc:
                log.error("render of %s refused: database unreadable (%s)", path, type(exc).__name__)
                return self._refuse(503, messages.UNAVAILABLE_TITLE, messages.UNAVAILABLE_HELP, retry=True)
            km = self.kernel_manager
            ledger: KernelLedger = state["ledger"]
            if survey:
                if not state["per_point"].allow(grant.ledger_key, time.monotonic()):
                    log.warning("survey render refused: page rate limit of %s", grant.ledger_key)
                    return self._refuse(429, messages.BUSY_TITLE, messages.SURVEY_BUSY_HELP, retry=True)
                device, new = device_id(self.get_cookie(DEVICE_COOKIE))
                if new:
                    self.set_cookie(DEVICE_COOKIE, device, expires_days=DEVICE_COOKIE_DAYS, httponly=True,
                                    samesite="Lax", secure="https" in (self.request.protocol,
                                                                       self.request.headers.get("X-Forwarded-Proto")))
                self.request.headers[DEVICE_HEADER] = device
                admission = ledger.admit(grant.ledger_key, kernel_connections(km), time.monotonic(),
                                         cap=state["survey_kernels"])
            else:
                admission = ledger.admit(grant.link_id, kernel_connections(km), time.monotonic())
            for kernel_id in admission.reclaim:
                log.info("kernel %s reclaimed: no page connected for %.0f s", kernel_id, ledger.reclaim_after)
                asyncio.ensure_future(km.shutdown_kernel(kernel_id))
            if not admission.admitted:
                log.warning("render of %s refused: %s (%d page kernels booked)", path,
                            "server full" if admission.reason == "penuh" else "a link at its cap",
                            ledger.booked())
                return self._refuse(503, messages.BUSY_TITLE,
                                    messages.BUSY_HELP if admission.reason == "penuh" else messages.BUSY_LINK_HELP,
                                    retry=True)
            attached = False
            try:
                async for html in self.get_generator(path=path):
                    if not attached:
                        found = _KERNEL_ID_IN_PAGE.search(html)
                        if found:
                            ledger.attach(admission.booking, found.group(1), time.monotonic())
                            attached = True
                    self.write(html)
                    self.flush()
            finally:
                if not attached:
                    ledger.release(admission.booking)

    class KinerjaVoila(Voila):
        """Voilà with only the repository's voila.json, and the gated render handler."""

        classes = [*Voila.classes, KinerjaGate]

        def initialize(self, argv=None):
            # kernels forked from a warm zygote, with ids naming this server process (kinerja_lib.forms.launcher)
            argv = ["--VoilaConfiguration.multi_kernel_manager_class="
                    "kinerja_lib.forms.launcher.KinerjaKernelManager", *(argv or [])]
            super().initialize(argv)

        # Only the repository's voila.json: a stray config in the user's Jupyter paths must not
        # switch tracebacks or template overrides back on.
        @default("config_file_paths")
        def _config_file_paths_default(self):
            return [str(config.PROJECT_ROOT)]

        def init_handlers(self):
            handlers = super().init_handlers()
            # gzip for pages and static files: Voilà applies voila.json's tornado_settings after creating the
            # application, too late for "compress_response" to install tornado's transform, so it is added here
            if not any(t is tornado.web.GZipContentEncoding for t in self.app.transforms):
                self.app.transforms.insert(0, tornado.web.GZipContentEncoding)
            gate = KinerjaGate(parent=self)
            ledger = KernelLedger(gate.max_kernels, gate.max_kernels_per_link, gate.reclaim_after)
            limits = survei.load_survey().batas
            state = {"db_path": Path(os.environ[config.ENV_DB]), "ledger": ledger,
                     "per_ip": RateLimiter(limits["halaman_per_menit_per_ip"]),
                     "per_point": RateLimiter(limits["halaman_per_menit_per_titik"]),
                     "survey_kernels": limits["kernel_per_titik"]}
            self.kinerja_state = state
            # which booked kernels still have a page, between requests too (see KernelLedger.observe)
            tornado.ioloop.PeriodicCallback(
                lambda: ledger.observe(kernel_connections(self.kernel_manager), time.monotonic()),
                OBSERVE_EVERY_S * 1000).start()
            out = []
            for spec in handlers:
                if len(spec) >= 2 and spec[1] is TornadoVoilaHandler:
                    kwargs = dict(spec[2]) if len(spec) > 2 else {}
                    out.append((spec[0], GatedRenderHandler, {**kwargs, "kinerja": state}))
                else:
                    out.append(spec)
            if not any(len(s) >= 2 and s[1] is GatedRenderHandler for s in out):
                raise RuntimeError("Voilà's render handler was not found; the link gate cannot be installed")
            return out

    return KinerjaVoila
