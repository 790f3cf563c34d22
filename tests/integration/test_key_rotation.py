"""`hookd rotate-master-key` (SPEC §2) mid-delivery: events flow while every webhook secret is sealed again under a
new master key; every delivery is made and signed with the webhook's own secret throughout; processes that still
hold the old key keep serving (on PostgreSQL, a second process that is never restarted during the rotation); once
every process has the new key, `--finish` shuts the old key out. Runs on both backends."""
import base64
import os
import subprocess
import threading
import time

from harness import BACKEND, hookd_command, PostgresServer, SLOW, verify_standard_webhooks, wait_until


def rotate(*args):
    return subprocess.run(hookd_command("rotate-master-key", *args), capture_output=True, text=True, timeout=120)


def put_secret(path, content):
    path.write_text(content + "\n")
    path.chmod(0o600)


def test_rotating_the_master_key_mid_delivery_loses_nothing(make_hookd, receiver, tmp_path):
    rx = receiver()
    old_key = base64.b64encode(os.urandom(32)).decode()
    new_key = base64.b64encode(os.urandom(32)).decode()
    database = []
    if BACKEND == "postgres":
        database = ["--database", PostgresServer.shared().database_for(str(tmp_path / "shared"))]
    names = ["node0", "node1"] if BACKEND == "postgres" else ["node0"]
    for name in names:
        (tmp_path / name).mkdir(mode=0o700)
        put_secret(tmp_path / name / "master.key", old_key)
        put_secret(tmp_path / name / "admin-token", "hka_" + "ab" * 24)
    args = ["--retry-schedule", "200ms,400ms", *database]
    nodes = [make_hookd(*args, name=name) for name in names]
    _, key = nodes[0].create_account()
    secrets = {}
    for n in range(3):
        created = nodes[0].create_webhook(key, rx.url + f"/{n}")
        secrets[f"/hook/{n}"] = created["secret"]

    accepted, stop = [], threading.Event()

    def emit():
        while not stop.is_set():
            node = nodes[len(accepted) % len(nodes)]
            accepted.append(node.emit(key, data={"n": len(accepted)})["id"])
            time.sleep(0.01)

    emitter = threading.Thread(target=emit)
    emitter.start()
    try:
        wait_until(lambda: len(accepted) > 50, timeout=30 * SLOW, message="events flowing")
        new_key_file = tmp_path / "new.key"
        put_secret(new_key_file, new_key)
        holder = {}
        rotation = threading.Thread(target=lambda: holder.update(r=rotate(
            "--new-key-file", str(new_key_file), "--data-dir", str(tmp_path / "node0"), *database)))
        rotation.start()
        # A webhook created while the rotation runs is sealed under whichever key is current, and is re-sealed.
        time.sleep(1)
        created = nodes[-1].create_webhook(key, rx.url + "/late")
        secrets["/hook/late"] = created["secret"]
        rotation.join()
        r = holder["r"]
        assert r.returncode == 0, r.stdout + r.stderr
        assert "rotated: every secret is sealed under key" in r.stdout and "replaced" in r.stdout
        assert (tmp_path / "node0" / "master.key").read_text().strip() == new_key
        assert oct(os.stat(tmp_path / "node0" / "master.key").st_mode & 0o777) == "0o600"
        time.sleep(1)
    finally:
        stop.set()
        emitter.join()

    expected = len(accepted) * 3  # every event to each of the three webhooks made before

    def delivered():
        got = {}
        for req in rx.received("task.completed"):
            got.setdefault(req["path"], set()).add(req["headers"]["webhook-id"])
        return sum(len(got.get(f"/hook/{n}", ())) for n in range(3)) >= expected

    wait_until(delivered, timeout=60 * SLOW, interval=0.5, message="every event delivered to every webhook")
    for req in rx.received("task.completed"):
        assert verify_standard_webhooks(secrets[req["path"]], req["headers"], req["body"]), req["path"]
    assert any(req["path"] == "/hook/late" for req in rx.received("task.completed"))

    # Every process still serves: the ones started with the old key learned the new one from the store. A process
    # may start with either key until the rotation is finished; finishing takes the new key.
    for node in nodes:
        assert node.request("GET", "/api/v1/webhooks", key).status == 200
    r = rotate("--finish", "--data-dir", str(tmp_path / names[-1]), *database)
    if BACKEND == "postgres":
        assert r.returncode == 1 and "not the one given" in r.stderr, r.stdout + r.stderr
        put_secret(tmp_path / "node1" / "master.key", new_key)
        assert nodes[1].stop() == 0
        nodes[1] = make_hookd(*args, name="node1")
        r = rotate("--finish", "--data-dir", str(tmp_path / "node1"), *database)
    assert r.returncode == 0 and "finished" in r.stdout, r.stdout + r.stderr

    # Afterwards the old key opens nothing, and the processes deliver under the new one.
    own_database = database or ["--database", "sqlite:" + str(tmp_path / "node0" / "hookd.db")]
    r = subprocess.run(hookd_command("migrate", "--data-dir", str(tmp_path / "stale"), "--master-key", old_key,
                        *own_database), capture_output=True, text=True)
    assert r.returncode != 0 and "master key" in r.stderr, r.stdout + r.stderr
    before = len(rx.received("task.completed"))
    nodes[0].emit(key, data={"after": True})
    wait_until(lambda: len(rx.received("task.completed")) >= before + 4, timeout=30 * SLOW, message="after rotation")
    for req in rx.received("task.completed")[before:]:
        assert verify_standard_webhooks(secrets[req["path"]], req["headers"], req["body"])


def test_rotation_refuses_bad_input_and_changes_nothing(tmp_path):
    data = tmp_path / "data"
    assert rotate("--data-dir", str(data)).returncode == 2  # neither --new-key-file nor --finish
    short = tmp_path / "short.key"
    put_secret(short, base64.b64encode(os.urandom(16)).decode())
    r = rotate("--new-key-file", str(short), "--data-dir", str(data))
    assert r.returncode == 2 and "32 bytes" in r.stderr
    r = rotate("--new-key-file", str(tmp_path / "missing.key"), "--data-dir", str(data))
    assert r.returncode == 2 and "missing.key" in r.stderr
    both = tmp_path / "ok.key"
    put_secret(both, base64.b64encode(os.urandom(32)).decode())
    assert rotate("--new-key-file", str(both), "--finish", "--data-dir", str(data)).returncode == 2
    assert not (data / "master.key").exists()  # nothing was opened or generated
