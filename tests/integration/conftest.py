"""Fixtures: a hookd on a temp dir that may deliver to loopback over http (the receivers live there), an account
with an API key, receivers that are closed after each test, and an HTTPS receiver whose self-signed certificate
names `localhost`."""
import ssl
import subprocess

import pytest

from harness import Hookd, Receiver


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes several seconds")


@pytest.fixture
def make_hookd(tmp_path):
    started = []

    def make(*extra, name="hookd", **kwargs):
        h = Hookd(tmp_path / name, ["--allow-http", "--allow-private-networks", *extra], **kwargs)
        started.append(h)
        return h.start()

    yield make
    for h in started:
        if h.proc and h.proc.poll() is None:
            code = h.stop()
            assert code == 0, f"hookd exited with {code} on SIGTERM; log:\n{h.log()}"
        if "ERROR: AddressSanitizer" in h.log() or "runtime error:" in h.log():
            pytest.fail(f"sanitizer report in hookd's log:\n{h.log()}")


@pytest.fixture
def hookd(make_hookd):
    return make_hookd("--retry-schedule", "200ms,400ms", "--attempt-timeout", "2s", "--circuit-cooldown", "200ms")


@pytest.fixture
def account(hookd):
    return hookd.create_account()


@pytest.fixture
def key(account):
    return account[1]


@pytest.fixture
def receiver():
    receivers = []

    def make():
        r = Receiver()
        receivers.append(r)
        return r

    yield make
    for r in receivers:
        r.close()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        from harness import free_port

        self.messages = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(envelope)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def close(self):
        self.controller.stop()


@pytest.fixture
def smtp():
    sink = SmtpSink()
    yield sink
    sink.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for the name `localhost` only (no IP address in it)."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_receiver(certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    r = Receiver(tls=context)
    yield r
    r.close()
