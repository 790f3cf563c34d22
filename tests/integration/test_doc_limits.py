"""Every limit the documents state, held to what a server with the default settings does: each case names the
sentence that states it in the receivers' guide, the sending guide or a client library, and makes the server show
the same number (at the limit accepted, past it refused, or reported by the server itself)."""
import calendar
import os
import re
import time

import pytest

from harness import ROOT

GUIDE, SENDING = "docs/integration-guide.md", "docs/sending-events.md"
SDKS = ("sdks/python/hookd_client/client.py", "sdks/typescript/src/index.ts", "sdks/go/client.go")


def states(path, phrase):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        text = re.sub(r"\s+", " ", f.read())
    assert phrase in text, f"{path} no longer says: {phrase}"


@pytest.fixture
def server(make_hookd):
    """A server with every default, as the documents describe it."""
    return make_hookd()


def test_the_retry_schedule_timeout_and_rate_cap_are_the_servers_defaults(server):
    states(GUIDE, "| after the previous attempt | 1 min | 5 min | 30 min | 2 h | 24 h |")
    states(GUIDE, "times out (30 s by default, the whole request)")
    states(GUIDE, "at most the platform's cap, 100 by default")
    _, key = server.create_account()
    info = server.request("GET", "/api/v1/server-info", key).json
    assert info["retry_schedule_ms"] == [60_000, 300_000, 1_800_000, 7_200_000, 86_400_000]
    assert info["attempt_timeout_ms"] == 30_000 and info["max_endpoint_rate"] == 100


def test_event_data_size(server):
    states(GUIDE, "at most 256 KiB of event data")
    states(SENDING, "`data` and `metadata` are any JSON objects, together at most 256 KiB")
    _, key = server.create_account()
    filler = 256 * 1024 - len('{"s":""}')  # data of exactly 256 KiB: its request's body is over the limit then
    near = {"type": "task.created", "data": {"s": "x" * (filler - 100)}}
    assert server.request("POST", "/api/v1/events", key, near).status == 202
    r = server.request("POST", "/api/v1/events", key, {"type": "task.created", "data": {"s": "x" * (filler + 1)}})
    assert r.status == 413 and r.json["error"]["code"] == "payload_too_large"


def test_batch_size_and_idempotency_key_length(server):
    states(SENDING, "up to 1,000 events (a body of at most 4 MiB)")
    states(SENDING, "at most 255 characters")
    for path in SDKS:
        states(path, "to 1,000 events in one call")
    _, key = server.create_account()
    batch = [{"type": "task.created", "data": {"i": i}} for i in range(1000)]
    assert server.request("POST", "/api/v1/events/batch", key, {"events": batch}).status == 202
    r = server.request("POST", "/api/v1/events/batch", key, {"events": batch + batch[:1]})
    assert r.status == 422 and r.json["error"]["code"] == "validation_failed"
    body = {"type": "task.created", "data": {}}
    assert server.request("POST", "/api/v1/events", key, body, headers={"Idempotency-Key": "k" * 255}).status == 202
    assert server.request("POST", "/api/v1/events", key, body, headers={"Idempotency-Key": "k" * 256}).status == 422


def test_webhook_url_length(server, receiver):
    states(GUIDE, "The URL must be absolute, `https://`, at most 2048 characters")
    _, key = server.create_account()
    base = receiver().url + "?"
    for length, status in ((2048, 201), (2049, 422)):
        r = server.request("POST", "/api/v1/webhooks?verify=false", key,
                           {"url": base + "p" * (length - len(base)), "events": ["*"]})
        assert r.status == status, (length, r.json)


def test_page_size(server):
    states(SENDING, "Pass `limit` (1 to 1,000, default 50)")
    _, key = server.create_account()
    server.request("POST", "/api/v1/events/batch", key, {"events": [{"type": "task.created"}] * 60})
    assert len(server.request("GET", "/api/v1/events", key).json["data"]) == 50
    assert server.request("GET", "/api/v1/events?limit=1000", key).status == 200
    for bad in (0, 1001):
        assert server.request("GET", f"/api/v1/events?limit={bad}", key).status in (400, 422), bad


def test_portal_session_lifetime(server):
    states(SENDING, "`ttl` from `1s` to `24h` (default `1h`)")
    _, key = server.create_account()
    made = server.request("POST", "/api/v1/portal-sessions", key, {}).json
    stamp = lambda field: calendar.timegm(time.strptime(made[field][:19], "%Y-%m-%dT%H:%M:%S"))  # noqa: E731
    assert stamp("expires_at") - stamp("created_at") == 3600
    for ttl, status in (("1s", 201), ("24h", 201), ("25h", 422), ("0s", 422)):
        assert server.request("POST", "/api/v1/portal-sessions", key, {"ttl": ttl}).status == status, ttl


def test_api_rate_limit_headers(server):
    states(SENDING, "`--api-rate-limit` requests per second (1,000 by default)")
    _, key = server.create_account()
    r = server.request("GET", "/api/v1/webhooks", key)
    headers = {k.lower(): v for k, v in r.headers.items()}
    assert headers["x-ratelimit-limit"] == "1000" and int(headers["x-ratelimit-remaining"]) < 1000, headers


def test_response_capture_and_secret_overlap(server, receiver):
    states(GUIDE, "first 10 KiB of body")
    states(GUIDE, "For the next 24 hours every delivery carries **two** signatures")
    for path in ("sdks/python/hookd_client/client.py", "sdks/typescript/src/index.ts"):
        states(path, "keeps signing alongside it for 24 hours")
    _, key = server.create_account()
    rx = receiver()
    rx.response_body = b"y" * 20_000
    webhook = server.create_webhook(key, rx.url)
    sent = server.request("POST", f"/api/v1/webhooks/{webhook['id']}/test", key).json
    assert len(sent["response_body"]) == 10 * 1024
    before = time.time()
    rotated = server.request("POST", f"/api/v1/webhooks/{webhook['id']}/secret/rotate", key).json
    until = calendar.timegm(time.strptime(rotated["previous_secret_expires_at"][:19], "%Y-%m-%dT%H:%M:%S"))
    assert abs(until - before - 24 * 3600) < 5
    server.emit(key, "task.created")
    deadline = time.time() + 10
    while time.time() < deadline and not rx.received("task.created"):
        time.sleep(0.05)
    assert len(rx.received("task.created")[0]["headers"]["webhook-signature"].split(" ")) == 2


def test_each_client_library_has_a_class_for_each_status_the_sending_guide_lists():
    """The error table's statuses, against the status-to-class map of each library: the same classes in all three,
    and every status the server answers a library's calls with has its own (a library never sends a method or a
    media type the server refuses, so 405 and 415 are left to the general class; 500 is the "any other 5xx")."""
    with open(os.path.join(ROOT, SENDING), encoding="utf-8") as f:
        text = f.read()
    table = text[text.index("<!-- error codes: begin -->"):text.index("<!-- error codes: end -->")]
    documented = {int(s) for s in re.findall(r"^\| (\d{3}) \|", table, re.M)}
    maps = {
        "sdks/python/hookd_client/errors.py": r"_BY_STATUS = \{(.*?)\}",
        "sdks/typescript/src/errors.ts": r"const byStatus[^=]*= \{(.*?)\};",
        "sdks/go/errors.go": r"var kindByStatus = map\[int\]Kind\{(.*?)\}",
    }
    for path, pattern in maps.items():
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            statuses = {int(s) for s in re.findall(r"(\d{3}):", re.search(pattern, f.read(), re.S).group(1))}
        assert statuses == documented - {405, 415, 500}, path
