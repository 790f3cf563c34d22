// The retention job (SPEC §5): purges events, deliveries and attempts older than the retention period, statistics
// cells older than theirs (minute cells with the delivery log, hour cells after --stats-retention) and audit records
// after --audit-retention, in small batches on a background thread, pausing between batches so the group-commit
// writer keeps serving deliveries and API requests in between. Stops promptly (between batches) when destroyed.
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "common/periodic_task.h"
#include "store/store.h"

namespace hookd {

// How long each kind of row is kept (SPEC §2: --retention, --stats-retention).
struct Retention {
  int64_t delivery_log_ms = 30LL * 86'400'000;  // events, deliveries, attempts, and statistics by the minute
  int64_t stats_ms = 90LL * 86'400'000;         // statistics by the hour
  int64_t audit_ms = 400LL * 86'400'000;        // audit records (SPEC §9), oldest first in each chain
};

class RetentionJob {
 public:
  // Purges rows older than their retention a second after start, then every `interval_ms`.
  RetentionJob(Store& store, Retention retention, int64_t interval_ms, const Clock& clock, Metrics* metrics = nullptr);

 private:
  void RunOnce(PeriodicTask& task);

  Store& store_;
  const Clock& clock_;
  Metrics* metrics_;
  Retention retention_;
  int64_t interval_ms_;
  int64_t next_run_ms_;  // the task's thread only
  PeriodicTask task_;    // declared last: starts after the members it uses
};

}  // namespace hookd
