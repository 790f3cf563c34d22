// Scheduler loop: run posted tasks, move due deliveries from the timer heap to their webhook's ready set, let each
// runnable webhook start what its rate limit, concurrency cap, circuit and order allow, then let the client wait for
// sockets until the next timer or a wakeup.
#include "delivery/engine.h"

#include <pthread.h>

#include <algorithm>
#include <cassert>

#include "common/ids.h"
#include "common/log.h"
#include "common/time_util.h"
#include "common/worker_thread.h"
#include "delivery/http_client.h"
#include "delivery/request_builder.h"
#include "domain/header_list.h"

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

DeliveryEngine::DeliveryEngine(EngineStore& store, DisabledWebhookSink& disabled, EngineOptions options,
                               Metrics& metrics)
    : DeliveryEngine(store, disabled, options, metrics,
                     std::make_unique<HttpClient>(
                         HttpClientOptions{options.allow_http, options.allow_private_networks, 4096}),
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

void DeliveryEngine::StartManual() { engine_thread_.Bind(); }

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

// ---- engine thread ----

const ShardLease* DeliveryEngine::LeaseOf(int shard) const {
  return held_.test(static_cast<size_t>(shard)) ? &leases_[static_cast<size_t>(shard)] : nullptr;
}

void DeliveryEngine::ApplyLeases(const std::vector<ShardLease>& held) {
  engine_thread_.AssertOnOwner();
  std::array<ShardLease, kShardCount> next{};
  std::bitset<kShardCount> next_held;
  for (const ShardLease& lease : held) {
    next[static_cast<size_t>(lease.shard)] = lease;
    next_held.set(static_cast<size_t>(lease.shard));
  }
  std::array<bool, kShardCount> lost{};
  bool any_lost = false;
  for (size_t shard = 0; shard < next.size(); ++shard) {
    lost[shard] = held_.test(shard) && (!next_held.test(shard) || next[shard].epoch != leases_[shard].epoch);
    any_lost = any_lost || lost[shard];
  }
  leases_ = next;
  held_ = next_held;
  if (any_lost) {
    // What waits there is the next owner's now. Attempts in flight end on their own: their outcomes are fenced.
    for (JobSlot slot = 0; slot < slots_.size(); ++slot) {
      const DeliveryJob& job = slots_[slot];
      if (job.live && lost[static_cast<size_t>(job.ws->shard)] &&
          (job.stage == Stage::kScheduled || job.stage == Stage::kReady)) {
        Forget(slot);
      }
    }
    // Should the shard come back, its webhooks start afresh from the store (the circuit as the last owner left it).
    for (auto& [id, ws] : webhooks_) {
      if (!lost[static_cast<size_t>(ws->shard)]) continue;
      ws->ready.clear();
      ws->loaded = false;
      ws->settings.reset();
      ws->signing_keys.reset();
      ws->bucket_started = false;
      ws->health = WebhookHealth(options_.circuit);
      CountCircuit(*ws);
    }
  }
  for (WebhookState* ws : lease_waiters_) {
    ws->waits_for_lease = false;
    MarkRunnable(*ws);
  }
  lease_waiters_.clear();
}

void DeliveryEngine::ForgetIfGone(WebhookState& ws) {
  // Nothing may refer to it: no job (whose attempt may still be in flight or recording), no wake-up on the timer
  // heap, no place in a queue, no read of its settings under way.
  if (!ws.missing || ws.jobs > 0 || ws.wakeups > 0 || ws.runnable_queued || ws.waits_for_lease || ws.loading) return;
  ws.health = WebhookHealth(options_.circuit);
  CountCircuit(ws);
  const std::string id = ws.id;  // the key outlives the state it names
  webhooks_.erase(id);
}

size_t DeliveryEngine::WebhooksTracked() const {
  engine_thread_.AssertOnOwner();
  return webhooks_.size();
}

DeliveryEngine::WebhookState& DeliveryEngine::State(const std::string& webhook_id) {
  auto it = webhooks_.find(webhook_id);
  if (it == webhooks_.end()) {
    it = webhooks_.emplace(webhook_id, std::make_unique<WebhookState>(webhook_id, options_.circuit)).first;
    RequestSettings(*it->second);
  }
  return *it->second;
}

void DeliveryEngine::Add(const std::string& webhook_id, DeliveryJob job) {
  engine_thread_.AssertOnOwner();
  if (!LeaseOf(ShardOf(webhook_id))) return;  // another process's shard, or no one's yet
  job.order = UlidValue(job.delivery_id);
  if (auto known = slot_by_id_.find(job.order); known != slot_by_id_.end()) {
    DeliveryJob& existing = slots_[known->second];
    if (existing.stage == Stage::kScheduled && job.due_ms < existing.due_ms) {
      existing.due_ms = job.due_ms;
      Schedule(known->second);
    }
    return;
  }
  JobSlot slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<JobSlot>(slots_.size());
    slots_.emplace_back();
  }
  DeliveryJob& stored = slots_[slot];
  job.generation = stored.generation;  // the slot's count goes on, so references to its previous job stay stale
  job.ws = &State(webhook_id);
  job.live = true;
  job.stage = Stage::kScheduled;
  stored = std::move(job);
  ++stage_counts_[static_cast<size_t>(Stage::kScheduled)];
  ++stored.ws->jobs;
  if (stored.ws->tracks_order) stored.ws->unfinished.emplace(stored.order, slot);
  slot_by_id_.emplace(stored.order, slot);
  Schedule(slot);
}

void DeliveryEngine::Schedule(JobSlot slot) {
  engine_thread_.AssertOnOwner();
  DeliveryJob& job = slots_[slot];
  ++job.generation;
  if (job.due_ms <= clock_.NowMs()) return MakeReady(slot);  // a fresh delivery, usually: no timer-heap round trip
  SetStage(job, Stage::kScheduled);
  timers_.push_back(Timer{job.due_ms, job.generation, slot, job.ws});
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>{});
}

void DeliveryEngine::SetStage(DeliveryJob& job, Stage stage) {
  --stage_counts_[static_cast<size_t>(job.stage)];
  ++stage_counts_[static_cast<size_t>(stage)];
  job.stage = stage;
}

void DeliveryEngine::MakeReady(JobSlot slot, bool first) {
  DeliveryJob& job = slots_[slot];
  SetStage(job, Stage::kReady);
  if (first) {
    job.ws->ready.emplace_front(slot, job.generation);
  } else {
    job.ws->ready.emplace_back(slot, job.generation);
  }
  MarkRunnable(*job.ws);
}

void DeliveryEngine::WakeWebhookAt(WebhookState& ws, int64_t at_ms) {
  ++ws.wakeups;
  timers_.push_back(Timer{at_ms, 0, kNoJob, &ws});
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>{});
}

void DeliveryEngine::Forget(JobSlot slot) {
  engine_thread_.AssertOnOwner();
  DeliveryJob& job = slots_[slot];
  if (!job.live) return;
  --stage_counts_[static_cast<size_t>(job.stage)];
  --job.ws->jobs;
  if (job.ws->tracks_order) job.ws->unfinished.erase({job.order, slot});
  slot_by_id_.erase(job.order);
  const uint64_t next_generation = job.generation + 1;
  job = DeliveryJob{};
  job.generation = next_generation;
  free_slots_.push_back(slot);
}

void DeliveryEngine::TrackOrder(WebhookState& ws, bool on) {
  if (ws.tracks_order == on) return;
  ws.tracks_order = on;
  ws.unfinished.clear();
  if (!on) return;
  ForEachJobOf(ws, [&](JobSlot slot) { ws.unfinished.emplace(slots_[slot].order, slot); });
}

void DeliveryEngine::ForEachJobOf(const WebhookState& ws, const std::function<void(JobSlot)>& visit) {
  for (JobSlot slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot].live && slots_[slot].ws == &ws) visit(slot);
  }
}

void DeliveryEngine::MarkRunnable(WebhookState& ws) {
  if (ws.runnable_queued) return;
  ws.runnable_queued = true;
  runnable_.push_back(&ws);
}

void DeliveryEngine::RunTimers(int64_t now) {
  while (!timers_.empty() && timers_.front().due_ms <= now) {
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>{});
    const Timer t = timers_.back();
    timers_.pop_back();
    if (t.slot == kNoJob) {  // a webhook wake-up (rate limit or circuit cooldown)
      --t.ws->wakeups;
      MarkRunnable(*t.ws);
      continue;
    }
    DeliveryJob& job = slots_[t.slot];
    if (!job.live || job.generation != t.generation || job.stage != Stage::kScheduled) continue;
    MakeReady(t.slot);
  }
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

void DeliveryEngine::RequestSettings(WebhookState& ws) {
  if (ws.loading) return;
  ws.loading = true;
  loader_->Submit([this, id = ws.id] {
    auto loaded = store_.GetWebhookById(id);
    Post([this, id, loaded = std::move(loaded)]() mutable {
      WebhookState& state = *webhooks_.at(id);
      state.loading = false;
      ApplySettings(state, std::move(loaded));
      MarkRunnable(state);
    });
  });
}

void DeliveryEngine::ApplySettings(WebhookState& ws, Result<Webhook> loaded) {
  if (!loaded) {
    if (loaded.error().kind == ErrorKind::kNotFound) {
      ws.missing = true;
      ws.loaded = true;
    } else {
      LogError("cannot load webhook", {{"webhook_id", ws.id}, {"error", loaded.error().message}});
      WakeWebhookAt(ws, clock_.NowMs() + 1000);  // try again shortly
    }
    return;
  }
  const bool first_load = ws.settings == nullptr;
  const bool was_active = ws.settings && ws.settings->active;
  ws.settings = std::make_shared<const Webhook>(std::move(*loaded));
  ws.signing_keys = std::make_unique<DeliverySigningKeys>(*ws.settings);
  ws.loaded = true;
  ws.missing = false;
  TrackOrder(ws, ws.settings->ordered);
  if (first_load) {
    if (ws.settings->circuit != CircuitState::kClosed && ws.settings->active) {
      ws.health.RestoreOpen(clock_.NowMs());
      CountCircuit(ws);
    }
  } else if (!was_active && ws.settings->active) {
    ws.health.Reset();  // re-enabled: a fresh start
    CountCircuit(ws);
  }
}

bool DeliveryEngine::MayStartMore() const {
  return client_->InFlight() + loading_ < options_.max_in_flight &&
         static_cast<size_t>(stage_counts_[static_cast<size_t>(Stage::kRecording)]) < options_.max_recording;
}

void DeliveryEngine::Dispatch(WebhookState& ws, int64_t now) {
  ws.runnable_queued = false;
  if (!ws.loaded) return RequestSettings(ws);  // dispatched again once they arrive
  if (ws.missing) {  // deleted: its deliveries went with it
    if (ws.jobs > 0) {
      ForEachJobOf(ws, [&](JobSlot slot) {
        const Stage stage = slots_[slot].stage;
        if (stage == Stage::kScheduled || stage == Stage::kReady) Forget(slot);  // the others end on their own
      });
    }
    ws.ready.clear();
    return ForgetIfGone(ws);
  }
  if (!ws.settings || !ws.settings->active || ws.disabling) return;  // parked until the webhook changes
  const ShardLease* lease = LeaseOf(ws.shard);
  if (!lease) return;  // given up: its deliveries were forgotten
  if (lease->expires_steady_ms - clock_.SteadyMs() <= options_.attempt_timeout_ms) {
    // An attempt started now could outlast the lease and overlap the next owner's: wait for the renewal.
    if (!ws.waits_for_lease) {
      ws.waits_for_lease = true;
      lease_waiters_.push_back(&ws);
    }
    return;
  }
  const Webhook& w = *ws.settings;
  const double rate = std::max(1, w.rate_limit);
  const double burst = std::max(1.0, rate / 20);  // at most 50 ms worth at once
  if (!ws.bucket_started) {
    // Taken over, the webhook may have been sending from another process a moment ago: its first token is earned.
    ws.bucket = lease->taken_over ? TokenBucket{0.0, now} : TokenBucket::Full(burst, now);
    ws.bucket_started = true;
  }
  for (;;) {
    const JobSlot next = NextReady(ws, w.ordered);
    if (next == kNoJob) return;  // for an ordered webhook: the oldest is not due yet, the rest wait behind it
    if (!MayStartMore()) {
      MarkRunnable(ws);
      return;
    }
    if (ws.in_flight >= options_.max_in_flight_per_webhook || (w.ordered && ws.in_flight > 0)) return;
    const CircuitState before = ws.health.circuit();
    if (!ws.health.MayAttempt(now, ws.in_flight)) {
      if (ws.health.circuit() == CircuitState::kOpen && ws.in_flight == 0) WakeWebhookAt(ws, ws.health.open_until_ms());
      return;  // otherwise a probe is in flight; its completion makes this webhook runnable again
    }
    if (ws.health.circuit() != before) PersistHealth(ws);
    if (!slots_[next].event) {  // read first; its token is taken when it is sent, so a slow read never bunches sends
      if (!w.ordered) ws.ready.pop_front();  // NextReady returned the front
      LoadEvent(next, ws);
      if (ws.health.circuit() == CircuitState::kHalfOpen) return;
      continue;
    }
    // One clock reading for the token and the attempt's start: the gaps the bucket enforces are the gaps the
    // receiver sees, so a rate limit holds over every window, not just on average.
    const int64_t send_ms = std::max(now, clock_.NowMs());
    if (!ws.bucket.TryTake(rate, burst, send_ms)) {
      WakeWebhookAt(ws, send_ms + std::max<int64_t>(1, ws.bucket.MsUntilToken(rate)));
      return;
    }
    if (!w.ordered) ws.ready.pop_front();  // NextReady returned the front
    SendAttempt(next, ws, send_ms);
    if (ws.health.circuit() == CircuitState::kHalfOpen) return;  // one probe at a time
  }
}

DeliveryEngine::JobSlot DeliveryEngine::NextReady(WebhookState& ws, bool ordered) {
  while (!ws.ready.empty()) {  // drop entries whose job has moved on (started, rescheduled or forgotten)
    const auto [slot, generation] = ws.ready.front();
    const DeliveryJob& job = slots_[slot];
    if (job.live && job.generation == generation && job.stage == Stage::kReady) break;
    ws.ready.pop_front();
  }
  if (!ordered) return ws.ready.empty() ? kNoJob : ws.ready.front().first;
  if (ws.unfinished.empty()) return kNoJob;
  const JobSlot oldest = ws.unfinished.begin()->second;
  return slots_[oldest].stage == Stage::kReady ? oldest : kNoJob;
}

void DeliveryEngine::LoadEvent(JobSlot slot, WebhookState& ws) {
  engine_thread_.AssertOnOwner();
  DeliveryJob& job = slots_[slot];
  assert(job.live && job.stage == Stage::kReady && !job.event);
  SetStage(job, Stage::kLoading);
  ++ws.in_flight;
  ++loading_;
  event_loads_.push_back({slot, job.generation, job.event_id});
}

void DeliveryEngine::LoadEvents() {
  constexpr size_t kBatch = 500;
  for (size_t start = 0; start < event_loads_.size(); start += kBatch) {
    std::vector<EventLoad> batch(event_loads_.begin() + static_cast<std::ptrdiff_t>(start),
                                 event_loads_.begin() + static_cast<std::ptrdiff_t>(
                                                            std::min(event_loads_.size(), start + kBatch)));
    loader_->Submit([this, batch = std::move(batch)]() mutable {
      std::vector<std::string> ids;
      ids.reserve(batch.size());
      for (const EventLoad& load : batch) ids.push_back(load.event_id);
      auto events = store_.GetEventsByIds(ids);
      Post([this, batch = std::move(batch), events = std::move(events)]() mutable {
        std::unordered_map<std::string, std::shared_ptr<const Event>> by_id;  // one copy per event, however many jobs
        if (events) {
          for (Event& e : *events) {
            auto id = e.id;
            by_id.emplace(std::move(id), std::make_shared<const Event>(std::move(e)));
          }
        }
        for (const EventLoad& load : batch) {
          if (!events) {
            OnEventLoaded(load.slot, load.generation, Fail(events.error()));
          } else if (auto it = by_id.find(load.event_id); it != by_id.end()) {
            OnEventLoaded(load.slot, load.generation, it->second);
          } else {
            OnEventLoaded(load.slot, load.generation, Fail(Error::NotFound("event not found")));
          }
        }
      });
    });
  }
  event_loads_.clear();
}

void DeliveryEngine::OnEventLoaded(JobSlot slot, [[maybe_unused]] uint64_t generation,
                                   Result<std::shared_ptr<const Event>> event) {
  engine_thread_.AssertOnOwner();
  DeliveryJob& job = slots_[slot];
  assert(job.live && job.generation == generation && job.stage == Stage::kLoading && "a loading job keeps its slot");
  WebhookState& ws = *job.ws;
  --ws.in_flight;
  --loading_;
  MarkRunnable(ws);
  if (!event) {
    LogError("cannot load event of delivery", {{"delivery_id", job.delivery_id},
                                                {"event_id", job.event_id},
                                                {"webhook_id", ws.id},
                                                {"error", event.error().message}});
    if (event.error().kind == ErrorKind::kNotFound) {
      Forget(slot);  // purged or deleted: nothing left to send
    } else {
      job.due_ms = clock_.NowMs() + kStoreRetryDelayMs;  // the store is unreachable: try again, never drop it
      Schedule(slot);
    }
    return;
  }
  job.event_created_ms = (*event)->created_at_ms;
  job.event = std::move(*event);
  if (ws.missing || !LeaseOf(ws.shard)) return Forget(slot);
  MakeReady(slot, /*first=*/true);
}

void DeliveryEngine::SendAttempt(JobSlot slot, WebhookState& ws, int64_t now_ms) {
  DeliveryJob& job = slots_[slot];
  Attempt attempt;
  attempt.id = NewId("att_");
  attempt.delivery_id = job.delivery_id;
  attempt.number = job.attempts_made + 1;
  attempt.started_at_ms = now_ms;
  OutboundRequest request = BuildDeliveryRequest(*ws.settings, *ws.signing_keys, *job.event, attempt.number,
                                                 attempt.started_at_ms, options_.attempt_timeout_ms);
  attempt.request_headers_json = HeadersToJsonObject(request.headers);
  attempt.request_body = Truncate(request.body, attempt.request_body_truncated);
  SetStage(job, Stage::kInFlight);
  ++ws.in_flight;
  job.lease_epoch = LeaseOf(ws.shard)->epoch;
  {
    MutexLock lock(&mu_);
    [[maybe_unused]] const bool first = in_flight_.emplace(job.order, ws.shard).second;
    assert(first && "at most one attempt of a delivery is in flight");
  }
  client_->Start(std::move(request), [this, slot, attempt = std::move(attempt)](OutboundResponse response) mutable {
    OnAttemptDone(slot, std::move(attempt), std::move(response));
  });
}

void DeliveryEngine::OnAttemptDone(JobSlot slot, Attempt attempt, OutboundResponse response) {
  engine_thread_.AssertOnOwner();
  DeliveryJob& job = slots_[slot];
  assert(job.live && job.stage == Stage::kInFlight && "an in-flight job keeps its slot");
  WebhookState& ws = *job.ws;
  --ws.in_flight;
  const int64_t now = clock_.NowMs();
  attempt.response_status = response.status;
  attempt.response_time_ms = response.elapsed_ms;
  attempt.error = response.error;
  attempt.response_headers_json = HeadersToJsonObject(response.headers);
  attempt.response_body = std::move(response.body);
  attempt.response_body_truncated = response.body_truncated;
  attempt.success = response.Success();
  metrics_.AttemptFinished(ClassifyAttempt(response.status, response.error),
                           static_cast<double>(response.elapsed_ms) / 1000);
  if (!attempt.error.empty() && attempt.error != "blocked_address" && !response.error_detail.empty()) {
    // Keep the client's words next to the short code: they say which host or certificate was at fault.
    attempt.response_body = response.error_detail;
  }

  AttemptRecord record;
  if (attempt.success) {
    record.new_status = DeliveryStatus::kSucceeded;
    record.latency_ms = now - job.event_created_ms;
    ws.health.OnDeliverySucceeded();
    metrics_.DeliverySucceeded(static_cast<double>(*record.latency_ms) / 1000);
  } else {
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
      metrics_.DeliveryDead();
      if (ws.health.OnDead() && !record.disable_webhook) {
        record.disable_webhook = true;
        record.disabled_reason = std::to_string(options_.circuit.disable_after) +
                                 " consecutive deliveries failed every attempt";
      }
    }
  }
  if (ws.health.OnAttempt(attempt.success, now)) PersistHealth(ws);
  record.attempt = std::move(attempt);
  record.shard = ws.shard;
  record.lease_epoch = job.lease_epoch;
  // Not held for a bulk write: an ordered webhook's next delivery starts only once this is recorded, and a webhook
  // being disabled is parked only then.
  record.urgent = (ws.settings && ws.settings->ordered) || record.disable_webhook;
  // A webhook being disabled starts nothing more, even before the disable is durable.
  if (record.disable_webhook) ws.disabling = true;

  SetStage(job, Stage::kRecording);
  unrecorded_.push_back(std::move(record));
  unrecorded_slots_.push_back(slot);
  MarkRunnable(ws);
}

// One write for every attempt that finished this turn, and one task back when it is durable.
void DeliveryEngine::RecordFinishedAttempts() {
  if (unrecorded_.empty()) return;
  std::vector<RecordedOutcome> outcomes;
  outcomes.reserve(unrecorded_.size());
  for (size_t i = 0; i < unrecorded_.size(); ++i) {
    const AttemptRecord& r = unrecorded_[i];
    outcomes.push_back({unrecorded_slots_[i], slots_[unrecorded_slots_[i]].order, r.new_status, r.next_attempt_at_ms,
                        r.disable_webhook, r.disabled_reason});
  }
  store_.RecordAttemptsAsync(std::move(unrecorded_), [this, outcomes = std::move(outcomes)](
                                                         Status st, std::vector<size_t> refused) mutable {
    Post([this, outcomes = std::move(outcomes), st = std::move(st), refused = std::move(refused)] {
      std::vector<bool> is_refused(outcomes.size());
      for (size_t i : refused) is_refused[i] = true;
      for (size_t i = 0; i < outcomes.size(); ++i) OnRecorded(outcomes[i], st, is_refused[i]);
    });
  });
  unrecorded_.clear();
  unrecorded_slots_.clear();
}

void DeliveryEngine::OnRecorded(const RecordedOutcome& outcome, const Status& st, bool refused) {
  {
    MutexLock lock(&mu_);
    in_flight_.erase(outcome.order);
  }
  engine_thread_.AssertOnOwner();
  NoteOutcome(outcome.order);
  DeliveryJob& job = slots_[outcome.slot];
  assert(job.live && job.order == outcome.order && job.stage == Stage::kRecording &&
         "a job keeps its slot until its outcome is recorded");
  if (!job.live || job.order != outcome.order) return;
  // Copies: the job may be forgotten below, and the log lines after that still name it.
  const std::string delivery_id = job.delivery_id;
  const std::string event_id = job.event ? job.event->id : job.event_id;
  WebhookState& ws = *job.ws;
  if (refused) {
    // The shard's lease passed to another worker while the attempt ran: the new owner resumes the delivery.
    LogWarn("attempt not recorded: its shard has a new owner",
            {{"delivery_id", delivery_id}, {"event_id", event_id}, {"webhook_id", ws.id}});
    Forget(outcome.slot);
  } else if (!st) {
    // The outcome is not durable: the store still holds the previous state, so the same attempt runs again.
    LogError("recording an attempt failed; will retry the delivery",
             {{"delivery_id", delivery_id}, {"event_id", event_id}, {"webhook_id", ws.id},
              {"error", st.error().message}});
    job.due_ms = clock_.NowMs() + kStoreRetryDelayMs;
    Schedule(outcome.slot);
  } else if (outcome.status == DeliveryStatus::kFailed) {
    job.attempts_made += 1;
    job.due_ms = *outcome.next_attempt_ms;
    if (job.due_ms - clock_.NowMs() > kKeepEventForRetryMs && job.event) {  // loaded again by its id when due
      job.event_id = job.event->id;
      job.event.reset();
    }
    Schedule(outcome.slot);
  } else {
    Forget(outcome.slot);
  }
  if (!LeaseOf(ws.shard)) Forget(outcome.slot);  // given up meanwhile: the next owner's now
  if (outcome.disabled) ws.disabling = false;  // durable (settings are read again) or not (the attempt is redone)
  if (st && !refused && outcome.disabled) {
    LogWarn("webhook disabled", {{"webhook_id", ws.id},
                                 {"delivery_id", delivery_id},
                                 {"event_id", event_id},
                                 {"reason", outcome.disabled_reason}});
    disabled_.WebhookDisabled(ws.id, outcome.disabled_reason);
    ws.loaded = false;
  }
  MarkRunnable(ws);
}

void DeliveryEngine::CountCircuit(WebhookState& ws) {
  const bool open = ws.health.circuit() != CircuitState::kClosed;
  if (open == ws.counted_open) return;
  ws.counted_open = open;
  open_circuits_ += open ? 1 : -1;
  metrics_.SetOpenCircuits(open_circuits_);
}

void DeliveryEngine::PersistHealth(WebhookState& ws) {
  CountCircuit(ws);
  if (!LeaseOf(ws.shard)) return;  // the shard's new owner keeps its circuit
  const CircuitState circuit = ws.health.circuit();
  store_.UpdateWebhookHealthAsync(ws.id,
                                  circuit == CircuitState::kClosed ? WebhookStatus::kHealthy : WebhookStatus::kFailing,
                                  circuit);
}

}  // namespace hookd
