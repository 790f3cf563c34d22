// PostgreSQL: writing the statistics rollup (domain/stats_rollup.h) in the transactions of the changes it counts,
// and filling it from the deliveries already stored.
#pragma once

#include "common/result.h"
#include "domain/stats_rollup.h"
#include "store/postgres/connection.h"

namespace hookd::postgres {

// Whose rows a write adds to: the API's accepts and retries, or a worker's outcomes (so that neither waits for
// the other's commit on the current minute's cells).
enum class StatsWriter { kApi = 0, kOutcomes = 1 };

// Adds `delta` to the rollup in one statement, cells in key order (every writer locks them in the same order).
[[nodiscard]] Status WriteStats(Connection& conn, const StatsDelta& delta, StatsWriter writer);

// Counts every delivery stored into an empty rollup.
[[nodiscard]] Status BackfillStats(Connection& conn);

}  // namespace hookd::postgres
