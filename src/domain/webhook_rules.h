// Validation rules for webhook fields (SPEC §3 "Webhook fields"). Each returns an error message, or nullopt when
// the value is acceptable. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace hookd
