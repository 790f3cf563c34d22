"""Statistics at volume: `n` deliveries of the last 24 hours written straight into a stopped hookd's database, then
counted into the statistics rollup by the migration that creates it (as an upgrade of a busy database would), and
the calls the UI makes for the dashboard and for a webhook's page timed while hookd's RSS is watched.

The deliveries belong to 10 webhooks and 5 event types, are spread evenly over the day, and are succeeded (95 %,
latencies 5 ms to 2 s) or dead (5 %); all are finished, so hookd has nothing to deliver while it is measured."""
import os
import statistics
import time
import urllib.request

WEBHOOKS = 10
TYPES = ("task.created", "task.completed", "user.created", "payment.succeeded", "invoice.paid")


def fill(bench, data_dir, database, account, webhook_ids, n):
    """Writes `n` finished deliveries, with their events, created over the last 24 hours, and takes the rollup's
    migration back, so the next start counts them."""
    now = int(time.time() * 1000)
    webhooks = "ARRAY[" + ",".join(f"'{w}'" for w in webhook_ids) + "]"
    types = "ARRAY[" + ",".join(f"'{t}'" for t in TYPES) + "]"
    created = f"{now} - 86000000 + i * (86000000 / {n})"  # integer division: a whole number of ms apart

    def ids(prefix):
        return f"'{prefix}00' || SERIAL"

    if database:
        pick = lambda arr, m: f"({arr})[1 + i % {m}]"  # noqa: E731
        rows = [
            "INSERT INTO events(id, account_id, type, environment, data, created_at, initial_deliveries) "
            f"SELECT {ids('evt_')}, '{account}', {pick(types, len(TYPES))}, 'production', '{{}}', CREATED, 1",
            "INSERT INTO deliveries(id, account_id, event_id, webhook_id, event_type, status, attempt_count, "
            f"created_at, completed_at, latency_ms) SELECT {ids('dlv_')}, '{account}', {ids('evt_')}, "
            f"{pick(webhooks, WEBHOOKS)}, {pick(types, len(TYPES))}, "
            "CASE WHEN i % 20 = 0 THEN 'dead' ELSE 'succeeded' END, 1 + i % 3, CREATED, CREATED, "
            "CASE WHEN i % 20 = 0 THEN NULL ELSE 5 + (i::bigint * 7919) % 2000 END",
        ]
        sql = ";".join(q.replace("SERIAL", "lpad(i::text, 24, '0')").replace("CREATED", f"({created})::bigint")
                       + f" FROM generate_series(1, {n}) AS s(i)" for q in rows)
        sql += ";DROP TABLE delivery_stats; DROP FUNCTION hookd_histogram_add; " \
               "DELETE FROM hookd_schema_migrations WHERE version = 6"
        bench.pg.psql(database, sql)
        bench.pg.psql(database, "VACUUM ANALYZE")  # not inside the statements' transaction
        return
    import sqlite3
    with sqlite3.connect(os.path.join(data_dir, "hookd.db")) as db:
        db.execute("CREATE TEMP TABLE w(k INTEGER PRIMARY KEY, id TEXT)")
        db.executemany("INSERT INTO w VALUES (?, ?)", list(enumerate(webhook_ids)))
        db.execute("CREATE TEMP TABLE t(k INTEGER PRIMARY KEY, type TEXT)")
        db.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(TYPES)))
        series = f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
        serial = "printf('%024d', i)"
        stamp = f"CAST({created} AS INTEGER)"
        db.execute(series + "INSERT INTO events(id, account_id, type, environment, data, created_at, "
                   f"initial_deliveries) SELECT 'evt_00' || {serial}, '{account}', "
                   f"(SELECT type FROM t WHERE k = i % {len(TYPES)}), 'production', '{{}}', {stamp}, 1 FROM s")
        db.execute(series + "INSERT INTO deliveries(id, account_id, event_id, webhook_id, event_type, status, "
                   "attempt_count, created_at, completed_at, latency_ms) "
                   f"SELECT 'dlv_00' || {serial}, '{account}', 'evt_00' || {serial}, "
                   f"(SELECT id FROM w WHERE k = i % {WEBHOOKS}), (SELECT type FROM t WHERE k = i % {len(TYPES)}), "
                   "CASE WHEN i % 20 = 0 THEN 'dead' ELSE 'succeeded' END, 1 + i % 3, "
                   f"{stamp}, {stamp}, CASE WHEN i % 20 = 0 THEN NULL ELSE 5 + (i * 7919) % 2000 END FROM s")
        db.execute("DROP TABLE delivery_stats")
        db.execute("DELETE FROM schema_migrations WHERE version = 4")


def timed_calls(h, key, paths, rounds):
    """Milliseconds per call of each of `paths`, `rounds` times over, and how much hookd's resident set grew over
    each path's calls."""
    out = {}
    for path in paths:
        rss_before = h.memory_mb("VmRSS")
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            req = urllib.request.Request(h.base + path, headers={"Authorization": f"Bearer {key}"})
            with urllib.request.urlopen(req, timeout=600) as r:
                r.read()
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out[path] = {"p50": round(statistics.median(times), 1),
                     "p99": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
                     "max": round(times[-1], 1), "rss_growth_mb": round(h.memory_mb("VmRSS") - rss_before, 1)}
    return out


def stats_at_volume(bench, hookd_cls, setup, free_ports, n, rounds):
    name = f"stats-{n}"
    d = os.path.join(bench.tmp, name)
    os.makedirs(d)
    database = bench.pg.new_database(name.replace("-", "_")) if bench.pg else None
    args = ("--database", database) if database else ()
    h = hookd_cls(d, *args).start()
    key, webhooks = setup(h, free_ports(WEBHOOKS))
    account = h.api("GET", "/api/v1/account", token=key)["id"]
    h.stop()
    t = time.time()
    fill(bench, d, database, account, [w["id"] for w in webhooks], n)
    fill_s = time.time() - t
    t = time.time()
    h = hookd_cls(d, *args).start()  # the migration counts every delivery into the rollup
    backfill_s = time.time() - t
    try:
        one = webhooks[0]["id"]
        paths = ["/api/v1/stats?since=24h",  # the dashboard
                 f"/api/v1/webhooks/{one}/stats?since=24h",  # a webhook's page
                 "/api/v1/stats?since=24h&bucket=5m",  # a finer chart: minute cells throughout
                 "/api/v1/stats?since=7d"]
        rss_before = h.memory_mb("VmRSS")
        calls = timed_calls(h, key, paths, rounds)
        rss_after = h.memory_mb("VmRSS")
        req = urllib.request.Request(h.base + paths[0], headers={"Authorization": f"Bearer {key}"})
        import json
        with urllib.request.urlopen(req, timeout=600) as r:
            total = json.loads(r.read())["total"]
    finally:
        h.stop()
    return {"deliveries": n, "counted": total, "fill_s": round(fill_s, 1), "start_with_backfill_s": round(backfill_s, 1),
            "calls_ms": calls, "rss_before_mb": round(rss_before, 1), "rss_after_mb": round(rss_after, 1),
            "rss_growth_mb": round(rss_after - rss_before, 1)}


def markdown(results, name):
    out = [f"## {name}", "",
           "| deliveries in the day | start with back-fill | dashboard p50 / p99 | webhook page p50 / p99 | "
           "day in 5-minute buckets p50 / p99 | 7 days p50 / p99 | RSS growth over all calls |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for key, r in results.items():
        if not key.startswith("stats_"):
            continue
        calls = list(r["calls_ms"].values())
        cell = lambda c: f"{c['p50']:.1f} / {c['p99']:.1f} ms (RSS {c['rss_growth_mb']:+.1f} MiB)"  # noqa: E731
        out.append(f"| {r['deliveries']:,} (counted {r['counted']:,}) | {r['start_with_backfill_s']:.1f} s | "
                   + " | ".join(cell(c) for c in calls) + f" | {r['rss_growth_mb']:+.1f} MiB |")
    return "\n".join(out) + "\n"
