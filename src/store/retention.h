// The retention job (SPEC §5): purges events, deliveries and attempts older than the retention period in small
// batches on a background thread, pausing between batches so the group-commit writer keeps serving deliveries
// and API requests in between. Stops promptly (between batches) when destroyed.
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "common/periodic_task.h"
#include "store/store.h"

namespace hookd {

class RetentionJob {
 public:
  // Purges rows older than `retention_ms` a second after start, then every `interval_ms`.
  RetentionJob(Store& store, int64_t retention_ms, int64_t interval_ms, const Clock& clock, Metrics* metrics = nullptr);

 private:
  void RunOnce(PeriodicTask& task);

  Store& store_;
  const Clock& clock_;
  Metrics* metrics_;
  int64_t retention_ms_;
  int64_t interval_ms_;
  int64_t next_run_ms_;  // the task's thread only
  PeriodicTask task_;    // declared last: starts after the members it uses
};

}  // namespace hookd
