"""Egress through a proxy (SPEC §10, --egress-proxy) with Debian's tinyproxy: deliveries, pings and HTTPS leave
through it and arrive from the proxy's address; hookd asks the proxy only for addresses its SSRF guard allowed, so a
name that resolves to a private address is refused before the proxy hears of it; a proxy's refusal is the attempt's
error; the proxy's credentials never reach the log."""
import os
import shutil
import signal
import subprocess

import pytest

from harness import free_port, verify_standard_webhooks, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tinyproxy") is None, reason="tinyproxy is not installed")

PROXY_SOURCE = "127.0.0.2"  # the address the proxy connects from: what a receiver allow-lists
PROXY_PASSWORD = "pr0xy-s3cret-Zq"


@pytest.fixture
def proxy(tmp_path):
    """A tinyproxy on loopback that connects out from 127.0.0.2 and asks for Basic credentials."""
    port = free_port()
    log = tmp_path / "tinyproxy.log"
    conf = tmp_path / "tinyproxy.conf"
    conf.write_text(f"Port {port}\nListen 127.0.0.1\nBind {PROXY_SOURCE}\nTimeout 30\nMaxClients 64\n"
                    f"LogFile \"{log}\"\nLogLevel Info\nAllow 127.0.0.1\nBasicAuth hookd {PROXY_PASSWORD}\n")
    proc = subprocess.Popen(["tinyproxy", "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: log.exists() and "listening on" in log.read_text().lower(), timeout=10,
               message="tinyproxy listening")

    class Proxy:
        url = f"http://hookd:{PROXY_PASSWORD}@127.0.0.1:{port}"
        bad_url = f"http://hookd:wrong@127.0.0.1:{port}"

        @staticmethod
        def connects():
            return [line.split("): CONNECT ", 1)[1].split()[0] for line in log.read_text().splitlines()
                    if "): CONNECT " in line]

    yield Proxy
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)


def attempts_of(h, key, count):
    deliveries = wait_until(lambda: [d for d in h.deliveries(key) if d["status"] in ("succeeded", "dead")][count - 1:]
                            and h.deliveries(key), message="deliveries ended")
    return [h.request("GET", f"/api/v1/deliveries/{d['id']}", key).json["attempts"][0] for d in deliveries]


def test_deliveries_and_pings_arrive_from_the_proxy(make_hookd, receiver, proxy):
    h = make_hookd("--egress-proxy", proxy.url, "--retry-schedule", "none")
    _, key = h.create_account()
    r = receiver()
    port = r.url.split(":")[2].split("/")[0]
    created = h.request("POST", "/api/v1/webhooks", key, {"url": r.url, "events": ["*"]})  # pinged, via the proxy
    assert created.status == 201, created.json
    secret = created.json["secret"]
    for _ in range(3):
        h.emit(key)
    got = wait_until(lambda: len(r.received()) == 3 and r.received(), message="3 deliveries")
    assert all(verify_standard_webhooks(secret, g["headers"], g["body"]) for g in got)
    assert {g["client_host"] for g in r.requests} == {PROXY_SOURCE}  # the ping as well as the deliveries
    assert proxy.connects() and set(proxy.connects()) == {f"127.0.0.1:{port}"}
    assert PROXY_PASSWORD not in h.log()


def test_https_through_the_proxy_still_verifies_the_host_name(make_hookd, certificate, tls_receiver, proxy):
    h = make_hookd("--egress-proxy", proxy.url, "--retry-schedule", "none",
                   env={"SSL_CERT_FILE": str(certificate[0])})
    _, key = h.create_account()
    h.create_webhook(key, tls_receiver.url)  # https://localhost:…: the tunnel goes to the checked address
    h.create_webhook(key, tls_receiver.url.replace("localhost", "127.0.0.1"))
    h.emit(key)
    attempts = attempts_of(h, key, 2)
    assert sorted(a["error"] or "ok" for a in attempts) == ["ok", "tls"]  # the certificate names localhost only
    assert [g["client_host"] for g in tls_receiver.received()] == [PROXY_SOURCE]
    assert all(c.startswith(("127.0.0.1:", "[::1]:")) for c in proxy.connects())


def test_a_private_address_is_refused_before_the_proxy_is_asked(tmp_path, receiver, proxy):
    from harness import Hookd
    h = Hookd(tmp_path / "strict", ["--allow-http", "--egress-proxy", proxy.url, "--retry-schedule", "none"]).start()
    try:
        _, key = h.create_account()
        r = receiver()
        url = r.url.replace("127.0.0.1", "localhost")  # a name that resolves to loopback
        created = h.request("POST", "/api/v1/webhooks?verify=false", key, {"url": url, "events": ["*"]})
        assert created.status == 201, created.json
        h.emit(key)
        [attempt] = attempts_of(h, key, 1)
        assert attempt["error"] == "blocked_address"
        assert r.received() == [] and proxy.connects() == []
    finally:
        assert h.stop() == 0


def test_a_proxy_that_refuses_is_the_attempts_error(make_hookd, receiver, proxy):
    h = make_hookd("--egress-proxy", proxy.bad_url, "--retry-schedule", "none")
    _, key = h.create_account()
    r = receiver()
    h.create_webhook(key, r.url)
    h.emit(key)
    [attempt] = attempts_of(h, key, 1)
    assert attempt["error"] == "proxy_refused"  # 407: the credentials are wrong
    assert r.received() == []


def test_a_malformed_proxy_url_is_refused_at_start(tmp_path):
    from harness import HOOKD_BIN
    for bad in ("socks5://127.0.0.1:1080", "http://127.0.0.1", "http://127.0.0.1:3128/path", "proxy:3128"):
        run = subprocess.run([HOOKD_BIN, "serve", "--data-dir", str(tmp_path), "--egress-proxy", bad],
                             capture_output=True, timeout=20)
        assert run.returncode == 2, (bad, run.stderr)
        assert b"egress-proxy" in run.stderr
    assert not os.path.exists(tmp_path / "hookd.db")
