// The retention job (SPEC §5): a background thread that purges events, deliveries and attempts older than the
// retention period in small batches, pausing between batches so the group-commit writer keeps serving
// deliveries and API requests in between. Thread-safe to construct and destroy; it owns its thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "store/store.h"

namespace hookd {

class RetentionJob {
 public:
  // Purges rows older than `retention_ms`, checking every `interval_ms`.
  RetentionJob(Store& store, int64_t retention_ms, int64_t interval_ms);
  ~RetentionJob();  // stops promptly, between batches

  // One full pass (all batches); returns rows purged. Exposed for tests and the first run.
  int64_t RunOnce();

 private:
  void Loop();

  Store& store_;
  int64_t retention_ms_;
  int64_t interval_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hookd
