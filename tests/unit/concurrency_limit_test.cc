// The adaptive per-webhook concurrency limit against simulated endpoints: each test runs an endpoint whose round
// trip at concurrency L is a given function, keeps it busy at the limit, and checks where the limit settles.
#include "domain/concurrency_limit.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

namespace hookd {
namespace {

constexpr int64_t kSecondUs = 1'000'000;

// Runs `duration_us` of completions from an endpoint kept at the limit: L requests in flight complete every
// round_trip(L) / L. `held_back` says whether more work was waiting than the limit let through. Returns how many
// requests completed.
int64_t RunBusy(ConcurrencyLimit& limit, int64_t& now_us, int64_t duration_us, bool held_back,
                const std::function<int64_t(int)>& round_trip) {
  const int64_t end = now_us + duration_us;
  int64_t completed = 0;
  for (; now_us < end; ++completed) {
    const int64_t rtt = round_trip(limit.limit());
    now_us += std::max<int64_t>(1, rtt / limit.limit());
    if (held_back) limit.OnHeldBack();
    limit.OnSample(rtt, now_us);
  }
  return completed;
}

TEST(ConcurrencyLimit, ASlowSteadyEndpointGetsTheWholeCap) {
  ConcurrencyLimit limit;
  int64_t now = 0;
  RunBusy(limit, now, 10 * kSecondUs, true, [](int) { return 200'000; });
  EXPECT_EQ(limit.limit(), 32);
  RunBusy(limit, now, 30 * kSecondUs, true, [](int) { return 200'000; });
  EXPECT_EQ(limit.limit(), 32);
}

TEST(ConcurrencyLimit, AJitterySlowEndpointStillGetsMostOfTheCap) {
  // Round trips anywhere from 10 to 200 ms (105 on average), unrelated to the concurrency: jitter, not queueing.
  std::mt19937 rng(42);
  std::uniform_int_distribution<int64_t> jitter(10'000, 200'000);
  ConcurrencyLimit limit;
  int64_t now = 0;
  RunBusy(limit, now, 10 * kSecondUs, true, [&](int) { return jitter(rng); });
  const int64_t per_minute = RunBusy(limit, now, 60 * kSecondUs, true, [&](int) { return jitter(rng); });
  EXPECT_GE(per_minute / 60, 24 * 1000 / 105);  // 24 or more in flight on average, probes included
}

TEST(ConcurrencyLimit, AFastEndpointWhoseRoundTripIsOurQueueingKeepsAFewConnections) {
  // The endpoint answers in 300 µs, but the path handles 3,000 requests/s: more in flight only wait longer.
  const auto round_trip = [](int l) { return std::max<int64_t>(300, l * kSecondUs / 3000); };
  ConcurrencyLimit limit;
  int64_t now = 0;
  RunBusy(limit, now, 10 * kSecondUs, true, round_trip);
  for (int i = 0; i < 20; ++i) {
    RunBusy(limit, now, kSecondUs, true, round_trip);
    EXPECT_GE(limit.limit(), 2);
    EXPECT_LE(limit.limit(), 8);
  }
  // From the cap down: the probes find the lower round trip of a lower concurrency, epoch after epoch.
  ConcurrencyLimitSettings from_the_cap;
  from_the_cap.initial_limit = 32;
  ConcurrencyLimit high(from_the_cap);
  now = 0;
  RunBusy(high, now, 40 * kSecondUs, true, round_trip);
  EXPECT_LE(high.limit(), 8);
}

TEST(ConcurrencyLimit, GrowsOnlyWhenWorkWaitedForIt) {
  ConcurrencyLimit limit;
  int64_t now = 0;
  RunBusy(limit, now, 20 * kSecondUs, false, [](int) { return 200'000; });
  EXPECT_EQ(limit.limit(), 8);
}

TEST(ConcurrencyLimit, AnEndpointThatSlowsDownGetsItsConcurrencyBackWithinSeconds) {
  ConcurrencyLimit limit;
  int64_t now = 0;
  RunBusy(limit, now, 5 * kSecondUs, true, [](int l) { return std::max<int64_t>(300, l * kSecondUs / 3000); });
  // Now every answer takes 100 ms: at first that looks like queueing, until the old best round trip is forgotten.
  RunBusy(limit, now, 20 * kSecondUs, true, [](int) { return 100'000; });
  EXPECT_EQ(limit.limit(), 32);
}

TEST(ConcurrencyLimit, StaysWithinItsBounds) {
  ConcurrencyLimitSettings settings;
  settings.min_limit = 3;
  settings.max_limit = 5;
  settings.initial_limit = 100;
  ConcurrencyLimit limit(settings);
  EXPECT_EQ(limit.limit(), 5);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> any(1, 1'000'000);
  int lowest = 5;
  int highest = 3;
  int64_t now = 0;
  for (int i = 0; i < 200; ++i) {
    RunBusy(limit, now, kSecondUs / 10, i % 2 == 0, [&](int) { return any(rng); });
    lowest = std::min(lowest, limit.limit());
    highest = std::max(highest, limit.limit());
  }
  EXPECT_EQ(lowest, 3);
  EXPECT_EQ(highest, 5);
}

}  // namespace
}  // namespace hookd
