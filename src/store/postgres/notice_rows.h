// PostgreSQL: the rows of a change's records and notices (store/operational_notices.h) in its transaction.
#pragma once

#include <string>
#include <vector>

#include "store/operational_notices.h"
#include "store/postgres/connection.h"
#include "store/postgres/postgres_store.h"

namespace hookd::postgres {

class PostgresNoticeRows final : public NoticeRows {
 public:
  // The deliveries the notices make are appended to `created`, to be handed to the engine after the commit.
  PostgresNoticeRows(PostgresStore& store, Connection& conn, std::vector<Delivery>& created)
      : store_(store), conn_(conn), created_(created) {}

  Status AppendAudit(AuditRecord record) override { return store_.AppendAudit(conn_, std::move(record)); }
  Status Notify(const OperationalNotice& notice) override { return store_.Notify(conn_, notice, created_); }
  Result<NoticeState> ReadState(const std::string& webhook_id) override;
  Status MarkFailingSent(const std::string& webhook_id, int64_t at_ms) override;
  Status MarkRecoveryDue(const std::string& webhook_id) override;
  Result<bool> TakeRecoveryDue(const std::string& webhook_id) override;

 private:
  PostgresStore& store_;
  Connection& conn_;
  std::vector<Delivery>& created_;
};

}  // namespace hookd::postgres
