// The audit chain's rules (store/audit_chain.h, domain/audit.h) without a store: sealing links each record to the
// one before; the verifier names a changed record, the record after a deleted one, and a chain cut short; a
// webhook's change is named by what changed, secrets redacted.
#include "store/audit_chain.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

std::vector<AuditRecord> Chain(int n, AuditHead& head) {
  std::vector<AuditRecord> records;
  for (int i = 0; i < n; ++i) {
    AuditRecord r = MakeAuditRecord(Actor::System(1'000 + i), "acc_1", "webhook.updated", "webhook", "wh_1");
    r.changes = json::object{{"name", json::object{{"before", i}, {"after", i + 1}}}};
    SealAuditRecord(r, head);
    records.push_back(r);
  }
  return records;
}

std::optional<std::string> Verify(const AuditHead& head, const std::vector<AuditRecord>& records) {
  AuditChainVerifier verifier;
  verifier.Begin(head);
  for (const AuditRecord& r : records) verifier.Add(r);
  verifier.End();
  return verifier.failure();
}

TEST(AuditChain, SealedRecordsLinkAndVerify) {
  AuditHead head{"acc_1"};
  auto records = Chain(3, head);
  EXPECT_EQ(records[0].prev_hash, kChainStart);
  EXPECT_EQ(records[1].prev_hash, records[0].hash);
  EXPECT_EQ(head.seq, 3);
  EXPECT_EQ(head.hash, records[2].hash);
  EXPECT_FALSE(Verify(head, records).has_value());
}

TEST(AuditChain, TheVerifierNamesAChangedRecordTheOneAfterADeletedOneAndACutChain) {
  AuditHead head{"acc_1"};
  auto records = Chain(4, head);
  auto changed = records;
  changed[1].changes["name"].as_object()["after"] = 99;
  EXPECT_NE(Verify(head, changed).value_or("").find(records[1].id + ": its content"), std::string::npos);
  auto deleted = records;
  deleted.erase(deleted.begin() + 1);
  EXPECT_NE(Verify(head, deleted).value_or("").find(records[2].id + ": records 2 to 2"), std::string::npos);
  auto cut = records;
  cut.pop_back();
  EXPECT_NE(Verify(head, cut).value_or("").find("ends at " + records[2].id), std::string::npos);
  auto relinked = records;
  relinked[2].prev_hash = records[0].hash;  // a record spliced out and the next re-pointed, without re-hashing
  EXPECT_TRUE(Verify(head, relinked).has_value());
}

TEST(AuditRecords, AWebhooksChangeIsNamedByWhatChangedWithSecretsRedacted) {
  Webhook before;
  before.id = "wh_1";
  before.account_id = "acc_1";
  before.secret = "whsec_one";
  before.headers = {{"X-Token", "t1"}};
  Webhook after = before;
  after.active = false;
  EXPECT_EQ(WebhookChangeRecord(Actor{}, before, after)->action, "webhook.disabled");
  after = before;
  after.secret = "whsec_two";
  auto rotated = WebhookChangeRecord(Actor{}, before, after);
  EXPECT_EQ(rotated->action, "webhook.secret_rotated");
  after = before;
  after.headers = {{"X-Token", "t2"}};
  after.name = "n";
  auto updated = WebhookChangeRecord(Actor{}, before, after);
  EXPECT_EQ(updated->action, "webhook.updated");
  const std::string text = CanonicalAuditJson(*updated) + CanonicalAuditJson(*rotated);
  for (const char* secret : {"whsec_one", "whsec_two", "t1", "t2"}) EXPECT_EQ(text.find(secret), std::string::npos);
  EXPECT_TRUE(updated->changes.contains("headers"));
  EXPECT_FALSE(WebhookChangeRecord(Actor{}, before, before).has_value());
  // Canonical: keys sorted at every level.
  EXPECT_LT(CanonicalAuditJson(*updated).find("\"account_id\""), CanonicalAuditJson(*updated).find("\"action\""));
}

}  // namespace
}  // namespace hookd
