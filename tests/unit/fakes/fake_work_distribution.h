// A WorkDistribution whose rounds the test scripts, and which records what the keeper does with it: scans, releases,
// publications. Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "store/work_distribution.h"

namespace hookd::testing {

class FakeWorkDistribution final : public WorkDistribution {
 public:
  // The next round's answer (the same until changed).
  Result<LeaseRound> next_round = LeaseRound{};
  bool may_lose_announcements = true;
  std::map<int, std::vector<DueDelivery>> unfinished;  // by shard, what ScanShards visits
  Result<std::vector<std::string>> in_flight_everywhere = std::vector<std::string>{};
  int in_flight_reads = 0;

  std::vector<std::vector<int>> scans;  // the shards of each ScanShards call
  std::vector<std::vector<int>> releases;
  int release_all = 0;
  std::vector<std::vector<std::string>> published;

  Result<LeaseRound> Round() override { return next_round; }
  Status Release(const std::vector<int>& shards) override {
    releases.push_back(shards);
    return Ok();
  }
  Status ReleaseAll() override {
    ++release_all;
    return Ok();
  }
  Status PublishInFlight(const std::vector<std::string>& delivery_ids) override {
    published.push_back(delivery_ids);
    return Ok();
  }
  bool MayLoseAnnouncements() const override { return may_lose_announcements; }
  Result<std::vector<std::string>> InFlightEverywhere() override {
    ++in_flight_reads;
    return in_flight_everywhere;
  }
  Status ScanShards(const std::vector<int>& shards, const std::function<bool(const DueDelivery&)>& visit) override {
    scans.push_back(shards);
    for (int shard : shards) {
      for (const DueDelivery& d : unfinished[shard]) {
        if (!visit(d)) return Ok();
      }
    }
    return Ok();
  }
  Result<Notices> WaitForNotices(int) override { return Notices{}; }
  Result<std::vector<DueDelivery>> ReadAnnounced(const std::vector<std::string>&) override {
    return std::vector<DueDelivery>{};
  }
};

}  // namespace hookd::testing
