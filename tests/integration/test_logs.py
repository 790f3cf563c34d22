"""Logs an operator can search: with --log-format json every line is one JSON object, each API request leaves an
access line (method, route, status, duration, the credential's id, never a secret), and a line about a delivery
names its delivery, event and webhook."""
import json

from harness import wait_until


def lines(h):
    return [json.loads(line) for line in h.log().splitlines() if line.startswith("{")]


def test_json_logs_have_an_access_line_per_request_and_ids_on_delivery_lines(make_hookd, receiver):
    h = make_hookd("--log-format", "json")
    account_id, key = h.create_account()
    r = receiver()
    r.fail_first(10, status=410)
    webhook = h.create_webhook(key, r.url)
    event = h.emit(key)
    assert h.request("GET", "/api/v1/nope", key).status == 404

    wait_until(lambda: any(l["msg"] == "webhook disabled" for l in lines(h)), message="the 410 disabled the webhook")
    wait_until(lambda: any(l["msg"] == "request" and l.get("route") == "unmatched" for l in lines(h)),
               message="the access line of the unknown path")
    raw = h.log()
    assert all(line.startswith("{") for line in raw.splitlines() if line.strip()), raw[:2000]
    logged = lines(h)
    emit = [l for l in logged if l["msg"] == "request" and l["route"] == "/api/v1/events"]
    assert len(emit) == 1, emit
    assert emit[0]["method"] == "POST" and emit[0]["status"] == "202" and float(emit[0]["duration_ms"]) >= 0
    assert emit[0]["credential"].startswith("key_"), emit[0]
    admin = [l for l in logged if l["msg"] == "request" and l["route"] == "/api/v1/accounts"]
    assert admin and admin[0]["credential"] == "admin"
    disabled = next(l for l in logged if l["msg"] == "webhook disabled")
    assert disabled["webhook_id"] == webhook["id"] and disabled["event_id"] == event["id"]
    assert disabled["delivery_id"].startswith("dlv_")
    assert key not in raw and h.admin_token not in raw and webhook["secret"] not in raw
