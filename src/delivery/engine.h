// The delivery engine: an in-process scheduler fed directly by committed events (no polling on the hot path),
// which runs attempts on the libcurl client, records each outcome through the store's group commit, and
// schedules retries on the retry policy. On start it resumes every unfinished delivery from the store.
//
// Invariants: a delivery is either waiting in the scheduler, parked (webhook inactive), or in flight — never two
// of these — so at most one attempt of a delivery is in flight; a retry is scheduled only after the failed
// attempt's record is durable, and a succeeded delivery is never scheduled again.
//
// Threading: one engine thread owns the scheduler, the webhook cache and the HTTP client. Enqueue,
// OnWebhookChanged, SendNow and IsInFlight are thread-safe and never block on I/O.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/metrics.h"
#include "delivery/http_client.h"
#include "domain/retry_policy.h"
#include "store/store.h"

namespace hookd {

struct EngineOptions {
  std::vector<int64_t> retry_schedule_ms;
  int64_t attempt_timeout_ms = 30'000;
  bool allow_http = false;
  bool allow_private_networks = false;
  size_t max_in_flight = 2048;
};

class DeliveryEngine {
 public:
  DeliveryEngine(Store& store, EngineOptions options, Metrics& metrics);
  ~DeliveryEngine();
  DeliveryEngine(const DeliveryEngine&) = delete;
  DeliveryEngine& operator=(const DeliveryEngine&) = delete;

  // Loads every unfinished delivery from the store and starts the engine thread.
  [[nodiscard]] Status Start();
  // Starts no new attempts, waits for those in flight (at most the attempt timeout), and makes their records
  // durable. Deliveries still waiting stay in the store for the next start.
  void Stop();

  // Schedules the deliveries of freshly committed events, due now.
  void Enqueue(const std::vector<AcceptedEvent>& accepted);
  // A webhook was created, changed or deleted: forget its cached settings, release parked deliveries.
  void OnWebhookChanged(const std::string& webhook_id);
  // Sends one request right away, outside the scheduler and rate limits (test sends, reachability pings).
  [[nodiscard]] std::future<OutboundResponse> SendNow(OutboundRequest request);
  // True while an attempt of this delivery is in flight (reported as status "delivering").
  [[nodiscard]] bool IsInFlight(const std::string& delivery_id) const;

 private:
  struct Job {
    std::string delivery_id;
    std::string webhook_id;
    std::string event_id;
    int attempts_made = 0;
    int64_t due_ms = 0;
    int64_t event_created_ms = 0;
    std::shared_ptr<const Event> event;  // null until loaded (resumed deliveries)
  };
  struct JobLater {
    bool operator()(const Job& a, const Job& b) const { return a.due_ms > b.due_ms; }
  };
  struct DirectSend {
    OutboundRequest request;
    std::shared_ptr<std::promise<OutboundResponse>> promise;
  };

  void Loop();
  void DrainInbox();
  void Schedule(Job job);
  void StartAttempt(Job job);
  void OnAttemptDone(Job job, Attempt attempt, OutboundResponse response);
  std::shared_ptr<const Webhook> WebhookFor(const std::string& webhook_id);
  void PushInbox(Job job);

  Store& store_;
  EngineOptions options_;
  Metrics& metrics_;
  RetryPolicy retry_policy_;
  HttpClient client_;  // engine thread only

  // Engine-thread state.
  std::vector<Job> scheduled_;  // a min-heap on due_ms
  std::unordered_map<std::string, std::vector<Job>> parked_;             // by webhook id
  std::unordered_map<std::string, std::shared_ptr<const Webhook>> webhooks_;  // cache by id
  std::mt19937_64 rng_;

  // Shared with other threads.
  mutable std::mutex mu_;
  std::vector<Job> inbox_jobs_;                  // guarded by mu_
  std::vector<std::string> inbox_webhooks_;      // guarded by mu_
  std::vector<DirectSend> inbox_direct_;         // guarded by mu_
  std::unordered_set<std::string> in_flight_;    // guarded by mu_
  bool stopping_ = false;                        // guarded by mu_
  std::thread thread_;
};

}  // namespace hookd
