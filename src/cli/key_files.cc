// Files are created with O_EXCL so two processes starting together cannot both generate (and disagree on) a key.
#include "cli/key_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "crypto/encoding.h"

namespace hookd {
namespace {

Result<std::string> ReadFileTrimmed(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail(Error::Unavailable("cannot read " + path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

// A systemd credential or a container secret, typically. One every user may read is used with a warning
// (container secrets often are 0444).
Result<std::string> ReadCredentialFile(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    return Fail(Error::Unavailable("cannot read " + path + ": " + std::strerror(errno)));
  if (st.st_mode & S_IWOTH) return Fail(Error::Unavailable(path + " is writable by every user; refusing it"));
  if (st.st_mode & S_IROTH) LogWarn("a credential file is readable by every user", {{"path", path}});
  return ReadFileTrimmed(path);
}

namespace {

// Returns the file's content, creating it with `fresh` (mode 0600) when it does not exist.
Result<std::string> ReadOrCreate(const std::string& path, const std::string& fresh, bool& created) {
  created = false;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    const std::string line = fresh + "\n";
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return Fail(Error::Unavailable("cannot write " + path));
    created = true;
    return fresh;
  }
  if (errno != EEXIST) return Fail(Error::Unavailable("cannot create " + path + ": " + std::strerror(errno)));
  return ReadFileTrimmed(path);
}

std::string MasterKeyPath(const Config& config) {
  return config.data_dir + "/master.key";
}

}  // namespace

Result<Credentials> LoadCredentials(const Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return Fail(Error::Unavailable("cannot create data dir " + config.data_dir + ": " + ec.message()));
  ::chmod(config.data_dir.c_str(), 0700);

  Credentials c;
  std::string key_text = config.master_key;
  if (!config.master_key_file.empty()) {
    auto text = ReadCredentialFile(config.master_key_file);
    if (!text) return Fail(text.error());
    key_text = *text;
  } else if (key_text.empty()) {
    bool created = false;
    auto text = ReadOrCreate(MasterKeyPath(config), Base64Encode(RandomBytes(32)), created);
    if (!text) return Fail(text.error());
    key_text = *text;
  }
  auto key = Base64Decode(key_text);
  if (!key || key->size() != 32) return Fail(Error::Invalid("master-key", "must be base64 of exactly 32 bytes"));
  c.master_key = *key;

  c.admin_token = config.admin_token;
  if (!config.admin_token_file.empty()) {
    auto token = ReadCredentialFile(config.admin_token_file);
    if (!token) return Fail(token.error());
    if (token->size() < 16)
      return Fail(Error::Invalid("--admin-token-file", "the token must be at least 16 characters"));
    c.admin_token = *token;
  } else if (c.admin_token.empty()) {
    auto token =
        ReadOrCreate(config.data_dir + "/admin-token", "hka_" + HexEncode(RandomBytes(24)), c.admin_token_generated);
    if (!token) return Fail(token.error());
    c.admin_token = *token;
  }
  char host[64] = {};
  ::gethostname(host, sizeof(host) - 1);
  bool name_created = false;
  auto name =
      ReadOrCreate(config.data_dir + "/worker-name", std::string(host) + "-" + HexEncode(RandomBytes(4)), name_created);
  if (!name) return Fail(name.error());
  c.worker_name = *name;
  return c;
}

bool UsesGeneratedMasterKey(const Config& config) {
  return config.master_key.empty() && config.master_key_file.empty();
}

Status ReplaceGeneratedMasterKey(const Config& config, const std::string& key) {
  const std::string path = MasterKeyPath(config);
  const std::string next = path + ".next";
  const std::string line = Base64Encode(key) + "\n";
  const int fd = ::open(next.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(Error::Unavailable("cannot create " + next + ": " + std::strerror(errno)));
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(next.c_str(), path.c_str()) != 0) {
    return Fail(Error::Unavailable("cannot replace " + path + ": " + std::strerror(errno)));
  }
  return Ok();
}

}  // namespace hookd
