// The rules of a delivery's life that both stores and the API apply alike (SPEC §3, §4): when an idempotency key is
// released, when a delivery is finished and when it completed, what a manual retry may reopen and what reopening
// does, what a replay reaches, how long expired portal sessions are kept, and how many webhooks an account may
// have. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/model.h"

namespace hookd {

// An idempotency key is remembered this long (SPEC §3); after that the same key creates a new event.
inline constexpr int64_t kIdempotencyWindowMs = 24LL * 3600 * 1000;
// An expired portal session is kept this long (its token then reads as expired, not unknown), then forgotten.
inline constexpr int64_t kExpiredPortalSessionKeepMs = 24LL * 3600 * 1000;

// An event created before this no longer holds its idempotency key at `now_ms`.
[[nodiscard]] constexpr int64_t IdempotencyKeysHeldSince(int64_t now_ms) {
  return now_ms - kIdempotencyWindowMs;
}
// Portal sessions that expired before this are forgotten at `now_ms`.
[[nodiscard]] constexpr int64_t PortalSessionsKeptSince(int64_t now_ms) {
  return now_ms - kExpiredPortalSessionKeepMs;
}

// Succeeded and dead deliveries are finished: nothing more is attempted unless a person reopens them.
[[nodiscard]] constexpr bool IsFinished(DeliveryStatus s) {
  return s == DeliveryStatus::kSucceeded || s == DeliveryStatus::kDead;
}
// When a delivery whose attempt led to `status` completed: the end of that attempt, if it finished it.
[[nodiscard]] std::optional<int64_t> CompletedAt(DeliveryStatus status, const Attempt& attempt);

// Whether a manual retry may reopen a delivery in `status`: a failed or dead one may; a succeeded one is 409
// `delivery_succeeded` (replay its event instead) and a pending or delivering one 409 `delivery_pending`.
[[nodiscard]] Status CheckReopenable(DeliveryStatus status);
// Of the statuses a bulk retry asks for, those it reopens (failed and dead; the others are never reopened).
[[nodiscard]] std::vector<DeliveryStatus> ReopenableStatuses(const std::vector<DeliveryStatus>& asked);
// `delivery` reopened at `now_ms`: pending and due at once, no longer completed. Its attempt count is kept, so a
// dead delivery gets one more attempt and a failed one continues its schedule.
void Reopen(Delivery& delivery, int64_t now_ms);

// A deleted webhook's delivery log stays until retention takes it (SPEC §9): what was unfinished ends dead at
// `now_ms`, its last error `webhook_deleted`, and nothing can reopen it (409 `webhook_deleted`).
inline constexpr std::string_view kWebhookDeleted = "webhook_deleted";
void EndForDeletedWebhook(Delivery& delivery, int64_t now_ms);
[[nodiscard]] Error WebhookDeletedError();

// Whether a replay of `event` reaches `webhook`: its environment and one of its patterns, whether or not the
// webhook is active now (the replay is asked of it by name); never an operational event (domain/operational.h).
[[nodiscard]] bool ReplayReaches(const Webhook& webhook, const Event& event);

// Whether an account that has `existing` webhooks may create one more under a cap of `max_per_account`: 409
// `too_many_webhooks` when not.
[[nodiscard]] Status CheckWebhookCap(int64_t existing, int max_per_account);

// A custom event type's name taken already: 409 `already_exists`.
[[nodiscard]] Error EventTypeExists();

}  // namespace hookd
