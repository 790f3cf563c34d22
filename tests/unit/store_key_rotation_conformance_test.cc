// Secrets and endpoint credentials under the master key on every backend: sealed at rest, and master key rotation
// (store/master_keys.h): while it runs, a process started with either key opens every secret; another process learns
// the new key from the store and seals under it; every secret ends up under the new key; an interrupted rotation is
// finished by running it again; finishing shuts the old key out.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/signing_scheme.h"
#include "crypto/ed25519.h"
#include "domain/webhook_rules.h"
#include "store/master_keys.h"
#include "store_conformance.h"

namespace hookd {
namespace {

const std::string kOldKey(32, 'k');  // the one the fixture opens with
const std::string kNewKey(32, 'n');

// Lets every open store refresh its key ring once.
void WaitForRefresh() {
  std::this_thread::sleep_for(kKeyRefreshPeriod + std::chrono::milliseconds(700));
}

void ExpectAllSealedUnder(Store& store, const std::string& key) {
  auto sealed = store.ListSealedSecrets("", 1000);
  ASSERT_TRUE(sealed.has_value());
  ASSERT_FALSE(sealed->empty());
  for (const SealedSecrets& s : *sealed) {
    EXPECT_EQ(SecretCipher::SealedKeyId(s.secret), SecretCipher::IdOf(key)) << s.webhook_id;
    if (!s.previous.empty()) {
      EXPECT_EQ(SecretCipher::SealedKeyId(s.previous), SecretCipher::IdOf(key));
    }
    if (!s.credentials.empty()) {
      EXPECT_EQ(SecretCipher::SealedKeyId(s.credentials), SecretCipher::IdOf(key));
    }
  }
}

TEST_P(StoreConformance, WebhookSecretsAreEncryptedAtRest) {
  Webhook unsaved = UnsavedWebhook(account_);
  unsaved.tls = WebhookTls{"-----BEGIN CERTIFICATE-----\nY2VydGlmaWNhdGVib2R5\n-----END CERTIFICATE-----\n",
                           "-----BEGIN PRIVATE KEY-----\ncHJpdmF0ZWtleWJvZHkx\n-----END PRIVATE KEY-----\n",
                           "-----BEGIN CERTIFICATE-----\nY2FidW5kbGVib2R5MTI=\n-----END CERTIFICATE-----\n"};
  auto w = store_->CreateWebhook(unsaved, 100, Actor{});
  ASSERT_TRUE(w.has_value());
  store_->Flush();
  auto read = store_->GetWebhook(account_, w->id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->secret, kSecret);
  EXPECT_EQ(read->tls, unsaved.tls);
  const std::string raw = GetParam().raw_bytes(location_);
  ASSERT_FALSE(raw.empty());
  EXPECT_EQ(raw.find("c3RvcmVjb25mb3JtYW5jZXNlY3JldGtleTAxMjM0NTY3"), std::string::npos);
  for (const char* credential : {"cHJpdmF0ZWtleWJvZHkx", "Y2VydGlmaWNhdGVib2R5", "Y2FidW5kbGVib2R5MTI"}) {
    EXPECT_EQ(raw.find(credential), std::string::npos) << credential;  // sealed, not merely stored
  }
  EXPECT_NE(raw.find(w->id), std::string::npos);  // the check reads the right bytes
}

// An ed25519 webhook's key (SPEC §10) is a secret like any other: sealed, and kept beside its successor through a
// rotation, so both sign and the JWKS lists both.
TEST_P(StoreConformance, AnEd25519KeyIsSealedAndRotatesLikeASecret) {
  Webhook unsaved = UnsavedWebhook(account_);
  unsaved.secret = GenerateEd25519Secret();
  auto w = store_->CreateWebhook(unsaved, 100, Actor{});
  ASSERT_TRUE(w.has_value());
  Webhook next = *w;
  RotateSecret(next, GenerateEd25519Secret(), 1'000);
  ASSERT_TRUE(store_->UpdateWebhook(next, false, Actor{}).has_value());
  store_->Flush();
  auto read = store_->GetWebhook(account_, w->id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->secret, next.secret);
  EXPECT_EQ(read->previous_secret, unsaved.secret);
  EXPECT_EQ(read->previous_secret_expires_at_ms, 1'000 + kSecretRotationGraceMs);
  EXPECT_EQ(SigningSchemeOf(read->secret), kSigningEd25519);
  const std::string raw = GetParam().raw_bytes(location_);
  for (const std::string& secret : {unsaved.secret, next.secret}) {
    EXPECT_EQ(raw.find(secret.substr(5, 24)), std::string::npos);
  }
}

TEST_P(StoreConformance, AMasterKeyRotatesUnderALiveProcessAndFinishingShutsTheOldKeyOut) {
  auto plain = NewWebhook(account_);
  ASSERT_TRUE(plain.has_value());
  Webhook rotating = *NewWebhook(account_);
  rotating.previous_secret = "whsec_cHJldmlvdXNzZWNyZXRvZnRoaXN3ZWJob29rMDE=";
  rotating.previous_secret_expires_at_ms = NowMs() + 86'400'000;
  rotating.tls = WebhookTls{"-----BEGIN CERTIFICATE-----\nc2VhbGVk\n-----END CERTIFICATE-----\n",
                            "-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n", ""};
  ASSERT_TRUE(store_->UpdateWebhook(rotating, false, Actor{}).has_value());
  // Another process on the same store, started with the old key, serving throughout.
  auto other = GetParam().reopen(location_, kOldKey);
  ASSERT_TRUE(other.has_value()) << other.error().message;

  SecretCipher ring(kOldKey);
  std::vector<std::string> steps;
  auto report =
      RotateMasterKey(*store_, ring, kNewKey, WaitForRefresh, [&](const std::string& s) { steps.push_back(s); });
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->key_id, SecretCipher::IdOf(kNewKey));
  EXPECT_EQ(report->resealed, 2);
  EXPECT_GE(steps.size(), 3u);
  ExpectAllSealedUnder(*store_, kNewKey);

  // The running process reads the re-sealed secrets, and seals what it writes now under the new key.
  auto read = (*other)->GetWebhook(account_, rotating.id);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read->secret, kSecret);
  EXPECT_EQ(read->previous_secret, rotating.previous_secret);
  EXPECT_EQ(read->tls, rotating.tls);  // its credentials went with its secrets
  Webhook later = *plain;
  later.id = NewId("wh_");
  ASSERT_TRUE((*other)->CreateWebhook(later, 100, Actor{}).has_value());
  ExpectAllSealedUnder(*store_, kNewKey);

  // Until the rotation is finished a process may start with either key, but with no other.
  for (const std::string& key : {kOldKey, kNewKey}) {
    auto opened = GetParam().reopen(location_, key);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_EQ((*opened)->GetWebhook(account_, plain->id)->secret, kSecret);
  }
  EXPECT_FALSE(GetParam().reopen(location_, std::string(32, 'x')).has_value());

  SecretCipher old_ring(kOldKey);
  auto refused = FinishRotation(*store_, old_ring, old_ring.CurrentId());
  ASSERT_FALSE(refused.has_value());  // finishing takes the new key
  EXPECT_EQ(refused.error().code, "rotation_unfinished");
  SecretCipher new_ring(kNewKey);
  ASSERT_TRUE(FinishRotation(*store_, new_ring, SecretCipher::IdOf(kNewKey)).has_value());
  auto shut_out = GetParam().reopen(location_, kOldKey);
  ASSERT_FALSE(shut_out.has_value());
  EXPECT_NE(shut_out.error().message.find("master key"), std::string::npos);
  EXPECT_TRUE(GetParam().reopen(location_, kNewKey).has_value());
  // A process that held both keys keeps working.
  EXPECT_EQ((*other)->GetWebhook(account_, rotating.id)->previous_secret, rotating.previous_secret);
}

TEST_P(StoreConformance, AnInterruptedRotationFinishesWhenRunAgainAndBlocksAnyOther) {
  ASSERT_TRUE(NewWebhook(account_).has_value());
  SecretCipher ring(kOldKey);
  struct Interrupted {};
  EXPECT_THROW((void)RotateMasterKey(
                   *store_, ring, kNewKey, [] {}, [](const std::string&) { throw Interrupted{}; }),
               Interrupted);

  SecretCipher third(kOldKey);
  auto other = RotateMasterKey(*store_, third, std::string(32, 'x'), [] {}, [](const std::string&) {});
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, "rotation_unfinished");

  // Run again, this time with the new key as the opening one (the operator switched keys first).
  SecretCipher again(kNewKey);
  auto stored = store_->ReadMasterKeys(SecretCipher::CheckOf(kNewKey));
  ASSERT_TRUE(stored.has_value());
  ASSERT_TRUE(CheckMasterKey(again, *stored).has_value());
  auto report = RotateMasterKey(*store_, again, kNewKey, [] {}, [](const std::string&) {});
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->resealed, 1);
  ExpectAllSealedUnder(*store_, kNewKey);
  // Once more changes nothing.
  report = RotateMasterKey(*store_, again, kNewKey, [] {}, [](const std::string&) {});
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->resealed, 0);
}

TEST_P(StoreConformance, ResealingIsCompareAndSet) {
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());
  auto sealed = store_->ListSealedSecrets("", 10);
  ASSERT_TRUE(sealed.has_value());
  ASSERT_EQ(sealed->size(), 1u);
  const SealedSecrets was = sealed->front();
  // The secret is rotated through the API meanwhile: the stale re-seal must not write it back.
  Webhook changed = *w;
  changed.secret = "whsec_bmV3c2VjcmV0YWZ0ZXJ0aGVyb3RhdGlvbmJlZ2FuMDE=";
  ASSERT_TRUE(store_->UpdateWebhook(changed, false, Actor{}).has_value());
  SecretCipher cipher(kOldKey);
  auto written = store_->ResealSecrets(was, {was.webhook_id, cipher.Encrypt(kSecret), "", ""});
  ASSERT_TRUE(written.has_value());
  EXPECT_FALSE(*written);
  EXPECT_EQ(store_->GetWebhook(account_, w->id)->secret, changed.secret);
  auto none = store_->ResealSecrets({"wh_gone", "a", "", ""}, {"wh_gone", "b", "", ""});
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(*none);
}

}  // namespace
}  // namespace hookd
