// A DeliveryWork that records what it is handed (work, leases, reads) and answers the keeper's questions as the
// test sets them. Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "delivery/delivery_work.h"

namespace hookd::testing {

class RecordingDeliveryWork final : public DeliveryWork {
 public:
  void Enqueue(const std::vector<AcceptedEvent>& accepted) override {
    for (const AcceptedEvent& a : accepted) {
      for (const Delivery& d : a.deliveries) enqueued.push_back(d.id);
    }
  }
  void EnqueueDeliveries(const std::vector<Delivery>& deliveries) override {
    for (const Delivery& d : deliveries) enqueued.push_back(d.id);
  }
  void OnWebhookChanged(const std::string& webhook_id) override { changed_webhooks.push_back(webhook_id); }
  void OnAllWebhooksChanged() override { ++all_webhooks_changed; }
  uint64_t BeginRead() override { return ++open_reads; }
  void EnqueueRead(uint64_t, std::vector<DueDelivery> deliveries) override {
    for (const DueDelivery& d : deliveries) read.push_back(d.delivery_id);
  }
  void EndRead(uint64_t) override { ++closed_reads; }
  void SetLeases(std::vector<ShardLease> held) override {
    leases = std::move(held);
    ++lease_updates;
  }
  int InFlightOn(const std::vector<int>& shards) const override {
    int n = 0;
    for (int shard : shards) {
      if (auto it = in_flight_by_shard.find(shard); it != in_flight_by_shard.end()) n += it->second;
    }
    return n;
  }
  std::vector<std::string> InFlightDeliveryIds() const override { return in_flight_ids; }

  // The shards of the leases last set, ascending.
  [[nodiscard]] std::vector<int> HeldShards() const {
    std::vector<int> shards;
    for (const ShardLease& lease : leases) shards.push_back(lease.shard);
    return shards;
  }

  std::vector<std::string> enqueued;
  std::vector<std::string> changed_webhooks;
  int all_webhooks_changed = 0;
  std::vector<std::string> read;  // delivery ids handed over by reads
  uint64_t open_reads = 0;
  uint64_t closed_reads = 0;
  std::vector<ShardLease> leases;
  int lease_updates = 0;
  std::map<int, int> in_flight_by_shard;  // what InFlightOn answers
  std::vector<std::string> in_flight_ids;
};

}  // namespace hookd::testing
