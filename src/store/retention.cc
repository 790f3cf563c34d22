// Batches of 500 rows keep each purge transaction to a few milliseconds. The first purge runs a second after start
// (a restarted hookd catches up at once), then every interval.
#include "store/retention.h"

#include "common/log.h"

namespace hookd {
namespace {
constexpr int kBatch = 500;
constexpr auto kPauseBetweenBatches = std::chrono::milliseconds(5);
constexpr auto kWakeup = std::chrono::seconds(1);  // how often the job looks whether a purge is due
}  // namespace

RetentionJob::RetentionJob(Store& store, Retention retention, int64_t interval_ms, const Clock& clock, Metrics* metrics)
    : store_(store),
      clock_(clock),
      metrics_(metrics),
      retention_(retention),
      interval_ms_(interval_ms),
      next_run_ms_(clock.NowMs()),
      task_("hookd-retention", kWakeup, [this](PeriodicTask& t) { RunOnce(t); }) {}

void RetentionJob::RunOnce(PeriodicTask& task) {
  const int64_t started = clock_.NowMs();
  if (started < next_run_ms_) return;
  next_run_ms_ = started + interval_ms_;
  int64_t total = 0;
  bool caught_up = false;
  bool failed = false;
  do {
    const int64_t now = clock_.NowMs();
    auto cells = store_.PurgeStatsOlderThan(now - retention_.delivery_log_ms, now - retention_.stats_ms, kBatch);
    if (!cells) {
      LogError("retention purge of statistics failed", {{"error", cells.error().message}});
      failed = true;
      break;
    }
    auto purged = store_.PurgeOlderThan(now - retention_.delivery_log_ms, kBatch);
    if (!purged) {
      LogError("retention purge failed", {{"error", purged.error().message}});
      failed = true;
      break;
    }
    auto audit = store_.PurgeAuditOlderThan(now - retention_.audit_ms, kBatch);
    if (!audit) {
      LogError("retention purge of audit records failed", {{"error", audit.error().message}});
      failed = true;
      break;
    }
    total += *purged + *audit;
    if (metrics_) metrics_->RetentionPurged(*purged + *audit);
    if (*purged == 0 && *cells == 0 && *audit == 0) {
      caught_up = true;
      break;
    }
  } while (task.Pause(kPauseBetweenBatches));
  // Stopped between batches is neither caught up nor a failure.
  if (metrics_ && (caught_up || failed)) metrics_->RetentionRun(caught_up, clock_.NowMs());
  if (total > 0) {
    LogInfo("retention purged old rows",
            {{"rows", std::to_string(total)}, {"elapsed_ms", std::to_string(clock_.NowMs() - started)}});
  }
}

}  // namespace hookd
