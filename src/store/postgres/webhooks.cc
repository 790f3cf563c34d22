// PostgreSQL: webhooks. Every change is announced to every process (its engine and event matching read the
// webhook again).
#include "domain/delivery_rules.h"
#include "domain/sharding.h"
#include "store/postgres/notice_rows.h"
#include "store/postgres/notices.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/statements.h"
#include "store/postgres/stats.h"
#include "store/row_mapping.h"
#include "store/row_values.h"

namespace hookd::postgres {

Params& PostgresStore::AddWebhookParams(Params& p, const Webhook& w) const {
  FieldBinder fields(p);
  AddWebhookFields(fields, w, cipher_);
  return p;
}

Result<Webhook> PostgresStore::CreateWebhook(const Webhook& w, int max_per_account, const Actor& by) {
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      // The account's row lock serialises its concurrent creates, so the cap holds.
      auto account = c.Exec("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", Params().Add(w.account_id));
      if (!account) return Fail(account.error());
      if (account->Count() == 0) return Fail(Error::NotFound("account not found"));
      auto count = c.Exec("SELECT COUNT(*) FROM webhooks WHERE account_id = $1", Params().Add(w.account_id));
      if (!count) return Fail(count.error());
      if (auto st = CheckWebhookCap(count->Int(0, 0), max_per_account); !st) return st;
      Params p;
      AddWebhookParams(p, w).Add(w.created_at_ms).Add(ShardOf(w.id));
      auto r = c.Exec("INSERT INTO webhooks(" HOOKD_WEBHOOK_COLUMNS
                      ", shard) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
                      "$24, $20, $21, $22, $23, $25)",
                      p);
      if (!r) return Fail(r.error());
      if (auto st = AppendAudit(c, WebhookCreatedRecord(by, w)); !st) return st;
      return NotifyChange(c, {ChangeKind::kWebhook, w.id});
    });
  });
  if (!st) return Fail(st.error());
  backend_->WebhooksChanged();
  return w;
}

Result<Webhook> PostgresStore::GetWebhook(const std::string& account_id, const std::string& id) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1 AND account_id = $2",
                  Params().Add(id).Add(account_id));
  });
  return FirstRow<Webhook>(r, "webhook", [this](const Row& row) { return WebhookFromRow(row, cipher_); });
}

Result<Webhook> PostgresStore::GetWebhookById(const std::string& id) {
  if (IsOperationalWebhookId(id)) {
    auto endpoint = GetOperationalWebhook(id);
    if (!endpoint) return Fail(endpoint.error());
    return OperationalDeliveryTarget(*endpoint);
  }
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1", Params().Add(id));
  });
  return FirstRow<Webhook>(r, "webhook", [this](const Row& row) { return WebhookFromRow(row, cipher_); });
}

Result<Page<Webhook>> PostgresStore::ListWebhooks(const std::string& account_id, const WebhookFilter& filter,
                                                  const PageRequest& page) {
  // The event-type filter needs the pattern list, so it runs here; without it the database cuts the page. A
  // webhook that fails to load (its secret does not decrypt, say) fails the list rather than vanish from it.
  const int64_t sql_limit = filter.event_type.empty() ? page.limit + 1 : -1;
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_WEBHOOK_COLUMNS
                  " FROM webhooks "
                  "WHERE account_id = $1 AND ($2 = '' OR id < $2) AND ($3::boolean IS NULL OR active = $3) "
                  "AND ($4 = '' OR environment = $4) AND ($5 = '' OR status = $5) "
                  "ORDER BY id DESC LIMIT CASE WHEN $6 < 0 THEN NULL ELSE $6 END",
                  Params()
                      .Add(account_id)
                      .Add(page.cursor)
                      .AddOrNull(filter.active ? (*filter.active ? "t" : "f") : "")
                      .Add(filter.environment)
                      .Add(filter.status ? ToString(*filter.status) : "")
                      .Add(sql_limit));
  });
  if (!r) return Fail(r.error());
  std::vector<Webhook> out;
  for (int i = 0; i < r->Count() && static_cast<int>(out.size()) <= page.limit; ++i) {
    if (!filter.MatchesEventType(r->TextArray(i, 5))) continue;
    auto w = WebhookFromRow(Row(*r, i), cipher_);
    if (!w) return Fail(w.error());
    out.push_back(std::move(*w));
  }
  return MakePage(std::move(out), page.limit);
}

Result<Webhook> PostgresStore::UpdateWebhook(const Webhook& w, bool sets_activity, const Actor& by) {
  Params p;
  AddWebhookParams(p, w).Add(sets_activity);
  std::vector<Delivery> noticed;
  auto st = WriteAndAnnounce(pool_, {ChangeKind::kWebhook, w.id}, [&](Connection& c) -> Status {
    noticed.clear();
    auto before = FirstRow<Webhook>(
        c.Exec("SELECT " HOOKD_WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1 AND account_id = $2 FOR UPDATE",
               Params().Add(w.id).Add(w.account_id)),
        "webhook", [this](const Row& row) { return WebhookFromRow(row, cipher_); });
    if (!before) return Fail(before.error());
    auto updated = c.Exec(
        "UPDATE webhooks SET url = $3, name = $4, description = $5, events = $6, environment = $8, "
        "rate_limit = $9, ordered = $10, payload_format = $11, headers = $12, metadata = $13, secret_enc = $14, "
        "previous_secret_enc = $15, previous_secret_expires_at = $16, updated_at = $20, verification = $21, "
        "verified = verified AND $22 AND url = $3, credentials_enc = $23, "
        "active = CASE WHEN $24 THEN $7 ELSE active END, status = CASE WHEN $24 THEN $17 ELSE status END, "
        "disabled_reason = CASE WHEN $24 THEN $18 ELSE disabled_reason END, "
        "circuit = CASE WHEN $24 THEN $19 ELSE circuit END WHERE id = $1 AND account_id = $2",
        p);
    if (!updated) return Fail(updated.error());
    PostgresNoticeRows rows(*this, c, noticed);
    return RecordWebhookUpdate(rows, by, *before, w, sets_activity);
  });
  if (!st) return Fail(st.error());
  HandNewDeliveries(std::move(noticed));
  backend_->WebhooksChanged();
  return GetWebhook(w.account_id, w.id);
}

Result<Webhook> PostgresStore::MarkWebhookVerified(const std::string& account_id, const std::string& id,
                                                   const std::string& url, const Actor& by) {
  auto st = WriteAndAnnounce(pool_, {ChangeKind::kWebhook, id}, [&](Connection& c) -> Status {
    auto stored = FirstRow<Webhook>(
        c.Exec("SELECT " HOOKD_WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1 AND account_id = $2 FOR UPDATE",
               Params().Add(id).Add(account_id)),
        "webhook", [this](const Row& row) { return WebhookFromRow(row, cipher_); });
    if (!stored) return Fail(stored.error());
    auto applies = VerificationApplies(*stored, url);
    if (!applies) return Fail(applies.error());
    if (!*applies) return Ok();
    auto r = c.Exec("UPDATE webhooks SET verified = true WHERE id = $1 AND account_id = $2",
                    Params().Add(id).Add(account_id));
    if (!r) return Fail(r.error());
    return AppendAudit(c, WebhookVerifiedRecord(by, *stored));
  });
  if (!st) return Fail(st.error());
  return GetWebhook(account_id, id);
}

Status PostgresStore::DeleteWebhook(const std::string& account_id, const std::string& id, const Actor& by) {
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      auto before = FirstRow<Webhook>(
          c.Exec("DELETE FROM webhooks WHERE id = $1 AND account_id = $2 RETURNING " HOOKD_WEBHOOK_COLUMNS,
                 Params().Add(id).Add(account_id)),
          "webhook", [this](const Row& row) { return WebhookFromRow(row, cipher_); });
      if (!before) return Fail(before.error());
      if (auto st = AppendAudit(c, WebhookDeletedRecord(by, *before)); !st) return st;
      // Its log stays, marked deleted (store/row_mapping.h: HOOKD_LOGGED_DELIVERY_COLUMNS); what was unfinished
      // ends (domain/delivery_rules.h: EndForDeletedWebhook), each row as it was returned for the statistics.
      const int64_t now = clock_.NowMs();
      auto tomb = c.Exec("INSERT INTO deleted_webhooks(id, account_id, deleted_at) VALUES ($1, $2, $3)",
                         Params().Add(id).Add(account_id).Add(now));
      if (!tomb) return Fail(tomb.error());
      auto ended =
          c.Exec("WITH was AS (SELECT id AS was_id, " HOOKD_DELIVERY_STATS_COLUMNS
                 " FROM deliveries WHERE webhook_id = $1 AND completed_at IS NULL FOR UPDATE) "
                 "UPDATE deliveries d SET status = 'dead', next_attempt_at = NULL, completed_at = $2, last_error = $3 "
                 "FROM was WHERE d.id = was.was_id RETURNING was.account_id, was.webhook_id, was.event_type, "
                 "was.created_at, was.status, was.attempt_count, was.latency_ms",
                 Params().Add(id).Add(now).Add(std::string(kWebhookDeleted)));
      if (!ended) return Fail(ended.error());
      StatsDelta stats;
      for (int i = 0; i < ended->Count(); ++i) {
        const StoredStatsPlace was = StoredStatsPlaceFromRow(Row(*ended, i));
        stats.Change(was.Key(), was.state, EndedForDeletedWebhookStatsState(was.state));
      }
      if (auto st = WriteStats(c, stats, StatsWriter::kApi); !st) return st;
      return NotifyChange(c, {ChangeKind::kWebhook, id});
    });
  });
  if (st) backend_->WebhooksChanged();
  return st;
}

}  // namespace hookd::postgres
