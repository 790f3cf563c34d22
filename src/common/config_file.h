// hookd's configuration file (SPEC §2 `--config`): `name = value` lines, one per flag, named as the flag without
// its dashes. Blank lines and lines starting with '#' are skipped; a value may be wrapped in double quotes. Parsing
// is pure; which names are known is the caller's business (config.cc checks them against its flags).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace hookd {

struct ConfigFileEntry {
  std::string name;
  std::string value;
  int line = 0;  // 1-based, for messages
};

// The entries of `text`, in file order. A line without '=', an empty name or a name set twice is an error naming
// `path` and the line.
[[nodiscard]] Result<std::vector<ConfigFileEntry>> ParseConfigFile(const std::string& path, const std::string& text);

// Reads a whole file: nullopt when it does not exist, an error when it exists but cannot be read.
using FileLookup = std::function<Result<std::optional<std::string>>(const std::string& path)>;

// The real file system.
[[nodiscard]] FileLookup ProcessFiles();

}  // namespace hookd
