// The retry schedule (SPEC §4): attempts = 1 + number of delays; each retry waits its delay ±10 % jitter;
// a Retry-After on 429/502/503/504 stretches the wait, clamped to [delay, 2 × delay]. Pure: randomness is
// passed in as a number in [0, 1).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace hookd {

class RetryPolicy {
 public:
  explicit RetryPolicy(std::vector<int64_t> delays_ms) : delays_ms_(std::move(delays_ms)) {}

  [[nodiscard]] int MaxAttempts() const { return static_cast<int>(delays_ms_.size()) + 1; }

  // The wait before the next attempt after attempt `attempts_made` failed, or nullopt when it was the last.
  // `unit_random` in [0, 1) picks the jitter; `retry_after_ms` is the response's Retry-After, if any applies.
  [[nodiscard]] std::optional<int64_t> NextDelayMs(int attempts_made, double unit_random,
                                                   std::optional<int64_t> retry_after_ms = std::nullopt) const;

 private:
  std::vector<int64_t> delays_ms_;
};

// Whether a response status's Retry-After header is honoured (429, 502, 503, 504).
[[nodiscard]] bool HonoursRetryAfter(int status);

}  // namespace hookd
