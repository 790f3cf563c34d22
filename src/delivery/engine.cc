// Scheduler loop: drain the inbox, start every due attempt (up to the in-flight cap), then let libcurl wait for
// sockets until the next due time or a wakeup.
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

std::string Truncate(const std::string& s, bool& truncated) {
  truncated = s.size() > kLoggedBodyLimit;
  return truncated ? s.substr(0, kLoggedBodyLimit) : s;
}

}  // namespace

DeliveryEngine::DeliveryEngine(Store& store, EngineOptions options, Metrics& metrics)
    : store_(store),
      options_(std::move(options)),
      metrics_(metrics),
      retry_policy_(options_.retry_schedule_ms),
      client_(HttpClientOptions{options_.allow_http, options_.allow_private_networks, 4096}),
      rng_(std::random_device{}()) {}

DeliveryEngine::~DeliveryEngine() { Stop(); }

Status DeliveryEngine::Start() {
  Status st = store_.ForEachUnfinishedDelivery([this](const DueDelivery& d) {
    Schedule(Job{d.delivery_id, d.webhook_id, d.event_id, d.attempt_count, d.due_at_ms, d.event_created_at_ms, {}});
  });
  if (!st) return st;
  LogInfo("delivery engine started", {{"resumed_deliveries", std::to_string(scheduled_.size())}});
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

void DeliveryEngine::Schedule(Job job) {
  scheduled_.push_back(std::move(job));
  std::push_heap(scheduled_.begin(), scheduled_.end(), JobLater{});
  metrics_.deliveries_queued.fetch_add(1, std::memory_order_relaxed);
}

void DeliveryEngine::PushInbox(Job job) {
  {
    std::lock_guard lock(mu_);
    inbox_jobs_.push_back(std::move(job));
  }
  client_.Wakeup();
}

void DeliveryEngine::Enqueue(const std::vector<AcceptedEvent>& accepted) {
  {
    std::lock_guard lock(mu_);
    for (const AcceptedEvent& a : accepted) {
      if (a.replayed || a.deliveries.empty()) continue;
      auto event = std::make_shared<const Event>(a.event);
      for (const Delivery& d : a.deliveries) {
        inbox_jobs_.push_back(Job{d.id, d.webhook_id, d.event_id, 0, d.next_attempt_at_ms.value_or(d.created_at_ms),
                                  a.event.created_at_ms, event});
      }
    }
  }
  client_.Wakeup();
}

void DeliveryEngine::OnWebhookChanged(const std::string& webhook_id) {
  {
    std::lock_guard lock(mu_);
    inbox_webhooks_.push_back(webhook_id);
  }
  client_.Wakeup();
}

std::future<OutboundResponse> DeliveryEngine::SendNow(OutboundRequest request) {
  auto promise = std::make_shared<std::promise<OutboundResponse>>();
  auto future = promise->get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      OutboundResponse r;
      r.error = "shutting_down";
      promise->set_value(std::move(r));
      return future;
    }
    inbox_direct_.push_back({std::move(request), promise});
  }
  client_.Wakeup();
  return future;
}

bool DeliveryEngine::IsInFlight(const std::string& delivery_id) const {
  std::lock_guard lock(mu_);
  return in_flight_.count(delivery_id) > 0;
}

void DeliveryEngine::DrainInbox() {
  std::vector<Job> jobs;
  std::vector<std::string> changed;
  std::vector<DirectSend> direct;
  {
    std::lock_guard lock(mu_);
    jobs.swap(inbox_jobs_);
    changed.swap(inbox_webhooks_);
    direct.swap(inbox_direct_);
  }
  for (Job& job : jobs) Schedule(std::move(job));
  const int64_t now = NowMs();
  for (const std::string& id : changed) {
    webhooks_.erase(id);
    auto parked = parked_.find(id);
    if (parked == parked_.end()) continue;
    std::vector<Job> released = std::move(parked->second);
    parked_.erase(parked);
    for (Job& job : released) {
      metrics_.deliveries_queued.fetch_sub(1, std::memory_order_relaxed);
      job.due_ms = std::max(job.due_ms, now);
      Schedule(std::move(job));
    }
  }
  for (DirectSend& d : direct) {
    client_.Start(std::move(d.request), [promise = d.promise](OutboundResponse r) { promise->set_value(std::move(r)); });
  }
}

void DeliveryEngine::Loop() {
  int64_t stop_deadline = 0;
  for (;;) {
    DrainInbox();
    bool stopping;
    {
      std::lock_guard lock(mu_);
      stopping = stopping_;
    }
    const int64_t now = NowMs();
    if (stopping) {
      if (stop_deadline == 0) stop_deadline = now + options_.attempt_timeout_ms + 1000;
      if (client_.InFlight() == 0 || now >= stop_deadline) break;
    } else {
      while (!scheduled_.empty() && scheduled_.front().due_ms <= now && client_.InFlight() < options_.max_in_flight) {
        std::pop_heap(scheduled_.begin(), scheduled_.end(), JobLater{});
        Job job = std::move(scheduled_.back());
        scheduled_.pop_back();
        metrics_.deliveries_queued.fetch_sub(1, std::memory_order_relaxed);
        StartAttempt(std::move(job));
      }
    }
    int64_t wait = kMaxSleepMs;
    if (!stopping && !scheduled_.empty() && client_.InFlight() < options_.max_in_flight) {
      wait = std::clamp<int64_t>(scheduled_.front().due_ms - NowMs(), 0, kMaxSleepMs);
    }
    client_.Poll(static_cast<int>(wait));
  }
  if (client_.InFlight() > 0) {
    LogWarn("stopping with attempts still in flight; they will be retried after restart",
            {{"in_flight", std::to_string(client_.InFlight())}});
  }
}

std::shared_ptr<const Webhook> DeliveryEngine::WebhookFor(const std::string& webhook_id) {
  auto it = webhooks_.find(webhook_id);
  if (it != webhooks_.end()) return it->second;
  auto loaded = store_.GetWebhookById(webhook_id);
  if (!loaded) {
    if (loaded.error().kind != ErrorKind::kNotFound) {
      LogError("cannot load webhook", {{"webhook_id", webhook_id}, {"error", loaded.error().message}});
    }
    return nullptr;
  }
  if (webhooks_.size() > 100'000) webhooks_.clear();
  auto shared = std::make_shared<const Webhook>(std::move(*loaded));
  webhooks_.emplace(webhook_id, shared);
  return shared;
}

void DeliveryEngine::StartAttempt(Job job) {
  auto webhook = WebhookFor(job.webhook_id);
  if (!webhook) return;  // deleted: its deliveries went with it
  if (!webhook->active) {
    metrics_.deliveries_queued.fetch_add(1, std::memory_order_relaxed);
    parked_[job.webhook_id].push_back(std::move(job));
    return;
  }
  if (!job.event) {
    auto event = store_.GetEventById(job.event_id);
    if (!event) {
      LogError("cannot load event of delivery", {{"delivery_id", job.delivery_id}, {"error", event.error().message}});
      return;
    }
    job.event = std::make_shared<const Event>(std::move(*event));
  }
  Attempt attempt;
  attempt.id = NewId("att_");
  attempt.delivery_id = job.delivery_id;
  attempt.number = job.attempts_made + 1;
  attempt.started_at_ms = NowMs();
  OutboundRequest request =
      BuildDeliveryRequest(*webhook, *job.event, attempt.number, attempt.started_at_ms, options_.attempt_timeout_ms);
  attempt.request_headers_json = HeadersToJsonObject(request.headers);
  attempt.request_body = Truncate(request.body, attempt.request_body_truncated);
  {
    std::lock_guard lock(mu_);
    in_flight_.insert(job.delivery_id);
  }
  metrics_.attempts_started.fetch_add(1, std::memory_order_relaxed);
  metrics_.attempts_in_flight.fetch_add(1, std::memory_order_relaxed);
  client_.Start(std::move(request),
                [this, job = std::move(job), attempt = std::move(attempt)](OutboundResponse response) mutable {
                  OnAttemptDone(std::move(job), std::move(attempt), std::move(response));
                });
}

void DeliveryEngine::OnAttemptDone(Job job, Attempt attempt, OutboundResponse response) {
  metrics_.attempts_in_flight.fetch_sub(1, std::memory_order_relaxed);
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
    if (record.new_status == DeliveryStatus::kDead) metrics_.deliveries_dead.fetch_add(1, std::memory_order_relaxed);
  }
  record.attempt = std::move(attempt);

  Job next = std::move(job);
  const int attempts_before = next.attempts_made;
  const DeliveryStatus status = record.new_status;
  const bool disable = record.disable_webhook;
  if (status == DeliveryStatus::kFailed) {
    next.attempts_made += 1;
    next.due_ms = *record.next_attempt_at_ms;
  }
  store_.RecordAttemptAsync(std::move(record), [this, next = std::move(next), attempts_before, status,
                                                disable](Status st) mutable {
    {
      std::lock_guard lock(mu_);
      in_flight_.erase(next.delivery_id);
    }
    if (!st) {
      // The outcome is not durable: the store still holds the previous state, so try the same attempt again.
      LogError("recording an attempt failed; will retry the delivery",
               {{"delivery_id", next.delivery_id}, {"error", st.error().message}});
      next.attempts_made = attempts_before;
      next.due_ms = NowMs() + kStoreRetryDelayMs;
      PushInbox(std::move(next));
      return;
    }
    if (disable) OnWebhookChanged(next.webhook_id);
    if (status == DeliveryStatus::kFailed) PushInbox(std::move(next));
  });
}

}  // namespace hookd
