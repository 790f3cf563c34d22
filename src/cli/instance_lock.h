// One `hookd serve` per SQLite database: serve holds an exclusive advisory lock on `<database>.lock` for its life,
// and `hookd restore` takes the same lock before it replaces the file. The kernel drops the lock when the process
// ends, however it ends.
#pragma once

#include <string>

#include "common/result.h"

namespace hookd {

class InstanceLock {
 public:
  // Locks `path` (created 0600 if missing) without waiting; an error names who holds it when another process does.
  [[nodiscard]] static Result<InstanceLock> Acquire(const std::string& path);
  InstanceLock(InstanceLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  InstanceLock& operator=(InstanceLock&&) = delete;
  InstanceLock(const InstanceLock&) = delete;
  ~InstanceLock();

 private:
  explicit InstanceLock(int fd) : fd_(fd) {}
  int fd_;
};

// The lock file of the SQLite database at `database_path`.
[[nodiscard]] inline std::string InstanceLockPath(const std::string& database_path) {
  return database_path + ".lock";
}

}  // namespace hookd
