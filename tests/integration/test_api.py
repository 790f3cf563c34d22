"""REST API rules (SPEC §3): auth, admin vs account keys, tenant isolation, the error envelope, pagination,
accounts and keys, webhooks CRUD and validation, catalog, event types, events and idempotency."""
import json

from harness import wait_until


def test_health_metrics_and_openapi_need_no_auth(hookd):
    assert hookd.request("GET", "/healthz").json == {"status": "ok"}
    assert hookd.request("GET", "/readyz").json == {"status": "ready"}
    metrics = hookd.request("GET", "/metrics")
    assert metrics.status == 200 and b"hookd_events_accepted_total" in metrics.raw
    doc = hookd.request("GET", "/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.") and "post" in doc["paths"]["/api/v1/webhooks"]
    assert "get" in doc["paths"]["/api/v1/webhooks"]


def test_auth_is_required_and_checked(hookd, key):
    for token in (None, "wrong", "hk_" + "0" * 48, key + "x"):
        r = hookd.request("GET", "/api/v1/webhooks", token)
        assert r.status == 401, token
        assert r.json["error"]["code"] == "unauthorized"
    assert hookd.request("GET", "/api/v1/webhooks", key).status == 200
    # An account key is not the admin.
    assert hookd.request("GET", "/api/v1/accounts", key).status == 401
    assert hookd.request("POST", "/api/v1/accounts", key, {"name": "x"}).status == 401


def test_every_response_carries_rate_limit_headers(hookd, key):
    for r in (hookd.request("GET", "/api/v1/webhooks", key), hookd.request("GET", "/api/v1/nothing", key),
              hookd.request("GET", "/api/v1/webhooks")):
        assert int(r.headers["x-ratelimit-limit"]) == 1000
        assert 0 <= int(r.headers["x-ratelimit-remaining"]) < 1000
        assert int(r.headers["x-ratelimit-reset"]) >= 0


def test_api_rate_limit_refuses_with_429(make_hookd):
    h = make_hookd("--api-rate-limit", "5/s")
    _, key = h.create_account()
    statuses = [h.request("GET", "/api/v1/webhooks", key) for _ in range(12)]
    limited = [r for r in statuses if r.status == 429]
    assert limited, [r.status for r in statuses]
    assert int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].json["error"]["code"] == "rate_limited"


def test_tenant_isolation_is_404(hookd, receiver):
    _, key_a = hookd.create_account("A", "a@a.test")
    _, key_b = hookd.create_account("B", "b@b.test")
    r = receiver()
    webhook = hookd.create_webhook(key_a, r.url)
    event = hookd.emit(key_a)
    delivery = wait_until(lambda: hookd.deliveries(key_a))[0]
    for method, path in [("GET", f"/api/v1/webhooks/{webhook['id']}"), ("PATCH", f"/api/v1/webhooks/{webhook['id']}"),
                         ("DELETE", f"/api/v1/webhooks/{webhook['id']}"),
                         ("GET", f"/api/v1/webhooks/{webhook['id']}/secret"),
                         ("POST", f"/api/v1/webhooks/{webhook['id']}/test"),
                         ("GET", f"/api/v1/webhooks/{webhook['id']}/deliveries"),
                         ("GET", f"/api/v1/events/{event['id']}"), ("GET", f"/api/v1/deliveries/{delivery['id']}")]:
        res = hookd.request(method, path, key_b, {} if method in ("PATCH", "POST") else None)
        assert res.status == 404, (method, path, res)
        assert res.json["error"]["code"] == "not_found"
    assert hookd.request("GET", "/api/v1/webhooks", key_b).json["data"] == []
    assert hookd.request("GET", "/api/v1/events", key_b).json["data"] == []
    assert hookd.deliveries(key_b) == []
    assert hookd.request("GET", f"/api/v1/webhooks/{webhook['id']}", key_a).status == 200


def test_admin_acts_for_an_account_with_account_id(hookd, receiver):
    account_id, key = hookd.create_account()
    admin = hookd.admin_token
    r = receiver()
    missing = hookd.request("POST", "/api/v1/webhooks?verify=false", admin, {"url": r.url, "events": ["*"]})
    assert missing.status == 422 and missing.json["error"]["details"][0]["field"] == "account_id"
    made = hookd.request("POST", "/api/v1/webhooks?verify=false", admin,
                         {"url": r.url, "events": ["*"], "account_id": account_id})
    assert made.status == 201 and made.json["account_id"] == account_id
    event = hookd.request("POST", "/api/v1/events", admin, {"type": "user.created", "account_id": account_id})
    assert event.status == 202 and event.json["deliveries"] == 1
    listed = hookd.request("GET", f"/api/v1/webhooks?account_id={account_id}", admin).json["data"]
    assert [w["id"] for w in listed] == [made.json["id"]]
    assert hookd.request("GET", "/api/v1/webhooks?account_id=acc_01AAAAAAAAAAAAAAAAAAAAAAAA", admin).status == 404
    wait_until(lambda: r.received())


def test_accounts_and_keys_lifecycle(hookd):
    admin = hookd.admin_token
    created = hookd.request("POST", "/api/v1/accounts", admin, {"name": "Acme", "email": "ops@acme.test"})
    assert created.status == 201 and created.json["id"].startswith("acc_")
    account_id = created.json["id"]
    assert hookd.request("GET", f"/api/v1/accounts/{account_id}", admin).json["name"] == "Acme"
    patched = hookd.request("PATCH", f"/api/v1/accounts/{account_id}", admin, {"name": "Acme Inc"})
    assert patched.status == 200 and patched.json["name"] == "Acme Inc" and patched.json["email"] == "ops@acme.test"
    key = hookd.request("POST", f"/api/v1/accounts/{account_id}/api-keys", admin, {"name": "ci"})
    assert key.status == 201 and key.json["key"].startswith("hk_") and key.json["id"].startswith("key_")
    secret = key.json["key"]
    listed = hookd.request("GET", f"/api/v1/accounts/{account_id}/api-keys", admin).json["data"]
    assert [k["id"] for k in listed] == [key.json["id"]] and "key" not in listed[0]
    own = hookd.request("GET", "/api/v1/account", secret)
    assert own.status == 200 and own.json["id"] == account_id
    assert hookd.request("PATCH", "/api/v1/account", secret, {"email": "new@acme.test"}).json["email"] == "new@acme.test"
    assert hookd.request("DELETE", f"/api/v1/accounts/{account_id}/api-keys/{key.json['id']}", admin).status == 204
    assert hookd.request("GET", "/api/v1/account", secret).status == 401
    assert hookd.request("DELETE", f"/api/v1/accounts/{account_id}", admin).status == 204
    assert hookd.request("GET", f"/api/v1/accounts/{account_id}", admin).status == 404


def test_keys_are_stored_hashed_and_secrets_encrypted(hookd, key, receiver):
    webhook = hookd.create_webhook(key, receiver().url)
    raw = hookd.stored_bytes()
    assert webhook["id"].encode() in raw  # the dump is of the right store
    assert key.encode() not in raw
    assert webhook["secret"].encode() not in raw
    assert webhook["secret"][6:].encode() not in raw
    assert key not in hookd.log() and webhook["secret"] not in hookd.log()


def test_pagination_newest_first_with_cursor(hookd, key):
    ids = [hookd.emit(key)["id"] for _ in range(7)]
    seen, cursor = [], None
    while True:
        page = hookd.request("GET", "/api/v1/events?limit=3" + (f"&cursor={cursor}" if cursor else ""), key).json
        seen += [e["id"] for e in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    for bad in ("limit=0", "limit=1001", "limit=abc", "cursor=garbage"):
        r = hookd.request("GET", f"/api/v1/events?{bad}", key)
        assert r.status == 422, bad


def test_webhook_crud_and_filters(hookd, key, receiver):
    r = receiver()
    made = hookd.request("POST", "/api/v1/webhooks", key, {
        "url": r.url, "events": ["task.*", "user.created"], "name": "Ops", "description": "my hook",
        "environment": "staging", "rate_limit": 10, "ordered": True, "payload_format": "event-data",
        "headers": {"X-A": "1"}, "metadata": {"team": "core"}})
    assert made.status == 201, made
    w = made.json
    assert w["id"].startswith("wh_") and w["secret"].startswith("whsec_")
    assert (w["status"], w["circuit"], w["active"], w["disabled_reason"]) == ("healthy", "closed", True, None)
    assert w["rate_limit"] == 10 and w["ordered"] is True and w["metadata"] == {"team": "core"}
    assert len(r.requests) == 1 and r.requests[0]["headers"]["x-webhook-event"] == "webhook.ping"
    got = hookd.request("GET", f"/api/v1/webhooks/{w['id']}", key).json
    assert "secret" not in got and got["events"] == ["task.*", "user.created"]
    other = hookd.create_webhook(key, r.url, ["invoice.paid"], active=False)
    assert other["status"] == "disabled" and other["active"] is False

    def ids(query):
        return [x["id"] for x in hookd.request("GET", f"/api/v1/webhooks?{query}", key).json["data"]]
    assert ids("") == [other["id"], w["id"]]
    assert ids("active=true") == [w["id"]]
    assert ids("active=false") == [other["id"]]
    assert ids("event=task.completed") == [w["id"]]
    assert ids("event=invoice.paid") == [other["id"]]
    assert ids("environment=staging") == [w["id"]]
    assert ids("status=disabled") == [other["id"]]

    patched = hookd.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"description": "changed", "active": False})
    assert patched.status == 200 and patched.json["description"] == "changed" and patched.json["url"] == r.url
    assert patched.json["status"] == "disabled"
    again = hookd.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"active": True})
    assert again.json["status"] == "healthy" and again.json["disabled_reason"] is None
    assert hookd.request("DELETE", f"/api/v1/webhooks/{w['id']}", key).status == 204
    assert hookd.request("GET", f"/api/v1/webhooks/{w['id']}", key).status == 404
    assert hookd.request("DELETE", f"/api/v1/webhooks/{w['id']}", key).status == 404


def test_webhook_validation_reports_each_field(hookd, key):
    r = hookd.request("POST", "/api/v1/webhooks?verify=false", key, {
        "url": "ftp://x", "events": ["nope.nothing"], "name": "n" * 201, "environment": "Prod!", "rate_limit": 101,
        "payload_format": "xml", "headers": {"Host": "evil"}, "metadata": [1]})
    assert r.status == 422 and r.json["error"]["code"] == "validation_failed"
    fields = {d["field"] for d in r.json["error"]["details"]}
    assert fields == {"url", "events", "name", "environment", "rate_limit", "payload_format", "headers", "metadata"}
    cases = [
        {"events": ["*"]},
        {"url": "https://example.com"},
        {"url": "https://example.com", "events": []},
        {"url": "https://example.com", "events": ["*"] * 101},
        {"url": "https://example.com", "events": "task.completed"},
        {"url": "https://example.com/" + "a" * 2048, "events": ["*"]},
        {"url": "https://example.com", "events": ["*"], "rate_limit": 0},
        {"url": "https://example.com", "events": ["*"], "rate_limit": "10"},
        {"url": "https://example.com", "events": ["*"], "active": "yes"},
        {"url": "https://example.com", "events": ["*"], "headers": {f"X-{i}": "v" for i in range(21)}},
        {"url": "https://example.com", "events": ["*"], "headers": {"X-Bad": "a\r\nInjected: 1"}},
        {"url": "https://example.com", "events": ["*"], "description": "d" * 1025},
        {"url": "https://example.com", "events": ["*"], "secret": "not-a-secret"},
        {"url": 5, "events": ["*"]},
    ]
    for body in cases:
        res = hookd.request("POST", "/api/v1/webhooks?verify=false", key, body)
        assert res.status == 422, (body, res)
    assert hookd.request("GET", "/api/v1/webhooks", key).json["data"] == []


def test_https_is_required_without_allow_http(tmp_path):
    from harness import Hookd
    h = Hookd(tmp_path / "https-only").start()
    try:
        _, key = h.create_account()
        r = h.request("POST", "/api/v1/webhooks?verify=false", key, {"url": "http://example.com/x", "events": ["*"]})
        assert r.status == 422 and r.json["error"]["details"][0]["field"] == "url"
        assert "https" in r.json["error"]["details"][0]["message"]
        ok = h.request("POST", "/api/v1/webhooks?verify=false", key, {"url": "https://example.com/x", "events": ["*"]})
        assert ok.status == 201
    finally:
        assert h.stop() == 0


def test_unreachable_url_is_refused_unless_verify_false(hookd, key):
    from harness import free_port
    url = f"http://127.0.0.1:{free_port()}/hook"
    r = hookd.request("POST", "/api/v1/webhooks", key, {"url": url, "events": ["*"]})
    assert r.status == 422 and r.json["error"]["code"] == "endpoint_unreachable"
    assert hookd.request("GET", "/api/v1/webhooks", key).json["data"] == []
    assert hookd.request("POST", "/api/v1/webhooks?verify=false", key, {"url": url, "events": ["*"]}).status == 201


def test_catalog_and_custom_event_types(hookd, key):
    catalog = hookd.request("GET", "/api/v1/webhooks/events/available", key).json
    names = [c["name"] for c in catalog["categories"]]
    for category in ("License", "Trial", "Usage", "Activation", "Product", "Contract", "User", "Team",
                     "Organization", "Workspace", "Project", "Task", "Content", "Subscription", "Billing", "Device",
                     "Monitoring", "Analytics"):
        assert category in names
    task = next(c for c in catalog["categories"] if c["name"] == "Task")
    assert any(e["type"] == "task.completed" and e["description"] for e in task["events"])
    admin = hookd.admin_token
    assert hookd.request("POST", "/api/v1/event-types", key, {"type": "invoice.voided", "category": "Billing"}).status == 401
    made = hookd.request("POST", "/api/v1/event-types", admin,
                         {"type": "invoice.voided", "category": "Billing", "description": "An invoice was voided"})
    assert made.status == 201 and made.json["custom"] is True
    assert hookd.request("POST", "/api/v1/event-types", admin, {"type": "invoice.voided", "category": "Billing"}).status == 409
    assert hookd.request("POST", "/api/v1/event-types", admin, {"type": "task.completed", "category": "Task"}).status == 409
    assert hookd.request("POST", "/api/v1/event-types", admin, {"type": "Bad Type", "category": "X"}).status == 422
    types = [t["type"] for t in hookd.request("GET", "/api/v1/event-types", key).json["data"]]
    assert "invoice.voided" in types and "webhook.test" in types
    assert hookd.emit(key, "invoice.voided")["deliveries"] == 0
    assert hookd.request("DELETE", "/api/v1/event-types/task.completed", admin).status == 409
    assert hookd.request("DELETE", "/api/v1/event-types/invoice.voided", admin).status == 204
    assert hookd.request("POST", "/api/v1/events", key, {"type": "invoice.voided"}).status == 422


def test_idempotency_key_returns_the_first_response(hookd, key, receiver):
    r = receiver()
    hookd.create_webhook(key, r.url)
    first = hookd.request("POST", "/api/v1/events", key, {"type": "user.created", "data": {"a": 1}},
                          headers={"Idempotency-Key": "order-42"})
    second = hookd.request("POST", "/api/v1/events", key, {"type": "user.created", "data": {"a": 2}},
                           headers={"Idempotency-Key": "order-42"})
    assert first.status == second.status == 202 and first.json == second.json
    other = hookd.request("POST", "/api/v1/events", key, {"type": "user.created"}, headers={"Idempotency-Key": "o-43"})
    assert other.json["id"] != first.json["id"]
    wait_until(lambda: len(r.received()) == 2)
    assert len(hookd.request("GET", "/api/v1/events", key).json["data"]) == 2
    # The same key in another account is independent.
    _, key_b = hookd.create_account("B", "b@b.test")
    b = hookd.request("POST", "/api/v1/events", key_b, {"type": "user.created"}, headers={"Idempotency-Key": "order-42"})
    assert b.status == 202 and b.json["id"] != first.json["id"]
    too_long = hookd.request("POST", "/api/v1/events", key, {"type": "user.created"},
                             headers={"Idempotency-Key": "k" * 256})
    assert too_long.status == 422


def test_batch_is_one_transaction(hookd, key, receiver):
    r = receiver()
    hookd.create_webhook(key, r.url, ["task.*"])
    batch = hookd.request("POST", "/api/v1/events/batch", key,
                          {"events": [{"type": "task.created", "data": {"i": i}} for i in range(50)]})
    assert batch.status == 202 and len(batch.json["data"]) == 50
    assert all(e["deliveries"] == 1 for e in batch.json["data"])
    wait_until(lambda: len(r.received()) == 50, message="50 deliveries")
    bad = hookd.request("POST", "/api/v1/events/batch", key,
                        {"events": [{"type": "task.created"}, {"type": "nope.nothing"}]})
    assert bad.status == 422 and bad.json["error"]["details"][0]["field"] == "events[1].type"
    assert len(hookd.request("GET", "/api/v1/events?limit=1000", key).json["data"]) == 50
    assert hookd.request("POST", "/api/v1/events/batch", key, {"events": []}).status == 422
    assert hookd.request("POST", "/api/v1/events/batch", key, {"events": [{"type": "user.created"}] * 1001}).status == 422


def test_events_list_get_and_filters(hookd, key, receiver):
    r = receiver()
    hookd.create_webhook(key, r.url)
    a = hookd.emit(key, "user.created")
    b = hookd.emit(key, "task.completed", {"x": [1, 2]})
    listed = hookd.request("GET", "/api/v1/events?type=task.completed", key).json["data"]
    assert [e["id"] for e in listed] == [b["id"]] and listed[0]["data"] == {"x": [1, 2]}
    assert [e["id"] for e in hookd.request("GET", f"/api/v1/events?since={a['created']}", key).json["data"]] == [
        b["id"], a["id"]]
    assert hookd.request("GET", "/api/v1/events?until=2000-01-01T00:00:00Z", key).json["data"] == []
    assert hookd.request("GET", "/api/v1/events?since=yesterday", key).status == 422
    wait_until(lambda: len(r.received()) == 2)
    one = wait_until(lambda: (lambda e: e if e["deliveries"][0]["status"] == "succeeded" else None)(
        hookd.request("GET", f"/api/v1/events/{b['id']}", key).json))
    assert one["type"] == "task.completed" and one["deliveries"][0]["event_id"] == b["id"]


def test_deliveries_filters(hookd, key, receiver):
    ok, bad = receiver(), receiver().always(500)
    w_ok = hookd.create_webhook(key, ok.url)
    w_bad = hookd.create_webhook(key, bad.url)
    hookd.emit(key, "user.created")
    hookd.emit(key, "task.completed")
    wait_until(lambda: len([d for d in hookd.deliveries(key) if d["status"] in ("dead", "succeeded")]) == 4)
    assert len(hookd.deliveries(key, f"?webhook_id={w_ok['id']}")) == 2
    assert {d["webhook_id"] for d in hookd.deliveries(key, "?status=dead")} == {w_bad["id"]}
    assert {d["event_type"] for d in hookd.deliveries(key, "?event_type=user.created")} == {"user.created"}
    log = hookd.request("GET", f"/api/v1/webhooks/{w_ok['id']}/deliveries?event=task.completed", key).json["data"]
    assert len(log) == 1 and log[0]["status"] == "succeeded" and log[0]["retry_count"] == 0
    assert hookd.request("GET", "/api/v1/deliveries?status=bogus", key).status == 422
    assert hookd.request("GET", "/api/v1/deliveries/dlv_nope", key).status == 404
