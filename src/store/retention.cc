// Batches of 500 rows keep each purge transaction to a few milliseconds.
#include <pthread.h>
#include "store/retention.h"

#include "common/log.h"
#include "common/time_util.h"

namespace hookd {
namespace {
constexpr int kBatch = 500;
constexpr auto kPauseBetweenBatches = std::chrono::milliseconds(5);
}  // namespace

RetentionJob::RetentionJob(Store& store, int64_t retention_ms, int64_t interval_ms)
    : store_(store), retention_ms_(retention_ms), interval_ms_(interval_ms), thread_([this] { Loop(); }) {}

RetentionJob::~RetentionJob() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int64_t RetentionJob::RunOnce() {
  int64_t total = 0;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (stopping_) break;
    }
    auto purged = store_.PurgeOlderThan(NowMs() - retention_ms_, kBatch);
    if (!purged) {
      LogError("retention purge failed", {{"error", purged.error().message}});
      break;
    }
    total += *purged;
    if (*purged == 0) break;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kPauseBetweenBatches, [this] { return stopping_; });
  }
  if (total > 0) LogInfo("retention purged old rows", {{"rows", std::to_string(total)}});
  return total;
}

void RetentionJob::Loop() {
  pthread_setname_np(pthread_self(), "hookd-retention");
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; })) return;
    }
    RunOnce();
  }
}

}  // namespace hookd
