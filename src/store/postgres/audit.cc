// PostgreSQL: the audit trail. Processes append to one account's chain in turn: each append locks the chain's head
// row in the change's transaction (creating the row first when the chain is new), links the record to the head and
// moves the head, so the chain stays one line whichever process writes and in whatever order they commit.
#include "store/postgres/postgres_store.h"
#include "store/postgres/statements.h"
#include "store/row_mapping.h"

namespace hookd::postgres {

Status PostgresStore::AppendAudit(Connection& c, AuditRecord record) {
  if (auto st = c.Exec("INSERT INTO audit_heads(account_id, seq, hash, purged_hash) VALUES ($1, 0, $2, $2) "
                       "ON CONFLICT (account_id) DO NOTHING",
                       Params().Add(record.account_id).Add(kChainStart));
      !st) {
    return Fail(st.error());
  }
  auto head_row = c.Exec("SELECT " HOOKD_AUDIT_HEAD_COLUMNS " FROM audit_heads WHERE account_id = $1 FOR UPDATE",
                         Params().Add(record.account_id));
  if (!head_row) return Fail(head_row.error());
  AuditHead head = AuditHeadFromRow(Row(*head_row, 0));
  SealAuditRecord(record, head);
  Params p;
  FieldBinder fields(p);
  AddAuditFields(fields, record);
  if (auto st = c.Exec("INSERT INTO audit_log(" HOOKD_AUDIT_COLUMNS
                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                       p);
      !st) {
    return Fail(st.error());
  }
  auto moved = c.Exec("UPDATE audit_heads SET seq = $2, hash = $3 WHERE account_id = $1",
                      Params().Add(head.account_id).Add(head.seq).Add(head.hash));
  return moved ? Ok() : Fail(moved.error());
}

Status PostgresStore::RecordAudit(AuditRecord record) {
  return pool_.With(
      [&](Connection& c) { return c.Transaction([&](Connection& c) { return AppendAudit(c, record); }); });
}

Result<int64_t> PostgresStore::PurgeAuditOlderThan(int64_t cutoff_ms, int limit) {
  auto accounts = pool_.With([&](Connection& c) {
    return c.Exec("SELECT DISTINCT account_id FROM audit_log WHERE at < $1 LIMIT $2",
                  Params().Add(cutoff_ms).Add(limit));
  });
  if (!accounts) return Fail(accounts.error());
  int64_t purged = 0;
  for (int i = 0; i < accounts->Count(); ++i) {
    const std::string account = accounts->Text(i, 0);
    // Each chain in its own transaction, its head held as an append holds it, so the cut and appends take turns.
    Status st = pool_.With([&](Connection& c) {
      return c.Transaction([&](Connection& c) -> Status {
        auto h = c.Exec("SELECT " HOOKD_AUDIT_HEAD_COLUMNS " FROM audit_heads WHERE account_id = $1 FOR UPDATE",
                        Params().Add(account));
        if (!h) return Fail(h.error());
        if (h->Count() == 0) return Ok();
        AuditHead head = AuditHeadFromRow(Row(*h, 0));
        auto q = c.Exec("SELECT seq, at, hash FROM audit_log WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                        Params().Add(account).Add(head.purged_seq).Add(limit));
        if (!q) return Fail(q.error());
        const std::vector<AuditLink> oldest =
            AllRows(*q, [](const Row& r) { return AuditLink{r.Int(0), r.Int(1), r.Text(2)}; });
        if (!AdvancePurgedMark(head, oldest, cutoff_ms)) return Ok();
        auto del = c.Exec("DELETE FROM audit_log WHERE account_id = $1 AND seq <= $2",
                          Params().Add(account).Add(head.purged_seq));
        if (!del) return Fail(del.error());
        purged += del->Affected();
        auto mark = c.Exec("UPDATE audit_heads SET purged_seq = $2, purged_hash = $3 WHERE account_id = $1",
                           Params().Add(account).Add(head.purged_seq).Add(head.purged_hash));
        return mark ? Ok() : Fail(mark.error());
      });
    });
    if (!st) return Fail(st.error());
  }
  return purged;
}

Result<Page<AuditRecord>> PostgresStore::ListAuditRecords(const AuditFilter& filter, const PageRequest& page) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_AUDIT_COLUMNS
                  " FROM audit_log "
                  "WHERE ($1 = '' OR account_id = $1) AND ($2 = '' OR id < $2) AND ($3 = '' OR target_id = $3) "
                  "AND ($4 = '' OR action = $4) AND ($5 = '' OR actor_id = $5) "
                  "AND ($6::bigint IS NULL OR at >= $6) AND ($7::bigint IS NULL OR at < $7) "
                  "ORDER BY id DESC LIMIT $8",
                  Params()
                      .Add(filter.account_id)
                      .Add(page.cursor)
                      .Add(filter.target_id)
                      .Add(filter.action)
                      .Add(filter.actor_id)
                      .Add(filter.since_ms)
                      .Add(filter.until_ms)
                      .Add(page.limit + 1));
  });
  if (!r) return Fail(r.error());
  return MakePage(AllRows(*r, AuditRecordFromRow<Row>), page.limit);
}

Status PostgresStore::VerifyAuditChains(AuditChainVerifier& verifier) {
  return pool_.With([&](Connection& c) {
    // One snapshot for heads and records.
    return c.Transaction([&](Connection& c) -> Status {
      if (auto st = c.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"); !st) return Fail(st.error());
      auto heads = c.Exec("SELECT " HOOKD_AUDIT_HEAD_COLUMNS " FROM audit_heads");
      if (!heads) return Fail(heads.error());
      for (int i = 0; i < heads->Count(); ++i) verifier.Begin(AuditHeadFromRow(Row(*heads, i)));
      // Page by page, in chain order.
      std::string account;
      int64_t seq = -1;
      for (;;) {
        auto records = c.Exec("SELECT " HOOKD_AUDIT_COLUMNS
                              " FROM audit_log WHERE (account_id, seq) > ($1, $2) ORDER BY account_id, seq LIMIT 5000",
                              Params().Add(account).Add(seq));
        if (!records) return Fail(records.error());
        for (int i = 0; i < records->Count(); ++i) {
          AuditRecord r = AuditRecordFromRow(Row(*records, i));
          account = r.account_id;
          seq = r.seq;
          verifier.Add(r);
        }
        if (records->Count() < 5000) break;
      }
      verifier.End();
      return Ok();
    });
  });
}

}  // namespace hookd::postgres
