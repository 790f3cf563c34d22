// Versioned schema migrations for the SQLite store. Each migration runs once, in order, in its own transaction,
// and is recorded in schema_migrations.
#pragma once

#include "common/result.h"
#include "store/sqlite/database.h"

namespace hookd::sqlite {

[[nodiscard]] Status ApplyMigrations(Database& db);
[[nodiscard]] int LatestSchemaVersion();

}  // namespace hookd::sqlite
