#!/usr/bin/env python3
"""A receiver of hookd's webhooks in Flask (Debian: python3-flask).

The mistakes frameworks invite, avoided: the signature covers the raw bytes of the body, so they are read with
`request.get_data()` before anything parses them (re-serialising `request.json` changes the bytes and the signature
no longer matches); the timestamp is checked (5 minutes); the comparison is constant-time; any of the header's
signatures may match (two during a secret rotation); and a webhook-id is recorded as handled only once its work is
done, so a delivery whose work failed is answered 500 and retried rather than skipped as a duplicate.

    python3 receiver.py PORT SECRET
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time

from flask import Flask, request

TOLERANCE_S = 5 * 60
fail_next = os.environ.get("FAIL_FIRST") == "1"  # the first work fails: watch the retry handle it
app = Flask(__name__)
secret = ""
handled = set()  # webhook-ids whose work is done; a real application keeps them in its database
handled_lock = threading.Lock()


def verify(headers, body):
    msg_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures and timestamp.isdigit()):
        return False
    if abs(time.time() - int(timestamp)) > TOLERANCE_S:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    return any(version == "v1" and hmac.compare_digest(sig.encode(), expected)
               for version, _, sig in (entry.partition(",") for entry in signatures.split(" ")))


def handle(event):
    """The application's work: here, a line. Raise to have hookd deliver it again later."""
    global fail_next
    if fail_next:
        fail_next = False
        raise RuntimeError("the work failed (FAIL_FIRST)")
    print(f"accepted {event['id']} {event['type']}", flush=True)


@app.post("/")
def webhook():
    body = request.get_data()  # the raw bytes, before any parsing
    if not verify(request.headers, body):
        print("rejected: the signature does not verify", flush=True)
        return "", 400
    msg_id = request.headers["webhook-id"]
    with handled_lock:  # one delivery of an id at a time: a real application uses a unique key in its database
        if msg_id in handled:
            print(f"duplicate {msg_id}: already handled", flush=True)
            return "", 204
        try:
            handle(json.loads(body))
        except Exception as e:  # the work failed: not recorded, so hookd's retry does it again
            print(f"failed {msg_id}: {e}", flush=True)
            return "", 500
        handled.add(msg_id)
    return "", 204


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: receiver.py PORT SECRET")
    secret = sys.argv[2]
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request is printed above
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
