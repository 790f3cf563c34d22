"""Hostile and malformed input gets a clear 4xx JSON error and changes nothing (SPEC §3, §7)."""
import http.client
import json
import socket


def count_state(hookd, key):
    return (len(hookd.request("GET", "/api/v1/webhooks?limit=1000", key).json["data"]),
            len(hookd.request("GET", "/api/v1/events?limit=1000", key).json["data"]),
            len(hookd.request("GET", "/api/v1/deliveries?limit=1000", key).json["data"]))


def assert_error(r, status, code=None):
    assert r.status == status, r
    assert isinstance(r.json, dict) and "error" in r.json, r
    assert r.json["error"]["message"], r
    if code:
        assert r.json["error"]["code"] == code, r


def test_malformed_json_is_400_and_stores_nothing(hookd, key, receiver):
    hookd.create_webhook(key, receiver().url)
    before = count_state(hookd, key)
    for raw in (b"{", b"{\"type\": }", b"not json", b"\xff\xfe", b'{"type": "user.created"} trailing',
                b'{"type": "\xc3\x28"}'):
        assert_error(hookd.request("POST", "/api/v1/events", key, raw=raw), 400, "malformed_json")
        assert_error(hookd.request("POST", "/api/v1/webhooks", key, raw=raw), 400, "malformed_json")
    assert_error(hookd.request("POST", "/api/v1/events", key, raw=b""), 400)
    assert_error(hookd.request("POST", "/api/v1/events", key, raw=b"[1,2]"), 422)
    assert_error(hookd.request("POST", "/api/v1/events", key, raw=b"[" * 10000), 400)
    assert count_state(hookd, key) == before


def test_wrong_types_and_unknown_event_types_are_422(hookd, key, receiver):
    hookd.create_webhook(key, receiver().url)
    before = count_state(hookd, key)
    assert_error(hookd.request("POST", "/api/v1/events", key, {"type": "nope.nothing"}), 422, "unknown_event_type")
    for body in ({}, {"type": 5}, {"type": "user.created", "data": "str"}, {"type": "user.created", "data": [1]},
                 {"type": "user.created", "metadata": 3}, {"type": "user.created", "environment": "PROD"},
                 {"type": "USER.CREATED"}, {"type": "user.created", "idempotency_key": 7}):
        assert_error(hookd.request("POST", "/api/v1/events", key, body), 422, "validation_failed")
    assert count_state(hookd, key) == before


def test_oversized_bodies_are_413(hookd, key):
    before = count_state(hookd, key)
    big = {"type": "user.created", "data": {"blob": "x" * (300 * 1024)}}
    assert_error(hookd.request("POST", "/api/v1/events", key, big), 413)
    assert_error(hookd.request("POST", "/api/v1/webhooks", key, raw=b"{" + b" " * (300 * 1024) + b"}"), 413)
    batch = {"events": [{"type": "user.created", "data": {"blob": "x" * 5000}}] * 1000}
    assert_error(hookd.request("POST", "/api/v1/events/batch", key, batch), 413)
    assert count_state(hookd, key) == before
    assert hookd.request("GET", "/healthz").status == 200


def test_unsupported_media_type_is_415(hookd, key):
    r = hookd.request("POST", "/api/v1/events", key, raw=b"<xml/>", headers={"Content-Type": "application/xml"})
    assert_error(r, 415)


def test_unknown_paths_and_methods(hookd, key):
    assert_error(hookd.request("GET", "/api/v1/nothing", key), 404, "not_found")
    assert_error(hookd.request("PUT", "/api/v1/webhooks", key, {}), 405, "method_not_allowed")
    assert_error(hookd.request("DELETE", "/api/v1/events", key), 405)
    assert_error(hookd.request("GET", "/api/v1/webhooks/not-an-id", key), 404)
    assert_error(hookd.request("GET", "/api/v1/webhooks/wh_01AAAAAAAAAAAAAAAAAAAAAAAA", key), 404)


def test_garbage_on_the_socket_does_not_hurt_the_server(hookd, key):
    for payload in (b"\x00\x01\x02garbage\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 20000 + b"\r\n\r\n",
                    b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", hookd.port), timeout=5) as s:
            s.sendall(payload)
            reply = s.recv(4096)
            assert reply.startswith(b"HTTP/1.1 4"), reply[:100]
    assert hookd.request("GET", "/api/v1/webhooks", key).status == 200


def test_keep_alive_serves_many_requests_on_one_connection(hookd, key):
    conn = http.client.HTTPConnection("127.0.0.1", hookd.port, timeout=5)
    for _ in range(20):
        conn.request("GET", "/api/v1/webhooks", headers={"Authorization": f"Bearer {key}"})
        r = conn.getresponse()
        assert r.status == 200 and json.loads(r.read())["data"] == []
    conn.close()


def test_statistics_periods_and_buckets_out_of_range_are_422(hookd, key, receiver):
    w = hookd.create_webhook(key, receiver().url)
    for path in ("/api/v1/stats", f"/api/v1/webhooks/{w['id']}/stats"):
        for query in ("since=whenever", "since=2999-01-01T00:00:00Z", "since=1h&until=2h", "since=1h&until=1h",
                      "until=%00", "bucket=30s", "bucket=-1m", "bucket=x", "since=30d&bucket=1m",
                      "since=" + "9" * 400):
            r = hookd.request("GET", f"{path}?{query}", key)
            assert_error(r, 422)
        ok = hookd.request("GET", f"{path}?since=2h&until=1h&bucket=1m", key)
        assert ok.status == 200 and len(ok.json["series"]) in (60, 61), ok  # the ends go to whole minutes
