// A profiling aid: nanoseconds to write a typical event body (about 250 bytes, every kind of value) as JSON, with
// hookd's SerializeJson (shortest round-trip numbers) and with Boost.JSON's serializer (exponent-form doubles),
// best of five rounds of a million each. The body is what API ingest stores and every delivery carries.
//   build/hookd-json-serialize
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "common/json.h"

namespace {

template <class Serialize>
double BestNanosecondsPerCall(Serialize serialize) {
  constexpr int kCalls = 1'000'000;
  double best = 1e18;
  size_t sink = 0;
  for (int round = 0; round < 5; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) sink += serialize().size();
    best = std::min(
        best, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / kCalls);
  }
  return sink ? best : 0;
}

}  // namespace

int main() {
  const hookd::json::value body = hookd::json::parse(
      R"({"task":{"id":"tsk_77e1","title":"Write the launch post","project_id":"prj_1f","status":"open",)"
      R"("assignee_id":"usr_7d2c","points":3,"ratio":0.75,"tags":["launch","blog","q1"],"done":true,"due":null},)"
      R"("completed_by":"usr_7d2c","n":1})");
  std::printf("SerializeJson       %6.0f ns\n", BestNanosecondsPerCall([&] { return hookd::SerializeJson(body); }));
  std::printf("boost::json::serialize %3.0f ns\n",
              BestNanosecondsPerCall([&] { return hookd::json::serialize(body); }));
  return 0;
}
