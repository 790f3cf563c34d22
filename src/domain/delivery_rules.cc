// The delivery rules, each written once.
#include "domain/delivery_rules.h"

#include <algorithm>
#include <string>

#include "domain/operational.h"
#include "domain/subscription.h"

namespace hookd {

std::optional<int64_t> CompletedAt(DeliveryStatus status, const Attempt& attempt) {
  if (!IsFinished(status)) return std::nullopt;
  return attempt.started_at_ms + attempt.response_time_ms;
}

Status CheckReopenable(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kFailed:
    case DeliveryStatus::kDead:
      return Ok();
    case DeliveryStatus::kSucceeded:
      return Fail(
          Error::Conflict("delivery_succeeded", "the delivery already succeeded; replay the event to send it again"));
    case DeliveryStatus::kPending:
    case DeliveryStatus::kDelivering:
      return Fail(Error::Conflict("delivery_pending", "the delivery is already due"));
  }
  return Fail(Error::Internal("unknown delivery status"));
}

std::vector<DeliveryStatus> ReopenableStatuses(const std::vector<DeliveryStatus>& asked) {
  std::vector<DeliveryStatus> out;
  for (DeliveryStatus s : {DeliveryStatus::kFailed, DeliveryStatus::kDead}) {
    if (std::ranges::find(asked, s) != asked.end()) out.push_back(s);
  }
  return out;
}

void Reopen(Delivery& delivery, int64_t now_ms) {
  delivery.status = DeliveryStatus::kPending;
  delivery.next_attempt_at_ms = now_ms;
  delivery.completed_at_ms.reset();
  delivery.latency_ms.reset();
}

void EndForDeletedWebhook(Delivery& delivery, int64_t now_ms) {
  delivery.status = DeliveryStatus::kDead;
  delivery.next_attempt_at_ms.reset();
  delivery.completed_at_ms = now_ms;
  delivery.last_error = std::string(kWebhookDeleted);
}

Error WebhookDeletedError() {
  return Error::Conflict(std::string(kWebhookDeleted), "the delivery's webhook was deleted");
}

bool ReplayReaches(const Webhook& webhook, const Event& event) {
  return !IsOperationalType(event.type) &&
         WebhookReceives(true, webhook.environment, webhook.events, event.environment, event.type);
}

Status CheckWebhookCap(int64_t existing, int max_per_account) {
  if (existing < max_per_account) return Ok();
  return Fail(Error::Conflict("too_many_webhooks", "this account already has " + std::to_string(max_per_account) +
                                                       " webhooks, the most this server allows"));
}

Error EventTypeExists() {
  return Error::Conflict("already_exists", "event type already exists");
}

}  // namespace hookd
