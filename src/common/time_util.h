// Wall-clock helpers: milliseconds since the epoch, RFC 3339 formatting/parsing (UTC, millisecond precision, "Z"),
// and the duration syntax of the configuration ("250ms", "30s", "5m", "2h", "1d"). Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hookd {

[[nodiscard]] int64_t NowMs();

// "2026-11-22T08:04:00.123Z"
[[nodiscard]] std::string FormatRfc3339(int64_t epoch_ms);

// Accepts "YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)" and "YYYY-MM-DD". Returns epoch milliseconds.
[[nodiscard]] std::optional<int64_t> ParseRfc3339(std::string_view text);

// "30s" -> 30000. A number with one unit of ms, s, m, h, d. Rejects negatives, overflow and junk.
[[nodiscard]] std::optional<int64_t> ParseDurationMs(std::string_view text);

// A time bound given either as RFC 3339 or as a duration before `now_ms` ("24h" = 24 hours ago).
[[nodiscard]] std::optional<int64_t> ParseTimeBound(std::string_view text, int64_t now_ms);

}  // namespace hookd
