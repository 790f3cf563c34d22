"""Delivery controls (SPEC §3–§4): rate limits measured at the receiver, circuit breaker timings, auto-disable with
a real SMTP server, manual retry and replay (single and bulk), ordered webhooks across failures and restarts,
retention, statistics, and isolation of healthy webhooks from broken ones."""
import email
import threading
import time

from harness import SLOW, Hookd, wait_until


def statuses(hookd, key, query=""):
    return [d["status"] for d in hookd.deliveries(key, query)]


def test_rate_limit_is_enforced_at_the_receiver_and_drops_nothing(hookd, key, receiver):
    r = receiver()
    hookd.create_webhook(key, r.url, rate_limit=20)
    batch = hookd.request("POST", "/api/v1/events/batch", key, {"events": [{"type": "user.created"}] * 60})
    assert batch.status == 202
    wait_until(lambda: len(r.received()) == 60, timeout=15, message="all 60 delivered")
    times = sorted(g["time"] for g in r.received())
    assert times[-1] - times[0] >= 2.5, times[-1] - times[0]  # 60 at 20/s takes ~3 s
    worst = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert worst <= 22, worst  # 20/s, plus the small burst allowance


def test_customer_can_lower_the_rate_below_the_cap(make_hookd, receiver):
    h = make_hookd("--max-endpoint-rate", "50")
    _, key = h.create_account()
    assert h.request("POST", "/api/v1/webhooks?verify=false", key,
                     {"url": receiver().url, "events": ["*"], "rate_limit": 51}).status == 422
    w = h.create_webhook(key, receiver().url)
    assert w["rate_limit"] == 50
    assert h.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"rate_limit": 5}).json["rate_limit"] == 5


def test_circuit_opens_holds_probes_and_closes(make_hookd, receiver):
    h = make_hookd("--circuit-threshold", "3", "--circuit-cooldown", "1s",
                   "--retry-schedule", "100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms")
    _, key = h.create_account()
    r = receiver().always(500)
    w = h.create_webhook(key, r.url)
    h.emit(key)
    wait_until(lambda: h.request("GET", f"/api/v1/webhooks/{w['id']}", key).json["circuit"] == "open",
               message="circuit open after 3 failed attempts")
    assert h.request("GET", f"/api/v1/webhooks/{w['id']}", key).json["status"] == "failing"
    opened_at = r.received()[2]["time"]
    wait_until(lambda: len(r.received()) >= 4, timeout=5, message="a probe")
    probe = r.received()[3]["time"]
    assert probe - opened_at >= 0.9, probe - opened_at  # nothing during the 1 s cooldown
    for _ in range(3):
        h.emit(key)  # arrive while the circuit is open again (the probe failed): held, not attempted
    time.sleep(0.6 * SLOW)
    assert len(r.received()) == 4
    r.always(200)
    wait_until(lambda: len(r.received()) >= 5, timeout=6, message="second probe")
    assert r.received()[4]["time"] - probe >= 1.9  # the cooldown doubled
    wait_until(lambda: statuses(h, key).count("succeeded") == 4, timeout=10, message="all delivered after close")
    healthy = h.request("GET", f"/api/v1/webhooks/{w['id']}", key).json
    assert (healthy["circuit"], healthy["status"]) == ("closed", "healthy")
    # Deliveries that waited while the circuit was open were not charged attempts.
    assert sum(d["attempt_count"] for d in h.deliveries(key)) == len(r.received()) == 8


def test_auto_disable_after_consecutive_dead_sends_an_email(make_hookd, receiver, smtp):
    h = make_hookd("--retry-schedule", "none", "--disable-after", "2", "--smtp-url", smtp.url,
                   "--smtp-from", "alerts@hookd.test")
    account_id, key = h.create_account("Acme", "ops@acme.test")
    r = receiver().always(500)
    w = h.create_webhook(key, r.url, name="Billing sync")
    h.emit(key)
    h.emit(key)
    disabled = wait_until(lambda: (lambda x: x if x["status"] == "disabled" else None)(
        h.request("GET", f"/api/v1/webhooks/{w['id']}", key).json), message="disabled")
    assert disabled["active"] is False and "2 consecutive" in disabled["disabled_reason"]
    msg = wait_until(lambda: smtp.messages, message="alert email")[0]
    assert msg.rcpt_tos == ["ops@acme.test"] and msg.mail_from == "alerts@hookd.test"
    parsed = email.message_from_bytes(msg.content)
    assert "Webhook disabled" in parsed["Subject"] and "Billing sync" in parsed["Subject"]
    body = parsed.get_payload()
    assert w["id"] in body and r.url in body and "2 consecutive" in body
    # Disabled: new events are not delivered. Re-enabling resets it.
    h.emit(key)
    time.sleep(0.3 * SLOW)
    assert len(r.received()) == 2
    again = h.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"active": True}).json
    assert (again["status"], again["active"], again["disabled_reason"]) == ("healthy", True, None)
    r.always(200)
    h.emit(key)
    wait_until(lambda: len(r.received()) == 3)


def test_gone_disables_and_alerts(make_hookd, receiver, smtp):
    h = make_hookd("--smtp-url", smtp.url, "--smtp-from", "alerts@hookd.test")
    _, key = h.create_account("Acme", "ops@acme.test")
    r = receiver().always(410)
    w = h.create_webhook(key, r.url)
    h.emit(key)
    wait_until(lambda: h.request("GET", f"/api/v1/webhooks/{w['id']}", key).json["status"] == "disabled")
    msg = wait_until(lambda: smtp.messages, message="alert email")[0]
    assert "410" in email.message_from_bytes(msg.content).get_payload()


def test_manual_retry_of_a_dead_delivery(make_hookd, receiver):
    h = make_hookd("--retry-schedule", "none")
    _, key = h.create_account()
    r = receiver().always(500)
    h.create_webhook(key, r.url)
    h.emit(key)
    dead = wait_until(lambda: [d for d in h.deliveries(key) if d["status"] == "dead"])[0]
    r.always(200)
    retried = h.request("POST", f"/api/v1/deliveries/{dead['id']}/retry", key)
    assert retried.status == 202 and retried.json["status"] == "pending"
    wait_until(lambda: h.deliveries(key)[0]["status"] == "succeeded")
    assert [g["headers"]["x-webhook-attempt"] for g in r.received()] == ["1", "2"]
    again = h.request("POST", f"/api/v1/deliveries/{dead['id']}/retry", key)
    assert again.status == 409 and again.json["error"]["code"] == "delivery_succeeded"
    assert h.request("POST", "/api/v1/deliveries/dlv_01AAAAAAAAAAAAAAAAAAAAAAAA/retry", key).status == 404


def test_event_replay_to_all_or_one_webhook(hookd, key, receiver):
    r1, r2 = receiver(), receiver()
    w1 = hookd.create_webhook(key, r1.url)
    hookd.create_webhook(key, r2.url, ["user.*"])
    event = hookd.emit(key, "user.created")
    wait_until(lambda: len(r1.received()) == 1 and len(r2.received()) == 1)
    all_ = hookd.request("POST", f"/api/v1/events/{event['id']}/replay", key)
    assert all_.status == 202 and len(all_.json["data"]) == 2
    wait_until(lambda: len(r1.received()) == 2 and len(r2.received()) == 2)
    one = hookd.request("POST", f"/api/v1/events/{event['id']}/replay", key, {"webhook_id": w1["id"]})
    assert one.status == 202 and [d["webhook_id"] for d in one.json["data"]] == [w1["id"]]
    wait_until(lambda: len(r1.received()) == 3)
    assert {g["headers"]["webhook-id"] for g in r1.received()} == {event["id"]}  # receivers can dedupe
    assert len(hookd.request("GET", f"/api/v1/events/{event['id']}", key).json["deliveries"]) == 5


def test_bulk_retry_in_a_date_range(make_hookd, receiver):
    h = make_hookd("--retry-schedule", "none", "--disable-after", "0", "--circuit-threshold", "1000")
    _, key = h.create_account()
    r = receiver().always(500)
    w = h.create_webhook(key, r.url)
    h.request("POST", "/api/v1/events/batch", key, {"events": [{"type": "user.created"}] * 10})
    wait_until(lambda: statuses(h, key).count("dead") == 10)
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    dry = h.request("POST", f"/api/v1/webhooks/{w['id']}/retry?dry_run=true", key, {"status": "dead"})
    assert dry.status == 200 and dry.json == {"count": 10}
    none = h.request("POST", f"/api/v1/webhooks/{w['id']}/retry", key, {"until": "2000-01-01T00:00:00Z"})
    assert none.json == {"retried": 0}
    assert h.request("POST", f"/api/v1/webhooks/{w['id']}/retry", key, {"since": later}).status == 422
    r.always(200)
    done = h.request("POST", f"/api/v1/webhooks/{w['id']}/retry", key, {"since": "1h", "status": "dead"})
    assert done.status == 202 and done.json == {"retried": 10}
    wait_until(lambda: statuses(h, key).count("succeeded") == 10)
    assert h.request("POST", f"/api/v1/webhooks/{w['id']}/retry", key, {"status": "succeeded"}).status == 422
    assert h.request("POST", f"/api/v1/webhooks/{w['id']}/retry", key, {"since": "garbage"}).status == 422


def test_webhook_replay_recovers_events_missed_while_disabled(hookd, key, receiver):
    r = receiver()
    w = hookd.create_webhook(key, r.url, ["task.*"])
    hookd.emit(key, "task.created")
    wait_until(lambda: len(r.received()) == 1)
    hookd.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"active": False})
    missed = [hookd.emit(key, "task.updated")["id"] for _ in range(3)]
    hookd.emit(key, "user.created")  # not subscribed: never replayed
    assert hookd.request("POST", f"/api/v1/webhooks/{w['id']}/replay", key, {}).status == 409  # disabled
    hookd.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"active": True})
    since = hookd.request("GET", f"/api/v1/events/{missed[0]}", key).json["created"]
    replay = hookd.request("POST", f"/api/v1/webhooks/{w['id']}/replay", key, {"since": since})
    assert replay.status == 202 and replay.json == {"replayed": 3}
    wait_until(lambda: len(r.received()) == 4)
    # not ordered: the three may arrive in any order
    assert sorted(g["headers"]["webhook-id"] for g in r.received()[1:]) == sorted(missed)


def test_ordered_webhook_delivers_one_at_a_time_in_order(make_hookd, receiver):
    h = make_hookd("--retry-schedule", "100ms,100ms,100ms")
    _, key = h.create_account()
    r = receiver().fail_first(2, 500)
    r.hang(0.05)
    h.create_webhook(key, r.url, ordered=True)
    ids = [e["id"] for e in h.request("POST", "/api/v1/events/batch", key,
                                      {"events": [{"type": "user.created", "data": {"i": i}} for i in range(6)]}).json["data"]]
    wait_until(lambda: len(r.received()) == 8, message="2 failures + 6 deliveries")
    got = [g["headers"]["webhook-id"] for g in r.received()]
    assert got == [ids[0]] * 3 + ids[1:]
    times = [g["time"] for g in r.received()]
    assert all(b - a >= 0.045 for a, b in zip(times, times[1:]))  # never two in flight


def test_a_webhook_made_ordered_holds_new_deliveries_behind_one_already_waiting(make_hookd, receiver):
    h = make_hookd("--retry-schedule", "1s")
    _, key = h.create_account()
    r = receiver().fail_first(1, 500)
    w = h.create_webhook(key, r.url)  # not ordered yet
    first = h.emit(key)["id"]
    wait_until(lambda: len(r.received()) == 1)  # failed; its retry is a second away
    assert h.request("PATCH", f"/api/v1/webhooks/{w['id']}", key, {"ordered": True}).status == 200
    later = [h.emit(key)["id"] for _ in range(2)]
    wait_until(lambda: len(r.received()) == 4)
    assert [g["headers"]["webhook-id"] for g in r.received()] == [first, first] + later


def test_ordered_webhook_holds_behind_a_dead_one_and_survives_restart(tmp_path, receiver):
    args = ["--allow-http", "--allow-private-networks", "--retry-schedule", "300ms", "--circuit-threshold", "100"]
    r = receiver().always(503)
    h = Hookd(tmp_path / "h", args).start()
    _, key = h.create_account()
    h.create_webhook(key, r.url, ordered=True)
    ids = [h.emit(key, "user.created", {"i": i})["id"] for i in range(4)]
    wait_until(lambda: len(r.received()) >= 1)
    assert {g["headers"]["webhook-id"] for g in r.received()} == {ids[0]}
    h.kill9()
    first_attempts = len(r.received())
    r.always(200)
    h2 = Hookd(tmp_path / "h", args).start()
    try:
        wait_until(lambda: len(r.received()) >= first_attempts + 4, timeout=10)
        after = [g["headers"]["webhook-id"] for g in r.received()[first_attempts:]]
        assert after[-4:] == ids or after == ids, after
    finally:
        assert h2.stop() == 0


def test_retention_purges_old_rows_without_stopping_deliveries(make_hookd, receiver):
    h = make_hookd("--retention", "2s")
    _, key = h.create_account()
    r = receiver()
    h.create_webhook(key, r.url)
    old = h.emit(key)
    wait_until(lambda: len(r.received()) == 1)
    wait_until(lambda: h.request("GET", f"/api/v1/events/{old['id']}", key).status == 404, timeout=10,
               message="old event purged")
    assert h.deliveries(key) == []
    fresh = h.emit(key)
    wait_until(lambda: len(r.received()) == 2)
    assert h.request("GET", f"/api/v1/events/{fresh['id']}", key).status == 200


def test_stats_per_event_type_and_webhook(make_hookd, receiver):
    h = make_hookd("--retry-schedule", "none", "--disable-after", "0")
    _, key = h.create_account()
    ok, bad = receiver(), receiver().always(500)
    w_ok = h.create_webhook(key, ok.url, ["user.*"])
    h.create_webhook(key, bad.url, ["task.*"])
    for _ in range(3):
        h.emit(key, "user.created")
    h.emit(key, "task.completed")
    wait_until(lambda: len([s for s in statuses(h, key) if s in ("succeeded", "dead")]) == 4)
    stats = h.request("GET", "/api/v1/stats?since=1h", key).json
    assert (stats["total"], stats["succeeded"], stats["dead"]) == (4, 3, 1)
    by_type = {t["event_type"]: t for t in stats["event_types"]}
    assert by_type["user.created"]["succeeded"] == 3 and by_type["user.created"]["p50_latency_ms"] is not None
    assert by_type["user.created"]["p95_latency_ms"] >= by_type["user.created"]["p50_latency_ms"]
    assert by_type["task.completed"]["dead"] == 1 and by_type["task.completed"]["avg_attempts"] == 1
    assert sum(p["total"] for p in stats["series"]) == 4
    one = h.request("GET", f"/api/v1/webhooks/{w_ok['id']}/stats?since=24h", key).json
    assert (one["total"], one["success_rate"]) == (3, 1.0)
    assert h.request("GET", "/api/v1/stats?since=whenever", key).status == 422


def test_a_slow_endpoint_gets_more_connections_up_to_the_cap(make_hookd, receiver):
    # Each answer takes 200 ms: only concurrency lets the endpoint keep up, so hookd keeps many attempts in flight
    # to it, but never more than the cap of 32 (SPEC §4).
    h = make_hookd("--max-endpoint-rate", "1000")
    _, key = h.create_account()
    r = receiver().hang(0.2)
    h.create_webhook(key, r.url, rate_limit=1000)
    for _ in range(3):
        assert h.request("POST", "/api/v1/events/batch", key, {"events": [{"type": "user.created"}] * 200}).status == 202
    wait_until(lambda: len(r.received()) == 600, timeout=30, message="all 600 delivered")
    ids = [g["headers"]["webhook-id"] for g in r.received()]
    assert len(set(ids)) == 600
    arrivals = sorted(g["time"] for g in r.received())
    in_flight = [sum(1 for a in arrivals if t - 0.19 < a <= t) for t in arrivals]  # answered 0.2 s after arrival
    assert 16 <= max(in_flight) <= 32, max(in_flight)  # 32 when the machine is quiet


def test_broken_webhooks_do_not_delay_healthy_ones(make_hookd, receiver):
    h = make_hookd("--attempt-timeout", "3s", "--retry-schedule", "100ms,100ms")
    _, key = h.create_account()
    healthy, hanging, failing = receiver(), receiver().hang(10), receiver().always(500)
    h.create_webhook(key, healthy.url)
    h.create_webhook(key, hanging.url)
    h.create_webhook(key, failing.url)
    sent = {}
    for i in range(40):
        sent[h.emit(key, "user.created", {"i": i})["id"]] = time.time()
        time.sleep(0.01)
    wait_until(lambda: len(healthy.received()) == 40, timeout=10)
    lags = [g["time"] - sent[g["headers"]["webhook-id"]] for g in healthy.received()]
    assert max(lags) < 0.5 * SLOW, max(lags)


def test_bulk_retry_does_not_stall_other_traffic(make_hookd, receiver):
    h = make_hookd("--retry-schedule", "none", "--disable-after", "0", "--circuit-threshold", "100000",
                   "--max-endpoint-rate", "100000")
    _, key = h.create_account()
    r = receiver().always(500)
    w = h.create_webhook(key, r.url)
    for _ in range(3):
        assert h.request("POST", "/api/v1/events/batch", key, {"events": [{"type": "user.created"}] * 1000}).status == 202
    wait_until(lambda: h.request("POST", f"/api/v1/webhooks/{w['id']}/retry?dry_run=true", key,
                                 {"status": "dead"}).json["count"] == 3000, timeout=60, message="3000 dead deliveries")
    r.always(200)
    latencies, done = [], threading.Event()

    def probe():
        while not done.is_set():
            t = time.time()
            assert h.request("POST", "/api/v1/events", key, {"type": "task.created"}).status == 202
            latencies.append(time.time() - t)

    t = threading.Thread(target=probe)
    t.start()
    bulk = h.request("POST", f"/api/v1/webhooks/{w['id']}/retry", key, {"status": "dead"})
    done.set()
    t.join()
    assert bulk.json == {"retried": 3000}
    assert latencies and max(latencies) < 1.0 * SLOW, max(latencies)
    wait_until(lambda: h.request("GET", "/api/v1/stats?since=1h", key).json["succeeded"] == 3000 + len(latencies),
               timeout=60)


def test_slow_test_sends_cannot_occupy_the_api(make_hookd, receiver):
    h = make_hookd("--attempt-timeout", "3s")
    _, key = h.create_account()
    slow = receiver().hang(5)
    w = h.create_webhook(key, slow.url)
    results = []

    def send():
        results.append(h.request("POST", f"/api/v1/webhooks/{w['id']}/test", key, timeout=20))

    threads = [threading.Thread(target=send) for _ in range(40)]  # more than the 32 worker threads
    for t in threads:
        t.start()
    wait_until(lambda: len(slow.requests) >= 8, message="test sends in flight")
    started = time.time()
    assert h.request("GET", "/api/v1/webhooks", key).status == 200
    assert time.time() - started < 1.0 * SLOW  # the API still answers while the endpoint hangs
    for t in threads:
        t.join()
    busy = [r for r in results if r.status == 503]
    assert busy and all(r.json["error"]["code"] == "busy" and r.headers["retry-after"] for r in busy)
    timed_out = [r for r in results if r.status == 200]
    assert timed_out and all(r.json["error"] == "timeout" for r in timed_out)
