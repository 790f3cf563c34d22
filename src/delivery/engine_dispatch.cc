// What the engine starts and when (engine thread only): a webhook's settings read on the loader and applied, the
// gate each runnable webhook passes — its lease, activity, order, the in-flight caps, the circuit, the rate limit —
// the events read for deliveries that came without them, and the attempt sent.
#include <algorithm>
#include <cassert>

#include "common/ids.h"
#include "common/log.h"
#include "delivery/engine.h"
#include "delivery/request_builder.h"
#include "domain/header_list.h"
#include "domain/webhook_rules.h"

namespace hookd {
namespace {

std::string Truncate(const std::string& s, bool& truncated) {
  truncated = s.size() > kLoggedBodyLimit;
  return truncated ? s.substr(0, kLoggedBodyLimit) : s;
}

}  // namespace

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
  const bool was_held = ws.settings && AwaitsVerification(*ws.settings);
  ws.settings = std::make_shared<const Webhook>(std::move(*loaded));
  ws.signing_keys = std::make_unique<DeliverySigningKeys>(*ws.settings);
  ws.loaded = true;
  ws.missing = false;
  const bool held = AwaitsVerification(*ws.settings);
  if (was_held && !held) {
    // Verified: what was held goes out one at a time in the order it was created, then as the webhook says.
    ForEachJobOf(ws, [&](JobSlot slot) {
      ws.release_in_order_through = std::max(ws.release_in_order_through, slots_[slot].order);
    });
  } else if (held) {
    ws.release_in_order_through = 0;
  }
  TrackOrder(ws, ws.settings->ordered || held || ws.release_in_order_through != 0);
  if (first_load) {
    if (ws.settings->circuit != CircuitState::kClosed && ws.settings->active) {
      ws.health.RestoreOpen(clock_.NowMs());
      CountCircuit(ws);
    }
  } else if (!was_active && ws.settings->active) {
    ws.health.Reset();  // re-enabled: a fresh start
    CountCircuit(ws);
    ws.may_recover = true;
  }
}

bool DeliveryEngine::MayStartMore() const {
  return client_->InFlight() + loading_ < options_.max_in_flight &&
         static_cast<size_t>(stage_counts_[static_cast<size_t>(Stage::kRecording)]) < options_.max_recording;
}

void DeliveryEngine::Dispatch(WebhookState& ws, int64_t now) {
  ws.runnable_queued = false;
  if (!ws.loaded) return RequestSettings(ws);  // dispatched again once they arrive
  if (ws.missing) {                            // deleted: its deliveries went with it
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
  if (AwaitsVerification(*ws.settings)) return;                      // held until its endpoint is verified
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
  if (ws.release_in_order_through != 0 &&
      (ws.unfinished.empty() || ws.unfinished.begin()->first > ws.release_in_order_through)) {
    ws.release_in_order_through = 0;  // what was held has gone out
    TrackOrder(ws, w.ordered);
  }
  const bool ordered = w.ordered || ws.release_in_order_through != 0;
  const double rate = std::max(1, w.rate_limit);
  const double burst = std::max(1.0, rate / 20);  // at most 50 ms worth at once
  if (!ws.bucket_started) {
    // Taken over, the webhook may have been sending from another process a moment ago: its first token is earned.
    ws.bucket = lease->taken_over ? TokenBucket{0.0, now} : TokenBucket::Full(burst, now);
    ws.bucket_started = true;
  }
  for (;;) {
    const JobSlot next = NextReady(ws, ordered);
    if (next == kNoJob) return;  // for an ordered webhook: the oldest is not due yet, the rest wait behind it
    if (!MayStartMore()) {
      MarkRunnable(ws);
      return;
    }
    if (ws.in_flight >= options_.max_in_flight_per_webhook || (ordered && ws.in_flight > 0)) return;
    const CircuitState before = ws.health.circuit();
    if (!ws.health.MayAttempt(now, ws.in_flight)) {
      if (ws.health.circuit() == CircuitState::kOpen && ws.in_flight == 0) WakeWebhookAt(ws, ws.health.open_until_ms());
      return;  // otherwise a probe is in flight; its completion makes this webhook runnable again
    }
    if (ws.health.circuit() != before) PersistHealth(ws);
    if (!slots_[next].event) {  // read first; its token is taken when it is sent, so a slow read never bunches sends
      if (!ordered) ws.ready.pop_front();  // NextReady returned the front
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
    if (!ordered) ws.ready.pop_front();  // NextReady returned the front
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
    std::vector<EventLoad> batch(
        event_loads_.begin() + static_cast<std::ptrdiff_t>(start),
        event_loads_.begin() + static_cast<std::ptrdiff_t>(std::min(event_loads_.size(), start + kBatch)));
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

}  // namespace hookd
