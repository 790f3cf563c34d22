// Process-wide metrics exported at /metrics in the Prometheus text format (base units, `_total` counters,
// `_seconds` histograms). Lock-free: any thread may record. Every label takes a bounded set of values (an outcome
// class, a route pattern, a stage), never a webhook's or an account's id.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookd {

// A histogram with fixed bucket bounds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  // Appends the `_bucket`, `_sum` and `_count` series; `labels` is "" or `name="value",…` without braces.
  void Render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative), the last one +Inf
  std::atomic<uint64_t> sum_micro_{0};               // sum × 10^6, so it adds without a lock
  std::atomic<uint64_t> count_{0};
};

// How one attempt ended, for hookd_attempts_total{outcome}.
enum class AttemptOutcome { k2xx, k3xx, k4xx, k5xx, kTimeout, kConnection, kTls, kDns, kBlocked, kOther, kCount };
[[nodiscard]] AttemptOutcome ClassifyAttempt(std::optional<int> status, std::string_view error);

// The stages a delivery waits in, for hookd_deliveries_waiting{stage}.
enum class WaitingStage { kScheduled, kReady, kLoading, kInFlight, kRecording, kCount };

class Metrics {
 public:
  Metrics();

  // API: one route per registered pattern, named before serving starts (RegisterRoute is not thread-safe).
  size_t RegisterRoute(std::string pattern);
  static constexpr size_t kUnmatchedRoute = SIZE_MAX;  // a request no route matched
  void ApiRequest(size_t route, int status, double seconds);

  void EventsAccepted(uint64_t events, uint64_t deliveries);
  void AttemptFinished(AttemptOutcome outcome, double seconds);
  void DeliverySucceeded(double seconds_since_event);
  void DeliveryDead() { deliveries_dead_.fetch_add(1, std::memory_order_relaxed); }
  void SetWaiting(WaitingStage stage, int64_t n) {
    waiting_[static_cast<size_t>(stage)].store(n, std::memory_order_relaxed);
  }
  // How long the longest-waiting delivery of `stage` has waited there (scheduled: how far past its due time).
  void SetOldestWaiting(WaitingStage stage, int64_t ms) {
    oldest_waiting_ms_[static_cast<size_t>(stage)].store(ms, std::memory_order_relaxed);
  }
  void SetOpenCircuits(int64_t n) { open_circuits_.store(n, std::memory_order_relaxed); }
  void StoreCommit(double seconds, size_t batch_size);
  void StoreWriteFailed() { store_write_failures_.fetch_add(1, std::memory_order_relaxed); }
  void RetentionPurged(int64_t rows) { purged_rows_.fetch_add(static_cast<uint64_t>(rows), std::memory_order_relaxed); }
  // A retention run that purged everything due (`caught_up`), or one a store error cut short.
  void RetentionRun(bool caught_up, int64_t now_ms);
  // A shard lease round: renewed (with the shards this process now runs) or failed.
  void LeaseRound(bool renewed, int64_t shards_held);
  void AlertEmail(bool sent) {
    (sent ? alert_emails_sent_ : alert_emails_failed_).fetch_add(1, std::memory_order_relaxed);
  }

  // The exposition text. `webhooks_by_status` (healthy, failing, disabled), when known, adds hookd_webhooks.
  [[nodiscard]] std::string RenderPrometheus(const std::optional<std::array<int64_t, 3>>& webhooks_by_status) const;

  // For tests and the log.
  [[nodiscard]] uint64_t events_accepted() const { return events_accepted_.load(std::memory_order_relaxed); }

 private:
  struct Route {
    explicit Route(std::string p);
    std::string pattern;
    std::array<std::atomic<uint64_t>, 5> by_class{};  // 1xx..5xx
    Histogram duration;
  };

  const int64_t started_at_ms_;
  std::deque<Route> routes_;  // stable addresses; fixed once serving starts
  Route unmatched_{"unmatched"};
  std::atomic<uint64_t> events_accepted_{0};
  std::atomic<uint64_t> deliveries_created_{0};
  std::atomic<uint64_t> deliveries_succeeded_{0};
  std::atomic<uint64_t> deliveries_dead_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(AttemptOutcome::kCount)> attempts_{};
  Histogram attempt_duration_;
  Histogram delivery_latency_;
  std::array<std::atomic<int64_t>, static_cast<size_t>(WaitingStage::kCount)> waiting_{};
  std::array<std::atomic<int64_t>, static_cast<size_t>(WaitingStage::kCount)> oldest_waiting_ms_{};
  std::atomic<int64_t> open_circuits_{0};
  Histogram commit_duration_;
  Histogram commit_batch_size_;
  std::atomic<uint64_t> store_write_failures_{0};
  std::atomic<uint64_t> purged_rows_{0};
  std::atomic<int64_t> retention_caught_up_at_ms_{0};  // 0 = not yet
  std::atomic<uint64_t> retention_failures_{0};
  std::atomic<int64_t> shards_held_{-1};  // -1 = no round yet (a process that does not deliver)
  std::atomic<uint64_t> lease_renewals_{0};
  std::atomic<uint64_t> lease_renewal_failures_{0};
  std::atomic<uint64_t> alert_emails_sent_{0};
  std::atomic<uint64_t> alert_emails_failed_{0};
};

}  // namespace hookd
