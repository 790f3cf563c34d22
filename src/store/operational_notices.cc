// The notice rules over a store's rows.
#include "store/operational_notices.h"

namespace hookd {
namespace {

Status NoteRecovered(NoticeRows& rows, const std::string& account_id, const std::string& webhook_id,
                     const std::string& url) {
  auto due = rows.TakeRecoveryDue(webhook_id);
  if (!due) return Fail(due.error());
  return *due ? rows.Notify(EndpointRecoveredNotice(account_id, webhook_id, url)) : Ok();
}

Status NoteCircuit(NoticeRows& rows, const std::string& account_id, const std::string& webhook_id,
                   const std::string& url, CircuitState was, CircuitState now, int64_t at_ms) {
  if (IsOperationalWebhookId(webhook_id)) return Ok();
  if (now == CircuitState::kOpen && was == CircuitState::kClosed) {
    if (auto st = rows.Notify(CircuitNotice(kEndpointCircuitOpened, account_id, webhook_id, url)); !st) return st;
    auto state = rows.ReadState(webhook_id);
    if (!state) return Fail(state.error());
    if (!FailingNoticeDue(state->failing_sent_ms, at_ms)) return Ok();
    if (auto st = rows.Notify(EndpointFailingNotice(account_id, webhook_id, url)); !st) return st;
    return rows.MarkFailingSent(webhook_id, at_ms);
  }
  if (now == CircuitState::kClosed && was != CircuitState::kClosed) {
    if (auto st = rows.Notify(CircuitNotice(kEndpointCircuitClosed, account_id, webhook_id, url)); !st) return st;
    return NoteRecovered(rows, account_id, webhook_id, url);
  }
  return Ok();
}

Status NoteDisabled(NoticeRows& rows, const std::string& account_id, const std::string& webhook_id,
                    const std::string& url, const AttemptRecord& record) {
  if (IsOperationalWebhookId(webhook_id)) return Ok();
  const OperationalNotice notice =
      EndpointDisabledNotice(account_id, webhook_id, url, record.disabled_reason, record.attempt.response_status);
  if (auto st = rows.Notify(notice); !st) return st;
  return rows.MarkRecoveryDue(webhook_id);
}

}  // namespace

Status RecordWebhookUpdate(NoticeRows& rows, const Actor& by, const Webhook& before, const Webhook& written,
                           bool sets_activity) {
  if (auto record = WebhookChangeRecord(by, before, WebhookAsUpdated(before, written, sets_activity))) {
    if (auto st = rows.AppendAudit(std::move(*record)); !st) return st;
  }
  auto notice = EndpointUpdatedNotice(before, written);
  return notice ? rows.Notify(*notice) : Ok();
}

Status RecordCircuitChange(NoticeRows& rows, const std::string& account_id, const std::string& webhook_id,
                           const std::string& url, CircuitState was, CircuitState now, int64_t at_ms) {
  auto record = CircuitChangeRecord(at_ms, account_id, webhook_id, was, now);
  if (!record) return Ok();
  if (auto st = rows.AppendAudit(std::move(*record)); !st) return st;
  return NoteCircuit(rows, account_id, webhook_id, url, was, now, at_ms);
}

Status RecordEngineDisable(NoticeRows& rows, const std::string& account_id, const std::string& webhook_id,
                           const std::string& url, bool was_active, WebhookStatus was, const AttemptRecord& record,
                           int64_t at_ms) {
  if (!was_active) return Ok();
  if (auto st = rows.AppendAudit(AutoDisabledRecord(at_ms, account_id, webhook_id, was, record.disabled_reason)); !st) {
    return st;
  }
  return NoteDisabled(rows, account_id, webhook_id, url, record);
}

bool OutcomeMayNotify(const AttemptRecord& record) {
  return record.new_status == DeliveryStatus::kDead || (record.may_recover && record.attempt.success);
}

Status NoteOutcome(NoticeRows& rows, const AttemptRecord& record, const Delivery& stored, const std::string& url) {
  // Nothing for an operational endpoint's own delivery, a webhook deleted meanwhile, or a late outcome that changed
  // nothing.
  if (IsOperationalWebhookId(stored.webhook_id) || url.empty() || stored.status != record.new_status) return Ok();
  if (record.new_status == DeliveryStatus::kDead) {
    return rows.Notify(DeliveryDeadNotice(stored, record.attempt.response_status, record.attempt.error));
  }
  if (record.may_recover && record.attempt.success)
    return NoteRecovered(rows, stored.account_id, stored.webhook_id, url);
  return Ok();
}

}  // namespace hookd
