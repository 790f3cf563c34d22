// An EngineStore in memory: webhooks, events and deliveries a test puts in, the records the engine writes, and
// the state they lead to. Records are applied, and their callbacks run, at once on the caller's thread — or, while
// held, only when the test releases them (a store slow to make outcomes durable). Not thread-safe: for tests that
// run the engine on their own thread.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/engine_store.h"

namespace hookd::testing {

class InMemoryEngineStore final : public EngineStore {
 public:
  void PutWebhook(const Webhook& webhook) { webhooks_[webhook.id] = webhook; }
  void RemoveWebhook(const std::string& id) { webhooks_.erase(id); }
  [[nodiscard]] const Webhook& webhook(const std::string& id) const { return webhooks_.at(id); }
  void PutEvent(const Event& event) { events_[event.id] = event; }
  void PutDelivery(const Delivery& delivery) { deliveries_[delivery.id] = delivery; }
  [[nodiscard]] DeliveryStatus StatusOf(const std::string& delivery_id) const {
    return deliveries_.at(delivery_id).status;
  }
  [[nodiscard]] const std::vector<AttemptRecord>& records() const { return records_; }
  [[nodiscard]] int event_reads() const { return event_reads_; }

  // While held, records wait (unapplied, their callbacks not run) until ReleaseRecords or Flush.
  void HoldRecords(bool hold) { hold_ = hold; }
  void ReleaseRecords() {
    auto held = std::exchange(held_, {});
    for (auto& [records, done] : held) Apply(std::move(records), done);
  }

  Result<Webhook> GetWebhookById(const std::string& id) override {
    auto it = webhooks_.find(id);
    if (it == webhooks_.end()) return Fail(Error::NotFound("webhook not found"));
    return it->second;
  }
  Result<std::vector<Event>> GetEventsByIds(const std::vector<std::string>& ids) override {
    ++event_reads_;
    std::vector<Event> found;
    for (const std::string& id : ids) {
      if (auto it = events_.find(id); it != events_.end()) found.push_back(it->second);
    }
    return found;
  }
  void RecordAttemptsAsync(std::vector<AttemptRecord> records, RecordedCallback done) override {
    if (hold_) {
      held_.emplace_back(std::move(records), std::move(done));
      return;
    }
    Apply(std::move(records), done);
  }
  void UpdateWebhookHealthAsync(HealthRecord health) override {
    auto it = webhooks_.find(health.webhook_id);
    if (it == webhooks_.end()) return;
    it->second.circuit = health.circuit;
    if (it->second.status != WebhookStatus::kDisabled) it->second.status = health.status;
  }
  void Flush() override { ReleaseRecords(); }

 private:
  void Apply(std::vector<AttemptRecord> records, const RecordedCallback& done) {
    for (AttemptRecord& r : records) {
      auto d = deliveries_.find(r.attempt.delivery_id);
      if (d == deliveries_.end()) continue;  // deleted with its webhook meanwhile
      d->second.status = r.new_status;
      d->second.attempt_count = r.attempt.number;
      if (r.disable_webhook) {
        if (auto w = webhooks_.find(d->second.webhook_id); w != webhooks_.end()) {
          w->second.active = false;
          w->second.status = WebhookStatus::kDisabled;
          w->second.disabled_reason = r.disabled_reason;
        }
      }
      records_.push_back(std::move(r));
    }
    if (done) done(Ok(), {});
  }

  std::map<std::string, Webhook> webhooks_;
  std::map<std::string, Event> events_;
  std::map<std::string, Delivery> deliveries_;
  std::vector<AttemptRecord> records_;
  std::vector<std::pair<std::vector<AttemptRecord>, RecordedCallback>> held_;
  bool hold_ = false;
  int event_reads_ = 0;
};

}  // namespace hookd::testing
