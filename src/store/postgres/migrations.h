// Versioned schema migrations for the PostgreSQL store. Each runs once, in order, in its own transaction, and is
// recorded in hookd_schema_migrations. An advisory lock makes processes starting together apply them once; a
// database migrated by a newer hookd is refused.
#pragma once

#include "common/result.h"
#include "store/postgres/connection.h"

namespace hookd::postgres {

[[nodiscard]] Status ApplyMigrations(Connection& conn, int64_t now_ms);
[[nodiscard]] int LatestSchemaVersion();

}  // namespace hookd::postgres
