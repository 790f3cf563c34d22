// Accounts, API keys and portal sessions on every backend: accounts page newest first; a key or a session is found
// by its hash until it is revoked, expires or its account goes; long-expired sessions are forgotten.
#include <gtest/gtest.h>

#include "common/ids.h"
#include "domain/delivery_rules.h"
#include "store_conformance.h"

namespace hookd {
namespace {

TEST_P(StoreConformance, AccountsPageAndKeysAreFoundByHashUntilRevokedOrTheirAccountGoes) {
  const std::string second = NewAccount("beta");
  const std::string third = NewAccount("gamma");
  auto first_page = store_->ListAccounts({2, ""});
  ASSERT_TRUE(first_page.has_value());
  ASSERT_EQ(first_page->data.size(), 2u);
  EXPECT_EQ(first_page->data[0].id, third);
  ASSERT_TRUE(first_page->next_cursor.has_value());
  auto second_page = store_->ListAccounts({2, *first_page->next_cursor});
  ASSERT_TRUE(second_page.has_value());
  ASSERT_EQ(second_page->data.size(), 1u);
  EXPECT_EQ(second_page->data[0].id, account_);
  EXPECT_FALSE(second_page->next_cursor.has_value());

  auto account = store_->GetAccount(second);
  ASSERT_TRUE(account.has_value());
  account->email = "billing@beta.test";
  auto updated = store_->UpdateAccount(*account, Actor{});
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(store_->GetAccount(second)->email, "billing@beta.test");
  EXPECT_EQ(store_->UpdateAccount(Account{"acc_missing", "x", "", 1, 1}, Actor{}).error().kind, ErrorKind::kNotFound);

  ApiKey key{NewId("key_"), second, "ci", "hk_1234", NowMs(), std::nullopt};
  ASSERT_TRUE(store_->CreateApiKey(key, "hash-1", Actor{}).has_value());
  EXPECT_EQ(store_->CreateApiKey(ApiKey{NewId("key_"), "acc_missing", "", "hk_", NowMs(), {}}, "hash-2", Actor{})
                .error()
                .kind,
            ErrorKind::kNotFound);
  auto found = store_->FindApiKeyByHash("hash-1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->account_id, second);
  EXPECT_EQ(store_->ListApiKeys(second)->size(), 1u);
  EXPECT_EQ(store_->RevokeApiKey(account_, key.id, Actor{}).error().kind,
            ErrorKind::kNotFound);  // another account's key
  ASSERT_TRUE(store_->RevokeApiKey(second, key.id, Actor{}).has_value());
  EXPECT_FALSE(store_->FindApiKeyByHash("hash-1")->has_value());

  ASSERT_TRUE(
      store_->CreateApiKey(ApiKey{NewId("key_"), third, "", "hk_", NowMs(), {}}, "hash-3", Actor{}).has_value());
  ASSERT_TRUE(store_->DeleteAccount(third, Actor{}).has_value());
  EXPECT_EQ(store_->GetAccount(third).error().kind, ErrorKind::kNotFound);
  EXPECT_FALSE(store_->FindApiKeyByHash("hash-3")->has_value());
  EXPECT_EQ(store_->DeleteAccount(third, Actor{}).error().kind, ErrorKind::kNotFound);
}

TEST_P(StoreConformance, PortalSessionsAreFoundByHashUntilRevokedAndLongExpiredOnesAreForgotten) {
  const std::string second = NewAccount("beta");
  const int64_t now = NowMs();
  const PortalSession read{NewId("ps_"), second,         PortalAccess::kRead, "https://app.beta.test/settings",
                           now,          now + 3'600'000};
  ASSERT_TRUE(store_->CreatePortalSession(read, "portal-hash-1", Actor{}).has_value());
  EXPECT_EQ(store_
                ->CreatePortalSession(PortalSession{NewId("ps_"), "acc_missing", PortalAccess::kManage, "", now, now},
                                      "portal-hash-2", Actor{})
                .error()
                .kind,
            ErrorKind::kNotFound);
  auto found = store_->FindPortalSessionByHash("portal-hash-1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->account_id, second);
  EXPECT_EQ((*found)->access, PortalAccess::kRead);
  EXPECT_EQ((*found)->return_url, "https://app.beta.test/settings");
  EXPECT_EQ((*found)->expires_at_ms, now + 3'600'000);
  EXPECT_EQ(store_->RevokePortalSession(account_, read.id, Actor{}).error().kind,
            ErrorKind::kNotFound);  // another account's
  ASSERT_TRUE(store_->RevokePortalSession(second, read.id, Actor{}).has_value());
  EXPECT_FALSE(store_->FindPortalSessionByHash("portal-hash-1")->has_value());
  EXPECT_EQ(store_->RevokePortalSession(second, read.id, Actor{}).error().kind, ErrorKind::kNotFound);

  // Expired a moment ago: still found (it reads as expired); expired over a day ago: gone with the next creation.
  ASSERT_TRUE(store_
                  ->CreatePortalSession(
                      PortalSession{NewId("ps_"), second, PortalAccess::kManage, "", now - 7'200'000, now - 1},
                      "portal-recent", Actor{})
                  .has_value());
  ASSERT_TRUE(store_
                  ->CreatePortalSession(
                      PortalSession{NewId("ps_"), second, PortalAccess::kManage, "",
                                    now - 3 * kExpiredPortalSessionKeepMs, now - 2 * kExpiredPortalSessionKeepMs},
                      "portal-old", Actor{})
                  .has_value());
  ASSERT_TRUE(
      store_
          ->CreatePortalSession(PortalSession{NewId("ps_"), second, PortalAccess::kManage, "", now, now + 60'000},
                                "portal-new", Actor{})
          .has_value());
  EXPECT_TRUE(store_->FindPortalSessionByHash("portal-recent")->has_value());
  EXPECT_FALSE(store_->FindPortalSessionByHash("portal-old")->has_value());
  ASSERT_TRUE(store_->DeleteAccount(second, Actor{}).has_value());
  EXPECT_FALSE(store_->FindPortalSessionByHash("portal-new")->has_value());
}

}  // namespace
}  // namespace hookd
