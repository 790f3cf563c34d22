// The delivery engine: an in-process scheduler fed directly by committed events (no polling on the hot path).
// Its work arrives through DeliveryWork (delivery/delivery_work.h). It runs attempts on a Transport (the HTTP
// client), records each outcome through the EngineStore, and schedules retries on the retry policy. Per webhook it
// enforces the rate limit (token bucket), a concurrency cap, the circuit breaker, strict order for `ordered`
// webhooks, and auto-disable.
//
// It runs the webhooks of the shards SetLeases says this process holds (one process on its own holds every shard;
// store/work_distribution.h). It starts an attempt only while that lease has more than the attempt timeout left,
// tags each outcome with the lease's fencing epoch (the store refuses a stale one), and forgets a shard's waiting
// deliveries the moment its lease is gone. Unfinished deliveries reach it from the lease keeper, which reads those
// of every shard it takes: that is also how a restarted process resumes.
//
// Invariants: the engine knows each delivery at most once (slot_by_id_), in exactly one stage — scheduled
// (waiting for its time), ready (due, waiting for its webhook's capacity), loading (its event is being read), in
// flight, or recording (its outcome is being made durable) — so at most one attempt of a delivery is in flight; a
// retry is scheduled only after the failed attempt's record is durable; a succeeded delivery is forgotten and never
// sent again.
//
// Threading: one engine thread owns all scheduling state and the transport (checked by engine_thread_ in debug
// builds; the invariants above are asserted there too). It never waits for the store: webhooks and events are read
// through the loader (a TaskRunner) and handed back. The public methods are thread-safe, never block on I/O
// (SendNow's future does), and hand their work to the engine thread.
//
// Time comes from a Clock, attempts go through a Transport and store reads through the loader, all chosen at
// construction, so the rules can be run turn by turn (RunTurn) on one thread with a clock, responses and a store a
// test controls (tests/unit/engine_rules_test.cc).
#pragma once

#include <array>
#include <atomic>
#include <bitset>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/egress_proxy.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "common/mutex.h"
#include "common/task_runner.h"
#include "common/thread_checker.h"
#include "delivery/delivery_work.h"
#include "delivery/disabled_webhook_sink.h"
#include "delivery/in_flight_lookup.h"
#include "delivery/outbound_sender.h"
#include "delivery/request_builder.h"
#include "delivery/transport.h"
#include "delivery/webhook_health.h"
#include "domain/retry_policy.h"
#include "domain/sharding.h"
#include "domain/token_bucket.h"
#include "store/engine_store.h"

namespace hookd {

struct EngineOptions {
  std::vector<int64_t> retry_schedule_ms;
  int64_t attempt_timeout_ms = 30'000;
  bool allow_http = false;
  bool allow_private_networks = false;
  std::optional<EgressProxy> egress_proxy;  // --egress-proxy: every attempt leaves through it
  CircuitSettings circuit;
  // Concurrency caps: a receiver is served best by a few busy keep-alive connections, so these stay modest.
  size_t max_in_flight = 1024;         // all webhooks together
  int max_in_flight_per_webhook = 32;  // so one slow webhook cannot take every connection
  // Attempts finished but not yet durable. The engine starts no attempt while this many wait for the store, so it
  // never runs ahead of what the store can record: memory stays bounded, and a crash re-sends at most these.
  size_t max_recording = 16384;
  uint64_t random_seed = 0;  // of the retry jitter; 0 = a random one
};

class DeliveryEngine final : public DeliveryWork, public OutboundSender, public InFlightLookup {
 public:
  // Delivers over HTTP (HttpClient) on the system clock, reading the store on a thread of its own.
  DeliveryEngine(EngineStore& store, DisabledWebhookSink& disabled, EngineOptions options, Metrics& metrics);
  // Delivers through `transport` on `clock` (which must outlive the engine), reading the store through `loader`.
  DeliveryEngine(EngineStore& store, DisabledWebhookSink& disabled, EngineOptions options, Metrics& metrics,
                 std::unique_ptr<Transport> transport, const Clock& clock, std::unique_ptr<TaskRunner> loader);
  ~DeliveryEngine() override;
  DeliveryEngine(const DeliveryEngine&) = delete;
  DeliveryEngine& operator=(const DeliveryEngine&) = delete;

  // Starts the engine thread.
  void Start();
  // Makes the caller's thread the engine thread, to run it with RunTurn (unit tests of the rules).
  void StartManual();
  // One turn of the engine loop: posted tasks, due timers, dispatch, recording, then the transport's Poll for up
  // to `max_wait_ms`. Returns false once the engine has stopped.
  bool RunTurn(int64_t max_wait_ms);
  // Starts no new attempts, waits for those in flight (at most the attempt timeout), and makes their records
  // durable. Deliveries still waiting stay in the store for the next start.
  void Stop();

  // DeliveryWork. A delivery the engine already knows is not added twice; a scheduled one is moved up.
  void Enqueue(const std::vector<AcceptedEvent>& accepted) override;
  void EnqueueDeliveries(const std::vector<Delivery>& deliveries) override;
  void OnWebhookChanged(const std::string& webhook_id) override;
  void OnAllWebhooksChanged() override;
  [[nodiscard]] uint64_t BeginRead() override;
  void EnqueueRead(uint64_t token, std::vector<DueDelivery> deliveries) override;
  void EndRead(uint64_t token) override;
  void SetLeases(std::vector<ShardLease> held) override;
  [[nodiscard]] int InFlightOn(const std::vector<int>& shards) const override;
  [[nodiscard]] std::vector<std::string> InFlightDeliveryIds() const override;
  // OutboundSender: through the transport, outside the scheduler and rate limits.
  [[nodiscard]] std::future<OutboundResponse> SendNow(OutboundRequest request) override;
  // InFlightLookup: true while an attempt of this delivery is in flight here.
  [[nodiscard]] bool IsInFlight(const std::string& delivery_id) const override;
  // How many webhooks the engine keeps state for (engine thread): a deleted webhook's state goes once nothing of
  // it is left.
  [[nodiscard]] size_t WebhooksTracked() const;

 private:
  static constexpr int64_t kMaxSleepMs = 1000;
  static constexpr int64_t kAgeReportIntervalMs = 1000;
  static constexpr int64_t kStoreRetryDelayMs = 5000;      // a store that failed is asked again after this
  static constexpr int64_t kKeepEventForRetryMs = 10'000;  // retries further out read the event again when due

  // kRecording: the attempt finished and its outcome is being made durable; the job keeps its slot until it is.
  // The same stages, in the same order, as hookd_deliveries_waiting's (WaitingStage).
  enum class Stage { kScheduled, kReady, kLoading, kInFlight, kRecording };
  static_assert(static_cast<int>(Stage::kRecording) + 1 == static_cast<int>(WaitingStage::kCount));
  struct WebhookState;
  // Jobs live in slots (indices into slots_) so that timers, ready queues and completions refer to them without
  // hashing ids; a slot's generation changes whenever its job is rescheduled or forgotten, which makes every
  // older reference to it stale.
  using JobSlot = uint32_t;
  static constexpr JobSlot kNoJob = UINT32_MAX;
  struct DeliveryJob {
    std::string delivery_id;
    std::string event_id;  // only while `event` is not loaded (resumed deliveries, manual retries)
    UlidKey order = 0;     // the delivery id's ULID value: creation order
    WebhookState* ws = nullptr;
    int attempts_made = 0;
    int64_t lease_epoch = 0;  // of its shard's lease when its attempt started
    int64_t due_ms = 0;
    int64_t event_created_ms = 0;
    std::shared_ptr<const Event> event;  // null until loaded (resumed deliveries, retries)
    Stage stage = Stage::kScheduled;
    int64_t stage_since_ms = 0;  // when it entered `stage`
    uint64_t generation = 0;
    bool live = false;  // false while the slot is free
  };
  struct Timer {
    int64_t due_ms;
    uint64_t generation;
    JobSlot slot;  // kNoJob = a webhook wake-up
    WebhookState* ws;
    bool operator>(const Timer& o) const { return due_ms > o.due_ms; }
  };
  struct WebhookState {
    WebhookState(std::string webhook_id, CircuitSettings circuit)
        : id(std::move(webhook_id)), shard(ShardOf(id)), health(circuit) {}
    std::string id;
    int shard;
    std::shared_ptr<const Webhook> settings;            // null until loaded
    std::unique_ptr<DeliverySigningKeys> signing_keys;  // made from settings, with them
    bool loaded = false;
    bool loading = false;       // a read of its settings is on the loader thread
    bool disabling = false;     // an outcome that disables it is being recorded
    bool counted_open = false;  // counted in open_circuits_
    bool missing = false;       // deleted
    // Its next success may be a recovery (Store: AttemptRecord::may_recover): since it was loaded or re-enabled.
    bool may_recover = true;
    // Every known delivery in creation order, kept only while the webhook is ordered (or not yet loaded): an
    // unordered webhook never asks for its oldest, and a set of every pending delivery is costly under a backlog.
    std::set<std::pair<UlidKey, JobSlot>> unfinished;
    bool tracks_order = true;
    // Once its endpoint is verified, the deliveries held until then (up to this one) go out in creation order.
    UlidKey release_in_order_through = 0;
    std::deque<std::pair<JobSlot, uint64_t>> ready;  // (slot, generation) as they became due; stale ones skipped
    int in_flight = 0;                               // attempts in flight and jobs loading their event
    TokenBucket bucket;
    bool bucket_started = false;
    WebhookHealth health;
    bool runnable_queued = false;
    bool waits_for_lease = false;  // on lease_waiters_
    int jobs = 0;                  // live jobs of this webhook
    int wakeups = 0;               // webhook wake-ups of it on the timer heap
  };

  void Post(std::function<void()> task);  // runs `task` on the engine thread
  // The lease of `shard` when held, else null.
  [[nodiscard]] const ShardLease* LeaseOf(int shard) const;
  void ApplyLeases(const std::vector<ShardLease>& held);
  // Drops the state of a deleted webhook once nothing refers to it any more.
  void ForgetIfGone(WebhookState& ws);
  // Notes that the engine recorded an outcome of the delivery, for reads begun before it (EnqueueRead).
  void NoteOutcome(UlidKey order);
  void Loop();
  void RunTimers(int64_t now);
  // Takes on a delivery of `webhook_id` (a job the engine already knows may only be moved up).
  void Add(const std::string& webhook_id, DeliveryJob job);
  // Jobs made on another thread, with their webhooks' ids, for Add on the engine thread.
  void PostJobs(std::vector<std::pair<std::string, DeliveryJob>> jobs);
  // Queues the job for its due time: on its webhook's ready queue if due, else on the timer heap.
  void Schedule(JobSlot slot);
  // Puts a due job on its webhook's ready queue (at the front when it was already next in line) and makes the
  // webhook runnable.
  void MakeReady(JobSlot slot, bool first = false);
  void WakeWebhookAt(WebhookState& ws, int64_t at_ms);
  void Forget(JobSlot slot);
  // Starts or stops keeping `ws.unfinished`; starting rebuilds it from the live jobs.
  void TrackOrder(WebhookState& ws, bool on);
  // Visits the slot of every live job of `ws` (a scan of all slots: for rare events such as a settings change).
  void ForEachJobOf(const WebhookState& ws, const std::function<void(JobSlot)>& visit);
  WebhookState& State(const std::string& webhook_id);
  // Reads the webhook's settings on the loader thread; ApplySettings takes them on the engine thread.
  void RequestSettings(WebhookState& ws);
  void ApplySettings(WebhookState& ws, Result<Webhook> loaded);
  void MarkRunnable(WebhookState& ws);
  // Below the caps on attempts in flight (with events being read for them) and on outcomes not yet durable.
  bool MayStartMore() const;
  void Dispatch(WebhookState& ws, int64_t now);
  // The job `ws` may start next (the oldest unfinished one for an ordered webhook, if it is due), or kNoJob.
  JobSlot NextReady(WebhookState& ws, bool ordered);
  // Reads the job's event on the loader thread before its attempt; meanwhile the job holds its place in the
  // webhook's concurrency (and order). OnEventLoaded puts it back first in line.
  void LoadEvent(JobSlot slot, WebhookState& ws);
  void OnEventLoaded(JobSlot slot, uint64_t generation, Result<std::shared_ptr<const Event>> event);
  // Hands the events LoadEvent asked for this turn to the loader, many per read.
  void LoadEvents();
  // Sends the attempt now; `now_ms` is the instant its rate token was taken, recorded as its start.
  void SendAttempt(JobSlot slot, WebhookState& ws, int64_t now_ms);
  void OnAttemptDone(JobSlot slot, Attempt attempt, OutboundResponse response);
  // What the engine does once an attempt's record is durable.
  struct RecordedOutcome {
    JobSlot slot;
    UlidKey order;  // the job's delivery id value
    DeliveryStatus status;
    std::optional<int64_t> next_attempt_ms;
    bool disabled = false;
    std::string disabled_reason;
  };
  void RecordFinishedAttempts();
  void OnRecorded(const RecordedOutcome& outcome, const Status& st, bool refused);
  void PersistHealth(WebhookState& ws);
  // Keeps the count of open circuits (for /metrics) in step with `ws`.
  void CountCircuit(WebhookState& ws);
  // Moves a live job to `stage`, keeping the counts of jobs by stage.
  void SetStage(DeliveryJob& job, Stage stage);
  // Sets hookd_oldest_waiting_delivery_seconds from every live job.
  void ReportOldestWaiting(int64_t now);

  EngineStore& store_;
  DisabledWebhookSink& disabled_;
  EngineOptions options_;
  Metrics& metrics_;
  RetryPolicy retry_policy_;
  std::unique_ptr<Transport> client_;  // engine thread only
  const Clock& clock_;

  // Engine-thread state (and Start's, before the thread runs).
  ThreadChecker engine_thread_;
  std::deque<DeliveryJob> slots_;  // stable addresses as it grows
  std::vector<JobSlot> free_slots_;
  std::unordered_map<UlidKey, JobSlot, UlidKeyHash> slot_by_id_;  // every live job, by its delivery id's value
  std::vector<Timer> timers_;                                     // min-heap on due_ms
  std::unordered_map<std::string, std::unique_ptr<WebhookState>> webhooks_;
  std::vector<WebhookState*> runnable_;    // webhooks that may be able to start attempts
  std::vector<AttemptRecord> unrecorded_;  // finished this turn, to be written together
  std::vector<JobSlot> unrecorded_slots_;  // their jobs
  size_t loading_ = 0;                     // jobs whose event is being read
  struct EventLoad {
    JobSlot slot;
    uint64_t generation;
    std::string event_id;
  };
  std::vector<EventLoad> event_loads_;  // asked for this turn, not yet handed to the loader
  std::array<int64_t, static_cast<size_t>(WaitingStage::kCount)> stage_counts_{};  // live jobs by Stage
  int64_t next_age_report_ms_ = 0;
  int64_t open_circuits_ = 0;
  std::array<ShardLease, kShardCount> leases_{};  // where held_ says so
  std::bitset<kShardCount> held_;
  std::vector<WebhookState*> lease_waiters_;  // webhooks whose lease had too little time left to start
  // Outcomes recorded while reads are open (EnqueueRead), with the count of outcomes at the time.
  std::deque<std::pair<uint64_t, UlidKey>> recent_outcomes_;
  int64_t stop_deadline_ = 0;  // when Stop gives up on attempts in flight; 0 = not stopping
  std::mt19937_64 rng_;

  // Shared with other threads.
  mutable Mutex mu_;
  std::vector<std::function<void()>> inbox_ GUARDED_BY(mu_);
  std::unordered_map<UlidKey, int, UlidKeyHash> in_flight_ GUARDED_BY(mu_);  // delivery id value -> shard
  std::atomic<uint64_t> outcomes_noted_{0};                                  // outcomes recorded so far: a read's token
  std::atomic<int> open_reads_{0};                                           // reads between BeginRead and EndRead
  std::multiset<uint64_t> open_read_tokens_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
  std::unique_ptr<TaskRunner> loader_;  // store reads for the engine thread; stopped after it
};

}  // namespace hookd
