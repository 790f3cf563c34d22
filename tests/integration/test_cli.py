"""The subcommands of SPEC §2: version, migrate, account create, listen, trigger, and flag/environment handling."""
import json
import os
import subprocess
import time

from harness import (BACKEND, HOOKD_BIN, SLOW, Hookd, database_args, free_port, verify_standard_webhooks,
                     wait_until)


def run(*args, env=None, cwd=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([HOOKD_BIN, *args], capture_output=True, text=True, timeout=60 * SLOW, env=full_env, cwd=cwd)


def test_version_and_usage():
    r = run("version")
    assert r.returncode == 0 and r.stdout.startswith("hookd ")
    assert run("frobnicate").returncode == 2
    assert "--retry-schedule" in run("serve", "--help").stdout
    for bad in (["--json"], ["--markdown", "extra"]):
        refused = run("catalog", *bad)
        assert refused.returncode == 2 and "usage: hookd catalog" in refused.stderr and refused.stdout == ""


def test_bad_flags_fail_fast_with_a_message(tmp_path):
    r = run("serve", "--data-dir", str(tmp_path), "--retry-schedule", "often")
    assert r.returncode == 2 and "--retry-schedule" in r.stderr
    r = run("serve", "--data-dir", str(tmp_path), env={"HOOKD_ATTEMPT_TIMEOUT": "forever"})
    assert r.returncode == 2 and "HOOKD_ATTEMPT_TIMEOUT" in r.stderr
    r = run("serve", "--data-dir", str(tmp_path), "--attempt-timeout", "20s", "--lease-duration", "15s")
    assert r.returncode == 2 and "--lease-duration" in r.stderr and "--attempt-timeout" in r.stderr
    # The roles of many processes need a shared PostgreSQL; on SQLite nothing is created before the refusal.
    r = run("serve", "--data-dir", str(tmp_path / "worker"), "--role", "worker")
    assert r.returncode == 2 and "PostgreSQL" in r.stderr
    assert not (tmp_path / "worker").exists()


def test_environment_variables_configure_serve(tmp_path):
    port = free_port()
    h = Hookd(tmp_path / "h", env={"HOOKD_LISTEN": f"127.0.0.1:{port}", "HOOKD_MAX_ENDPOINT_RATE": "7"})
    h.start(port=port)  # --listen from start() wins over HOOKD_LISTEN; same port either way
    try:
        _, key = h.create_account()
        r = h.request("POST", "/api/v1/webhooks?verify=false", key, {"url": "https://example.com", "events": ["*"]})
        assert r.json["rate_limit"] == 7
        assert h.request("POST", "/api/v1/webhooks?verify=false", key,
                         {"url": "https://example.com", "events": ["*"], "rate_limit": 8}).status == 422
    finally:
        assert h.stop() == 0


def test_migrate_then_account_create_then_serve(tmp_path):
    data = str(tmp_path / "d")
    database = database_args(data, [])
    r = run("migrate", "--data-dir", data, *database)
    assert r.returncode == 0, r.stderr
    if BACKEND == "sqlite":
        assert os.path.exists(os.path.join(data, "hookd.db"))
    r = run("account", "create", "--name", "Acme", "--email", "ops@acme.test", "--data-dir", data, *database)
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(": ", 1) for line in r.stdout.strip().splitlines())
    assert lines["account_id"].startswith("acc_") and lines["api_key"].startswith("hk_")
    assert run("account", "create", "--data-dir", data).returncode == 2
    h = Hookd(data).start()
    try:
        own = h.request("GET", "/api/v1/account", lines["api_key"])
        assert own.status == 200 and own.json["name"] == "Acme" and own.json["id"] == lines["account_id"]
    finally:
        assert h.stop() == 0


def test_listen_verifies_real_deliveries(make_hookd):
    h = make_hookd()
    _, key = h.create_account()
    port = free_port()
    created = h.request("POST", "/api/v1/webhooks?verify=false", key,
                        {"url": f"http://127.0.0.1:{port}/", "events": ["*"]}).json
    listener = subprocess.Popen([HOOKD_BIN, "listen", "--port", str(port), "--secret", created["secret"]],
                                stdout=subprocess.PIPE, text=True)
    try:
        assert "receiving on" in listener.stdout.readline()
        h.emit(key, "user.created", {"name": "Ada"})
        line = listener.stdout.readline()
        assert line.split(" ")[1:3] == ["verified", "user.created"] and " evt_" in line, line
        assert '"name":"Ada"' in listener.stdout.readline()
        wait_until(lambda: [d for d in h.deliveries(key) if d["status"] == "succeeded"])
        # A webhook with another secret is rejected by the listener, and the delivery fails.
        other = h.request("POST", "/api/v1/webhooks?verify=false", key,
                          {"url": f"http://127.0.0.1:{port}/", "events": ["task.*"]}).json
        assert other["secret"] != created["secret"]
        h.emit(key, "task.created")  # reaches both webhooks: one signed with the listener's secret, one not
        verdicts = []
        for _ in range(2):
            verdicts.append(listener.stdout.readline().split(" ")[1])  # the verdict line
            listener.stdout.readline()  # the body line
        assert sorted(verdicts) == ["REJECTED", "verified"], verdicts
    finally:
        listener.terminate()
        listener.wait(timeout=10)
    assert run("listen", "--port", "1", "--secret", "nope").returncode == 2
    time.sleep(0)


def test_trigger_emits_the_example_payload_or_the_given_data_and_names_what_went_wrong(hookd, key, receiver):
    r = receiver()
    hookd.create_webhook(key, r.url, events=["task.*"])
    done = run("trigger", "task.completed", "--server", hookd.base, "--api-key", key)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Triggered task.completed: evt_") and "(1 deliveries)" in done.stdout, done.stdout
    wait_until(lambda: r.received())
    got = r.received()[0]
    assert json.loads(got["body"])["data"]["task"]["status"] == "done", got["body"]  # the catalog's example

    done = run("trigger", "task.created", "--data", '{"task": {"id": "t1"}}', env={"HOOKD_SERVER": hookd.base,
                                                                                 "HOOKD_API_KEY": key})
    assert done.returncode == 0, done.stderr
    wait_until(lambda: len(r.received()) == 2)
    assert json.loads(r.received()[1]["body"])["data"] == {"task": {"id": "t1"}}

    wrong = run("trigger", "task.created", "--server", hookd.base, "--api-key", "hk_" + "0" * 48)
    assert wrong.returncode == 1 and "refused the API key" in wrong.stderr
    down = run("trigger", "task.created", "--server", f"http://127.0.0.1:{free_port()}", "--api-key", key)
    assert down.returncode == 1 and "cannot reach" in down.stderr, down.stderr
    unknown = run("trigger", "nope.nothing", "--server", hookd.base, "--api-key", key)
    assert unknown.returncode == 1 and "type" in unknown.stderr and "422" in unknown.stderr, unknown.stderr
    assert run("trigger", "task.created", "--data", "[1]", "--api-key", key).returncode == 2
    assert run("trigger").returncode == 2


def test_listen_with_an_api_key_makes_a_temporary_webhook_forwards_each_delivery_and_cleans_up(make_hookd, receiver,
                                                                                               tmp_path):
    h = make_hookd()
    _, key = h.create_account()
    app = receiver()  # the developer's own handler
    listener = subprocess.Popen([HOOKD_BIN, "listen", "--server", h.base, "--api-key", key, "--events", "task.*",
                                 "--forward-to", app.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = listener.stdout.readline()
        assert ready.startswith("Ready! Your webhook signing secret is whsec_"), ready + listener.stderr.read()
        secret = ready.split(" is ", 1)[1].split(" ", 1)[0]
        assert "receiving on" in listener.stdout.readline()
        webhooks = h.request("GET", "/api/v1/webhooks", key).json["data"]
        assert len(webhooks) == 1 and webhooks[0]["events"] == ["task.*"]
        event = h.emit(key, "task.completed", {"n": 7})
        h.emit(key, "user.created")  # not the listener's
        line = listener.stdout.readline()
        assert line.split(" ")[1:4] == ["verified", "task.completed", event["id"]], line
        assert f"-> {app.url} 200" in line, line
        wait_until(lambda: app.received())
        forwarded = app.received()[0]
        assert json.loads(forwarded["body"])["data"] == {"n": 7}
        assert forwarded["headers"]["webhook-id"] == event["id"] and forwarded["headers"]["webhook-signature"]
        # The original signature verifies with the secret the listener printed: the app can check it itself.
        assert verify_standard_webhooks(secret, forwarded["headers"], forwarded["body"])
        wait_until(lambda: [d for d in h.deliveries(key) if d["status"] == "succeeded"])
    finally:
        listener.send_signal(2)  # Ctrl-C
        listener.wait(timeout=10 * SLOW)
    assert listener.returncode == 0, listener.stderr.read()
    assert "Deleted the temporary webhook" in listener.stdout.read()
    assert h.request("GET", "/api/v1/webhooks", key).json["data"] == []


def test_listen_names_what_it_needs_from_the_server(tmp_path):
    strict = Hookd(tmp_path / "strict").start()  # neither --allow-http nor --allow-private-networks
    try:
        _, key = strict.create_account()
        done = run("listen", "--server", strict.base, "--api-key", key)
        assert done.returncode == 1 and "--allow-http --allow-private-networks" in done.stderr, done.stderr
        done = run("listen", "--server", strict.base, "--api-key", "hk_" + "0" * 48)
        assert done.returncode == 1 and "refused the API key" in done.stderr, done.stderr
        done = run("listen", "--server", f"http://127.0.0.1:{free_port()}", "--api-key", key)
        assert done.returncode == 1 and "cannot reach" in done.stderr, done.stderr
    finally:
        assert strict.stop() == 0
    assert run("listen").returncode == 2  # neither a secret nor a key
