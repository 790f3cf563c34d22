// A private PostgreSQL server for the tests of one test binary (scripts/pg-server.sh: initdb and pg_ctl in a temp
// dir on a free port), started on first use and stopped at exit; or the server HOOKD_TEST_POSTGRES_URL names. Each
// test takes a fresh database of its own.
#pragma once

#include <string>

namespace hookd::testing {

// The URL of a new, empty database on the test server. Fails the test (an exception) when no server can start.
[[nodiscard]] std::string NewPostgresDatabase();

// Runs `sql` (one or more statements) on the database at `url`; throws when it fails.
void ExecPostgres(const std::string& url, const std::string& sql);

// The bytes pg_dump writes for the database at `url` (schema and data, as text).
[[nodiscard]] std::string DumpPostgresDatabase(const std::string& url);

}  // namespace hookd::testing
