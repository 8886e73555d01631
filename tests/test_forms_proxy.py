"""`kinerja serve --workers N` without a server running: nginx's config, the kernel ids, the static folder, and a
clear Indonesian message when nginx is missing."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kinerja_lib.forms.launcher import new_kernel_id
from kinerja_lib.forms.proxy import NGINX_MISSING, find_nginx, nginx_config, static_tree

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def _config(tmp_path, base="/", ports=(41001, 41002)):
    return nginx_config(tmp_path, "127.0.0.1:8866", base, list(ports), tmp_path / "static", tmp_path / "err.log")


def test_kernel_ids_name_their_process_and_stay_uuids():
    """Ids of process 10 start with '0a'; they remain random, UUID-shaped (the page and gate regexes hold)."""
    ids = {new_kernel_id("0a") for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"0a[0-9a-f]{6}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", k) for k in ids)
    assert re.fullmatch(r"[0-9a-f-]{36}", new_kernel_id(""))


def test_nginx_config_routes_kernels_to_their_process_and_pages_by_token(tmp_path):
    """A kernel's websocket, HTTP and shutdown go to the process its id names; pages go by the link's token with
    failover; nothing is logged; hashed static files are cached for a year."""
    conf = _config(tmp_path)
    assert "hash $arg_t consistent;" in conf and "proxy_next_upstream error timeout;" in conf
    assert "upstream kinerja_w00 { server 127.0.0.1:41001;" in conf
    assert "upstream kinerja_w01 { server 127.0.0.1:41002;" in conf
    assert re.search(r'location ~ "\^/api/kernels/\(\?<w>\[0-9a-f\]\{2\}\)\[0-9a-f-\]\{34\}/channels\$" \{\s+'
                     r"proxy_pass http://kinerja_w\$w;[^}]*proxy_set_header Upgrade \$http_upgrade;", conf)
    # a location setting any proxy header inherits none from its server: each proxied one names them all
    proxied = [block for block in re.findall(r"\n\s*location [^\n]*\n(.*?)\n\s*\}", conf, re.S) if "proxy_pass" in block]
    assert len(proxied) == 3
    assert all("proxy_set_header Host $http_host;" in b and "proxy_set_header X-Forwarded-For" in b for b in proxied)
    assert 'location ~ "^/(api/kernels|voila/api/shutdown)/(?<w>[0-9a-f]{2})"' in conf
    assert "access_log off;" in conf and "log_format" not in conf
    assert 'add_header Cache-Control "public, max-age=31536000, immutable";' in conf
    assert "gzip_static on;" in conf


def test_nginx_config_under_a_prefix(tmp_path):
    conf = _config(tmp_path, base="/penilaian/")
    assert 'location ~ "^/penilaian/api/kernels/(?<w>' in conf and "location /penilaian/ {" in conf


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
def test_nginx_accepts_the_config(tmp_path):
    """Debian's nginx parses the config as written (nginx -t, as an ordinary start would)."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / sub).mkdir(parents=True)
    (tmp_path / "static").mkdir()
    (tmp_path / "nginx.conf").write_text(_config(tmp_path))
    result = subprocess.run([NGINX, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_static_tree_merges_roots_in_order_and_compresses_once(tmp_path):
    """The first folder holding a name wins (as Voilà looks files up); text files get a smaller .gz beside them."""
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "x").mkdir(parents=True)
    (second / "x").mkdir(parents=True)
    (first / "x" / "page.js").write_text("var a = 1;\n" * 200)
    (second / "x" / "page.js").write_text("lost")
    (second / "x" / "font.woff").write_bytes(b"\x00" * 100)
    static_tree({"templates/kinerja/static": [first, second]}, tmp_path / "out")
    out = tmp_path / "out" / "templates" / "kinerja" / "static" / "x"
    assert (out / "page.js").read_text() == "var a = 1;\n" * 200
    assert gzip.decompress((out / "page.js.gz").read_bytes()) == (out / "page.js").read_bytes()
    assert (out / "font.woff").exists() and not (out / "font.woff.gz").exists()


def test_missing_nginx_is_one_indonesian_message(monkeypatch):
    monkeypatch.setenv("KINERJA_NGINX", "/tidak/ada/nginx")
    with pytest.raises(Exception) as info:
        find_nginx()
    assert str(info.value) == NGINX_MISSING


def test_serve_with_workers_and_no_nginx_exits_2_with_the_message_and_no_traceback(tmp_path):
    """`kinerja serve --workers 2` on a machine without nginx: exit status 2, the install hint, no traceback,
    no server started."""
    from kinerja_lib.store import open_db

    open_db(tmp_path / "k.db").close()
    env = {"PATH": "/usr/bin:/bin", "KINERJA_NGINX": "/tidak/ada/nginx", "HOME": str(tmp_path)}
    result = subprocess.run([str(Path(sys.executable).parent / "kinerja"), "--db", str(tmp_path / "k.db"), "serve",
                             "--workers", "2", "--port", "18999"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == f"Galat: {NGINX_MISSING}"
    assert "Traceback" not in result.stdout + result.stderr


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.e2e
@pytest.mark.slow
def test_serve_with_two_workers_serves_real_forms_through_nginx(tmp_path, browser):
    """`kinerja serve --workers 2` behind Debian's nginx: rater pages open through nginx, each page's websocket
    reaches the process its kernel id names (both processes seen), answers land in the database, the page script
    comes from nginx gzip-compressed and cached for a year; SIGTERM stops nginx and every process."""
    if NGINX is None:
        if os.environ.get("KINERJA_REQUIRE_BROWSER") == "1":
            pytest.fail("nginx tidak terpasang (KINERJA_REQUIRE_BROWSER=1)")
        pytest.skip("nginx is not installed")
    from kinerja_lib import links
    from kinerja_lib.demo import generate_demo
    from kinerja_lib.store import open_db
    from live import FormServer, free_port, process_tree, query, scale_option, wait_for
    from playwright.sync_api import expect

    path = tmp_path / "demo.db"
    database = open_db(path)
    summary = generate_demo(database, pegawai=40, seed=2028, answers=False, cycles=1)
    port = free_port()
    issued = links.issue_links(database, summary.cycle_id, base_url=f"http://127.0.0.1:{port}")
    database.close()
    server = FormServer(path, port, tmp_path, "--workers", "2").start()
    try:
        commands = [_cmdline(pid) for pid in process_tree(server.process.pid)]
        assert sum(c.startswith("nginx: master") for c in commands) == 1
        assert sum("--proses-ke" in c.split() for c in commands) == 2

        workers_seen: dict[str, int] = {}
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        for link in issued[:12]:
            page = context.new_page()
            sockets, scripts = [], []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            page.on("response", lambda r: scripts.append(r) if "/k360-page.js" in r.url else None)
            page.goto(link.url)
            card = page.locator(".k360-card").first
            expect(card).to_be_visible(timeout=60_000)
            aid = query(path, "SELECT id FROM assignment WHERE rater_nip = ? AND cycle_id = ? AND aktif = 1 "
                        "ORDER BY id", [link.nip, summary.cycle_id])
            card.get_by_role("button").click()
            scale_option(page.locator(".k360-answer").first, "3").click()
            expect(page.get_by_text("Terisi 1 dari")).to_be_visible(timeout=60_000)
            kernel = re.search(r"/api/kernels/([0-9a-f-]{36})/channels", sockets[0]).group(1)
            assert sockets[0].startswith(f"ws://127.0.0.1:{port}/")
            assert len(scripts) == 1 and scripts[0].status == 200
            headers = scripts[0].all_headers()
            assert headers.get("content-encoding") == "gzip"
            assert "max-age=31536000" in headers.get("cache-control", "")
            saved = {a for (a,) in query(path, "SELECT DISTINCT assignment_id FROM response WHERE score = 3")}
            assert saved & {a for (a,) in aid}
            workers_seen[kernel[:2]] = workers_seen.get(kernel[:2], 0) + 1
            page.close(run_before_unload=True)
            if len(workers_seen) == 2 and sum(workers_seen.values()) >= 3:
                break
        assert set(workers_seen) == {"00", "01"}, workers_seen
        context.close()
    finally:
        pids = set(process_tree(server.process.pid)) if server.process.poll() is None else set()
        status = server.stop()
    assert status == 0
    wait_for(lambda: not [p for p in pids if os.path.exists(f"/proc/{p}")], 30, "every process of the cluster to end")
