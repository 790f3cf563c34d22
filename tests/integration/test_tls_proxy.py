"""deploy/nginx/hookd.conf as docs/operations.md tells to use it: a real nginx terminating TLS in front of hookd.
The API answers through it, portal links come out as https:// links to the proxy's address (from Host and
X-Forwarded-Proto), bodies up to the batch limit pass, and /metrics stays private."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest

from harness import BACKEND, ROOT, SLOW, free_port, wait_until

EXAMPLE = os.path.join(ROOT, "deploy/nginx/hookd.conf")
pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="the proxy in front is the same whichever store hookd runs on")


def test_nginx_terminates_tls_in_front_of_hookd(make_hookd, tmp_path):
    assert shutil.which("nginx"), "Debian's nginx-light is installed by make test"
    h = make_hookd()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    port = free_port()
    site = open(EXAMPLE).read()
    site = (site.replace("server 127.0.0.1:8084;", f"server 127.0.0.1:{h.port};")
            .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
            .replace("listen [::]:443 ssl http2;", "")
            .replace("/etc/ssl/hookd/fullchain.pem", str(cert))
            .replace("/etc/ssl/hookd/privkey.pem", str(key)))
    assert f"127.0.0.1:{port}" in site and str(cert) in site, "the example's lines the test relies on moved"
    (tmp_path / "hookd-site.conf").write_text(site)
    temp = tmp_path / "temp"
    temp.mkdir()
    os.chmod(temp, 0o777)
    # As root, nginx's workers would drop to nobody, who cannot enter the test's private temp directory.
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(f"""
{user}
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {tmp_path}/hookd-site.conf;
}}
""")
    nginx = subprocess.Popen(["nginx", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def listening():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        wait_until(listening, timeout=20, interval=0.1, message="nginx listening")
        tls = ssl.create_default_context(cafile=str(cert))
        base = f"https://localhost:{port}"

        def call(method, path, token=None, body=None, raw=None):
            data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
            req = urllib.request.Request(base + path, data=data, method=method)
            req.add_header("Content-Type", "application/json")
            if token:
                req.add_header("Authorization", f"Bearer {token}")
            try:
                with urllib.request.urlopen(req, context=tls, timeout=30 * SLOW) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()

        assert call("GET", "/healthz")[0] == 200
        status, body = call("POST", "/api/v1/accounts", h.admin_token, {"name": "Behind TLS"})
        assert status == 201, body
        account = json.loads(body)
        status, body = call("POST", f"/api/v1/accounts/{account['id']}/api-keys", h.admin_token, {"name": "k"})
        api_key = json.loads(body)["key"]
        status, body = call("POST", "/api/v1/portal-sessions", api_key, {})
        assert status == 201, body
        assert json.loads(body)["url"].startswith(f"https://localhost:{port}/"), body
        # A batch near hookd's 4 MiB limit passes the proxy; metrics do not.
        batch = {"events": [{"type": "task.completed", "data": {"pad": "x" * 3000}} for _ in range(1000)]}
        status, body = call("POST", "/api/v1/events/batch", api_key, batch)
        assert status == 202, body[:200]
        assert call("GET", "/metrics")[0] == 404
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
