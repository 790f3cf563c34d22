"""What only the PostgreSQL backend can go through: the server restarted under load, hookd's connections
terminated, the server unreachable at start, and a schema newer than the binary. Runs with
HOOKD_TEST_BACKEND=postgres (make integration runs the suite on both backends)."""
import base64
import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

from harness import BACKEND, POOLER, ROOT, free_port, Hookd, hookd_command, PostgresServer, SLOW, wait_until

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL backend only")


def post_events_until(h, key, stop, accepted, statuses):
    i = 0
    while not stop.is_set():
        try:
            r = h.request("POST", "/api/v1/events", key, {"type": "task.completed", "data": {"i": i}}, timeout=10)
        except OSError:
            statuses.append("connection error")
            continue
        statuses.append(r.status)
        if r.status == 202:
            accepted.append(r.json["id"])
        elif r.status == 503:
            assert r.headers.get("retry-after") == "1", r  # as the server's own 503s say
            time.sleep(0.05)
        i += 1


def test_a_restart_of_postgres_under_load_loses_no_accepted_event_and_never_answers_500(make_hookd, key, hookd,
                                                                                      receiver):
    r = receiver()
    hookd.create_webhook(key, r.url)
    PostgresServer.shared().checkpoint()
    stop, accepted, statuses = threading.Event(), [], []
    threads = [threading.Thread(target=post_events_until, args=(hookd, key, stop, accepted, statuses))
               for _ in range(4)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: len(accepted) > 100, message="events accepted before the restart")
        PostgresServer.shared().restart_immediate()  # no checkpoint: crash recovery on start
        before = len(accepted)
        try:
            wait_until(lambda: len(accepted) > before + 100, timeout=30, message="events accepted after the restart")
        except AssertionError as e:
            raise AssertionError(f"{e}; answers {sorted(set(map(str, statuses)))}; log:\n{hookd.log_events()[-8000:]}") from e
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert 500 not in statuses and "connection error" not in statuses, sorted(set(map(str, statuses)))
    try:
        wait_until(lambda: set(accepted) <= {g["headers"]["webhook-id"] for g in r.received()}, timeout=40,
                   message="every acknowledged event delivered")
    except AssertionError as e:
        missing = set(accepted) - {g["headers"]["webhook-id"] for g in r.received()}
        raise AssertionError(f"{e}: {len(missing)} of {len(accepted)} missing; log:\n{hookd.log_events()[-8000:]}") from e
    # And the log holds every outcome: nothing is left pending or failed.
    wait_until(lambda: not hookd.deliveries(key, "?status=pending&limit=1")
               and not hookd.deliveries(key, "?status=failed&limit=1"), timeout=30, message="every outcome recorded")


def test_terminated_connections_are_replaced_within_seconds(hookd, key, receiver):
    r = receiver()
    hookd.create_webhook(key, r.url)
    hookd.emit(key)
    wait_until(lambda: len(r.received()) == 1)
    server = PostgresServer.shared()
    # Directly, hookd's own sessions (at least the two writers); behind a pooler, the pooler's server sessions too.
    killed = server.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
                         "current_database() AND pid <> pg_backend_pid() AND (application_name = 'hookd' OR "
                         f"{'true' if POOLER else 'false'})", server.direct_url(hookd.database_url()))
    assert int(killed) >= 2, killed
    started = time.time()
    evt = None
    while time.time() - started < 5 * SLOW:
        resp = hookd.request("POST", "/api/v1/events", key, {"type": "task.completed", "data": {}})
        assert resp.status in (202, 503), resp
        if resp.status == 202:
            evt = resp.json["id"]
            break
        time.sleep(0.1)
    assert evt, "hookd did not recover within 5 seconds"
    wait_until(lambda: evt in {g["headers"]["webhook-id"] for g in r.received()}, message="delivered after recovery")
    assert hookd.request("GET", "/api/v1/webhooks", key).status == 200


def test_an_unreachable_database_at_start_is_a_clear_error(tmp_path):
    url = f"postgres://postgres@127.0.0.1:{free_port()}/hookd"
    done = subprocess.run(hookd_command("serve", "--data-dir", str(tmp_path), "--database", url, "--listen",
                           "127.0.0.1:0"), capture_output=True, text=True, timeout=30 * SLOW)
    assert done.returncode != 0
    assert "cannot connect to PostgreSQL" in done.stderr and "Connection refused" in done.stderr, done.stderr


def test_a_password_in_the_url_is_never_printed(tmp_path):
    url = f"postgres://hookd:s3cr3t-pw@127.0.0.1:{free_port()}/hookd?sslmode=disable"
    done = subprocess.run(hookd_command("migrate", "--data-dir", str(tmp_path), "--database", url),
                          capture_output=True, text=True, timeout=30 * SLOW)
    assert done.returncode != 0
    assert "s3cr3t-pw" not in done.stdout + done.stderr


def test_a_schema_newer_than_the_binary_is_refused(tmp_path):
    h = Hookd(tmp_path / "h").start()
    assert h.stop() == 0
    PostgresServer.shared().psql("INSERT INTO hookd_schema_migrations(version, applied_at) VALUES (999, 0)",
                                 h.database_url())
    done = subprocess.run(hookd_command("serve", "--data-dir", str(tmp_path / "h"), "--database", h.database_url(),
                           "--listen", "127.0.0.1:0"), capture_output=True, text=True, timeout=30 * SLOW)
    assert done.returncode != 0
    assert "schema version 999 is newer than this hookd supports" in done.stderr, done.stderr


def test_processes_starting_together_migrate_once(tmp_path):
    url = PostgresServer.shared().database_for(str(tmp_path / "shared"))
    key = base64.b64encode(os.urandom(32)).decode()  # one deployment: one master key
    runs = [subprocess.Popen(hookd_command("migrate", "--data-dir", str(tmp_path / f"d{i}"), "--database", url,
                              "--master-key", key), stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(4)]
    for p in runs:
        out, err = p.communicate(timeout=60 * SLOW)
        assert p.returncode == 0, err
    versions = PostgresServer.shared().psql("SELECT count(*), count(DISTINCT version) FROM hookd_schema_migrations",
                                            url)
    assert versions.split("|")[0] == versions.split("|")[1], versions


def test_processes_with_another_master_key_are_refused(tmp_path):
    url = PostgresServer.shared().database_for(str(tmp_path / "shared-key"))
    first = Hookd(tmp_path / "a", ["--database", url]).start()
    assert first.stop() == 0
    done = subprocess.run(hookd_command("serve", "--data-dir", str(tmp_path / "b"), "--database", url, "--listen",
                           "127.0.0.1:0"), capture_output=True, text=True, timeout=30 * SLOW)
    assert done.returncode != 0
    assert "master key differs" in done.stderr, done.stderr
    with open(tmp_path / "a" / "master.key") as f:
        same_key = f.read().strip()
    second = Hookd(tmp_path / "c", ["--database", url, "--master-key", same_key]).start()
    assert second.stop() == 0


def test_through_pgbouncer_in_session_mode_nothing_needs_saying(tmp_path, make_hookd, receiver):
    """Session mode gives each client connection its own server session, so hookd runs unchanged behind it: named
    statements, LISTEN and the maintenance lock all work (transaction mode is the other pass of the whole suite)."""
    server = PostgresServer.shared()
    bouncer_dir = tempfile.mkdtemp(prefix="hookd-pgbouncer-")  # PgBouncer runs as postgres, outside tmp_path's 0700
    os.chmod(bouncer_dir, 0o755)
    port = free_port()
    url = subprocess.check_output([os.path.join(ROOT, "scripts/pgbouncer.sh"), "start", str(bouncer_dir),
                                   str(server.port), str(port), "session"]).decode().strip()
    try:
        database = server.direct_url(server.database_for(str(tmp_path / "session")))
        through = url.rsplit("/", 1)[0] + "/" + database.rsplit("/", 1)[1]
        h = make_hookd("--database", through, "--retry-schedule", "200ms", "--lease-duration", "4s",
                       "--attempt-timeout", "2s")
        _, key = h.create_account()
        rx = receiver().fail_first(1)
        h.create_webhook(key, rx.url)
        accepted = [h.emit(key, data={"n": n})["id"] for n in range(20)]
        wait_until(lambda: {r["headers"]["webhook-id"] for r in rx.received()} >= set(accepted), timeout=30 * SLOW,
                   message="every event delivered through the session pooler")
        assert "prepared statement" not in h.log()
    finally:
        subprocess.run([os.path.join(ROOT, "scripts/pgbouncer.sh"), "stop", str(bouncer_dir)])
        shutil.rmtree(bouncer_dir, ignore_errors=True)
