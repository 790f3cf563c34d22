// The PostgreSQL schema. Times are epoch milliseconds in bigint columns, as in the domain model (to_timestamp(x /
// 1000.0) reads them in SQL). Ids are text in the "C" collation, so they sort by bytes, which for hookd's ids is
// creation order: every list pages by id. Event payloads are `json`, which keeps their bytes exactly as accepted
// (they are forwarded byte for byte) while letting SQL look inside; a receiver's response body is `bytea`, since it
// may be any bytes. Every list filter has an index: the account's rows by id (time filters become id ranges, since
// ids sort by time), by event type, by status, by webhook. Never edit a released migration: add a new one.
#include "store/postgres/migrations.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "common/time_util.h"
#include "domain/sharding.h"
#include "store/postgres/partitions.h"
#include "store/postgres/stats.h"

namespace hookd::postgres {
namespace {

constexpr int kStatsRollupVersion = 6;
constexpr int kPartitionsVersion = 7;

const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> migrations = {
      // 1: the initial schema.
      R"sql(
CREATE TABLE accounts (
  id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL DEFAULT '',
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE TABLE api_keys (
  id text COLLATE "C" PRIMARY KEY,
  account_id text COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name text NOT NULL DEFAULT '',
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  created_at bigint NOT NULL,
  last_used_at bigint
);
CREATE INDEX api_keys_account ON api_keys(account_id, id);
CREATE TABLE webhooks (
  id text COLLATE "C" PRIMARY KEY,
  account_id text COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  url text NOT NULL,
  name text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  events text[] NOT NULL,
  active boolean NOT NULL,
  environment text NOT NULL,
  rate_limit integer NOT NULL,
  ordered boolean NOT NULL,
  payload_format text NOT NULL,
  headers json NOT NULL,
  metadata json NOT NULL,
  secret_enc text NOT NULL,
  previous_secret_enc text,
  previous_secret_expires_at bigint,
  status text NOT NULL,
  disabled_reason text,
  circuit text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX webhooks_account ON webhooks(account_id, id);
CREATE TABLE events (
  id text COLLATE "C" PRIMARY KEY,
  account_id text COLLATE "C" NOT NULL,
  type text COLLATE "C" NOT NULL,
  environment text NOT NULL,
  data json NOT NULL,
  metadata json,
  created_at bigint NOT NULL,
  idempotency_key text,
  initial_deliveries integer NOT NULL DEFAULT 0
);
CREATE INDEX events_account ON events(account_id, id);
CREATE INDEX events_account_type ON events(account_id, type, id);
CREATE UNIQUE INDEX events_idempotency ON events(account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE deliveries (
  id text COLLATE "C" PRIMARY KEY,
  account_id text COLLATE "C" NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  webhook_id text COLLATE "C" NOT NULL,
  event_type text COLLATE "C" NOT NULL,
  status text NOT NULL,
  attempt_count integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  created_at bigint NOT NULL,
  completed_at bigint,
  latency_ms bigint,
  last_response_status integer,
  last_response_time_ms bigint,
  last_error text
);
CREATE INDEX deliveries_account ON deliveries(account_id, id);
CREATE INDEX deliveries_account_status ON deliveries(account_id, status, id);
CREATE INDEX deliveries_account_type ON deliveries(account_id, event_type, id);
CREATE INDEX deliveries_webhook ON deliveries(webhook_id, id);
CREATE INDEX deliveries_event ON deliveries(event_id);
CREATE INDEX deliveries_unfinished ON deliveries(id) WHERE completed_at IS NULL;
CREATE TABLE attempts (
  id text COLLATE "C" NOT NULL,
  delivery_id text COLLATE "C" NOT NULL,
  number integer NOT NULL,
  started_at bigint NOT NULL,
  response_status integer,
  response_time_ms bigint NOT NULL,
  error text,
  request_headers json NOT NULL,
  request_body text NOT NULL,
  request_body_truncated boolean NOT NULL,
  response_headers json NOT NULL,
  response_body bytea NOT NULL,
  response_body_truncated boolean NOT NULL,
  success boolean NOT NULL
);
CREATE INDEX attempts_delivery ON attempts(delivery_id, number);
CREATE TABLE event_types (
  type text COLLATE "C" PRIMARY KEY,
  category text NOT NULL,
  description text NOT NULL DEFAULT '',
  created_at bigint NOT NULL
);
)sql",
      // 2: settings every process must agree on (the master key's check value).
      R"sql(
CREATE TABLE hookd_settings (
  name text PRIMARY KEY,
  value text NOT NULL
);
)sql",
      // 3: shard leases for many worker processes (SPEC §6): who holds each shard, under which fencing epoch, until
      // when (the database's clock, in epoch ms), and the workers' heartbeats that size each one's fair share.
      R"sql(
CREATE TABLE hookd_workers (
  id text COLLATE "C" PRIMARY KEY,
  started_at bigint NOT NULL,
  heartbeat_at bigint NOT NULL
);
CREATE TABLE shard_leases (
  shard integer PRIMARY KEY,
  owner text COLLATE "C",
  epoch bigint NOT NULL DEFAULT 0,
  expires_at bigint NOT NULL DEFAULT 0
);
INSERT INTO shard_leases(shard) SELECT generate_series(0, 255);
)sql",
      // 4: what workers read: each webhook's shard (set by hookd from its id, domain/sharding.h; -1 until then),
      // a webhook's unfinished deliveries, and each worker's attempts in flight (for `delivering` in every process).
      R"sql(
ALTER TABLE webhooks ADD COLUMN shard integer NOT NULL DEFAULT -1;
CREATE INDEX webhooks_shard ON webhooks(shard, id);
CREATE INDEX deliveries_unfinished_webhook ON deliveries(webhook_id, id) WHERE completed_at IS NULL;
ALTER TABLE hookd_workers ADD COLUMN in_flight text[] NOT NULL DEFAULT '{}';
)sql",
      // 5: portal sessions (SPEC §3): a token's hash, its account and access, until it expires or is revoked.
      R"sql(
CREATE TABLE portal_sessions (
  id text COLLATE "C" PRIMARY KEY,
  account_id text COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  access text NOT NULL,
  return_url text NOT NULL DEFAULT '',
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX portal_sessions_account ON portal_sessions(account_id, expires_at);
)sql",
      // 6: the statistics rollup (domain/stats_rollup.h): per account, width (a minute or an hour), start, webhook
      // and event type, the deliveries created then by status, their attempts and a latency histogram ({index,
      // count, …}). `writer` keeps the API's accepts (0) and the workers' outcomes (1) on different rows, so the
      // two never wait for each other's commit; reads add them up. Filled from the deliveries already stored when
      // it is created (BackfillStats).
      R"sql(
CREATE TABLE delivery_stats (
  account_id text COLLATE "C" NOT NULL,
  width_ms bigint NOT NULL,
  start_ms bigint NOT NULL,
  webhook_id text COLLATE "C" NOT NULL,
  event_type text COLLATE "C" NOT NULL,
  writer smallint NOT NULL,
  pending bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  succeeded bigint NOT NULL DEFAULT 0,
  dead bigint NOT NULL DEFAULT 0,
  attempts bigint NOT NULL DEFAULT 0,
  latency bigint[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (account_id, width_ms, start_ms, webhook_id, event_type, writer)
);
CREATE INDEX delivery_stats_webhook ON delivery_stats(webhook_id, width_ms, start_ms);
CREATE INDEX delivery_stats_age ON delivery_stats(width_ms, start_ms);
-- The sum of two latency histograms: counts added index by index, zeros left out.
CREATE FUNCTION hookd_histogram_add(a bigint[], b bigint[]) RETURNS bigint[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN cardinality(b) = 0 THEN a WHEN cardinality(a) = 0 THEN b ELSE (
    SELECT coalesce(array_agg(v ORDER BY i, o), '{}') FROM (
      SELECT i, sum(c)::bigint AS c FROM (
        SELECT x[2 * k - 1] AS i, x[2 * k] AS c FROM (VALUES (a), (b)) AS s(x), generate_series(1, cardinality(x) / 2) AS k
      ) AS pairs GROUP BY i HAVING sum(c) <> 0
    ) AS merged, LATERAL (VALUES (1, i), (2, c)) AS p(o, v)) END
$$;
)sql",
      // 7: time partitions for events, deliveries and attempts (store/postgres/partitions.h). Each table becomes the
      // history partition of a partitioned table of the same shape (PartitionHighVolumeTables attaches it); its
      // indexes are renamed so the parent's take their names, and attaching adopts them. A unique index cannot span
      // partitions, so idempotency keys move to their own table.
      R"sql(
ALTER TABLE events RENAME TO events_history;
ALTER TABLE events_history RENAME CONSTRAINT events_pkey TO events_history_pkey;
ALTER INDEX events_account RENAME TO events_history_account;
ALTER INDEX events_account_type RENAME TO events_history_account_type;
CREATE TABLE idempotency_keys (
  account_id text COLLATE "C" NOT NULL,
  idempotency_key text NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (account_id, idempotency_key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at);
INSERT INTO idempotency_keys SELECT account_id, idempotency_key, id, created_at FROM events_history
  WHERE idempotency_key IS NOT NULL;
DROP INDEX events_idempotency;
CREATE TABLE events (LIKE events_history INCLUDING DEFAULTS) PARTITION BY RANGE (id);
ALTER TABLE events ADD PRIMARY KEY (id);
CREATE INDEX events_account ON events(account_id, id);
CREATE INDEX events_account_type ON events(account_id, type, id);

ALTER TABLE deliveries RENAME TO deliveries_history;
ALTER TABLE deliveries_history RENAME CONSTRAINT deliveries_pkey TO deliveries_history_pkey;
ALTER INDEX deliveries_account RENAME TO deliveries_history_account;
ALTER INDEX deliveries_account_status RENAME TO deliveries_history_account_status;
ALTER INDEX deliveries_account_type RENAME TO deliveries_history_account_type;
ALTER INDEX deliveries_webhook RENAME TO deliveries_history_webhook;
ALTER INDEX deliveries_event RENAME TO deliveries_history_event;
ALTER INDEX deliveries_unfinished RENAME TO deliveries_history_unfinished;
ALTER INDEX deliveries_unfinished_webhook RENAME TO deliveries_history_unfinished_webhook;
CREATE TABLE deliveries (LIKE deliveries_history INCLUDING DEFAULTS) PARTITION BY RANGE (id);
ALTER TABLE deliveries ADD PRIMARY KEY (id);
CREATE INDEX deliveries_account ON deliveries(account_id, id);
CREATE INDEX deliveries_account_status ON deliveries(account_id, status, id);
CREATE INDEX deliveries_account_type ON deliveries(account_id, event_type, id);
CREATE INDEX deliveries_webhook ON deliveries(webhook_id, id);
CREATE INDEX deliveries_event ON deliveries(event_id);
CREATE INDEX deliveries_unfinished ON deliveries(id) WHERE completed_at IS NULL;
CREATE INDEX deliveries_unfinished_webhook ON deliveries(webhook_id, id) WHERE completed_at IS NULL;

ALTER TABLE attempts RENAME TO attempts_history;
ALTER INDEX attempts_delivery RENAME TO attempts_history_delivery;
CREATE TABLE attempts (LIKE attempts_history INCLUDING DEFAULTS) PARTITION BY RANGE (delivery_id);
CREATE INDEX attempts_delivery ON attempts(delivery_id, number);

CREATE TABLE hookd_partitions (
  family text NOT NULL,
  lower_ms bigint NOT NULL,
  upper_ms bigint NOT NULL,
  PRIMARY KEY (family, lower_ms)
);
)sql",
      // Master keys (store/master_keys.h): each key of a rotation under way sealed under the other (the current
      // key's check value is a setting).
      R"sql(
CREATE TABLE master_keys (
  id text NOT NULL,
  sealed_by text NOT NULL,
  sealed_key text NOT NULL,
  PRIMARY KEY (id, sealed_by)
);
)sql",
      // The audit trail (SPEC §9, store/audit_chain.h): one chain of records per account, and each chain's head.
      // Records name accounts and targets by id only: they outlive what they describe.
      R"sql(
CREATE TABLE audit_log (
  id text PRIMARY KEY,
  account_id text NOT NULL,
  seq bigint NOT NULL,
  at bigint NOT NULL,
  actor_type text NOT NULL,
  actor_id text NOT NULL,
  ip text NOT NULL,
  request_id text NOT NULL,
  action text NOT NULL,
  target_type text NOT NULL,
  target_id text NOT NULL,
  changes text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  UNIQUE (account_id, seq)
);
CREATE INDEX audit_log_account ON audit_log(account_id, id);
CREATE INDEX audit_log_target ON audit_log(target_id, id);
CREATE TABLE audit_heads (
  account_id text PRIMARY KEY,
  seq bigint NOT NULL,
  hash text NOT NULL,
  purged_seq bigint NOT NULL DEFAULT 0,
  purged_hash text NOT NULL
);
)sql",
      // Deleted webhooks (SPEC §9): their delivery log stays, marked deleted, until retention takes it. Audit records
      // by age, for their own retention. Operational webhooks and what they were last told of each endpoint.
      R"sql(
CREATE TABLE deleted_webhooks (
  id text PRIMARY KEY,
  account_id text NOT NULL,
  deleted_at bigint NOT NULL
);
CREATE INDEX deleted_webhooks_age ON deleted_webhooks(deleted_at);
CREATE INDEX audit_log_age ON audit_log(at);
CREATE TABLE operational_webhooks (
  id text PRIMARY KEY,
  account_id text NOT NULL,  -- '' for the admin's, which hear every account
  url text NOT NULL,
  description text NOT NULL DEFAULT '',
  events text[] NOT NULL,
  active boolean NOT NULL,
  secret_enc text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX operational_webhooks_account ON operational_webhooks(account_id, id);
CREATE TABLE endpoint_notices (  -- per customer webhook: when endpoint.failing last went, and whether a recovery is due
  webhook_id text PRIMARY KEY,
  failing_sent_at bigint,
  recovery_pending boolean NOT NULL DEFAULT false
);
)sql",
      // 8: the ownership handshake (SPEC §10): whether a webhook asks for it, and whether its URL has answered it.
      R"sql(
ALTER TABLE webhooks ADD COLUMN verification text NOT NULL DEFAULT 'none';
ALTER TABLE webhooks ADD COLUMN verified boolean NOT NULL DEFAULT false;
)sql",
      // 9: endpoint credentials (SPEC §10, domain/endpoint_credentials.h), sealed like the secrets; NULL when none.
      R"sql(
ALTER TABLE webhooks ADD COLUMN credentials_enc text;
)sql",
  };
  return migrations;
}

}  // namespace

int LatestSchemaVersion() {
  return static_cast<int>(Migrations().size());
}

Status ApplyMigrations(Connection& conn, int64_t now_ms, int up_to_version) {
  return conn.Transaction([now_ms, up_to_version](Connection& c) -> Status {
    // One process migrates at a time; the others wait here and then find nothing left to do.
    if (auto st = c.ExecOnce("SELECT pg_advisory_xact_lock(7306916238462391842)"); !st) return st;
    if (auto st = c.ExecOnce("CREATE TABLE IF NOT EXISTS hookd_schema_migrations (version integer PRIMARY KEY, "
                             "applied_at bigint NOT NULL)");
        !st) {
      return st;
    }
    auto rows = c.Exec("SELECT version FROM hookd_schema_migrations ORDER BY version");
    if (!rows) return Fail(rows.error());
    std::set<int> applied;
    for (int i = 0; i < rows->Count(); ++i) applied.insert(static_cast<int>(rows->Int(i, 0)));
    const int current = applied.empty() ? 0 : *applied.rbegin();
    if (current > LatestSchemaVersion()) {
      return Fail(Error::Unavailable("database schema version " + std::to_string(current) +
                                     " is newer than this hookd supports (" + std::to_string(LatestSchemaVersion()) +
                                     "); run a newer hookd"));
    }
    for (int version = 1; version <= std::min(up_to_version, LatestSchemaVersion()); ++version) {
      if (applied.contains(version)) continue;
      Status st = c.ExecOnce(Migrations()[static_cast<size_t>(version - 1)]);
      if (st && version == kStatsRollupVersion) st = BackfillStats(c);
      if (st && version == kPartitionsVersion) st = PartitionHighVolumeTables(c, now_ms);
      if (!st) {
        return Fail(Error::Unavailable("migration " + std::to_string(version) + " failed: " + st.error().message));
      }
      if (auto st = c.Exec("INSERT INTO hookd_schema_migrations(version, applied_at) VALUES ($1, $2)",
                           Params().Add(version).Add(now_ms));
          !st) {
        return Fail(st.error());
      }
    }
    // Webhooks made before shards existed get theirs (computed here, where the hash lives).
    auto unsharded = c.Exec("SELECT id FROM webhooks WHERE shard < 0");
    if (!unsharded) return Fail(unsharded.error());
    for (int i = 0; i < unsharded->Count(); ++i) {
      const std::string id = unsharded->Text(i, 0);
      auto set = c.Exec("UPDATE webhooks SET shard = $2 WHERE id = $1", Params().Add(id).Add(ShardOf(id)));
      if (!set) return Fail(set.error());
    }
    return Ok();
  });
}

}  // namespace hookd::postgres
