"""A TCP proxy whose line can be cut, for browser tests of a dropped network between a rater and the form server.

``CuttableProxy`` sits between the browser and ``kinerja serve`` and decides how the line fails, which browser
emulation does not: ``cut()`` silently drops every byte in both directions (no FIN, no RST: what a dead mobile link
looks like to both ends), new connections are accepted and then starved; ``restore()`` lets bytes flow again,
either on the same connections with what was held delivered late (a brief dip that TCP rides out) or, with
``reset=True``, closing every connection first (the phone came back with a new address).
"""

from __future__ import annotations

import asyncio
import threading

from live import free_port


class CuttableProxy:
    """Forward 127.0.0.1:``port`` to 127.0.0.1:``target`` until cut."""

    def __init__(self, target: int):
        self.target = target
        self.port = free_port()
        self._open = True
        self._conns: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cuttable-proxy", daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CuttableProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def cut(self) -> None:
        """Drop every byte from now on, in both directions, on old and new connections alike."""
        self._open = False

    def restore(self, reset: bool = False) -> None:
        """Let bytes through again; with ``reset`` close every connection first (the peers must reconnect)."""
        if reset:
            asyncio.run_coroutine_threadsafe(self._close_all(), self._loop).result(10)
        self._open = True

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # ------------------------------------------------------------------ the loop thread

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            # A connection accepted while stopping has tasks that never ran: cancel and finish them here, so no
            # coroutine is left unawaited when the loop goes.
            self._server.close()
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

    async def _shutdown(self) -> None:
        self._server.close()   # no new connection from here on
        await self._close_all()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _close_all(self) -> None:
        for writer in list(self._conns):
            writer.transport.abort()
        self._conns.clear()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self._conns.add(client_w)
        try:
            upstream_r, upstream_w = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            client_w.transport.abort()
            return
        self._conns.add(upstream_w)
        await asyncio.gather(self._pipe(client_r, upstream_w), self._pipe(upstream_r, client_w),
                             return_exceptions=True)
        for writer in (client_w, upstream_w):
            self._conns.discard(writer)
            writer.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held: list[bytes] = []  # what a dead line swallowed; TCP resends it once the line is back
        while True:
            try:
                data = await asyncio.wait_for(reader.read(65536), 0.1)
            except asyncio.TimeoutError:
                data = None
            else:
                if not data:
                    break
                held.append(data)
            if self._open and held:
                for chunk in held:
                    writer.write(chunk)
                held.clear()
                await writer.drain()
        writer.transport.abort()
