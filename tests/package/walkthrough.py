"""The README walkthrough against a hookd installed some other way (a package, a container): an account and its
API key, a webhook to a real receiver, an event, and a delivery whose Standard Webhooks signature verifies."""
import base64
import hashlib
import hmac
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import Receiver, wait_until  # noqa: E402,F401  (Receiver: for the tests that import it from here)


def call(base, method, path, token, body=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body else None, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, json.loads(r.read())


def walkthrough(base, admin_token, receiver, metrics_base):
    status, account = call(base, "POST", "/api/v1/accounts", admin_token, {"name": "Acme", "email": "ops@acme.test"})
    assert status == 201
    _, key = call(base, "POST", f"/api/v1/accounts/{account['id']}/api-keys", admin_token, {"name": "backend"})
    status, webhook = call(base, "POST", "/api/v1/webhooks?verify=false", key["key"],
                           {"url": receiver.url, "events": ["task.*"]})
    assert status == 201
    status, _ = call(base, "POST", "/api/v1/events", key["key"], {"type": "task.completed", "data": {"id": 42}})
    assert status == 202
    wait_until(lambda: receiver.received("task.completed"), timeout=30, message="the delivery")
    delivered = receiver.received("task.completed")[0]
    secret = base64.b64decode(webhook["secret"].removeprefix("whsec_"))
    signed = f"{delivered['headers']['webhook-id']}.{delivered['headers']['webhook-timestamp']}.".encode()
    expected = base64.b64encode(hmac.new(secret, signed + delivered["body"], hashlib.sha256).digest()).decode()
    assert f"v1,{expected}" in delivered["headers"]["webhook-signature"].split(" ")
    with urllib.request.urlopen(f"{metrics_base}/metrics", timeout=10) as r:
        assert b"hookd_events_accepted_total 1" in r.read()
