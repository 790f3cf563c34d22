"""One HTTP call to hookd with what every call needs: the bearer credential, JSON in and out, an error answer
turned into its exception (errors.py), and retries of what can safely be tried again — a 429 or 503 (the server did
nothing) after the `Retry-After` it asked for, and a call that got no answer when it is a read or carries an
idempotency key. Standard library only."""
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request

from .errors import ConnectionFailed, HookdError, error_for

USER_AGENT = "hookd-client-python"
RETRIED_STATUSES = (429, 503)


def retry_after_seconds(value):
    """`Retry-After` as seconds (hookd sends whole seconds); None when absent or not a number."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class Transport:
    def __init__(self, base_url, credential, timeout, max_retries, max_wait, sleep=time.sleep):
        self.base_url = base_url.rstrip("/")
        self.credential = credential
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.sleep = sleep

    def call(self, method, path, body=None, query=None, headers=None, retry_unanswered=None):
        """The decoded JSON answer (None for 204). `retry_unanswered`: may a call with no answer be sent again
        (default: for GET and DELETE)."""
        if retry_unanswered is None:
            retry_unanswered = method in ("GET", "DELETE")
        url = self.base_url + path
        query = {k: v for k, v in (query or {}).items() if v is not None}
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                return self._once(method, url, data, headers or {})
            except HookdError as e:
                retriable = e.status in RETRIED_STATUSES or (e.status == 0 and retry_unanswered)
                if last or not retriable:
                    raise
                wait = e.retry_after if e.retry_after is not None else 0.25 * 2 ** attempt
                self.sleep(min(self.max_wait, wait) + random.uniform(0, 0.1))
        raise AssertionError("unreachable")

    def _once(self, method, url, data, headers):
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", "Bearer " + self.credential)
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", USER_AGENT)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in headers.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                raw = answer.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            raise error_for(e.code, body, retry_after_seconds(e.headers.get("Retry-After"))) from None
        except (urllib.error.URLError, OSError) as e:
            raise ConnectionFailed(str(getattr(e, "reason", e))) from None
