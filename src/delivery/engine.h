// The delivery engine: an in-process scheduler fed directly by committed events (no polling on the hot path).
// It runs attempts on the libcurl client, records each outcome through the store's group commit, and schedules
// retries on the retry policy. Per webhook it enforces the rate limit (token bucket), a concurrency cap, the
// circuit breaker, strict order for `ordered` webhooks, and auto-disable. On start it resumes every unfinished
// delivery from the store.
//
// Invariants: the engine knows each delivery at most once (jobs_ by id), in exactly one stage — scheduled
// (waiting for its time), ready (due, waiting for its webhook's capacity), or in flight — so at most one attempt
// of a delivery is in flight; a retry is scheduled only after the failed attempt's record is durable; a succeeded
// delivery is forgotten and never sent again.
//
// Threading: one engine thread owns all scheduling state and the HTTP client. The public methods are
// thread-safe, never block on I/O (SendNow's future does), and hand their work to the engine thread.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/metrics.h"
#include "delivery/alerter.h"
#include "delivery/http_client.h"
#include "delivery/webhook_health.h"
#include "domain/retry_policy.h"
#include "domain/token_bucket.h"
#include "store/store.h"

namespace hookd {

struct EngineOptions {
  std::vector<int64_t> retry_schedule_ms;
  int64_t attempt_timeout_ms = 30'000;
  bool allow_http = false;
  bool allow_private_networks = false;
  CircuitSettings circuit;
  // Concurrency caps. libcurl multi's cost per call grows with the number of transfers, and a receiver is served
  // best by a few busy keep-alive connections, so these stay modest (measured in BENCHMARKS.md).
  size_t max_in_flight = 1024;          // all webhooks together
  int max_in_flight_per_webhook = 32;   // so one slow webhook cannot take every connection
};

class DeliveryEngine {
 public:
  DeliveryEngine(Store& store, Alerter& alerter, EngineOptions options, Metrics& metrics);
  ~DeliveryEngine();
  DeliveryEngine(const DeliveryEngine&) = delete;
  DeliveryEngine& operator=(const DeliveryEngine&) = delete;

  // Loads every unfinished delivery from the store and starts the engine thread.
  [[nodiscard]] Status Start();
  // Starts no new attempts, waits for those in flight (at most the attempt timeout), and makes their records
  // durable. Deliveries still waiting stay in the store for the next start.
  void Stop();

  // Schedules freshly committed deliveries (new events, replays, manual retries), due at their next_attempt_at.
  // A delivery the engine already knows is not added twice; a scheduled one is moved up to the new time.
  void Enqueue(const std::vector<AcceptedEvent>& accepted);
  void EnqueueDeliveries(const std::vector<Delivery>& deliveries);
  // A webhook was created, changed or deleted: reload its settings, release or drop its deliveries.
  void OnWebhookChanged(const std::string& webhook_id);
  // Sends one request right away, outside the scheduler and rate limits (test sends, reachability pings).
  [[nodiscard]] std::future<OutboundResponse> SendNow(OutboundRequest request);
  // True while an attempt of this delivery is in flight (reported as status "delivering").
  [[nodiscard]] bool IsInFlight(const std::string& delivery_id) const;

 private:
  enum class Stage { kScheduled, kReady, kInFlight };
  struct Job {
    std::string delivery_id;
    std::string webhook_id;
    std::string event_id;
    int attempts_made = 0;
    int64_t due_ms = 0;
    int64_t event_created_ms = 0;
    std::shared_ptr<const Event> event;  // null until loaded (resumed deliveries, retries)
    Stage stage = Stage::kScheduled;
    uint64_t generation = 0;  // bumped on every reschedule; stale timer entries are skipped
  };
  struct Timer {
    int64_t due_ms;
    uint64_t generation;
    std::string delivery_id;  // empty = a webhook wake-up
    std::string webhook_id;
    bool operator>(const Timer& o) const { return due_ms > o.due_ms; }
  };
  struct WebhookState {
    explicit WebhookState(CircuitSettings settings) : health(settings) {}
    std::shared_ptr<const Webhook> settings;  // null until loaded
    bool loaded = false;
    bool missing = false;                  // deleted
    std::set<std::string> unfinished;      // every known delivery of this webhook, in creation order
    std::set<std::string> ready;           // due deliveries waiting for capacity, in creation order
    int in_flight = 0;
    TokenBucket bucket;
    bool bucket_started = false;
    WebhookHealth health;
    bool runnable_queued = false;
  };

  void Post(std::function<void()> task);  // runs `task` on the engine thread
  void Loop();
  void RunTimers(int64_t now);
  void Add(Job job);
  void ScheduleTimer(Job& job);
  void Forget(const std::string& delivery_id);
  WebhookState& State(const std::string& webhook_id);
  void LoadSettings(WebhookState& ws, const std::string& webhook_id);
  void MarkRunnable(const std::string& webhook_id);
  void Dispatch(const std::string& webhook_id, int64_t now);
  void StartAttempt(Job& job, WebhookState& ws);
  void OnAttemptDone(const std::string& delivery_id, Attempt attempt, OutboundResponse response);
  // What the engine does once an attempt's record is durable.
  struct RecordedOutcome {
    std::string delivery_id;
    DeliveryStatus status;
    std::optional<int64_t> next_attempt_ms;
    bool disabled = false;
    std::string disabled_reason;
  };
  void RecordFinishedAttempts();
  void OnRecorded(const RecordedOutcome& outcome, const Status& st);
  void PersistHealth(const std::string& webhook_id, const WebhookState& ws);

  Store& store_;
  Alerter& alerter_;
  EngineOptions options_;
  Metrics& metrics_;
  RetryPolicy retry_policy_;
  HttpClient client_;  // engine thread only

  // Engine-thread state.
  std::unordered_map<std::string, Job> jobs_;
  std::vector<Timer> timers_;  // min-heap on due_ms
  std::unordered_map<std::string, std::unique_ptr<WebhookState>> webhooks_;
  std::vector<std::string> runnable_;  // webhooks that may be able to start attempts
  std::vector<AttemptRecord> unrecorded_;  // finished this turn, to be written together
  std::mt19937_64 rng_;

  // Shared with other threads.
  mutable std::mutex mu_;
  std::vector<std::function<void()>> inbox_;   // guarded by mu_
  std::unordered_set<std::string> in_flight_;  // guarded by mu_
  bool stopping_ = false;                      // guarded by mu_
  std::thread thread_;
};

}  // namespace hookd
