#!/usr/bin/env python3
"""WAL bytes per delivery, by table and index: runs hookd under the wal_frames.c shim through one open-loop drive
(as bench/run.py does), then maps every page the WAL received to its B-tree with SQLite's dbstat.

    cc -O2 -shared -fPIC bench/tools/wal_frames.c -o /tmp/wal_frames.so -ldl
    python3 bench/tools/wal_frames.py --rate 3000 --fanout 10 --seconds 10
"""
import argparse
import collections
import os
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import run  # noqa: E402  (bench/run.py)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=3000, help="events/s offered")
    parser.add_argument("--fanout", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--shim", default="/tmp/wal_frames.so")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="hookd-wal-")
    counts_path = os.path.join(data_dir, "wal-frames.txt")
    os.environ.update(LD_PRELOAD=args.shim, WAL_FRAMES_OUT=counts_path)
    hookd = run.Hookd(data_dir).start()
    del os.environ["LD_PRELOAD"]
    ports = run.free_ports(args.fanout)
    key, _ = run.setup(hookd, ports)
    result = run.drive(hookd, key, ports, args.rate, args.seconds, args.fanout, drain=60)
    hookd.stop()  # the shim writes its counts at exit
    deliveries = result["deliveries"]
    db = sqlite3.connect(f"file:{os.path.join(data_dir, 'hookd.db')}?mode=ro", uri=True)
    owner = dict(db.execute("SELECT pageno, name FROM dbstat"))
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    frames = collections.Counter()
    with open(counts_path) as f:
        for line in f:
            page, n = map(int, line.split())
            frames[owner.get(page, "(freed)")] += n
    print(f"{deliveries} deliveries at {result['deliveries_per_s']:.0f}/s; page size {page_size}")
    for name, n in frames.most_common():
        print(f"{name:32s} {n * page_size / deliveries:8.0f} WAL bytes per delivery")
    print(f"{'total':32s} {sum(frames.values()) * page_size / deliveries:8.0f}")
    db.close()
    shutil.rmtree(data_dir)


if __name__ == "__main__":
    main()
