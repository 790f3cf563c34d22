// Operational notices on every backend (store/operational_notices.h): a circuit's opening and closing, a webhook
// disabled, a recovery and a dead delivery each store one event with a delivery to every operational webhook that hears
// it — the account's own and the admin's, never another account's — in the change's transaction, and hand those
// deliveries over once durable; endpoint.failing waits out its window; an operational webhook's own deliveries make
// no notices; and its secret is one the master key's rotation re-seals.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <mutex>

#include "store_conformance.h"

namespace hookd {
namespace {

class Notices {
 public:
  explicit Notices(Store& store) : store_(store) {
    store.OnNewDeliveries([this](std::vector<Delivery> found) {
      std::lock_guard<std::mutex> lock(mu_);
      for (Delivery& d : found) got_.push_back(std::move(d));
    });
  }
  ~Notices() { store_.OnNewDeliveries(nullptr); }
  // The deliveries handed over since the last call, as (type, operational webhook) pairs.
  std::vector<std::pair<std::string, std::string>> Take() {
    store_.Flush();
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<std::string, std::string>> out;
    for (const Delivery& d : got_) out.emplace_back(d.event_type, d.webhook_id);
    all_.insert(all_.end(), got_.begin(), got_.end());
    got_.clear();
    std::sort(out.begin(), out.end());
    return out;
  }
  const std::vector<Delivery>& all() const { return all_; }

 private:
  Store& store_;
  std::mutex mu_;
  std::vector<Delivery> got_;
  std::vector<Delivery> all_;
};

OperationalWebhook Endpoint(const std::string& account_id, std::vector<std::string> events) {
  OperationalWebhook w;
  w.id = NewId("ow_");
  w.account_id = account_id;
  w.url = "https://platform.example/ops";
  w.events = std::move(events);
  w.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  w.created_at_ms = w.updated_at_ms = 1;
  return w;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs Sorted(Pairs p) {
  std::sort(p.begin(), p.end());
  return p;
}

TEST_P(StoreConformance, ChangesToAnEndpointNotifyTheOperationalWebhooksThatHearThem) {
  const OperationalWebhook admins = Endpoint("", {"*"});
  const OperationalWebhook mine = Endpoint(account_, {"endpoint.failing", "delivery.dead"});
  const OperationalWebhook theirs = Endpoint(NewAccount("other"), {"*"});
  for (const OperationalWebhook& w : {admins, mine, theirs})
    ASSERT_TRUE(store_->CreateOperationalWebhook(w).has_value());
  EXPECT_EQ(store_->ListOperationalWebhooks(std::string())->size(), 1u);
  EXPECT_EQ(store_->ListOperationalWebhooks(std::nullopt)->size(), 3u);
  EXPECT_EQ(store_->GetWebhookById(mine.id)->secret, mine.secret);
  Notices notices(*store_);
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());

  store_->UpdateWebhookHealthAsync({w->id, WebhookStatus::kFailing, CircuitState::kOpen});
  EXPECT_EQ(notices.Take(), Sorted(Pairs{{"endpoint.circuit_opened", admins.id},
                                         {"endpoint.failing", admins.id},
                                         {"endpoint.failing", mine.id}}));
  store_->UpdateWebhookHealthAsync({w->id, WebhookStatus::kHealthy, CircuitState::kClosed});
  EXPECT_EQ(notices.Take(), Sorted(Pairs{{"endpoint.circuit_closed", admins.id}, {"endpoint.recovered", admins.id}}));
  store_->UpdateWebhookHealthAsync({w->id, WebhookStatus::kFailing, CircuitState::kOpen});  // within the hour
  store_->UpdateWebhookHealthAsync({w->id, WebhookStatus::kHealthy, CircuitState::kClosed});
  EXPECT_EQ(notices.Take(), Sorted(Pairs{{"endpoint.circuit_closed", admins.id},  // but never failing or recovered
                                         {"endpoint.circuit_opened", admins.id}}));

  auto accepted = Accept({Event(account_), Event(account_)});
  ASSERT_TRUE(accepted.has_value());
  ASSERT_TRUE(RecordGone((*accepted)[0].deliveries.at(0)).has_value());
  EXPECT_EQ(notices.Take(),
            Sorted(Pairs{{"delivery.dead", admins.id}, {"delivery.dead", mine.id}, {"endpoint.disabled", admins.id}}));
  auto event = store_->GetEventById(notices.all().back().event_id);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->account_id, account_);
  const json::object data = json::parse(event->data_json).as_object();
  EXPECT_EQ(data.at("webhook_id").as_string(), w->id);
  EXPECT_EQ(data.at("last_response_status").as_int64(), 410);
  EXPECT_EQ(data.at("host").as_string(), "hooks.example");

  // Re-enabled, its first success is a recovery; a later one is not.
  Webhook enabled = *store_->GetWebhookById(w->id);
  enabled.active = true;
  enabled.status = WebhookStatus::kHealthy;
  ASSERT_TRUE(store_->UpdateWebhook(enabled, true, Actor{}).has_value());
  for (int i = 0; i < 2; ++i) {
    AttemptRecord ok;
    ok.attempt = Attempt{NewId("att_"),
                         (*accepted)[1].deliveries.at(0).id,
                         i + 1,
                         NowMs(),
                         200,
                         3,
                         "",
                         "{}",
                         "{}",
                         false,
                         "{}",
                         "",
                         false,
                         true};
    ok.new_status = DeliveryStatus::kSucceeded;
    ok.may_recover = true;
    std::promise<Status> recorded;
    store_->RecordAttemptsAsync({ok}, [&](Status st, auto) { recorded.set_value(std::move(st)); });
    ASSERT_TRUE(recorded.get_future().get().has_value());
  }
  EXPECT_EQ(notices.Take(), Sorted(Pairs{{"endpoint.recovered", admins.id}}));

  // The deliveries of notices are the operational webhooks' owners', and their own ends make no notices.
  for (const Delivery& d : notices.all()) {
    EXPECT_EQ(d.account_id, d.webhook_id == admins.id ? "" : account_) << d.webhook_id;
    ASSERT_TRUE(Record(d, DeliveryStatus::kDead).has_value());
  }
  EXPECT_EQ(notices.Take(), Pairs{});
  DeliveryFilter of_admins;
  of_admins.webhook_id = admins.id;
  EXPECT_EQ(store_->ListDeliveries("", of_admins, PageRequest{})->data.size(), 9u);

  // The master key's rotation finds its secret.
  auto sealed = store_->ListSealedSecrets("", 100);
  ASSERT_TRUE(sealed.has_value());
  EXPECT_EQ(std::ranges::count(*sealed, admins.id, &SealedSecrets::webhook_id), 1);
  ASSERT_TRUE(store_->DeleteOperationalWebhook(admins.id).has_value());
  EXPECT_EQ(store_->GetOperationalWebhook(admins.id).error().kind, ErrorKind::kNotFound);
}

}  // namespace
}  // namespace hookd
