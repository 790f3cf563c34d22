#!/usr/bin/env python3
"""A receiver of hookd's webhooks in Django (Debian: python3-django), as one file: the settings, the URL and the
view. In a project the view goes in an app's views.py and the URL in urls.py.

The mistakes frameworks invite, avoided: Django refuses a POST without a CSRF token, which hookd cannot have, so the
view is `@csrf_exempt` (the signature is what authenticates it); the signature covers the raw bytes, so the view
reads `request.body` before anything parses it; the timestamp is checked (5 minutes); the comparison is
constant-time; any of the header's signatures may match (two during a secret rotation); and a webhook-id is
recorded as handled only once its work is done.

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
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

TOLERANCE_S = 5 * 60
fail_next = os.environ.get("FAIL_FIRST") == "1"  # the first work fails: watch the retry handle it
SECRET = sys.argv[2] if len(sys.argv) == 3 else ""
handled = set()  # webhook-ids whose work is done; a real application keeps them in its database
handled_lock = threading.Lock()


def verify(headers, body):
    msg_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures and timestamp.isdigit()):
        return False
    if abs(time.time() - int(timestamp)) > TOLERANCE_S:
        return False
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
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


@csrf_exempt  # hookd has no CSRF token: the signature authenticates the request
@require_POST
def webhook(request):
    body = request.body  # the raw bytes, before any parsing
    if not verify(request.headers, body):
        print("rejected: the signature does not verify", flush=True)
        return HttpResponse(status=400)
    msg_id = request.headers["webhook-id"]
    with handled_lock:  # one delivery of an id at a time: a real application uses a unique key in its database
        if msg_id in handled:
            print(f"duplicate {msg_id}: already handled", flush=True)
            return HttpResponse(status=204)
        try:
            handle(json.loads(body))
        except Exception as e:  # the work failed: not recorded, so hookd's retry does it again
            print(f"failed {msg_id}: {e}", flush=True)
            return HttpResponse(status=500)
        handled.add(msg_id)
    return HttpResponse(status=204)


urlpatterns = [path("", webhook)]


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass  # one line per request is printed above


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: receiver.py PORT SECRET")
    settings.configure(DEBUG=False, ALLOWED_HOSTS=["127.0.0.1", "localhost"], ROOT_URLCONF=__name__,
                       SECRET_KEY="only-for-this-example", MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"])
    django.setup()
    from django.core.wsgi import get_wsgi_application

    make_server("127.0.0.1", int(sys.argv[1]), get_wsgi_application(), Server, QuietHandler).serve_forever()


if __name__ == "__main__":
    main()
