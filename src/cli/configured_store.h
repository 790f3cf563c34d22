// What every command that works on the store does first: read the configuration (flags, HOOKD_* variables, the
// configuration file), resolve the credentials (generated on first start) and open the configured store, printing
// the reason to stderr when any of it fails.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/key_files.h"
#include "common/config.h"
#include "common/metrics.h"
#include "store/store.h"

namespace hookd {

// Removes `flag` and its value ("--flag V" or "--flag=V") from `args` and returns the value; nullopt when absent
// (or given without a value, which then stays in `args` for the configuration parser to refuse).
[[nodiscard]] std::optional<std::string> TakeFlag(std::vector<std::string>& args, const std::string& flag);

// The configuration of `args`, or nullopt once the reason is printed.
[[nodiscard]] std::optional<Config> LoadConfig(const std::vector<std::string>& args);

struct OpenedStore {
  Credentials credentials;
  std::unique_ptr<Store> store;
};

// The configured store with its credentials, or nullopt once the reason is printed. `metrics` may be null.
[[nodiscard]] std::optional<OpenedStore> OpenConfiguredStore(const Config& config, Metrics* metrics);

}  // namespace hookd
