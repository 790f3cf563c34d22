// Versioned schema migrations for the PostgreSQL store. Each runs once, in order, in one transaction, and is
// recorded in hookd_schema_migrations. An advisory lock makes processes starting together apply them once; a
// database migrated by a newer hookd is refused.
#pragma once

#include "common/result.h"
#include "store/postgres/connection.h"

namespace hookd::postgres {

[[nodiscard]] int LatestSchemaVersion();
// Applies the migrations up to `up_to_version` (tests stop early to build what an older hookd stored).
[[nodiscard]] Status ApplyMigrations(Connection& conn, int64_t now_ms, int up_to_version = LatestSchemaVersion());

}  // namespace hookd::postgres
