// Operational webhooks (SPEC §9): endpoints of the platform itself that hear what happened to its customers'
// endpoints — failing, disabled, recovered, updated — and which deliveries died. Their nouns and rules: the types,
// the notice each change makes and when it is due, the event it becomes, and how an operational endpoint is sent
// to (as a webhook of the standard format, never routed through a customer's). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "domain/model.h"

namespace hookd {

// An operational endpoint. `account_id` empty: the admin's, for every account.
struct OperationalWebhook {
  std::string id;  // "ow_…"
  std::string account_id;
  std::string url;
  std::string description;
  std::vector<std::string> events;  // operational types, or "*"
  bool active = true;
  std::string secret;  // plaintext in memory only; encrypted in the store
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

inline constexpr std::string_view kOperationalIdPrefix = "ow_";
inline constexpr std::string_view kOperationalCategory = "Operational";
inline constexpr std::string_view kEndpointFailing = "endpoint.failing";
inline constexpr std::string_view kEndpointDisabled = "endpoint.disabled";
inline constexpr std::string_view kEndpointRecovered = "endpoint.recovered";
inline constexpr std::string_view kEndpointCircuitOpened = "endpoint.circuit_opened";
inline constexpr std::string_view kEndpointCircuitClosed = "endpoint.circuit_closed";
inline constexpr std::string_view kEndpointUpdated = "endpoint.updated";
inline constexpr std::string_view kDeliveryDead = "delivery.dead";

// endpoint.failing is sent at most once per webhook in this window.
inline constexpr int64_t kFailingNoticeWindowMs = 3'600'000;

// The operational types, in catalog order.
[[nodiscard]] const std::vector<std::string_view>& OperationalTypes();
[[nodiscard]] bool IsOperationalType(std::string_view type);
// Whether `id` names an operational endpoint (its deliveries never lead to notices of their own).
[[nodiscard]] bool IsOperationalWebhookId(std::string_view id);

// What happened to a customer's endpoint, to tell the operational endpoints of its account and the admin's.
struct OperationalNotice {
  std::string type;
  std::string account_id;
  json::object data;  // {"webhook_id", …}
};

// The endpoint's URL reduced to its host: what a notice says of it (a path or query may carry a credential).
[[nodiscard]] std::string UrlHost(std::string_view url);

[[nodiscard]] OperationalNotice EndpointFailingNotice(const std::string& account_id, const std::string& webhook_id,
                                                      const std::string& url);
[[nodiscard]] OperationalNotice EndpointDisabledNotice(const std::string& account_id, const std::string& webhook_id,
                                                       const std::string& url, const std::string& reason,
                                                       std::optional<int> last_response_status);
[[nodiscard]] OperationalNotice EndpointRecoveredNotice(const std::string& account_id, const std::string& webhook_id,
                                                        const std::string& url);
// Every opening and closing of the circuit (endpoint.failing and endpoint.recovered are the once-per-episode ones).
[[nodiscard]] OperationalNotice CircuitNotice(std::string_view type, const std::string& account_id,
                                              const std::string& webhook_id, const std::string& url);
// endpoint.updated when the URL's host changed or the secret was rotated (`changed` names which); nullopt else.
[[nodiscard]] std::optional<OperationalNotice> EndpointUpdatedNotice(const Webhook& before, const Webhook& after);
[[nodiscard]] OperationalNotice DeliveryDeadNotice(const Delivery& delivery, std::optional<int> last_response_status,
                                                   const std::string& last_error);

// Whether an endpoint.failing notice is due now, the last one having gone at `last_sent_ms` (none: due).
[[nodiscard]] bool FailingNoticeDue(std::optional<int64_t> last_sent_ms, int64_t now_ms);

// Whether `endpoint` hears `notice`: active, the notice's account's or the admin's, subscribed to its type.
[[nodiscard]] bool OperationalWebhookHears(const OperationalWebhook& endpoint, const OperationalNotice& notice);

// The event a notice becomes (its account's, type, data), created at `now_ms`.
[[nodiscard]] Event OperationalEvent(const OperationalNotice& notice, int64_t now_ms);

// An operational endpoint as the delivery engine sends to it: a webhook of the standard format in the production
// environment, unlimited, unordered, with no extra headers.
[[nodiscard]] Webhook OperationalDeliveryTarget(const OperationalWebhook& endpoint);

// The account a delivery to `endpoint` is logged under: its owner's ("" for the admin's, which no account sees).
[[nodiscard]] inline const std::string& OperationalDeliveryAccount(const OperationalWebhook& endpoint) {
  return endpoint.account_id;
}

}  // namespace hookd
