"""Form kernels forked from a warm process (a zygote) instead of started from nothing: about 1 CPU-second less each.

A fresh ``python -m ipykernel_launcher`` spends about a CPU-second importing ipykernel, IPython, ipywidgets,
sqlite-utils and the form modules; on a 2-core server that is the ceiling for raters arriving at once. The zygote
imports all of that once, then forks a child for each kernel the form server asks for: the child is a normal
ipykernel (same connection file, same environment, its own session and process title
``python -m ipykernel_launcher -f …/kernel-<id>.json``), and the pages its parent's imports share with the zygote
stay shared until written (copy-on-write), so an open form also costs less memory.

``kinerja_lib.forms.launcher`` holds the form server's side: its kernel provisioner asks the zygote (``fork``) for
the process and falls back to an ordinary launch when the zygote cannot answer. The zygote keeps no threads, no
sockets but its control socket and no database connection, so a fork copies nothing that must not be shared. It
ends when its server ends (end of file on the control socket); a kernel ends when the zygote does, as it would with
its server: the kernel asks Linux to kill it when its parent dies (``PR_SET_PDEATHSIG``, from its first instant) and
ipykernel's parent poller watches the zygote too. A zygote that died alone takes its kernels with it; their pages
say the connection was lost and reload to what was saved, and the server forks the next kernels from a new zygote.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading

log = logging.getLogger("kinerja_lib.forms.server")

_MAX_REQUEST = 1 << 20  # a kernel's command, environment and folder fit in far less


# --------------------------------------------------------------------------- the zygote process

def _warm() -> None:
    """Import what every form kernel imports, so a fork starts with it (see kernel.preload)."""
    from . import kernel

    kernel.keep_light()
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import ipywidgets  # noqa: F401

    from .. import form_service, links  # noqa: F401
    from ..reference import load_competencies, load_instrument, load_scale, load_vocabulary
    from . import admin, rater  # noqa: F401

    for loader in (load_instrument, load_competencies, load_scale, load_vocabulary):
        loader()
    try:  # the office's time zone, for the dashboard's submissions per day (a broken file is reported there)
        from ..instansi import load_instansi

        load_instansi()
    except Exception:
        pass
    try:  # set up the process title now: the child changes its environment before naming itself
        import setproctitle

        setproctitle.setproctitle(setproctitle.getproctitle())
    except Exception:
        pass


def _recv_request(conn: socket.socket) -> dict | None:
    header = _recv_exact(conn, 4)
    if header is None:
        return None
    size = int.from_bytes(header, "big")
    if size > _MAX_REQUEST:
        raise ValueError("kernel request too large")
    body = _recv_exact(conn, size)
    return None if body is None else json.loads(body)


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _child(conn: socket.socket, request: dict, zygote: int) -> None:
    """In the forked child of process ``zygote``: become the kernel the request describes. Never returns."""
    code = 1
    try:
        conn.close()
        os.setsid()  # as jupyter_client's launcher does: the kernel's own session and process group
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(zygote)  # end with the zygote, as with a server
        _end_with_parent(zygote)
        os.chdir(request["cwd"])
        argv = request["argv"]
        try:
            import setproctitle

            setproctitle.setproctitle(" ".join(argv))
        except Exception:  # only the process title; the kernel works without it
            pass
        module = argv.index("ipykernel_launcher") if "ipykernel_launcher" in argv else None
        if module is None:
            raise ValueError(f"not an ipykernel command: {argv[:3]}")
        sys.argv = [argv[0], *argv[module + 1:]]
        from ipykernel import kernelapp

        # ipykernel read JPY_PARENT_PID when the zygote imported it (a trait default), not now: pass it on.
        kernelapp.launch_new_instance(argv=argv[module + 1:], parent_handle=zygote)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _end_with_parent(parent: int) -> None:
    """Have the kernel killed when the zygote ends, even before ipykernel's parent poller runs.

    A server stopped right after it forked a kernel (or a zygote killed outright) would otherwise leave the
    kernel running under init for good. Linux only (``prctl``); elsewhere the parent poller alone remains.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the zygote ended before the request above took hold
        os._exit(1)


def _reap(*_args) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(fd: int) -> None:
    """The zygote's main loop on the control socket ``fd``: one request in, one forked kernel out."""
    _warm()
    conn = socket.socket(fileno=fd)
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the server, which ends us by closing the socket
    while True:
        try:
            request = _recv_request(conn)
        except (OSError, ValueError):
            return
        if request is None:
            return  # the server is gone
        zygote = os.getpid()
        pid = os.fork()
        if pid == 0:
            _child(conn, request, zygote)
        pidfd = os.pidfd_open(pid)
        try:
            socket.send_fds(conn, [json.dumps({"pid": pid}).encode()], [pidfd])
        finally:
            os.close(pidfd)


# --------------------------------------------------------------------------- the server side

class Zygote:
    """The server's handle on its zygote: started on first use, started again if it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._proc = subprocess.Popen([sys.executable, "-m", "kinerja_lib.forms.zygote", str(theirs.fileno())],
                                      pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        theirs.close()
        self._sock = ours

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> tuple[int, int]:
        """Return (pid, pidfd) of a new kernel process running ``argv``; raises OSError if the zygote fails."""
        body = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode()
        with self._lock:
            for attempt in (1, 2):
                if self._proc is None or self._proc.poll() is not None:
                    self._start()
                try:
                    self._sock.sendall(len(body).to_bytes(4, "big") + body)
                    msg, fds, _flags, _addr = socket.recv_fds(self._sock, 4096, 1)
                    if not msg or not fds:
                        raise OSError("the zygote closed its socket")
                    return json.loads(msg)["pid"], fds[0]
                except OSError:
                    self.close()
                    if attempt == 2:
                        raise
        raise OSError("unreachable")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None


#: The one zygote of this server process.
ZYGOTE = Zygote()


class ForkedProcess:
    """The ``subprocess.Popen`` surface jupyter_client uses, for a kernel the zygote forked (not our child)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int):
        self.pid, self._pidfd = pid, pidfd
        self.returncode: int | None = None

    def _ended(self, timeout: float | None) -> bool:
        """Whether the process has ended, waiting up to ``timeout`` seconds (None: until it does).

        ``poll(2)``, not ``select(2)``: a server holding a hundred kernels has descriptors above 1024, which
        ``select`` refuses ("filedescriptor out of range"), and the websocket of that page failed with a 500.
        """
        waiter = select.poll()
        waiter.register(self._pidfd, select.POLLIN)
        return bool(waiter.poll(None if timeout is None else max(0, int(timeout * 1000))))

    def poll(self) -> int | None:
        if self.returncode is None and self._pidfd >= 0:
            if self._ended(0):  # the process has ended (the zygote reaps it; its status is not ours to read)
                self.returncode = -signal.SIGKILL if not os.path.exists(f"/proc/{self.pid}") else 0
                os.close(self._pidfd)
                self._pidfd = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self._pidfd >= 0:
            if not self._ended(timeout):
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
        return self.poll() if self.returncode is None else self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self._pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def close() -> None:
    """End the zygote (the server is stopping)."""
    ZYGOTE.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
