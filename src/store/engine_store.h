// What the delivery engine asks of the store, and nothing more: a webhook's settings, the events of deliveries it
// resumes, the record of each attempt and a webhook's circuit. Store (store/store.h) extends it; the engine's unit
// tests use an in-memory one (tests/unit/fakes/in_memory_engine_store.h).
//
// Thread-safety: as Store — any thread; the reads block on I/O, the async writes never do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "domain/model.h"

namespace hookd {

// The outcome of one attempt and the delivery state it leads to, written together.
struct AttemptRecord {
  Attempt attempt;
  DeliveryStatus new_status = DeliveryStatus::kFailed;
  std::optional<int64_t> next_attempt_at_ms;
  std::optional<int64_t> latency_ms;  // set on success
  bool disable_webhook = false;       // 410 Gone, or too many dead deliveries in a row
  std::string disabled_reason;
  // The engine waits for it to go on with its webhook (ordered; being disabled): written at once, never held.
  bool urgent = false;
  // The webhook's first success since it was loaded or re-enabled: the store checks whether an endpoint.recovered
  // notice is due (domain/operational.h).
  bool may_recover = false;
  // The shard lease the attempt ran under (SPEC §6): the outcome is written only while the shard's fencing epoch is
  // still `lease_epoch`. Epoch 0 is never fenced: the one process that owns every shard (store/work_distribution.h).
  int shard = 0;
  int64_t lease_epoch = 0;
};

// A webhook's circuit and the status it implies, fenced like an attempt's outcome: written only while the shard's
// epoch is still `lease_epoch` (0: never fenced).
struct HealthRecord {
  std::string webhook_id;
  WebhookStatus status = WebhookStatus::kHealthy;
  CircuitState circuit = CircuitState::kClosed;
  int shard = 0;
  int64_t lease_epoch = 0;
};

// Called once attempt records are durable (or failed): `refused` lists the records (by index) that were not
// written because their shard lease had passed to another worker.
using RecordedCallback = std::function<void(Status status, std::vector<size_t> refused)>;

class EngineStore {
 public:
  virtual ~EngineStore() = default;

  // Any account's webhook, with its secrets decrypted.
  [[nodiscard]] virtual Result<Webhook> GetWebhookById(const std::string& id) = 0;
  // Those of `ids` that exist (any account's; in no particular order).
  [[nodiscard]] virtual Result<std::vector<Event>> GetEventsByIds(const std::vector<std::string>& ids) = 0;
  // Records attempts (all or none) without blocking; `done` runs once they are durable (or failed), on a store
  // thread. Unless one of them is `urgent`, the store may wait briefly to write many outcomes together; reads of
  // deliveries still see every outcome recorded before they began. An attempt of a delivery deleted meanwhile
  // (with its webhook) is dropped silently; so is one whose lease is stale (reported in `refused`).
  virtual void RecordAttemptsAsync(std::vector<AttemptRecord> records, RecordedCallback done) = 0;
  // Persists a webhook's circuit state and the status it implies (a disabled webhook stays disabled). Async.
  // Disabling a webhook (AttemptRecord::disable_webhook) and opening or closing its circuit each write their audit
  // record (domain/audit.h), by `system`, in the same transaction.
  virtual void UpdateWebhookHealthAsync(HealthRecord health) = 0;
  // Waits until every write queued so far is durable; used on shutdown.
  virtual void Flush() = 0;
};

}  // namespace hookd
