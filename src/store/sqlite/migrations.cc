// The schema. Times are epoch milliseconds; JSON columns hold serialized text. Never edit a released migration:
// add a new one.
#include "store/sqlite/migrations.h"

#include <set>
#include <vector>

#include "common/time_util.h"
#include "store/sqlite/stats.h"

namespace hookd::sqlite {
namespace {

constexpr int kStatsRollupVersion = 4;

const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> migrations = {
      // 1: the initial schema.
      R"sql(
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX api_keys_account ON api_keys(account_id, id);
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  events TEXT NOT NULL,
  active INTEGER NOT NULL,
  environment TEXT NOT NULL,
  rate_limit INTEGER NOT NULL,
  ordered INTEGER NOT NULL,
  payload_format TEXT NOT NULL,
  headers TEXT NOT NULL,
  metadata TEXT NOT NULL,
  secret_enc TEXT NOT NULL,
  previous_secret_enc TEXT,
  previous_secret_expires_at INTEGER,
  status TEXT NOT NULL,
  disabled_reason TEXT,
  circuit TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX webhooks_account ON webhooks(account_id, id);
CREATE TABLE events (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  type TEXT NOT NULL,
  environment TEXT NOT NULL,
  data TEXT NOT NULL,
  metadata TEXT,
  created_at INTEGER NOT NULL,
  idempotency_key TEXT,
  initial_deliveries INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_account ON events(account_id, id);
CREATE UNIQUE INDEX events_idempotency ON events(account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  created_at INTEGER NOT NULL,
  completed_at INTEGER,
  latency_ms INTEGER,
  last_response_status INTEGER,  -- of the latest attempt, so the log lists it without reading attempts
  last_response_time_ms INTEGER,
  last_error TEXT
) WITHOUT ROWID;
CREATE INDEX deliveries_account ON deliveries(account_id, id);
CREATE INDEX deliveries_webhook ON deliveries(webhook_id, id);
CREATE INDEX deliveries_event ON deliveries(event_id);
CREATE INDEX deliveries_unfinished ON deliveries(next_attempt_at) WHERE completed_at IS NULL;
CREATE TABLE attempts (
  id TEXT NOT NULL,  -- unique by construction (ULID); looked up only through its delivery
  delivery_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  response_status INTEGER,
  response_time_ms INTEGER NOT NULL,
  error TEXT,
  request_headers TEXT NOT NULL,
  request_body TEXT NOT NULL,
  request_body_truncated INTEGER NOT NULL,
  response_headers TEXT NOT NULL,
  response_body TEXT NOT NULL,
  response_body_truncated INTEGER NOT NULL,
  success INTEGER NOT NULL
);
CREATE INDEX attempts_delivery ON attempts(delivery_id, number);
CREATE TABLE event_types (
  type TEXT PRIMARY KEY,
  category TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
)sql",
      // 2: deliveries written once (see awaiting_deliveries.h): an event's deliveries that have no row yet.
      R"sql(
CREATE TABLE events_awaiting_deliveries (
  event_id TEXT PRIMARY KEY,
  accepted_at INTEGER NOT NULL,
  deliveries TEXT NOT NULL  -- "delivery_id webhook_id" pairs, space-separated
) WITHOUT ROWID;
)sql",
      // 3: portal sessions (SPEC §3): a token's hash, its account and access, until it expires or is revoked.
      R"sql(
CREATE TABLE portal_sessions (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  access TEXT NOT NULL,
  return_url TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX portal_sessions_account ON portal_sessions(account_id, expires_at);
)sql",
      // 4: the statistics rollup (domain/stats_rollup.h): per account, width (a minute or an hour), start, webhook
      // and event type, the deliveries created then by status, their attempts and a latency histogram. Filled
      // from the deliveries already stored when it is created (BackfillStats).
      R"sql(
CREATE TABLE delivery_stats (
  account_id TEXT NOT NULL,
  width_ms INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  webhook_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  pending INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  succeeded INTEGER NOT NULL DEFAULT 0,
  dead INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  latency TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (account_id, width_ms, start_ms, webhook_id, event_type)
) WITHOUT ROWID;
CREATE INDEX delivery_stats_webhook ON delivery_stats(webhook_id, width_ms, start_ms);
CREATE INDEX delivery_stats_age ON delivery_stats(width_ms, start_ms);
)sql",
      // Master keys (store/master_keys.h): the current key's check value, and each key of a rotation under way
      // sealed under the other.
      R"sql(
CREATE TABLE hookd_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE master_keys (
  id TEXT NOT NULL,
  sealed_by TEXT NOT NULL,
  sealed_key TEXT NOT NULL,
  PRIMARY KEY (id, sealed_by)
);
)sql",
      // The audit trail (SPEC §9, store/audit_chain.h): one chain of records per account, and each chain's head.
      // Records name accounts and targets by id only: they outlive what they describe.
      R"sql(
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  ip TEXT NOT NULL,
  request_id TEXT NOT NULL,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL,
  changes TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  UNIQUE (account_id, seq)
);
CREATE INDEX audit_log_account ON audit_log(account_id, id);
CREATE INDEX audit_log_target ON audit_log(target_id, id);
CREATE TABLE audit_heads (
  account_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  purged_seq INTEGER NOT NULL DEFAULT 0,
  purged_hash TEXT NOT NULL
);
)sql",
      // Deleted webhooks (SPEC §9): their delivery log stays, marked deleted, until retention takes it. Audit records
      // by age, for their own retention. Operational webhooks and what they were last told of each endpoint.
      R"sql(
CREATE TABLE deleted_webhooks (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  deleted_at INTEGER NOT NULL
);
CREATE INDEX deleted_webhooks_age ON deleted_webhooks(deleted_at);
CREATE INDEX audit_log_age ON audit_log(at);
CREATE TABLE operational_webhooks (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,  -- '' for the admin's, which hear every account
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  events TEXT NOT NULL,
  active INTEGER NOT NULL,
  secret_enc TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX operational_webhooks_account ON operational_webhooks(account_id, id);
CREATE TABLE endpoint_notices (  -- per customer webhook: when endpoint.failing last went, and whether a recovery is due
  webhook_id TEXT PRIMARY KEY,
  failing_sent_at INTEGER,
  recovery_pending INTEGER NOT NULL DEFAULT 0
);
)sql",
      // 8: the ownership handshake (SPEC §10): whether a webhook asks for it, and whether its URL has answered it.
      R"sql(
ALTER TABLE webhooks ADD COLUMN verification TEXT NOT NULL DEFAULT 'none';
ALTER TABLE webhooks ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
)sql",
      // 9: endpoint credentials (SPEC §10, domain/endpoint_credentials.h), sealed like the secrets; NULL when none.
      R"sql(
ALTER TABLE webhooks ADD COLUMN credentials_enc TEXT;
)sql",
  };
  return migrations;
}

}  // namespace

int LatestSchemaVersion() {
  return static_cast<int>(Migrations().size());
}

Status ApplyMigrations(Database& db, int64_t now_ms) {
  if (auto st = db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                        "applied_at INTEGER NOT NULL)");
      !st) {
    return st;
  }
  // Every version not yet applied, in order (as on PostgreSQL), not only those above the highest applied.
  std::set<int> applied;
  {
    auto q = db.Prepare("SELECT version FROM schema_migrations");
    while (q.Step()) applied.insert(static_cast<int>(q.Int(0)));
  }
  const int current = applied.empty() ? 0 : *applied.rbegin();
  if (current > LatestSchemaVersion()) {
    return Fail(Error::Unavailable("database schema version " + std::to_string(current) +
                                   " is newer than this hookd supports (" + std::to_string(LatestSchemaVersion()) +
                                   ")"));
  }
  for (int version = 1; version <= LatestSchemaVersion(); ++version) {
    if (applied.contains(version)) continue;
    if (auto st = db.Exec("BEGIN IMMEDIATE"); !st) return st;
    auto st = db.Exec(Migrations()[static_cast<size_t>(version - 1)]);
    if (st && version == kStatsRollupVersion) st = BackfillStats(db);
    if (st) {
      st = db.Prepare("INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)")
               .Bind(1, version)
               .Bind(2, now_ms)
               .Run();
    }
    if (!st) {
      (void)db.Exec("ROLLBACK");
      return Fail(Error::Unavailable("migration " + std::to_string(version) + " failed: " + st.error().message));
    }
    if (auto commit = db.Exec("COMMIT"); !commit) return commit;
  }
  return Ok();
}

}  // namespace hookd::sqlite
