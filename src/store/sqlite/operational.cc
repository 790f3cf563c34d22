// SQLite: operational webhooks (domain/operational.h) — the endpoints, and the notices a change makes, stored as an
// event with a delivery to each endpoint that hears it, in the change's own transaction (writer thread).
#include "store/row_mapping.h"
#include "store/row_values.h"
#include "store/sqlite/notice_rows.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd::sqlite {

Result<OperationalWebhook> SqliteStore::CreateOperationalWebhook(const OperationalWebhook& w) {
  Status st = writer_->Run([&](Database& db) -> Status {
    if (!w.account_id.empty()) {
      if (auto st = RequireAccount(db, w.account_id); !st) return st;
    }
    auto q = db.Prepare("INSERT INTO operational_webhooks(" HOOKD_OPERATIONAL_WEBHOOK_COLUMNS
                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    FieldBinder fields(q);
    AddOperationalWebhookFields(fields, w, cipher_);
    return q.Run();
  });
  if (!st) return Fail(st.error());
  return w;
}

Result<OperationalWebhook> SqliteStore::ReadOperationalWebhook(Database& db, const std::string& id) {
  auto q = db.Prepare("SELECT " HOOKD_OPERATIONAL_WEBHOOK_COLUMNS " FROM operational_webhooks WHERE id = ?1");
  q.Bind(1, id);
  if (!q.Step()) return Fail(Error::NotFound("operational webhook not found"));
  return OperationalWebhookFromRow(q, cipher_);
}

Result<OperationalWebhook> SqliteStore::GetOperationalWebhook(const std::string& id) {
  return WithReader([&](Database& db) { return ReadOperationalWebhook(db, id); });
}

Result<std::vector<OperationalWebhook>> SqliteStore::ListOperationalWebhooks(
    const std::optional<std::string>& account_id) {
  return WithReader([&](Database& db) -> Result<std::vector<OperationalWebhook>> {
    auto q = db.Prepare("SELECT " HOOKD_OPERATIONAL_WEBHOOK_COLUMNS
                        " FROM operational_webhooks WHERE ?1 = 0 OR account_id = ?2 ORDER BY id");
    q.Bind(1, account_id.has_value()).Bind(2, account_id.value_or(""));
    std::vector<OperationalWebhook> out;
    while (q.Step()) {
      auto w = OperationalWebhookFromRow(q, cipher_);
      if (!w) return Fail(w.error());
      out.push_back(std::move(*w));
    }
    return out;
  });
}

Result<OperationalWebhook> SqliteStore::UpdateOperationalWebhook(const OperationalWebhook& w) {
  Status st = writer_->Run([&](Database& db) -> Status {
    auto q = db.Prepare(
        "UPDATE operational_webhooks SET url = ?3, description = ?4, events = ?5, active = ?6, secret_enc = ?7, "
        "updated_at = ?9 WHERE id = ?1");
    FieldBinder fields(q);
    AddOperationalWebhookFields(fields, w, cipher_);
    if (auto st = q.Run(); !st) return st;
    if (db.Changes() == 0) return Fail(Error::NotFound("operational webhook not found"));
    return Ok();
  });
  if (!st) return Fail(st.error());
  return w;
}

Status SqliteStore::DeleteOperationalWebhook(const std::string& id) {
  return writer_->Run([&](Database& db) -> Status {
    if (auto st = db.Prepare("DELETE FROM operational_webhooks WHERE id = ?1").Bind(1, id).Run(); !st) return st;
    if (db.Changes() == 0) return Fail(Error::NotFound("operational webhook not found"));
    return Ok();
  });
}

Status SqliteStore::Notify(Database& db, const OperationalNotice& notice, std::vector<Delivery>& created) {
  std::vector<OperationalWebhook> hearers;
  {
    auto q = db.Prepare("SELECT " HOOKD_OPERATIONAL_WEBHOOK_COLUMNS
                        " FROM operational_webhooks WHERE active = 1 AND (account_id = ?1 OR account_id = '')");
    q.Bind(1, notice.account_id);
    while (q.Step()) {
      auto w = OperationalWebhookFromRow(q, cipher_);
      if (!w) return Fail(w.error());
      if (OperationalWebhookHears(*w, notice)) hearers.push_back(std::move(*w));
    }
  }
  if (hearers.empty()) return Ok();
  const int64_t now = clock_.NowMs();
  const Event e = OperationalEvent(notice, now);
  auto ins = db.Prepare("INSERT INTO events(" HOOKD_EVENT_COLUMNS
                        ", idempotency_key, initial_deliveries) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, ?)");
  ins.Bind(1, e.id).Bind(2, e.account_id).Bind(3, e.type).Bind(4, e.environment).Bind(5, e.data_json);
  if (auto st = ins.Bind(6, e.created_at_ms).Bind(7, static_cast<int64_t>(hearers.size())).Run(); !st) return st;
  StatsDelta stats;
  for (const OperationalWebhook& w : hearers) {
    Delivery d = NewDelivery(e, w.id, now);
    d.account_id = OperationalDeliveryAccount(w);
    auto q = db.Prepare(kInsertDeliverySql);
    q.Bind(1, d.id).Bind(2, d.account_id).Bind(3, d.event_id).Bind(4, d.webhook_id).Bind(5, d.event_type);
    if (auto st = q.Bind(6, d.next_attempt_at_ms).Bind(7, d.created_at_ms).Run(); !st) return st;
    stats.Created(StatsKeyOf(d));
    created.push_back(std::move(d));
  }
  CountStats(stats);
  return Ok();
}

Result<NoticeState> SqliteNoticeRows::ReadState(const std::string& webhook_id) {
  auto q = db_.Prepare("SELECT failing_sent_at, recovery_pending FROM endpoint_notices WHERE webhook_id = ?1");
  if (!q.Bind(1, webhook_id).Step()) return NoticeState{};
  return NoticeState{q.OptInt(0), q.Bool(1)};
}

Status SqliteNoticeRows::MarkFailingSent(const std::string& webhook_id, int64_t at_ms) {
  return db_
      .Prepare(
          "INSERT INTO endpoint_notices(webhook_id, failing_sent_at, recovery_pending) VALUES (?1, ?2, 1) "
          "ON CONFLICT(webhook_id) DO UPDATE SET failing_sent_at = ?2, recovery_pending = 1")
      .Bind(1, webhook_id)
      .Bind(2, at_ms)
      .Run();
}

Status SqliteNoticeRows::MarkRecoveryDue(const std::string& webhook_id) {
  return db_
      .Prepare(
          "INSERT INTO endpoint_notices(webhook_id, recovery_pending) VALUES (?1, 1) "
          "ON CONFLICT(webhook_id) DO UPDATE SET recovery_pending = 1")
      .Bind(1, webhook_id)
      .Run();
}

Result<bool> SqliteNoticeRows::TakeRecoveryDue(const std::string& webhook_id) {
  auto q =
      db_.Prepare("UPDATE endpoint_notices SET recovery_pending = 0 WHERE webhook_id = ?1 AND recovery_pending = 1");
  if (auto st = q.Bind(1, webhook_id).Run(); !st) return Fail(st.error());
  return db_.Changes() > 0;
}

Status SqliteStore::NoteAttemptOutcome(Database& db, const AttemptRecord& r, std::vector<Delivery>& created) {
  if (!OutcomeMayNotify(r)) return Ok();
  auto q = db.Prepare("SELECT " HOOKD_DELIVERY_COLUMNS
                      ", (SELECT url FROM webhooks w WHERE w.id = d.webhook_id) "
                      "FROM deliveries d WHERE d.id = ?1");
  if (!q.Bind(1, r.attempt.delivery_id).Step()) return Ok();
  SqliteNoticeRows rows(*this, db, created);
  return NoteOutcome(rows, r, DeliveryFromRow(q), q.Text(kDeliveryColumnCount));
}

}  // namespace hookd::sqlite
