"""The form server's kernel managers: kernels forked by the zygote, and kernel ids that name their server process.

Imported only by the running form server (it imports jupyter_server). ``KinerjaKernelManager`` is the mapping
kernel manager Voilà's pool is built on; with several server processes behind nginx (``kinerja serve
--workers N``) every kernel id starts with the two hex digits of its process (``KINERJA_WORKER``), so the proxy
can send a kernel's websocket and requests to the one process that holds it. The id stays a random UUID
otherwise (122 random bits less 8).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager, ServerKernelManager

from .zygote import ZYGOTE, ForkedProcess

log = logging.getLogger("kinerja_lib.forms.server")
# How long a stopping server waits for kernels still starting (a preheated kernel starts in about a second).
START_WAIT_S = 5.0

#: Environment variable holding this server process's number (0-255) when several run behind nginx.
ENV_WORKER = "KINERJA_WORKER"


def worker_prefix() -> str:
    """Return the two hex digits kernel ids of this process start with ('' for a single server)."""
    value = os.environ.get(ENV_WORKER, "")
    return f"{int(value):02x}" if value.isdigit() else ""


def new_kernel_id(prefix: str = "") -> str:
    """Return a random UUID whose first hex digits are ``prefix``.

    >>> new_kernel_id("0a")[:2], len(new_kernel_id("0a"))
    ('0a', 36)
    """
    return prefix + str(uuid.uuid4())[len(prefix):]


class ForkProvisioner(LocalProvisioner):
    """LocalProvisioner whose process comes from the zygote (an ordinary launch if the zygote fails)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        env = {k: str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            pid, pidfd = await asyncio.to_thread(ZYGOTE.fork, cmd, env, cwd)
        except OSError as exc:
            log.warning("zygote unavailable (%s); starting the kernel the ordinary way", exc)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedProcess(pid, pidfd)
        self.pid, self.pgid = pid, pid
        self.cwd = cwd
        return self.connection_info


class ForkingKernelManager(ServerKernelManager):
    """jupyter_server's kernel manager, launching through the zygote."""

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


class KinerjaKernelManager(AsyncMappingKernelManager):
    """The mapping kernel manager of the form server: forked kernels, ids carrying the server process number."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kernel_manager_class = f"{__name__}.ForkingKernelManager"
        self._prefix = worker_prefix()

    def new_kernel_id(self, **kwargs) -> str:
        return new_kernel_id(self._prefix)

    async def shutdown_all(self, now: bool = False) -> None:
        """Shut every kernel down, those still starting included, when the server stops.

        jupyter_client lists the kernels still starting among those to shut down, and jupyter_server refuses to
        shut down a kernel it does not hold yet ("Kernel does not exist", HTTP 404): a server stopped within a
        second or two of starting, its preheated pool still filling, ended with that error and exit status 2.
        The starting kernels are waited for first (the server stops from within its running loop, see
        kinerja_lib.cli.serve.run_server); one that does not come up is dropped, as it cannot be shut down.
        """
        starting = [task for task in self._pending_kernels.values() if not task.done()]
        if starting:   # bounded: after a second signal the loop they run on is stopped and they never finish
            await asyncio.wait(starting, timeout=START_WAIT_S)
        for kernel_id in list(self._pending_kernels):
            if kernel_id not in self._kernels:
                self._pending_kernels.pop(kernel_id).cancel()
        await super().shutdown_all(now=now)
