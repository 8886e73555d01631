"""Raters without a browser that also record what the form server tells them, for the protocol and fault tests.

``RecordingRater`` is ``benchmarks.headless_rater.HeadlessRater`` (the page request and the widget messages a
rater's browser sends) keeping every message the kernel sends back, and reading from them what the page would
show as saved: the ``k360-saved-<index>`` marker the kernel puts on each answer scale once the database holds it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone

from benchmarks.headless_rater import HeadlessRater
from kinerja_lib.reference import load_instrument

BEHAVIOUR = load_instrument().item_codes


@dataclass
class RecordingRater(HeadlessRater):
    received: list[dict] = field(default_factory=list)
    markers: dict[str, int | None] = field(default_factory=dict)  # model id -> option index the kernel marks saved

    async def settle(self, timeout: float = 60) -> None:
        """Return once everything the kernel published for the messages sent so far has arrived here.

        ``sync()`` waits for a shell reply, but ipykernel publishes on IOPub from a thread of its own, so a
        reply can overtake the widget updates sent before it; the "idle" status for a request comes on IOPub
        after them.
        """
        msg_id = uuid.uuid4().hex
        self._settling = (msg_id, asyncio.get_running_loop().create_future())
        await self._ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "kernel_info_request", "session": self.session, "username": "",
                       "version": "5.3", "date": datetime.now(timezone.utc).isoformat()},
            "parent_header": {}, "metadata": {}, "content": {}, "channel": "shell", "buffers": []}))
        await asyncio.wait_for(self._settling[1], timeout)

    async def _read(self) -> dict:
        msg = await super()._read()
        self.received.append(msg)
        settling = getattr(self, "_settling", None)
        if (settling and msg.get("msg_type") == "status" and msg.get("content", {}).get("execution_state") == "idle"
                and msg.get("parent_header", {}).get("msg_id") == settling[0] and not settling[1].done()):
            settling[1].set_result(None)
        content = msg.get("content", {})
        data = content.get("data", {}) if isinstance(content, dict) else {}
        state = data.get("state", {}) if isinstance(data, dict) else {}
        if isinstance(state, dict) and "_dom_classes" in state:
            saved = [c for c in state["_dom_classes"] if c.startswith("k360-saved-")]
            self.markers[content["comm_id"]] = int(saved[0].rsplit("-", 1)[1]) if saved else None
        return msg

    async def _read_forever(self) -> None:
        try:
            await super()._read_forever()
        except ConnectionError:
            pass  # the server went away: what arrived until then is what the page saw

    def shown_as_saved(self) -> dict[str, int | None]:
        """The BerAKHLAK answers this page shows as saved: item code -> score (None = tidak dapat menilai)."""
        out = {}
        for item, model in zip(BEHAVIOUR, self.scales):
            index = self.markers.get(model)
            if index is not None:
                out[item] = None if index == 5 else index + 1
        return out

    def text(self) -> str:
        """Everything the kernel sent this page, as one string (to look for tracebacks, paths, messages)."""
        return "\n".join(json.dumps(m, default=str) for m in self.received)


def run(coro, timeout: float = 180):
    """Run a coroutine to completion on a thread of its own (Playwright's sync API may hold this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, timeout=timeout)).result()


class RaterLoop:
    """One event loop on a thread of its own for raters that live across several steps of a test (their
    websockets belong to the loop that opened them): ``loop.run(coro)`` waits, ``loop.start(coro)`` does not."""

    def __init__(self):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="raters", daemon=True)
        self._thread.start()

    def start(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def run(self, coro, timeout: float = 180):
        return self.start(asyncio.wait_for(coro, timeout)).result()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> RaterLoop:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
