"""Several form server processes behind nginx: the config, the static files nginx serves, and the supervisor.

``kinerja serve --workers N`` runs N Voilà processes (one per core: a Python process uses one) on private ports
of 127.0.0.1 and Debian's nginx in front of them on the public address. nginx

* sends a page request (``voila/render/...?t=<token>``) to a process chosen by consistent hashing of the link's
  token, so one link always reaches the same process (its per-link kernel cap holds) and a dead process is
  skipped (``proxy_next_upstream``);
* sends everything about a kernel (its websocket, ``api/kernels/<id>``, the shutdown on tab close) to the process
  holding it: kernel ids start with the two hex digits of their process (``launcher.KinerjaKernelManager``);
* serves the page template's static files itself, from one folder built at start, gzip-compressed once and
  cached for a year (their URLs carry a content hash; ``static_tree``);
* logs no request (a link's token is in its query string).

The supervisor (``Cluster``) writes the config into a private folder, starts the processes and nginx, starts
again any that dies, and stops them all on SIGINT/SIGTERM. Plain Python: only ``nginx`` and the ``kinerja``
processes it starts import Voilà.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import KinerjaError

log = logging.getLogger("kinerja_lib.forms.server")

#: Where Debian puts nginx; /usr/sbin is not on an ordinary user's PATH.
NGINX_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin")
NGINX_MISSING = ("nginx tidak ditemukan. '--workers' menjalankan beberapa proses server di belakang nginx; "
                 "pasang dengan 'sudo apt-get install nginx', atau jalankan 'kinerja serve' tanpa '--workers'.")
#: File types compressed once at start (everything else, fonts included, is already compressed or tiny).
COMPRESSED = (".js", ".css", ".svg", ".json", ".html", ".txt", ".map", ".eot", ".ttf")
MIME_TYPES = {"html": "text/html", "js": "application/javascript", "css": "text/css", "json": "application/json",
              "svg": "image/svg+xml", "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf",
              "eot": "application/vnd.ms-fontobject", "png": "image/png", "ico": "image/x-icon", "txt": "text/plain",
              "map": "application/json"}
START_TIMEOUT_S = 120


#: Environment variable naming the nginx executable, where it is not on the PATH or in /usr/sbin.
ENV_NGINX = "KINERJA_NGINX"


def find_nginx() -> str:
    """Return the nginx executable (``$KINERJA_NGINX``, the PATH, then /usr/sbin and friends), or raise
    KinerjaError with the Indonesian install hint."""
    named = os.environ.get(ENV_NGINX)
    if named is not None:
        found = shutil.which(named)
    else:
        found = shutil.which("nginx") or shutil.which("nginx", path=os.pathsep.join(NGINX_DIRS))
    if not found:
        raise KinerjaError(NGINX_MISSING)
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- static files

def static_tree(routes: dict[str, list[Path]], out: Path) -> None:
    """Merge each route's folders into ``out/<route>`` (the first folder holding a name wins, as Voilà's
    handlers look them up) and write a gzip copy beside every compressible file that it makes smaller."""
    for route, roots in routes.items():
        target = out / route
        for root in reversed(roots):  # later roots first, so earlier ones overwrite them
            if not root.is_dir():
                continue
            for src in root.rglob("*"):
                if src.is_file() and not src.name.endswith(".gz"):
                    dst = target / src.relative_to(root)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    if dst.exists():
                        dst.unlink()
                    shutil.copyfile(src, dst)
        for path in target.rglob("*"):
            if path.is_file() and path.suffix in COMPRESSED:
                data = path.read_bytes()
                packed = gzip.compress(data, 9, mtime=0)
                gz = path.with_name(path.name + ".gz")
                if len(packed) < len(data):
                    gz.write_bytes(packed)
                elif gz.exists():
                    gz.unlink()


def voila_static_routes(template: str = "kinerja") -> dict[str, list[Path]]:
    """The folders behind the page template's static URLs, ``voila/templates/<template>/static/`` (all the form
    pages load; Voilà's own bundles are never asked for). Imports Voilà: call in the supervisor only."""
    from voila.paths import collect_static_paths

    return {f"templates/{template}/static": [Path(p) for p in collect_static_paths(["voila", "nbconvert"], template)]}


# --------------------------------------------------------------------------- the nginx config

def nginx_config(folder: Path, listen: str, base: str, ports: list[int], static: Path, error_log: Path) -> str:
    """Return nginx.conf for ``ports`` (process i on ports[i]) behind ``listen`` ("host:port") under ``base``."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # nginx started as root would switch to nobody
    pages = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in ports)
    workers = "\n".join(f"    upstream kinerja_w{i:02x} {{ server 127.0.0.1:{p}; keepalive 16; }}"
                        for i, p in enumerate(ports))
    mime = " ".join(f"{t} {e};" for e, t in MIME_TYPES.items())
    q = base  # always starts and ends with "/"
    # a location that sets any proxy header inherits none from its server: every location says them all
    headers = ("proxy_set_header Host $http_host;\n            proxy_set_header X-Real-IP $remote_addr;\n"
               "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
               "            proxy_set_header X-Forwarded-Proto $scheme;")
    return f"""# written by `kinerja serve --workers {len(ports)}`; rewritten at every start
{user}worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {error_log} warn;
events {{ worker_connections 8192; }}
http {{
    types {{ {mime} }}
    default_type application/octet-stream;
    access_log off;  # a rater's token is in the query string: requests are never logged here
    server_tokens off;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65;
    client_max_body_size 1m;
    gzip on;
    gzip_comp_level 6;
    gzip_min_length 256;
    gzip_proxied any;
    gzip_vary on;
    gzip_types text/css application/javascript application/json text/plain image/svg+xml;

    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}

    # a page request: by the link's token, the same process every time; a dead one is skipped
    upstream kinerja_pages {{
        hash $arg_t consistent;
{pages}
        keepalive 32;
    }}
    # a kernel lives in one process: its id names it
{workers}

    server {{
        listen {listen};
        add_header X-Content-Type-Options nosniff always;
        add_header Referrer-Policy no-referrer always;

        proxy_http_version 1.1;

        location ~ "^{q}api/kernels/(?<w>[0-9a-f]{{2}})[0-9a-f-]{{34}}/channels$" {{
            proxy_pass http://kinerja_w$w;
            {headers}
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
        }}
        location ~ "^{q}(api/kernels|voila/api/shutdown)/(?<w>[0-9a-f]{{2}})" {{
            proxy_pass http://kinerja_w$w;
            {headers}
            proxy_set_header Connection "";
        }}
        # the page's files carry their content hash (?v=): a year in the browser's cache
        location {q}voila/templates/ {{
            alias {static}/templates/;
            gzip_static on;
            add_header Cache-Control "public, max-age=31536000, immutable";
            add_header X-Content-Type-Options nosniff always;
        }}
        location {q} {{
            proxy_pass http://kinerja_pages;
            {headers}
            proxy_set_header Connection "";
            proxy_buffering off;  # Voilà streams the page while its cells run
            proxy_read_timeout 300s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


# --------------------------------------------------------------------------- the supervisor

def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


@dataclass
class Cluster:
    """N `kinerja serve` processes and nginx in front of them; see the module docstring."""

    db_path: Path
    host: str
    port: int
    base: str
    log_path: Path
    workers: int
    worker_options: list[str] = field(default_factory=list)
    nginx: str = ""
    folder: Path | None = None
    ports: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen | None] = field(default_factory=list)
    proxy: subprocess.Popen | None = None
    stopping: bool = False

    def prepare(self) -> None:
        """Check nginx, choose the ports, build the static folder and write the config (nothing started yet)."""
        self.nginx = self.nginx or find_nginx()
        self.folder = Path(tempfile.mkdtemp(prefix="kinerja-nginx-"))  # mode 0700: ours alone
        try:
            self._write_config()
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def _write_config(self) -> None:
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.folder / "tmp" / sub).mkdir(parents=True)
        self.ports = [free_port() for _ in range(self.workers)]
        static_tree(voila_static_routes(), self.folder / "static")
        listen = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        conf = nginx_config(self.folder, listen, self.base, self.ports, self.folder / "static",
                            self.log_path.parent / "nginx-error.log")
        (self.folder / "nginx.conf").write_text(conf)
        test = subprocess.run([self.nginx, "-t", "-q", "-c", str(self.folder / "nginx.conf"), "-p", str(self.folder)],
                              capture_output=True, text=True)
        if test.returncode != 0:
            raise KinerjaError("Konfigurasi nginx ditolak: " + (test.stderr.strip().splitlines() or ["?"])[-1])

    def _worker_command(self, index: int) -> list[str]:
        return [sys.executable, "-c", "from kinerja_lib.cli import main; main()", "--db", str(self.db_path),
                "serve", "--host", "127.0.0.1", "--port", str(self.ports[index]), "--base-url", self.base,
                "--log", str(self.log_path), "--proses-ke", str(index), *self.worker_options]

    def _start_worker(self, index: int) -> subprocess.Popen:
        return subprocess.Popen(self._worker_command(index), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    def _start_nginx(self) -> subprocess.Popen:
        return subprocess.Popen([self.nginx, "-c", str(self.folder / "nginx.conf"), "-p", str(self.folder)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

    def start(self) -> None:
        """Start the processes, wait until each answers, then nginx; raise KinerjaError if one fails."""
        self.procs = [self._start_worker(i) for i in range(self.workers)]
        deadline = time.monotonic() + START_TIMEOUT_S
        for i, port in enumerate(self.ports):
            while not _answers(f"http://127.0.0.1:{port}{self.base}"):
                if self.procs[i].poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise KinerjaError(f"Proses server {i + 1} tidak dapat dimulai; lihat log {self.log_path}.")
                time.sleep(0.3)
        self.proxy = self._start_nginx()
        while not _answers(f"http://{self._local_host()}:{self.port}{self.base}"):
            if self.proxy.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise KinerjaError("nginx tidak dapat dimulai; lihat " +
                                   str(self.log_path.parent / "nginx-error.log"))
            time.sleep(0.2)

    def _local_host(self) -> str:
        if self.host in ("0.0.0.0", ""):
            return "127.0.0.1"
        if self.host == "::":
            return "[::1]"
        return f"[{self.host}]" if ":" in self.host else self.host

    def watch(self) -> None:
        """Until asked to stop: start again any process or nginx that has ended."""
        while not self.stopping:
            for i, proc in enumerate(self.procs):
                if not self.stopping and proc is not None and proc.poll() is not None:
                    log.error("form server process %d ended (status %s); starting it again", i + 1, proc.returncode)
                    self.procs[i] = self._start_worker(i)
            if not self.stopping and self.proxy is not None and self.proxy.poll() is not None:
                log.error("nginx ended (status %s); starting it again", self.proxy.returncode)
                self.proxy = self._start_nginx()
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop nginx, then every process (SIGTERM, then SIGKILL after 60 s); remove the private folder."""
        self.stopping = True
        if self.proxy is not None and self.proxy.poll() is None:
            self.proxy.terminate()  # fast shutdown: open websockets would hold a graceful one for a day
            try:
                self.proxy.wait(20)
            except subprocess.TimeoutExpired:
                self.proxy.kill()
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            if proc is None:
                continue
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
