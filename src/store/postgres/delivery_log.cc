// PostgreSQL: the delivery log — reading deliveries and their attempts, resuming unfinished ones, and recording
// outcomes through the outcome writer, fenced by the shards' epochs.
#include "common/utf8.h"
#include "domain/delivery_rules.h"
#include "store/postgres/notice_rows.h"
#include "store/postgres/notices.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/statements.h"
#include "store/postgres/stats.h"
#include "store/row_mapping.h"
#include "store/row_values.h"

namespace hookd::postgres {

Result<Page<Delivery>> PostgresStore::ListDeliveries(const std::string& account_id, const DeliveryFilter& filter,
                                                     const PageRequest& page) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_LOGGED_DELIVERY_COLUMNS
                  " FROM deliveries "
                  "WHERE account_id = $1 AND ($2 = '' OR id < $2) AND ($3 = '' OR event_type = $3) "
                  "AND ($4 = '' OR status = $4) AND ($5::bigint IS NULL OR created_at >= $5) "
                  "AND ($6::bigint IS NULL OR created_at < $6) AND ($8 = '' OR webhook_id = $8) AND id >= $9 "
                  "ORDER BY id DESC LIMIT $7",
                  Params()
                      .Add(account_id)
                      .Add(page.cursor)
                      .Add(filter.event_type)
                      .Add(filter.status ? ToString(*filter.status) : "")
                      .Add(filter.since_ms)
                      .Add(filter.until_ms)
                      .Add(page.limit + 1)
                      .Add(filter.webhook_id)
                      .Add(IdLowerBound("dlv_", filter.since_ms)));
  });
  if (!r) return Fail(r.error());
  return MakePage(AllRows(*r, LoggedDeliveryFromRow<Row>), page.limit);
}

Result<Delivery> PostgresStore::GetDelivery(const std::string& account_id, const std::string& id) {
  return pool_.With([&](Connection& c) -> Result<Delivery> {
    auto r = c.Exec("SELECT " HOOKD_LOGGED_DELIVERY_COLUMNS " FROM deliveries WHERE id = $1 AND account_id = $2",
                    Params().Add(id).Add(account_id));
    if (!r) return Fail(r.error());
    if (r->Count() == 0) return Fail(Error::NotFound("delivery not found"));
    Delivery d = LoggedDeliveryFromRow(Row(*r, 0));
    auto a = c.Exec("SELECT " HOOKD_ATTEMPT_COLUMNS " FROM attempts WHERE delivery_id = $1 ORDER BY number",
                    Params().Add(id));
    if (!a) return Fail(a.error());
    d.attempts = AllRows(*a, AttemptFromRow<Row>);
    return d;
  });
}

Result<std::vector<Delivery>> PostgresStore::ListDeliveriesOfEvent(const std::string& event_id) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_DELIVERY_COLUMNS " FROM deliveries WHERE event_id = $1 ORDER BY id",
                  Params().Add(event_id));
  });
  if (!r) return Fail(r.error());
  return AllRows(*r, DeliveryFromRow<Row>);
}

Status PostgresStore::ForEachUnfinishedDelivery(const std::function<bool(const DueDelivery&)>& visit) {
  // In pages by id (creation order), so a large backlog is never held in one result.
  constexpr int kPage = 10'000;
  std::string after;
  for (;;) {
    auto r = pool_.With([&](Connection& c) {
      return c.Exec("SELECT " HOOKD_DUE_COLUMNS
                    " FROM deliveries d JOIN events e ON e.id = d.event_id "
                    "WHERE d.completed_at IS NULL AND d.id > $1 ORDER BY d.id LIMIT $2",
                    Params().Add(after).Add(kPage));
    });
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->Count(); ++i) {
      if (!visit(DueFromRow(Row(*r, i)))) return Ok();
    }
    if (r->Count() < kPage) return Ok();
    after = r->Text(r->Count() - 1, 0);
  }
}

void PostgresStore::RecordAttemptsAsync(std::vector<AttemptRecord> records, RecordedCallback done) {
  outcome_writer_->Submit(OutcomeJob{std::move(records), std::move(done), std::nullopt, {}, {}});
}

void PostgresStore::UpdateWebhookHealthAsync(HealthRecord health) {
  outcome_writer_->Submit(OutcomeJob{{}, nullptr, std::move(health), {}, {}});
}

Status PostgresStore::DisableWebhook(Connection& conn, const AttemptRecord& r, std::vector<Delivery>& noticed) {
  const int64_t now = clock_.NowMs();
  auto disabled = conn.Exec(
      "UPDATE webhooks w SET active = false, status = 'disabled', disabled_reason = $2, updated_at = $3 "
      "FROM (SELECT id, active, status FROM webhooks WHERE id = (SELECT webhook_id FROM deliveries WHERE id = $1) "
      "FOR UPDATE) was WHERE w.id = was.id RETURNING w.id, w.account_id, was.active, was.status, w.url",
      Params().Add(r.attempt.delivery_id).Add(r.disabled_reason).Add(now));
  if (!disabled) return Fail(disabled.error());
  if (disabled->Count() == 0) return Ok();
  const Row row(*disabled, 0);
  if (auto st = NotifyChange(conn, {ChangeKind::kWebhook, row.Text(0)}); !st) return st;
  PostgresNoticeRows rows(*this, conn, noticed);
  return RecordEngineDisable(rows, row.Text(1), row.Text(0), row.Text(4), row.Bool(2),
                             ParseWebhookStatus(row.Text(3)).value_or(WebhookStatus::kHealthy), r, now);
}

Status PostgresStore::WriteHealth(Connection& conn, const HealthRecord& health, std::vector<Delivery>& noticed) {
  auto written = conn.Exec(
      "UPDATE webhooks w SET circuit = $2, status = CASE WHEN w.status = 'disabled' THEN w.status ELSE $3 END "
      "FROM (SELECT id, circuit FROM webhooks WHERE id = $1 FOR UPDATE) was WHERE w.id = was.id "
      "RETURNING w.account_id, was.circuit, w.url",
      Params().Add(health.webhook_id).Add(ToString(health.circuit)).Add(ToString(health.status)));
  if (!written) return Fail(written.error());
  if (written->Count() == 0) return Ok();
  const Row row(*written, 0);
  PostgresNoticeRows rows(*this, conn, noticed);
  return RecordCircuitChange(rows, row.Text(0), health.webhook_id, row.Text(2),
                             ParseCircuitState(row.Text(1)).value_or(CircuitState::kClosed), health.circuit,
                             clock_.NowMs());
}

// Every outcome of the batch: the deliveries' new state in one UPDATE (a finished delivery is left as it is: said as
// `coalesce(completed_at, -1) < 0` because `completed_at IS NULL` would let the planner scan the whole partial index
// of unfinished deliveries, testing each against the batch, instead of reading the batch by primary key), the
// attempts in one INSERT (only for deliveries that still exist: one deleted with its webhook while the attempt was in
// flight has nothing to log it under), then the rare webhook changes one by one. Both statements also name the
// deliveries with `id = ANY($1)`: knowing the batch's size, the planner would otherwise hash-join the unnest with a
// sequential scan of every delivery; with it, it reads the batch's rows by primary key.
Status PostgresStore::WriteOutcomes(Connection& conn, std::vector<OutcomeJob*>& jobs) {
  ArrayParam d_ids, d_status, d_count, d_next, d_completed, d_latency, d_rstatus, d_rtime, d_error;
  ArrayParam a_ids, a_number, a_started, a_status, a_time, a_error, a_req_headers, a_req_body, a_req_trunc,
      a_resp_headers, a_resp_body, a_resp_trunc, a_success;
  // Fencing (SPEC §6): an attempt made under a shard lease is recorded only while the shard's epoch is still the
  // one it ran under. The lease rows are key-share-locked to the commit: a worker taking a shard locks it FOR UPDATE
  // (SKIP LOCKED), so it cannot take one whose outcomes are being written, while the owner's renewals (which
  // change no key) are never held up by them.
  std::unordered_map<int, int64_t> epochs;
  {
    ArrayParam shards;
    bool fenced = false;
    auto fence = [&](int shard, int64_t epoch) {
      if (epoch == 0) return;
      shards.Add(static_cast<int64_t>(shard));
      fenced = true;
    };
    for (OutcomeJob* job : jobs) {
      for (const AttemptRecord& r : job->records) fence(r.shard, r.lease_epoch);
      if (job->health) fence(job->health->shard, job->health->lease_epoch);
    }
    if (fenced) {
      auto current = conn.Exec("SELECT shard, epoch FROM shard_leases WHERE shard = ANY($1::integer[]) FOR KEY SHARE",
                               Params().Add(shards.Take()));
      if (!current) return Fail(current.error());
      for (int i = 0; i < current->Count(); ++i) epochs[static_cast<int>(current->Int(i, 0))] = current->Int(i, 1);
    }
  }
  auto stale_epoch = [&](int shard, int64_t epoch) { return epoch != 0 && epochs[shard] != epoch; };
  auto stale = [&](const AttemptRecord& r) { return stale_epoch(r.shard, r.lease_epoch); };
  int records = 0;
  bool webhooks_changed = false;
  for (OutcomeJob* job : jobs) {
    job->refused.clear();
    job->noticed.clear();  // a batch undone runs again
    for (size_t i = 0; i < job->records.size(); ++i) {
      const AttemptRecord& r = job->records[i];
      if (stale(r)) {
        job->refused.push_back(i);
        continue;
      }
      const Attempt& a = r.attempt;
      const OutcomeValues o = OutcomeOf(r);
      // Text columns hold UTF-8 only: a receiver's header bytes and a body cut mid-character are repaired.
      const std::string error = ToValidUtf8(o.error);
      d_ids.Add(o.delivery_id);
      d_status.Add(ToString(o.status));
      d_count.Add(static_cast<int64_t>(o.attempt_count));
      d_next.Add(o.next_attempt_at_ms);
      d_completed.Add(o.completed_at_ms);
      d_latency.Add(o.latency_ms);
      d_rstatus.Add(o.response_status ? std::optional<int64_t>(*o.response_status) : std::nullopt);
      d_rtime.Add(o.response_time_ms);
      d_error.AddOrNull(error);
      a_ids.Add(a.id);
      a_number.Add(static_cast<int64_t>(a.number));
      a_started.Add(a.started_at_ms);
      a_status.Add(a.response_status ? std::optional<int64_t>(*a.response_status) : std::nullopt);
      a_time.Add(a.response_time_ms);
      a_error.AddOrNull(error);
      a_req_headers.Add(ToValidUtf8(a.request_headers_json));
      a_req_body.Add(ToValidUtf8(a.request_body));
      a_req_trunc.Add(a.request_body_truncated ? "t" : "f");
      a_resp_headers.Add(ToValidUtf8(a.response_headers_json));
      a_resp_body.AddHex(a.response_body);
      a_resp_trunc.Add(a.response_body_truncated ? "t" : "f");
      a_success.Add(a.success ? "t" : "f");
      ++records;
    }
  }
  StatsDelta stats;
  if (records > 0) {
    const std::string delivery_ids = d_ids.Take();
    // Unfinished rows only (coalesce: a plain IS NULL would let the planner scan the whole partial index of
    // unfinished deliveries). Each row as it was comes back, for the statistics.
    auto updated = conn.Exec(
        "WITH was AS (SELECT id AS was_id, " HOOKD_DELIVERY_STATS_COLUMNS
        " FROM deliveries WHERE id = ANY($1::text[]) AND coalesce(completed_at, -1) < 0 FOR UPDATE) "
        "UPDATE deliveries d SET status = u.status, attempt_count = u.attempt_count, next_attempt_at = u.next_at, "
        "completed_at = u.completed_at, latency_ms = u.latency, last_response_status = u.rstatus, "
        "last_response_time_ms = u.rtime, last_error = u.error "
        "FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::bigint[], $6::bigint[], "
        "$7::integer[], $8::bigint[], $9::text[]) "
        "AS u(id, status, attempt_count, next_at, completed_at, latency, rstatus, rtime, error), was "
        "WHERE d.id = u.id AND d.id = was.was_id "
        "RETURNING was.account_id, was.webhook_id, was.event_type, was.created_at, was.status, was.attempt_count, "
        "was.latency_ms, u.status, u.attempt_count, u.latency",
        Params()
            .Add(delivery_ids)
            .Add(d_status.Take())
            .Add(d_count.Take())
            .Add(d_next.Take())
            .Add(d_completed.Take())
            .Add(d_latency.Take())
            .Add(d_rstatus.Take())
            .Add(d_rtime.Take())
            .Add(d_error.Take()));
    if (!updated) return Fail(updated.error());
    for (int i = 0; i < updated->Count(); ++i) {
      const Row row(*updated, i);
      const StoredStatsPlace was = StoredStatsPlaceFromRow(row);
      const DeliveryStatsState now{ParseDeliveryStatus(row.Text(7)).value_or(DeliveryStatus::kFailed), row.Int(8),
                                   row.OptInt(9)};
      stats.Change(was.Key(), was.state, now);
    }
    auto inserted = conn.Exec(
        "INSERT INTO attempts(" HOOKD_ATTEMPT_COLUMNS
        ") "
        "SELECT u.id, u.delivery_id, u.number, u.started_at, u.status, u.time, u.error, u.req_headers::json, "
        "u.req_body, u.req_trunc, u.resp_headers::json, decode(u.resp_body, 'hex'), u.resp_trunc, u.success "
        "FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::integer[], $6::bigint[], $7::text[], "
        "$8::text[], $9::text[], $10::boolean[], $11::text[], $12::text[], $13::boolean[], $14::boolean[]) "
        "AS u(id, delivery_id, number, started_at, status, time, error, req_headers, req_body, req_trunc, "
        "resp_headers, resp_body, resp_trunc, success) "
        "WHERE u.delivery_id IN (SELECT id FROM deliveries WHERE id = ANY($2::text[]))",
        Params()
            .Add(a_ids.Take())
            .Add(delivery_ids)
            .Add(a_number.Take())
            .Add(a_started.Take())
            .Add(a_status.Take())
            .Add(a_time.Take())
            .Add(a_error.Take())
            .Add(a_req_headers.Take())
            .Add(a_req_body.Take())
            .Add(a_req_trunc.Take())
            .Add(a_resp_headers.Take())
            .Add(a_resp_body.Take())
            .Add(a_resp_trunc.Take())
            .Add(a_success.Take()));
    if (!inserted) return Fail(inserted.error());
  }
  for (OutcomeJob* job : jobs) {
    for (const AttemptRecord& r : job->records) {
      if (stale(r)) continue;
      if (auto st = NoteAttemptOutcome(conn, r, job->noticed); !st) return st;
      if (!r.disable_webhook) continue;
      if (auto st = DisableWebhook(conn, r, job->noticed); !st) return st;
      webhooks_changed = true;
    }
    if (job->health && !stale_epoch(job->health->shard, job->health->lease_epoch)) {
      if (auto st = WriteHealth(conn, *job->health, job->noticed); !st) return st;
    }
  }
  // Last, so the rollup's hot rows are locked only for the commit (and always after every other row).
  if (auto st = WriteStats(conn, stats, StatsWriter::kOutcomes); !st) return st;
  if (webhooks_changed) backend_->WebhooksChanged();  // before the commit: at worst the cache is rebuilt once more
  return Ok();
}

}  // namespace hookd::postgres
