// The process id the notices carry, and keyed connections.
#include "store/postgres/backend.h"

#include <unistd.h>

#include "common/ids.h"

namespace hookd::postgres {
namespace {

std::string NewProcessId() {
  char host[64] = {};
  ::gethostname(host, sizeof(host) - 1);
  return std::string(host) + "-" + std::to_string(::getpid()) + "-" + NewId("").substr(20);
}

}  // namespace

Backend::Backend(std::string url, int pool_size, const DatabasePooling& pooling)
    : process_id_(NewProcessId()), pool_(url, pool_size, pooling.transaction_mode) {
  if (pooling.transaction_mode) session_pool_ = std::make_unique<Pool>(pooling.direct_url, 2);
}

Result<std::unique_ptr<Connection>> Backend::OpenKeyedConnection(bool session) {
  auto conn = (session ? session_pool() : pool_).OpenDedicated();
  if (!conn) return conn;
  // Batches of a few thousand ids are a few percent of a young table, where the planner would rather scan the whole
  // table (and hash-join it with the batch) than probe its primary key; as the table grows it changes its mind.
  // Every statement on these connections names its rows by key, so a sequential scan is never the right plan.
  if (auto st = (*conn)->Set("enable_seqscan", "off"); !st) return Fail(st.error());
  return conn;
}

}  // namespace hookd::postgres
