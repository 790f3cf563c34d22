// Batches of 500 rows keep each purge transaction to a few milliseconds.
#include "store/retention.h"

#include "common/log.h"
#include "common/time_util.h"

namespace hookd {
namespace {
constexpr int kBatch = 500;
constexpr auto kPauseBetweenBatches = std::chrono::milliseconds(5);
}  // namespace

RetentionJob::RetentionJob(Store& store, int64_t retention_ms, int64_t interval_ms)
    : store_(store),
      retention_ms_(retention_ms),
      task_("hookd-retention", std::chrono::milliseconds(interval_ms), [this](PeriodicTask& t) { RunOnce(t); }) {}

void RetentionJob::RunOnce(PeriodicTask& task) {
  int64_t total = 0;
  do {
    auto purged = store_.PurgeOlderThan(NowMs() - retention_ms_, kBatch);
    if (!purged) {
      LogError("retention purge failed", {{"error", purged.error().message}});
      break;
    }
    total += *purged;
    if (*purged == 0) break;
  } while (task.Pause(kPauseBetweenBatches));
  if (total > 0) LogInfo("retention purged old rows", {{"rows", std::to_string(total)}});
}

}  // namespace hookd
