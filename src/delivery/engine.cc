// Scheduler loop: run posted tasks, move due deliveries from the timer heap to their webhook's ready set, let each
// runnable webhook start what its rate limit, concurrency cap, circuit and order allow, then let libcurl wait for
// sockets until the next timer or a wakeup.
#include <pthread.h>
#include "delivery/engine.h"

#include <algorithm>

#include "common/ids.h"
#include "common/log.h"
#include "common/time_util.h"
#include "delivery/request_builder.h"

namespace hookd {
namespace {

constexpr int64_t kMaxSleepMs = 1000;
constexpr int64_t kStoreRetryDelayMs = 5000;
constexpr int64_t kKeepEventForRetryMs = 10'000;  // retries further out re-read the event instead of holding it

std::string Truncate(const std::string& s, bool& truncated) {
  truncated = s.size() > kLoggedBodyLimit;
  return truncated ? s.substr(0, kLoggedBodyLimit) : s;
}

}  // namespace

DeliveryEngine::DeliveryEngine(Store& store, Alerter& alerter, EngineOptions options, Metrics& metrics)
    : store_(store),
      alerter_(alerter),
      options_(std::move(options)),
      metrics_(metrics),
      retry_policy_(options_.retry_schedule_ms),
      client_(HttpClientOptions{options_.allow_http, options_.allow_private_networks, 4096}),
      rng_(std::random_device{}()) {}

DeliveryEngine::~DeliveryEngine() { Stop(); }

Status DeliveryEngine::Start() {
  Status st = store_.ForEachUnfinishedDelivery([this](const DueDelivery& d) {
    Job job;
    job.delivery_id = d.delivery_id;
    job.webhook_id = d.webhook_id;
    job.event_id = d.event_id;
    job.attempts_made = d.attempt_count;
    job.due_ms = d.due_at_ms;
    job.event_created_ms = d.event_created_at_ms;
    Add(std::move(job));
  });
  if (!st) return st;
  LogInfo("delivery engine started", {{"resumed_deliveries", std::to_string(jobs_.size())}});
  thread_ = std::thread([this] { Loop(); });
  return Ok();
}

void DeliveryEngine::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  client_.Wakeup();
  if (thread_.joinable()) thread_.join();
  store_.Flush();  // the records of the last attempts
}

void DeliveryEngine::Post(std::function<void()> task) {
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    was_empty = inbox_.empty();
    inbox_.push_back(std::move(task));
  }
  // The engine drains the whole inbox each turn, so only the first task of a turn needs to wake it.
  if (was_empty) client_.Wakeup();
}

void DeliveryEngine::Enqueue(const std::vector<AcceptedEvent>& accepted) {
  std::vector<Job> jobs;
  for (const AcceptedEvent& a : accepted) {
    if (a.replayed || a.deliveries.empty()) continue;
    auto event = std::make_shared<const Event>(a.event);
    for (const Delivery& d : a.deliveries) {
      Job job;
      job.delivery_id = d.id;
      job.webhook_id = d.webhook_id;
      job.event_id = d.event_id;
      job.due_ms = d.next_attempt_at_ms.value_or(d.created_at_ms);
      job.event_created_ms = a.event.created_at_ms;
      job.event = event;
      jobs.push_back(std::move(job));
    }
  }
  if (jobs.empty()) return;
  Post([this, jobs = std::move(jobs)]() mutable {
    for (Job& job : jobs) Add(std::move(job));
  });
}

void DeliveryEngine::EnqueueDeliveries(const std::vector<Delivery>& deliveries) {
  std::vector<Job> jobs;
  for (const Delivery& d : deliveries) {
    Job job;
    job.delivery_id = d.id;
    job.webhook_id = d.webhook_id;
    job.event_id = d.event_id;
    job.attempts_made = d.attempt_count;
    job.due_ms = d.next_attempt_at_ms.value_or(NowMs());
    jobs.push_back(std::move(job));
  }
  if (jobs.empty()) return;
  Post([this, jobs = std::move(jobs)]() mutable {
    for (Job& job : jobs) Add(std::move(job));
  });
}

void DeliveryEngine::OnWebhookChanged(const std::string& webhook_id) {
  Post([this, webhook_id] {
    auto it = webhooks_.find(webhook_id);
    if (it == webhooks_.end()) return;
    it->second->loaded = false;
    MarkRunnable(webhook_id);
  });
}

std::future<OutboundResponse> DeliveryEngine::SendNow(OutboundRequest request) {
  auto promise = std::make_shared<std::promise<OutboundResponse>>();
  auto future = promise->get_future();
  bool stopping;
  {
    std::lock_guard lock(mu_);
    stopping = stopping_;
  }
  if (stopping) {
    OutboundResponse r;
    r.error = "shutting_down";
    promise->set_value(std::move(r));
    return future;
  }
  Post([this, promise, request = std::move(request)]() mutable {
    client_.Start(std::move(request), [promise](OutboundResponse r) { promise->set_value(std::move(r)); });
  });
  return future;
}

bool DeliveryEngine::IsInFlight(const std::string& delivery_id) const {
  std::lock_guard lock(mu_);
  return in_flight_.count(delivery_id) > 0;
}

// ---- engine thread ----

DeliveryEngine::WebhookState& DeliveryEngine::State(const std::string& webhook_id) {
  auto it = webhooks_.find(webhook_id);
  if (it == webhooks_.end()) {
    it = webhooks_.emplace(webhook_id, std::make_unique<WebhookState>(options_.circuit)).first;
  }
  return *it->second;
}

void DeliveryEngine::Add(Job job) {
  auto it = jobs_.find(job.delivery_id);
  if (it != jobs_.end()) {
    Job& known = it->second;
    if (known.stage == Stage::kScheduled && job.due_ms < known.due_ms) {
      known.due_ms = job.due_ms;
      ScheduleTimer(known);
    }
    return;
  }
  State(job.webhook_id).unfinished.insert(job.delivery_id);
  const std::string id = job.delivery_id;
  Job& stored = jobs_.emplace(id, std::move(job)).first->second;
  stored.stage = Stage::kScheduled;
  ScheduleTimer(stored);
}

void DeliveryEngine::ScheduleTimer(Job& job) {
  ++job.generation;
  timers_.push_back(Timer{job.due_ms, job.generation, job.delivery_id, job.webhook_id});
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>{});
}

void DeliveryEngine::Forget(const std::string& delivery_id) {
  auto it = jobs_.find(delivery_id);
  if (it == jobs_.end()) return;
  WebhookState& ws = State(it->second.webhook_id);
  ws.unfinished.erase(delivery_id);
  ws.ready.erase(delivery_id);
  jobs_.erase(it);
}

void DeliveryEngine::MarkRunnable(const std::string& webhook_id) {
  WebhookState& ws = State(webhook_id);
  if (ws.runnable_queued) return;
  ws.runnable_queued = true;
  runnable_.push_back(webhook_id);
}

void DeliveryEngine::RunTimers(int64_t now) {
  while (!timers_.empty() && timers_.front().due_ms <= now) {
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>{});
    Timer t = std::move(timers_.back());
    timers_.pop_back();
    if (t.delivery_id.empty()) {  // a webhook wake-up (rate limit or circuit cooldown)
      MarkRunnable(t.webhook_id);
      continue;
    }
    auto it = jobs_.find(t.delivery_id);
    if (it == jobs_.end() || it->second.generation != t.generation || it->second.stage != Stage::kScheduled) continue;
    it->second.stage = Stage::kReady;
    State(t.webhook_id).ready.insert(t.delivery_id);
    MarkRunnable(t.webhook_id);
  }
}

void DeliveryEngine::Loop() {
  pthread_setname_np(pthread_self(), "hookd-engine");
  int64_t stop_deadline = 0;
  for (;;) {
    std::vector<std::function<void()>> tasks;
    bool stopping;
    {
      std::lock_guard lock(mu_);
      tasks.swap(inbox_);
      stopping = stopping_;
    }
    for (auto& task : tasks) task();
    const int64_t now = NowMs();
    if (stopping) {
      if (stop_deadline == 0) stop_deadline = now + options_.attempt_timeout_ms + 1000;
      if (client_.InFlight() == 0 || now >= stop_deadline) break;
    } else {
      RunTimers(now);
      std::vector<std::string> batch;
      batch.swap(runnable_);
      for (const std::string& webhook_id : batch) Dispatch(webhook_id, now);
    }
    metrics_.deliveries_queued.store(static_cast<int64_t>(jobs_.size()) - static_cast<int64_t>(client_.InFlight()),
                                     std::memory_order_relaxed);
    int64_t wait = kMaxSleepMs;
    if (!stopping) {
      if (!runnable_.empty() && client_.InFlight() < options_.max_in_flight) {
        wait = 0;
      } else if (!timers_.empty()) {
        wait = std::clamp<int64_t>(timers_.front().due_ms - NowMs(), 0, kMaxSleepMs);
      }
    }
    RecordFinishedAttempts();
    client_.Poll(static_cast<int>(wait));
  }
  RecordFinishedAttempts();
  if (client_.InFlight() > 0) {
    LogWarn("stopping with attempts still in flight; they will be retried after restart",
            {{"in_flight", std::to_string(client_.InFlight())}});
  }
}

void DeliveryEngine::LoadSettings(WebhookState& ws, const std::string& webhook_id) {
  auto loaded = store_.GetWebhookById(webhook_id);
  if (!loaded) {
    if (loaded.error().kind == ErrorKind::kNotFound) {
      ws.missing = true;
      ws.loaded = true;
    } else {
      LogError("cannot load webhook", {{"webhook_id", webhook_id}, {"error", loaded.error().message}});
      timers_.push_back(Timer{NowMs() + 1000, 0, "", webhook_id});  // try again shortly
      std::push_heap(timers_.begin(), timers_.end(), std::greater<>{});
    }
    return;
  }
  const bool first_load = ws.settings == nullptr;
  const bool was_active = ws.settings && ws.settings->active;
  ws.settings = std::make_shared<const Webhook>(std::move(*loaded));
  ws.loaded = true;
  ws.missing = false;
  if (first_load) {
    if (ws.settings->circuit != CircuitState::kClosed && ws.settings->active) ws.health.RestoreOpen(NowMs());
  } else if (!was_active && ws.settings->active) {
    ws.health.Reset();  // re-enabled: a fresh start
  }
}

void DeliveryEngine::Dispatch(const std::string& webhook_id, int64_t now) {
  WebhookState& ws = State(webhook_id);
  ws.runnable_queued = false;
  if (!ws.loaded) LoadSettings(ws, webhook_id);
  if (ws.missing) {  // deleted: its deliveries went with it
    std::vector<std::string> drop;
    for (const std::string& id : ws.unfinished) {
      if (jobs_.at(id).stage != Stage::kInFlight) drop.push_back(id);
    }
    for (const std::string& id : drop) Forget(id);
    return;
  }
  if (!ws.settings || !ws.settings->active) return;  // parked until the webhook changes
  const Webhook& w = *ws.settings;
  const double rate = std::max(1, w.rate_limit);
  const double burst = std::max(1.0, rate / 20);  // at most 50 ms worth at once
  if (!ws.bucket_started) {
    ws.bucket = TokenBucket::Full(burst, now);
    ws.bucket_started = true;
  }
  auto wake_at = [&](int64_t at) {
    timers_.push_back(Timer{at, 0, "", webhook_id});
    std::push_heap(timers_.begin(), timers_.end(), std::greater<>{});
  };
  while (!ws.ready.empty()) {
    if (client_.InFlight() >= options_.max_in_flight) {
      MarkRunnable(webhook_id);
      return;
    }
    if (ws.in_flight >= options_.max_in_flight_per_webhook || (w.ordered && ws.in_flight > 0)) return;
    const CircuitState before = ws.health.circuit();
    if (!ws.health.MayAttempt(now, ws.in_flight)) {
      if (ws.health.circuit() == CircuitState::kOpen && ws.in_flight == 0) wake_at(ws.health.open_until_ms());
      return;  // otherwise a probe is in flight; its completion makes this webhook runnable again
    }
    if (ws.health.circuit() != before) PersistHealth(webhook_id, ws);
    const std::string next = w.ordered ? *ws.unfinished.begin() : *ws.ready.begin();
    if (w.ordered && !ws.ready.count(next)) return;  // the oldest is not due yet: the rest wait behind it
    if (!ws.bucket.TryTake(rate, burst, now)) {
      wake_at(now + std::max<int64_t>(1, ws.bucket.MsUntilToken(rate)));
      return;
    }
    ws.ready.erase(next);
    StartAttempt(jobs_.at(next), ws);
    if (ws.health.circuit() == CircuitState::kHalfOpen) return;  // one probe at a time
  }
}

void DeliveryEngine::StartAttempt(Job& job, WebhookState& ws) {
  if (!job.event) {
    auto event = store_.GetEventById(job.event_id);
    if (!event) {
      LogError("cannot load event of delivery", {{"delivery_id", job.delivery_id}, {"error", event.error().message}});
      Forget(job.delivery_id);
      return;
    }
    job.event_created_ms = event->created_at_ms;
    job.event = std::make_shared<const Event>(std::move(*event));
  }
  Attempt attempt;
  attempt.id = NewId("att_");
  attempt.delivery_id = job.delivery_id;
  attempt.number = job.attempts_made + 1;
  attempt.started_at_ms = NowMs();
  OutboundRequest request = BuildDeliveryRequest(*ws.settings, *job.event, attempt.number, attempt.started_at_ms,
                                                 options_.attempt_timeout_ms);
  attempt.request_headers_json = HeadersToJsonObject(request.headers);
  attempt.request_body = Truncate(request.body, attempt.request_body_truncated);
  job.stage = Stage::kInFlight;
  ++ws.in_flight;
  {
    std::lock_guard lock(mu_);
    in_flight_.insert(job.delivery_id);
  }
  metrics_.attempts_started.fetch_add(1, std::memory_order_relaxed);
  metrics_.attempts_in_flight.fetch_add(1, std::memory_order_relaxed);
  client_.Start(std::move(request),
                [this, id = job.delivery_id, attempt = std::move(attempt)](OutboundResponse response) mutable {
                  OnAttemptDone(id, std::move(attempt), std::move(response));
                });
}

void DeliveryEngine::OnAttemptDone(const std::string& delivery_id, Attempt attempt, OutboundResponse response) {
  metrics_.attempts_in_flight.fetch_sub(1, std::memory_order_relaxed);
  Job& job = jobs_.at(delivery_id);
  WebhookState& ws = State(job.webhook_id);
  --ws.in_flight;
  const int64_t now = NowMs();
  attempt.response_status = response.status;
  attempt.response_time_ms = response.elapsed_ms;
  attempt.error = response.error;
  attempt.response_headers_json = HeadersToJsonObject(response.headers);
  attempt.response_body = std::move(response.body);
  attempt.response_body_truncated = response.body_truncated;
  attempt.success = response.Success();
  if (!attempt.error.empty() && attempt.error != "blocked_address" && !response.error_detail.empty()) {
    // Keep curl's words next to the short code: they say which host or certificate was at fault.
    attempt.response_body = response.error_detail;
  }

  AttemptRecord record;
  if (attempt.success) {
    record.new_status = DeliveryStatus::kSucceeded;
    record.latency_ms = now - job.event_created_ms;
    ws.health.OnDeliverySucceeded();
    metrics_.attempts_succeeded.fetch_add(1, std::memory_order_relaxed);
    metrics_.deliveries_succeeded.fetch_add(1, std::memory_order_relaxed);
  } else {
    metrics_.attempts_failed.fetch_add(1, std::memory_order_relaxed);
    if (response.status == 410) {
      record.new_status = DeliveryStatus::kDead;
      record.disable_webhook = true;
      record.disabled_reason = "the endpoint answered 410 Gone";
    } else {
      std::optional<int64_t> retry_after;
      if (response.status && HonoursRetryAfter(*response.status)) {
        retry_after = ParseRetryAfterMs(response.Header("retry-after"), now);
      }
      const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      if (auto delay = retry_policy_.NextDelayMs(attempt.number, unit, retry_after)) {
        record.new_status = DeliveryStatus::kFailed;
        record.next_attempt_at_ms = now + *delay;
      } else {
        record.new_status = DeliveryStatus::kDead;
      }
    }
    if (record.new_status == DeliveryStatus::kDead) {
      metrics_.deliveries_dead.fetch_add(1, std::memory_order_relaxed);
      if (ws.health.OnDead() && !record.disable_webhook) {
        record.disable_webhook = true;
        record.disabled_reason = std::to_string(options_.circuit.disable_after) +
                                 " consecutive deliveries failed every attempt";
      }
    }
  }
  if (ws.health.OnAttempt(attempt.success, now)) PersistHealth(job.webhook_id, ws);
  record.attempt = std::move(attempt);

  unrecorded_.push_back(std::move(record));
  MarkRunnable(job.webhook_id);
}

// One write for every attempt that finished this turn, and one task back when it is durable.
void DeliveryEngine::RecordFinishedAttempts() {
  if (unrecorded_.empty()) return;
  std::vector<RecordedOutcome> outcomes;
  outcomes.reserve(unrecorded_.size());
  for (const AttemptRecord& r : unrecorded_) {
    outcomes.push_back({r.attempt.delivery_id, r.new_status, r.next_attempt_at_ms, r.disable_webhook, r.disabled_reason});
  }
  store_.RecordAttemptsAsync(std::move(unrecorded_), [this, outcomes = std::move(outcomes)](Status st) mutable {
    Post([this, outcomes = std::move(outcomes), st = std::move(st)] {
      for (const RecordedOutcome& outcome : outcomes) OnRecorded(outcome, st);
    });
  });
  unrecorded_.clear();
}

void DeliveryEngine::OnRecorded(const RecordedOutcome& outcome, const Status& st) {
  const std::string& delivery_id = outcome.delivery_id;
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(delivery_id);
  }
  auto it = jobs_.find(delivery_id);
  if (it == jobs_.end()) return;
  Job& job = it->second;
  const std::string webhook_id = job.webhook_id;
  if (!st) {
    // The outcome is not durable: the store still holds the previous state, so the same attempt runs again.
    LogError("recording an attempt failed; will retry the delivery",
             {{"delivery_id", delivery_id}, {"error", st.error().message}});
    job.stage = Stage::kScheduled;
    job.due_ms = NowMs() + kStoreRetryDelayMs;
    ScheduleTimer(job);
  } else if (outcome.status == DeliveryStatus::kFailed) {
    job.attempts_made += 1;
    job.due_ms = *outcome.next_attempt_ms;
    job.stage = Stage::kScheduled;
    if (job.due_ms - NowMs() > kKeepEventForRetryMs) job.event.reset();
    ScheduleTimer(job);
  } else {
    Forget(delivery_id);
  }
  if (st && outcome.disabled) {
    LogWarn("webhook disabled", {{"webhook_id", webhook_id}, {"reason", outcome.disabled_reason}});
    alerter_.WebhookDisabled(webhook_id, outcome.disabled_reason);
    State(webhook_id).loaded = false;
  }
  MarkRunnable(webhook_id);
}

void DeliveryEngine::PersistHealth(const std::string& webhook_id, const WebhookState& ws) {
  const CircuitState circuit = ws.health.circuit();
  store_.UpdateWebhookHealthAsync(webhook_id,
                                  circuit == CircuitState::kClosed ? WebhookStatus::kHealthy : WebhookStatus::kFailing,
                                  circuit);
}

}  // namespace hookd
