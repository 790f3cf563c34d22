// What an attempt's end leads to (engine thread only): the verdict on its response (domain/retry_policy.h) and the
// webhook's health, the record written with every other outcome of the turn, and — once it is durable — the
// delivery's retry, its end, or a webhook disabled.
#include <cassert>

#include "common/log.h"
#include "delivery/engine.h"
#include "delivery/http_client.h"
#include "domain/header_list.h"

namespace hookd {

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

  const AttemptVerdict verdict =
      DecideOutcome(response.status, ParseRetryAfterMs(response.Header("retry-after"), now), attempt.number,
                    retry_policy_, std::uniform_real_distribution<double>(0.0, 1.0)(rng_), now);
  AttemptRecord record;
  record.new_status = verdict.status;
  record.next_attempt_at_ms = verdict.next_attempt_at_ms;
  if (verdict.gone) {
    record.disable_webhook = true;
    record.disabled_reason = "the endpoint answered 410 Gone";
  }
  if (verdict.status == DeliveryStatus::kSucceeded) {
    record.latency_ms = now - job.event_created_ms;
    ws.health.OnDeliverySucceeded();
    metrics_.DeliverySucceeded(static_cast<double>(*record.latency_ms) / 1000);
  } else if (verdict.status == DeliveryStatus::kDead) {
    metrics_.DeliveryDead();
    if (ws.health.OnDead() && !record.disable_webhook) {
      record.disable_webhook = true;
      record.disabled_reason =
          std::to_string(options_.circuit.disable_after) + " consecutive deliveries failed every attempt";
    }
  }
  if (ws.health.OnAttempt(attempt.success, now)) PersistHealth(ws);
  if (attempt.success && ws.may_recover) {
    record.may_recover = true;  // the store tells the operational webhooks if a recovery was due
    ws.may_recover = false;
  }
  record.attempt = std::move(attempt);
  record.shard = ws.shard;
  record.lease_epoch = job.lease_epoch;
  // Not held for a bulk write: an ordered webhook's next delivery starts only once this is recorded, and a webhook
  // being disabled is parked only then.
  record.urgent = (ws.settings && ws.settings->ordered) || ws.release_in_order_through != 0 || record.disable_webhook;
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
  store_.RecordAttemptsAsync(
      std::move(unrecorded_), [this, outcomes = std::move(outcomes)](Status st, std::vector<size_t> refused) mutable {
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
    LogError(
        "recording an attempt failed; will retry the delivery",
        {{"delivery_id", delivery_id}, {"event_id", event_id}, {"webhook_id", ws.id}, {"error", st.error().message}});
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
  if (outcome.disabled) ws.disabling = false;    // durable (settings are read again) or not (the attempt is redone)
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
  const ShardLease* lease = LeaseOf(ws.shard);
  if (!lease) return;  // the shard's new owner keeps its circuit
  const CircuitState circuit = ws.health.circuit();
  store_.UpdateWebhookHealthAsync({ws.id,
                                   circuit == CircuitState::kClosed ? WebhookStatus::kHealthy : WebhookStatus::kFailing,
                                   circuit, ws.shard, lease->epoch});
}

}  // namespace hookd
