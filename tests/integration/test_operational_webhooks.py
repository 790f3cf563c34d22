"""Operational webhooks (SPEC §9) on the store under test: the platform's own endpoints hear that a customer's
endpoint is failing (once per window), was disabled (with the reason and the last status), recovered (after being
re-enabled and succeeding), changed host or secret, and which deliveries died — each signed with the operational
endpoint's own secret, never sent to a customer's webhook; and the API that manages them refuses what it should."""
import json

from harness import verify_standard_webhooks, wait_until


def notices(receiver, secret, event_type=None):
    out = []
    for r in receiver.received(event_type):
        assert verify_standard_webhooks(secret, r["headers"], r["body"]), "signed with the operational secret"
        out.append(json.loads(r["body"]))
    return out


def test_a_failing_endpoint_is_reported_failing_once_then_disabled_then_recovered(make_hookd, receiver):
    h = make_hookd("--retry-schedule", "100ms", "--circuit-threshold", "2", "--disable-after", "1",
                   "--circuit-cooldown", "200ms")
    account_id, key = h.create_account()
    ops = receiver()
    created = h.request("POST", "/api/v1/operational-webhooks", h.admin_token, {"url": ops.url, "events": ["*"]})
    assert created.status == 201 and created.json["secret"].startswith("whsec_"), created.json
    assert created.json["account_id"] is None and created.json["id"].startswith("ow_")
    secret = created.json["secret"]
    customer = receiver().always(500)
    w = h.create_webhook(key, customer.url, ["*"])
    h.emit(key)
    wait_until(lambda: notices(ops, secret, "endpoint.disabled"), message="endpoint.disabled")
    failing = wait_until(lambda: notices(ops, secret, "endpoint.failing"), message="endpoint.failing")
    assert len(failing) == 1 and failing[0]["data"]["webhook_id"] == w["id"]
    assert failing[0]["account_id"] == account_id and failing[0]["data"]["host"] == "127.0.0.1"
    disabled = notices(ops, secret, "endpoint.disabled")[0]
    assert disabled["data"]["last_response_status"] == 500 and "consecutive" in disabled["data"]["reason"]
    dead = wait_until(lambda: notices(ops, secret, "delivery.dead"), message="delivery.dead")[0]
    assert dead["data"]["webhook_id"] == w["id"] and dead["data"]["delivery_id"].startswith("dlv_")
    assert not customer.received("endpoint.disabled") and not customer.received("delivery.dead")

    customer.always(200)
    assert h.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"active": True}).status == 200
    h.emit(key)
    recovered = wait_until(lambda: notices(ops, secret, "endpoint.recovered"), message="endpoint.recovered")
    assert len(recovered) == 1 and recovered[0]["data"]["webhook_id"] == w["id"]

    customer.always(500)  # fails again within the hour: its circuit opens, but endpoint.failing stays quiet
    h.emit(key)
    wait_until(lambda: h.request("GET", f"/api/v1/webhooks/{w['id']}", key).json["status"] != "healthy",
               message="failing again")
    wait_until(lambda: len(notices(ops, secret, "delivery.dead")) == 2, message="second delivery.dead")
    assert len(notices(ops, secret, "endpoint.failing")) == 1

    log_path = f"/api/v1/operational-webhooks/{created.json['id']}/deliveries"

    def all_succeeded():  # an attempt's outcome is written after its response arrives: wait for every one
        log = h.request("GET", log_path, h.admin_token).json["data"]
        return all(d["status"] == "succeeded" for d in log) and len(log) == len(ops.received())
    wait_until(all_succeeded, message="every notice logged as delivered")
    # The account sees its own events, but not the admin's operational deliveries among them.
    for event in h.request("GET", "/api/v1/events?type=endpoint.disabled", key).json["data"]:
        assert h.request("GET", f"/api/v1/events/{event['id']}", key).json["deliveries"] == []


def test_an_accounts_own_endpoint_hears_its_url_host_and_secret_changes_only(make_hookd, receiver):
    h = make_hookd()
    _, key = h.create_account()
    _, other_key = h.create_account(name="Other", email="other@example.com")
    ops = receiver()
    mine = h.request("POST", "/api/v1/operational-webhooks", key,
                     {"url": ops.url, "events": ["endpoint.updated"], "description": "platform alerts"})
    assert mine.status == 201 and mine.json["account_id"] is not None
    w = h.create_webhook(key, receiver().url)
    theirs = h.create_webhook(other_key, receiver().url)
    h.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"name": "renamed"})  # neither host nor secret
    h.request("POST", f"/api/v1/webhooks/{w['id']}/secret/rotate", key)
    h.request("POST", f"/api/v1/webhooks/{theirs['id']}/secret/rotate", other_key)  # another account's
    updated = wait_until(lambda: notices(ops, mine.json["secret"], "endpoint.updated"), message="endpoint.updated")
    assert len(updated) == 1 and updated[0]["data"]["changed"] == ["secret"]
    assert "whsec_" not in json.dumps(updated)
    port = receiver().url.rsplit(":", 1)[1]
    h.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"url": f"http://localhost:{port}"})
    wait_until(lambda: len(notices(ops, mine.json["secret"], "endpoint.updated")) == 2)
    moved = notices(ops, mine.json["secret"], "endpoint.updated")[1]
    assert moved["data"]["changed"] == ["url"] and moved["data"]["host"] == "localhost"
    assert moved["data"]["previous_host"] == "127.0.0.1" and port not in json.dumps(moved["data"])

    oid = mine.json["id"]
    moved_ops = receiver()  # a new URL takes effect at once for the next notice
    assert h.request("PATCH", f"/api/v1/operational-webhooks/{oid}", key, {"url": moved_ops.url}).status == 200
    h.request("POST", f"/api/v1/webhooks/{w['id']}/secret/rotate", key)
    wait_until(lambda: notices(moved_ops, mine.json["secret"], "endpoint.updated"), message="notice at the new URL")
    assert len(ops.received()) == 2
    assert h.request("GET", f"/api/v1/operational-webhooks/{oid}", other_key).status == 404
    assert [o["id"] for o in h.request("GET", "/api/v1/operational-webhooks", key).json["data"]] == [oid]
    assert h.request("GET", "/api/v1/operational-webhooks", other_key).json["data"] == []
    assert h.request("PATCH", f"/api/v1/operational-webhooks/{oid}", key, {"active": False}).json["active"] is False
    assert "secret" not in h.request("GET", f"/api/v1/operational-webhooks/{oid}", key).json
    assert h.request("DELETE", f"/api/v1/operational-webhooks/{oid}", key).status == 204
    assert h.request("GET", f"/api/v1/operational-webhooks/{oid}", key).status == 404


def test_bad_operational_webhooks_are_refused_and_their_types_are_hookds_alone(hookd, key, receiver):
    url = receiver().url
    for body in ({"url": url}, {"events": ["*"]}, {"url": url, "events": ["invoice.paid"]},
                 {"url": url, "events": []}, {"url": "ftp://x", "events": ["*"]},
                 {"url": url, "events": ["*"], "colour": "red"}, {"url": url, "events": ["*"], "account_id": "acc_1"},
                 {"url": url, "events": ["*"], "active": "yes"}):
        r = hookd.request("POST", "/api/v1/operational-webhooks", key, body)
        assert r.status == 422 and r.json["error"]["code"] == "validation_failed", (body, r.json)
    assert hookd.request("GET", "/api/v1/operational-webhooks/ow_nope", key).status == 404
    assert hookd.request("GET", "/api/v1/operational-webhooks", key).json == {"data": []}
    assert hookd.request("GET", "/api/v1/operational-webhooks?account_id=acc_x", key).status == 400
    assert hookd.request("PATCH", "/api/v1/operational-webhooks/ow_nope", key, {"active": False}).status == 404
    sent = hookd.request("POST", "/api/v1/events", key, {"type": "endpoint.disabled", "data": {}})
    assert sent.status == 422, sent.json
    subscribed = hookd.request("POST", "/api/v1/webhooks?verify=false", key,
                               {"url": url, "events": ["delivery.dead"]})
    assert subscribed.status == 422, subscribed.json
    for _ in range(10):
        assert hookd.request("POST", "/api/v1/operational-webhooks", key, {"url": url, "events": ["*"]}).status == 201
    full = hookd.request("POST", "/api/v1/operational-webhooks", key, {"url": url, "events": ["*"]})
    assert full.status == 409 and full.json["error"]["code"] == "too_many_operational_webhooks"
