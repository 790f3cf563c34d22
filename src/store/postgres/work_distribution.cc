// Shard scans webhook by webhook, announced deliveries read by primary key, and the listener's connection.
#include "store/postgres/work_distribution.h"

#include <thread>
#include <unordered_map>

#include "store/postgres/notices.h"
#include "store/row_mapping.h"

namespace hookd::postgres {
namespace {

constexpr auto kReconnectPause = std::chrono::milliseconds(500);
constexpr int kScanPage = 10'000;

}  // namespace

PostgresWorkDistribution::PostgresWorkDistribution(std::shared_ptr<Backend> backend, const WorkerIdentity& worker,
                                                   const Clock& clock)
    : backend_(std::move(backend)),
      delivers_(worker.delivers),
      lease_duration_(worker.lease_duration_ms),
      leases_(backend_->pool(), worker.name, lease_duration_, clock) {}

Result<std::vector<std::string>> PostgresWorkDistribution::InFlightEverywhere() {
  return DeliveriesInFlight(backend_->pool(), lease_duration_);
}

Status PostgresWorkDistribution::ScanShards(const std::vector<int>& shards,
                                            const std::function<bool(const DueDelivery&)>& visit) {
  if (shards.empty()) return Ok();
  Pool& pool = backend_->pool();
  ArrayParam shard_list;
  for (int shard : shards) shard_list.Add(static_cast<int64_t>(shard));
  auto webhooks = pool.With([&](Connection& c) {
    return c.Exec("SELECT id FROM webhooks WHERE shard = ANY($1::integer[]) ORDER BY id",
                  Params().Add(shard_list.Take()));
  });
  if (!webhooks) return Fail(webhooks.error());
  // Webhook by webhook, in pages by id: each page is a range of the partial index of unfinished deliveries.
  for (int w = 0; w < webhooks->Count(); ++w) {
    const std::string webhook_id = webhooks->Text(w, 0);
    std::string after;
    for (;;) {
      auto r = pool.With([&](Connection& c) {
        return c.Exec("SELECT " HOOKD_DUE_COLUMNS
                      " FROM deliveries d JOIN events e ON e.id = d.event_id "
                      "WHERE d.webhook_id = $1 AND d.completed_at IS NULL AND d.id > $2 ORDER BY d.id LIMIT $3",
                      Params().Add(webhook_id).Add(after).Add(kScanPage));
      });
      if (!r) return Fail(r.error());
      for (int i = 0; i < r->Count(); ++i) {
        if (!visit(DueFromRow(Row(*r, i)))) return Ok();
      }
      if (r->Count() < kScanPage) break;
      after = r->Text(r->Count() - 1, 0);
    }
  }
  return Ok();
}

Status PostgresWorkDistribution::Listen() {
  auto conn = backend_->OpenKeyedConnection(/*session=*/true);
  Status st = conn ? (*conn)->ExecOnce(std::string("LISTEN ") + kChangeChannel) : Fail(conn.error());
  if (st && delivers_) st = (*conn)->ExecOnce(std::string("LISTEN ") + kWorkChannel);
  if (!st) {
    std::this_thread::sleep_for(kReconnectPause);  // the database is away: do not spin
    return st;
  }
  listening_ = std::move(*conn);
  return Ok();
}

Result<Notices> PostgresWorkDistribution::WaitForNotices(int timeout_ms) {
  Notices notices;
  if (!listening_) {
    if (auto st = Listen(); !st) return Fail(st.error());
    // Back after a loss: what was sent meanwhile is gone, so event matching reads its webhooks again too.
    notices.missed_some = listened_before_;
    if (listened_before_) backend_->WebhooksChanged();
    listened_before_ = true;
    return notices;  // listening now: the caller may rely on hearing what comes next
  }
  auto got = listening_->WaitForNotifications(timeout_ms);
  if (!got) {
    listening_.reset();
    return Fail(got.error());
  }
  for (const Notification& n : *got) {
    if (n.channel == kChangeChannel) {
      auto change = ParseChangeNotice(n.payload);
      if (!change) continue;  // a newer version's
      if (change->kind == ChangeKind::kWebhook || change->kind == ChangeKind::kAccount) backend_->WebhooksChanged();
      notices.changes.push_back(std::move(*change));
    } else if (n.channel == kWorkChannel) {
      auto work = ParseWorkNotice(n.payload);
      // This process's own notices: its API handed that work to its engine directly.
      if (!work || work->sender == backend_->process_id()) continue;
      for (DueNotice& due : work->deliveries) notices.due.push_back(std::move(due));
    }
  }
  return notices;
}

Result<std::vector<DueDelivery>> PostgresWorkDistribution::ReadAnnounced(const std::vector<std::string>& delivery_ids) {
  std::vector<DueDelivery> out;
  if (delivery_ids.empty()) return out;
  if (!listening_) return Fail(Error::Unavailable("not connected to the database"));
  Connection& c = *listening_;
  ArrayParam ids;
  for (const std::string& id : delivery_ids) ids.Add(id);
  // Two reads by primary key: the deliveries still unfinished, then each of their events once (an event fanned out
  // to many webhooks is read and held once). Finished ones are skipped here rather than in SQL: `completed_at IS
  // NULL` there would let the planner scan the whole partial index of unfinished deliveries, testing each against
  // the list, instead of the primary key.
  auto due = c.Exec(
      "SELECT id, webhook_id, event_id, attempt_count, COALESCE(next_attempt_at, created_at), "
      "completed_at IS NULL FROM deliveries WHERE id = ANY($1::text[])",
      Params().Add(ids.Take()));
  if (!due) return Fail(due.error());
  std::unordered_map<std::string, std::shared_ptr<const Event>> events;
  ArrayParam event_ids;
  for (int i = 0; i < due->Count(); ++i) {
    if (due->Bool(i, 5) && events.emplace(due->Text(i, 2), nullptr).second) event_ids.Add(due->Text(i, 2));
  }
  if (events.empty()) return out;
  auto read =
      c.Exec("SELECT " HOOKD_EVENT_COLUMNS " FROM events WHERE id = ANY($1::text[])", Params().Add(event_ids.Take()));
  if (!read) return Fail(read.error());
  for (int i = 0; i < read->Count(); ++i) {
    auto event = std::make_shared<const Event>(EventFromRow(Row(*read, i)));
    events[event->id] = event;
  }
  for (int i = 0; i < due->Count(); ++i) {
    if (!due->Bool(i, 5)) continue;  // finished already
    const auto& event = events[due->Text(i, 2)];
    if (!event) continue;  // purged meanwhile: nothing left to send
    out.push_back(DueDelivery{due->Text(i, 0), due->Text(i, 1), due->Text(i, 2), static_cast<int>(due->Int(i, 3)),
                              due->Int(i, 4), event->created_at_ms, event});
  }
  return out;
}

}  // namespace hookd::postgres
