// `hookd account create --name N [--email E]`: creates an account and its first API key directly in the store
// (no running server needed) and prints both. The key is shown only here.
#include <iostream>

#include "cli/commands.h"
#include "cli/configured_store.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/time_util.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"
#include "store/store.h"

namespace hookd {

int RunAccountCreate(const std::vector<std::string>& args) {
  std::vector<std::string> rest = args;
  const std::string name = TakeFlag(rest, "--name").value_or("");
  const std::string email = TakeFlag(rest, "--email").value_or("");
  if (name.empty() || name.size() > 200) {
    std::cerr << "usage: hookd account create --name NAME [--email EMAIL] [--data-dir DIR] [--database URL]\n";
    return 2;
  }
  auto config = LoadConfig(rest);
  if (!config) return 2;
  auto opened = OpenConfiguredStore(*config, nullptr);
  if (!opened) return 1;
  Store& store = *opened->store;
  const int64_t now = SystemTime().NowMs();
  // The operator, at the machine: recorded as the admin.
  const Actor operator_actor{ActorType::kAdmin, "", now, "", ""};
  Account account{NewId("acc_"), name, email, now, now};
  if (auto created = store.CreateAccount(account, operator_actor); !created) {
    std::cerr << "hookd: " << created.error().message << "\n";
    return 1;
  }
  const std::string secret = "hk_" + HexEncode(RandomBytes(24));
  ApiKey key{NewId("key_"), account.id, "default", secret.substr(0, 10), now, std::nullopt};
  if (auto created = store.CreateApiKey(key, Sha256Hex(secret), operator_actor); !created) {
    std::cerr << "hookd: " << created.error().message << "\n";
    return 1;
  }
  std::cout << "account_id: " << account.id << "\napi_key: " << secret << "\n";
  return 0;
}

}  // namespace hookd
