// Background WAL checkpoints. SQLite's automatic checkpoint runs inside the committing transaction, i.e. on the
// group-commit writer's critical path; this thread runs PASSIVE checkpoints on its own connection instead (they
// never block the writer), so the writer only appends to the WAL. Owns its thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite/database.h"

namespace hookd::sqlite {

class Checkpointer {
 public:
  explicit Checkpointer(std::unique_ptr<Database> db);
  ~Checkpointer();  // one last checkpoint, then stops

 private:
  void Loop();

  std::unique_ptr<Database> db_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hookd::sqlite
