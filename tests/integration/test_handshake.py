"""The ownership handshake (SPEC §10): a webhook that asks for it is sent a signed webhook.verification challenge on
create and on a URL change; until its endpoint echoes the challenge (in the body or the header
webhook-challenge) its deliveries are recorded and held; POST /webhooks/{id}/verify repeats the handshake, and once
verified the held deliveries go out in the order they were created. A customer's portal link asks for it by
default."""
import json
import time

from harness import SLOW, verify_standard_webhooks, wait_until


def event_ids(r):
    order, seen = [], set()
    for g in r.received():
        if g["headers"]["webhook-id"] not in seen:
            seen.add(g["headers"]["webhook-id"])
            order.append(g["headers"]["webhook-id"])
    return order


def test_held_until_verified_then_sent_in_order_and_a_new_url_resets_it(hookd, key, receiver):
    r = receiver()  # answers 200, but does not echo
    created = hookd.request("POST", "/api/v1/webhooks", key, {"url": r.url, "events": ["*"],
                                                               "verification": "handshake"})
    assert created.status == 201, created.json
    webhook = created.json
    assert webhook["verification"] == "handshake" and webhook["verified"] is False
    [challenge] = [g for g in r.requests if g["headers"].get("x-webhook-event") == "webhook.verification"]
    sent = json.loads(challenge["body"])
    assert sent["type"] == "webhook.verification" and len(sent["challenge"]) == 43  # base64url of 32 bytes
    assert verify_standard_webhooks(webhook["secret"], challenge["headers"], challenge["body"])

    accepted = [hookd.emit(key, data={"i": i})["id"] for i in range(50)]
    time.sleep(1.5 * SLOW)
    assert r.received() == []
    assert {d["status"] for d in hookd.deliveries(key, "?limit=100")} == {"pending"}
    failed = hookd.request("POST", f"/api/v1/webhooks/{webhook['id']}/verify", key)
    assert failed.status == 422 and failed.json["error"]["code"] == "verification_failed"
    assert "without echoing the challenge" in failed.json["error"]["message"]

    r.answer_handshakes("body")
    verified = hookd.request("POST", f"/api/v1/webhooks/{webhook['id']}/verify", key)
    assert verified.status == 200 and verified.json["verified"] is True
    wait_until(lambda: len(event_ids(r)) == 50, timeout=30, message="the 50 held deliveries")
    assert event_ids(r) == accepted  # in the order they were created
    records = hookd.request("GET", f"/api/v1/audit-log?target_id={webhook['id']}&action=webhook.verified", key)
    assert len(records.json["data"]) == 1

    other = receiver()  # does not echo either
    moved = hookd.request("PATCH", f"/api/v1/webhooks/{webhook['id']}", key, {"url": other.url})
    assert moved.status == 200 and moved.json["verified"] is False
    hookd.emit(key)
    time.sleep(1.0 * SLOW)
    assert other.received() == [] and len(event_ids(r)) == 50
    other.answer_handshakes("header")
    assert hookd.request("POST", f"/api/v1/webhooks/{webhook['id']}/verify", key).json["verified"] is True
    wait_until(lambda: len(other.received()) == 1, message="the delivery held after the move")


def test_a_portal_link_asks_for_the_handshake_and_a_header_echo_verifies(hookd, key, receiver):
    session = hookd.request("POST", "/api/v1/portal-sessions", key, {"access": "manage"}).json
    r = receiver().answer_handshakes("header")
    created = hookd.request("POST", "/api/v1/webhooks", session["token"], {"url": r.url, "events": ["*"]})
    assert created.status == 201, created.json
    assert created.json["verification"] == "handshake" and created.json["verified"] is True
    hookd.emit(key)
    wait_until(lambda: len(r.received()) == 1, message="a delivery to the verified webhook")
    plain = hookd.create_webhook(key, r.url)  # an API key's webhook asks for no handshake unless told
    assert plain["verification"] == "none" and plain["verified"] is False


def test_an_unreachable_endpoint_and_bad_input(hookd, key, receiver):
    r = receiver()
    dead_url = r.url
    r.close()
    refused = hookd.request("POST", "/api/v1/webhooks", key, {"url": dead_url, "events": ["*"],
                                                              "verification": "handshake"})
    assert refused.status == 422 and refused.json["error"]["code"] == "endpoint_unreachable"
    for bad in ("maybe", 1, None):
        answer = hookd.request("POST", "/api/v1/webhooks?verify=false", key,
                               {"url": dead_url, "events": ["*"], "verification": bad})
        assert answer.status == 422 and answer.json["error"]["details"][0]["field"] == "verification", bad
    assert hookd.request("GET", "/api/v1/webhooks", key).json["data"] == []
    held = hookd.request("POST", "/api/v1/webhooks?verify=false", key,
                         {"url": dead_url, "events": ["*"], "verification": "handshake"})
    assert held.status == 201 and held.json["verified"] is False
    again = hookd.request("POST", f"/api/v1/webhooks/{held.json['id']}/verify", key)
    assert again.status == 422 and "did not answer" in again.json["error"]["message"]
