// The configuration file's syntax: a line is `name = value`, `# comment` or blank.
#include "common/config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace hookd {
namespace {

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

Error LineError(const std::string& path, int line, const std::string& message) {
  return Error::BadRequest(path + ":" + std::to_string(line) + ": " + message);
}

}  // namespace

Result<std::vector<ConfigFileEntry>> ParseConfigFile(const std::string& path, const std::string& text) {
  std::vector<ConfigFileEntry> entries;
  std::set<std::string> seen;
  std::istringstream in(text);
  int number = 0;
  for (std::string raw; std::getline(in, raw);) {
    ++number;
    const std::string line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) return Fail(LineError(path, number, "expected 'name = value'"));
    ConfigFileEntry entry{Trim(line.substr(0, eq)), Trim(line.substr(eq + 1)), number};
    if (entry.name.empty()) return Fail(LineError(path, number, "expected 'name = value'"));
    if (entry.value.size() >= 2 && entry.value.front() == '"' && entry.value.back() == '"') {
      entry.value = entry.value.substr(1, entry.value.size() - 2);
    }
    if (!seen.insert(entry.name).second) return Fail(LineError(path, number, "'" + entry.name + "' is set twice"));
    entries.push_back(std::move(entry));
  }
  return entries;
}

FileLookup ProcessFiles() {
  return [](const std::string& path) -> Result<std::optional<std::string>> {
    std::ifstream in(path);
    if (!in) {
      if (errno == ENOENT) return std::optional<std::string>();
      return Fail(Error::Unavailable("cannot read " + path + ": " + std::strerror(errno)));
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    return std::optional<std::string>(buffer.str());
  };
}

}  // namespace hookd
