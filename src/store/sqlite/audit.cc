// SQLite: the audit trail. One writer appends every record, so each chain is linear by construction; the head row
// is kept beside the records so that deleting the last one shows.
#include "store/row_mapping.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd::sqlite {

Status SqliteStore::AppendAudit(Database& db, AuditRecord record) {
  auto q = db.Prepare("SELECT " HOOKD_AUDIT_HEAD_COLUMNS " FROM audit_heads WHERE account_id = ?1");
  q.Bind(1, record.account_id);
  AuditHead head = q.Step() ? AuditHeadFromRow(q) : AuditHead{record.account_id};
  SealAuditRecord(record, head);
  auto insert = db.Prepare("INSERT INTO audit_log(" HOOKD_AUDIT_COLUMNS
                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  FieldBinder fields(insert);
  AddAuditFields(fields, record);
  if (auto st = insert.Run(); !st) return st;
  return db
      .Prepare(
          "INSERT INTO audit_heads(account_id, seq, hash, purged_hash) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT(account_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash")
      .Bind(1, head.account_id)
      .Bind(2, head.seq)
      .Bind(3, head.hash)
      .Bind(4, head.purged_hash)
      .Run();
}

Status SqliteStore::RecordAudit(AuditRecord record) {
  return writer_->Run([&](Database& db) { return AppendAudit(db, record); });
}

Result<Page<AuditRecord>> SqliteStore::ListAuditRecords(const AuditFilter& filter, const PageRequest& page) {
  return WithReader([&](Database& db) -> Result<Page<AuditRecord>> {
    auto q = db.Prepare("SELECT " HOOKD_AUDIT_COLUMNS
                        " FROM audit_log "
                        "WHERE (?1 = '' OR account_id = ?1) AND (?2 = '' OR id < ?2) AND (?3 = '' OR target_id = ?3) "
                        "AND (?4 = '' OR action = ?4) AND (?5 = '' OR actor_id = ?5) "
                        "AND (?6 IS NULL OR at >= ?6) AND (?7 IS NULL OR at < ?7) "
                        "ORDER BY id DESC LIMIT ?8");
    q.Bind(1, filter.account_id)
        .Bind(2, page.cursor)
        .Bind(3, filter.target_id)
        .Bind(4, filter.action)
        .Bind(5, filter.actor_id)
        .Bind(6, filter.since_ms)
        .Bind(7, filter.until_ms)
        .Bind(8, page.limit + 1);
    return MakePage(AllRows(q, AuditRecordFromRow<Statement>), page.limit);
  });
}

Result<int64_t> SqliteStore::PurgeAuditOlderThan(int64_t cutoff_ms, int limit) {
  int64_t purged = 0;
  Status st = writer_->Run([&](Database& db) -> Status {
    purged = 0;
    std::vector<std::string> accounts;
    {
      auto q = db.Prepare("SELECT DISTINCT account_id FROM audit_log WHERE at < ?1 LIMIT ?2");
      q.Bind(1, cutoff_ms).Bind(2, limit);
      while (q.Step()) accounts.push_back(q.Text(0));
    }
    for (const std::string& account : accounts) {
      auto h = db.Prepare("SELECT " HOOKD_AUDIT_HEAD_COLUMNS " FROM audit_heads WHERE account_id = ?1");
      if (!h.Bind(1, account).Step()) continue;
      AuditHead head = AuditHeadFromRow(h);
      auto q =
          db.Prepare("SELECT seq, at, hash FROM audit_log WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
      q.Bind(1, account).Bind(2, head.purged_seq).Bind(3, limit);
      const std::vector<AuditLink> oldest =
          AllRows(q, [](Statement& r) { return AuditLink{r.Int(0), r.Int(1), r.Text(2)}; });
      if (!AdvancePurgedMark(head, oldest, cutoff_ms)) continue;
      auto del = db.Prepare("DELETE FROM audit_log WHERE account_id = ?1 AND seq <= ?2");
      if (auto st = del.Bind(1, account).Bind(2, head.purged_seq).Run(); !st) return st;
      purged += db.Changes();
      auto mark = db.Prepare("UPDATE audit_heads SET purged_seq = ?2, purged_hash = ?3 WHERE account_id = ?1");
      if (auto st = mark.Bind(1, account).Bind(2, head.purged_seq).Bind(3, head.purged_hash).Run(); !st) return st;
    }
    return Ok();
  });
  if (!st) return Fail(st.error());
  return purged;
}

Status SqliteStore::VerifyAuditChains(AuditChainVerifier& verifier) {
  return WithReader([&](Database& db) -> Status {
    // One read transaction, so heads and records are one moment's.
    if (auto st = db.Exec("BEGIN"); !st) return st;
    auto heads = db.Prepare("SELECT " HOOKD_AUDIT_HEAD_COLUMNS " FROM audit_heads");
    while (heads.Step()) verifier.Begin(AuditHeadFromRow(heads));
    auto records = db.Prepare("SELECT " HOOKD_AUDIT_COLUMNS " FROM audit_log ORDER BY account_id, seq");
    while (records.Step()) verifier.Add(AuditRecordFromRow(records));
    verifier.End();
    return db.Exec("COMMIT");
  });
}

}  // namespace hookd::sqlite
