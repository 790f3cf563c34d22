// The one place that knows every backend: the database URL picks it (`sqlite:PATH`; `postgres://…` is refused
// until that backend is built).
#include "store/store.h"

#include "store/sqlite/sqlite_store.h"

namespace hookd {

Result<std::unique_ptr<Store>> OpenStore(const std::string& database_url, const std::string& master_key) {
  if (database_url.rfind("sqlite:", 0) == 0) {
    auto store = sqlite::SqliteStore::Open(database_url.substr(7), master_key);
    if (!store) return Fail(store.error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  return Fail(Error::Unavailable("the PostgreSQL backend is not available in this build; use sqlite:PATH"));
}

}  // namespace hookd
