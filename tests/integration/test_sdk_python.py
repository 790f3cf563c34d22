"""The Python client (sdks/python) against a real hookd: an account and its key made with the admin token, a
webhook's life cycle, events sent one by one and in batches with idempotency keys, deliveries paged, retried and
replayed, a portal session, and every error class met as the server really answers it; 429 and 503 are retried
after the `Retry-After` the server sends."""
import http.server
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from harness import HOOKD_BIN, ROOT, SLOW, wait_until

sys.path.insert(0, os.path.join(ROOT, "sdks/python"))
import hookd_client  # noqa: E402
from hookd_client import Hookd  # noqa: E402
from hookd_client.transport import Transport  # noqa: E402


def test_the_client_is_versioned_with_the_server():
    version = subprocess.run([HOOKD_BIN, "version"], capture_output=True, text=True, check=True).stdout.split()[1]
    assert hookd_client.__version__ == version
    with open(os.path.join(ROOT, "sdks/python/pyproject.toml")) as f:
        assert f'version = "{version}"' in f.read()


def test_a_webhooks_life_with_the_python_client(make_hookd, receiver):
    h = make_hookd("--retry-schedule", "200ms", "--api-rate-limit", "1000/s")
    admin = Hookd(h.admin_token, h.base)
    account = admin.create_account("Acme", "ops@acme.test")
    key = admin.create_api_key(account["id"], "backend")["key"]
    hookd = Hookd(key, h.base)
    rx = receiver()
    webhook = hookd.create_webhook(rx.url, ["task.*"], verify=False, name="Tasks")
    assert webhook["secret"].startswith("whsec_") and hookd.get_webhook_secret(webhook["id"]) == webhook["secret"]
    assert [w["id"] for w in hookd.list_webhooks(event="task.completed")] == [webhook["id"]]

    # One key, one event, however often it is sent; without a key each send is its own event.
    first = hookd.send_event("task.completed", {"task_id": "t_1"}, idempotency_key="order-1")
    assert hookd.send_event("task.completed", {"task_id": "t_1"}, idempotency_key="order-1")["id"] == first["id"]
    assert first["deliveries"] == 1
    assert hookd.send_event("task.created", {})["id"] != hookd.send_event("task.created", {})["id"]
    batch = hookd.send_events([{"type": "task.updated", "data": {"n": n}} for n in range(5)] +
                              [{"type": "task.completed", "idempotency_key": "order-1"}])
    assert len(batch) == 6 and batch[-1]["id"] == first["id"] and len({e["id"] for e in batch[:5]}) == 5
    # The admin token acts for the account (the backend's trigger_event(org_id, event, data)).
    admin.for_account(account["id"]).send_event("task.deleted", {"task_id": "t_9"})

    sent = 1 + 2 + 5 + 1
    wait_until(lambda: len(rx.received()) >= sent, timeout=20 * SLOW, message="every event delivered")
    pages = list(hookd.list_deliveries(webhook_id=webhook["id"], limit=2))
    assert len(pages) == sent and len({d["id"] for d in pages}) == sent
    assert [e["type"] for e in hookd.list_events(type="task.deleted", limit=1)] == ["task.deleted"]
    event = hookd.get_event(first["id"])
    assert event["deliveries"][0]["status"] == "succeeded"

    # A failing endpoint: the delivery dies after its one retry; retried by hand, then in bulk, it succeeds.
    rx.always(500)
    dead_event = hookd.send_event("task.completed", {"task_id": "t_2"})
    wait_until(lambda: hookd.get_event(dead_event["id"])["deliveries"][0]["status"] == "dead", timeout=20 * SLOW,
               message="the delivery dead")
    rx.always(200)
    delivery = hookd.get_event(dead_event["id"])["deliveries"][0]
    assert hookd.retry_delivery(delivery["id"])["status"] == "pending"
    wait_until(lambda: hookd.get_delivery(delivery["id"])["status"] == "succeeded", timeout=20 * SLOW,
               message="the retried delivery succeeded")
    with pytest.raises(hookd_client.Conflict) as conflict:
        hookd.retry_delivery(delivery["id"])
    assert conflict.value.status == 409
    hookd.replay_event(first["id"])
    hookd.retry_webhook_deliveries(webhook["id"], since="1h")

    session = hookd.create_portal_session(ttl="10m", access="read")
    assert session["token"] and session["url"].startswith("http") and session["access"] == "read"
    read_only = Hookd(session["token"], h.base)
    assert read_only.get_webhook(webhook["id"])["id"] == webhook["id"]
    with pytest.raises(hookd_client.Forbidden):
        read_only.update_webhook(webhook["id"], description="not allowed")
    hookd.revoke_portal_session(session["id"])
    with pytest.raises(hookd_client.Unauthorized):
        read_only.get_webhook(webhook["id"])
    assert hookd.update_webhook(webhook["id"], description="tasks sync")["description"] == "tasks sync"
    assert hookd.test_webhook(webhook["id"], "task.completed")["success"] is True
    hookd.delete_webhook(webhook["id"])

    # Each error class, as the server answers it.
    with pytest.raises(hookd_client.Unauthorized):
        Hookd("hk_not_a_key", h.base).send_event("task.completed")
    with pytest.raises(hookd_client.NotFound):
        hookd.get_webhook(webhook["id"])
    with pytest.raises(hookd_client.ValidationFailed) as invalid:
        hookd.create_webhook("not a url", ["task.*"], verify=False)
    assert invalid.value.details and invalid.value.details[0]["field"] == "url"
    with pytest.raises(hookd_client.ValidationFailed) as unknown:
        hookd.send_event("no.such_type")
    assert unknown.value.code == "unknown_event_type"
    with pytest.raises(hookd_client.Unauthorized):
        hookd.create_account("Not mine")  # an account's key on an admin route
    with pytest.raises(hookd_client.PayloadTooLarge):
        hookd.send_event("task.completed", {"blob": "x" * (2 << 20)})
    with pytest.raises(hookd_client.BadRequest) as malformed:
        hookd.send_event("task.completed", {"ratio": float("nan")})  # NaN is not JSON
    assert malformed.value.code == "malformed_json"
    with pytest.raises(hookd_client.BadRequest):
        hookd._t.call("GET", "/api/v1/webhooks/%zz")  # a path no client escapes this way
    with pytest.raises(hookd_client.NotFound):
        hookd.get_webhook("%zz")  # ids are escaped
    with pytest.raises(hookd_client.ConnectionFailed):
        Hookd(key, "http://127.0.0.1:1", max_retries=0).get_webhook("wh_x")


def test_rate_limits_are_retried_after_the_servers_retry_after(make_hookd):
    h = make_hookd("--api-rate-limit", "2/s")
    admin = Hookd(h.admin_token, h.base)
    account = admin.create_account("Acme")
    key = admin.create_api_key(account["id"])["key"]
    impatient = Hookd(key, h.base, max_retries=0)
    with pytest.raises(hookd_client.RateLimited) as limited:
        for _ in range(10):
            impatient.event_catalog()
    assert limited.value.retry_after and limited.value.retry_after >= 1
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        time.sleep(seconds)

    patient = Hookd(None, _transport=Transport(h.base, key, 10, 5, 30, sleep=sleep))
    for _ in range(6):
        patient.event_catalog()  # never raises: each 429 waits as told
    assert waits and all(w >= 1 for w in waits)


class _Busy(http.server.BaseHTTPRequestHandler):
    """Answers 503 with Retry-After: 1 twice, then accepts: what hookd answers while its store is away."""
    answers = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        type(self).answers.append(self.headers.get("Idempotency-Key"))
        if len(type(self).answers) <= 2:
            body = json.dumps({"error": {"code": "unavailable", "message": "the database is unavailable"}}).encode()
            self.send_response(503)
            self.send_header("Retry-After", "1")
        else:
            body = json.dumps({"id": "evt_1", "type": "task.completed", "created": "x", "deliveries": 0}).encode()
            self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_unavailable_is_retried_with_the_same_idempotency_key():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        waits = []
        client = Hookd(None, _transport=Transport(base, "hk_x", 5, 3, 30, sleep=waits.append))
        assert client.send_event("task.completed")["id"] == "evt_1"
        assert waits and all(w >= 1 for w in waits) and len(waits) == 2
        assert len(set(_Busy.answers)) == 1  # one key for every try: the server makes one event
        with pytest.raises(hookd_client.Unavailable):
            _Busy.answers.clear()
            Hookd(None, _transport=Transport(base, "hk_x", 5, 1, 30, sleep=waits.append)).send_event("x.y")
    finally:
        server.shutdown()
