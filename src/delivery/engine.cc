// The engine's outside: construction, start and stop, the thread-safe calls that post work to the engine thread,
// and the loop — each turn runs posted tasks, moves due deliveries from the timer heap to their webhook's ready
// queue, lets each runnable webhook start what its controls allow (engine_dispatch.cc), records what finished
// (engine_outcomes.cc), then lets the transport wait for sockets until the next timer or a wakeup. The job table and
// the leases are in engine_jobs.cc.
#include "delivery/engine.h"

#include <pthread.h>

#include <algorithm>
#include <cassert>

#include "common/ids.h"
#include "common/log.h"
#include "common/worker_thread.h"
#include "delivery/http_client.h"

namespace hookd {

DeliveryEngine::DeliveryEngine(EngineStore& store, DisabledWebhookSink& disabled, EngineOptions options,
                               Metrics& metrics)
    : DeliveryEngine(store, disabled, options, metrics,
                     std::make_unique<HttpClient>(HttpClientOptions{options.allow_http, options.allow_private_networks,
                                                                    4096, options.egress_proxy}),
                     SystemTime(), std::make_unique<WorkerThread>("hookd-loader")) {}

DeliveryEngine::DeliveryEngine(EngineStore& store, DisabledWebhookSink& disabled, EngineOptions options,
                               Metrics& metrics, std::unique_ptr<Transport> transport, const Clock& clock,
                               std::unique_ptr<TaskRunner> loader)
    : store_(store),
      disabled_(disabled),
      options_(std::move(options)),
      metrics_(metrics),
      retry_policy_(options_.retry_schedule_ms),
      client_(std::move(transport)),
      clock_(clock),
      rng_(options_.random_seed ? options_.random_seed : std::random_device{}()),
      loader_(std::move(loader)) {}

DeliveryEngine::~DeliveryEngine() {
  Stop();
  loader_.reset();
}

void DeliveryEngine::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void DeliveryEngine::StartManual() {
  engine_thread_.Bind();
}

void DeliveryEngine::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  client_->Wakeup();
  if (thread_.joinable()) {
    thread_.join();
    loader_.reset();  // reads still queued are dropped: those deliveries stay in the store for the next start
  }
  store_.Flush();  // the records of the last attempts
}

void DeliveryEngine::Post(std::function<void()> task) {
  bool was_empty;
  {
    MutexLock lock(&mu_);
    was_empty = inbox_.empty();
    inbox_.push_back(std::move(task));
  }
  // The engine drains the whole inbox each turn, so only the first task of a turn needs to wake it.
  if (was_empty) client_->Wakeup();
}

void DeliveryEngine::Enqueue(const std::vector<AcceptedEvent>& accepted) {
  std::vector<std::pair<std::string, DeliveryJob>> jobs;
  for (const AcceptedEvent& a : accepted) {
    if (a.replayed || a.deliveries.empty()) continue;
    auto event = std::make_shared<const Event>(a.event);
    for (const Delivery& d : a.deliveries) {
      DeliveryJob job;
      job.delivery_id = d.id;
      job.due_ms = d.next_attempt_at_ms.value_or(d.created_at_ms);
      job.event_created_ms = a.event.created_at_ms;
      job.event = event;
      jobs.emplace_back(d.webhook_id, std::move(job));
    }
  }
  PostJobs(std::move(jobs));
}

void DeliveryEngine::EnqueueDeliveries(const std::vector<Delivery>& deliveries) {
  std::vector<std::pair<std::string, DeliveryJob>> jobs;
  for (const Delivery& d : deliveries) {
    DeliveryJob job;
    job.delivery_id = d.id;
    job.event_id = d.event_id;
    job.attempts_made = d.attempt_count;
    job.due_ms = d.next_attempt_at_ms.value_or(clock_.NowMs());
    jobs.emplace_back(d.webhook_id, std::move(job));
  }
  PostJobs(std::move(jobs));
}

void DeliveryEngine::PostJobs(std::vector<std::pair<std::string, DeliveryJob>> jobs) {
  if (jobs.empty()) return;
  Post([this, jobs = std::move(jobs)]() mutable {
    for (auto& [webhook_id, job] : jobs) Add(webhook_id, std::move(job));
  });
}

void DeliveryEngine::OnWebhookChanged(const std::string& webhook_id) {
  Post([this, webhook_id] {
    auto it = webhooks_.find(webhook_id);
    if (it == webhooks_.end()) return;
    it->second->loaded = false;
    MarkRunnable(*it->second);
  });
}

void DeliveryEngine::OnAllWebhooksChanged() {
  Post([this] {
    for (auto& [id, ws] : webhooks_) {
      ws->loaded = false;
      MarkRunnable(*ws);
    }
  });
}

uint64_t DeliveryEngine::BeginRead() {
  open_reads_.fetch_add(1);
  const uint64_t token = outcomes_noted_.load();
  MutexLock lock(&mu_);
  open_read_tokens_.insert(token);
  return token;
}

void DeliveryEngine::EnqueueRead(uint64_t token, std::vector<DueDelivery> deliveries) {
  Post([this, token, deliveries = std::move(deliveries)]() mutable {
    std::unordered_set<UlidKey, UlidKeyHash> recorded_since;
    for (const auto& [noted, order] : recent_outcomes_) {
      if (noted > token) recorded_since.insert(order);
    }
    for (DueDelivery& d : deliveries) {
      if (recorded_since.contains(UlidValue(d.delivery_id))) continue;  // the read saw it before its outcome
      DeliveryJob job;
      job.delivery_id = std::move(d.delivery_id);
      job.event_id = std::move(d.event_id);
      job.attempts_made = d.attempt_count;
      job.due_ms = d.due_at_ms;
      job.event_created_ms = d.event_created_at_ms;
      job.event = std::move(d.event);
      Add(d.webhook_id, std::move(job));
    }
  });
}

void DeliveryEngine::EndRead(uint64_t token) {
  Post([this, token] {
    // Outcomes older than every read still open matter to none.
    uint64_t oldest_open = UINT64_MAX;
    {
      MutexLock lock(&mu_);
      open_read_tokens_.erase(open_read_tokens_.find(token));
      if (!open_read_tokens_.empty()) oldest_open = *open_read_tokens_.begin();
    }
    open_reads_.fetch_sub(1);
    while (!recent_outcomes_.empty() && recent_outcomes_.front().first <= oldest_open) recent_outcomes_.pop_front();
  });
}

void DeliveryEngine::NoteOutcome(UlidKey order) {
  const uint64_t noted = outcomes_noted_.fetch_add(1) + 1;
  if (open_reads_.load() > 0) recent_outcomes_.emplace_back(noted, order);
}

void DeliveryEngine::SetLeases(std::vector<ShardLease> held) {
  Post([this, held = std::move(held)] { ApplyLeases(held); });
}

int DeliveryEngine::InFlightOn(const std::vector<int>& shards) const {
  MutexLock lock(&mu_);
  int n = 0;
  for (const auto& [order, shard] : in_flight_) n += std::ranges::count(shards, shard) > 0 ? 1 : 0;
  return n;
}

std::vector<std::string> DeliveryEngine::InFlightDeliveryIds() const {
  MutexLock lock(&mu_);
  std::vector<std::string> ids;
  ids.reserve(in_flight_.size());
  for (const auto& [order, shard] : in_flight_) {
    ids.push_back("dlv_" + EncodeUlid(static_cast<uint64_t>(order >> 80), static_cast<uint64_t>(order >> 64) & 0xffff,
                                      static_cast<uint64_t>(order)));
  }
  return ids;
}

std::future<OutboundResponse> DeliveryEngine::SendNow(OutboundRequest request) {
  auto promise = std::make_shared<std::promise<OutboundResponse>>();
  auto future = promise->get_future();
  bool stopping;
  {
    MutexLock lock(&mu_);
    stopping = stopping_;
  }
  if (stopping) {
    OutboundResponse r;
    r.error = "shutting_down";
    promise->set_value(std::move(r));
    return future;
  }
  Post([this, promise, request = std::move(request)]() mutable {
    client_->Start(std::move(request), [promise](OutboundResponse r) { promise->set_value(std::move(r)); });
  });
  return future;
}

bool DeliveryEngine::IsInFlight(const std::string& delivery_id) const {
  MutexLock lock(&mu_);
  return in_flight_.contains(UlidValue(delivery_id));
}

void DeliveryEngine::Loop() {
  pthread_setname_np(pthread_self(), "hookd-engine");
  engine_thread_.Bind();
  while (RunTurn(kMaxSleepMs)) {
  }
}

bool DeliveryEngine::RunTurn(int64_t max_wait_ms) {
  engine_thread_.AssertOnOwner();
  std::vector<std::function<void()>> tasks;
  bool stopping;
  {
    MutexLock lock(&mu_);
    tasks.swap(inbox_);
    stopping = stopping_;
  }
  for (auto& task : tasks) task();
  const int64_t now = clock_.NowMs();
  if (stopping) {
    if (stop_deadline_ == 0) stop_deadline_ = now + options_.attempt_timeout_ms + 1000;
    if (client_->InFlight() == 0 || now >= stop_deadline_) {
      RecordFinishedAttempts();
      if (client_->InFlight() > 0) {
        LogWarn("stopping with attempts still in flight; they will be retried after restart",
                {{"in_flight", std::to_string(client_->InFlight())}});
      }
      return false;
    }
  } else {
    RunTimers(now);
    std::vector<WebhookState*> batch;
    batch.swap(runnable_);
    for (WebhookState* ws : batch) Dispatch(*ws, now);
  }
  for (size_t stage = 0; stage < stage_counts_.size(); ++stage) {
    metrics_.SetWaiting(static_cast<WaitingStage>(stage), stage_counts_[stage]);
  }
  if (now >= next_age_report_ms_) {  // a pass over every job: once a second
    ReportOldestWaiting(now);
    next_age_report_ms_ = now + kAgeReportIntervalMs;
  }
  int64_t wait = max_wait_ms;
  if (!stopping) {
    if (!runnable_.empty() && MayStartMore()) {
      wait = 0;
    } else if (!timers_.empty()) {
      wait = std::clamp<int64_t>(timers_.front().due_ms - clock_.NowMs(), 0, max_wait_ms);
    }
  }
  RecordFinishedAttempts();
  LoadEvents();
  client_->Poll(static_cast<int>(wait));
  return true;
}

}  // namespace hookd
