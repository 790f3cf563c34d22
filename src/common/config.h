// hookd's configuration (SPEC §2): every setting of `hookd serve`, parsed from flags, HOOKD_* environment
// variables and the configuration file (a flag wins over its variable, a variable over the file). Parsing is pure:
// it takes the arguments, an environment lookup and a file lookup, so tests need neither a process nor a real
// environment.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/config_file.h"
#include "common/result.h"

namespace hookd {

struct Config {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8084;
  std::string data_dir = "./data";
  std::string database;                       // "sqlite:PATH" or "postgres://..."; empty = sqlite:<data_dir>/hookd.db
  int database_pool = 16;                     // PostgreSQL connections per process
  bool database_transaction_pooling = false;  // --database-pool-mode transaction: `database` is such a pooler
  std::string database_direct_url;            // a session of its own (LISTEN, migrations, maintenance)
  std::string admin_token;       // empty = read admin_token_file, or read or generate <data_dir>/admin-token
  std::string admin_token_file;  // read the admin token from here (never printed)
  std::string master_key;        // base64; empty = read master_key_file, or read or generate <data_dir>/master.key
  std::string master_key_file;   // read the master key (base64) from here
  std::vector<int64_t> retry_schedule_ms = {60'000, 300'000, 1'800'000, 7'200'000, 86'400'000};
  int64_t attempt_timeout_ms = 30'000;
  int max_endpoint_rate = 100;
  bool allow_http = false;
  std::string egress_proxy;  // http://[user:password@]host:port, checked by ParseEgressProxy; "" = direct
  bool allow_private_networks = false;
  int circuit_threshold = 5;
  int64_t circuit_cooldown_ms = 30'000;
  int disable_after = 5;
  int api_rate_limit_per_s = 1000;     // 0 = unlimited
  int max_connections = 4096;          // open API connections; more are answered 503 and closed
  int max_webhooks_per_account = 100;  // bounds what one event fans out to
  int64_t retention_ms = 30LL * 86'400'000;
  int64_t stats_retention_ms = 90LL * 86'400'000;  // hour cells; minute cells go with the delivery log
  int64_t audit_retention_ms = 400LL * 86'400'000;
  std::string smtp_url;
  std::string smtp_from;
  std::string role = "all";       // api, worker or all (SPEC §6)
  int64_t lease_duration_ms = 0;  // a worker's shard lease, unrenewed; 0 = attempt timeout + 15 s
  std::string log_format = "text";
  std::string metrics_listen_host;  // empty = /metrics on the API address; else /metrics and health served here
  uint16_t metrics_listen_port = 0;
  std::string config_file;                          // the configuration file read, if any
  std::vector<std::string> portal_allowed_origins;  // may frame the web UI (CSP frame-ancestors); none = no framing
  std::string public_url;  // how browsers reach hookd, for portal links; empty = from each request's Host header

  // The lease duration with the default applied.
  [[nodiscard]] int64_t LeaseDurationMs() const {
    return lease_duration_ms ? lease_duration_ms : attempt_timeout_ms + 15'000;
  }
  [[nodiscard]] bool RunsApi() const { return role != "worker"; }
  [[nodiscard]] bool RunsWorker() const { return role != "api"; }

  // The database URL with the default applied.
  [[nodiscard]] std::string DatabaseUrl() const;
  // The database URL as it may be printed: a PostgreSQL URL without its user, password and parameters.
  [[nodiscard]] std::string PrintableDatabaseUrl() const;
};

// Looks up an environment variable; returns nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment.
[[nodiscard]] EnvLookup ProcessEnv();

// Where the configuration file is when neither --config nor HOOKD_CONFIG names one (read only when it exists).
inline constexpr const char* kDefaultConfigFile = "/etc/hookd/hookd.conf";

// Parses `args` (the words after "serve") with `env` as the fallback for each flag and the configuration file
// (read through `files`; none is read when `files` is empty) as the fallback for each variable. Unknown flags or
// names, missing values and malformed values are errors naming the flag, the variable or the file's line.
[[nodiscard]] Result<Config> ParseConfig(const std::vector<std::string>& args, const EnvLookup& env,
                                         const FileLookup& files = {});

// "1m,5m,30m" -> {60000, 300000, 1800000}; "none" -> {}.
[[nodiscard]] std::optional<std::vector<int64_t>> ParseRetrySchedule(const std::string& text);

// Usage text for `hookd serve --help`.
[[nodiscard]] std::string ConfigUsage();

}  // namespace hookd
