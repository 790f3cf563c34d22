// String forms of the domain enums, as they appear in the API and the store.
#include "domain/model.h"

namespace hookd {

const char* ToString(PortalAccess a) {
  return a == PortalAccess::kRead ? "read" : "manage";
}

std::optional<PortalAccess> ParsePortalAccess(std::string_view s) {
  if (s == "manage") return PortalAccess::kManage;
  if (s == "read") return PortalAccess::kRead;
  return std::nullopt;
}

const char* ToString(WebhookVerification v) {
  return v == WebhookVerification::kHandshake ? "handshake" : "none";
}

std::optional<WebhookVerification> ParseWebhookVerification(std::string_view s) {
  if (s == "none") return WebhookVerification::kNone;
  if (s == "handshake") return WebhookVerification::kHandshake;
  return std::nullopt;
}

const char* ToString(PayloadFormat f) {
  switch (f) {
    case PayloadFormat::kStandard:
      return "standard";
    case PayloadFormat::kEventData:
      return "event-data";
    case PayloadFormat::kEventPayload:
      return "event-payload";
  }
  return "standard";
}

std::optional<PayloadFormat> ParsePayloadFormat(std::string_view s) {
  if (s == "standard") return PayloadFormat::kStandard;
  if (s == "event-data") return PayloadFormat::kEventData;
  if (s == "event-payload") return PayloadFormat::kEventPayload;
  return std::nullopt;
}

const char* ToString(WebhookStatus s) {
  switch (s) {
    case WebhookStatus::kHealthy:
      return "healthy";
    case WebhookStatus::kFailing:
      return "failing";
    case WebhookStatus::kDisabled:
      return "disabled";
  }
  return "healthy";
}

std::optional<WebhookStatus> ParseWebhookStatus(std::string_view s) {
  if (s == "healthy") return WebhookStatus::kHealthy;
  if (s == "failing") return WebhookStatus::kFailing;
  if (s == "disabled") return WebhookStatus::kDisabled;
  return std::nullopt;
}

const char* ToString(CircuitState s) {
  switch (s) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

std::optional<CircuitState> ParseCircuitState(std::string_view s) {
  if (s == "closed") return CircuitState::kClosed;
  if (s == "open") return CircuitState::kOpen;
  if (s == "half_open") return CircuitState::kHalfOpen;
  return std::nullopt;
}

const char* ToString(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::kPending:
      return "pending";
    case DeliveryStatus::kDelivering:
      return "delivering";
    case DeliveryStatus::kSucceeded:
      return "succeeded";
    case DeliveryStatus::kFailed:
      return "failed";
    case DeliveryStatus::kDead:
      return "dead";
  }
  return "pending";
}

std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view s) {
  if (s == "pending") return DeliveryStatus::kPending;
  if (s == "delivering") return DeliveryStatus::kDelivering;
  if (s == "succeeded") return DeliveryStatus::kSucceeded;
  if (s == "failed") return DeliveryStatus::kFailed;
  if (s == "dead") return DeliveryStatus::kDead;
  return std::nullopt;
}

}  // namespace hookd
