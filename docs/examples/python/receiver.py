#!/usr/bin/env python3
"""A minimal receiver of hookd's webhooks, with Python's standard library only.

It verifies the Standard Webhooks signature (HMAC-SHA256 over "webhook-id.webhook-timestamp.body", keyed by the
base64 part of the whsec_ secret), refuses a timestamp more than 5 minutes from now (a replayed request), compares
in constant time, accepts any of the signatures in the header (during a secret rotation there are two), and
handles each webhook-id once (hookd delivers at least once, so a retry may repeat a delivery that did arrive).

    python3 receiver.py PORT SECRET
"""
import base64
import hashlib
import hmac
import http.server
import os
import sys
import threading
import time

TOLERANCE_S = 5 * 60
fail_next = os.environ.get("FAIL_FIRST") == "1"  # the first work fails: watch the retry handle it


def verify(secret, headers, body):
    """True when the request carries a valid, recent Standard Webhooks signature."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        return False
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(time.time() - sent_at) > TOLERANCE_S:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return True
    return False


def handle(msg_id, event_type, body):
    """The application's work (answer fast: queue anything slow). Raise to have hookd deliver it again later."""
    global fail_next
    if fail_next:
        fail_next = False
        raise RuntimeError("the work failed (FAIL_FIRST)")
    print(f"accepted {msg_id} {event_type}", flush=True)


class Receiver(http.server.BaseHTTPRequestHandler):
    secret = ""
    seen = set()  # webhook-ids whose work is done; a real application keeps them in its database
    seen_lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if not verify(self.secret, self.headers, body):
            print("rejected: the signature does not verify", flush=True)
            self.answer(400)
            return
        msg_id = self.headers["webhook-id"]
        # The id is recorded only once its work is done (or durably queued): a delivery whose work failed is
        # answered 500 and comes again. One delivery of an id at a time; a real application records the id in the
        # same database transaction as its work, under a unique key.
        with self.seen_lock:
            if msg_id in self.seen:
                print(f"duplicate {msg_id}: already handled", flush=True)
                self.answer(204)
                return
            try:
                handle(msg_id, self.headers.get("x-webhook-event", ""), body)
            except Exception as e:
                print(f"failed {msg_id}: {e}", flush=True)
                self.answer(500)
                return
            self.seen.add(msg_id)
        self.answer(204)

    def answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass  # one line per request is printed above


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: receiver.py PORT SECRET")
    Receiver.secret = sys.argv[2]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver)
    print(f"listening on 127.0.0.1:{sys.argv[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
