// What the PostgreSQL store and its work distribution share of one database: the connection pools (the main one,
// and behind a transaction-mode pooler a small one of sessions of hookd's own: store/store.h), this process's
// name in the notices it sends (so it can skip its own), and the generation of webhook changes that event matching
// follows (bumped by this process's writes and by other processes' notices). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "store/postgres/connection.h"
#include "store/postgres/pool.h"
#include "store/store.h"

namespace hookd::postgres {

class Backend {
 public:
  Backend(std::string url, int pool_size, const DatabasePooling& pooling);

  [[nodiscard]] Pool& pool() { return pool_; }
  // Connections that keep their session from one transaction to the next (LISTEN, session locks).
  [[nodiscard]] Pool& session_pool() { return session_pool_ ? *session_pool_ : pool_; }
  [[nodiscard]] const std::string& process_id() const { return process_id_; }

  // A connection of its own for statements that name their rows by key (the batch writers, the notice listener);
  // with `session`, one that keeps its session (the listener's LISTEN).
  [[nodiscard]] Result<std::unique_ptr<Connection>> OpenKeyedConnection(bool session = false);

  // Webhooks changed (here or in another process): event matching reads them again.
  void WebhooksChanged() { webhooks_generation_.fetch_add(1, std::memory_order_release); }
  [[nodiscard]] uint64_t WebhooksGeneration() const { return webhooks_generation_.load(std::memory_order_acquire); }

 private:
  const std::string process_id_;
  Pool pool_;
  std::unique_ptr<Pool> session_pool_;  // only behind a transaction-mode pooler
  std::atomic<uint64_t> webhooks_generation_{1};
};

}  // namespace hookd::postgres
