// What writing every delivery twice cost the writer. hookd used to insert a pending delivery when its event was
// accepted and update it when its attempt was recorded ("twice"); it now writes the delivery once, with the
// outcome of its first attempt, its durability before that resting on the event's awaiting row ("once", through
// hookd's own AwaitingDeliveries: the awaiting row, the first outcome's insert, the awaiting row's delete).
// Rows arrive as at fan-out 10: ten deliveries per event, 37 events per transaction, each transaction also
// recording the attempts of the previous one, with attempt rows as large as the benchmark's (404 bytes of request
// headers, 226 of body). hookd's schema and hookd's own statements; synchronous=FULL unless --no-sync. The two
// paths alternate for several rounds on fresh files, and the minimum and median of each are printed, since the
// machine is noisy.
//
//   build/hookd-write-paths [--rounds N] [--no-sync]
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "common/ids.h"
#include "scratch_db.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/stats.h"

namespace {

using hookd::sqlite::Database;

constexpr int kWebhooks = 10;
constexpr int kEventsPerCommit = 37;
constexpr int kDeliveries = 200'000;
constexpr int64_t kNow = 1'700'000'000'000;

using hookd::sqlite::AwaitingDeliveries;

struct NewDelivery {
  std::string id;
  std::string event_id;
  const std::string* webhook_id;
};

struct Fixture {
  std::string account = hookd::NewId("acc_");
  std::vector<std::string> webhooks;
  std::string event_data = std::string(R"({"order_id":12345,"note":")") + std::string(20, 'x') + "\"}";
  std::string request_headers = std::string(404, 'h');
  std::string request_body = std::string(226, 'b');

  Fixture() {
    for (int i = 0; i < kWebhooks; ++i) webhooks.push_back(hookd::NewId("wh_"));
  }
};

bool InsertEvent(Database& db, const Fixture& f, const std::string& event_id) {
  auto q = db.Prepare(
      "INSERT INTO events(id, account_id, type, environment, data, metadata, created_at, idempotency_key, "
      "initial_deliveries) VALUES (?,?,'user.created','production',?,NULL,?,NULL,?)");
  return static_cast<bool>(
      q.BindView(1, event_id).BindView(2, f.account).BindView(3, f.event_data).Bind(4, kNow).Bind(5, kWebhooks).Run());
}

// The pending delivery "twice" inserts at ingest.
bool InsertPendingDelivery(Database& db, const Fixture& f, const NewDelivery& d) {
  return static_cast<bool>(db.Prepare(hookd::sqlite::kInsertDeliverySql)
                               .BindView(1, d.id)
                               .BindView(2, f.account)
                               .BindView(3, d.event_id)
                               .BindView(4, *d.webhook_id)
                               .BindView(5, "user.created")
                               .Bind(6, kNow)
                               .Bind(7, kNow)
                               .Run());
}

// "once" at ingest: the event's deliveries go to its awaiting row.
bool AddAwaitingDeliveries(Database& db, AwaitingDeliveries& awaiting, const Fixture& f, const std::string& event_id,
                           const std::vector<NewDelivery>& accepted) {
  hookd::Event event;
  event.id = event_id;
  event.account_id = f.account;
  event.type = "user.created";
  std::vector<hookd::Delivery> deliveries;
  for (auto d = accepted.end() - kWebhooks; d != accepted.end(); ++d) {
    hookd::Delivery delivery;
    delivery.id = d->id;
    delivery.webhook_id = *d->webhook_id;
    deliveries.push_back(std::move(delivery));
  }
  return static_cast<bool>(awaiting.Add(db, event, deliveries, kNow));
}

// One successful first attempt, in hookd's order: the outcome through its own WriteOutcome (with "twice" nothing
// was added as awaiting, so it updates the pending row; with "once" it inserts the finished delivery), then the attempt
// row.
bool RecordSuccess(Database& db, AwaitingDeliveries& awaiting, const NewDelivery& d, const Fixture& f) {
  hookd::StatsDelta stats;
  const auto has_row = awaiting.WriteOutcome(db,
                                             hookd::OutcomeValues{
                                                 .delivery_id = d.id,
                                                 .status = hookd::DeliveryStatus::kSucceeded,
                                                 .attempt_count = 1,
                                                 .next_attempt_at_ms = std::nullopt,
                                                 .completed_at_ms = kNow,
                                                 .latency_ms = 3,
                                                 .response_status = 200,
                                                 .response_time_ms = 1,
                                                 .error = {},
                                             },
                                             stats);
  if (!has_row || !*has_row || !hookd::sqlite::WriteStats(db, stats)) return false;
  const std::string attempt_id = hookd::NewId("att_");
  auto attempt = db.Prepare(hookd::sqlite::kInsertAttemptSql);
  attempt.BindView(1, attempt_id).BindView(2, d.id).Bind(3, 1).Bind(4, kNow).Bind(5, 200).Bind(6, 1).BindNull(7);
  attempt.BindView(8, f.request_headers).BindView(9, f.request_body).Bind(10, false);
  attempt.BindView(11, R"({"content-length":"0"})").BindView(12, "").Bind(13, false).Bind(14, true);
  return static_cast<bool>(attempt.Run());
}

// CPU microseconds per delivery for one path on a fresh database; negative on failure.
double Measure(bool once, bool sync) {
  const hookd::tools::ScratchDatabase scratch;
  Database* db = scratch.get();
  if (db == nullptr || (!sync && !db->Exec("PRAGMA synchronous=OFF"))) return -1;
  const Fixture f;
  AwaitingDeliveries awaiting;
  if (!awaiting.WriteAwaitingAsPending(*db)) return -1;  // a fresh store's first use
  std::vector<NewDelivery> accepted, to_record;
  const std::clock_t started = std::clock();
  for (int made = 0; made < kDeliveries || !to_record.empty();) {
    if (!db->Exec("BEGIN")) return -1;
    accepted.clear();
    for (int e = 0; e < kEventsPerCommit && made < kDeliveries; ++e) {
      const std::string event_id = hookd::NewId("evt_");
      if (!InsertEvent(*db, f, event_id)) return -1;
      for (const std::string& webhook : f.webhooks) {
        accepted.push_back({hookd::NewId("dlv_"), event_id, &webhook});
        if (!once && !InsertPendingDelivery(*db, f, accepted.back())) return -1;
        ++made;
      }
      if (once && !AddAwaitingDeliveries(*db, awaiting, f, event_id, accepted)) return -1;
    }
    for (const NewDelivery& d : to_record) {
      if (!RecordSuccess(*db, awaiting, d, f)) return -1;
    }
    if (!db->Exec("COMMIT")) return -1;
    to_record.swap(accepted);
  }
  return static_cast<double>(std::clock() - started) / CLOCKS_PER_SEC * 1e6 / kDeliveries;
}

void Report(const char* name, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  std::printf("%-6s min %.2f  median %.2f us of CPU per delivery (%zu runs)\n", name, samples.front(),
              samples[samples.size() / 2], samples.size());
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  bool sync = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--no-sync") {
      sync = false;
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--rounds N] [--no-sync]\n", argv[0]);
      return 2;
    }
  }
  std::vector<double> twice, once;
  for (int r = 0; r < rounds; ++r) {
    for (bool write_once : {false, true}) {
      const double us = Measure(write_once, sync);
      if (us < 0) {
        std::fprintf(stderr, "the measurement failed (cannot write the scratch database)\n");
        return 1;
      }
      (write_once ? once : twice).push_back(us);
    }
  }
  Report("twice", twice);
  Report("once", once);
  return 0;
}
