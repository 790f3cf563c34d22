"""The audit trail (SPEC §9) on the store under test: each change through the API writes one record naming who made
it, from where and in which request, with each changed field before and after and no secret anywhere; the log is
read-only and filtered as documented; and `hookd audit verify` passes an untouched store and names the record that
was changed or deleted behind hookd's back."""
import json
import sqlite3
import subprocess
import time

from harness import BACKEND, PostgresServer, hookd_command, wait_until


def audit(hookd, token, query=""):
    r = hookd.request("GET", f"/api/v1/audit-log{query}", token)
    assert r.status == 200, r.json
    return r.json["data"]


def run_sql(hookd, sql):
    if BACKEND == "postgres":
        PostgresServer.shared().psql(sql, hookd.database_url())
    else:
        with sqlite3.connect(f"{hookd.data_dir}/hookd.db") as db:
            db.execute(sql)


def verify(hookd):
    database = ["--database", hookd.database_url()] if hookd.database_url() else []
    return subprocess.run(hookd_command("audit", "verify", "--data-dir", hookd.data_dir, *database),
                          capture_output=True, text=True, timeout=60)


def test_each_change_to_a_webhook_writes_one_record_naming_who_and_what(hookd, account, receiver):
    account_id, key = account
    rx = receiver()
    sent = {"X-Request-Id": "req-audit-1"}
    created = hookd.request("POST", "/api/v1/webhooks?verify=false", key,
                            {"url": rx.url, "events": ["task.*"], "name": "CRM", "headers": {"X-Token": "tok-123"}},
                            headers=sent)
    assert created.status == 201 and {k.lower(): v for k, v in created.headers.items()}["x-request-id"] == "req-audit-1"
    wid = created.json["id"]
    steps = [
        ("PATCH", f"/api/v1/webhooks/{wid}", {"name": "CRM sync", "rate_limit": 5}),
        ("PATCH", f"/api/v1/webhooks/{wid}", {"active": False}),
        ("PATCH", f"/api/v1/webhooks/{wid}", {"active": True}),
        ("POST", f"/api/v1/webhooks/{wid}/secret/rotate", {}),
        ("GET", f"/api/v1/webhooks/{wid}/secret", None),
        ("PATCH", f"/api/v1/webhooks/{wid}", {"name": "CRM sync"}),  # nothing changes: no record
        ("DELETE", f"/api/v1/webhooks/{wid}", None),
    ]
    secrets = {created.json["secret"], "tok-123"}
    for method, path, body in steps:
        r = hookd.request(method, path, key, body)
        assert r.status in (200, 204), (method, path, r.json)
        if r.json and "secret" in r.json:
            secrets.add(r.json["secret"])
    records = audit(hookd, key, f"?target_id={wid}")
    assert [r["action"] for r in reversed(records)] == [
        "webhook.created", "webhook.updated", "webhook.disabled", "webhook.enabled", "webhook.secret_rotated",
        "webhook.secret_revealed", "webhook.deleted"]
    key_id = records[0]["actor"]["id"]
    assert key_id.startswith("key_")
    for r in records:
        assert r["actor"] == {"type": "api_key", "id": key_id} and r["account_id"] == account_id
        assert r["target"] == {"type": "webhook", "id": wid} and r["ip"] == "127.0.0.1"
        assert r["id"].startswith("aud_") and len(r["hash"]) == 64 and r["request_id"]
    first = records[-1]
    assert first["request_id"] == "req-audit-1"
    assert audit(hookd, key)[-1]["prev_hash"] == "0" * 64  # the account's first record: account.created
    assert first["changes"]["url"] == {"before": None, "after": rx.url}
    assert first["changes"]["headers"]["after"] == {"X-Token": "[redacted]"}
    assert first["changes"]["secret"]["after"] == "[redacted]"
    assert records[-2]["changes"] == {"name": {"before": "CRM", "after": "CRM sync"},
                                      "rate_limit": {"before": created.json["rate_limit"], "after": 5}}
    assert records[-3]["changes"] == {"active": {"before": True, "after": False}}
    assert records[-5]["changes"] == {"secret": {"before": "[redacted]", "after": "[redacted]"}}
    assert records[0]["changes"]["name"] == {"before": "CRM sync", "after": None}
    chain = audit(hookd, key)
    for newer, older in zip(chain, chain[1:]):
        assert newer["prev_hash"] == older["hash"]
    everything = json.dumps(records) + json.dumps(audit(hookd, hookd.admin_token))
    for secret in secrets:
        assert secret not in everything and secret not in hookd.log()


def test_the_log_is_filtered_read_only_and_each_account_sees_its_own(hookd, account, receiver):
    _, key = account
    other_id, other_key = hookd.create_account(name="Other", email="o@example.com")
    mine = hookd.create_webhook(key, receiver().url)
    theirs = hookd.create_webhook(other_key, receiver().url)
    hookd.request("PATCH", f"/api/v1/webhooks/{mine['id']}", key, {"name": "renamed"})
    webhooks = lambda records: {r["target"]["id"] for r in records if r["target"]["type"] == "webhook"}  # noqa: E731
    assert webhooks(audit(hookd, key)) == {mine["id"]}
    assert [r["action"] for r in audit(hookd, key, "?action=webhook.updated")] == ["webhook.updated"]
    assert audit(hookd, key, f"?target_id={theirs['id']}") == []
    admin = hookd.admin_token
    assert webhooks(audit(hookd, admin)) == {mine["id"], theirs["id"]}
    assert webhooks(audit(hookd, admin, f"?account_id={other_id}")) == {theirs["id"]}
    assert len(audit(hookd, key, "?limit=1")) == 1
    assert audit(hookd, key, "?since=2000-01-01T00:00:00Z&until=2001-01-01T00:00:00Z") == []
    for bad in ("?colour=red", "?action=webhook.painted", f"?account_id={other_id}", "?limit=0"):
        r = hookd.request("GET", f"/api/v1/audit-log{bad}", key)
        assert r.status in (400, 422) and r.json["error"]["code"] in ("bad_request", "validation_failed"), bad
    for method in ("POST", "PATCH", "PUT", "DELETE"):
        assert hookd.request(method, "/api/v1/audit-log", admin, {}).status == 405, method
    before = audit(hookd, admin)
    assert hookd.request("DELETE", f"/api/v1/audit-log/{before[0]['id']}", admin).status == 404
    assert audit(hookd, admin) == before


def test_audit_verify_names_a_changed_and_a_deleted_record(hookd, account, receiver):
    _, key = account
    w = hookd.create_webhook(key, receiver().url)
    for name in ("a", "b", "c", "d"):
        hookd.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"name": name})
    records = list(reversed(audit(hookd, key, f"?target_id={w['id']}")))  # oldest first: created, then a, b, c, d
    assert len(records) == 5
    ok = verify(hookd)
    assert ok.returncode == 0 and "intact" in ok.stdout, ok.stdout + ok.stderr
    changed = records[1]["id"]
    run_sql(hookd, f"UPDATE audit_log SET changes = replace(changes, '\"a\"', '\"z\"') WHERE id = '{changed}'")
    bad = verify(hookd)
    assert bad.returncode == 1 and changed in bad.stdout, bad.stdout + bad.stderr
    run_sql(hookd, f"UPDATE audit_log SET changes = replace(changes, '\"z\"', '\"a\"') WHERE id = '{changed}'")
    assert verify(hookd).returncode == 0
    deleted, after = records[2]["id"], records[3]["id"]
    run_sql(hookd, f"DELETE FROM audit_log WHERE id = '{deleted}'")
    bad = verify(hookd)
    assert bad.returncode == 1 and after in bad.stdout and "missing" in bad.stdout, bad.stdout
    run_sql(hookd, f"DELETE FROM audit_log WHERE id = '{records[-1]['id']}'")  # the last one too
    assert verify(hookd).returncode == 1


def test_accounts_keys_portal_sessions_and_event_types_are_recorded_with_their_actor(hookd):
    admin = hookd.admin_token
    account_id, key = hookd.create_account(name="Acme", email="ops@acme.test")
    assert hookd.request("PATCH", f"/api/v1/accounts/{account_id}", admin, {"name": "Acme Inc."}).status == 200
    spare = hookd.request("POST", f"/api/v1/accounts/{account_id}/api-keys", admin, {"name": "spare"}).json
    assert hookd.request("DELETE", f"/api/v1/accounts/{account_id}/api-keys/{spare['id']}", admin).status == 204
    session = hookd.request("POST", "/api/v1/portal-sessions", key, {"access": "read"}).json
    assert hookd.request("DELETE", f"/api/v1/portal-sessions/{session['id']}", key).status == 204
    assert hookd.request("POST", "/api/v1/event-types", admin,
                         {"type": "invoice.voided", "category": "Billing", "description": "voided"}).status == 201
    assert hookd.request("DELETE", "/api/v1/event-types/invoice.voided", admin).status == 204

    records = list(reversed(audit(hookd, admin, f"?account_id={account_id}")))
    assert [(r["action"], r["actor"]["type"]) for r in records] == [
        ("account.created", "admin"), ("api_key.created", "admin"), ("account.updated", "admin"),
        ("api_key.created", "admin"), ("api_key.revoked", "admin"), ("portal_session.created", "api_key"),
        ("portal_session.revoked", "api_key")]
    assert records[2]["changes"] == {"name": {"before": "Acme", "after": "Acme Inc."}}
    assert records[5]["changes"]["access"] == {"before": None, "after": "read"}
    assert records[5]["target"] == {"type": "portal_session", "id": session["id"]}
    everything = json.dumps(audit(hookd, admin))
    assert key not in everything and spare["key"] not in everything and session["token"] not in everything
    types = [r for r in audit(hookd, admin) if r["target"]["type"] == "event_type"]
    assert [(r["action"], r["account_id"]) for r in reversed(types)] == [("event_type.created", None),
                                                                         ("event_type.deleted", None)]
    assert audit(hookd, key, "?target_id=invoice.voided") == []  # the admin's chain, not the account's
    assert verify(hookd).returncode == 0


def test_a_hostile_request_id_is_replaced_not_echoed_or_recorded(hookd, account, receiver):
    _, key = account
    for given in ("a" * 129, "bad id\twith spaces", "<script>", ""):
        r = hookd.request("POST", "/api/v1/webhooks?verify=false", key, {"url": receiver().url, "events": ["*"]},
                          headers={"X-Request-Id": given} if given else None)
        answered = {k.lower(): v for k, v in r.headers.items()}["x-request-id"]
        assert r.status == 201 and answered.startswith("req_") and answered != given
        record = audit(hookd, key, f"?target_id={r.json['id']}")[0]
        assert record["request_id"] == answered


def test_recovery_and_the_engines_own_changes_are_recorded(make_hookd, receiver):
    h = make_hookd("--retry-schedule", "100ms", "--circuit-threshold", "2", "--disable-after", "1",
                   "--circuit-cooldown", "200ms")
    account_id, key = h.create_account()
    r = receiver().always(500)
    w = h.create_webhook(key, r.url)
    event = h.emit(key)
    wait_until(lambda: h.request("GET", f"/api/v1/webhooks/{w['id']}", key).json["status"] == "disabled",
               message="disabled after a dead delivery")
    r.always(200)
    assert h.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"active": True}).status == 200
    dead = h.deliveries(key)[0]
    assert h.request("POST", f"/api/v1/deliveries/{dead['id']}/retry", key).status == 202
    wait_until(lambda: h.deliveries(key)[0]["status"] == "succeeded")
    assert h.request("POST", f"/api/v1/webhooks/{w['id']}/retry", key, {"since": "1h"}).json == {"retried": 0}
    assert h.request("POST", f"/api/v1/webhooks/{w['id']}/replay", key, {"since": "1h"}).json == {"replayed": 1}
    assert h.request("POST", f"/api/v1/events/{event['id']}/replay", key, {"webhook_id": w["id"]}).status == 202

    records = list(reversed(audit(h, key)))
    by_hookd = [(x["action"], x["target"]["id"]) for x in records if x["actor"]["type"] == "system"]
    assert by_hookd[:2] == [("webhook.circuit_opened", w["id"]), ("webhook.auto_disabled", w["id"])], by_hookd
    disabled = next(x for x in records if x["action"] == "webhook.auto_disabled")
    assert disabled["ip"] is None and disabled["request_id"] is None and disabled["actor"]["id"] is None
    assert disabled["changes"]["active"] == {"before": True, "after": False}
    assert "consecutive" in disabled["changes"]["disabled_reason"]["after"]
    by_key = [(x["action"], x["target"]["type"], x["target"]["id"]) for x in records
              if x["actor"]["type"] == "api_key" and x["action"] != "webhook.created"]
    assert by_key == [("webhook.enabled", "webhook", w["id"]), ("delivery.retried", "delivery", dead["id"]),
                      ("webhook.deliveries_retried", "webhook", w["id"]), ("webhook.replayed", "webhook", w["id"]),
                      ("event.replayed", "event", event["id"])]
    retried = next(x for x in records if x["action"] == "delivery.retried")
    assert retried["changes"] == {"status": {"before": "dead", "after": "pending"}}
    bulk = next(x for x in records if x["action"] == "webhook.deliveries_retried")
    assert bulk["changes"]["since"] == {"before": None, "after": "1h"}
    assert bulk["changes"]["status"]["after"] == ["failed", "dead"]
    assert all(x["account_id"] == account_id for x in records)
    assert verify(h).returncode == 0


def test_a_deleted_webhooks_delivery_log_stays_readable_and_marked(make_hookd, receiver):
    h = make_hookd("--retry-schedule", "1h")
    _, key = h.create_account()
    r = receiver()
    w = h.create_webhook(key, r.url)
    h.emit(key)
    wait_until(lambda: [d["status"] for d in h.deliveries(key)] == ["succeeded"])
    r.always(500)
    h.emit(key)
    wait_until(lambda: sorted(d["status"] for d in h.deliveries(key)) == ["failed", "succeeded"])
    assert h.request("DELETE", f"/api/v1/webhooks/{w['id']}", key).status == 204
    assert h.request("GET", f"/api/v1/webhooks/{w['id']}", key).status == 404
    assert w["id"] not in [x["id"] for x in h.request("GET", "/api/v1/webhooks", key).json["data"]]

    log = h.request("GET", f"/api/v1/deliveries?webhook_id={w['id']}", key)
    assert log.status == 200 and len(log.json["data"]) == 2
    assert all(d["webhook_deleted"] for d in log.json["data"])
    ended = next(d for d in log.json["data"] if d["last_error"] == "webhook_deleted")
    assert ended["status"] == "dead" and ended["completed_at"] and ended["next_attempt_at"] is None
    one = h.request("GET", f"/api/v1/deliveries/{ended['id']}", key)
    assert one.status == 200 and one.json["webhook_deleted"] and len(one.json["attempts"]) == 1
    retried = h.request("POST", f"/api/v1/deliveries/{ended['id']}/retry", key)
    assert retried.status == 409 and retried.json["error"]["code"] == "webhook_deleted"
    assert [x["action"] for x in audit(h, key, f"?target_id={w['id']}")][0] == "webhook.deleted"
    time.sleep(0.5)
    assert len(r.received()) == 2  # nothing more was attempted


def test_audit_retention_purges_old_records_and_the_rest_still_verifies(make_hookd, receiver):
    # --retention 4s makes the retention job run every second; audit records go after --audit-retention.
    h = make_hookd("--retention", "4s", "--audit-retention", "2s")
    _, key = h.create_account()
    w = h.create_webhook(key, receiver().url)
    h.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"name": "old"})
    assert len(audit(h, key)) == 4  # account, its key, webhook created, updated
    wait_until(lambda: audit(h, key) == [], timeout=15, message="old records purged")
    h.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"name": "new"})
    fresh = audit(h, key)
    assert [r["action"] for r in fresh] == ["webhook.updated"] and fresh[0]["prev_hash"] != "0" * 64
    ok = verify(h)
    assert ok.returncode == 0 and "intact" in ok.stdout, ok.stdout + ok.stderr
    assert h.request("GET", "/api/v1/audit-log?limit=1", h.admin_token).status == 200
