// Versioned schema migrations for the SQLite store. Each migration runs once, in order, in its own transaction,
// and is recorded in schema_migrations.
#pragma once

#include "common/result.h"
#include "store/sqlite/database.h"

namespace hookd::sqlite {

// Brings the schema up to date, recording each migration as applied at `now_ms`.
[[nodiscard]] Status ApplyMigrations(Database& db, int64_t now_ms);
[[nodiscard]] int LatestSchemaVersion();

}  // namespace hookd::sqlite
