// The system's clocks behind Clock.
#include "common/clock.h"

#include <chrono>

#include "common/time_util.h"

namespace hookd {

int64_t SystemClock::NowMs() const {
  return hookd::NowMs();
}

int64_t SystemClock::SteadyMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const Clock& SystemTime() {
  static const SystemClock clock;
  return clock;
}

}  // namespace hookd
