// The nouns of hookd (SPEC §1) as plain values: accounts, API keys, webhooks, events, deliveries, attempts.
// No behaviour beyond small enum conversions; rules live in the neighbouring files. Raw JSON payloads are kept
// as serialized text so they are forwarded byte for byte without re-encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hookd {

struct Account {
  std::string id;
  std::string name;
  std::string email;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct ApiKey {
  std::string id;
  std::string account_id;
  std::string name;
  std::string prefix;  // the first characters of the key, to recognise it in a list
  int64_t created_at_ms = 0;
  std::optional<int64_t> last_used_at_ms;
};

// A portal session: a short-lived token that signs a browser into the web UI for one account (SPEC §3, §8), with
// `manage` or `read` access. Only the token's SHA-256 hash is stored.
enum class PortalAccess { kManage, kRead };
[[nodiscard]] const char* ToString(PortalAccess a);
[[nodiscard]] std::optional<PortalAccess> ParsePortalAccess(std::string_view s);

struct PortalSession {
  std::string id;  // ps_…
  std::string account_id;
  PortalAccess access = PortalAccess::kManage;
  std::string return_url;  // where the UI's "back" link goes; may be empty
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
};

// Whether a webhook proves its endpoint's owner agreed to receive before anything is sent to it (SPEC §10).
enum class WebhookVerification { kNone, kHandshake };
[[nodiscard]] const char* ToString(WebhookVerification v);
[[nodiscard]] std::optional<WebhookVerification> ParseWebhookVerification(std::string_view s);

enum class PayloadFormat { kStandard, kEventData, kEventPayload };
[[nodiscard]] const char* ToString(PayloadFormat f);
[[nodiscard]] std::optional<PayloadFormat> ParsePayloadFormat(std::string_view s);

enum class WebhookStatus { kHealthy, kFailing, kDisabled };
[[nodiscard]] const char* ToString(WebhookStatus s);
[[nodiscard]] std::optional<WebhookStatus> ParseWebhookStatus(std::string_view s);

enum class CircuitState { kClosed, kOpen, kHalfOpen };
[[nodiscard]] const char* ToString(CircuitState s);
[[nodiscard]] std::optional<CircuitState> ParseCircuitState(std::string_view s);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Mutual TLS for one webhook (SPEC §10): PEM texts, sealed at rest with the webhook's secrets, the key never shown.
struct WebhookTls {
  std::string client_certificate;  // "" = none: the webhook uses no TLS settings of its own
  std::string client_key;
  std::string ca_certificates;  // "" = the system's trust store verifies the endpoint
  [[nodiscard]] bool empty() const { return client_certificate.empty() && ca_certificates.empty(); }
  bool operator==(const WebhookTls&) const = default;
};

struct Webhook {
  std::string id;
  std::string account_id;
  std::string url;
  std::string name;
  std::string description;
  std::vector<std::string> events;
  bool active = true;
  std::string environment = "production";
  int rate_limit = 0;
  bool ordered = false;
  PayloadFormat payload_format = PayloadFormat::kStandard;
  HeaderList headers;
  std::string metadata_json = "{}";
  std::string secret;           // plaintext in memory only; encrypted in the store
  std::string previous_secret;  // still signing during a rotation's grace period
  int64_t previous_secret_expires_at_ms = 0;
  WebhookStatus status = WebhookStatus::kHealthy;
  std::string disabled_reason;
  CircuitState circuit = CircuitState::kClosed;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  WebhookVerification verification = WebhookVerification::kNone;
  bool verified = false;  // the endpoint echoed a handshake's challenge at its current URL
  WebhookTls tls;
};

struct Event {
  std::string id;
  std::string account_id;
  std::string type;
  std::string environment = "production";
  std::string data_json = "{}";
  std::string metadata_json;  // empty = the event has no metadata
  int64_t created_at_ms = 0;
};

enum class DeliveryStatus { kPending, kDelivering, kSucceeded, kFailed, kDead };
[[nodiscard]] const char* ToString(DeliveryStatus s);
[[nodiscard]] std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view s);

struct Attempt {
  std::string id;
  std::string delivery_id;
  int number = 0;
  int64_t started_at_ms = 0;
  std::optional<int> response_status;
  int64_t response_time_ms = 0;
  std::string error;  // empty on a response; "timeout", "connection_refused", "dns", "tls", "blocked_address", ...
  std::string request_headers_json = "{}";
  std::string request_body;
  bool request_body_truncated = false;
  std::string response_headers_json = "{}";
  std::string response_body;
  bool response_body_truncated = false;
  bool success = false;
};

struct Delivery {
  std::string id;
  std::string account_id;
  std::string event_id;
  std::string event_type;
  std::string webhook_id;
  DeliveryStatus status = DeliveryStatus::kPending;
  int attempt_count = 0;
  std::optional<int64_t> next_attempt_at_ms;
  int64_t created_at_ms = 0;
  std::optional<int64_t> completed_at_ms;
  std::optional<int64_t> latency_ms;
  std::optional<int> last_response_status;  // of the latest attempt
  std::optional<int64_t> last_response_time_ms;
  std::string last_error;
  bool webhook_deleted = false;   // its webhook was deleted (its log is kept); set where the log is read
  std::vector<Attempt> attempts;  // filled only when one delivery is read in full
};

// Bodies kept in the delivery log are cut at this size (SPEC §3).
inline constexpr size_t kLoggedBodyLimit = 10 * 1024;

}  // namespace hookd
