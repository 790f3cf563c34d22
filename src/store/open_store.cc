// The one place that knows every backend: the database URL picks it (`sqlite:PATH`, or `postgres://…` and
// `postgresql://…`, which libpq reads as they are, TLS parameters included).
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace hookd {

void Store::OnNewDeliveries(std::function<void(std::vector<Delivery>)> found) {
  MutexLock lock(&new_deliveries_mu_);
  new_deliveries_ = std::move(found);
}

void Store::HandNewDeliveries(std::vector<Delivery> deliveries) {
  if (deliveries.empty()) return;
  MutexLock lock(&new_deliveries_mu_);
  if (new_deliveries_) new_deliveries_(std::move(deliveries));
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& database_url, const std::string& master_key, int pool_size,
                                         Metrics* metrics, int64_t retention_ms, const DatabasePooling& pooling) {
  if (database_url.starts_with("sqlite:")) {
    auto store = sqlite::SqliteStore::Open(database_url.substr(7), master_key, sqlite::kOutcomeBatchDelay, metrics);
    if (!store) return Fail(store.error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  if (database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
    auto store = postgres::PostgresStore::Open(database_url, master_key, pool_size, metrics, SystemTime(), retention_ms,
                                               pooling);
    if (!store) return Fail(store.error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  return Fail(Error::Unavailable("unknown database URL; use sqlite:PATH or postgres://…"));
}

}  // namespace hookd
