// SQLite: webhooks.
#include "domain/delivery_rules.h"
#include "store/row_mapping.h"
#include "store/row_values.h"
#include "store/sqlite/notice_rows.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd::sqlite {

Result<Webhook> SqliteStore::ReadWebhook(Database& db, const char* sql, const std::string& a, const std::string& b) {
  auto q = db.Prepare(sql);
  q.Bind(1, a);
  if (!b.empty()) q.Bind(2, b);
  if (!q.Step()) return Fail(Error::NotFound("webhook not found"));
  return WebhookFromRow(q, cipher_);
}

Result<Webhook> SqliteStore::CreateWebhook(const Webhook& w, int max_per_account, const Actor& by) {
  Status st = writer_->Run([&](Database& db) -> Status {
    if (auto st = RequireAccount(db, w.account_id); !st) return st;
    auto count = db.Prepare("SELECT COUNT(*) FROM webhooks WHERE account_id = ?");
    count.Bind(1, w.account_id);
    if (auto st = CheckWebhookCap(count.Step() ? count.Int(0) : 0, max_per_account); !st) return st;
    auto q =
        db.Prepare("INSERT INTO webhooks(" HOOKD_WEBHOOK_COLUMNS
                   ") "
                   "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?24,?20,?21,?22,?23)");
    FieldBinder fields(q);
    AddWebhookFields(fields, w, cipher_);
    if (auto r = q.Bind(24, w.created_at_ms).Run(); !r) return r;
    ForgetMatchTargets(w.account_id);
    return AppendAudit(db, WebhookCreatedRecord(by, w));
  });
  if (!st) return Fail(st.error());
  return w;
}

Result<Webhook> SqliteStore::GetWebhook(const std::string& account_id, const std::string& id) {
  return WithReader([&](Database& db) {
    return ReadWebhook(db, "SELECT " HOOKD_WEBHOOK_COLUMNS " FROM webhooks WHERE id = ?1 AND account_id = ?2", id,
                       account_id);
  });
}

Result<Webhook> SqliteStore::GetWebhookById(const std::string& id) {
  return WithReader([&](Database& db) -> Result<Webhook> {
    if (IsOperationalWebhookId(id)) {
      auto endpoint = ReadOperationalWebhook(db, id);
      if (!endpoint) return Fail(endpoint.error());
      return OperationalDeliveryTarget(*endpoint);
    }
    return ReadWebhook(db, "SELECT " HOOKD_WEBHOOK_COLUMNS " FROM webhooks WHERE id = ?1", id, "");
  });
}

Result<Page<Webhook>> SqliteStore::ListWebhooks(const std::string& account_id, const WebhookFilter& filter,
                                                const PageRequest& page) {
  // Ids first (cheap), then each webhook in full on the same connection; the event filter needs the pattern list,
  // so it runs here. A webhook that fails to load (its secret does not decrypt, say) fails the list: a list that
  // silently left it out would hide it from its owner.
  auto rows = WithReader([&](Database& db) -> Result<std::vector<Webhook>> {
    auto q = db.Prepare(
        "SELECT id, events FROM webhooks WHERE account_id = ?1 AND (?2 = '' OR id < ?2) "
        "AND (?3 < 0 OR active = ?3) AND (?4 = '' OR environment = ?4) AND (?5 = '' OR status = ?5) "
        "ORDER BY id DESC");
    q.Bind(1, account_id)
        .Bind(2, page.cursor)
        .Bind(3, filter.active ? (*filter.active ? 1 : 0) : -1)
        .Bind(4, filter.environment)
        .Bind(5, filter.status ? ToString(*filter.status) : "");
    std::vector<std::string> ids;
    while (static_cast<int>(ids.size()) <= page.limit && q.Step()) {
      if (filter.MatchesEventType(q.Strings(1))) ids.push_back(q.Text(0));
    }
    std::vector<Webhook> out;
    for (const std::string& id : ids) {
      auto w = ReadWebhook(db, "SELECT " HOOKD_WEBHOOK_COLUMNS " FROM webhooks WHERE id = ?1 AND account_id = ?2", id,
                           account_id);
      if (!w) return Fail(w.error());
      out.push_back(std::move(*w));
    }
    return out;
  });
  if (!rows) return Fail(rows.error());
  return MakePage(std::move(*rows), page.limit);
}

Result<Webhook> SqliteStore::UpdateWebhook(const Webhook& w, bool sets_activity, const Actor& by) {
  std::vector<Delivery> noticed;
  Status st = writer_->Run([&](Database& db) -> Status {
    noticed.clear();
    auto before = ReadWebhook(db, "SELECT " HOOKD_WEBHOOK_COLUMNS " FROM webhooks WHERE id = ?1 AND account_id = ?2",
                              w.id, w.account_id);
    if (!before) return Fail(before.error());
    auto q = db.Prepare(
        "UPDATE webhooks SET url=?3, name=?4, description=?5, events=?6, environment=?8, rate_limit=?9, "
        "ordered=?10, payload_format=?11, headers=?12, metadata=?13, secret_enc=?14, previous_secret_enc=?15, "
        "previous_secret_expires_at=?16, updated_at=?20, verification=?21, verified = verified AND ?22 AND url = ?3, "
        "credentials_enc=?23, "
        "active = CASE WHEN ?24 THEN ?7 ELSE active END, status = CASE WHEN ?24 THEN ?17 ELSE status END, "
        "disabled_reason = CASE WHEN ?24 THEN ?18 ELSE disabled_reason END, "
        "circuit = CASE WHEN ?24 THEN ?19 ELSE circuit END WHERE id=?1 AND account_id=?2");
    FieldBinder fields(q);
    AddWebhookFields(fields, w, cipher_);
    if (auto r = q.Bind(24, sets_activity).Run(); !r) return r;
    ForgetMatchTargets(w.account_id);
    SqliteNoticeRows rows(*this, db, noticed);
    return RecordWebhookUpdate(rows, by, *before, w, sets_activity);
  });
  if (!st) return Fail(st.error());
  HandNewDeliveries(std::move(noticed));
  return GetWebhook(w.account_id, w.id);
}

Result<Webhook> SqliteStore::MarkWebhookVerified(const std::string& account_id, const std::string& id,
                                                 const std::string& url, const Actor& by) {
  Status st = writer_->Run([&](Database& db) -> Status {
    auto stored = ReadWebhook(db, "SELECT " HOOKD_WEBHOOK_COLUMNS " FROM webhooks WHERE id = ?1 AND account_id = ?2",
                              id, account_id);
    if (!stored) return Fail(stored.error());
    auto applies = VerificationApplies(*stored, url);
    if (!applies) return Fail(applies.error());
    if (!*applies) return Ok();
    auto q = db.Prepare("UPDATE webhooks SET verified = 1 WHERE id = ?1 AND account_id = ?2");
    if (auto r = q.Bind(1, id).Bind(2, account_id).Run(); !r) return r;
    return AppendAudit(db, WebhookVerifiedRecord(by, *stored));
  });
  if (!st) return Fail(st.error());
  return GetWebhook(account_id, id);
}

Status SqliteStore::DeleteWebhook(const std::string& account_id, const std::string& id, const Actor& by) {
  return writer_->Run([&](Database& db) -> Status {
    if (auto st = awaiting_.WriteAwaitingAsPending(db); !st) return st;
    auto before = ReadWebhook(db, "SELECT " HOOKD_WEBHOOK_COLUMNS " FROM webhooks WHERE id = ?1 AND account_id = ?2",
                              id, account_id);
    if (!before) return Fail(before.error());
    const int64_t now = clock_.NowMs();
    auto r = db.Prepare("DELETE FROM webhooks WHERE id = ? AND account_id = ?").Bind(1, id).Bind(2, account_id).Run();
    if (!r) return r;
    if (auto st = AppendAudit(db, WebhookDeletedRecord(by, *before)); !st) return st;
    // Its log stays, marked deleted (store/row_mapping.h: HOOKD_LOGGED_DELIVERY_COLUMNS); what was unfinished ends.
    auto tomb = db.Prepare("INSERT INTO deleted_webhooks(id, account_id, deleted_at) VALUES (?1, ?2, ?3)");
    if (auto st = tomb.Bind(1, id).Bind(2, account_id).Bind(3, now).Run(); !st) return st;
    std::vector<Delivery> unfinished;
    {
      auto q = db.Prepare("SELECT " HOOKD_DELIVERY_COLUMNS
                          " FROM deliveries WHERE webhook_id = ?1 AND completed_at IS NULL");
      q.Bind(1, id);
      unfinished = AllRows(q, DeliveryFromRow<Statement>);
    }
    StatsDelta stats;
    for (Delivery& d : unfinished) {
      const DeliveryStatsState was = StatsStateOf(d);
      EndForDeletedWebhook(d, now);
      auto end = db.Prepare(
          "UPDATE deliveries SET status = ?2, next_attempt_at = NULL, completed_at = ?3, last_error = ?4 WHERE id = "
          "?1");
      if (auto st = end.Bind(1, d.id).Bind(2, ToString(d.status)).Bind(3, now).Bind(4, d.last_error).Run(); !st) {
        return st;
      }
      stats.Change(StatsKeyOf(d), was, EndedForDeletedWebhookStatsState(was));
    }
    CountStats(stats);
    ForgetMatchTargets(account_id);
    return Ok();
  });
}

}  // namespace hookd::sqlite
