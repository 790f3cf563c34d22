// `hookd account create --name N [--email E]`: creates an account and its first API key directly in the store
// (no running server needed) and prints both. The key is shown only here.
#include <iostream>

#include "cli/commands.h"
#include "cli/key_files.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/time_util.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"
#include "store/store.h"

namespace hookd {

int RunAccountCreate(const std::vector<std::string>& args) {
  std::string name, email;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    auto take = [&](const std::string& flag, std::string& into) {
      if (args[i] == flag && i + 1 < args.size()) {
        into = args[++i];
        return true;
      }
      if (args[i].rfind(flag + "=", 0) == 0) {
        into = args[i].substr(flag.size() + 1);
        return true;
      }
      return false;
    };
    if (!take("--name", name) && !take("--email", email)) rest.push_back(args[i]);
  }
  if (name.empty() || name.size() > 200) {
    std::cerr << "usage: hookd account create --name NAME [--email EMAIL] [--data-dir DIR] [--database URL]\n";
    return 2;
  }
  auto config = ParseConfig(rest, ProcessEnv());
  if (!config) {
    std::cerr << "hookd: " << config.error().message << "\n";
    return 2;
  }
  auto credentials = LoadCredentials(*config);
  if (!credentials) {
    std::cerr << "hookd: " << credentials.error().message << "\n";
    return 1;
  }
  auto store =
      OpenStore(config->DatabaseUrl(), credentials->master_key, config->database_pool, nullptr, config->retention_ms);
  if (!store) {
    std::cerr << "hookd: " << store.error().message << "\n";
    return 1;
  }
  const int64_t now = SystemTime().NowMs();
  Account account{NewId("acc_"), name, email, now, now};
  if (auto created = (*store)->CreateAccount(account); !created) {
    std::cerr << "hookd: " << created.error().message << "\n";
    return 1;
  }
  const std::string secret = "hk_" + HexEncode(RandomBytes(24));
  ApiKey key{NewId("key_"), account.id, "default", secret.substr(0, 10), now, std::nullopt};
  if (auto created = (*store)->CreateApiKey(key, Sha256Hex(secret)); !created) {
    std::cerr << "hookd: " << created.error().message << "\n";
    return 1;
  }
  std::cout << "account_id: " << account.id << "\napi_key: " << secret << "\n";
  return 0;
}

}  // namespace hookd
