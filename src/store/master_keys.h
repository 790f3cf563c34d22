// Master key rotation (SPEC §2 `hookd rotate-master-key`), written once for both stores. The store keeps the
// current key's check value (SecretCipher::CheckOf) and, while a rotation is under way, each of the two keys sealed
// under the other. Every process refreshes its key ring from them every kKeyRefreshPeriod, so a process started
// with either key holds both and seals under the current one. A rotation goes in three steps, each waiting until
// every process has refreshed: store the new key (every process can now open values sealed under it); make it
// current (every process now seals under it); re-seal every secret under it with compare-and-set, pass after pass,
// until none is under another key. Each step is safe to repeat, so an interrupted rotation is finished by running
// it again. Finishing forgets the stored keys once every process has been given the new one.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/periodic_task.h"
#include "common/result.h"
#include "crypto/secret_cipher.h"

namespace hookd {

class Store;

// How often a process reads the stored keys.
inline constexpr std::chrono::milliseconds kKeyRefreshPeriod{2000};

// Key `id` sealed under key `sealed_by` (SecretCipher's format).
struct WrappedKey {
  std::string id;
  std::string sealed_by;
  std::string sealed_key;
};

struct StoredMasterKeys {
  std::string check;  // the current key's check value
  std::vector<WrappedKey> wrapped;
};

// A webhook's sealed secrets as stored (`previous` empty when it has none).
struct SealedSecrets {
  std::string webhook_id;
  std::string secret;
  std::string previous;
  std::string credentials;  // "" when the webhook has none
};

// Adds to `ring` every stored key it can open (and any opened through those), then makes the stored check's key
// current when held. Returns whether it is held.
bool ApplyStoredKeys(SecretCipher& ring, const StoredMasterKeys& stored);

// What opening a store checks: after ApplyStoredKeys, the current key must be held, or every value the other
// processes seal would fail to open here.
[[nodiscard]] Status CheckMasterKey(SecretCipher& ring, const StoredMasterKeys& stored);

// Keeps `ring` up to date with the store's keys, reading them every kKeyRefreshPeriod.
[[nodiscard]] std::unique_ptr<PeriodicTask> StartKeyRefresh(Store& store, SecretCipher& ring);

struct RotationReport {
  std::string key_id;    // the new current key
  int64_t resealed = 0;  // webhooks whose secrets were sealed again
  int64_t webhooks = 0;  // webhooks looked at in the last pass
};

// Rotates to `new_key` (32 bytes) with `ring` holding the opening key. `wait` sleeps between the steps (the real
// command passes 2 × kKeyRefreshPeriod); `progress` hears each step. Refused while another rotation is unfinished.
[[nodiscard]] Result<RotationReport> RotateMasterKey(Store& store, SecretCipher& ring, const std::string& new_key,
                                                     const std::function<void()>& wait,
                                                     const std::function<void(const std::string&)>& progress);

// Ends a rotation: `own_key_id` (the key this command was given) must be current and every secret sealed under
// it; then the stored keys are forgotten, and only the new key opens the store from now on.
[[nodiscard]] Status FinishRotation(Store& store, SecretCipher& ring, const std::string& own_key_id);

}  // namespace hookd
