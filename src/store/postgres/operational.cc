// PostgreSQL: operational webhooks (domain/operational.h) — the endpoints, and the notices a change makes, stored as
// an event with a delivery to each endpoint that hears it, in the change's own transaction, and announced to the
// workers holding the endpoints' shards as any new delivery is.
#include "store/postgres/notice_rows.h"
#include "store/postgres/notices.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/statements.h"
#include "store/row_mapping.h"
#include "store/row_values.h"

namespace hookd::postgres {
namespace {

Params OperationalParams(const OperationalWebhook& w, const SecretCipher& cipher) {
  Params p;
  FieldBinder fields(p);
  AddOperationalWebhookFields(fields, w, cipher);
  return p;
}

}  // namespace

Result<OperationalWebhook> PostgresStore::CreateOperationalWebhook(const OperationalWebhook& w) {
  Status st = pool_.With([&](Connection& c) -> Status {
    if (!w.account_id.empty()) {
      auto account = c.Exec("SELECT 1 FROM accounts WHERE id = $1", Params().Add(w.account_id));
      if (!account) return Fail(account.error());
      if (account->Count() == 0) return Fail(Error::NotFound("account not found"));
    }
    auto r = c.Exec("INSERT INTO operational_webhooks(" HOOKD_OPERATIONAL_WEBHOOK_COLUMNS
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    OperationalParams(w, cipher_));
    return r ? Ok() : Fail(r.error());
  });
  if (!st) return Fail(st.error());
  return w;
}

Result<OperationalWebhook> PostgresStore::GetOperationalWebhook(const std::string& id) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_OPERATIONAL_WEBHOOK_COLUMNS " FROM operational_webhooks WHERE id = $1",
                  Params().Add(id));
  });
  return FirstRow<OperationalWebhook>(r, "operational webhook",
                                      [this](const Row& row) { return OperationalWebhookFromRow(row, cipher_); });
}

Result<std::vector<OperationalWebhook>> PostgresStore::ListOperationalWebhooks(
    const std::optional<std::string>& account_id) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_OPERATIONAL_WEBHOOK_COLUMNS
                  " FROM operational_webhooks WHERE NOT $1 OR account_id = $2 ORDER BY id",
                  Params().Add(account_id.has_value()).Add(account_id.value_or("")));
  });
  if (!r) return Fail(r.error());
  std::vector<OperationalWebhook> out;
  for (int i = 0; i < r->Count(); ++i) {
    auto w = OperationalWebhookFromRow(Row(*r, i), cipher_);
    if (!w) return Fail(w.error());
    out.push_back(std::move(*w));
  }
  return out;
}

// A change is announced as a webhook's, so every worker sends to the endpoint as it now is.
Result<OperationalWebhook> PostgresStore::UpdateOperationalWebhook(const OperationalWebhook& w) {
  Status st = WriteAndAnnounce(pool_, {ChangeKind::kWebhook, w.id}, [&](Connection& c) -> Status {
    return NotFoundUnlessChanged(
        c.Exec("UPDATE operational_webhooks SET url = $3, description = $4, events = $5, active = $6, "
               "secret_enc = $7, updated_at = $9 WHERE id = $1 AND account_id = $2 AND $8::bigint IS NOT NULL",
               OperationalParams(w, cipher_)),
        "operational webhook");
  });
  if (!st) return Fail(st.error());
  return w;
}

Status PostgresStore::DeleteOperationalWebhook(const std::string& id) {
  return WriteAndAnnounce(pool_, {ChangeKind::kWebhook, id}, [&](Connection& c) -> Status {
    return NotFoundUnlessChanged(c.Exec("DELETE FROM operational_webhooks WHERE id = $1", Params().Add(id)),
                                 "operational webhook");
  });
}

Status PostgresStore::Notify(Connection& c, const OperationalNotice& notice, std::vector<Delivery>& created) {
  auto r = c.Exec("SELECT " HOOKD_OPERATIONAL_WEBHOOK_COLUMNS
                  " FROM operational_webhooks WHERE active AND (account_id = $1 OR account_id = '')",
                  Params().Add(notice.account_id));
  if (!r) return Fail(r.error());
  std::vector<OperationalWebhook> hearers;
  for (int i = 0; i < r->Count(); ++i) {
    auto w = OperationalWebhookFromRow(Row(*r, i), cipher_);
    if (!w) return Fail(w.error());
    if (OperationalWebhookHears(*w, notice)) hearers.push_back(std::move(*w));
  }
  if (hearers.empty()) return Ok();
  const int64_t now = clock_.NowMs();
  const Event e = OperationalEvent(notice, now);
  auto ins = c.Exec("INSERT INTO events(" HOOKD_EVENT_COLUMNS
                    ", idempotency_key, initial_deliveries) VALUES ($1, $2, $3, $4, $5::json, NULL, $6, NULL, $7)",
                    Params()
                        .Add(e.id)
                        .Add(e.account_id)
                        .Add(e.type)
                        .Add(e.environment)
                        .Add(e.data_json)
                        .Add(e.created_at_ms)
                        .Add(static_cast<int64_t>(hearers.size())));
  if (!ins) return Fail(ins.error());
  std::vector<Delivery> made;
  for (const OperationalWebhook& w : hearers) {
    made.push_back(NewDelivery(e, w.id, now));
    made.back().account_id = OperationalDeliveryAccount(w);
  }
  std::vector<const Delivery*> rows;
  for (const Delivery& d : made) rows.push_back(&d);
  if (auto st = InsertDeliveries(c, backend_->process_id(), rows, now); !st) return st;
  created.insert(created.end(), made.begin(), made.end());
  return Ok();
}

Result<NoticeState> PostgresNoticeRows::ReadState(const std::string& webhook_id) {
  auto r = conn_.Exec("SELECT failing_sent_at, recovery_pending FROM endpoint_notices WHERE webhook_id = $1 FOR UPDATE",
                      Params().Add(webhook_id));
  if (!r) return Fail(r.error());
  if (r->Count() == 0) return NoticeState{};
  const Row row(*r, 0);
  return NoticeState{row.OptInt(0), row.Bool(1)};
}

Status PostgresNoticeRows::MarkFailingSent(const std::string& webhook_id, int64_t at_ms) {
  auto r = conn_.Exec(
      "INSERT INTO endpoint_notices(webhook_id, failing_sent_at, recovery_pending) VALUES ($1, $2, true) "
      "ON CONFLICT (webhook_id) DO UPDATE SET failing_sent_at = $2, recovery_pending = true",
      Params().Add(webhook_id).Add(at_ms));
  return r ? Ok() : Fail(r.error());
}

Status PostgresNoticeRows::MarkRecoveryDue(const std::string& webhook_id) {
  auto r = conn_.Exec(
      "INSERT INTO endpoint_notices(webhook_id, recovery_pending) VALUES ($1, true) "
      "ON CONFLICT (webhook_id) DO UPDATE SET recovery_pending = true",
      Params().Add(webhook_id));
  return r ? Ok() : Fail(r.error());
}

Result<bool> PostgresNoticeRows::TakeRecoveryDue(const std::string& webhook_id) {
  auto r = conn_.Exec("UPDATE endpoint_notices SET recovery_pending = false WHERE webhook_id = $1 AND recovery_pending",
                      Params().Add(webhook_id));
  if (!r) return Fail(r.error());
  return r->Affected() > 0;
}

Status PostgresStore::NoteAttemptOutcome(Connection& c, const AttemptRecord& r, std::vector<Delivery>& created) {
  if (!OutcomeMayNotify(r)) return Ok();
  auto q = c.Exec("SELECT " HOOKD_DELIVERY_COLUMNS
                  ", (SELECT url FROM webhooks w WHERE w.id = d.webhook_id) FROM deliveries d WHERE d.id = $1",
                  Params().Add(r.attempt.delivery_id));
  if (!q) return Fail(q.error());
  if (q->Count() == 0) return Ok();
  const Row row(*q, 0);
  PostgresNoticeRows rows(*this, c, created);
  return NoteOutcome(rows, r, DeliveryFromRow(row), row.Text(kDeliveryColumnCount));
}

}  // namespace hookd::postgres
