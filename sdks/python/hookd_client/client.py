"""The platform backend's view of hookd: send events (with an idempotency key by default, so a retried send never
makes a second event), manage an account's webhooks, read and retry deliveries, open portal sessions for the
embedded UI, and, with the admin token, manage accounts. Lists are iterators that follow `next_cursor` page by page.

    hookd = Hookd("hk_…", "https://hookd.internal")
    hookd.send_event("task.completed", {"task_id": "t_1"})

    admin = Hookd(admin_token, "https://hookd.internal")
    admin.for_account("acc_…").send_event("task.completed", {"task_id": "t_1"})   # seed 001's trigger_event
"""
import urllib.parse
import uuid

from .transport import Transport

API = "/api/v1"


def q(object_id):
    """An id as one path segment (escaped, so an odd id cannot change the path)."""
    return urllib.parse.quote(str(object_id), safe="")


def new_idempotency_key():
    return "idem_" + uuid.uuid4().hex


class Hookd:
    def __init__(self, credential, base_url="http://127.0.0.1:8084", *, account_id=None, timeout=10.0,
                 max_retries=3, max_wait=30.0, _transport=None):
        """`credential`: an account's API key (`hk_…`), or the admin token (then pass `account_id`, or use
        `for_account`, for account-scoped calls). `max_retries` bounds the retries of 429/503 and of unanswered
        safe calls; a server's `Retry-After` is honoured up to `max_wait` seconds."""
        self._t = _transport or Transport(base_url, credential, timeout, max_retries, max_wait)
        self.account_id = account_id

    def for_account(self, account_id):
        """The same client acting for `account_id` (with the admin token)."""
        return Hookd(None, account_id=account_id, _transport=self._t)

    # ---- internals ----

    def _body(self, fields):
        body = {k: v for k, v in fields.items() if v is not None}
        if self.account_id:
            body["account_id"] = self.account_id
        return body

    def _query(self, fields):
        query = {k: v for k, v in fields.items() if v is not None}
        if self.account_id:
            query["account_id"] = self.account_id
        return query

    def _pages(self, path, filters, limit):
        """Every item of a list, newest first, fetched `limit` at a time."""
        cursor = None
        while True:
            page = self._t.call("GET", path, query=self._query({**filters, "limit": limit, "cursor": cursor}))
            yield from page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    # ---- events ----

    def send_event(self, type, data=None, *, environment=None, metadata=None, idempotency_key=None):
        """Accepts one event; returns `{"id", "type", "created", "deliveries"}`. The idempotency key (generated
        when not given) makes a retried send return the first event instead of making a second."""
        key = idempotency_key or new_idempotency_key()
        body = self._body({"type": type, "data": data if data is not None else {}, "environment": environment,
                           "metadata": metadata})
        return self._t.call("POST", API + "/events", body, headers={"Idempotency-Key": key}, retry_unanswered=True)

    def send_events(self, events):
        """Accepts up to 1,000 events in one call (each a dict of send_event's fields: type, data, environment,
        metadata, idempotency_key); each without a key gets one. Returns the accepted events in order."""
        items = []
        for e in events:
            item = {k: v for k, v in e.items() if v is not None}
            item.setdefault("idempotency_key", new_idempotency_key())
            item.setdefault("data", {})
            items.append(item)
        answer = self._t.call("POST", API + "/events/batch", self._body({"events": items}), retry_unanswered=True)
        return answer["data"]

    def get_event(self, event_id):
        """The event with its deliveries."""
        return self._t.call("GET", f"{API}/events/{q(event_id)}", query=self._query({}))

    def list_events(self, *, type=None, since=None, until=None, limit=100):
        return self._pages(API + "/events", {"type": type, "since": since, "until": until}, limit)

    def replay_event(self, event_id, webhook_id=None):
        """Delivers the event again: to `webhook_id`, or to every webhook subscribed to it now."""
        return self._t.call("POST", f"{API}/events/{q(event_id)}/replay", self._body({"webhook_id": webhook_id}))

    # ---- webhooks ----

    def create_webhook(self, url, events, *, verify=True, **fields):
        """A new webhook (its `secret` is in the answer). hookd checks the URL answers first unless `verify` is
        false. `fields`: name, description, active, environment, rate_limit, ordered, payload_format, signing,
        headers, metadata, secret."""
        query = "" if verify else "?verify=false"
        return self._t.call("POST", f"{API}/webhooks{query}", self._body({"url": url, "events": events, **fields}))

    def get_webhook(self, webhook_id):
        return self._t.call("GET", f"{API}/webhooks/{q(webhook_id)}", query=self._query({}))

    def list_webhooks(self, *, active=None, event=None, environment=None, status=None, limit=100):
        """`event`: only webhooks subscribed to this event type."""
        active = None if active is None else str(bool(active)).lower()
        filters = {"active": active, "event": event, "environment": environment, "status": status}
        return self._pages(API + "/webhooks", filters, limit)

    def update_webhook(self, webhook_id, **fields):
        return self._t.call("PATCH", f"{API}/webhooks/{q(webhook_id)}", self._body(fields))

    def delete_webhook(self, webhook_id):
        self._t.call("DELETE", f"{API}/webhooks/{q(webhook_id)}", query=self._query({}))

    def test_webhook(self, webhook_id, event_type=None):
        """Sends a signed test event now; returns what the endpoint answered."""
        return self._t.call("POST", f"{API}/webhooks/{q(webhook_id)}/test", self._body({"event_type": event_type}))

    def get_webhook_secret(self, webhook_id):
        return self._t.call("GET", f"{API}/webhooks/{q(webhook_id)}/secret", query=self._query({}))["secret"]

    def rotate_webhook_secret(self, webhook_id, secret=None):
        """A new signing secret; the old one keeps signing alongside it for 24 hours."""
        return self._t.call("POST", f"{API}/webhooks/{q(webhook_id)}/secret/rotate", self._body({"secret": secret}))

    def retry_webhook_deliveries(self, webhook_id, *, status=None, since=None, until=None):
        """Retries the webhook's failed and dead deliveries (or those of `status`) created in [since, until)."""
        body = self._body({"status": status, "since": since, "until": until})
        return self._t.call("POST", f"{API}/webhooks/{q(webhook_id)}/retry", body)

    def replay_webhook(self, webhook_id, *, since, until=None):
        """Delivers again, to this webhook, the account's events of [since, until) it subscribes to."""
        body = self._body({"since": since, "until": until})
        return self._t.call("POST", f"{API}/webhooks/{q(webhook_id)}/replay", body)

    def webhook_stats(self, webhook_id, **query):
        return self._t.call("GET", f"{API}/webhooks/{q(webhook_id)}/stats", query=self._query(query))

    # ---- deliveries ----

    def list_deliveries(self, *, webhook_id=None, status=None, event_type=None, since=None, until=None, limit=100):
        filters = {"webhook_id": webhook_id, "status": status, "event_type": event_type, "since": since,
                   "until": until}
        return self._pages(API + "/deliveries", filters, limit)

    def get_delivery(self, delivery_id):
        """The delivery with every attempt's request and response."""
        return self._t.call("GET", f"{API}/deliveries/{q(delivery_id)}", query=self._query({}))

    def retry_delivery(self, delivery_id):
        """Attempts a failed or dead delivery again now (Conflict if it succeeded or is still pending)."""
        return self._t.call("POST", f"{API}/deliveries/{q(delivery_id)}/retry", self._body({}))

    def stats(self, **query):
        return self._t.call("GET", API + "/stats", query=self._query(query))

    # ---- portal sessions and the catalog ----

    def create_portal_session(self, *, ttl=None, access=None, return_url=None):
        """A short-lived sign-in to the web UI for the account: send the customer's browser to its `url`."""
        body = self._body({"ttl": ttl, "access": access, "return_url": return_url})
        return self._t.call("POST", API + "/portal-sessions", body)

    def revoke_portal_session(self, session_id):
        self._t.call("DELETE", f"{API}/portal-sessions/{q(session_id)}", query=self._query({}))

    def event_catalog(self):
        return self._t.call("GET", API + "/webhooks/events/available", query=self._query({}))["categories"]

    # ---- accounts (admin token) ----

    def create_account(self, name, email=None):
        return self._t.call("POST", API + "/accounts", {k: v for k, v in {"name": name, "email": email}.items() if v})

    def create_api_key(self, account_id, name=None):
        """A new API key for the account; its `key` is shown only in this answer."""
        return self._t.call("POST", f"{API}/accounts/{q(account_id)}/api-keys", {"name": name} if name else {})

    def list_accounts(self, limit=100):
        return self._pages(API + "/accounts", {}, limit)

    def delete_account(self, account_id):
        self._t.call("DELETE", f"{API}/accounts/{q(account_id)}")
