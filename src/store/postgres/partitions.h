// PostgreSQL: time partitions of the high-volume tables, so retention drops old rows a partition at a time instead of
// deleting them one by one (which leaves vacuum work in every index and falls behind a fast ingest).
//
// `events` and `deliveries` are partitioned by range of id, `attempts` by range of its delivery's id: ids begin with
// their creation time (common/ids.h), so each partition holds what was made in one span of time, and every lookup by
// id reaches one partition. Spans are made ahead of time, `width` long (PartitionWidthFor the retention), and
// recorded in `hookd_partitions` by family: "events", and "deliveries" (a deliveries partition and the attempts
// partition of the same span go together). The first span ("history", from the lowest id) holds what was stored
// before the tables were partitioned, or before the first partition was made.
//
// A span goes once it ended before the retention's cutoff and nothing in it is still needed: for deliveries, no
// delivery in it unfinished; for events, no delivery anywhere that belongs to one of its events (a retry or a replay
// reads the event's payload). Each partition is detached CONCURRENTLY, which never stops readers or writers, checked
// once more now that nothing can change it, then dropped, or attached again when a delivery in it was reopened
// meanwhile. Until a span can go, what in it can is purged row by row (PostgresStore::PurgeOlderThan); that also
// serves the history span, which ends where partitioning began. A retention under four minutes (for which even the
// shortest span is more than a quarter of it) has rows purged one by one up to the cutoff as well, so it is met to
// within a retention run; its spans are still dropped whole, which frees their space.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/postgres/connection.h"

namespace hookd::postgres {

// How long each new span is, for a delivery log kept `retention_ms`: a quarter of it, rounded down to 1 minute,
// 5 minutes, 15 minutes, 1 hour, 6 hours or 1 day (at least a minute). Rows are kept between the retention and the
// retention plus one span.
[[nodiscard]] int64_t PartitionWidthFor(int64_t retention_ms);

// How far ahead of the clock spans exist: three spans, and at least ten minutes. Every process extends them on each
// retention run (at least once a minute) and when it opens the store.
[[nodiscard]] int64_t PartitionLookaheadFor(int64_t width_ms);

// Makes the spans of every family reach `now_ms` + the lookahead, each `width_ms` long. Returns the time they reach.
// When another process holds the maintenance lock, does nothing and returns 0.
[[nodiscard]] Result<int64_t> EnsurePartitions(Connection& conn, int64_t now_ms, int64_t width_ms);

// Makes the tables partitioned: each existing table becomes the history partition of a new partitioned table with
// the same columns and indexes, reaching past every id it holds. Part of the schema migration's transaction.
[[nodiscard]] Status PartitionHighVolumeTables(Connection& conn, int64_t now_ms);

struct PartitionPurge {
  int64_t rows = 0;  // rows of the dropped partitions (as the statistics estimate them)
  // Rows made before this time may be purged one by one: the spans that ended before the cutoff but could not go,
  // and the history span's part before the cutoff. Past it, rows wait for their span to be dropped.
  int64_t events_before_ms = 0;
  int64_t deliveries_before_ms = 0;
};

// Drops every span that ended before `cutoff_ms` (`retention_ms` before now) and holds nothing still needed (see
// above). Outside a transaction; when another process holds the maintenance lock, drops nothing.
[[nodiscard]] Result<PartitionPurge> DropExpiredPartitions(Connection& conn, int64_t cutoff_ms, int64_t retention_ms);

}  // namespace hookd::postgres
