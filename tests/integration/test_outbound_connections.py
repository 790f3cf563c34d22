"""The outbound client's connections (SPEC §4, §7): HTTPS deliveries verify the receiver's certificate and host
name, kept-alive connections are reused, and one the receiver closed while it sat idle is replaced without
costing the delivery a failed attempt."""
import time

from harness import SLOW, Receiver, verify_standard_webhooks, wait_until


def first_attempt(h, key):
    delivery = wait_until(lambda: [d for d in h.deliveries(key) if d["status"] in ("succeeded", "dead")])[0]
    return delivery, h.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).json["attempts"][0]


def test_https_delivery_to_a_trusted_certificate(make_hookd, certificate, tls_receiver):
    # OpenSSL's default trust store honours SSL_CERT_FILE: the test CA is the only one trusted.
    h = make_hookd("--retry-schedule", "none", env={"SSL_CERT_FILE": str(certificate[0])})
    _, key = h.create_account()
    secret = h.create_webhook(key, tls_receiver.url)["secret"]
    for _ in range(3):
        h.emit(key)
    got = wait_until(lambda: len(tls_receiver.received()) == 3 and tls_receiver.received(), message="3 over TLS")
    assert all(verify_standard_webhooks(secret, g["headers"], g["body"]) for g in got)
    wait_until(lambda: [d["status"] for d in h.deliveries(key)] == ["succeeded"] * 3, message="recorded")


def test_https_rejects_an_untrusted_certificate(make_hookd, tls_receiver):
    h = make_hookd("--retry-schedule", "none")
    _, key = h.create_account()
    h.create_webhook(key, tls_receiver.url)
    h.emit(key)
    delivery, attempt = first_attempt(h, key)
    assert delivery["status"] == "dead" and attempt["error"] == "tls" and attempt["response_status"] is None
    assert tls_receiver.received() == []


def test_https_rejects_a_certificate_for_another_name(make_hookd, certificate, tls_receiver):
    h = make_hookd("--retry-schedule", "none", env={"SSL_CERT_FILE": str(certificate[0])})
    _, key = h.create_account()
    h.create_webhook(key, tls_receiver.url.replace("localhost", "127.0.0.1"))  # the certificate names localhost
    h.emit(key)
    delivery, attempt = first_attempt(h, key)
    assert delivery["status"] == "dead" and attempt["error"] == "tls"
    assert tls_receiver.received() == []


def test_connection_closed_while_idle_is_replaced(hookd, key):
    r = Receiver(idle_timeout=0.3)
    try:
        hookd.create_webhook(key, r.url)
        hookd.emit(key)
        wait_until(lambda: len(r.received()) == 1)
        time.sleep(1.0 * SLOW)  # the receiver closes the kept-alive connection meanwhile
        hookd.emit(key)
        wait_until(lambda: len(r.received()) == 2)
        first, second = r.received()
        assert first["client_port"] != second["client_port"]
        deliveries = wait_until(lambda: [d for d in hookd.deliveries(key) if d["status"] == "succeeded"][1:] and
                                hookd.deliveries(key))
        assert [d["attempt_count"] for d in deliveries] == [1, 1]
    finally:
        r.close()
