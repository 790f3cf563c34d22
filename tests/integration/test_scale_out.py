"""Scale-out (SPEC §6): three hookd processes share one PostgreSQL and are killed, paused and restarted (PostgreSQL
too) under load, while real receivers count every delivery: nothing accepted is lost, duplicates come only from
attempts in flight, and rate limits, order and circuits hold across processes. Runs with HOOKD_TEST_BACKEND=postgres."""
import base64
import os
import re
import signal
import threading
import time

import pytest

from harness import BACKEND, SLOW, PostgresServer, wait_until

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL backend only")

LEASE = 4  # --lease-duration, in seconds: how long a dead worker's shards wait before they move


class Cluster:
    """Processes sharing one database, master key and admin token (the same files in each one's data dir, as an
    operator would copy them); each with its own data dir, worker name and port."""

    def __init__(self, make_hookd, tmp_path, roles, extra):
        self.tmp_path = tmp_path
        self.database = PostgresServer.shared().database_for(str(tmp_path / "cluster"))
        self.master_key = base64.b64encode(os.urandom(32)).decode()
        self.admin_token = "hka_" + os.urandom(24).hex()
        self.args = ["--database", self.database, "--attempt-timeout", "2s", "--lease-duration", f"{LEASE}s",
                     "--retry-schedule", "200ms,400ms,800ms,1s,1s", *extra]
        self.make_hookd = make_hookd
        self.nodes = [self.start(i, role) for i, role in enumerate(roles)]

    def start(self, i, role):
        data_dir = self.tmp_path / f"node{i}"
        data_dir.mkdir(mode=0o700, exist_ok=True)
        for name, content in (("master.key", self.master_key), ("admin-token", self.admin_token)):
            path = data_dir / name
            if not path.exists():
                path.write_text(content)
                path.chmod(0o600)
        return self.make_hookd(*self.args, "--role", role, name=f"node{i}")

    def restart(self, i):
        role = self.nodes[i].extra_args[self.nodes[i].extra_args.index("--role") + 1]
        self.nodes[i] = self.start(i, role)
        return self.nodes[i]

    def psql(self, sql):
        return PostgresServer.shared().psql(sql, url=self.database)

    def owner_of(self, webhook_id):
        """The node whose process holds the webhook's shard lease."""
        owner = self.psql(f"SELECT l.owner FROM shard_leases l JOIN webhooks w ON w.shard = l.shard "
                          f"WHERE w.id = '{webhook_id}' AND l.expires_at > "
                          f"(extract(epoch FROM clock_timestamp()) * 1000)::bigint")
        return next((n for n in self.nodes if n.proc.poll() is None and worker_name(n) == owner), None)

    def diagnosis(self):
        """Unfinished deliveries by the state of their shard's lease, and the processes' logs without requests."""
        unfinished = self.psql("SELECT l.owner, l.epoch, l.expires_at > (extract(epoch FROM clock_timestamp()) * 1000)"
                               "::bigint, d.status, d.attempt_count, count(*) FROM deliveries d JOIN webhooks w ON "
                               "w.id = d.webhook_id JOIN shard_leases l ON l.shard = w.shard WHERE d.completed_at IS "
                               "NULL GROUP BY 1, 2, 3, 4, 5")
        logs = "\n".join(f"--- {n.data_dir}\n" + "\n".join(line for line in n.log().splitlines()
                                                           if " request " not in line)[-4000:] for n in self.nodes)
        return f"unfinished deliveries:\n{unfinished}\n{logs}"

    def shares(self):
        """Shards held per live lease owner."""
        rows = self.psql("SELECT owner, count(*) FROM shard_leases WHERE expires_at > "
                         "(extract(epoch FROM clock_timestamp()) * 1000)::bigint GROUP BY owner").splitlines()
        return sorted(int(line.split("|")[1]) for line in rows)

    def wait_for_fair_shares(self, workers=3):
        """Until every worker holds its fair share (a process joining takes it over a few lease rounds)."""
        wait_until(lambda: len(self.shares()) == workers and all(256 // workers - 6 <= n <= 256 // workers + 6
                                                                 for n in self.shares()),
                   timeout=LEASE * 2 + 20, message=f"{workers} workers sharing the shards")

    def attempts_by_node(self):
        counts = []
        for n in self.nodes:
            text = n.request("GET", "/metrics").raw.decode()
            counts.append(sum(float(v) for v in re.findall(r'^hookd_attempts_total\{[^}]*\} (\S+)$', text, re.M)))
        return counts


def worker_name(node):
    with open(os.path.join(node.data_dir, "worker-name")) as f:
        return f.read().strip()


@pytest.fixture
def cluster(make_hookd, tmp_path):
    def make(roles=("all", "all", "all"), extra=()):
        return Cluster(make_hookd, tmp_path, roles, extra)
    return make


def first_arrivals(receiver):
    """Event ids in the order they first arrived, and how many arrivals were repeats."""
    seen, order = set(), []
    for g in receiver.received():
        event_id = g["headers"]["webhook-id"]
        if event_id not in seen:
            seen.add(event_id)
            order.append(event_id)
    return order, len(receiver.received()) - len(order)


class Load:
    """Threads posting events round-robin to the live API processes, recording every acknowledged id."""

    def __init__(self, nodes, key, threads=3):
        self.nodes, self.key = nodes, key
        self.accepted, self.statuses = [], []
        self.stop_flag = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]
        for t in self.threads:
            t.start()

    def run(self, offset):
        i = offset
        while not self.stop_flag.is_set():
            node = self.nodes[i % len(self.nodes)]
            i += 1
            if node.proc.poll() is not None:
                continue
            try:
                r = node.request("POST", "/api/v1/events", self.key, {"type": "task.completed", "data": {"i": i}},
                                 timeout=10)
            except OSError:
                continue  # the process was just killed: nothing was acknowledged
            self.statuses.append(r.status)
            if r.status == 202:
                self.accepted.append(r.json["id"])
            else:
                time.sleep(0.05)

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join()


def test_three_processes_share_the_work_and_deliver_every_event_once(cluster, receiver):
    c = cluster()
    _, key = c.nodes[0].create_account()
    receivers = [receiver() for _ in range(12)]
    for r in receivers:
        c.nodes[0].create_webhook(key, r.url)
    c.wait_for_fair_shares()  # the first process to start holds every shard until the others join in
    accepted = [c.nodes[i % 3].emit(key, data={"i": i})["id"] for i in range(90)]
    for r in receivers:
        wait_until(lambda: len(r.received()) >= len(accepted), timeout=20, message="every event at every receiver")
    time.sleep(0.5)
    for r in receivers:
        order, repeats = first_arrivals(r)
        assert sorted(order) == sorted(accepted) and repeats == 0
    # Every worker took its share of the shards and delivered some of it.
    held = c.shares()
    assert len(held) == 3 and all(80 <= n <= 90 for n in held), held
    assert sum(1 for n in c.attempts_by_node() if n > 0) >= 2


def test_kill9_of_each_process_in_turn_under_load_loses_nothing(cluster, receiver):
    c = cluster(extra=("--max-endpoint-rate", "10000"))
    _, key = c.nodes[0].create_account()
    receivers = [receiver() for _ in range(6)]
    for r in receivers:
        c.nodes[0].create_webhook(key, r.url)
    load = Load(c.nodes, key)
    try:
        for i in range(3):
            wait_until(lambda: len(load.accepted) > 60 * (i + 1), timeout=20, message="events accepted")
            c.nodes[i].kill9()
            time.sleep(1.0)
            c.restart(i)
        time.sleep(1.0)
    finally:
        load.stop()
    assert len(load.accepted) > 150
    for r in receivers:
        try:
            wait_until(lambda: set(load.accepted) <= {g["headers"]["webhook-id"] for g in r.received()},
                       timeout=LEASE * 3 + 20, message="every acknowledged event delivered")
        except AssertionError:
            missing = set(load.accepted) - {g["headers"]["webhook-id"] for g in r.received()}
            raise AssertionError(f"{len(missing)} of {len(load.accepted)} missing; " + c.diagnosis())
        # A repeat comes only from an attempt whose outcome died with its process: sent (32 at most per webhook in
        # flight) or answered and waiting for the outcome batch being committed. So no delivery has two recorded
        # successes, and the repeats stay within a few batches' worth for three kills.
        _, repeats = first_arrivals(r)
        assert repeats <= 3 * 128, repeats
    twice = c.psql("SELECT count(*) FROM (SELECT delivery_id FROM attempts WHERE success "
                   "GROUP BY delivery_id HAVING count(*) > 1) AS d")
    assert twice == "0", f"{twice} deliveries recorded as delivered twice"


def test_a_rate_limit_holds_exactly_with_three_workers(cluster, receiver):
    c = cluster()
    _, key = c.nodes[0].create_account()
    r = receiver()
    c.nodes[0].create_webhook(key, r.url, rate_limit=20)
    for i in range(60):
        c.nodes[i % 3].emit(key, data={"i": i})
    wait_until(lambda: len(r.received()) >= 60, timeout=30, message="every delivery")
    # When each attempt started, as recorded (the receiver's clock would add its own jitter); the webhook's shard
    # may move between workers while the three share out the shards. An attempt's row is written after its
    # response arrives, so the last one may land a moment after the receiver saw the request.
    recorded = lambda: c.psql("SELECT started_at FROM attempts").split()  # noqa: E731
    wait_until(lambda: len(recorded()) >= 60, timeout=10, message="every attempt recorded")
    starts = sorted(int(v) for v in recorded())
    assert len(starts) == 60
    busiest = max(sum(1 for t in starts[i:] if t - starts[i] < 1000) for i in range(len(starts)))
    assert busiest <= 20, busiest
    assert starts[-1] - starts[0] >= 2900  # 60 at 20/s


def test_an_ordered_webhook_keeps_creation_order_across_a_failover(cluster, receiver):
    c = cluster()
    _, key = c.nodes[0].create_account()
    r = receiver().hang(0.05)
    webhook = c.nodes[0].create_webhook(key, r.url, ordered=True)
    owner = c.owner_of(webhook["id"])
    api = next(n for n in c.nodes if n is not owner)
    accepted = [api.emit(key, data={"i": i})["id"] for i in range(40)]
    wait_until(lambda: len(r.received()) >= 10, timeout=10, message="the first deliveries")
    owner.kill9()
    wait_until(lambda: len(first_arrivals(r)[0]) == len(accepted), timeout=LEASE * 3 + 20,
               message="every event after the failover")
    order, repeats = first_arrivals(r)
    assert order == accepted
    assert repeats <= 1  # the one attempt in flight at the kill


def test_an_open_circuit_is_honoured_after_its_shard_moves(cluster, receiver):
    c = cluster(extra=("--circuit-threshold", "3", "--circuit-cooldown", "60s", "--disable-after", "0"))
    _, key = c.nodes[0].create_account()
    r = receiver().always(500)
    webhook = c.nodes[0].create_webhook(key, r.url)
    owner = c.owner_of(webhook["id"])
    api = next(n for n in c.nodes if n is not owner)
    api.emit(key)
    wait_until(lambda: api.request("GET", f"/api/v1/webhooks/{webhook['id']}", key).json["circuit"] == "open",
               timeout=10, message="the circuit opens")
    sent = len(r.received())
    owner.kill9()
    wait_until(lambda: c.owner_of(webhook["id"]) is not None, timeout=LEASE * 3, message="the shard moves")
    for i in range(5):
        api.emit(key, data={"i": i})
    time.sleep(2.0)
    assert len(r.received()) == sent  # the new owner waits out the cooldown too
    assert api.request("GET", f"/api/v1/webhooks/{webhook['id']}", key).json["circuit"] == "open"


def test_a_paused_worker_sends_nothing_its_successor_already_sent(cluster, receiver):
    c = cluster()
    _, key = c.nodes[0].create_account()
    r = receiver()
    webhook = c.nodes[0].create_webhook(key, r.url)
    owner = c.owner_of(webhook["id"])
    api = next(n for n in c.nodes if n is not owner)
    api.emit(key)
    wait_until(lambda: len(r.received()) == 1, message="the first delivery")
    # Paused only once that outcome is durable: paused inside its transaction, the owner would leave the attempt
    # unrecorded (the server ends that session after 2 s, freeing the shard), and its successor would rightly send
    # it again.
    first = lambda: api.request("GET", f"/api/v1/deliveries?webhook_id={webhook['id']}", key).json["data"][0]
    wait_until(lambda: first()["status"] == "succeeded", message="the first delivery recorded")
    owner.proc.send_signal(signal.SIGSTOP)
    try:
        accepted = [api.emit(key, data={"i": i})["id"] for i in range(20)]
        wait_until(lambda: set(accepted) <= {g["headers"]["webhook-id"] for g in r.received()},
                   timeout=LEASE * 3 + 10, message="the successor delivers")
    finally:
        owner.proc.send_signal(signal.SIGCONT)
    time.sleep(LEASE / 2 + 1)  # the paused worker wakes with stale leases, notices and queues
    order, repeats = first_arrivals(r)
    assert repeats == 0, r.received()
    assert len(order) == 21


def test_api_and_worker_processes_apart(cluster, receiver):
    c = cluster(roles=("api", "worker", "worker"))
    api, workers = c.nodes[0], c.nodes[1:]
    _, key = api.create_account()
    r = receiver()
    webhook = api.create_webhook(key, r.url)
    for w in workers:
        assert w.request("GET", "/healthz").status == 200
        assert w.request("GET", "/metrics").status == 200
        assert w.request("GET", "/api/v1/webhooks", key).status == 404
    accepted = [api.emit(key, data={"i": i})["id"] for i in range(20)]
    wait_until(lambda: len(r.received()) >= 20, timeout=15, message="every delivery")
    assert sorted(first_arrivals(r)[0]) == sorted(accepted)
    assert c.attempts_by_node()[0] == 0  # the API process delivers nothing
    # What a worker is doing shows through the API process.
    r.hang(1.5)
    event = api.emit(key)
    delivery = lambda: api.request("GET", f"/api/v1/deliveries?webhook_id={webhook['id']}&limit=1", key).json["data"][0]
    wait_until(lambda: delivery()["event_id"] == event["id"] and delivery()["status"] == "delivering", timeout=5,
               message="delivering, seen from the API process")
    wait_until(lambda: delivery()["status"] == "succeeded", timeout=10, message="succeeded")


def test_a_postgres_restart_with_three_processes_loses_nothing(cluster, receiver):
    c = cluster(extra=("--max-endpoint-rate", "10000"))
    _, key = c.nodes[0].create_account()
    r = receiver()
    c.nodes[0].create_webhook(key, r.url)
    PostgresServer.shared().checkpoint()
    load = Load(c.nodes, key)
    try:
        wait_until(lambda: len(load.accepted) > 100, timeout=20, message="events accepted before the restart")
        PostgresServer.shared().restart_immediate()
        before = len(load.accepted)
        wait_until(lambda: len(load.accepted) > before + 100, timeout=40, message="events accepted after the restart")
    finally:
        load.stop()
    assert 500 not in load.statuses
    wait_until(lambda: set(load.accepted) <= {g["headers"]["webhook-id"] for g in r.received()},
               timeout=LEASE * 3 + 30, message="every acknowledged event delivered")


def test_changes_take_effect_in_every_process_within_two_seconds(cluster, receiver):
    c = cluster()
    admin = c.nodes[0].admin_token
    account_id, key = c.nodes[0].create_account()
    r = receiver()
    webhook = c.nodes[0].create_webhook(key, r.url, events=["task.*"])
    for n in c.nodes:  # every process has matched, authenticated and looked up the catalog once
        n.emit(key)
        assert n.request("POST", "/api/v1/events", key, {"type": "deploy.finished", "data": {}}).status == 422

    # A PATCH made through one process: the others match events by it at once.
    assert c.nodes[0].request("PATCH", f"/api/v1/webhooks/{webhook['id']}", key,
                              {"events": ["user.*"]}).status == 200
    time.sleep(2.0)
    before = len(r.received())
    for n in c.nodes[1:]:
        assert n.emit(key)["deliveries"] == 0
        assert n.emit(key, type_="user.created")["deliveries"] == 1
    wait_until(lambda: len(r.received()) >= before + 2, timeout=5, message="user.created delivered")
    time.sleep(0.5)
    assert {g["headers"]["x-webhook-event"] for g in r.received()[before:]} == {"user.created"}

    # A custom event type created through one process is accepted by the others.
    assert c.nodes[0].request("POST", "/api/v1/event-types", admin,
                              {"type": "deploy.finished", "category": "Deploys", "description": "A deploy ended"}
                              ).status == 201
    time.sleep(2.0)
    for n in c.nodes[1:]:
        assert n.request("POST", "/api/v1/events", key, {"type": "deploy.finished", "data": {}}).status == 202

    # A key revoked through one process stops working in the others.
    keys = c.nodes[0].request("GET", f"/api/v1/accounts/{account_id}/api-keys", admin).json["data"]
    assert c.nodes[0].request("DELETE", f"/api/v1/accounts/{account_id}/api-keys/{keys[0]['id']}", admin).status == 204
    time.sleep(2.0)
    for n in c.nodes:
        assert n.request("GET", "/api/v1/webhooks", key).status == 401
