// Fuzzes `hookd serve`'s configuration: the input, split at NUL bytes, is the argument list, and odd parts are also
// offered as environment values. Every value parser (durations, schedules, rates, time bounds, booleans, ports)
// runs on every part. Properties: parsing never throws; a parsed configuration's durations are positive and its
// retry schedule has at most 50 delays.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/time_util.h"
#include "delivery/http_client.h"
#include "fuzz_checks.h"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args;
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(std::move(current));
      current.clear();
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  args.push_back(std::move(current));

  std::map<std::string, std::string> env;
  for (size_t i = 1; i < args.size(); i += 2) {
    if (args[i - 1].starts_with("HOOKD_")) env[args[i - 1]] = args[i];
  }
  const EnvLookup lookup = [&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  if (auto config = ParseConfig(args, lookup)) {
    fuzz::Check(config->attempt_timeout_ms > 0 && config->circuit_cooldown_ms > 0 && config->retention_ms >= 1000,
                "a parsed duration is not positive");
    fuzz::Check(config->retry_schedule_ms.size() <= 50, "a retry schedule of more than 50 delays");
    for (int64_t delay : config->retry_schedule_ms) fuzz::Check(delay >= 0, "a negative retry delay");
  }
  for (const std::string& part : args) {
    if (auto ms = ParseDurationMs(part)) fuzz::Check(*ms >= 0, "a negative duration", part);
    (void)ParseRetrySchedule(part);
    (void)ParseTimeBound(part, 1'700'000'000'000);
    (void)ParseRfc3339(part);
    (void)ParseRetryAfterMs(part, 1'700'000'000'000);
  }
  return 0;
}
