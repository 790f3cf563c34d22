// The rollup's arithmetic: a state counts +1 in its status and its attempts (and its latency once succeeded);
// a change adds the new state and takes away the old.
#include "domain/stats_rollup.h"

#include <algorithm>
#include <iterator>

namespace hookd {
namespace {

void Count(StatsCounts& c, const DeliveryStatsState& s, int64_t sign) {
  switch (s.status) {
    case DeliveryStatus::kSucceeded:
      c.succeeded += sign;
      if (s.latency_ms) c.latency.Add(*s.latency_ms, sign);
      break;
    case DeliveryStatus::kFailed:
      c.failed += sign;
      break;
    case DeliveryStatus::kDead:
      c.dead += sign;
      break;
    case DeliveryStatus::kPending:
    case DeliveryStatus::kDelivering:
      c.pending += sign;
      break;
  }
  c.attempts += sign * s.attempt_count;
}

int64_t Floor(int64_t t, int64_t width) {
  return t >= 0 ? t / width * width : (t - width + 1) / width * width;
}

}  // namespace

void StatsCounts::Merge(const StatsCounts& other) {
  pending += other.pending;
  failed += other.failed;
  succeeded += other.succeeded;
  dead += other.dead;
  attempts += other.attempts;
  latency.Merge(other.latency);
}

bool StatsCounts::Zero() const {
  return pending == 0 && failed == 0 && succeeded == 0 && dead == 0 && attempts == 0 && latency.Empty();
}

DeliveryStatsKey StatsKeyOf(const Delivery& d) {
  return {d.account_id, d.webhook_id, d.event_type, d.created_at_ms};
}

DeliveryStatsState StatsStateOf(const Delivery& d) {
  return {d.status, d.attempt_count, d.latency_ms};
}

DeliveryStatsState ReopenedStatsState(const DeliveryStatsState& s) {
  return {DeliveryStatus::kPending, s.attempt_count, std::nullopt};
}

DeliveryStatsState EndedForDeletedWebhookStatsState(const DeliveryStatsState& s) {
  return {DeliveryStatus::kDead, s.attempt_count, s.latency_ms};
}

void StatsDelta::Change(const DeliveryStatsKey& key, const std::optional<DeliveryStatsState>& from,
                        const std::optional<DeliveryStatsState>& to) {
  StatsCounts& c = minutes_[Key{std::string(key.account_id), Floor(key.created_at_ms, kStatsMinuteMs),
                                std::string(key.webhook_id), std::string(key.event_type)}];
  if (from) Count(c, *from, -1);
  if (to) Count(c, *to, +1);
}

void StatsDelta::Merge(const StatsDelta& other) {
  for (const auto& [key, counts] : other.minutes_) minutes_[key].Merge(counts);
}

std::vector<StatsCell> StatsDelta::Cells() const {
  std::vector<StatsCell> minutes, hours;
  std::map<Key, StatsCounts> by_hour;
  for (const auto& [key, counts] : minutes_) {
    if (counts.Zero()) continue;
    const auto& [account, minute, webhook, type] = key;
    minutes.push_back(StatsCell{account, kStatsMinuteMs, minute, webhook, type, counts});
    by_hour[Key{account, Floor(minute, kStatsHourMs), webhook, type}].Merge(counts);
  }
  for (auto& [key, counts] : by_hour) {
    const auto& [account, hour, webhook, type] = key;
    hours.push_back(StatsCell{account, kStatsHourMs, hour, webhook, type, std::move(counts)});
  }
  std::vector<StatsCell> out = std::move(minutes);
  out.insert(out.end(), std::make_move_iterator(hours.begin()), std::make_move_iterator(hours.end()));
  std::ranges::sort(out, {}, [](const StatsCell& c) {
    return std::tie(c.account_id, c.width_ms, c.start_ms, c.webhook_id, c.event_type);
  });
  return out;
}

}  // namespace hookd
