"""Raters without a browser: the same requests and widget messages a rater's browser sends to the form server.

The ``open_link_busy`` bench needs other raters answering while it times one rater opening a link. A browser
for each of them would put their page rendering on the server's two cores, where in use it runs on their own
phones and PCs. What the server sees of a rater is the page request (which takes a preheated kernel and runs the
form notebook) and, over the kernel's websocket, the Jupyter widget messages: fetch the widgets' state, click a
button, set a scale to a value. ``HeadlessRater`` sends exactly those, in the JSON form Voilà's page uses, at a
fixed pace that no CPU contention can slow down.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

from kinerja_lib.forms.rater import ACTION_LABEL

CONTROL_TARGET = "jupyter.widget.control"  # ipywidgets 8: all widget states in one request
CONTROL_VERSION = "1.0.0"
CONFIG_RE = re.compile(r'<script id="jupyter-config-data" type="application/json">\s*(.*?)\s*</script>', re.S)


@dataclass
class HeadlessRater:
    """One rater on one link: opens the list and one form, then changes its widgets as clicks would."""

    url: str
    session: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent: dict[str, int] = field(default_factory=dict)  # model id of a scale -> last index sent
    answers: int = 0
    #: Same-origin files a browser without a cache fetches after the page (``assets``), six at a time.
    assets: tuple[str, ...] = ()
    #: Seconds from asking for the link to the list's widgets being here, and from the click to the form's.
    list_s: float | None = None
    form_s: float | None = None
    asset_bytes: int = 0

    async def open(self, labels: tuple[str, ...] = (ACTION_LABEL["belum"], ACTION_LABEL["draf"])) -> None:
        """Open the link's list, then the first person whose card button reads one of ``labels``."""
        started = time.monotonic()
        page = await _fetch(self.url)
        config = json.loads(CONFIG_RE.search(page).group(1))
        self.kernel_id = config["kernelId"]
        if self.assets:
            self.asset_bytes = await _fetch_all(self.assets)
        base = self.url.split("/voila/", 1)[0].replace("http", "ws", 1)
        self._ws = await websocket_connect(f"{base}/api/kernels/{config['kernelId']}/channels?session_id="
                                           f"{self.session}", max_message_size=64 * 1024 * 1024)
        await self._kernel_info()
        states = await self._states()
        self.list_s = time.monotonic() - started
        start = next(mid for mid, s in states.items()
                     if s["model_name"] == "ButtonModel" and s["state"].get("description") in labels)
        clicked = time.monotonic()
        await self._send("comm_msg", {"comm_id": start, "data": {"method": "custom", "content": {"event": "click"}}})
        self.scales = await self._new_scales()
        self.form_s = time.monotonic() - clicked
        self._synced: asyncio.Future | None = None
        self._drain = asyncio.ensure_future(self._read_forever())

    async def answer(self, n: int) -> None:
        """Set scale number ``n`` (cycling through the 21 BerAKHLAK items) to score ``1 + n % 5``, as a click on
        that score's button does."""
        model = self.scales[n % len(self.scales)]
        await self.update(model, {"index": n % 5})
        self.sent[model] = n % 5
        self.answers += 1

    async def update(self, model: str, state: dict) -> None:
        """Send a widget state change, as the page does when the rater changes that widget."""
        await self._send("comm_msg", {"comm_id": model,
                                      "data": {"method": "update", "state": state, "buffer_paths": []}})

    async def sync(self) -> None:
        """Return once the kernel has handled everything sent so far (it answers its shell messages in order)."""
        self._synced = asyncio.get_running_loop().create_future()
        await self._send("kernel_info_request", {})
        await asyncio.wait_for(self._synced, timeout=60)

    async def close(self) -> None:
        self._drain.cancel()
        self._ws.close()

    # ------------------------------------------------------------------ protocol

    async def _send(self, msg_type: str, content: dict, metadata: dict | None = None) -> None:
        await self._ws.write_message(json.dumps({
            "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": self.session, "username": "",
                       "version": "5.3", "date": datetime.now(timezone.utc).isoformat()},
            "parent_header": {}, "metadata": metadata or {}, "content": content, "channel": "shell",
            "buffers": []}))

    async def _kernel_info(self) -> None:
        """Ask until the kernel answers (for up to a minute), as the page does before it talks to the widgets."""
        for _ in range(30):
            await self._send("kernel_info_request", {})
            try:
                while (await asyncio.wait_for(self._read(), timeout=2))["msg_type"] != "kernel_info_reply":
                    pass
                return
            except asyncio.TimeoutError:
                continue
        raise ConnectionError("the form kernel did not answer kernel_info_request within a minute")

    async def _read(self) -> dict:
        raw = await self._ws.read_message()
        if raw is None:
            raise ConnectionError("the form server closed the websocket")
        return json.loads(raw)

    async def _states(self) -> dict:
        comm = uuid.uuid4().hex
        await self._send("comm_open", {"comm_id": comm, "target_name": CONTROL_TARGET, "data": {}},
                         metadata={"version": CONTROL_VERSION})
        await self._send("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}})
        while True:
            msg = await self._read()
            data = msg.get("content", {}).get("data", {})
            if msg["msg_type"] == "comm_msg" and data.get("method") == "update_states":
                await self._send("comm_close", {"comm_id": comm, "data": {}})
                return data["states"]

    async def _new_scales(self) -> list[str]:
        """The answer scales the kernel creates when the form opens, in the order they appear.

        A widget's CSS classes arrive with its creation or in an update right after it (``add_class``).
        """
        created: list[str] = []
        classes: dict[str, list[str]] = {}
        while True:
            msg = await asyncio.wait_for(self._read(), timeout=60)
            content = msg.get("content", {})
            data = content.get("data", {})
            if msg["msg_type"] == "comm_open" and data.get("state", {}).get("_model_name") == "ToggleButtonsModel":
                created.append(content["comm_id"])
                classes[content["comm_id"]] = data["state"].get("_dom_classes", [])
            elif msg["msg_type"] == "comm_msg" and "_dom_classes" in data.get("state", {}):
                classes[content["comm_id"]] = data["state"]["_dom_classes"]
            elif msg["msg_type"] == "status" and content.get("execution_state") == "idle" and created:
                return [c for c in created if "k360-answer" in classes.get(c, ())][:21]

    async def _read_forever(self) -> None:
        while True:
            msg = await self._read()
            if msg["msg_type"] == "kernel_info_reply" and self._synced and not self._synced.done():
                self._synced.set_result(None)


def _client() -> AsyncHTTPClient:
    # one client per event loop; enough connections that no rater waits for another's (a browser has its own 6)
    return AsyncHTTPClient(max_clients=1000)


async def _fetch(url: str) -> str:
    """GET a page as a browser does (gzip accepted); raise on any status but 200."""
    response = await _client().fetch(HTTPRequest(url, request_timeout=120, connect_timeout=60,
                                                 headers={"Accept-Encoding": "gzip"}))
    return response.body.decode()


async def _fetch_all(urls: tuple[str, ...], parallel: int = 6) -> int:
    """GET every URL, ``parallel`` at a time as a browser over HTTP/1.1; return the bytes on the wire."""
    queue = list(urls)
    total = 0

    async def worker():
        nonlocal total
        while queue:
            url = queue.pop(0)
            response = await _client().fetch(HTTPRequest(url, request_timeout=120, connect_timeout=60,
                                                         decompress_response=False,
                                                         headers={"Accept-Encoding": "gzip"}))
            total += len(response.body)

    await asyncio.gather(*(worker() for _ in range(parallel)))
    return total


async def answer_until(raters: list[HeadlessRater], interval: float, stop) -> float:
    """Each rater answers one item every ``interval`` seconds until ``stop()``; returns answers per second."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    n = 0
    while not stop():
        tick = started + n * interval
        await asyncio.sleep(max(0.0, tick - loop.time()))
        await asyncio.gather(*(r.answer(n) for r in raters))
        n += 1
    return sum(r.answers for r in raters) / (loop.time() - started)


@dataclass
class Arrival:
    """One rater of a deadline-day run: when they came, how long their list and form took, what they sent."""

    index: int
    list_s: float | None = None
    form_s: float | None = None
    answers: list[int] = field(default_factory=list)  # scores sent, to items 1, 2, ... of the form in order
    error: str = ""


async def deadline_day(urls: list[str], rate: float, answers_each: int = 5, answer_every: float = 1.0,
                       assets: tuple[str, ...] = (), hold: float = 5.0) -> list[Arrival]:
    """Raters arrive ``rate`` per second, one per URL: each opens the link (fetching ``assets`` like a browser
    without a cache), opens a form, answers ``answers_each`` items ``answer_every`` seconds apart and keeps the
    page open until every rater is done (plus ``hold`` seconds); then all pages close as tabs do.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    done = asyncio.Event()
    open_raters: list[HeadlessRater] = []
    remaining = len(urls)

    async def one(i: int, url: str) -> Arrival:
        nonlocal remaining
        out = Arrival(i)
        await asyncio.sleep(max(0.0, started + i / rate - loop.time()))
        rater = HeadlessRater(url, assets=assets)
        try:
            await asyncio.wait_for(rater.open(), timeout=300)
            open_raters.append(rater)
            out.list_s, out.form_s = rater.list_s, rater.form_s
            for n in range(answers_each):
                await rater.answer(n)
                out.answers.append(1 + n % 5)
                await asyncio.sleep(answer_every)
            await rater.sync()
        except Exception as exc:  # a failure is a result of the run, not the end of it
            out.error = f"{type(exc).__name__}: {exc}"[:200]
        finally:
            remaining -= 1
            if remaining == 0:
                done.set()
        return out

    results = await asyncio.gather(*(one(i, url) for i, url in enumerate(urls)))
    await done.wait()
    await asyncio.sleep(hold)
    for rater in open_raters:
        await rater.close()
        await shutdown(rater.url, rater.kernel_id)
    return list(results)


async def shutdown(page_url: str, kernel_id: str) -> None:
    """Shut a page's kernel down as the page does when its tab closes."""
    base = page_url.split("/voila/", 1)[0]
    try:
        await _client().fetch(HTTPRequest(f"{base}/voila/api/shutdown/{kernel_id}", method="POST", body=b"",
                                          request_timeout=60))
    except Exception:
        pass  # a kernel already gone
