"""Delivery contract (SPEC §4) against real receivers: headers and signatures, payload formats, retries on the
schedule, dead-lettering, timeouts, Retry-After, 410, the SSRF guard, subscriptions and environments."""
import json
import subprocess
import time

from harness import HOOKD_BIN, SLOW, Hookd, verify_seed_signature, verify_standard_webhooks, wait_until


def test_signed_delivery_verifies_with_both_schemes(hookd, key, receiver):
    r = receiver()
    webhook = hookd.create_webhook(key, r.url, ["task.completed"], headers={"X-Tenant": "t-1"})
    secret = webhook["secret"]
    accepted = hookd.emit(key, "task.completed", {"object": {"id": 7}}, metadata={"source": "test"})
    assert accepted["deliveries"] == 1
    got = wait_until(lambda: r.received(), message="delivery")[0]
    headers, body = got["headers"], got["body"]
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("hookd/")
    assert headers["webhook-id"] == accepted["id"]
    assert verify_standard_webhooks(secret, headers, body)
    assert verify_seed_signature(body.decode(), headers["x-webhook-signature"], secret)
    assert headers["x-webhook-id"] == webhook["id"]
    assert headers["x-webhook-event"] == "task.completed"
    assert headers["x-webhook-attempt"] == "1"
    assert headers["x-tenant"] == "t-1"
    payload = json.loads(body)
    assert payload == {"id": accepted["id"], "type": "task.completed", "created": accepted["created"],
                       "account_id": webhook["account_id"], "environment": "production",
                       "data": {"object": {"id": 7}}, "metadata": {"source": "test"}}


def test_tampered_body_fails_verification(hookd, key, receiver):
    r = receiver()
    secret = hookd.create_webhook(key, r.url)["secret"]
    hookd.emit(key)
    got = wait_until(lambda: r.received())[0]
    assert not verify_standard_webhooks(secret, got["headers"], got["body"] + b" ")
    assert not verify_seed_signature(got["body"].decode() + " ", got["headers"]["x-webhook-signature"], secret)


def test_payload_formats(hookd, key, receiver):
    r1, r2 = receiver(), receiver()
    w1 = hookd.create_webhook(key, r1.url, payload_format="event-data")
    w2 = hookd.create_webhook(key, r2.url, payload_format="event-payload")
    accepted = hookd.emit(key, "user.created", {"user_id": 123})
    b1 = json.loads(wait_until(lambda: r1.received())[0]["body"])
    b2 = json.loads(wait_until(lambda: r2.received())[0]["body"])
    assert b1 == {"event": "user.created", "timestamp": accepted["created"], "data": {"user_id": 123},
                  "webhook_id": w1["id"]}
    assert b2 == {"event": "user.created", "payload": {"user_id": 123}, "webhook_id": w2["id"]}


def test_retries_follow_the_schedule_then_succeed(hookd, key, receiver):
    r = receiver().fail_first(2, 500)
    hookd.create_webhook(key, r.url)
    accepted = hookd.emit(key)
    got = wait_until(lambda: len(r.received()) >= 3 and r.received(), message="three attempts")
    assert [g["headers"]["x-webhook-attempt"] for g in got] == ["1", "2", "3"]
    assert {g["headers"]["webhook-id"] for g in got} == {accepted["id"]}  # stable across retries
    gap1, gap2 = got[1]["time"] - got[0]["time"], got[2]["time"] - got[1]["time"]
    assert 0.17 <= gap1 <= 0.2 * 1.1 + 0.5 * SLOW, gap1  # 200ms ±10%
    assert 0.35 <= gap2 <= 0.4 * 1.1 + 0.5 * SLOW, gap2  # 400ms ±10%
    delivery = wait_until(lambda: [d for d in hookd.deliveries(key) if d["status"] == "succeeded"])[0]
    assert delivery["attempt_count"] == 3
    full = hookd.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).json
    assert [a["response_status"] for a in full["attempts"]] == [500, 500, 200]
    assert [a["success"] for a in full["attempts"]] == [False, False, True]
    assert full["latency_ms"] >= 0
    time.sleep(0.8 * SLOW)
    assert len(r.received()) == 3  # a succeeded delivery is never sent again


def test_a_retry_far_out_reloads_its_event_and_sends_the_same_payload(make_hookd, receiver):
    # The engine lets go of an event whose next retry is more than 10 s away and reads it again when it is due
    # (12 s with the schedule's ±10 % jitter is 10.8-13.2 s).
    h = make_hookd("--retry-schedule", "12s")
    _, key = h.create_account()
    r = receiver().fail_first(1, 500)
    secret = h.create_webhook(key, r.url)["secret"]
    accepted = h.emit(key, "task.completed", {"object": {"id": 8}})
    got = wait_until(lambda: len(r.received()) >= 2 and r.received(), timeout=25, message="the retry")
    assert [g["headers"]["x-webhook-attempt"] for g in got] == ["1", "2"]
    assert got[1]["time"] - got[0]["time"] >= 10.7
    assert got[1]["body"] == got[0]["body"]
    assert json.loads(got[1]["body"])["id"] == accepted["id"]
    assert verify_standard_webhooks(secret, got[1]["headers"], got[1]["body"])


def test_dead_after_the_last_attempt(hookd, key, receiver):
    r = receiver().always(503)
    webhook = hookd.create_webhook(key, r.url)
    hookd.emit(key)
    delivery = wait_until(lambda: [d for d in hookd.deliveries(key) if d["status"] == "dead"], message="dead")[0]
    assert delivery["attempt_count"] == 3  # 1 + two delays
    assert delivery["next_attempt_at"] is None and delivery["completed_at"]
    time.sleep(0.8 * SLOW)
    assert len(r.received()) == 3
    dead = hookd.request("GET", f"/api/v1/webhooks/{webhook['id']}/deliveries?status=dead", key).json["data"]
    assert [d["id"] for d in dead] == [delivery["id"]]


def test_hanging_receiver_times_out_and_is_retried(hookd, key, receiver):
    r = receiver().hang(5)
    hookd.create_webhook(key, r.url)
    hookd.emit(key)
    wait_until(lambda: len(r.received()) >= 2, timeout=15, message="a retry after the timeout")
    delivery = hookd.deliveries(key)[0]
    full = hookd.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).json
    first = full["attempts"][0]
    assert first["error"] == "timeout" and first["response_status"] is None and not first["success"]
    assert 1800 <= first["response_time_ms"] <= 4000 * SLOW


def test_retry_after_stretches_the_delay(make_hookd, receiver):
    h = make_hookd("--retry-schedule", "300ms", "--attempt-timeout", "2s")
    _, key = h.create_account()
    r = receiver().fail_first(1, 503)
    r.response_headers = {"Retry-After": "1"}
    h.create_webhook(key, r.url)
    h.emit(key)
    got = wait_until(lambda: len(r.received()) >= 2 and r.received(), message="retry")
    gap = got[1]["time"] - got[0]["time"]
    assert 0.55 <= gap <= 0.6 + 0.5 * SLOW, gap  # Retry-After 1 s clamped to 2 × 300 ms


def test_redirects_are_failures(hookd, key, receiver):
    r = receiver().always(302)
    r.response_headers = {"Location": "http://127.0.0.1:1/elsewhere"}
    hookd.create_webhook(key, r.url)
    hookd.emit(key)
    delivery = wait_until(lambda: [d for d in hookd.deliveries(key) if d["status"] == "dead"])[0]
    full = hookd.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).json
    assert all(a["response_status"] == 302 for a in full["attempts"])


def test_gone_disables_the_webhook(hookd, key, receiver):
    r = receiver().always(410)
    webhook = hookd.create_webhook(key, r.url)
    hookd.emit(key)
    wait_until(lambda: [d for d in hookd.deliveries(key) if d["status"] == "dead"])
    w = wait_until(lambda: (lambda w: w if w["status"] == "disabled" else None)(
        hookd.request("GET", f"/api/v1/webhooks/{webhook['id']}", key).json))
    assert w["active"] is False and "410" in w["disabled_reason"]
    assert len(r.received()) == 1
    hookd.emit(key)
    time.sleep(0.5 * SLOW)
    assert len(r.received()) == 1  # inactive webhooks receive nothing


def test_response_bodies_are_truncated_at_10_kib(hookd, key, receiver):
    r = receiver()
    r.response_body = b"x" * 50_000
    hookd.create_webhook(key, r.url)
    hookd.emit(key)
    delivery = wait_until(lambda: [d for d in hookd.deliveries(key) if d["status"] == "succeeded"])[0]
    attempt = hookd.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).json["attempts"][0]
    assert len(attempt["response_body"]) == 10 * 1024 and attempt["response_body_truncated"] is True
    assert attempt["request_headers"]["webhook-id"] == delivery["event_id"]
    assert json.loads(attempt["request_body"])["id"] == delivery["event_id"]


def test_subscriptions_and_environments(hookd, key, receiver):
    exact, wildcard, star, staging = receiver(), receiver(), receiver(), receiver()
    hookd.create_webhook(key, exact.url, ["task.completed"])
    hookd.create_webhook(key, wildcard.url, ["task.*"])
    hookd.create_webhook(key, star.url, ["*"])
    hookd.create_webhook(key, staging.url, ["*"], environment="staging")
    assert hookd.emit(key, "task.comment.added")["deliveries"] == 2
    assert hookd.emit(key, "task.completed")["deliveries"] == 3
    assert hookd.emit(key, "user.created")["deliveries"] == 1
    assert hookd.emit(key, "user.created", environment="staging")["deliveries"] == 1
    wait_until(lambda: len(star.received()) == 3 and len(staging.received()) == 1)
    assert [g["headers"]["x-webhook-event"] for g in exact.received()] == ["task.completed"]
    assert sorted(g["headers"]["x-webhook-event"] for g in wildcard.received()) == ["task.comment.added",
                                                                                     "task.completed"]


def assert_delivery_blocked(h, key, url, receiver):
    h.create_webhook(key, url)  # ?verify=false
    h.emit(key)
    delivery = wait_until(lambda: [d for d in h.deliveries(key) if d["status"] == "dead"])[0]
    attempt = h.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).json["attempts"][0]
    assert attempt["error"] == "blocked_address"
    assert receiver.received() == []


def test_ssrf_guard_blocks_loopback_without_the_flag(tmp_path, receiver):
    h = Hookd(tmp_path / "strict", ["--allow-http", "--retry-schedule", "none"]).start()
    try:
        _, key = h.create_account()
        r = receiver()
        created = h.request("POST", "/api/v1/webhooks", key, {"url": r.url, "events": ["*"]})
        assert created.status == 422 and created.json["error"]["code"] == "endpoint_unreachable"
        assert "blocked_address" in created.json["error"]["message"]
        assert_delivery_blocked(h, key, r.url, r)
    finally:
        assert h.stop() == 0


def test_localhost_name_is_blocked_after_dns(tmp_path, receiver):
    h = Hookd(tmp_path / "strict", ["--allow-http", "--retry-schedule", "none"]).start()
    try:
        _, key = h.create_account()
        r = receiver()
        assert_delivery_blocked(h, key, r.url.replace("127.0.0.1", "localhost"), r)
    finally:
        assert h.stop() == 0


def test_test_endpoint_sends_now_and_reports(hookd, key, receiver):
    ok, bad = receiver(), receiver().always(500)
    w_ok = hookd.create_webhook(key, ok.url, ["user.created"])
    w_bad = hookd.create_webhook(key, bad.url)
    r = hookd.request("POST", f"/api/v1/webhooks/{w_ok['id']}/test", key)
    assert r.status == 200 and r.json["success"] is True and r.json["response_status"] == 200
    assert r.json["response_body"] == '{"ok":true}' and r.json["response_time_ms"] >= 0 and r.json["error"] is None
    got = ok.received("webhook.test")
    assert len(got) == 1 and verify_standard_webhooks(w_ok["secret"], got[0]["headers"], got[0]["body"])
    # A test send carries its type's example from the catalog, so the receiver's handler runs on realistic data.
    catalog = json.loads(subprocess.run([HOOKD_BIN, "catalog"], capture_output=True, text=True, check=True).stdout)
    examples = {e["type"]: e["example"] for category in catalog["categories"] for e in category["events"]}
    assert json.loads(got[0]["body"])["data"] == examples["webhook.test"]
    r = hookd.request("POST", f"/api/v1/webhooks/{w_ok['id']}/test", key, {"event_type": "task.completed"})
    assert r.json["success"] is True and len(ok.received("task.completed")) == 1
    assert json.loads(ok.received("task.completed")[0]["body"])["data"] == examples["task.completed"]
    # So does the reachability check of a new webhook.
    assert hookd.request("POST", "/api/v1/webhooks", key, {"url": ok.url, "events": ["*"]}).status == 201
    pings = [q for q in ok.requests if q["headers"].get("x-webhook-event") == "webhook.ping"]
    assert len(pings) == 1 and json.loads(pings[0]["body"])["data"] == examples["webhook.ping"]
    r = hookd.request("POST", f"/api/v1/webhooks/{w_bad['id']}/test", key)
    assert r.status == 200 and r.json["success"] is False and r.json["response_status"] == 500
    r = hookd.request("POST", f"/api/v1/webhooks/{w_ok['id']}/test", key, {"event_type": "nope.nothing"})
    assert r.status == 422 and r.json["error"]["code"] == "unknown_event_type"
    assert hookd.deliveries(key) == []  # test sends are not queued deliveries


def test_secret_rotation_signs_with_both_secrets(hookd, key, receiver):
    r = receiver()
    webhook = hookd.create_webhook(key, r.url)
    old = webhook["secret"]
    rotated = hookd.request("POST", f"/api/v1/webhooks/{webhook['id']}/secret/rotate", key)
    assert rotated.status == 200 and rotated.json["secret"] != old
    new = rotated.json["secret"]
    assert hookd.request("GET", f"/api/v1/webhooks/{webhook['id']}/secret", key).json == {"secret": new}
    hookd.emit(key)
    got = wait_until(lambda: r.received())[0]
    assert len(got["headers"]["webhook-signature"].split(" ")) == 2
    assert verify_standard_webhooks(new, got["headers"], got["body"])
    assert verify_standard_webhooks(old, got["headers"], got["body"])
    assert verify_seed_signature(got["body"].decode(), got["headers"]["x-webhook-signature"], new)


def test_connection_resets_are_failed_attempts_and_retried(hookd, key, receiver):
    r = receiver().reset_first(1)
    hookd.create_webhook(key, r.url)
    hookd.emit(key)
    delivery = wait_until(lambda: [d for d in hookd.deliveries(key) if d["status"] == "succeeded"])[0]
    attempts = hookd.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).json["attempts"]
    assert attempts[0]["success"] is False and attempts[0]["response_status"] is None
    assert attempts[0]["error"] in ("connection_reset", "send_failed")
    assert attempts[1]["success"] is True


def test_slow_receiver_within_the_timeout_succeeds(hookd, key, receiver):
    r = receiver().hang(0.7)
    hookd.create_webhook(key, r.url)
    hookd.emit(key)
    delivery = wait_until(lambda: [d for d in hookd.deliveries(key) if d["status"] == "succeeded"], timeout=10)[0]
    attempt = hookd.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).json["attempts"][0]
    assert attempt["response_time_ms"] >= 650 and delivery["attempt_count"] == 1


def test_connections_are_reused(hookd, key, receiver):
    r = receiver()
    hookd.create_webhook(key, r.url, rate_limit=20)  # paced, so deliveries never need parallel connections
    for _ in range(20):
        hookd.emit(key)
    wait_until(lambda: len(r.received()) == 20, timeout=10)
    connections = {g["client_port"] for g in r.received()}
    assert len(connections) <= 3, len(connections)  # keep-alive: not one TCP connection per delivery
