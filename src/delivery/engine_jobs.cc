// The engine's job table and what it knows of webhooks and leases (engine thread only): slots and their stages,
// the timer heap, each webhook's state (created on first use, dropped once a deleted webhook has nothing left), and
// the leases that decide which deliveries it takes on and which it gives up.
#include <algorithm>
#include <cassert>

#include "delivery/engine.h"

namespace hookd {

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
  job.stage_since_ms = clock_.NowMs();
}

void DeliveryEngine::ReportOldestWaiting(int64_t now) {
  std::array<int64_t, static_cast<size_t>(WaitingStage::kCount)> oldest{};
  for (const DeliveryJob& job : slots_) {
    if (!job.live) continue;
    // A scheduled delivery waits for its time: only what is past due counts. The others wait from their stage's start.
    const int64_t since = job.stage == Stage::kScheduled ? job.due_ms : job.stage_since_ms;
    int64_t& stage_oldest = oldest[static_cast<size_t>(job.stage)];
    stage_oldest = std::max(stage_oldest, now - since);
  }
  for (size_t stage = 0; stage < oldest.size(); ++stage) {
    metrics_.SetOldestWaiting(static_cast<WaitingStage>(stage), oldest[stage]);
  }
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

}  // namespace hookd
