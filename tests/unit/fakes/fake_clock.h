// A clock a test moves by hand: both readings advance together, and only when the test says. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/clock.h"

namespace hookd::testing {

class FakeClock final : public Clock {
 public:
  [[nodiscard]] int64_t NowMs() const override { return now_ms_.load(); }
  [[nodiscard]] int64_t SteadyMs() const override { return steady_ms_.load(); }
  void Advance(int64_t ms) {
    now_ms_ += ms;
    steady_ms_ += ms;
  }

 private:
  std::atomic<int64_t> now_ms_{1'900'000'000'000};
  std::atomic<int64_t> steady_ms_{5'000'000};
};

}  // namespace hookd::testing
