"""Portal sessions (SPEC §3, §8) through the API: a link scoped to one account and one access level, that expires,
can be revoked, never reaches a log, and lets a browser do only what the customer may do."""
import time

from harness import wait_until


def open_session(hookd, key, **body):
    r = hookd.request("POST", "/api/v1/portal-sessions", key, body)
    assert r.status == 201, r
    return r.json


def test_a_manage_session_acts_for_its_account_alone_and_never_as_the_platform(hookd, key, receiver):
    r = receiver()
    _, other_key = hookd.create_account("Other", "ops@other.test")
    theirs = hookd.create_webhook(other_key, r.url)
    session = open_session(hookd, key, ttl="1h", access="manage", return_url="https://app.acme.test/settings")
    token = session["token"]
    assert token.startswith("hkp_") and session["url"].endswith("/settings/webhooks#portal=" + token)
    assert session["url"].startswith(hookd.base)
    assert session["access"] == "manage" and session["return_url"] == "https://app.acme.test/settings"

    current = hookd.request("GET", "/api/v1/portal-sessions/current", token)
    assert current.status == 200 and current.json["id"] == session["id"] and "token" not in current.json
    assert hookd.request("GET", "/api/v1/portal-sessions/current", key).status == 404  # an API key is no session

    mine = hookd.request("POST", "/api/v1/webhooks?verify=false", token, {"url": r.url, "events": ["task.*"]})
    assert mine.status == 201, mine
    assert hookd.request("PATCH", f"/api/v1/webhooks/{mine.json['id']}", token, {"active": False}).status == 200
    assert [w["id"] for w in hookd.request("GET", "/api/v1/webhooks", token).json["data"]] == [mine.json["id"]]
    assert hookd.request("GET", f"/api/v1/webhooks/{theirs['id']}", token).status == 404  # another account's

    # What only the platform's backend does.
    for method, path, body in [("POST", "/api/v1/events", {"type": "task.completed"}),
                               ("POST", "/api/v1/events/batch", {"events": [{"type": "task.completed"}]}),
                               ("POST", "/api/v1/portal-sessions", {}),
                               ("DELETE", f"/api/v1/portal-sessions/{session['id']}", None),
                               ("PATCH", "/api/v1/account", {"name": "Hijacked"})]:
        answer = hookd.request(method, path, token, body)
        assert answer.status == 403 and answer.json["error"]["code"] == "forbidden", (path, answer)
    assert hookd.request("GET", "/api/v1/accounts", token).status == 401  # admin
    assert hookd.request("GET", "/api/v1/account", key).json["name"] == "Acme"


def test_a_read_session_sees_everything_and_changes_nothing(hookd, key, receiver):
    r = receiver()
    webhook = hookd.create_webhook(key, r.url)
    hookd.emit(key)
    wait_until(lambda: hookd.deliveries(key) and hookd.deliveries(key)[0]["status"] == "succeeded")
    delivery = hookd.deliveries(key)[0]
    token = open_session(hookd, key, access="read")["token"]
    for path in ["/api/v1/webhooks", f"/api/v1/webhooks/{webhook['id']}", f"/api/v1/webhooks/{webhook['id']}/secret",
                 f"/api/v1/webhooks/{webhook['id']}/deliveries", f"/api/v1/deliveries/{delivery['id']}",
                 "/api/v1/stats", "/api/v1/webhooks/events/available", "/api/v1/server-info", "/api/v1/account"]:
        assert hookd.request("GET", path, token).status == 200, path
    for method, path, body in [("POST", "/api/v1/webhooks", {"url": r.url, "events": ["*"]}),
                               ("PATCH", f"/api/v1/webhooks/{webhook['id']}", {"active": False}),
                               ("DELETE", f"/api/v1/webhooks/{webhook['id']}", None),
                               ("POST", f"/api/v1/webhooks/{webhook['id']}/test", {}),
                               ("POST", f"/api/v1/webhooks/{webhook['id']}/secret/rotate", {}),
                               ("POST", f"/api/v1/webhooks/{webhook['id']}/replay", {}),
                               ("POST", f"/api/v1/deliveries/{delivery['id']}/retry", None)]:
        answer = hookd.request(method, path, token, body)
        assert answer.status == 403 and answer.json["error"]["code"] == "read_only", (method, path, answer)
    after = hookd.request("GET", f"/api/v1/webhooks/{webhook['id']}", key).json
    assert after["active"] and after["updated_at"] == webhook["updated_at"]
    assert len(r.received()) == 1 and len(hookd.deliveries(key)) == 1


def test_a_session_expires_and_a_revoked_one_stops_at_once(hookd, key):
    short = open_session(hookd, key, ttl="1s")
    assert hookd.request("GET", "/api/v1/webhooks", short["token"]).status == 200
    time.sleep(1.2)
    expired = hookd.request("GET", "/api/v1/webhooks", short["token"])
    assert expired.status == 401 and expired.json["error"]["code"] == "session_expired", expired

    session = open_session(hookd, key)
    assert hookd.request("GET", "/api/v1/webhooks", session["token"]).status == 200  # now cached
    _, other_key = hookd.create_account("Other", "ops@other.test")
    assert hookd.request("DELETE", f"/api/v1/portal-sessions/{session['id']}", other_key).status == 404
    assert hookd.request("DELETE", f"/api/v1/portal-sessions/{session['id']}", key).status == 204
    revoked = hookd.request("GET", "/api/v1/webhooks", session["token"])
    assert revoked.status == 401 and revoked.json["error"]["code"] == "unauthorized"
    assert hookd.request("DELETE", f"/api/v1/portal-sessions/{session['id']}", key).status == 404


def test_the_admin_opens_sessions_for_an_account_and_bad_input_changes_nothing(hookd, account):
    account_id, key = account
    admin = hookd.admin_token
    assert open_session(hookd, admin, account_id=account_id)["account_id"] == account_id
    assert hookd.request("POST", "/api/v1/portal-sessions", admin, {}).status == 422  # which account?
    for body, field in [({"ttl": "25h"}, "ttl"), ({"ttl": "0s"}, "ttl"), ({"ttl": "soon"}, "ttl"), ({"ttl": 3600}, "ttl"),
                        ({"access": "admin"}, "access"), ({"return_url": "javascript:alert(1)"}, "return_url"),
                        ({"return_url": "/relative"}, "return_url"), ({"return_url": "https://x/" + "a" * 3000},
                                                                      "return_url")]:
        r = hookd.request("POST", "/api/v1/portal-sessions", key, body)
        assert r.status == 422 and r.json["error"]["details"][0]["field"] == field, (body, r)
    assert hookd.request("GET", "/api/v1/portal-sessions/current", "hkp_" + "0" * 64).status == 401


def test_tokens_never_reach_the_log(hookd, key):
    session = open_session(hookd, key)
    hookd.request("GET", "/api/v1/webhooks", session["token"])
    hookd.request("GET", "/api/v1/webhooks", "hkp_" + "1" * 64)
    wait_until(lambda: session["id"] in hookd.log(), message="the access line naming the session by its id")
    log = hookd.log()
    assert session["token"] not in log and session["token"][4:] not in log and "1" * 64 not in log


def test_links_use_the_public_url_when_one_is_set(make_hookd):
    h = make_hookd("--public-url", "https://hooks.example.com/")
    _, key = h.create_account()
    assert open_session(h, key)["url"].startswith("https://hooks.example.com/settings/webhooks#portal=hkp_")
