"""Steady state with retention active: events at a fixed rate, one delivery each, with a short --retention, for long
enough that the retention job purges all the time. Each minute (each half minute with --quick) of load is one
hookd-bench drive; after each, the store's size on disk, the deliveries it keeps and the rows the retention job has
removed are read (disk and deliveries kept every 10 s, each minute reporting its highest). What should hold: once
the first rows expire, disk size and the deliveries kept stop growing, the latency p99 stays where it began, and
rows are purged as fast as they are made."""
import os
import sqlite3
import threading
import time
import urllib.request


def purged_rows(h):
    with urllib.request.urlopen(h.base + "/metrics", timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("hookd_retention_purged_rows_total "):
                return int(float(line.split()[1]))
    return 0


def disk_mb(bench, h):
    database = h.database()
    if database:
        return int(bench.pg.psql(database, "SELECT pg_database_size(current_database())")) / 2**20
    return sum(os.path.getsize(os.path.join(h.data_dir, f)) for f in os.listdir(h.data_dir)
               if f.startswith("hookd.db")) / 2**20


def kept_deliveries(bench, h):
    database = h.database()
    if database:
        return int(bench.pg.psql(database, "SELECT count(*) FROM deliveries"))
    with sqlite3.connect(f"file:{os.path.join(h.data_dir, 'hookd.db')}?mode=ro", uri=True, timeout=30) as db:
        return db.execute("SELECT count(*) FROM deliveries").fetchone()[0]


def steady_state(bench, setup, free_ports, drive, quick):
    rate, retention_s, chunk_s, chunks = (2000, 60, 30, 6) if quick else (5000, 300, 60, 30)
    h = bench.fresh("steady", "--retention", f"{retention_s}s")
    try:
        (port,) = free_ports(1)
        key, _ = setup(h, [port])
        # Retention runs once a minute and PostgreSQL drops a span at a time, so disk and the deliveries kept are a
        # saw-tooth: a reading every ten seconds, of which each minute reports the highest, shows whether the
        # teeth stay level (a reading once a minute would drift along them).
        readings, stop = [], threading.Event()

        def read_store():
            while not stop.wait(10):
                readings.append((disk_mb(bench, h), kept_deliveries(bench, h)))

        reader = threading.Thread(target=read_store, daemon=True)
        reader.start()
        start = time.time()
        samples = []
        for _ in range(chunks):
            r = drive(h, key, [port], rate, chunk_s, 1, drain=60)
            taken, readings[:] = list(readings), []
            samples.append({"t_s": round(time.time() - start), "events_per_s": r["deliveries_per_s"],
                            "p50_ms": r["e2e_latency_ms"]["p50"], "p99_ms": r["e2e_latency_ms"]["p99"],
                            "disk_mb": round(max((d for d, _ in taken), default=disk_mb(bench, h)), 1),
                            "kept_deliveries": max((k for _, k in taken), default=kept_deliveries(bench, h)),
                            "purged_rows": purged_rows(h), "rss_mb": round(h.memory_mb("VmRSS"), 1),
                            "duplicates": r["duplicates"]})
        stop.set()
        reader.join()
        return {"rate": rate, "retention_s": retention_s, "chunk_s": chunk_s, "samples": samples,
                "duplicates": sum(s["duplicates"] for s in samples)}
    finally:
        h.stop()


def markdown(results, name):
    r = results["steady_state"]
    samples = r["samples"]
    lines = [f"# {name}", "",
             f"Events at {r['rate']:,}/s (one delivery each) with `--retention {r['retention_s']}s`, for "
             f"{len(samples) * r['chunk_s'] // 60} minutes; a row per {r['chunk_s']} s of load.", "",
             "| minute | events/s | p50 ms | p99 ms | disk MiB (highest) | deliveries kept (highest) | rows purged/s | "
             "hookd RSS MiB |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    previous_t, previous_purged = 0, 0
    for s in samples:
        purge_rate = (s["purged_rows"] - previous_purged) / max(1, s["t_s"] - previous_t)
        lines.append(f"| {s['t_s'] / 60:.1f} | {s['events_per_s']:,.0f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | "
                     f"{s['disk_mb']:,.0f} | {s['kept_deliveries']:,} | {purge_rate:,.0f} | {s['rss_mb']:,.0f} |")
        previous_t, previous_purged = s["t_s"], s["purged_rows"]
    # Over the second half, when the first rows have long expired: rows made (an event and a delivery per event)
    # against rows purged.
    half = samples[len(samples) // 2 - 1], samples[-1]
    span_s = max(1, half[1]["t_s"] - half[0]["t_s"])
    made = sum(s["events_per_s"] for s in samples[len(samples) // 2:]) / (len(samples) - len(samples) // 2) * 2
    purged = (half[1]["purged_rows"] - half[0]["purged_rows"]) / span_s
    lines += ["", f"Second half: rows made {made:,.0f}/s (events and deliveries), rows purged {purged:,.0f}/s; "
              f"disk {half[0]['disk_mb']:,.0f} → {half[1]['disk_mb']:,.0f} MiB; deliveries kept "
              f"{half[0]['kept_deliveries']:,} → {half[1]['kept_deliveries']:,}; duplicates {r['duplicates']}.", ""]
    return "\n".join(lines)
