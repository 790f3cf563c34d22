// SQLite: reading the stored master keys of a database file, for the store and for a backup's check.
#pragma once

#include "common/result.h"
#include "store/master_keys.h"
#include "store/sqlite/database.h"

namespace hookd::sqlite {

// The stored check value and wrapped keys; both empty for a database made before master keys were stored.
[[nodiscard]] Result<StoredMasterKeys> ReadStoredKeys(Database& db);

}  // namespace hookd::sqlite
