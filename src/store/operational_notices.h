// When a change to a customer's endpoint makes an operational notice (SPEC §9, domain/operational.h), as both stores
// apply it inside the change's transaction: endpoint.circuit_opened and endpoint.circuit_closed at each change of
// its circuit; endpoint.failing when the circuit opens (once per window), then a recovery is due; endpoint.disabled
// when hookd disables it, then a recovery is due; endpoint.recovered at the circuit's closing or the first success when
// one is due; delivery.dead when a delivery dies. With them, the audit records (domain/audit.h) of the same changes:
// what a webhook's update, hookd disabling a webhook and a circuit's change write. A store supplies the row
// operations (NoticeRows); the rules live here once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"
#include "domain/audit.h"
#include "domain/model.h"
#include "domain/operational.h"
#include "store/engine_store.h"

namespace hookd {

// What was last told of one customer webhook.
struct NoticeState {
  std::optional<int64_t> failing_sent_ms;
  bool recovery_pending = false;
};

// A store's rows for a change's records and notices, in the change's transaction.
class NoticeRows {
 public:
  virtual ~NoticeRows() = default;
  // Appends `record` to its account's audit chain.
  [[nodiscard]] virtual Status AppendAudit(AuditRecord record) = 0;
  // Stores the notice's event and a delivery to each operational webhook that hears it.
  [[nodiscard]] virtual Status Notify(const OperationalNotice& notice) = 0;
  // The webhook's state, held until the transaction ends (so two processes cannot both send one notice).
  [[nodiscard]] virtual Result<NoticeState> ReadState(const std::string& webhook_id) = 0;
  // endpoint.failing went at `at_ms`; a recovery is due.
  [[nodiscard]] virtual Status MarkFailingSent(const std::string& webhook_id, int64_t at_ms) = 0;
  [[nodiscard]] virtual Status MarkRecoveryDue(const std::string& webhook_id) = 0;
  // Clears a recovery due; whether one was.
  [[nodiscard]] virtual Result<bool> TakeRecoveryDue(const std::string& webhook_id) = 0;
};

// A webhook updated by `by` from `before`, `written` the update asked for with or without its activity.
[[nodiscard]] Status RecordWebhookUpdate(NoticeRows& rows, const Actor& by, const Webhook& before,
                                         const Webhook& written, bool sets_activity);
// A webhook whose circuit went from `was` to `now` at `at_ms`.
[[nodiscard]] Status RecordCircuitChange(NoticeRows& rows, const std::string& account_id, const std::string& webhook_id,
                                         const std::string& url, CircuitState was, CircuitState now, int64_t at_ms);
// A webhook that was `was` (active or not) disabled by hookd at `at_ms` after the attempt of `record`. One
// disabled by hand meanwhile has its record already: nothing is written.
[[nodiscard]] Status RecordEngineDisable(NoticeRows& rows, const std::string& account_id, const std::string& webhook_id,
                                         const std::string& url, bool was_active, WebhookStatus was,
                                         const AttemptRecord& record, int64_t at_ms);

// Whether an attempt's outcome may make a notice (a dead delivery, or a success that may be a recovery): only then
// need a store read the delivery for NoteOutcome.
[[nodiscard]] bool OutcomeMayNotify(const AttemptRecord& record);
// The outcome of `record`, its delivery as stored after it (`stored`) and its webhook's URL (empty: deleted).
[[nodiscard]] Status NoteOutcome(NoticeRows& rows, const AttemptRecord& record, const Delivery& stored,
                                 const std::string& url);

}  // namespace hookd
