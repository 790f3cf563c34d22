// What each secondary index on `deliveries` costs the writer: CPU per inserted delivery with hookd's own schema
// (its migrations, on a fresh file) and hookd's own insert statement, keeping only the indexes named on the
// command line. Rows arrive as at fan-out 10: ten deliveries per event, one per webhook, 37 events per transaction,
// ids in creation order. Durability is off (synchronous=OFF) so that the figure is the B-tree work, not fdatasync.
//
//   build/hookd-index-cost                                   # every index
//   build/hookd-index-cost deliveries_account deliveries_event  # only these two
//   build/hookd-index-cost none                              # the primary key alone
#include <cstdio>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "common/ids.h"
#include "scratch_db.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using hookd::sqlite::Database;

constexpr int kWebhooks = 10;
constexpr int kEventsPerCommit = 37;
constexpr int kDeliveries = 400'000;

std::vector<std::string> IndexesOnDeliveries(Database& db) {
  std::vector<std::string> names;
  auto q = db.Prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries' "
      "AND sql IS NOT NULL ORDER BY name");
  while (q.Step()) names.push_back(q.Text(0));
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  std::set<std::string> keep;
  const bool keep_all = argc == 1;
  for (int i = 1; i < argc; ++i) keep.insert(argv[i]);

  const hookd::tools::ScratchDatabase scratch;
  if (scratch.get() == nullptr) {
    std::fprintf(stderr, "cannot create the database in %s\n", scratch.dir().c_str());
    return 1;
  }
  Database& db = *scratch.get();
  (void)db.Exec("PRAGMA synchronous=OFF");
  std::vector<std::string> kept;
  for (const std::string& name : IndexesOnDeliveries(db)) {
    if (keep_all || keep.contains(name)) {
      kept.push_back(name);
    } else if (!db.Exec("DROP INDEX " + name)) {
      std::fprintf(stderr, "cannot drop %s\n", name.c_str());
      return 1;
    }
  }

  std::vector<std::string> webhooks;
  for (int i = 0; i < kWebhooks; ++i) webhooks.push_back(hookd::NewId("wh_"));
  const std::string account = hookd::NewId("acct_");
  const std::clock_t started = std::clock();
  for (int inserted = 0; inserted < kDeliveries;) {
    if (!db.Exec("BEGIN")) return 1;
    for (int e = 0; e < kEventsPerCommit; ++e) {
      const std::string event = hookd::NewId("evt_");
      for (const std::string& webhook : webhooks) {
        const std::string id = hookd::NewId("dlv_");
        const int64_t now = 1'700'000'000'000 + inserted;
        if (!db.Prepare(hookd::sqlite::kInsertDeliverySql)
                 .BindView(1, id)
                 .BindView(2, account)
                 .BindView(3, event)
                 .BindView(4, webhook)
                 .BindView(5, "user.created")
                 .Bind(6, now)
                 .Bind(7, now)
                 .Run()) {
          return 1;
        }
        ++inserted;
      }
    }
    if (!db.Exec("COMMIT")) return 1;
  }
  const double cpu_s = static_cast<double>(std::clock() - started) / CLOCKS_PER_SEC;

  std::string names;
  for (const std::string& name : kept) names += (names.empty() ? "" : ", ") + name;
  std::printf("%.2f us of CPU per delivery inserted; indexes: %s\n", cpu_s * 1e6 / kDeliveries,
              names.empty() ? "none (primary key only)" : names.c_str());
  return 0;
}
