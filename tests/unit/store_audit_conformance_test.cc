// The audit trail on every backend (store/audit_chain.h): a webhook's changes write their records in the change's
// transaction, with the fields before and after and its secrets redacted; each account's chain links every record
// to the one before, also when many threads (on PostgreSQL, many connections) append to one chain at once; and the
// verifier passes an untouched chain.
#include <gtest/gtest.h>

#include <algorithm>
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
