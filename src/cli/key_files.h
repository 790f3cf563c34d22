// The data directory's generated credentials (SPEC §2): the admin token and the master key are created on first
// start with mode 0600 and read back afterwards; so is the worker name under which this data directory's process
// holds shard leases (SPEC §6), which lets a restarted worker take its own shards back at once. Blocks on file I/O;
// call at start-up only.
#pragma once

#include <string>

#include "common/config.h"
#include "common/result.h"

namespace hookd {

struct Credentials {
  std::string admin_token;
  std::string master_key;  // 32 raw bytes
  bool admin_token_generated = false;
  std::string worker_name;  // host name and a random part
};

// Creates the data directory (0700) if needed, then resolves both credentials from the config or the files.
[[nodiscard]] Result<Credentials> LoadCredentials(const Config& config);

// A credential file given by the operator, trimmed: it must exist, and may not be writable by every user.
[[nodiscard]] Result<std::string> ReadCredentialFile(const std::string& path);

// Whether the master key is the one generated in the data directory (no --master-key or --master-key-file).
[[nodiscard]] bool UsesGeneratedMasterKey(const Config& config);
// Replaces <data-dir>/master.key with `key` (32 raw bytes), atomically, mode 0600.
[[nodiscard]] Status ReplaceGeneratedMasterKey(const Config& config, const std::string& key);

}  // namespace hookd
