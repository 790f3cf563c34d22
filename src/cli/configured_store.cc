// Start-up shared by the commands that open the store.
#include "cli/configured_store.h"

#include <iostream>

namespace hookd {

std::optional<std::string> TakeFlag(std::vector<std::string>& args, const std::string& flag) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == flag && i + 1 < args.size()) {
      std::string value = args[i + 1];
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
      return value;
    }
    if (args[i].rfind(flag + "=", 0) == 0) {
      std::string value = args[i].substr(flag.size() + 1);
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      return value;
    }
  }
  return std::nullopt;
}

std::optional<Config> LoadConfig(const std::vector<std::string>& args) {
  auto config = ParseConfig(args, ProcessEnv(), ProcessFiles());
  if (!config) {
    std::cerr << "hookd: " << config.error().message << "\n";
    return std::nullopt;
  }
  return std::move(*config);
}

std::optional<OpenedStore> OpenConfiguredStore(const Config& config, Metrics* metrics) {
  auto credentials = LoadCredentials(config);
  if (!credentials) {
    std::cerr << "hookd: " << credentials.error().message << "\n";
    return std::nullopt;
  }
  auto store = OpenStore(config.DatabaseUrl(), credentials->master_key, config.database_pool, metrics,
                         config.retention_ms, {config.database_transaction_pooling, config.database_direct_url});
  if (!store) {
    std::cerr << "hookd: " << store.error().message << "\n";
    return std::nullopt;
  }
  return OpenedStore{std::move(*credentials), std::move(*store)};
}

}  // namespace hookd
