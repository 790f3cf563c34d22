// Background WAL checkpoints. SQLite's automatic checkpoint runs inside the committing transaction, i.e. on the
// group-commit writer's critical path; this runs PASSIVE checkpoints every 100 ms on its own thread and
// connection instead (they never block the writer), so the writer mostly only appends to the WAL. (Under sustained
// load these passes never catch up with the last commit, which the WAL needs to be reused from its start; so the
// writer also checkpoints, rarely and briefly, once the WAL is large: see SqliteStore::Open.)
#pragma once

#include <memory>

#include "common/periodic_task.h"
#include "store/sqlite/database.h"

namespace hookd::sqlite {

class Checkpointer {
 public:
  explicit Checkpointer(std::unique_ptr<Database> db);

 private:
  std::unique_ptr<Database> db_;
  PeriodicTask task_;  // declared last: it stops before db_ goes away
};

}  // namespace hookd::sqlite
