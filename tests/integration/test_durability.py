"""Durability and restarts (SPEC §4 guarantees): every accepted event is delivered after kill -9; a graceful stop
finishes in-flight work; unfinished deliveries resume on start."""
import sqlite3
import threading
import time

from harness import BACKEND, Hookd, PostgresServer, SLOW, free_port, wait_until


def emit_from_threads(h, key, threads, per_thread=None, stop=None):
    """Emits user.created events from several threads, each until it sent `per_thread` or `stop` is set (or the
    server died mid-request: that event was never acknowledged). Returns the ids hookd answered 202 for."""
    accepted = []

    def emit():
        i = 0
        while (per_thread is None or i < per_thread) and not (stop and stop.is_set()):
            try:
                res = h.request("POST", "/api/v1/events", key, {"type": "user.created", "data": {"i": i}}, timeout=5)
            except Exception:
                return
            if res.status == 202:
                accepted.append(res.json["id"])
            i += 1

    workers = [threading.Thread(target=emit) for _ in range(threads)]
    for t in workers:
        t.start()
    return accepted, workers


def test_kill9_with_pending_deliveries_loses_nothing(tmp_path, receiver):
    r = receiver().always(503)  # the receiver is "down": everything stays pending
    args = ["--allow-http", "--allow-private-networks", "--retry-schedule", "300ms,300ms,300ms,300ms,300ms,300ms",
            "--circuit-cooldown", "200ms"]
    h = Hookd(tmp_path / "h", args).start()
    _, key = h.create_account()
    h.create_webhook(key, r.url)
    h.create_webhook(key, r.url, ["user.*"])
    accepted, threads = emit_from_threads(h, key, 4, per_thread=40)
    for t in threads:
        t.join()
    assert len(accepted) == 160
    h.kill9()
    r.always(200)
    h2 = Hookd(tmp_path / "h", args).start()
    try:
        wait_until(lambda: len({(g["headers"]["webhook-id"], g["headers"]["x-webhook-id"])
                                for g in r.received() if g["headers"]["x-webhook-attempt"] and True}) >= 320,
                   timeout=30, message="every accepted event delivered to both webhooks")
        delivered = {(g["headers"]["webhook-id"], g["headers"]["x-webhook-id"]) for g in r.received()}
        assert {evt for evt, _ in delivered} == set(accepted)
        wait_until(lambda: len(h2.deliveries(key, "?status=succeeded&limit=1000")) == 320, timeout=20)
    finally:
        assert h2.stop() == 0


def test_kill9_during_a_burst_keeps_every_202(tmp_path, receiver):
    r = receiver()
    args = ["--allow-http", "--allow-private-networks"]
    h = Hookd(tmp_path / "h", args).start()
    _, key = h.create_account()
    h.create_webhook(key, r.url)
    stop = threading.Event()
    accepted, threads = emit_from_threads(h, key, 4, stop=stop)
    time.sleep(1.0 * SLOW)
    h.kill9()
    stop.set()
    for t in threads:
        t.join()
    assert accepted
    h2 = Hookd(tmp_path / "h", args).start()
    try:
        wait_until(lambda: set(accepted) <= {g["headers"]["webhook-id"] for g in r.received()}, timeout=30,
                   message="every acknowledged event delivered after the crash")
        for evt in accepted[:20]:
            assert h2.request("GET", f"/api/v1/events/{evt}", key).status == 200
    finally:
        assert h2.stop() == 0


def test_kill9_before_any_outcome_keeps_every_delivery_once(tmp_path, receiver):
    # A delivery's row is written with its first outcome; until then the event's awaiting row holds it. Here every
    # attempt hangs, so no outcome is recorded before the crash.
    r = receiver()
    args = ["--allow-http", "--allow-private-networks"]
    h = Hookd(tmp_path / "h", args).start()
    _, key = h.create_account()
    h.create_webhook(key, r.url)
    h.create_webhook(key, r.url)
    r.hang(60)
    accepted = [h.emit(key, data={"i": i})["id"] for i in range(20)]
    h.kill9()

    if BACKEND == "postgres":
        with_rows = set(PostgresServer.shared().psql("SELECT DISTINCT event_id FROM deliveries",
                                                     h.database_url()).split())
        awaiting = set()
    else:
        with sqlite3.connect(tmp_path / "h" / "hookd.db") as db:
            with_rows = {e for (e,) in db.execute("SELECT DISTINCT event_id FROM deliveries")}
            awaiting = {e for (e,) in db.execute("SELECT event_id FROM events_awaiting_deliveries")}
    assert set(accepted) <= with_rows | awaiting, "every 202 left its deliveries on disk"

    r.hang(0)
    restarted = time.time()
    h2 = Hookd(tmp_path / "h", args).start()
    try:
        def delivered_since_restart():
            return {g["headers"]["webhook-id"] for g in r.received() if g["time"] >= restarted}

        wait_until(lambda: set(accepted) <= delivered_since_restart(), timeout=30,
                   message="every acknowledged event delivered after the crash")
        for evt in accepted:
            wait_until(lambda: [d["status"] for d in h2.request("GET", f"/api/v1/events/{evt}", key).json["deliveries"]]
                       == ["succeeded", "succeeded"], timeout=20, message=f"{evt}: two deliveries, both succeeded")
        assert len(h2.deliveries(key, "?limit=1000")) == 40
    finally:
        assert h2.stop() == 0


def test_graceful_stop_finishes_in_flight_attempts(tmp_path, receiver):
    r = receiver().hang(1)
    args = ["--allow-http", "--allow-private-networks", "--attempt-timeout", "5s"]
    h = Hookd(tmp_path / "h", args).start()
    _, key = h.create_account()
    h.create_webhook(key, r.url)
    h.emit(key)
    wait_until(lambda: r.received(), message="attempt in flight")
    assert h.stop() == 0  # SIGTERM while the receiver is still answering
    h2 = Hookd(tmp_path / "h", args).start()
    try:
        r.hang(0)
        time.sleep(0.5 * SLOW)
        deliveries = h2.deliveries(key)
        assert deliveries[0]["status"] == "succeeded", deliveries
        assert len(r.received()) == 1  # recorded before exit, so not sent again
    finally:
        assert h2.stop() == 0


def test_restart_resumes_scheduled_retries(tmp_path, receiver):
    r = receiver().fail_first(1, 500)
    args = ["--allow-http", "--allow-private-networks", "--retry-schedule", "2s"]
    h = Hookd(tmp_path / "h", args).start()
    _, key = h.create_account()
    h.create_webhook(key, r.url)
    h.emit(key)
    wait_until(lambda: [d for d in h.deliveries(key) if d["status"] == "failed"], message="first attempt failed")
    assert h.stop() == 0
    h2 = Hookd(tmp_path / "h", args).start()
    try:
        wait_until(lambda: [d for d in h2.deliveries(key) if d["status"] == "succeeded"], timeout=10)
        assert [g["headers"]["x-webhook-attempt"] for g in r.received()] == ["1", "2"]
    finally:
        assert h2.stop() == 0


def test_data_dir_credentials_are_private_and_stable(tmp_path):
    import os
    import stat
    h = Hookd(tmp_path / "h", ["--listen", f"127.0.0.1:{free_port()}"]).start()
    token = h.admin_token
    assert h.stop() == 0
    for name in ("admin-token", "master.key"):
        mode = stat.S_IMODE(os.stat(tmp_path / "h" / name).st_mode)
        assert mode == 0o600, (name, oct(mode))
    h2 = Hookd(tmp_path / "h").start()
    try:
        assert h2.admin_token == token
        assert h2.request("GET", "/api/v1/accounts", token).status == 200
    finally:
        assert h2.stop() == 0
