// SQLite: the rows of a change's records and notices (store/operational_notices.h) in the writer's transaction.
// Writer thread.
#pragma once

#include <string>
#include <vector>

#include "store/operational_notices.h"
#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd::sqlite {

class SqliteNoticeRows final : public NoticeRows {
 public:
  // The deliveries the notices make are appended to `created`, to be handed to the engine after the commit.
  SqliteNoticeRows(SqliteStore& store, Database& db, std::vector<Delivery>& created)
      : store_(store), db_(db), created_(created) {}

  Status AppendAudit(AuditRecord record) override { return store_.AppendAudit(db_, std::move(record)); }
  Status Notify(const OperationalNotice& notice) override { return store_.Notify(db_, notice, created_); }
  Result<NoticeState> ReadState(const std::string& webhook_id) override;
  Status MarkFailingSent(const std::string& webhook_id, int64_t at_ms) override;
  Status MarkRecoveryDue(const std::string& webhook_id) override;
  Result<bool> TakeRecoveryDue(const std::string& webhook_id) override;

 private:
  SqliteStore& store_;
  Database& db_;
  std::vector<Delivery>& created_;
};

}  // namespace hookd::sqlite
