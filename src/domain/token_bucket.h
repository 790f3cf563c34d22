// Token-bucket arithmetic (API rate limits, and per-webhook delivery rates): refills at `rate` tokens per second
// up to `burst`. Pure: the caller passes the time.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace hookd {

struct TokenBucket {
  double tokens = 0;
  int64_t updated_ms = 0;

  static TokenBucket Full(double burst, int64_t now_ms) { return TokenBucket{burst, now_ms}; }

  void Refill(double rate_per_s, double burst, int64_t now_ms) {
    if (now_ms > updated_ms) {
      tokens = std::min(burst, tokens + rate_per_s * static_cast<double>(now_ms - updated_ms) / 1000.0);
      updated_ms = now_ms;
    }
  }

  // Takes one token if there is one.
  bool TryTake(double rate_per_s, double burst, int64_t now_ms) {
    Refill(rate_per_s, burst, now_ms);
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
  }

  // Milliseconds until one token is available (0 if one is).
  [[nodiscard]] int64_t MsUntilToken(double rate_per_s) const {
    if (tokens >= 1.0 || rate_per_s <= 0) return 0;
    return static_cast<int64_t>(std::ceil((1.0 - tokens) * 1000.0 / rate_per_s));
  }

  // Milliseconds until the bucket is full again.
  [[nodiscard]] int64_t MsUntilFull(double rate_per_s, double burst) const {
    if (tokens >= burst || rate_per_s <= 0) return 0;
    return static_cast<int64_t>(std::ceil((burst - tokens) * 1000.0 / rate_per_s));
  }
};

}  // namespace hookd
