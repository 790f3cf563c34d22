// The audit trail on every backend (store/audit_chain.h): a webhook's changes write their records in the change's
// transaction, with the fields before and after and its secrets redacted; each account's chain links every record
// to the one before, also when many threads (on PostgreSQL, many connections) append to one chain at once; and the
// verifier passes an untouched chain. Manual recovery records who retried what (a bulk operation once, with its
// first page), and the engine's own changes (a webhook disabled, its circuit opened and closed) are `system`'s.
// Retention cuts a chain from its start only, and the rest still verifies.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <thread>

#include "store_conformance.h"

namespace hookd {
namespace {

Actor KeyActor(int64_t at_ms) {
  return Actor{ActorType::kApiKey, "key_test", at_ms, "192.0.2.1", "req-1"};
}

std::vector<AuditRecord> Records(Store& store, const std::string& account_id, const std::string& target_id = "") {
  AuditFilter filter;
  filter.account_id = account_id;
  filter.target_id = target_id;
  auto page = store.ListAuditRecords(filter, PageRequest{1000, ""});
  EXPECT_TRUE(page.has_value());
  return page ? page->data : std::vector<AuditRecord>{};
}

TEST_P(StoreConformance, AWebhooksChangesWriteTheirAuditRecordsInTheirChain) {
  Webhook w = UnsavedWebhook(account_);
  w.name = "Sample";
  ASSERT_TRUE(store_->CreateWebhook(w, 100, KeyActor(NowMs())).has_value());
  Webhook renamed = w;
  renamed.name = "renamed";
  renamed.active = false;  // not written without sets_activity, so not in the record
  ASSERT_TRUE(store_->UpdateWebhook(renamed, false, KeyActor(NowMs())).has_value());
  ASSERT_TRUE(store_->UpdateWebhook(renamed, false, KeyActor(NowMs())).has_value());  // no change, no record
  ASSERT_TRUE(store_->UpdateWebhook(renamed, true, KeyActor(NowMs())).has_value());
  ASSERT_TRUE(store_->DeleteWebhook(account_, w.id, KeyActor(NowMs())).has_value());
  EXPECT_EQ(store_->DeleteWebhook(account_, w.id, KeyActor(NowMs())).error().kind, ErrorKind::kNotFound);

  std::vector<AuditRecord> records = Records(*store_, account_, w.id);  // newest first
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[3].action, "webhook.created");
  EXPECT_EQ(records[2].action, "webhook.updated");
  EXPECT_EQ(SerializeJson(records[2].changes), R"({"name":{"before":"Sample","after":"renamed"}})");
  EXPECT_EQ(records[1].action, "webhook.disabled");
  EXPECT_EQ(records[0].action, "webhook.deleted");
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq, static_cast<int64_t>(records.size() - i) + 1);  // after the account's own record
    EXPECT_EQ(records[i].actor.id, "key_test");
    EXPECT_EQ(records[i].actor.ip, "192.0.2.1");
    EXPECT_EQ(records[i].target_id, w.id);
    EXPECT_EQ(records[i].hash, AuditRecordHash(records[i]));
    EXPECT_EQ(SerializeJson(records[i].changes).find(kSecret), std::string::npos);
    if (i + 1 < records.size()) {
      EXPECT_EQ(records[i].prev_hash, records[i + 1].hash);
    }
  }
  const std::vector<AuditRecord> chain = Records(*store_, account_);
  ASSERT_EQ(chain.size(), 5u);
  EXPECT_EQ(chain.back().action, "account.created");
  EXPECT_EQ(chain.back().prev_hash, kChainStart);
  EXPECT_EQ(records[3].prev_hash, chain.back().hash);

  AuditChainVerifier verifier;
  ASSERT_TRUE(store_->VerifyAuditChains(verifier).has_value());
  EXPECT_FALSE(verifier.failure().has_value()) << *verifier.failure();
  EXPECT_EQ(verifier.records(), 5);
}

std::vector<std::string> Actions(const std::vector<AuditRecord>& records) {
  std::vector<std::string> actions;
  for (const AuditRecord& r : records) actions.push_back(r.action);
  return actions;
}

TEST_P(StoreConformance, RecoveryAndTheEnginesOwnChangesWriteTheirRecords) {
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());
  auto accepted = Accept({Event(account_), Event(account_), Event(account_)});
  ASSERT_TRUE(accepted.has_value());
  std::vector<Delivery> deliveries;
  for (const AcceptedEvent& a : *accepted) deliveries.push_back(a.deliveries.at(0));
  ASSERT_TRUE(Record(deliveries[0], DeliveryStatus::kDead).has_value());
  ASSERT_TRUE(Record(deliveries[1], DeliveryStatus::kDead).has_value());

  // The engine opens the circuit, then disables the webhook; half-open is no change of its own.
  store_->UpdateWebhookHealthAsync({w->id, WebhookStatus::kFailing, CircuitState::kOpen});
  store_->UpdateWebhookHealthAsync({w->id, WebhookStatus::kFailing, CircuitState::kHalfOpen});
  store_->Flush();
  ASSERT_TRUE(RecordGone(deliveries[2]).has_value());
  store_->UpdateWebhookHealthAsync({w->id, WebhookStatus::kHealthy, CircuitState::kClosed});
  store_->Flush();

  // By hand: one delivery, then the rest in pages of one, with one record.
  ASSERT_TRUE(store_->ReopenDelivery(account_, deliveries[0].id, KeyActor(NowMs())).has_value());
  const AuditRecord bulk = CreatedRecord(KeyActor(NowMs()), account_, "webhook.deliveries_retried", "webhook", w->id,
                                         {{"since", nullptr}, {"until", nullptr}});
  std::string after;
  int reopened = 0;
  do {
    auto chunk = store_->ReopenDeliveries(w->id, {DeliveryStatus::kDead}, 0, NowMs() + 1000, after, 1,
                                          after.empty() ? &bulk : nullptr);
    ASSERT_TRUE(chunk.has_value());
    reopened += static_cast<int>(chunk->deliveries.size());
    after = chunk->next_after;
  } while (!after.empty());
  EXPECT_EQ(reopened, 2);

  std::vector<AuditRecord> records = Records(*store_, account_, w->id);
  std::reverse(records.begin(), records.end());  // oldest first
  EXPECT_EQ(Actions(records),
            (std::vector<std::string>{"webhook.created", "webhook.circuit_opened", "webhook.auto_disabled",
                                      "webhook.circuit_closed", "webhook.deliveries_retried"}));
  for (const AuditRecord& r : records) {  // the webhook was created by Actor{}, which is hookd too
    const bool by_key = r.action == "webhook.deliveries_retried";
    EXPECT_EQ(r.actor.type, by_key ? ActorType::kApiKey : ActorType::kSystem) << r.action;
    EXPECT_EQ(r.actor.ip, by_key ? "192.0.2.1" : "") << r.action;
  }
  EXPECT_EQ(SerializeJson(records[1].changes), R"({"circuit":{"before":"closed","after":"open"}})");
  EXPECT_EQ(SerializeJson(records[2].changes.at("disabled_reason")),
            R"({"before":null,"after":"the endpoint answered 410 Gone"})");
  EXPECT_EQ(SerializeJson(records[3].changes), R"({"circuit":{"before":"half_open","after":"closed"}})");
  EXPECT_EQ(SerializeJson(records[4].changes),
            R"({"since":{"before":null,"after":null},"until":{"before":null,"after":null}})");
  const std::vector<AuditRecord> retried = Records(*store_, account_, deliveries[0].id);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].action, "delivery.retried");
  EXPECT_EQ(retried[0].actor.id, "key_test");
  EXPECT_EQ(SerializeJson(retried[0].changes), R"({"status":{"before":"dead","after":"pending"}})");

  AuditChainVerifier verifier;
  ASSERT_TRUE(store_->VerifyAuditChains(verifier).has_value());
  EXPECT_FALSE(verifier.failure().has_value()) << *verifier.failure();
}

TEST_P(StoreConformance, AuditRetentionCutsEachChainFromItsStartAndTheRestStillVerifies) {
  const int64_t day = 86'400'000;
  const int64_t old = NowMs() - 500 * day;
  auto append = [&](int64_t at_ms, const std::string& target) {
    ASSERT_TRUE(
        store_->RecordAudit(MakeAuditRecord(KeyActor(at_ms), account_, "webhook.secret_revealed", "webhook", target))
            .has_value());
  };
  append(old, "wh_a");
  append(old + 1, "wh_b");
  append(NowMs(), "wh_c");
  append(old + 2, "wh_d");  // old, but after a newer one: the chain is only ever cut from its start
  // The account's own record (by Actor{}, at time 0), wh_a and wh_b go; wh_d stays behind wh_c.
  EXPECT_EQ(*store_->PurgeAuditOlderThan(NowMs() - 400 * day, 100), 3);
  EXPECT_EQ(*store_->PurgeAuditOlderThan(NowMs() - 400 * day, 100), 0);
  std::vector<AuditRecord> left = Records(*store_, account_);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[1].target_id, "wh_c");
  EXPECT_EQ(left[0].target_id, "wh_d");
  AuditChainVerifier cut;
  ASSERT_TRUE(store_->VerifyAuditChains(cut).has_value());
  EXPECT_FALSE(cut.failure().has_value()) << *cut.failure();
  EXPECT_EQ(cut.records(), 2);

  const std::string other = NewAccount("other");
  AuditFilter of_other;
  of_other.account_id = other;
  auto first = store_->ListAuditRecords(of_other, PageRequest{});
  ASSERT_EQ(first->data.size(), 1u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_
                    ->RecordAudit(MakeAuditRecord(KeyActor(NowMs()), other, "webhook.secret_revealed", "webhook",
                                                  "wh_" + std::to_string(i)))
                    .has_value());
  }
  // Everything of `other` is recent: a cutoff in the future takes its chain whole, in batches.
  int64_t purged = 0;
  for (int64_t n; (n = *store_->PurgeAuditOlderThan(NowMs() + 1000, 2)) > 0;) purged += n;
  EXPECT_GE(purged, 4);
  EXPECT_TRUE(store_->ListAuditRecords(of_other, PageRequest{})->data.empty());
  ASSERT_TRUE(store_
                  ->RecordAudit(
                      MakeAuditRecord(KeyActor(NowMs() + 2000), other, "webhook.secret_revealed", "webhook", "wh_next"))
                  .has_value());
  auto next = store_->ListAuditRecords(of_other, PageRequest{});
  ASSERT_EQ(next->data.size(), 1u);
  EXPECT_EQ(next->data[0].seq, 5);  // the chain goes on where it was
  AuditChainVerifier verifier;
  ASSERT_TRUE(store_->VerifyAuditChains(verifier).has_value());
  EXPECT_FALSE(verifier.failure().has_value()) << *verifier.failure();
}

TEST_P(StoreConformance, AppendsRacingOnOneChainStayOneLine) {
  const std::string other = NewAccount("other");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string& account = (i % 2 == 0) ? account_ : other;
        AuditRecord r = MakeAuditRecord(KeyActor(NowMs()), account, "webhook.secret_revealed", "webhook",
                                        "wh_" + std::to_string(t) + "_" + std::to_string(i));
        EXPECT_TRUE(store_->RecordAudit(r).has_value());
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& account : {account_, other}) {
    std::vector<AuditRecord> records = Records(*store_, account);
    ASSERT_EQ(records.size(), 21u);  // the account's own record, then the twenty
    std::sort(records.begin(), records.end(), [](auto& a, auto& b) { return a.seq < b.seq; });
    std::string prev(kChainStart);
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(records[i].seq, static_cast<int64_t>(i + 1));
      EXPECT_EQ(records[i].prev_hash, prev);
      prev = records[i].hash;
    }
  }
  AuditChainVerifier verifier;
  ASSERT_TRUE(store_->VerifyAuditChains(verifier).has_value());
  EXPECT_FALSE(verifier.failure().has_value()) << *verifier.failure();
  EXPECT_EQ(verifier.records(), 42);
}

}  // namespace
}  // namespace hookd
