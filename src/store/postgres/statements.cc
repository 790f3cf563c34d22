// The PostgreSQL store's shared statements and parameters.
#include "store/postgres/statements.h"

#include "common/ids.h"
#include "store/postgres/notices.h"
#include "store/postgres/stats.h"

namespace hookd::postgres {
namespace {

// One new pending delivery per element of the arrays: id, account_id, event_id, webhook_id, event_type; $6 = now.
constexpr const char* kInsertDeliveriesSql =
    "INSERT INTO deliveries(id, account_id, event_id, webhook_id, event_type, status, attempt_count, "
    "next_attempt_at, created_at) SELECT u.id, u.account_id, u.event_id, u.webhook_id, u.event_type, 'pending', 0, "
    "$6, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) "
    "AS u(id, account_id, event_id, webhook_id, event_type)";

}  // namespace

Status NotFoundUnlessChanged(const Result<Rows>& r, const char* what) {
  if (!r) return Fail(r.error());
  if (r->Affected() == 0) return Fail(Error::NotFound(std::string(what) + " not found"));
  return Ok();
}

Status WriteAndAnnounce(Pool& pool, const ChangeNotice& change, const std::function<Status(Connection&)>& write) {
  return pool.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      if (auto st = write(c); !st) return st;
      return NotifyChange(c, change);
    });
  });
}

std::string TextArray(const std::vector<std::string>& items) {
  ArrayParam a;
  for (const auto& s : items) a.Add(s);
  return a.Take();
}

std::string StatusArray(const std::vector<DeliveryStatus>& statuses) {
  ArrayParam a;
  for (DeliveryStatus s : statuses) a.Add(ToString(s));
  return a.Take();
}

Status AnnounceDue(Connection& conn, const std::string& sender, const std::vector<const Delivery*>& deliveries) {
  std::vector<std::pair<std::string_view, std::string_view>> due;
  due.reserve(deliveries.size());
  for (const Delivery* d : deliveries) due.emplace_back(d->id, d->webhook_id);
  return NotifyDue(conn, sender, due);
}

Status InsertDeliveries(Connection& conn, const std::string& sender, const std::vector<const Delivery*>& deliveries,
                        int64_t now_ms) {
  if (deliveries.empty()) return Ok();
  ArrayParam ids, accounts, events, webhooks, types;
  for (const Delivery* d : deliveries) {
    ids.Add(d->id);
    accounts.Add(d->account_id);
    events.Add(d->event_id);
    webhooks.Add(d->webhook_id);
    types.Add(d->event_type);
  }
  auto r = conn.Exec(kInsertDeliveriesSql, Params()
                                               .Add(ids.Take())
                                               .Add(accounts.Take())
                                               .Add(events.Take())
                                               .Add(webhooks.Take())
                                               .Add(types.Take())
                                               .Add(now_ms));
  if (!r) return Fail(r.error());
  StatsDelta stats;
  for (const Delivery* d : deliveries) stats.Created(StatsKeyOf(*d));
  if (auto st = WriteStats(conn, stats, StatsWriter::kApi); !st) return st;
  return AnnounceDue(conn, sender, deliveries);
}

std::string IdLowerBound(const char* prefix, std::optional<int64_t> since_ms) {
  if (!since_ms) return "";
  return LowestIdAt(prefix, *since_ms - 60'000);
}

}  // namespace hookd::postgres
