// SQLite: writing the statistics rollup (domain/stats_rollup.h) inside the writer's transactions, reading where a
// stored delivery counts, and filling the rollup from the deliveries already stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/stats_rollup.h"
#include "store/row_values.h"
#include "store/sqlite/database.h"

namespace hookd::sqlite {

// Adds `delta` to the rollup: one upsert per cell.
[[nodiscard]] Status WriteStats(Database& db, const StatsDelta& delta);

// What the jobs of one group-commit transaction did to the statistics, written once, just before its COMMIT. A job
// adds its part only once it has succeeded, so a job undone alone leaves nothing behind. Writer thread only.
class GroupStats {
 public:
  void Count(const StatsDelta& delta) { delta_.Merge(delta); }
  void Clear() { delta_.Clear(); }
  [[nodiscard]] Status Write(Database& db);  // and clears

 private:
  StatsDelta delta_;
};

// Where delivery `id` counts and how; none when it has no row.
[[nodiscard]] std::optional<StoredStatsPlace> ReadStatsPlace(Database& db, std::string_view id);

// Counts every delivery stored, and every one still awaiting its row, into an empty rollup.
[[nodiscard]] Status BackfillStats(Database& db);

}  // namespace hookd::sqlite
