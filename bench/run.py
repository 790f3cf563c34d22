#!/usr/bin/env python3
"""hookd's benchmark harness. Starts a fresh hookd (SQLite, synchronous=FULL) per scenario, creates webhooks that
point at hookd-bench's receiver ports, drives load with hookd-bench, and writes bench/results/<name>.json and .md.

    bench/run.py                       the full run (minutes; what BENCHMARKS.md reports)
    bench/run.py --quick               a short smoke run of every scenario (CI-sized)
    bench/run.py --backend postgres    the same on a private PostgreSQL 15 server (scripts/pg-server.sh), a fresh
                                       database per scenario; CPU of the postgres processes is measured too
    bench/run.py --stats-volume        statistics calls with millions of deliveries in the window (bench/volume.py)
    bench/run.py --steady              30 minutes at 5,000 events/s with a 5-minute retention (bench/steady.py)

Every figure is also reported as a ratio to the machine's own limit, measured in the same run: a plain HTTP POST
loop against the same receiver (`hookd-bench baseline`)."""
import argparse
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import steady
import volume

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOOKD = os.environ.get("HOOKD_BIN", os.path.join(ROOT, "build", "hookd"))
DRIVER = os.environ.get("HOOKD_BENCH_BIN", os.path.join(ROOT, "build", "hookd-bench"))


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class PostgresServer:
    """A private PostgreSQL server on this machine (scripts/pg-server.sh), with a database per scenario.
    With `statements`, it loads pg_stat_statements, and each end-to-end drive prints what its statements cost."""

    def __init__(self, tmp, statements=False):
        self.dir = os.path.join(tmp, "pg")
        self.statements = statements
        os.chmod(tmp, 0o755)  # the server runs as the postgres user
        env = dict(os.environ, HOOKD_PG_STATEMENTS="1" if statements else "0")
        self.url = subprocess.check_output([os.path.join(ROOT, "scripts", "pg-server.sh"), "start", self.dir,
                                            str(free_ports(1)[0])], text=True, env=env).strip()

    def new_database(self, name):
        db = "bench_" + "".join(c if c.isalnum() else "_" for c in name)
        self.psql(self.url, f"CREATE DATABASE {db}")
        return self.url.rsplit("/", 1)[0] + "/" + db

    def cpu_s(self):
        """CPU seconds (user + system) of the postmaster and every process it started."""
        with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
            postmaster = int(f.readline())
        hz, total = os.sysconf("SC_CLK_TCK"), 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(pid) == postmaster or int(fields[1]) == postmaster:  # fields[1] is the parent's pid
                total += int(fields[11]) + int(fields[12])
        return total / hz

    def wal_bytes(self):
        """Bytes of write-ahead log the server has written so far."""
        return int(self.psql(self.url, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')"))

    def reset_statements(self, database):
        if self.statements:
            self.psql(database, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()")

    def print_statements(self, database, deliveries):
        """The statements that took the most executor time since the reset, per delivery and per row."""
        if not self.statements:
            return
        n = max(1, deliveries)
        print(self.psql(database, "SELECT format('%8s calls %9s rows %7s µs/delivery %7s µs/row %6s WAL B/delivery  %s', "
                                  "calls, rows, round((total_exec_time * 1000 / " + str(n) + ")::numeric, 2), "
                                  "round((total_exec_time * 1000 / greatest(rows, 1))::numeric, 2), "
                                  "round(wal_bytes / " + str(n) + "), left(regexp_replace(query, '\\s+', ' ', 'g'), 100)) "
                                  "FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12"), file=sys.stderr)

    def psql(self, database, sql):
        """What `sql` prints, run on `database` (a URL)."""
        return subprocess.run(["/usr/lib/postgresql/15/bin/psql", database, "-qtAXc", sql], capture_output=True,
                              text=True, check=True).stdout

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "pg-server.sh"), "stop", self.dir], check=False)


class Hookd:
    def __init__(self, data_dir, *extra):
        self.data_dir = data_dir
        self.extra = list(extra)

    def start(self):
        args = [HOOKD, "serve", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0", "--allow-http",
                "--allow-private-networks", "--api-rate-limit", "0", "--max-endpoint-rate", "1000000"] + self.extra
        self.log = open(os.path.join(self.data_dir, "hookd.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        for line in self.proc.stdout:
            line = line.decode()
            if line.startswith("hookd listening on "):
                self.base = line.split("on ", 1)[1].strip()
                break
        self.target = self.base.replace("http://", "")
        self.token = open(os.path.join(self.data_dir, "admin-token")).read().strip()
        return self

    def api(self, method, path, body=None, token=None):
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode() if body is not None else None,
                                     method=method, headers={"Authorization": f"Bearer {token or self.token}",
                                                             "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read() or b"null")

    def database(self):
        return self.extra[self.extra.index("--database") + 1] if "--database" in self.extra else None

    def deliveries_held(self):
        """The deliveries this process still holds, in any stage (hookd_deliveries_waiting summed)."""
        with urllib.request.urlopen(self.base + "/metrics", timeout=30) as r:
            return sum(float(line.rsplit(" ", 1)[1]) for line in r.read().decode().splitlines()
                       if line.startswith("hookd_deliveries_waiting{"))

    def memory_mb(self, field="VmHWM"):
        """A memory figure of /proc/<pid>/status: the peak resident set (VmHWM) or the current one (VmRSS)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return 0

    def peak_rss_mb(self):
        return self.memory_mb("VmHWM")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)
        self.log.close()


def settle_disk(quiet_s=1.0, limit_s=30.0):
    """Waits until no disk has written anything for `quiet_s` (freeing a big scenario's files goes on after
    sync() returns, and its writes would stall the next scenario's fsyncs), at most `limit_s`."""
    def sectors_written():
        with open("/proc/diskstats") as f:
            return sum(int(line.split()[9]) for line in f if len(line.split()) > 9)
    deadline = time.time() + limit_s
    last, quiet_since = sectors_written(), time.time()
    while time.time() < deadline and time.time() - quiet_since < quiet_s:
        time.sleep(0.1)
        now = sectors_written()
        if now != last:
            last, quiet_since = now, time.time()


def setup(h, ports, **webhook_fields):
    account = h.api("POST", "/api/v1/accounts", {"name": "bench", "email": "bench@hookd.test"})
    key = h.api("POST", f"/api/v1/accounts/{account['id']}/api-keys", {"name": "bench"})["key"]
    webhooks = []
    for port in ports:
        fields = {"url": f"http://127.0.0.1:{port}/", "events": ["*"], "rate_limit": 1000000}
        fields.update(webhook_fields)
        webhooks.append(h.api("POST", "/api/v1/webhooks?verify=false", fields, token=key))
    return key, webhooks


def thread_cpu_s(pid):
    """CPU seconds (user + system) of each thread of a process, summed by thread name."""
    ticks = collections.Counter()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        ticks[name] += int(fields[11]) + int(fields[12])  # utime, stime
    hz = os.sysconf("SC_CLK_TCK")
    return {name: t / hz for name, t in ticks.items()}


def processes_cpu_s(processes):
    """thread_cpu_s() of several hookd processes, summed by thread name."""
    total = collections.Counter()
    for h in processes:
        total.update(thread_cpu_s(h.proc.pid))
    return total


def wait_until_recorded(processes, timeout=300):
    """Seconds until no process holds a delivery any more: every outcome the receivers saw is in the delivery log."""
    start = time.time()
    while any(p.deliveries_held() > 0 for p in processes):
        if time.time() - start > timeout:
            raise RuntimeError("outcomes still unrecorded after the drive")
        time.sleep(0.05)
    return round(time.time() - start, 2)


def drive_measuring_cpu(h, key, ports, rate, duration, fanout, pg=None, others=()):
    """drive(), plus where the CPU went: microseconds per delivery for each hookd thread (by name, over `h` and
    the `others` processes sharing its database), all of hookd, hookd-bench (the load generator and the receiver,
    which share the machine) while it drove, without the tally it computes afterwards, and the PostgreSQL server's
    processes when there is one. The work is done when the delivery log is complete, not when the receivers have
    everything: the CPU is read once every outcome is recorded, and `recorded_deliveries_per_s` counts that wait
    in (a process that falls behind on its log is not keeping up, however fast its receivers are served)."""
    processes = [h, *others]
    hookd_before = processes_cpu_s(processes)
    pg_before, wal_before = (pg.cpu_s(), pg.wal_bytes()) if pg else (0, 0)
    if pg:
        pg.reset_statements(h.database())
    r = drive(h, key, ports, rate, duration, fanout)
    r["recorded_after_s"] = wait_until_recorded(processes)
    if pg:
        pg.print_statements(h.database(), r["deliveries"])
    r["recorded_deliveries_per_s"] = round(r["deliveries"] / (r["delivery_window_s"] + r["recorded_after_s"]), 1)
    pg_after, wal_after = (pg.cpu_s(), pg.wal_bytes()) if pg else (0, 0)
    hookd_after = processes_cpu_s(processes)
    n = max(1, r["deliveries"])
    per_thread = {name: (hookd_after[name] - hookd_before.get(name, 0)) * 1e6 / n for name in hookd_after}
    cpu = {name: round(us, 1) for name, us in sorted(per_thread.items()) if us >= 0.1}
    cpu["all of hookd"] = round(sum(per_thread.values()), 1)
    cpu["hookd-bench"] = round(r.pop("cpu_s") * 1e6 / n, 1)
    if pg:
        cpu["postgres"] = round((pg_after - pg_before) * 1e6 / n, 1)
        r["wal_bytes_per_delivery"] = round((wal_after - wal_before) / n)
    r["cpu_us_per_delivery"] = cpu
    return r


def drive(h, key, ports, rate, duration, fanout, batch=1, connections=256, drain=300, extra=()):
    args = [DRIVER, "drive", "--target", h.target, "--key", key, "--rate", str(rate), "--duration", str(duration),
            "--fanout", str(fanout), "--batch", str(batch), "--connections", str(connections), "--drain", str(drain),
            "--ports", ",".join(map(str, ports)), *extra]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    result["drain_s"] = drain
    result["offered_duration_s"] = duration
    return result


class Bench:
    def __init__(self, quick, only=(), backend="sqlite", pg_statements=False):
        self.quick = quick
        self.only = set(only)
        self.results = {}
        self.tmp = tempfile.mkdtemp(prefix="hookd-bench-")
        self.pg_tmp = tempfile.mkdtemp(prefix="hookd-bench-pg-") if backend == "postgres" else None
        self.pg = PostgresServer(self.pg_tmp, pg_statements) if self.pg_tmp else None

    def database_args(self, name):
        return ("--database", self.pg.new_database(name)) if self.pg else ()

    def fresh(self, name, *extra):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        return Hookd(d, *extra, *self.database_args(name)).start()

    def scenario(self, name, fn):
        if self.only and name not in self.only:
            return
        print(f"… {name}", file=sys.stderr, flush=True)
        t = time.time()
        self.results[name] = fn()
        self.results[name]["wall_s"] = round(time.time() - t, 1)
        # Each scenario starts on a quiet disk: the last one's files are deleted (their dirty pages need no
        # writeback then) and the rest is flushed, so its I/O does not show up in the next one's latencies.
        for entry in os.listdir(self.tmp):
            shutil.rmtree(os.path.join(self.tmp, entry), ignore_errors=True)
        os.sync()
        settle_disk()
        print(f"  {json.dumps(self.results[name])}", file=sys.stderr, flush=True)

    def baseline(self):
        (port,) = free_ports(1)
        out = subprocess.run([DRIVER, "baseline", "--port", str(port), "--duration", "5" if self.quick else "10",
                              "--connections", "32"], capture_output=True, text=True, check=True)
        return json.loads(out.stdout)

    def ingest(self, batch):
        h = self.fresh(f"ingest-{batch}")
        try:
            key, _ = setup(h, [])
            r = drive(h, key, [], 0, 5 if self.quick else 20, 0, batch=batch)
            r["peak_rss_mb"] = h.peak_rss_mb()
            return r
        finally:
            h.stop()

    def end_to_end(self, fanout, rate, duration):
        h = self.fresh(f"e2e-{fanout}-{rate}")
        try:
            ports = free_ports(fanout)
            key, _ = setup(h, ports)
            r = drive_measuring_cpu(h, key, ports, rate, duration, fanout, self.pg)
            r["peak_rss_mb"] = h.peak_rss_mb()
            return r
        finally:
            h.stop()

    def cluster(self, name, roles):
        """Processes sharing one database, master key and admin token (copied from the first one's data dir, as an
        operator would); the first one serves the API."""
        database = self.database_args(name)
        nodes = []
        for i, role in enumerate(roles):
            d = os.path.join(self.tmp, f"{name}-{i}")
            os.makedirs(d)
            if nodes:
                for f in ("master.key", "admin-token"):
                    shutil.copy(os.path.join(nodes[0].data_dir, f), d)
            nodes.append(Hookd(d, "--role", role, *database).start())
        return nodes

    def split(self, fanout, rate, duration, roles):
        nodes = self.cluster(f"split-{fanout}-{len(roles)}", roles)
        try:
            ports = free_ports(fanout)
            key, _ = setup(nodes[0], ports)
            time.sleep(3)  # the workers share out the shards (a worker hands back its surplus within two rounds)
            r = drive_measuring_cpu(nodes[0], key, ports, rate, duration, fanout, self.pg, others=nodes[1:])
            r["peak_rss_mb"] = sum(n.peak_rss_mb() for n in nodes)
            return r
        finally:
            for n in nodes:
                n.stop()

    def run_scale_out(self):
        """One process against an API process and two workers on the same machine and database."""
        d = 10 if self.quick else 30
        self.scenario("one_process_fanout_1", lambda: self.end_to_end(1, 20000, d))
        self.scenario("api_2_workers_fanout_1", lambda: self.split(1, 20000, d, ("api", "worker", "worker")))
        self.scenario("one_process_fanout_10", lambda: self.end_to_end(10, 4000, d))
        self.scenario("api_2_workers_fanout_10", lambda: self.split(10, 4000, d, ("api", "worker", "worker")))
        return self.results

    def finish(self):
        """Removes every data dir and the PostgreSQL server, however the run ended (they take gigabytes)."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.pg:
            self.pg.stop()
            shutil.rmtree(self.pg_tmp, ignore_errors=True)

    def isolation(self, rate, duration):
        h = self.fresh("isolation", "--attempt-timeout", "2s", "--retry-schedule", "1s,1s,1s")
        try:
            healthy, hanging, failing = free_ports(3)
            key, webhooks = setup(h, [healthy, hanging, failing])
            r = drive(h, key, [healthy, hanging, failing], rate, duration, 1, drain=10,
                      extra=["--hang-ports", str(hanging), "--fail-ports", str(failing),
                             "--healthy", webhooks[0]["id"]])
            return r
        finally:
            h.stop()

    def fill_expired(self, data_dir, database, account, webhook_id, n):
        """Writes `n` finished deliveries 40 days old (each with its event and one attempt) straight into a stopped
        hookd's database, as a month of traffic leaves them for the retention job."""
        old = int((time.time() - 40 * 86400) * 1000)

        def ids(prefix):  # below every real id of that kind, in creation order; SERIAL is i as 24 digits
            return f"'{prefix}00' || SERIAL"

        rows = [
            "INSERT INTO events(id, account_id, type, environment, data, created_at, initial_deliveries) "
            f"SELECT {ids('evt_')}, '{account}', 'task.completed', 'production', '{{}}', {old}, 1",
            "INSERT INTO deliveries(id, account_id, event_id, webhook_id, event_type, status, attempt_count, "
            f"created_at, completed_at, latency_ms) SELECT {ids('dlv_')}, '{account}', {ids('evt_')}, "
            f"'{webhook_id}', 'task.completed', 'succeeded', 1, {old}, {old}, 5",
            "INSERT INTO attempts(id, delivery_id, number, started_at, response_status, response_time_ms, "
            "request_headers, request_body, request_body_truncated, response_headers, response_body, "
            f"response_body_truncated, success) SELECT {ids('att_')}, {ids('dlv_')}, 1, {old}, 200, 5, '{{}}', "
            "'{}', false, '{}', BODY, false, true",
        ]
        if database:
            sql = ";".join(q.replace("BODY", "''::bytea").replace("SERIAL", "lpad(i::text, 24, '0')")
                           + f" FROM generate_series(1, {n}) AS s(i)" for q in rows)
            self.pg.psql(database, sql)
        else:
            import sqlite3
            with sqlite3.connect(os.path.join(data_dir, "hookd.db")) as db:
                for q in rows:
                    db.execute(f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
                               + q.replace("BODY", "''").replace("SERIAL", "printf('%024d', i)")
                               .replace("false", "0").replace("true", "1") + " FROM s")

    def retention(self, n, rate, duration):
        """Deliveries at `rate` while the retention job purges `n` expired ones, then the same load without it."""
        d = os.path.join(self.tmp, "retention")
        os.makedirs(d)
        database = self.pg.new_database("retention") if self.pg else None
        args = (("--database", database) if database else ()) + ("--retention", "30d")
        h = Hookd(d, *args).start()
        (port,) = free_ports(1)
        key, webhooks = setup(h, [port])
        account = h.api("GET", "/api/v1/account", token=key)["id"]
        h.stop()
        t = time.time()
        self.fill_expired(d, database, account, webhooks[0]["id"], n)
        fill_s = time.time() - t
        h = Hookd(d, *args).start()  # its retention job starts a second later
        try:
            during = drive(h, key, [port], rate, duration, 1, drain=30)
            after = drive(h, key, [port], rate, duration, 1, drain=30)
        finally:
            h.stop()
        with open(os.path.join(d, "hookd.log")) as f:
            purged = [line.strip() for line in f if "retention purged old rows" in line]
        fields = ("deliveries_per_s", "e2e_latency_ms", "duplicates", "undelivered_at_cutoff")
        return {"expired_rows": n, "fill_s": round(fill_s, 1), "purge_log": purged,
                "during_purge": {k: during[k] for k in fields}, "after_purge": {k: after[k] for k in fields}}

    def backlog(self, n):
        d = os.path.join(self.tmp, "backlog")
        os.makedirs(d)
        (port,) = free_ports(1)
        args = ("--circuit-cooldown", "1s", "--retry-schedule", "1s,1s,1s,1s,1s,1s,1s,1s",
                *self.database_args("backlog"))
        h = Hookd(d, *args).start()
        key, _ = setup(h, [port])
        t = time.time()
        sent = 0
        while sent < n:
            batch = min(1000, n - sent)
            req = urllib.request.Request(h.base + "/api/v1/events/batch", method="POST",
                                         data=json.dumps({"events": [{"type": "user.created", "data": {"i": i}}
                                                                     for i in range(batch)]}).encode(),
                                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=120) as r:
                assert r.status == 202
            sent += batch
        fill_s = time.time() - t
        h.stop()
        receiver = subprocess.Popen([DRIVER, "receive", "--ports", str(port), "--expect", str(n), "--duration", "900"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        receiver.stderr.readline()  # "receiving"
        t = time.time()
        h2 = Hookd(d, *args).start()
        started_s = time.time() - t
        out, _ = receiver.communicate(timeout=900)
        result = json.loads(out)
        result.update({"pending": n, "fill_s": round(fill_s, 1), "restart_to_listening_s": round(started_s, 2),
                       "restart_to_drained_s": round(time.time() - t, 1), "peak_rss_mb": h2.peak_rss_mb()})
        h2.stop()
        return result

    def run_stats_volume(self):
        sizes = (100_000, 1_000_000) if self.quick else (1_000_000, 10_000_000, 50_000_000)
        for n in sizes:
            self.scenario(f"stats_{n // 1_000_000 or n}{'m' if n >= 1_000_000 else ''}",
                          lambda n=n: volume.stats_at_volume(self, Hookd, setup, free_ports, n, 20 if self.quick else 50))
        return self.results

    def run(self):
        q = self.quick
        self.scenario("baseline_post_loop", self.baseline)
        self.scenario("ingest_single", lambda: self.ingest(1))
        self.scenario("ingest_batch_100", lambda: self.ingest(100))
        d = 10 if q else 60
        self.scenario("e2e_fanout_1", lambda: self.end_to_end(1, 20000, d))
        self.scenario("e2e_fanout_10", lambda: self.end_to_end(10, 4000, d))
        self.scenario("e2e_fanout_100", lambda: self.end_to_end(100, 400, d))
        for rate in (1000, 2000, 5000, 10000):
            self.scenario(f"latency_{rate}_per_s", lambda rate=rate: self.end_to_end(1, rate, 5 if q else 30))
        self.scenario("isolation_1000_per_s", lambda: self.isolation(1000, 5 if q else 30))
        self.scenario("backlog", lambda: self.backlog(50_000 if q else 1_000_000))
        self.scenario("retention", lambda: self.retention(20_000 if q else 300_000, 2000, 5 if q else 20))
        return self.results


def recorded(r):
    """How long the delivery log took to catch up with the receivers, for runs that measured it."""
    if "recorded_after_s" not in r:
        return ""
    return f" (every outcome recorded {r['recorded_after_s']:.1f} s after the last: {r['recorded_deliveries_per_s']:,.0f}/s)"


def markdown(results, name):
    base = results["baseline_post_loop"]["requests_per_s"]

    def ratio(v):
        return f"{v / base:.1%}" if base else "-"

    rows = [("baseline: plain POST loop → receiver", f"{base:,.0f} req/s", "100%")]
    for key, label in (("ingest_single", "ingest, one event per request"), ("ingest_batch_100", "ingest, /events/batch of 100")):
        r = results[key]
        rows.append((label, f"{r['ingest_events_per_s']:,.0f} events/s (p99 {r['ingest_latency_ms']['p99']:.1f} ms)",
                     ratio(r["ingest_events_per_s"])))
    for fan in (1, 10, 100):
        r = results[f"e2e_fanout_{fan}"]
        offered_s = r.get("offered_duration_s", 60)
        rows.append((f"end-to-end, fan-out {fan}: {r['offered_rate']:,.0f} events/s × {fan} = "
                     f"{r['offered_rate'] * fan:,.0f} deliveries/s offered for {offered_s:.0f} s",
                     f"{r['deliveries_per_s']:,.0f} deliveries/s{recorded(r)}; p99 {r['e2e_latency_ms']['p99']:.0f} ms; "
                     f"dup {r['duplicates']}, undelivered when the {r['drain_s']:.0f} s drain window closed "
                     f"{r['undelivered_at_cutoff']}", ratio(r["deliveries_per_s"])))
    for rate in (1000, 2000, 5000, 10000):
        r = results.get(f"latency_{rate}_per_s")
        if r is None:  # a run made before this rate was measured
            continue
        l = r["e2e_latency_ms"]
        rows.append((f"latency at {rate:,} events/s (fan-out 1)",
                     f"p50 {l['p50']:.1f} / p95 {l['p95']:.1f} / p99 {l['p99']:.1f} / max {l['max']:.0f} ms; "
                     f"dup {r['duplicates']}, undelivered {r['undelivered_at_cutoff']}", ""))
    r = results["isolation_1000_per_s"]
    l = r["e2e_latency_ms"]
    rows.append(("isolation: healthy webhook beside a hanging and a failing one, 1,000 events/s",
                 f"healthy p50 {l['p50']:.1f} / p99 {l['p99']:.1f} / max {l['max']:.0f} ms", ""))
    r = results["backlog"]
    rows.append((f"backlog: {r['pending']:,} pending, restart, receiver up",
                 f"drain {r['drain_per_s']:,.0f}/s, drained {r['restart_to_drained_s']} s after restart, "
                 f"peak RSS {r['peak_rss_mb']:.0f} MiB; dup {r['duplicates']}, lost {r['losses']}",
                 ratio(r["drain_per_s"])))
    r = results.get("retention")
    if r:
        import re
        purged = [re.search(r"rows=(\d+) elapsed_ms=(\d+)", line) for line in r["purge_log"]]
        rows_gone = sum(int(m.group(1)) for m in purged if m)
        ms = sum(int(m.group(2)) for m in purged if m)
        during, after = r["during_purge"]["e2e_latency_ms"], r["after_purge"]["e2e_latency_ms"]
        rows.append((f"retention: {r['expired_rows']:,} expired deliveries (with events and attempts) purged "
                     "while 2,000 events/s are delivered",
                     f"{rows_gone:,} rows in {ms / 1000:.1f} s; delivery p50/p99 {during['p50']:.1f}/"
                     f"{during['p99']:.1f} ms during the purge, {after['p50']:.1f}/{after['p99']:.1f} ms after; "
                     f"dup {r['during_purge']['duplicates'] + r['after_purge']['duplicates']}", ""))
    out = [f"## {name}", "", "| scenario | result | ratio to baseline |", "| --- | --- | --- |"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(out + cpu_table(results)) + "\n"


def scale_out_markdown(results, name):
    rows = []
    for fan in (1, 10):
        one, split = results.get(f"one_process_fanout_{fan}"), results.get(f"api_2_workers_fanout_{fan}")
        if not (one and split):  # a run of some scenarios only (--only)
            continue
        for label, r in (("one process (all)", one), ("api + 2 workers", split)):
            cpu = r["cpu_us_per_delivery"]
            rows.append((f"fan-out {fan}, {label}", f"{r['deliveries_per_s']:,.0f}",
                         f"{r['recorded_deliveries_per_s']:,.0f}",
                         f"{r['e2e_latency_ms']['p50']:.1f} / {r['e2e_latency_ms']['p99']:.1f}",
                         f"{cpu['all of hookd']:.1f}", f"{cpu.get('postgres', 0):.1f}",
                         f"{r.get('wal_bytes_per_delivery', 0):,}", f"{r['duplicates']}",
                         f"{r['recorded_deliveries_per_s'] / one['recorded_deliveries_per_s']:.1%}"))
    out = [f"## {name}", "", "| setup | deliveries/s at the receivers | deliveries/s recorded | p50 / p99 ms | "
           "hookd µs/delivery | postgres µs/delivery | WAL bytes/delivery | dup | recorded throughput vs one process |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out + cpu_table(results)) + "\n"


def cpu_table(results):
    """CPU microseconds per delivery by thread, for the end-to-end scenarios that measured it."""
    measured = [(key, r["cpu_us_per_delivery"]) for key, r in results.items()
                if isinstance(r, dict) and "cpu_us_per_delivery" in r]
    if not measured:
        return []
    threads = {"hookd-net": "network", "hookd-writer": "writer", "hookd-engine": "engine",
               "hookd-checkpoin": "checkpointer"}  # thread names are cut to 15 characters
    if any("postgres" in cpu for _, cpu in measured):
        threads = {"hookd-net": "network", "hookd-engine": "engine", "hookd-pg-accept": "accept writer",
                   "hookd-pg-outcom": "outcome writer"}
    has_pg = any("postgres" in cpu for _, cpu in measured)
    out = ["", "CPU per delivery, µs, by hookd thread (`/proc/PID/task/*/stat` before and after the drive); "
           "hookd-bench is the load generator and the receiver:", "",
           "| scenario | " + " | ".join(threads.values()) + " | other threads | all of hookd | hookd-bench |"
           + (" postgres |" if has_pg else ""),
           "| --- |" + " --- |" * (len(threads) + 3 + has_pg)]
    for key, cpu in measured:
        named = [cpu.get(t, 0.0) for t in threads]
        other = max(0.0, cpu["all of hookd"] - sum(named))  # threads under 0.1 µs each, less rounding
        cells = [f"{v:.1f}" for v in named + [other, cpu["all of hookd"], cpu["hookd-bench"]]
                 + ([cpu.get("postgres", 0.0)] if has_pg else [])]
        out.append(f"| {key} | " + " | ".join(cells) + " |")
    return out


def save_results(results, name, backend, render):
    """Writes bench/results/<name>.json (with the machine's facts) and <name>.md (`render`'s tables), and prints
    the tables."""
    results["_machine"] = {"nproc": os.cpu_count(), "kernel": os.uname().release, "backend": backend,
                           "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", f"{name}.json"), "w") as f:
        json.dump(results, f, indent=2)
    md = render(results, name)
    with open(os.path.join(ROOT, "bench", "results", f"{name}.md"), "w") as f:
        f.write(md)
    print(md)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--name", default=None)
    parser.add_argument("--only", action="append", default=[], help="run just this scenario (repeatable)")
    parser.add_argument("--render", action="store_true", help="rewrite <name>.md from an existing <name>.json")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--scale-out", action="store_true",
                        help="one process against an API process and two workers (PostgreSQL)")
    parser.add_argument("--stats-volume", action="store_true",
                        help="statistics calls with 1, 10 and 50 million deliveries in the day (--quick: 0.1 and 1)")
    parser.add_argument("--steady", action="store_true",
                        help="steady state with retention active: 30 min at 5,000 events/s (--quick: 3 min at 2,000)")
    parser.add_argument("--pg-statements", action="store_true",
                        help="print the statements PostgreSQL spent the most time on in each end-to-end drive")
    args = parser.parse_args()
    if args.scale_out:
        name = args.name or "postgres-scale-out" + ("-quick" if args.quick else "")
        bench = Bench(args.quick, args.only, "postgres", args.pg_statements)
        try:
            results = bench.run_scale_out()
        finally:
            bench.finish()
        save_results(results, name, "postgres", scale_out_markdown)
        return
    if args.steady:
        name = args.name or ("postgres-" if args.backend == "postgres" else "") + "steady-state" + (
            "-quick" if args.quick else "")
        bench = Bench(args.quick, args.only, args.backend)
        try:
            bench.scenario("steady_state", lambda: steady.steady_state(bench, setup, free_ports, drive, args.quick))
        finally:
            bench.finish()
        save_results(bench.results, name, args.backend, steady.markdown)
        if bench.results["steady_state"]["duplicates"]:
            sys.exit("duplicate deliveries in the steady state")
        return
    if args.stats_volume:
        name = args.name or ("postgres-" if args.backend == "postgres" else "") + "stats-volume" + (
            "-quick" if args.quick else "")
        bench = Bench(args.quick, args.only, args.backend)
        try:
            results = bench.run_stats_volume()
        finally:
            bench.finish()
        save_results(results, name, args.backend, volume.markdown)
        return
    name = args.name or ("postgres-" if args.backend == "postgres" else "") + ("quick" if args.quick else "full")
    if args.render:
        with open(os.path.join(ROOT, "bench", "results", f"{name}.json")) as f:
            results = json.load(f)
        for key, value in results.items():  # runs saved before offered_duration_s was recorded
            if key.startswith("e2e_") and isinstance(value, dict):
                value.setdefault("offered_duration_s", 10 if args.quick else 60)
        with open(os.path.join(ROOT, "bench", "results", f"{name}.md"), "w") as f:
            f.write(markdown(results, name))
        return
    bench = Bench(args.quick, args.only, args.backend, args.pg_statements)
    try:
        results = bench.run()
    finally:
        bench.finish()
    if args.only:
        print(json.dumps(results, indent=2))
        return
    save_results(results, name, args.backend, markdown)
    # Throughput is reported, never asserted (the machine is shared); a duplicate delivery is a correctness bug.
    duplicated = [k for k, r in results.items() if isinstance(r, dict) and r.get("duplicates")]
    if duplicated:
        sys.exit(f"duplicate deliveries in: {', '.join(duplicated)}")


if __name__ == "__main__":
    main()
