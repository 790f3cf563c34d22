// SQLite: the delivery log — reading deliveries and their attempts (behind the read barrier), resuming unfinished
// ones, and recording attempts and circuits.
#include <algorithm>

#include "store/row_mapping.h"
#include "store/row_values.h"
#include "store/sqlite/notice_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/stats.h"

namespace hookd::sqlite {

Result<Page<Delivery>> SqliteStore::ListDeliveries(const std::string& account_id, const DeliveryFilter& filter,
                                                   const PageRequest& page) {
  if (auto st = WriteAwaitingDeliveries(); !st) return Fail(st.error());
  return WithReader([&](Database& db) -> Result<Page<Delivery>> {
    // Two statements so each can use its own index: one webhook's log, or the whole account's.
    auto q = filter.webhook_id.empty()
                 ? db.Prepare("SELECT " HOOKD_LOGGED_DELIVERY_COLUMNS
                              " FROM deliveries "
                              "WHERE account_id = ?1 AND (?2 = '' OR id < ?2) AND (?3 = '' OR event_type = ?3) "
                              "AND (?4 = '' OR status = ?4) AND (?5 IS NULL OR created_at >= ?5) "
                              "AND (?6 IS NULL OR created_at < ?6) AND (?8 = '' OR webhook_id = ?8) "
                              "ORDER BY id DESC LIMIT ?7")
                 : db.Prepare("SELECT " HOOKD_LOGGED_DELIVERY_COLUMNS
                              " FROM deliveries "
                              "WHERE webhook_id = ?8 AND account_id = ?1 AND (?2 = '' OR id < ?2) "
                              "AND (?3 = '' OR event_type = ?3) AND (?4 = '' OR status = ?4) "
                              "AND (?5 IS NULL OR created_at >= ?5) AND (?6 IS NULL OR created_at < ?6) "
                              "ORDER BY id DESC LIMIT ?7");
    q.Bind(1, account_id)
        .Bind(2, page.cursor)
        .Bind(3, filter.event_type)
        .Bind(4, filter.status ? ToString(*filter.status) : "")
        .Bind(5, filter.since_ms)
        .Bind(6, filter.until_ms)
        .Bind(7, page.limit + 1)
        .Bind(8, filter.webhook_id);
    return MakePage(AllRows(q, LoggedDeliveryFromRow<Statement>), page.limit);
  });
}

Result<Delivery> SqliteStore::GetDelivery(const std::string& account_id, const std::string& id) {
  if (auto st = WriteAwaitingDeliveries(); !st) return Fail(st.error());
  return WithReader([&](Database& db) -> Result<Delivery> {
    Delivery d;
    {
      auto q = db.Prepare("SELECT " HOOKD_LOGGED_DELIVERY_COLUMNS " FROM deliveries WHERE id = ? AND account_id = ?");
      q.Bind(1, id).Bind(2, account_id);
      if (!q.Step()) return Fail(Error::NotFound("delivery not found"));
      d = LoggedDeliveryFromRow(q);
    }
    auto a = db.Prepare("SELECT " HOOKD_ATTEMPT_COLUMNS " FROM attempts WHERE delivery_id = ? ORDER BY number");
    a.Bind(1, id);
    d.attempts = AllRows(a, AttemptFromRow<Statement>);
    return d;
  });
}

Result<std::vector<Delivery>> SqliteStore::ListDeliveriesOfEvent(const std::string& event_id) {
  if (auto st = WriteAwaitingDeliveries(); !st) return Fail(st.error());
  return WithReader([&](Database& db) -> Result<std::vector<Delivery>> {
    auto q = db.Prepare("SELECT " HOOKD_DELIVERY_COLUMNS " FROM deliveries WHERE event_id = ? ORDER BY id");
    q.Bind(1, event_id);
    return AllRows(q, DeliveryFromRow<Statement>);
  });
}

Status SqliteStore::ForEachUnfinishedDelivery(const std::function<bool(const DueDelivery&)>& visit) {
  if (auto st = WriteAwaitingDeliveries(); !st) return st;
  return WithReader([&](Database& db) -> Status {
    auto q = db.Prepare("SELECT " HOOKD_DUE_COLUMNS
                        " FROM deliveries d JOIN events e ON e.id = d.event_id "
                        "WHERE d.completed_at IS NULL ORDER BY d.next_attempt_at");
    while (q.Step()) {
      if (!visit(DueFromRow(q))) return Ok();
    }
    if (q.Failed()) return Fail(Error::Internal("reading unfinished deliveries failed: " + db.LastError()));
    return Ok();
  });
}

void SqliteStore::RecordAttemptsAsync(std::vector<AttemptRecord> records, RecordedCallback done) {
  // Outcomes touch every webhook's leaf of the delivery log: written in bulk, each leaf is rewritten once per batch
  // rather than once per group. Records of different deliveries do not depend on one another, so an urgent one
  // may commit ahead of those held.
  const bool urgent = std::ranges::any_of(records, &AttemptRecord::urgent);
  auto shared = std::make_shared<std::vector<AttemptRecord>>(std::move(records));
  auto noticed = std::make_shared<std::vector<Delivery>>();
  writer_->Submit(
      [this, shared, noticed](Database& db) -> Status {
        noticed->clear();  // a job undone with its group runs again
        StatsDelta stats;
        for (const AttemptRecord& r : *shared) {
          if (auto st = RecordAttempt(db, r, stats, *noticed); !st) return st;
        }
        CountStats(stats);
        return Ok();
      },
      [this, noticed, done = std::move(done)](Status st) {
        if (st) HandNewDeliveries(std::move(*noticed));
        done(std::move(st), {});
      },
      urgent ? GroupCommitWriter::Timing::kIndependent : GroupCommitWriter::Timing::kBulk);
}

Status SqliteStore::RecordAttempt(Database& db, const AttemptRecord& r, StatsDelta& stats,
                                  std::vector<Delivery>& noticed) {
  const Attempt& a = r.attempt;
  auto has_row = awaiting_.WriteOutcome(db, OutcomeOf(r), stats);
  if (!has_row) return Fail(has_row.error());
  if (!*has_row) return Ok();  // deleted with its webhook while the attempt was in flight: nothing to log it under
  auto ins = db.Prepare(kInsertAttemptSql);
  ins.BindView(1, a.id).BindView(2, a.delivery_id).Bind(3, a.number).Bind(4, a.started_at_ms);
  if (a.response_status) {
    ins.Bind(5, *a.response_status);
  } else {
    ins.BindNull(5);
  }
  ins.Bind(6, a.response_time_ms);
  if (a.error.empty()) {
    ins.BindNull(7);
  } else {
    ins.BindView(7, a.error);
  }
  ins.BindView(8, a.request_headers_json)
      .BindView(9, a.request_body)
      .Bind(10, a.request_body_truncated)
      .BindView(11, a.response_headers_json)
      .BindView(12, a.response_body)
      .Bind(13, a.response_body_truncated)
      .Bind(14, a.success);
  if (auto st = ins.Run(); !st) return st;
  if (auto st = NoteAttemptOutcome(db, r, noticed); !st) return st;
  if (r.disable_webhook) return DisableWebhook(db, r, noticed);
  return Ok();
}

Status SqliteStore::DisableWebhook(Database& db, const AttemptRecord& r, std::vector<Delivery>& noticed) {
  auto was = db.Prepare(
      "SELECT id, account_id, active, status, url FROM webhooks "
      "WHERE id = (SELECT webhook_id FROM deliveries WHERE id = ?1)");
  was.Bind(1, r.attempt.delivery_id);
  if (!was.Step()) return Ok();
  const std::string id = was.Text(0);
  const std::string account_id = was.Text(1);
  const bool active = was.Int(2) != 0;
  const WebhookStatus status = ParseWebhookStatus(was.Text(3)).value_or(WebhookStatus::kHealthy);
  const std::string url = was.Text(4);
  const int64_t now = clock_.NowMs();
  auto dis = db.Prepare(
      "UPDATE webhooks SET active = 0, status = 'disabled', disabled_reason = ?2, updated_at = ?3 WHERE id = ?1");
  dis.Bind(1, id).Bind(2, r.disabled_reason).Bind(3, now);
  if (auto st = dis.Run(); !st) return st;
  match_cache_.Clear();
  SqliteNoticeRows rows(*this, db, noticed);
  return RecordEngineDisable(rows, account_id, id, url, active, status, r, now);
}

void SqliteStore::UpdateWebhookHealthAsync(HealthRecord health) {
  auto noticed = std::make_shared<std::vector<Delivery>>();
  writer_->Submit(
      [this, noticed, health = std::move(health)](Database& db) -> Status {
        noticed->clear();
        auto was = db.Prepare("SELECT account_id, circuit, url FROM webhooks WHERE id = ?1");
        was.Bind(1, health.webhook_id);
        if (!was.Step()) return Ok();
        const std::string account_id = was.Text(0);
        const CircuitState circuit = ParseCircuitState(was.Text(1)).value_or(CircuitState::kClosed);
        const std::string url = was.Text(2);
        auto st = db.Prepare(
                        "UPDATE webhooks SET circuit = ?2, status = CASE WHEN status = 'disabled' THEN status "
                        "ELSE ?3 END WHERE id = ?1")
                      .Bind(1, health.webhook_id)
                      .Bind(2, ToString(health.circuit))
                      .Bind(3, ToString(health.status))
                      .Run();
        if (!st) return st;
        SqliteNoticeRows rows(*this, db, *noticed);
        return RecordCircuitChange(rows, account_id, health.webhook_id, url, circuit, health.circuit, clock_.NowMs());
      },
      [this, noticed](const Status& st) {
        if (st) HandNewDeliveries(std::move(*noticed));
      });
}

}  // namespace hookd::sqlite
