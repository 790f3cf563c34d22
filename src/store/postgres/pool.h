// A fixed-size pool of PostgreSQL connections (`--database-pool`). Connections open lazily; one the server closed
// (a restart, pg_terminate_backend) is noticed when it is taken or returned and replaced by a new one, so hookd
// recovers by itself once the server is back. While none can be opened, callers get `Unavailable` (503).
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/result.h"
#include "store/postgres/connection.h"

namespace hookd::postgres {

class Pool {
 public:
  // `transaction_pooling`: `url` is a transaction-mode pooler (postgres::Connection::Open).
  Pool(std::string url, int size, bool transaction_pooling = false);

  // Runs `fn(Connection&)` on a pooled connection and returns its result; `Unavailable` when no connection can be
  // had within the wait.
  template <class Fn>
  auto With(Fn&& fn) -> decltype(fn(std::declval<Connection&>())) {
    auto conn = Acquire();
    if (!conn) return Fail(conn.error());
    auto result = fn(**conn);
    Release(std::move(*conn));
    return result;
  }

  // Opens a connection outside the pool's count (a writer thread's own).
  [[nodiscard]] Result<std::unique_ptr<Connection>> OpenDedicated() const {
    return Connection::Open(url_, transaction_pooling_);
  }

 private:
  Result<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> conn);

  const std::string url_;
  const int size_;
  const bool transaction_pooling_;
  Mutex mu_;
  CondVar returned_{&mu_};
  std::vector<std::unique_ptr<Connection>> idle_ GUARDED_BY(mu_);
  int open_ GUARDED_BY(mu_) = 0;  // idle + in use + being opened
};

}  // namespace hookd::postgres
