// What writing every delivery twice costs the writer: hookd today inserts a pending delivery when its event is
// accepted and updates it when its attempt is recorded ("twice"); the alternative writes the delivery once, with
// the outcome of its first attempt ("once"; its durability before the attempt would then rest on the event row).
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

namespace {

using hookd::sqlite::Database;

constexpr int kWebhooks = 10;
constexpr int kEventsPerCommit = 37;
constexpr int kDeliveries = 200'000;
constexpr int64_t kNow = 1'700'000'000'000;

// The alternative under test: a delivery inserted already finished, so it never enters deliveries_unfinished.
constexpr const char* kInsertFinishedDeliverySql =
    "INSERT INTO deliveries(id, account_id, event_id, webhook_id, event_type, status, attempt_count, "
    "next_attempt_at, created_at, completed_at, latency_ms, last_response_status, last_response_time_ms) "
    "VALUES (?,?,?,?,?,'succeeded',1,NULL,?,?,3,200,1)";

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

// Either delivery insert (hookd's pending one, or the finished one under test): both bind the same seven values.
bool InsertDelivery(Database& db, const char* sql, const Fixture& f, const NewDelivery& d) {
  return static_cast<bool>(db.Prepare(sql)
                               .BindView(1, d.id)
                               .BindView(2, f.account)
                               .BindView(3, d.event_id)
                               .BindView(4, *d.webhook_id)
                               .BindView(5, "user.created")
                               .Bind(6, kNow)
                               .Bind(7, kNow)
                               .Run());
}

// One successful first attempt: "twice" updates the pending row, "once" inserts the finished delivery.
bool RecordSuccess(Database& db, const Fixture& f, const NewDelivery& d, bool once) {
  if (once && !InsertDelivery(db, kInsertFinishedDeliverySql, f, d)) return false;
  const std::string attempt_id = hookd::NewId("att_");
  auto attempt = db.Prepare(hookd::sqlite::kInsertAttemptSql);
  attempt.BindView(1, attempt_id).BindView(2, d.id).Bind(3, 1).Bind(4, kNow).Bind(5, 200).Bind(6, 1).BindNull(7);
  attempt.BindView(8, f.request_headers).BindView(9, f.request_body).Bind(10, false);
  attempt.BindView(11, R"({"content-length":"0"})").BindView(12, "").Bind(13, false).Bind(14, true);
  if (!attempt.Run()) return false;
  if (once) return true;
  auto outcome = db.Prepare(hookd::sqlite::kUpdateDeliveryOutcomeSql);
  outcome.BindView(1, d.id).BindView(2, "succeeded").Bind(3, 1).BindNull(4).Bind(5, kNow).Bind(6, 3).Bind(7, 200);
  outcome.Bind(8, 1).BindNull(9);
  return static_cast<bool>(outcome.Run());
}

// CPU microseconds per delivery for one path on a fresh database; negative on failure.
double Measure(bool once, bool sync) {
  const hookd::tools::ScratchDatabase scratch;
  Database* db = scratch.get();
  if (db == nullptr || (!sync && !db->Exec("PRAGMA synchronous=OFF"))) return -1;
  const Fixture f;
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
        if (!once && !InsertDelivery(*db, hookd::sqlite::kInsertDeliverySql, f, accepted.back())) return -1;
        ++made;
      }
    }
    for (const NewDelivery& d : to_record) {
      if (!RecordSuccess(*db, f, d, once)) return -1;
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
