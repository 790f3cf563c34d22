// Webhook fields (SPEC §3 "Webhook fields"): their validation rules, each returning an error message or nullopt when
// the value is acceptable, and the settings as JSON. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"
#include "domain/model.h"

namespace hookd {

inline constexpr size_t kMaxUrlLength = 2048;
inline constexpr size_t kMaxNameLength = 200;
inline constexpr size_t kMaxDescriptionLength = 1024;
inline constexpr size_t kMaxSubscriptions = 100;
inline constexpr size_t kMaxCustomHeaders = 20;
inline constexpr size_t kMaxMetadataBytes = 16 * 1024;

// The port a URL's port digits name (RFC 3986 allows leading zeros), or nullopt when they name none: empty, 0, or
// above 65535. The delivery client reads ports with it too, so a URL is delivered to the port it was checked for.
[[nodiscard]] std::optional<uint16_t> ParsePort(std::string_view digits);

[[nodiscard]] std::optional<std::string> CheckWebhookUrl(std::string_view url, bool allow_http);
[[nodiscard]] std::optional<std::string> CheckEnvironment(std::string_view environment);
[[nodiscard]] std::optional<std::string> CheckCustomHeader(std::string_view name, std::string_view value);

// Whether the webhook's deliveries wait for its endpoint to answer the ownership handshake (SPEC §10).
[[nodiscard]] inline bool AwaitsVerification(const Webhook& w) {
  return w.verification == WebhookVerification::kHandshake && !w.verified;
}
// Whether a change from `before` to `after` asks for a handshake: one that asks for them, to a new URL or while
// unverified. (A URL change also makes the stored webhook unverified: the store resets it.)
[[nodiscard]] inline bool NeedsHandshake(const Webhook& before, const Webhook& after) {
  return after.verification == WebhookVerification::kHandshake && (after.url != before.url || !before.verified);
}

// How long a rotated-out secret keeps signing beside the new one.
inline constexpr int64_t kSecretRotationGraceMs = 24LL * 3600 * 1000;
// Makes `next` the webhook's secret; the current one signs alongside until the grace period ends.
void RotateSecret(Webhook& w, std::string next, int64_t now_ms);

// The settings a webhook's owner chooses, as the API names them: url, name, description, events, active,
// environment, rate_limit, ordered, payload_format, signing, verification, headers (values replaced by
// `header_value` when given) and metadata.
[[nodiscard]] json::object WebhookSettingsJson(const Webhook& w, std::optional<std::string_view> header_value = {});

}  // namespace hookd
