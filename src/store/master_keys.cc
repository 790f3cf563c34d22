// The rotation's steps in the order that keeps every process able to open every secret: a key is stored before
// anything is sealed under it, and made current before the secrets are re-sealed, so a secret written by a process
// that has not yet refreshed is caught by the next pass.
#include "store/master_keys.h"

#include "common/log.h"
#include "store/store.h"

namespace hookd {
namespace {

constexpr int kResealPage = 500;
constexpr int kMaxPasses = 50;

bool SealedUnder(const SealedSecrets& s, const std::string& id) {
  return SecretCipher::SealedKeyId(s.secret) == id &&
         (s.previous.empty() || SecretCipher::SealedKeyId(s.previous) == id) &&
         (s.credentials.empty() || SecretCipher::SealedKeyId(s.credentials) == id);
}

struct Pass {
  int64_t webhooks = 0;
  int64_t resealed = 0;
  int64_t left = 0;  // not under the current key at the end of the pass
};

// One pass over every webhook: seals under `ring`'s current key what is under another.
Result<Pass> ResealPass(Store& store, const SecretCipher& ring, bool change) {
  Pass pass;
  const std::string current = ring.CurrentId();
  std::string after;
  for (;;) {
    auto page = store.ListSealedSecrets(after, kResealPage);
    if (!page) return Fail(page.error());
    for (const SealedSecrets& was : *page) {
      ++pass.webhooks;
      if (SealedUnder(was, current)) continue;
      if (!change) {
        ++pass.left;
        continue;
      }
      // Each sealed value of the webhook opened and sealed again under the current key ("" stays "").
      std::string failure;
      auto reseal = [&](const std::string& sealed) -> std::string {
        if (sealed.empty()) return "";
        auto plain = ring.Decrypt(sealed);
        if (!plain) {
          failure = plain.error().message;
          return "";
        }
        return ring.Encrypt(*plain);
      };
      SealedSecrets now{was.webhook_id, reseal(was.secret), reseal(was.previous), reseal(was.credentials)};
      if (!failure.empty()) {
        return Fail(Error::Unavailable("webhook " + was.webhook_id + "'s secret does not open under any key held (" +
                                       failure + ")"));
      }
      auto written = store.ResealSecrets(was, now);
      if (!written) return Fail(written.error());
      if (*written) {
        ++pass.resealed;
      } else {
        ++pass.left;  // changed meanwhile: the next pass reads it again
      }
    }
    if (static_cast<int>(page->size()) < kResealPage) break;
    after = page->back().webhook_id;
  }
  return pass;
}

Result<StoredMasterKeys> ReadKeys(Store& store, const SecretCipher& ring) {
  return store.ReadMasterKeys(SecretCipher::CheckOf(ring.Key(ring.CurrentId())));
}

}  // namespace

bool ApplyStoredKeys(SecretCipher& ring, const StoredMasterKeys& stored) {
  for (bool added = true; added;) {
    added = false;
    for (const WrappedKey& w : stored.wrapped) {
      if (ring.HasKey(w.id) || !ring.HasKey(w.sealed_by)) continue;
      auto key = ring.Decrypt(w.sealed_key);
      if (!key || key->size() != 32 || SecretCipher::IdOf(*key) != w.id) continue;
      ring.AddKey(std::move(*key));
      added = true;
    }
  }
  return ring.UseKey(stored.check.substr(0, 16));
}

Status CheckMasterKey(SecretCipher& ring, const StoredMasterKeys& stored) {
  if (ApplyStoredKeys(ring, stored)) return Ok();
  return Fail(Error::Unavailable(
      "the master key differs from the one this database's secrets are sealed with (key " + stored.check.substr(0, 16) +
      "); give every hookd process on this database the same --master-key (or <data-dir>/master.key)"));
}

std::unique_ptr<PeriodicTask> StartKeyRefresh(Store& store, SecretCipher& ring) {
  return std::make_unique<PeriodicTask>("hookd-keys", kKeyRefreshPeriod, [&store, &ring](PeriodicTask&) {
    auto stored = ReadKeys(store, ring);
    if (!stored) return LogWarn("reading the master keys failed", {{"error", stored.error().message}});
    if (!ApplyStoredKeys(ring, *stored)) {
      LogWarn("the current master key is not one this process holds; it keeps sealing under its own",
              {{"key_id", stored->check.substr(0, 16)}});
    }
  });
}

Result<RotationReport> RotateMasterKey(Store& store, SecretCipher& ring, const std::string& new_key,
                                       const std::function<void()>& wait,
                                       const std::function<void(const std::string&)>& progress) {
  if (new_key.size() != 32) return Fail(Error::Invalid("new-key-file", "must hold base64 of exactly 32 bytes"));
  const std::string new_id = SecretCipher::IdOf(new_key);
  auto stored = ReadKeys(store, ring);
  if (!stored) return Fail(stored.error());
  if (auto st = CheckMasterKey(ring, *stored); !st) return Fail(st.error());
  for (const WrappedKey& w : stored->wrapped) {
    if (w.id != new_id && w.sealed_by != new_id) {
      return Fail(
          Error::Conflict("rotation_unfinished", "the rotation to key " + ring.CurrentId() +
                                                     " is not finished: give every process that key, then run `hookd "
                                                     "rotate-master-key --finish`"));
    }
  }
  ring.AddKey(new_key);
  if (ring.CurrentId() != new_id) {
    const std::string old_id = ring.CurrentId();
    const std::string old_key = ring.Key(old_id);
    SecretCipher under_old(old_key);
    SecretCipher under_new(new_key);
    if (auto st = store.AddWrappedKeys(
            {{new_id, old_id, under_old.Encrypt(new_key)}, {old_id, new_id, under_new.Encrypt(old_key)}});
        !st) {
      return Fail(st.error());
    }
    progress("stored key " + new_id + "; waiting until every process holds it");
    wait();
    auto switched = store.ReplaceMasterKeyCheck(stored->check, SecretCipher::CheckOf(new_key));
    if (!switched) return Fail(switched.error());
    if (!*switched) return Fail(Error::Conflict("rotation_raced", "another rotation changed the current key"));
    ring.UseKey(new_id);
    progress("key " + new_id + " is current; waiting until every process seals under it");
    wait();
  }
  RotationReport report{new_id, 0, 0};
  for (int n = 0; n < kMaxPasses; ++n) {
    auto pass = ResealPass(store, ring, true);
    if (!pass) return Fail(pass.error());
    report.resealed += pass->resealed;
    report.webhooks = pass->webhooks;
    progress("pass " + std::to_string(n + 1) + ": " + std::to_string(pass->resealed) + " of " +
             std::to_string(pass->webhooks) + " webhooks sealed again");
    if (pass->resealed == 0 && pass->left == 0) return report;
  }
  return Fail(Error::Unavailable("secrets kept changing under other keys through " + std::to_string(kMaxPasses) +
                                 " passes; run the rotation again"));
}

Status FinishRotation(Store& store, SecretCipher& ring, const std::string& own_key_id) {
  auto stored = ReadKeys(store, ring);
  if (!stored) return Fail(stored.error());
  if (auto st = CheckMasterKey(ring, *stored); !st) return st;
  if (ring.CurrentId() != own_key_id) {
    return Fail(Error::Conflict("rotation_unfinished", "the current master key is " + ring.CurrentId() +
                                                           ", not the one given; finish with the new key"));
  }
  auto pass = ResealPass(store, ring, false);
  if (!pass) return Fail(pass.error());
  if (pass->left > 0) {
    return Fail(Error::Conflict("rotation_unfinished",
                                std::to_string(pass->left) +
                                    " webhooks still have secrets under another key: run `hookd rotate-master-key "
                                    "--new-key-file` with the new key again first"));
  }
  return store.ForgetWrappedKeys();
}

}  // namespace hookd
