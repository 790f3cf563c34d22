"""Running hookd for real (SPEC §2): the configuration file, the admin token from a file, the separate metrics
address, one serve per SQLite database, and backups taken under load and restored with nothing lost."""
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request

import pytest

from harness import BACKEND, HOOKD_BIN, ROOT, SLOW, Hookd, free_port, wait_until

SQLITE_ONLY = pytest.mark.skipif(BACKEND != "sqlite", reason="the SQLite store's own commands")


def run(*args, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([HOOKD_BIN, *args], capture_output=True, text=True, timeout=120 * SLOW, env=full_env)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10 * SLOW) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_configuration_file_is_the_last_fallback_and_names_its_bad_lines(tmp_path):
    conf = tmp_path / "hookd.conf"
    conf.write_text("# hookd\nmax-endpoint-rate = 7\nallow-http = true\napi-rate-limit = \"0\"\n")
    h = Hookd(tmp_path / "h", ["--config", str(conf)], env={"HOOKD_MAX_ENDPOINT_RATE": "9"}).start()
    try:
        _, key = h.create_account()
        r = h.request("POST", "/api/v1/webhooks?verify=false", key, {"url": "http://example.com", "events": ["*"]})
        assert r.status == 201, r  # http:// accepted: allow-http came from the file
        assert r.json["rate_limit"] == 9  # the variable wins over the file
    finally:
        assert h.stop() == 0
    conf.write_text("max-endpoint-rate = 7\n\nretention = forever\n")
    r = run("serve", "--config", str(conf), "--data-dir", str(tmp_path / "x"))
    assert r.returncode == 2 and f"{conf}:3: retention" in r.stderr, r.stderr
    r = run("serve", "--data-dir", str(tmp_path / "x"), env={"HOOKD_CONFIG": str(tmp_path / "missing.conf")})
    assert r.returncode == 2 and "missing.conf" in r.stderr
    assert not (tmp_path / "x").exists()


def test_admin_token_comes_from_a_private_file_and_is_never_printed(tmp_path):
    token_file = tmp_path / "admin"
    token_file.write_text("hka_from_a_file_0123456789\n")
    token_file.chmod(0o646)
    r = run("serve", "--data-dir", str(tmp_path / "refused"), "--admin-token-file", str(token_file))
    assert r.returncode == 1 and "writable by every user" in r.stderr
    token_file.chmod(0o640)
    key_file = tmp_path / "master-key"
    key_file.write_text("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n")
    key_file.chmod(0o444)  # as container secrets often are: used, with a warning
    h = Hookd(tmp_path / "h", ["--admin-token-file", str(token_file), "--master-key-file", str(key_file)]).start()
    try:
        assert h.request("GET", "/api/v1/accounts", "hka_from_a_file_0123456789").status == 200
        assert not os.path.exists(tmp_path / "h" / "admin-token")
        assert not os.path.exists(tmp_path / "h" / "master.key")
        assert "readable by every user" in h.log()
    finally:
        assert h.stop() == 0
    assert "hka_from_a_file" not in h.log()
    # A generated token goes to its file; standard output (not a terminal here) names the file, not the token.
    generated = subprocess.Popen([HOOKD_BIN, "serve", "--data-dir", str(tmp_path / "g"), "--listen", "127.0.0.1:0"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = generated.stdout.readline()
    generated.terminate()
    rest = generated.communicate(timeout=30 * SLOW)[0]
    token = (tmp_path / "g" / "admin-token").read_text().strip()
    assert "admin-token" in first and token not in first + rest


def test_metrics_and_health_move_to_their_own_address(make_hookd):
    port = free_port()
    h = make_hookd("--metrics-listen", f"127.0.0.1:{port}")
    ops = f"http://127.0.0.1:{port}"
    status, body = get(ops + "/metrics")
    assert status == 200 and "hookd_" in body
    assert get(ops + "/healthz")[0] == 200 and get(ops + "/readyz")[0] == 200
    assert get(ops + "/api/v1/accounts")[0] == 404
    assert h.request("GET", "/metrics").status == 404  # no longer on the API address
    assert h.request("GET", "/healthz").status == 200  # the load balancer still checks the API address


@SQLITE_ONLY
def test_one_serve_per_sqlite_database(make_hookd):
    h = make_hookd()
    r = run("serve", "--data-dir", h.data_dir, "--listen", "127.0.0.1:0")
    assert r.returncode == 1 and "another hookd process" in r.stderr and str(h.proc.pid) in r.stderr


def test_backup_names_the_postgresql_tools_on_postgresql(tmp_path):
    r = run("backup", "--to", str(tmp_path / "b.db"), "--database", "postgres://nobody@127.0.0.1:1/none")
    assert r.returncode == 2 and "pg_dump" in r.stderr
    assert run("backup").returncode == 2 and run("restore").returncode == 2


@SQLITE_ONLY
def test_backup_under_load_restores_with_nothing_lost(make_hookd, receiver, tmp_path):
    rx = receiver()
    rx.always(503)  # so that the copy holds deliveries still to be made
    h = make_hookd("--retry-schedule", "5s,5s,5s", name="live")
    _, key = h.create_account()
    h.create_webhook(key, rx.url, description="backed up")
    accepted, stop = [], threading.Event()

    def emit():
        while not stop.is_set():
            accepted.append((time.monotonic(), h.emit(key, data={"n": len(accepted)})["id"]))

    emitter = threading.Thread(target=emit)
    emitter.start()
    try:
        wait_until(lambda: len(accepted) > 200, timeout=30 * SLOW, message="events flowing")
        started = time.monotonic()
        backup = tmp_path / "hookd-backup.db"
        r = run("backup", "--to", str(backup), "--data-dir", h.data_dir)
        assert r.returncode == 0, r.stderr
        summary = dict(line.split(": ", 1) for line in r.stdout.splitlines())
        assert int(summary["events"]) >= len([1 for t, _ in accepted if t < started]) and summary["webhooks"] == "1"
    finally:
        stop.set()
        emitter.join()
    before_backup = [event_id for t, event_id in accepted if t < started]
    assert oct(os.stat(backup).st_mode & 0o777) == "0o600"

    # While hookd serves, a restore changes nothing; so does a damaged copy or one under another master key.
    r = run("restore", "--from", str(backup), "--data-dir", h.data_dir)
    assert r.returncode == 1 and "stop it before restoring" in r.stderr
    assert h.stop() == 0
    rx.always(200)
    refused = len(rx.received("task.completed"))
    damaged = tmp_path / "damaged.db"
    shutil.copy(backup, damaged)
    with open(damaged, "r+b") as f:
        f.truncate(os.path.getsize(damaged) // 2)
    r = run("restore", "--from", str(damaged), "--data-dir", h.data_dir)
    assert r.returncode == 1 and "nothing was changed" in r.stderr
    stranger = tmp_path / "stranger"
    r = run("restore", "--from", str(backup), "--data-dir", str(stranger))
    assert r.returncode == 1 and "master.key" in r.stderr and not (stranger / "hookd.db").exists()
    stranger.mkdir()
    (stranger / "master.key").write_text("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
    r = run("restore", "--from", str(backup), "--data-dir", str(stranger))
    assert r.returncode == 1 and "does not open under this master key" in r.stderr

    # Restored onto a new machine's data directory with the same master key: every event accepted before the backup
    # began is there, and each is delivered (none had been: the receiver refused them all until now).
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy(os.path.join(h.data_dir, "master.key"), fresh / "master.key")
    r = run("restore", "--from", str(backup), "--data-dir", str(fresh))
    assert r.returncode == 0, r.stderr
    restored = Hookd(fresh, ["--allow-http", "--allow-private-networks", "--retry-schedule", "200ms"]).start()
    try:
        def all_delivered():
            for event_id in before_backup:
                r = restored.request("GET", f"/api/v1/events/{event_id}", key)
                assert r.status == 200, (event_id, r)
                if [d["status"] for d in r.json["deliveries"]] != ["succeeded"]:
                    return False
            return True

        wait_until(all_delivered, timeout=60 * SLOW, interval=0.5, message="every event of the backup delivered")
        answered = {json.loads(r["body"])["id"] for r in rx.received("task.completed")[refused:]}
        assert set(before_backup) <= answered
    finally:
        assert restored.stop() == 0

    # Restoring over a database moves the current one aside.
    r = run("restore", "--from", str(backup), "--data-dir", h.data_dir)
    assert r.returncode == 0, r.stderr
    assert "previous database kept at" in r.stdout
    assert any(name.startswith("hookd.db.before-restore-") for name in os.listdir(h.data_dir))


def test_the_compose_file_sets_only_real_settings():
    """deploy/compose.yaml is documentation a reader runs: every HOOKD_* variable it sets is one of serve's flags,
    every role is one hookd knows, and the API and both workers share one database and one set of secrets."""
    import yaml

    compose = yaml.safe_load(open(os.path.join(ROOT, "deploy", "compose.yaml")))
    flags = set(re.findall(r"^  --([a-z-]+)", run("serve", "--help").stdout, re.M))
    hookd = {name: s for name, s in compose["services"].items() if name != "postgres"}
    assert sorted(s["environment"]["HOOKD_ROLE"] for s in hookd.values()) == ["api", "worker", "worker"]
    for service in hookd.values():
        for variable in service["environment"]:
            assert variable.startswith("HOOKD_") and variable[6:].lower().replace("_", "-") in flags, variable
        for secret in service["environment"].values():
            if str(secret).startswith("/run/secrets/"):
                assert secret.rsplit("/", 1)[1] in compose["secrets"], secret
    assert len({s["environment"]["HOOKD_DATABASE"] for s in hookd.values()}) == 1
