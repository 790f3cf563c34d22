// A PASSIVE checkpoint copies what it can of the WAL into the database file; what readers or the writer hold
// back is copied next round. The WAL is reused from its start once fully checkpointed.
#include "store/sqlite/checkpointer.h"

#include "common/log.h"

namespace hookd::sqlite {

Checkpointer::Checkpointer(std::unique_ptr<Database> db)
    : db_(std::move(db)),
      task_(
          "hookd-checkpoint", std::chrono::milliseconds(100),
          [this](PeriodicTask&) {
            if (auto st = db_->Exec("PRAGMA wal_checkpoint(PASSIVE)"); !st) {
              LogWarn("WAL checkpoint failed", {{"error", st.error().message}});
            }
          },
          /*run_on_stop=*/true) {}

}  // namespace hookd::sqlite
