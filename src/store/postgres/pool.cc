// The connection pool: lazy opening, health checks on take and return, a bounded wait when every connection is
// in use.
#include "store/postgres/pool.h"

namespace hookd::postgres {
namespace {

// How long a caller waits for a busy pool before it is told the database is unavailable.
constexpr std::chrono::seconds kAcquireWait{10};

}  // namespace

Pool::Pool(std::string url, int size, bool transaction_pooling)
    : url_(std::move(url)), size_(std::max(1, size)), transaction_pooling_(transaction_pooling) {}

Result<std::unique_ptr<Connection>> Pool::Acquire() {
  const auto deadline = std::chrono::steady_clock::now() + kAcquireWait;
  {
    MutexLock lock(&mu_);
    for (;;) {
      while (!idle_.empty()) {
        std::unique_ptr<Connection> conn = std::move(idle_.back());
        idle_.pop_back();
        if (conn->Healthy()) return conn;
        --open_;  // closed by the server while idle: replaced below
      }
      if (open_ < size_) break;
      if (!returned_.WaitUntil(deadline) && idle_.empty() && open_ >= size_) {
        return Fail(Error::Unavailable("all " + std::to_string(size_) + " database connections are busy"));
      }
    }
    ++open_;
  }
  auto conn = OpenDedicated();
  if (!conn) {
    MutexLock lock(&mu_);
    --open_;
    returned_.Signal();
  }
  return conn;
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  const bool healthy = conn->Healthy();
  if (!healthy) conn.reset();
  MutexLock lock(&mu_);
  if (healthy) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  returned_.Signal();
}

}  // namespace hookd::postgres
