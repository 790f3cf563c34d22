"""Every receiver in docs/examples/<language>/ (started as `run.sh PORT SECRET`) against real deliveries from a real
hookd: a delivery verifies and is answered 2xx; the same request with a tampered body, signed with another secret,
10 minutes old, or without its headers is answered 400; a repeated webhook-id is handled once; a delivery whose work
failed (FAIL_FIRST=1 makes the first work fail) is answered 5xx and handled when it comes again, not skipped as a
duplicate; during a secret rotation a receiver that still has the old secret accepts the deliveries."""
import base64
import glob
import hashlib
import hmac
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from harness import ROOT, free_port, wait_until

EXAMPLES = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(ROOT, "docs/examples/*/run.sh")))


def post(port, headers, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except urllib.error.URLError:
        return None  # not listening (yet)


def sign(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret.split("_", 1)[1])
    return base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()


def start(example, port, secret):
    proc = subprocess.Popen([os.path.join(example, "run.sh"), str(port), secret], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=dict(os.environ, FAIL_FIRST="1"))
    wait_until(lambda: post(port, {}, b"{}") == 400 if proc.poll() is None else True, timeout=60,
               message=f"{os.path.basename(example)} listening")
    assert proc.poll() is None, proc.stdout.read()
    return proc


@pytest.mark.parametrize("example", EXAMPLES, ids=[os.path.basename(e) for e in EXAMPLES])
def test_example_receiver_verifies_real_deliveries(hookd, key, example):
    port = free_port()
    webhook = hookd.create_webhook(key, f"http://127.0.0.1:{port}/", events=["task.*"])
    proc = start(example, port, webhook["secret"])
    try:
        event = hookd.emit(key, "task.completed", {"n": 1})
        wait_until(lambda: [d for d in hookd.deliveries(key) if d["status"] == "succeeded"],
                   message="the real delivery accepted")
        delivery = hookd.deliveries(key)[0]
        attempts = hookd.request("GET", f"/api/v1/deliveries/{delivery['id']}", key).json["attempts"]
        assert [a["response_status"] // 100 for a in attempts] == [5, 2], attempts  # the work failed, then was done
        attempt = attempts[-1]
        headers = json.loads(attempt["request_headers"]) if isinstance(attempt["request_headers"], str) \
            else attempt["request_headers"]
        body = attempt["request_body"].encode()
        assert headers["webhook-id"] == event["id"]

        assert post(port, headers, body) in (200, 202, 204)  # the same delivery again: handled once, still 2xx
        assert post(port, headers, body.replace(b'"n":1', b'"n":2')) == 400  # tampered body
        old = str(int(time.time()) - 600)  # 10 minutes ago, correctly signed: a replay
        stale = dict(headers, **{"webhook-timestamp": old,
                                 "webhook-signature": "v1," + sign(webhook["secret"], event["id"], old, body)})
        assert post(port, stale, body) == 400
        fresh = str(int(time.time()))  # the same, signed now: accepted, so the 400 above was the timestamp's
        assert post(port, dict(headers, **{"webhook-timestamp": fresh,
                                           "webhook-signature": "v1," + sign(webhook["secret"], event["id"], fresh,
                                                                             body)}), body) in (200, 202, 204)
        for missing in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            assert post(port, {k: v for k, v in headers.items() if k != missing}, body) == 400, missing

        other = hookd.create_webhook(key, f"http://127.0.0.1:{port}/", events=["user.*"])  # another secret
        hookd.emit(key, "user.created")
        wait_until(lambda: any(d["webhook_id"] == other["id"] and d["attempt_count"] >= 1 and d["status"] != "succeeded"
                               for d in hookd.deliveries(key)), message="the wrongly signed delivery refused")

        rotated = hookd.request("POST", f"/api/v1/webhooks/{webhook['id']}/secret/rotate", key)
        assert rotated.status in (200, 201), rotated
        during = hookd.emit(key, "task.created")  # signed with the new secret and the old one the receiver has
        wait_until(lambda: [d for d in hookd.deliveries(key)
                            if d["event_id"] == during["id"] and d["status"] == "succeeded"],
                   message="the delivery during the rotation accepted")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    output = proc.stdout.read()
    assert output.count("duplicate") >= 1, output
    assert f"failed {event['id']}" in output
    assert output.index(f"failed {event['id']}") < output.index(f"accepted {event['id']}"), output

