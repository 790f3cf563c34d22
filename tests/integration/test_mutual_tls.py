"""Mutual TLS per webhook (SPEC §10): a receiver that requires a client certificate from a test CA accepts hookd's
and refuses a stranger's with the named error; a webhook's CA bundle verifies the endpoint instead of the system's
trust store, and one that does not trust it names that; the key is checked against its certificate, sealed at rest
and never shown — responses carry the certificate's fingerprint and expiry; bad PEM is a 422 naming the field."""
import json
import os
import ssl
import subprocess

import pytest

from harness import Receiver, wait_until


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """Two CAs: A signs the receiver's certificate (for localhost) and hookd's client certificate; B a stranger's."""
    d = tmp_path_factory.mktemp("pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]
    for ca in ("a", "b"):
        openssl("req", "-x509", *ec, "-subj", f"/CN=Test CA {ca}", "-keyout", str(d / f"ca_{ca}.key"),
                "-out", str(d / f"ca_{ca}.pem"))

    def issue(name, ca, *extra):
        openssl("req", *ec[:4], "-nodes", "-subj", f"/CN={name}", "-keyout", str(d / f"{name}.key"),
                "-out", str(d / f"{name}.csr"))
        openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / f"ca_{ca}.pem"), "-CAkey",
                str(d / f"ca_{ca}.key"), "-CAcreateserial", "-days", "2", "-out", str(d / f"{name}.pem"), *extra)

    ext = d / "server.ext"
    ext.write_text("subjectAltName=DNS:localhost\n")
    issue("localhost", "a", "-extfile", str(ext))
    issue("hookd-client", "a")
    issue("stranger", "b")
    return {name: (d / name).read_text() for name in os.listdir(d) if name.endswith((".pem", ".key"))}, d


@pytest.fixture
def mtls_receiver(pki):
    files, d = pki
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(d / "localhost.pem", d / "localhost.key")
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(d / "ca_a.pem")
    r = Receiver(tls=context)
    yield r
    r.close()


def attempt_of(h, key, webhook_id):
    delivery = wait_until(lambda: [d for d in h.deliveries(key, f"?webhook_id={webhook_id}")
                                   if d["status"] in ("succeeded", "dead")], message="delivery ended")[0]
    return h.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).json["attempts"][0]


def test_hookds_certificate_is_accepted_and_a_strangers_refused(make_hookd, pki, mtls_receiver):
    files, d = pki
    h = make_hookd("--retry-schedule", "none")  # no SSL_CERT_FILE: the webhook's CA bundle trusts the receiver
    _, key = h.create_account()
    ours = h.create_webhook(key, mtls_receiver.url, tls={"client_certificate": files["hookd-client.pem"],
                                                         "client_key": files["hookd-client.key"],
                                                         "ca_certificates": files["ca_a.pem"]})
    fingerprint = subprocess.run(["openssl", "x509", "-in", str(d / "hookd-client.pem"), "-noout", "-fingerprint",
                                  "-sha256"], capture_output=True, text=True, check=True).stdout
    assert ours["tls"]["fingerprint_sha256"] == fingerprint.split("=", 1)[1].strip().replace(":", "").lower()
    assert ours["tls"]["expires_at"] and ours["tls"]["ca_certificates"] is True
    stranger = h.create_webhook(key, mtls_receiver.url, tls={"client_certificate": files["stranger.pem"],
                                                             "client_key": files["stranger.key"],
                                                             "ca_certificates": files["ca_a.pem"]})
    untrusting = h.create_webhook(key, mtls_receiver.url, tls={"ca_certificates": files["ca_b.pem"]})
    h.emit(key)
    assert attempt_of(h, key, ours["id"])["response_status"] == 200
    assert attempt_of(h, key, stranger["id"])["error"] == "tls_client_cert_rejected"
    assert attempt_of(h, key, untrusting["id"])["error"] == "tls_server_untrusted"
    assert len(mtls_receiver.received()) == 1

    shown = json.dumps(h.request("GET", "/api/v1/webhooks", key).json) + json.dumps(ours) + h.log()
    assert "PRIVATE KEY" not in shown and files["hookd-client.key"].splitlines()[1] not in shown
    removed = h.request("PATCH", f"/api/v1/webhooks/{ours['id']}", key, {"tls": None})
    assert removed.status == 200 and removed.json["tls"] is None


def test_bad_credentials_are_refused_naming_the_field(hookd, key, pki):
    files, _ = pki
    good = {"client_certificate": files["hookd-client.pem"], "client_key": files["hookd-client.key"]}
    cases = [
        ({**good, "client_certificate": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"},
         "tls.client_certificate"),
        ({**good, "client_key": files["stranger.key"]}, "tls.client_key"),
        ({"client_certificate": files["hookd-client.pem"]}, "tls.client_key"),
        ({"ca_certificates": "no certificate here"}, "tls.ca_certificates"),
        ({**good, "client_key": 7}, "tls.client_key"),
    ]
    for tls, field in cases:
        r = hookd.request("POST", "/api/v1/webhooks?verify=false", key,
                          {"url": "https://example.com/hook", "events": ["*"], "tls": tls})
        assert r.status == 422 and field in [e["field"] for e in r.json["error"]["details"]], (field, r.json)
    assert hookd.request("GET", "/api/v1/webhooks", key).json["data"] == []
